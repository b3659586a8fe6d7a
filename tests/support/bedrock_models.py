"""Bedrock's model catalog as one region (us-east-1) answers it, for the strict aws emulation.

GetFoundationModel, GetFoundationModelAvailability and GetInferenceProfile below the real
botocore clients (aws_http), every reply checked against botocore's model (tests/support/aws_shapes.py).
What each model supports here is the emulation's reading of AWS's model cards, to be checked
with `aws bedrock get-foundation-model` on a real account: newer Anthropic models and Llama 3.1
serve only through cross-region inference profiles (GetFoundationModel then lists
INFERENCE_PROFILE, a value botocore's enum lacks), and a profile routes to its geography's
regions (tests/support/aws_iam.py PROFILE_DESTINATIONS, which IAM authorizes the model in).
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.support.aws_http import AwsError, FakeHttp
from tests.support.aws_iam import ACCOUNT, INFERENCE_PROFILE, profile_destinations

REGION = "us-east-1"


@dataclass(frozen=True)
class Model:
    name: str  # modelName: botocore allows 20 characters, so some are shortened
    provider: str
    inference: tuple[str, ...]  # inferenceTypesSupported
    customizations: tuple[str, ...] = ()


CATALOG = {
    "meta.llama3-1-8b-instruct-v1:0": Model("Llama 3.1 8B", "Meta", ("INFERENCE_PROFILE",)),
    # Bedrock fine-tunes Llama 3.1 in us-west-2 only: here it lists no customization
    "meta.llama3-1-8b-instruct-v1:0:128k": Model("Llama 3.1 8B", "Meta", ("PROVISIONED",)),
    "anthropic.claude-haiku-4-5-20251001-v1:0": Model(
        "Claude Haiku 4.5", "Anthropic", ("INFERENCE_PROFILE",)
    ),
    "anthropic.claude-3-haiku-20240307-v1:0": Model(
        "Claude 3 Haiku", "Anthropic", ("ON_DEMAND", "INFERENCE_PROFILE")
    ),
    "amazon.nova-pro-v1:0": Model("Nova Pro", "Amazon", ("ON_DEMAND", "INFERENCE_PROFILE")),
    "amazon.nova-premier-v1:0": Model("Nova Premier", "Amazon", ("INFERENCE_PROFILE",)),
    "amazon.nova-micro-v1:0:128k": Model(
        "Nova Micro", "Amazon", ("PROVISIONED",), ("FINE_TUNING", "DISTILLATION")
    ),
    "amazon.nova-lite-v1:0:300k": Model(
        "Nova Lite", "Amazon", ("PROVISIONED",), ("FINE_TUNING", "DISTILLATION")
    ),
    "amazon.titan-text-express-v1": Model("Titan Text Express", "Amazon", ("ON_DEMAND",)),
    "google.gemma-3-27b-it": Model("Gemma 3 27B IT", "Google", ("ON_DEMAND",)),
}


def _identifier(where: str, marker: str) -> str:
    return where.split(marker)[1].split(" ")[0].replace("%3A", ":")


def answer_model_catalog(http: FakeHttp, legacy: str = "", authorized: bool = True) -> None:
    """The three lookups for every model in CATALOG (any other id: an on-demand text model);
    ids containing `legacy` are LEGACY; access is AUTHORIZED for all, or for none."""

    def foundation_model(where: str, body: dict) -> dict:
        model_id = _identifier(where, "/foundation-models/")
        model = CATALOG.get(model_id, Model(model_id.split(".", 1)[-1], "Other", ("ON_DEMAND",)))
        details = {
            "modelArn": f"arn:aws:bedrock:{REGION}::foundation-model/{model_id}",
            "modelId": model_id,
            "modelName": model.name,
            "providerName": model.provider,
            "inputModalities": ["TEXT"],
            "outputModalities": ["TEXT"],
            "responseStreamingSupported": True,
            "customizationsSupported": list(model.customizations),
            "inferenceTypesSupported": list(model.inference),
            "modelLifecycle": {"status": "LEGACY" if legacy and legacy in model_id else "ACTIVE"},
        }
        return {"modelDetails": details}

    http.respond("/foundation-models/", foundation_model)
    http.respond(
        "/foundation-model-availability/",
        lambda where, body: {
            "modelId": _identifier(where, "/foundation-model-availability/"),
            "agreementAvailability": {"status": "AVAILABLE"},
            "authorizationStatus": "AUTHORIZED" if authorized else "NOT_AUTHORIZED",
            "entitlementAvailability": "AVAILABLE",
            "regionAvailability": "AVAILABLE",
        },
    )
    http.respond("/inference-profiles/", inference_profile)


def inference_profile(where: str, body: dict) -> dict:
    """A system-defined profile exists for each catalog model served through profiles, one per
    geography prefix; anything else is not found, as AWS answers an unknown profile."""
    profile_id = _identifier(where, "/inference-profiles/")
    model_id = profile_id.split(".", 1)[-1]
    model = CATALOG.get(model_id)
    if (
        not INFERENCE_PROFILE.match(profile_id)
        or not model
        or ("INFERENCE_PROFILE" not in model.inference)
    ):
        raise AwsError(
            "ResourceNotFoundException", f"The inference profile {profile_id} was not found.", 404
        )
    geography = profile_id.split(".", 1)[0].upper()
    return {
        "inferenceProfileName": f"{geography} {model.name}".replace(".", " "),
        "inferenceProfileArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/{profile_id}",
        "inferenceProfileId": profile_id,
        "models": [
            {"modelArn": f"arn:aws:bedrock:{r}::foundation-model/{model_id}"}
            for r in profile_destinations(profile_id, REGION)
        ],
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED",
    }
