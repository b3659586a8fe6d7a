"""SageMaker's public hub as the sagemaker SDK reads it: DescribeHubContent for a JumpStart model.

sagemaker 3.27's `ModelTrainer.from_jumpstart_config` takes the model's training image,
source tarball, hyperparameters and gating from this document (not from the JumpStart
manifest/spec files of earlier SDKs). The reply is validated like every canned reply; the
document itself is tests/fixtures/jumpstart_llama31_8b_instruct_hub_document.json, whose
`_source` says where its shape and values come from.
"""

from __future__ import annotations

import json
from pathlib import Path

DOCUMENT = Path(__file__).parent / "fixtures" / "jumpstart_llama31_8b_instruct_hub_document.json"
VERSION = "2.8.0"
HUB = "arn:aws:sagemaker:us-east-1:aws:hub/SageMakerPublicHub"


def answer_hub_content(http, without: tuple[str, ...] = ()) -> None:
    """DescribeHubContent answers for Llama 3.1 8B Instruct in SageMakerPublicHub only;
    `without` leaves fields out of the document."""
    document = {k: v for k, v in json.loads(DOCUMENT.read_text()).items() if k not in without}

    def describe(url: str, body: dict) -> dict:
        assert (body["HubName"], body["HubContentType"]) == ("SageMakerPublicHub", "Model"), body
        name = body["HubContentName"]
        assert name == "meta-textgeneration-llama-3-1-8b-instruct", name
        return {"HubContentName": name, "HubContentVersion": VERSION, "HubContentType": "Model",
                "HubContentArn": f"arn:aws:sagemaker:us-east-1:aws:hub-content/SageMakerPublicHub/"
                                 f"Model/{name}/{VERSION}",
                "DocumentSchemaVersion": "2.3.0", "HubName": "SageMakerPublicHub", "HubArn": HUB,
                "HubContentDocument": json.dumps(document),  # one line, as AWS sends it
                "HubContentStatus": "Available",
                "CreationTime": 1763600000}  # fmt: skip

    http.respond("SageMaker.DescribeHubContent", describe)


def training_image() -> str:
    return json.loads(DOCUMENT.read_text())["TrainingEcrUri"]


def hosting_image() -> str:
    return json.loads(DOCUMENT.read_text())["HostingEcrUri"]
