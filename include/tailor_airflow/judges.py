"""The judge panel: which judges can sit tonight, and each judge's scoring call.

Local judges are the key-point judge (`tailor.local.keypoint_judge`: the answers point by point
with MiniLM, checked against the synced catalog; it can sit on the aws panel too) and SmolLM2
and Gemma 3, each scoring by likelihood (`tailor.local.judge`). On aws a judge is otherwise a
Bedrock model called through Converse; a model that is LEGACY, or that this
account cannot invoke in this region (GetFoundationModelAvailability: authorization,
entitlement, agreement, region), is reported in one line and left out before the night
starts, not turned into missing scores or a crashed task.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

from airflow.providers.amazon.aws.hooks.bedrock import BedrockHook, BedrockRuntimeHook
from botocore.exceptions import ClientError

from tailor.converse import reply_text, user_turn
from tailor.evaluation.judging import Item, structured_prompt
from tailor.evaluation.metrics import parse_judge_score
from tailor.settings import LOCAL_JUDGES, Backend, Settings
from tailor_airflow.config import synced_catalog
from tailor_airflow.hooks import adaptive_retries, aws_hook

log = logging.getLogger(__name__)

KEYPOINTS = "keypoints"  # the key-point judge: plain code and MiniLM, on either backend
_PROFILE = re.compile(r"^(us|eu|apac|au|jp|ca|us-gov|global)\.")


def foundation_model_id(model_id: str) -> str:
    """The model behind a cross-region inference profile id ("us.amazon.nova-pro-v1:0")."""
    return _PROFILE.sub("", model_id)


def preflight(settings: Settings, requested: list[str]) -> tuple[list[str], dict[str, str]]:
    """The judges that can score tonight, and why each other one was left out."""
    left_out: dict[str, str] = {}
    requested, wanted = [j for j in requested if j != KEYPOINTS], requested
    if settings.backend is Backend.LOCAL:
        for judge in requested:
            if judge not in LOCAL_JUDGES:
                left_out[judge] = f"not a local judge (local judges: {', '.join(LOCAL_JUDGES)})"
        return [j for j in wanted if j not in left_out], left_out
    bedrock = aws_hook(BedrockHook, settings)
    for judge in requested:
        model = foundation_model_id(judge)
        try:
            details = bedrock.conn.get_foundation_model(modelIdentifier=model)["modelDetails"]
            status = details.get("modelLifecycle", {}).get("status")
            if status != "ACTIVE":
                left_out[judge] = f"lifecycle status {status}"
                continue
            missing = access_problems(bedrock.conn.get_foundation_model_availability(modelId=model))
            if missing:
                left_out[judge] = f"no access: {', '.join(missing)}"
        except ClientError as error:
            left_out[judge] = f"unavailable: {error.response['Error'].get('Message', error)}"
    return [j for j in wanted if j not in left_out], left_out


def access_problems(availability: dict) -> list[str]:
    """What stops this account from invoking a model here (GetFoundationModelAvailability)."""
    found = {
        "authorization": availability["authorizationStatus"],
        "entitlement": availability["entitlementAvailability"],
        "agreement": availability["agreementAvailability"]["status"],
        "region": availability["regionAvailability"],
    }
    return [
        f"{what} {state}"
        for what, state in found.items()
        if state not in ("AUTHORIZED", "AVAILABLE")
    ]


def judge_inference(attempt: int) -> dict[str, float]:
    """Greedy first; a retry samples, so it does not repeat the same bad reply."""
    return {"maxTokens": 200, "temperature": 0.0 if not attempt else 0.7}


class BedrockJudge:
    """A Bedrock model asked for a JSON score; unparseable replies are asked again."""

    def __init__(self, settings: Settings, model_id: str) -> None:
        self.model_id = model_id
        self.retries = settings.judge_retries
        self.hook = aws_hook(BedrockRuntimeHook, settings, config=adaptive_retries())

    def score(self, item: Item, tried: int = 0) -> float | None:
        """`tried`: replies already found unparseable (by a batch job): the retries go on."""
        prompt = structured_prompt(item.question, item.reference, item.candidate)
        for attempt in range(tried, 1 + self.retries):
            response = self.hook.conn.converse(
                modelId=self.model_id,
                messages=user_turn(prompt),
                inferenceConfig=judge_inference(attempt),
            )
            text = reply_text(response)
            score = parse_judge_score(text)
            if score is not None:
                return score
            log.warning(f"{self.model_id}: unparseable reply (try {attempt + 1}): {text[:120]!r}")
        return None


def judge_scorer(settings: Settings, judge: str) -> tuple[Callable[[Item], float | None], int]:
    """The judge's scoring call, and how many calls it may have in flight."""
    if judge == KEYPOINTS:
        from tailor.local.keypoint_judge import KeyPointJudge

        return KeyPointJudge(synced_catalog(settings)).score, 1
    if settings.backend is Backend.AWS:
        return BedrockJudge(settings, judge).score, settings.aws_concurrency
    from tailor.local.judge import FactLikelihoodJudge
    from tailor.local.models import base_model_dir, gemma_dir

    model_dirs = {"smollm2": base_model_dir, "gemma3": gemma_dir}
    if judge not in model_dirs:
        raise ValueError(f"unknown local judge {judge!r}")
    return FactLikelihoodJudge(model_dirs[judge](Path(settings.model_cache_dir))).score, 1
