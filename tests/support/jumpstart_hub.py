"""SageMaker's public hub as the sagemaker SDK reads it: DescribeHubContent for a JumpStart model.

sagemaker 3.27's `ModelTrainer.from_jumpstart_config` takes the model's training image,
source tarball, hyperparameters and gating from this document (not from the JumpStart
manifest/spec files of earlier SDKs); Tailor reads its serving container from it. The reply
is validated like every canned reply; the document itself is
tests/fixtures/jumpstart_llama31_8b_instruct_hub_document.json, built from the SDK's own Llama
3.1 test spec: its `_provenance` (left out of the reply: AWS sends no such key) and
tests/fixtures/README.md say where each value comes from.
"""

from __future__ import annotations

import json
from pathlib import Path

DOCUMENT = (
    Path(__file__).parents[1] / "fixtures" / "jumpstart_llama31_8b_instruct_hub_document.json"
)
VERSION = "2.8.0"
HUB = "arn:aws:sagemaker:us-east-1:aws:hub/SageMakerPublicHub"


def answer_hub_content(http, without: tuple[str, ...] = ()) -> None:
    """DescribeHubContent answers for Llama 3.1 8B Instruct in SageMakerPublicHub only;
    `without` leaves fields out of the document."""
    document = {
        k: v
        for k, v in json.loads(DOCUMENT.read_text()).items()
        if k not in without and not k.startswith("_")
    }

    def describe(url: str, body: dict) -> dict:
        assert (body["HubName"], body["HubContentType"]) == ("SageMakerPublicHub", "Model"), body
        name = body["HubContentName"]
        assert name == "meta-textgeneration-llama-3-1-8b-instruct", name
        return {
            "HubContentName": name,
            "HubContentVersion": VERSION,
            "HubContentType": "Model",
            "HubContentArn": f"arn:aws:sagemaker:us-east-1:aws:hub-content/SageMakerPublicHub/"
            f"Model/{name}/{VERSION}",
            "DocumentSchemaVersion": "2.3.0",
            "HubName": "SageMakerPublicHub",
            "HubArn": HUB,
            "HubContentDocument": json.dumps(document),  # one line, as AWS sends it
            "HubContentStatus": "Available",
            "CreationTime": 1763600000,
        }

    http.respond("SageMaker.DescribeHubContent", describe)


def training_image() -> str:
    return json.loads(DOCUMENT.read_text())["TrainingEcrUri"]


def serving_component() -> dict:
    """The top-ranked inference config's component: where the document keeps its serving
    image and the per-instance-type variants."""
    document = json.loads(DOCUMENT.read_text())
    (name,) = document["InferenceConfigs"][
        document["InferenceConfigRankings"]["overall"]["Rankings"][0]
    ]["ComponentNames"]
    return document["InferenceConfigComponents"][name]


def hosting_image(instance_type: str) -> str:
    """The serving image the document names for the instance type's family."""
    family = instance_type.split(".")[1]
    return serving_component()["HostingInstanceTypeVariants"]["Variants"][family]["Properties"][
        "ImageUri"
    ]
