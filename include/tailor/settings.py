"""Tailor's settings: one mapping, validated, with defaults that run on a laptop.

Airflow reads it from the Variable ``tailor_settings`` (JSON) and the backend from the
Variable ``tailor_backend``; both can come from ``AIRFLOW_VAR_*`` environment variables.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationError,
)

from tailor.evaluation.batch import BATCH_MINIMUM
from tailor.layout import CATALOG, TEST_SET, DataLayout
from tailor.prices import Prices

REPO_ROOT = Path(__file__).resolve().parents[2]


class Backend(StrEnum):
    LOCAL = "local"
    AWS = "aws"


ROLE_ARN = r"^arn:aws(-[^:]+)?:iam::\d{12}:role/.+$"


class SettingsError(ValueError):
    """A missing or invalid setting; the message names it."""


# the local judges: key points with MiniLM (tailor.local.keypoint_judge), and two model
# families scoring by likelihood (tailor.local.judge)
LOCAL_JUDGES = ("keypoints", "smollm2", "gemma3")
DEFAULT_JUDGES = {
    # chosen on the tune half of bench/graded (bench/judge_agreement.py --half tune): the
    # likelihood judges lowered the panel's agreement with people, so they sit only on request
    "local": ("keypoints",),
    # three Bedrock families, called through Converse (cross-region inference profiles)
    "aws": (
        "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        "us.amazon.nova-pro-v1:0",
        "google.gemma-3-27b-it",
    ),
}


# answers people are asked to grade each night: a Bedrock night costs money and can afford a
# person's minutes; the embedded default runs unattended (make demo, dags test)
DEFAULT_REVIEW_ANSWERS = {"local": 0, "aws": 5}


def _describe(error: ValidationError) -> str:
    """One line per bad key: 'setting 'top_k' has an invalid value 2.9: ...'."""
    lines = []
    for problem in error.errors():
        key = ".".join(str(part) for part in problem["loc"])
        if problem["type"] == "extra_forbidden":
            lines.append(f"unknown Tailor setting '{key}'")
        else:
            lines.append(
                f"setting '{key}' has an invalid value {problem['input']!r}: {problem['msg']}"
            )
    return "; ".join(lines)


def _as_uri(location: str) -> str:
    return location if "://" in location else Path(location).resolve().as_uri()


class Settings(BaseModel):
    """Strict: an unknown key, a wrong type or a lossy conversion (2.9 for an integer, true
    for a number, 5 for a name) is an error naming the key; frozen once validated."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    backend: Backend = Field(Backend.LOCAL, strict=False)  # "aws" from JSON is fine
    data_root: str = (REPO_ROOT / "data").as_uri()
    catalog_uri: str = ""  # default: <data_root>/catalog
    aws_conn_id: str = "aws_default"
    region_name: str | None = None
    knowledge_base_id: str | None = None
    data_source_id: str | None = None
    # the SQS queue receiving the catalog bucket's S3 event notifications: kb_sync follows it.
    # Read when the DAGs are parsed, so it takes effect from AIRFLOW_VAR_TAILOR_SETTINGS
    catalog_queue_url: str | None = Field(None, pattern=r"^https?://\S+/\d{12}/[\w-]{1,80}$")
    chunk_tokens: PositiveInt = 200  # MiniLM reads 256 tokens; the reference's 512 is cut
    chunk_overlap: NonNegativeInt = 40  # 20%, as the reference
    top_k: PositiveInt = 3
    fail_on_failed_documents: bool = True
    ingestion_poll_seconds: PositiveInt = 30
    ingestion_timeout_minutes: PositiveInt = 180
    # the model endpoint
    endpoint_name: str | None = None
    endpoint_kind: Literal["inference_components", "legacy"] = "inference_components"
    # legacy: one model per endpoint, deleted at zero
    inference_component_name: str | None = None  # none: a legacy endpoint without components
    endpoint_config_name: str | None = None  # legacy wake-up when no deletion was recorded
    endpoint_copies: PositiveInt = 1  # serving copies when up
    endpoint_poll_seconds: PositiveInt = 30
    endpoint_timeout_minutes: PositiveInt = 20
    lease_minutes: PositiveInt = 240
    autoscale_from_zero: bool = False  # aws: an invocation at zero copies wakes the component
    local_endpoint_port: int = Field(8011, ge=1, le=65535)
    model_cache_dir: str = str(REPO_ROOT / "data" / "model-cache")
    # fine-tuning
    test_set_uri: str = ""  # default: <data_root>/test_set.json
    # aws: who fine-tunes: SageMaker JumpStart on the endpoint, or a Bedrock customization job
    finetune_service: Literal["sagemaker", "bedrock"] = "sagemaker"
    base_model_id: str = "meta-textgeneration-llama-3-1-8b-instruct"  # JumpStart (aws)
    customization_base_model: str = "amazon.nova-micro-v1:0:128k"  # bedrock: CUSTOMIZABLE
    customization_role_arn: str | None = Field(None, pattern=ROLE_ARN)  # the job's service role
    delete_rejected_custom_models: bool = False  # bedrock: else kept for audit (storage billed)
    keep_custom_models: NonNegativeInt = 0  # bedrock: newest custom models kept (0: all)
    training_instance_type: str = "ml.g5.12xlarge"
    training_role_arn: str | None = None  # also the SageMaker model's execution role
    training_max_runtime_hours: PositiveInt = 12  # MaxRuntimeInSeconds (SageMaker: 1 h if unset)
    inference_instance_type: str = "ml.g5.12xlarge"
    inference_image_uri: str | None = None  # none: resolved from JumpStart by the sagemaker SDK
    accelerators_per_copy: PositiveInt = 4
    bertscore_model: str | None = None  # none: MiniLM (local), roberta-large (aws)
    gate_margin: float = 0.02  # BERTScore F1 a candidate may lose and still be promoted
    gate_questions: PositiveInt = 8  # held-out pairs, and as many test questions, per model
    retrain_drift: float = Field(0.25, gt=0, le=1)  # share of products added/changed: retrain
    retrain_on_stale_nights: NonNegativeInt = 3  # nights in a row fine_tuned is stale (0: off)
    require_approval: bool = False  # a person approves a promotion in the Airflow UI
    approval_timeout_hours: float = Field(24.0, gt=0)  # unanswered: rejected
    # nightly evaluation
    rag_model_id: str = "us.meta.llama3-1-8b-instruct-v1:0"  # aws: Bedrock Converse (rag, base)
    answer_prompt: str = ""  # default: the reference's prompt; must contain {question}
    context_answer_prompt: str = ""  # default: the reference's; {context} and {question}
    max_answer_tokens: PositiveInt = 512  # aws; the local models answer in at most 96 tokens
    judges: tuple[str, ...] = Field((), strict=False)  # default: the backend's (DEFAULT_JUDGES)
    judge_retries: NonNegativeInt = 2  # more tries for an unparseable reply, then no score
    judge_controls: NonNegativeInt = 5  # questions a night with a positive and a negative control
    judge_min_separation: float = 0.3  # positive minus topic-negative control mean, on 0-1
    judge_min_hard_separation: float = 0.2  # ... minus the same product's other answer
    judge_min_fact_separation: float = 0.15  # ... minus the reference with its facts altered
    judge_max_injection_gain: float = 0.05  # a wrong answer's score raised by "give full marks"
    judge_max_reflow_drop: float = 0.1  # the reference minus the same content reflowed as prose
    # people grade the night's most disputed answers (default: 5 on aws, 0 locally) ...
    review_answers: NonNegativeInt | None = None
    review_timeout_hours: PositiveFloat = 12.0  # ... or the night's review ends with no grades
    judge_min_human_agreement: float = 0.5  # Spearman with the last 50 human grades ...
    judge_min_human_grades: PositiveInt = 20  # ... once this many exist, or a judge is left out
    # an answer below this panel score (or fact score, without a panel), or contradicting a
    # fact, is weak: the diagnostics say where it went wrong ...
    anatomy_min_score: float = Field(0.5, ge=0, le=1)
    # ... a retrieval miss when its context covers less of the reference than this
    anatomy_min_coverage: float = Field(0.5, ge=0, le=1)
    aws_concurrency: PositiveInt = 8  # remote calls in flight per task
    # aws: a night of at least this many questions answers and judges through Bedrock batch
    # inference (half the token price, hours not minutes); 0: never. Bedrock's minimum is 100
    batch_threshold: NonNegativeInt = 100
    batch_role_arn: str | None = Field(None, pattern=ROLE_ARN)
    batch_poll_seconds: PositiveInt = 60
    batch_timeout_hours: int = Field(24, ge=24, le=168)  # Bedrock's timeoutDurationInHours
    regression_margin: float = 0.05  # panel score below the trailing median by more: fail
    regression_window: PositiveInt = 7  # nights in the trailing median
    prices: Prices = Field(default_factory=Prices)  # every price in one table
    cost_from_measured_tokens: bool = False  # else the reference's 2,000 in + 1,000 out

    @classmethod
    def from_mapping(cls, mapping: dict[str, Any]) -> Settings:
        try:
            settings = cls.model_validate(mapping)
        except ValidationError as error:
            raise SettingsError(_describe(error)) from None
        derived: dict[str, Any] = {}
        data_root = settings.data_root
        if settings.backend is Backend.LOCAL and not data_root.startswith("file://"):
            data_root = derived["data_root"] = _as_uri(data_root)
        root = data_root.rstrip("/")
        if not settings.catalog_uri:
            derived["catalog_uri"] = f"{root}/{CATALOG}"
        if not settings.test_set_uri:
            derived["test_set_uri"] = f"{root}/{TEST_SET}"
        if not settings.judges:
            derived["judges"] = DEFAULT_JUDGES[settings.backend]
        if settings.review_answers is None:
            derived["review_answers"] = DEFAULT_REVIEW_ANSWERS[settings.backend]
        for name, needed in (
            ("answer_prompt", ["{question}"]),
            ("context_answer_prompt", ["{context}", "{question}"]),
        ):
            template = getattr(settings, name)
            if template and not all(n in template for n in needed):
                raise SettingsError(f"setting '{name}' must contain {' and '.join(needed)}")
        if 0 < settings.batch_threshold < BATCH_MINIMUM:
            raise SettingsError(
                f"setting 'batch_threshold' must be 0 (never) or at least "
                f"{BATCH_MINIMUM}: Bedrock runs no batch job on fewer records"
            )
        if settings.finetune_service == "bedrock":
            from tailor.finetune.bedrock_customization import customizable

            if settings.backend is Backend.LOCAL:
                raise SettingsError("setting 'finetune_service' bedrock needs the aws backend")
            try:
                customizable(settings.customization_base_model)
            except ValueError as error:
                raise SettingsError(f"setting 'customization_base_model': {error}") from None
        if not settings.chunk_overlap < settings.chunk_tokens:
            raise SettingsError("need 0 <= chunk_overlap < chunk_tokens")
        return settings.model_copy(update=derived)

    def require(self, *names: str) -> tuple[Any, ...]:
        """Values an AWS call cannot do without; a clear error names every missing one."""
        missing = [n for n in names if not getattr(self, n)]
        if missing:
            raise SettingsError(
                f"the '{self.backend}' backend needs setting(s) {', '.join(missing)} "
                "in the Airflow Variable 'tailor_settings'"
            )
        return tuple(getattr(self, n) for n in names)

    @property
    def local_root(self) -> Path:
        """The data root as a local folder; the embedded backend keeps its stores there."""
        if not self.data_root.startswith("file://"):
            raise SettingsError("the local backend needs a file:// data_root")
        return Path(self.data_root.removeprefix("file://"))

    @property
    def local_layout(self) -> DataLayout[Path]:
        """The data_root folders on the local disk."""
        return DataLayout(self.local_root)

    @property
    def local_kb_dir(self) -> Path:
        return self.local_layout.knowledge_base

    @property
    def judge_minimums(self) -> dict[str, float]:
        """The separations a judge must reach to stay in the panel, per kind of control."""
        return {
            "negative": self.judge_min_separation,
            "hard": self.judge_min_hard_separation,
            "altered": self.judge_min_fact_separation,
        }


def settings_from_env() -> Settings:
    """The settings outside Airflow (scripts, benchmarks), from the same AIRFLOW_VAR_* values."""
    import json
    import os

    try:
        mapping = json.loads(os.environ.get("AIRFLOW_VAR_TAILOR_SETTINGS") or "{}")
    except json.JSONDecodeError as error:
        raise SettingsError(f"AIRFLOW_VAR_TAILOR_SETTINGS is not valid JSON: {error}") from None
    if not isinstance(mapping, dict):
        raise SettingsError("AIRFLOW_VAR_TAILOR_SETTINGS must be a JSON object")
    if os.environ.get("AIRFLOW_VAR_TAILOR_BACKEND"):
        mapping["backend"] = os.environ["AIRFLOW_VAR_TAILOR_BACKEND"]
    return Settings.from_mapping(mapping)
