"""Preflight checks on the Bedrock model ids as written: what AWS refuses on the first call.

A bare foundation-model id of a model served only through inference profiles fails its first
Converse ("Invocation of model ID ... with on-demand throughput isn't supported"); a profile id
that does not exist in the region fails the same way; a customization base model that does not
list FINE_TUNING here fails CreateModelCustomizationJob. Each is read from the control plane
(GetFoundationModel, GetInferenceProfile) before the first night.
"""

from __future__ import annotations

from airflow.providers.amazon.aws.hooks.bedrock import BedrockHook
from botocore.exceptions import ClientError

from tailor.settings import Settings
from tailor_airflow.aws_errors import error_matches
from tailor_airflow.hooks import aws_hook
from tailor_airflow.judges import foundation_model_id
from tailor_airflow.preflight_check import Check

# the geography prefix of a region's system-defined cross-region profiles
GEOGRAPHY = {"us": "us", "eu": "eu", "ap": "apac", "ca": "ca"}


def profile_id(model_id: str, region: str) -> str:
    """The cross-region profile id for a bare model id in `region` ("us." in us-east-1)."""
    return f"{GEOGRAPHY.get(region.split('-')[0], 'us')}.{model_id}"


def _not_found(err: ClientError) -> bool:
    return error_matches(err, lambda code, message: code == "ResourceNotFoundException")


def _profile_problem(bedrock, model: str, region: str) -> tuple[str | None, str]:
    """(problem, note): the profile exists here and is active; the note names where it routes,
    the regions the policy must allow its model in."""
    try:
        profile = bedrock.get_inference_profile(inferenceProfileIdentifier=model)
    except ClientError as err:
        if _not_found(err):
            return f"{model}: no such inference profile in {region}", ""
        raise
    if profile["status"] != "ACTIVE":
        return f"{model}: inference profile {profile['status']}", ""
    regions = sorted({m["modelArn"].split(":")[3] or "any region" for m in profile["models"]})
    return None, f"{model} routes to {', '.join(regions)}"


def _bare_id_problem(bedrock, model: str, region: str) -> str | None:
    """A bare id Converse accepts only for a model this region serves on demand."""
    details = bedrock.get_foundation_model(modelIdentifier=model)["modelDetails"]
    types = details.get("inferenceTypesSupported") or []
    if "ON_DEMAND" in types:
        return None
    return (
        f"{model} is not served on demand in {region} ({', '.join(types) or 'no inference'}"
        f"): use its inference profile {profile_id(model, region)}"
    )


def check_model_ids(settings: Settings) -> Check:
    """rag_model_id and every judge, as Converse will be called with them."""
    bedrock = aws_hook(BedrockHook, settings).conn
    region = settings.region_name or bedrock.meta.region_name
    problems, routes = [], []
    for model in dict.fromkeys([settings.rag_model_id, *settings.judges]):
        if model.startswith("arn:"):
            continue  # a custom deployment or an application profile: the nightly preflight's
        if foundation_model_id(model) != model:  # a cross-region profile id
            problem, route = _profile_problem(bedrock, model, region)
            routes += [route] if route else []
        else:
            problem = _bare_id_problem(bedrock, model, region)
        problems += [problem] if problem else []
    return Check(
        "model ids",
        not problems,
        "; ".join(problems) or "; ".join(routes) or "on-demand ids",
        "set rag_model_id/judges to the ids named, and grant each profile and its model in "
        "every region it routes to (docs/aws-setup.md)",
    )


def check_customization_base_model(settings: Settings) -> Check:
    """The Bedrock base model fine-tunes in this region (customizationsSupported)."""
    bedrock = aws_hook(BedrockHook, settings).conn
    model = settings.customization_base_model
    details = bedrock.get_foundation_model(modelIdentifier=model)["modelDetails"]
    supported = details.get("customizationsSupported") or []
    return Check(
        "customization base model",
        "FINE_TUNING" in supported,
        f"{model} supports {', '.join(supported) or 'no customization'} in {settings.region_name}",
        "choose a customization_base_model that lists FINE_TUNING in this region "
        "(aws bedrock list-foundation-models --by-customization-type FINE_TUNING)",
    )


def check_batch_models(settings: Settings) -> Check:
    """Which models a large night runs as batch jobs: those a Service Quotas batch minimum
    names (the night's own lookup); the others are asked online. Says so; fails nothing."""
    from tailor_airflow.batch_inference import batch_minimums

    minimums = batch_minimums(
        settings, list(dict.fromkeys([settings.rag_model_id, *settings.judges]))
    )
    batched = [f"{m} (from {n} records)" for m, n in minimums.items() if n is not None]
    online = [m for m, n in minimums.items() if n is None]
    return Check(
        "batch models",
        True,
        f"batch: {', '.join(batched) or 'none'}; online (no batch quota names it): "
        f"{', '.join(online) or 'none'}",
    )
