"""One implementation per fine-tuning service (tailor_airflow.tuned): the settings choose what
tonight's candidates are trained and cleaned with; a record chooses what retires it."""

from __future__ import annotations

import pytest

from tailor.settings import Settings
from tailor_airflow.tuned import serving_models, tuned_models
from tailor_airflow.tuned.bedrock import BedrockTunedModels
from tailor_airflow.tuned.local import LocalTunedModels
from tailor_airflow.tuned.sagemaker import SageMakerTunedModels

AWS = {
    "backend": "aws",
    "region_name": "us-east-1",
    "endpoint_name": "tailor-endpoint",
    "inference_component_name": "tailor-ft-cfg",
}
BEDROCK_RECORD = {
    "version": "ft-2",
    "serving": "on_demand",
    "serving_name": "tailor-ft-2",
    "serving_arn": "arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/abc",
}


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        ({}, LocalTunedModels),
        (AWS, SageMakerTunedModels),
        ({**AWS, "finetune_service": "bedrock"}, BedrockTunedModels),
    ],
)
def test_the_settings_choose_the_service_tonights_candidates_use(mapping, expected):
    assert type(tuned_models(Settings.from_mapping(mapping))) is expected


def test_a_sagemaker_model_is_retired_by_sagemaker_after_the_settings_moved_to_bedrock():
    settings = Settings.from_mapping({**AWS, "finetune_service": "bedrock"})
    previous = {"version": "ft-1", "inference_component": "tailor-ft-1"}

    assert type(serving_models(settings, previous)) is SageMakerTunedModels
    assert type(serving_models(settings, BEDROCK_RECORD)) is BedrockTunedModels
    assert type(serving_models(settings, None)) is SageMakerTunedModels  # the configured one


def test_what_still_serves_the_promoted_model_is_never_retired(monkeypatch):
    sagemaker = SageMakerTunedModels(Settings.from_mapping(AWS))
    deleted = []
    monkeypatch.setattr(sagemaker.models, "delete_component", deleted.append)
    served = sagemaker.served(None)  # nothing promoted yet: the configured component serves

    assert served == {"inference_component": "tailor-ft-cfg"}
    assert sagemaker.retire(served, {"inference_component": "tailor-ft-cfg"}) is None
    assert sagemaker.retire(served, {"inference_component": "tailor-ft-2"}) is not None
    assert deleted == ["tailor-ft-cfg"]

    bedrock = BedrockTunedModels(Settings.from_mapping({**AWS, "finetune_service": "bedrock"}))
    stopped = []
    monkeypatch.setattr(bedrock.models, "stop_serving", lambda *args: stopped.append(args))
    assert bedrock.retire(BEDROCK_RECORD, BEDROCK_RECORD) is None
    assert bedrock.retire(BEDROCK_RECORD, {"serving_arn": "arn:other"}).endswith("tailor-ft-2")
    assert stopped == [("tailor-ft-2", "on_demand")]
