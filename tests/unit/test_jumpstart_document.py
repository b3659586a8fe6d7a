"""The serving container Tailor reads from JumpStart's hub document, as the sagemaker SDK does.

The document (tests/fixtures, built from the SDK's own Llama 3.1 test spec) keeps Llama 3.1's
serving image and per-instance-type settings only in the top-ranked inference config's
components (HostingInstanceTypeVariants), as SageMaker's public hub sends it; the request goes
through the real botocore client under the shipped IAM policy.
"""

from __future__ import annotations

import json

import pytest

from tests.support.aws_http import install
from tests.support.aws_iam import ACCOUNT, IamEnforcer, shipped_policy
from tests.support.jumpstart_hub import DOCUMENT, answer_hub_content, hosting_image

LMI = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"


@pytest.fixture
def hub(monkeypatch, tailor_settings):
    """The public hub answering for Llama 3.1 8B Instruct; every call held to the policy."""
    http = install(monkeypatch)
    answer_hub_content(http)
    policy = shipped_policy(
        Region="us-east-1",
        Account=ACCOUNT,
        Bucket="tailor-bucket",
        Prefix="tailor",
        KnowledgeBaseId="KB00000001",
        ExecutionRoleName="tailor-sagemaker",
        BatchRoleName="b",
        CustomizationRoleName="c",
    )
    iam = IamEnforcer(policy).install(monkeypatch)
    settings = {
        "backend": "aws",
        "data_root": "s3://tailor-bucket/tailor",
        "region_name": "us-east-1",
        "endpoint_name": "tailor-endpoint",
    }
    yield lambda **more: tailor_settings(**settings, **more)
    iam.assert_nothing_denied()


def container() -> dict:
    from tailor_airflow.config import load_settings
    from tailor_airflow.sagemaker_model import jumpstart_serving_container

    return jumpstart_serving_container(load_settings())


def test_the_image_and_settings_come_from_the_ranked_configs_instance_type_variant(hub):
    hub(inference_instance_type="ml.g5.48xlarge", accelerators_per_copy=2)
    served = container()
    assert served["Image"] == LMI == hosting_image("ml.g5.48xlarge")  # the g5 family's variant
    environment = served["Environment"]
    assert environment["HF_MODEL_ID"] == "/opt/ml/model"  # the lmi component's container env
    assert environment["OPTION_GPU_MEMORY_UTILIZATION"] == "0.95"  # ml.g5.48xlarge's variant
    # the variant shards over the instance's 8 GPUs; a copy has its own 2
    assert environment["OPTION_TENSOR_PARALLEL_DEGREE"] == environment["SM_NUM_GPUS"] == "2"


def test_a_family_without_instance_type_settings_gets_its_image_and_the_container_env(hub):
    hub(inference_instance_type="ml.g4dn.12xlarge")
    served = container()
    assert served["Image"] == LMI
    assert "OPTION_TENSOR_PARALLEL_DEGREE" not in served["Environment"]  # no variant sets it
    assert served["Environment"]["SM_NUM_GPUS"] == "4"


def test_the_fixture_is_the_sdks_document_with_its_provenance():
    from sagemaker.core.jumpstart.models import HubContentDocument

    raw = json.loads(DOCUMENT.read_text())
    document = HubContentDocument(**{k: v for k, v in raw.items() if not k.startswith("_")})
    assert document.HostingEcrUri is None and document.HostingInstanceTypeVariants is None
    assert document.InferenceConfigRankings["overall"].Rankings[0] == "lmi"
    assert "sagemaker-python-sdk" in raw["_provenance"]["_about"]
    assert document.ResourceNameBase == "meta-textgeneration-llama-3-1-8b-instruct"
