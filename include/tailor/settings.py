"""Tailor's settings: one mapping, validated, with defaults that run on a laptop.

Airflow reads it from the Variable ``tailor_settings`` (JSON) and the backend from the
Variable ``tailor_backend``; both can come from ``AIRFLOW_VAR_*`` environment variables.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from tailor.prices import Prices

REPO_ROOT = Path(__file__).resolve().parents[2]


class Backend(StrEnum):
    LOCAL = "local"
    AWS = "aws"


class SettingsError(ValueError):
    """A missing or invalid setting; the message names it."""


DEFAULT_JUDGES = {
    # two local model families: SmolLM2 (digit probabilities), Gemma 3 (yes/no probability)
    "local": ("smollm2", "gemma3"),
    # three Bedrock families, called through Converse (cross-region inference profiles)
    "aws": (
        "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        "us.amazon.nova-pro-v1:0",
        "google.gemma-3-27b-it",
    ),
}


def _as_uri(location: str) -> str:
    return location if "://" in location else Path(location).resolve().as_uri()


@dataclass(frozen=True)
class Settings:
    backend: Backend = Backend.LOCAL
    data_root: str = (REPO_ROOT / "data").as_uri()
    catalog_uri: str = ""  # default: <data_root>/catalog
    aws_conn_id: str = "aws_default"
    region_name: str | None = None
    knowledge_base_id: str | None = None
    data_source_id: str | None = None
    chunk_tokens: int = 200  # MiniLM reads 256 tokens; the reference's 512 would be truncated
    chunk_overlap: int = 40  # 20%, as the reference
    top_k: int = 3
    fail_on_failed_documents: bool = True
    ingestion_poll_seconds: int = 30
    ingestion_timeout_minutes: int = 180
    # the model endpoint
    endpoint_name: str | None = None
    endpoint_kind: str = "inference_components"  # or "legacy": one model, deleted at zero
    inference_component_name: str | None = None  # none: a legacy endpoint without components
    endpoint_config_name: str | None = None  # legacy wake-up when no deletion was recorded
    endpoint_copies: int = 1  # serving copies when up
    endpoint_poll_seconds: int = 30
    endpoint_timeout_minutes: int = 20
    lease_minutes: int = 240
    autoscale_from_zero: bool = False  # aws: an invocation at zero copies wakes the component
    local_endpoint_port: int = 8011
    model_cache_dir: str = str(REPO_ROOT / "data" / "model-cache")
    # fine-tuning
    test_set_uri: str = ""  # default: <data_root>/test_set.json
    base_model_id: str = "meta-textgeneration-llama-3-1-8b-instruct"  # JumpStart (aws)
    training_instance_type: str = "ml.g5.12xlarge"
    training_role_arn: str | None = None  # also the SageMaker model's execution role
    training_max_runtime_hours: int = 12  # the job's MaxRuntimeInSeconds (SageMaker: 1 h if unset)
    inference_instance_type: str = "ml.g5.12xlarge"
    inference_image_uri: str | None = None  # none: resolved from JumpStart by the sagemaker SDK
    accelerators_per_copy: int = 4
    bertscore_model: str | None = (
        None  # none: MiniLM (local), roberta-large (aws, as the reference)
    )
    gate_margin: float = 0.02  # BERTScore F1 a candidate may lose and still be promoted
    gate_questions: int = 8  # held-out pairs, and as many test questions, per model
    # nightly evaluation
    rag_model_id: str = "us.meta.llama3-1-8b-instruct-v1:0"  # aws: Bedrock Converse (rag, base)
    answer_prompt: str = ""  # default: the reference's prompt; must contain {question}
    context_answer_prompt: str = ""  # default: the reference's; {context} and {question}
    max_answer_tokens: int = 512  # aws; the local models answer in at most 96 tokens
    judges: tuple[str, ...] = ()  # default: the backend's panel (see DEFAULT_JUDGES)
    judge_retries: int = 2  # more tries for an unparseable reply, then the score is missing
    judge_controls: int = 5  # questions per night that get a positive and a negative control
    judge_min_separation: float = 0.1  # positive minus negative control mean, on 0-1
    aws_concurrency: int = 8  # remote calls in flight per task
    regression_margin: float = 0.05  # panel score below the trailing median by more: fail
    regression_window: int = 7  # nights in the trailing median
    prices: Prices = field(default_factory=Prices)  # every price in one table
    cost_from_measured_tokens: bool = False  # else the reference's 2,000 in + 1,000 out

    @classmethod
    def from_mapping(cls, mapping: dict[str, Any]) -> Settings:
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(mapping) - set(fields))
        if unknown:
            raise SettingsError(f"unknown Tailor setting(s): {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for name, value in mapping.items():
            default = fields[name].default
            try:
                if name == "backend":
                    value = Backend(value)
                elif name == "prices":
                    if not isinstance(value, dict):
                        raise TypeError
                    value = Prices.from_mapping(value)
                elif isinstance(default, tuple):
                    if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                        raise TypeError
                    value = tuple(value)
                elif isinstance(default, bool):
                    if not isinstance(value, bool):
                        raise TypeError
                elif isinstance(default, int):
                    value = int(value)
                elif isinstance(default, float):
                    value = float(value)
            except ValueError as error:
                if name == "prices":
                    raise SettingsError(f"setting 'prices': {error}") from None
                raise SettingsError(f"setting '{name}' has an invalid value {value!r}") from None
            except TypeError:
                raise SettingsError(f"setting '{name}' has an invalid value {value!r}") from None
            values[name] = value
        settings = cls(**values)
        if settings.backend is Backend.LOCAL and not settings.data_root.startswith("file://"):
            settings = dataclasses.replace(settings, data_root=_as_uri(settings.data_root))
        root = settings.data_root.rstrip("/")
        if not settings.catalog_uri:
            settings = dataclasses.replace(settings, catalog_uri=f"{root}/catalog")
        if not settings.test_set_uri:
            settings = dataclasses.replace(settings, test_set_uri=f"{root}/test_set.json")
        if settings.endpoint_kind not in ("inference_components", "legacy"):
            raise SettingsError("endpoint_kind must be 'inference_components' or 'legacy'")
        if not settings.judges:
            settings = dataclasses.replace(settings, judges=DEFAULT_JUDGES[settings.backend])
        for name, needed in (("answer_prompt", ["{question}"]),
                             ("context_answer_prompt", ["{context}", "{question}"])):  # fmt: skip
            template = getattr(settings, name)
            if template and not all(n in template for n in needed):
                raise SettingsError(f"setting '{name}' must contain {' and '.join(needed)}")
        if not 0 <= settings.chunk_overlap < settings.chunk_tokens:
            raise SettingsError("need 0 <= chunk_overlap < chunk_tokens")
        return settings

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
    def local_kb_dir(self) -> Path:
        return self.local_root / "knowledge_base"


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
