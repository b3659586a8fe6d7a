"""finetune's aws half after training: staging, gate and promotion against stubbed clients.

Submitting the training job (the sagemaker SDK's own JumpStart request) runs against the
moto server in test_aws_e2e.py, where SageMaker's hub document can be answered.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook
from airflow.sdk.exceptions import TaskDeferred
from botocore.response import StreamingBody
from botocore.stub import ANY

from tailor.endpoint.observe import EndpointAsleep
from tailor.finetune.registry import promote, read_current
from tailor.local.models import minilm_dir
from tailor_airflow.assets import MODEL
from tailor_airflow.autoscaling import DIMENSION
from tailor_airflow.config import load_settings
from tailor_airflow.promotion import DeployModelOperator, clean_up_candidates, gate_candidate
from tailor_airflow.sagemaker_model import SageMakerModels, resource_name
from tailor_airflow.scaling_triggers import InferenceComponentTrigger
from tailor_airflow.service_hooks import ApplicationAutoScalingHook, CloudWatchHook
from tailor_airflow.training import TrainModelOperator
from tests.support.aws_stubs import stubbed_hook
from tests.support.finetune_run import CANDIDATE, SWEEP, VERSION, context

NAME = resource_name(VERSION)
ROLE = "arn:aws:iam::123456789012:role/tailor-sagemaker"
ENDPOINT = "tailor-llm"
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.31.0-lmi13.0.0-cu124"
# JumpStart Llama fine-tunes write uncompressed weights under a prefix
ARTIFACTS = f"s3://tailor-bucket/tailor/models/{VERSION}/output/{NAME}/output/model/"
NOW = datetime(2026, 11, 21, tzinfo=UTC)


@pytest.fixture
def aws(tmp_path, tailor_settings, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    tailor_settings(
        backend="aws",
        data_root=str(tmp_path),
        endpoint_name=ENDPOINT,
        training_role_arn=ROLE,
        inference_image_uri=IMAGE,
        region_name="us-east-1",
        gate_margin=0.02,
        bertscore_model=str(minilm_dir()),
    )
    return tmp_path


def training(tmp_path) -> dict:
    return {
        "version": VERSION,
        "method": "instruction_tuning",
        "train_uri": f"s3://tailor-bucket/tailor/models/{VERSION}/train",
        "folder": str(tmp_path / "models" / VERSION),
    }


@pytest.fixture
def sagemaker(monkeypatch):
    with (
        stubbed_hook(monkeypatch, SageMakerHook, "sagemaker") as control,
        stubbed_hook(monkeypatch, AwsBaseHook, "sagemaker-runtime") as runtime,
        stubbed_hook(monkeypatch, ApplicationAutoScalingHook, "application-autoscaling") as scaling,
        stubbed_hook(monkeypatch, CloudWatchHook, "cloudwatch") as alarms,
    ):
        yield SimpleNamespace(control=control, runtime=runtime, scaling=scaling, alarms=alarms)


def expect_scaling_removed(sagemaker, component: str, registered: bool = True) -> None:
    """A deleted component's alarm and scalable target go with it (no-ops if never made)."""
    sagemaker.alarms.add_response("delete_alarms", {}, {"AlarmNames": [f"{component}-no-capacity"]})
    target = {
        "ServiceNamespace": "sagemaker",
        "ResourceId": f"inference-component/{component}",
        "ScalableDimension": DIMENSION,
    }
    if registered:
        sagemaker.scaling.add_response("deregister_scalable_target", {}, target)
    else:
        sagemaker.scaling.add_client_error(
            "deregister_scalable_target",
            service_error_code="ObjectNotFoundException",
            service_message="No scalable target registered",
            expected_params=target,
        )


def not_found(stubber, operation, **params):
    stubber.add_client_error(
        operation,
        service_error_code="ValidationException",
        service_message="Could not find it.",
        expected_params=params,
    )


def completed_job() -> dict:
    return {
        "TrainingJobName": NAME,
        "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{NAME}",
        "TrainingJobStatus": "Completed",
        "SecondaryStatus": "Completed",
        "ModelArtifacts": {"S3ModelArtifacts": ARTIFACTS},
        "AlgorithmSpecification": {"TrainingInputMode": "File"},
        "ResourceConfig": {
            "InstanceType": "ml.g5.12xlarge",
            "InstanceCount": 1,
            "VolumeSizeInGB": 256,
        },
        "StoppingCondition": {},
        "CreationTime": NOW,
        "TrainingTimeInSeconds": 1800,
        "BillableTimeInSeconds": 1800,
        "FinalMetricDataList": [{"MetricName": "train_loss", "Value": 0.61, "Timestamp": NOW}],
    }


def test_candidate_is_staged_as_its_own_inference_component(aws, sagemaker):
    control = sagemaker.control
    control.add_response("describe_training_job", completed_job(), {"TrainingJobName": NAME})
    control.add_response(
        "describe_endpoint",
        {
            "EndpointName": ENDPOINT,
            "EndpointArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{ENDPOINT}",
            "EndpointStatus": "InService",
            "CreationTime": NOW,
            "LastModifiedTime": NOW,
        },
        {"EndpointName": ENDPOINT},
    )
    control.add_response("describe_training_job", completed_job(), {"TrainingJobName": NAME})
    not_found(control, "describe_model", ModelName=NAME)
    control.add_response(
        "create_model",
        {"ModelArn": f"arn:aws:sagemaker:us-east-1:123456789012:model/{NAME}"},
        {
            "ModelName": NAME,
            "ExecutionRoleArn": ROLE,
            "PrimaryContainer": {
                "Image": IMAGE,
                "Environment": {"SM_NUM_GPUS": "4"},
                "ModelDataSource": {
                    "S3DataSource": {
                        "S3Uri": ARTIFACTS,
                        "S3DataType": "S3Prefix",
                        "CompressionType": "None",
                        "ModelAccessConfig": {"AcceptEula": True},
                    }
                },
            },
        },
    )
    not_found(control, "describe_inference_component", InferenceComponentName=NAME)
    control.add_response(
        "create_inference_component",
        {
            "InferenceComponentArn": f"arn:aws:sagemaker:us-east-1:123456789012:inference-component/{NAME}"
        },
        {
            "InferenceComponentName": NAME,
            "EndpointName": ENDPOINT,
            "VariantName": "AllTraffic",
            "Specification": {
                "ModelName": NAME,
                "StartupParameters": {
                    "ModelDataDownloadTimeoutInSeconds": 1200,
                    "ContainerStartupHealthCheckTimeoutInSeconds": 1200,
                },
                "ComputeResourceRequirements": {
                    "NumberOfAcceleratorDevicesRequired": 4,
                    "MinMemoryRequiredInMb": 1024,
                },
            },
            "RuntimeConfig": {"CopyCount": 1},
        },
    )
    operator = TrainModelOperator(task_id="train", training=training(aws), candidate=CANDIDATE)
    with pytest.raises(TaskDeferred) as deferred:
        operator.after_training(context(), {"status": "success"})  # endpoint exists: stage
    trigger = deferred.value.trigger
    assert isinstance(trigger, InferenceComponentTrigger)
    assert (trigger.component_name, trigger.target) == (NAME, 1)

    control.add_response("describe_training_job", completed_job(), {"TrainingJobName": NAME})
    trained = operator.candidate_ready(context(), {"status": "converged"})
    assert trained["inference_component"] == NAME and trained["model_artifacts"] == ARTIFACTS
    assert trained["metrics"] == {"train_loss": 0.61}
    assert (trained["candidate"], trained["hyperparameters"]) == (
        VERSION,
        {"epochs": 1.0, "learning_rate": 0.0002, "max_steps": 0},
    )


def invoke(stubber, component: str, text: str) -> None:
    body = json.dumps({"generated_text": text}).encode()
    stubber.add_response(
        "invoke_endpoint",
        {"Body": StreamingBody(io.BytesIO(body), len(body)), "ContentType": "application/json"},
        {
            "EndpointName": ENDPOINT,
            "InferenceComponentName": component,
            "ContentType": "application/json",
            "Body": ANY,
        },
    )


def write_gate_questions(root) -> list[dict]:
    questions = [
        {
            "question": "How much water does the BrewPro 3 tank hold?",
            "answer": "The removable water tank of the BrewPro 3 holds 1.8 litres.",
            "source": "test_set",
        },
        {
            "question": "What is the maximum torque of the ForgeDrive drill?",
            "answer": "The ForgeDrive delivers up to 65 Nm of maximum torque.",
            "source": "test_set",
        },
    ]
    folder = root / "models" / VERSION
    folder.mkdir(parents=True)
    (folder / "gate_questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    return questions


def expect_deleted(sagemaker, component: str) -> None:
    """clean_up_candidates finds the component, removes its scaling, it and its model."""
    control = sagemaker.control
    control.add_response(
        "describe_inference_component",
        {
            "InferenceComponentName": component,
            "InferenceComponentArn": f"arn:aws:sagemaker:us-east-1:123456789012:inference-component/{component}",
            "EndpointName": ENDPOINT,
            "EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/x",
            "CreationTime": NOW,
            "LastModifiedTime": NOW,
        },
        {"InferenceComponentName": component},
    )
    expect_scaling_removed(sagemaker, component, registered=False)
    control.add_response("delete_inference_component", {}, {"InferenceComponentName": component})
    control.add_response(
        "describe_model",
        {
            "ModelName": component,
            "ModelArn": f"arn:aws:sagemaker:us-east-1:123456789012:model/{component}",
            "CreationTime": NOW,
        },
        {"ModelName": component},
    )
    control.add_response("delete_model", {}, {"ModelName": component})


def staged(candidate: dict) -> dict:
    """What train returns for a candidate staged on the endpoint."""
    return {
        "candidate": candidate["name"],
        "hyperparameters": candidate["hyperparameters"],
        "inference_component": resource_name(candidate["name"]),
    }


def test_a_sweeps_best_candidate_is_gated_and_every_unserved_one_cleaned_up(aws, sagemaker):
    questions = write_gate_questions(aws)
    promote(aws / "models", {"version": "ft-old", "inference_component": "tailor-ft-old"})
    first, second = (resource_name(c["name"]) for c in SWEEP)
    invoke(sagemaker.runtime, first, "I do not know.")
    invoke(sagemaker.runtime, first, "Something about drills.")
    invoke(sagemaker.runtime, second, "The tank holds some water.")
    invoke(sagemaker.runtime, second, "The ForgeDrive delivers torque.")
    for q in questions:  # the served model answers with the reference itself
        invoke(sagemaker.runtime, "tailor-ft-old", q["answer"])

    record = gate_candidate(training(aws), [staged(c) for c in SWEEP], skip=False)
    assert record["winner"]["candidate"] == SWEEP[1]["name"]  # the closer answers win
    scores = {c["name"]: c["score"] for c in record["candidates"]}
    assert record["candidate_score"] == scores[SWEEP[1]["name"]] > scores[SWEEP[0]["name"]]
    assert record["candidates"][0]["vs_winner"]["mean"] < 0  # the loser, paired with the winner
    assert record["winner_reason"].startswith("highest mean of 2 candidates")
    assert [q["candidate"] for q in record["questions"]][0] == "The tank holds some water."
    assert not record["promote"] and record["reason"].startswith("NOT PROMOTED")
    assert record["deployed_version"] == "ft-old" and record["deployed_score"] > 0.9
    sagemaker.runtime.assert_no_pending_responses()

    # rejected: neither candidate is served, so both go; the served component stays
    expect_deleted(sagemaker, first)
    expect_deleted(sagemaker, second)
    assert clean_up_candidates(SWEEP) == [c["name"] for c in SWEEP]
    sagemaker.control.assert_no_pending_responses()
    assert read_current(aws / "models")["version"] == "ft-old"


def test_deploy_serves_the_gates_winner_and_clean_up_spares_it(aws, sagemaker):
    write_gate_questions(aws)
    winner, loser = staged(SWEEP[1]), staged(SWEEP[0])
    (aws / "models" / VERSION / "gate.json").write_text(
        json.dumps({"candidate_score": 0.7, "winner": winner})
    )
    promote(aws / "models", {"version": "ft-old", "inference_component": "tailor-ft-old"})
    control = sagemaker.control
    control.add_response(
        "describe_inference_component",
        {
            "InferenceComponentName": "tailor-ft-old",
            "InferenceComponentArn": "arn:aws:sagemaker:us-east-1:123456789012:inference-component/o",
            "EndpointName": ENDPOINT,
            "EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/x",
            "CreationTime": NOW,
            "LastModifiedTime": NOW,
        },
        {"InferenceComponentName": "tailor-ft-old"},
    )
    expect_scaling_removed(sagemaker, "tailor-ft-old")  # the served one scaled out from zero
    control.add_response(
        "delete_inference_component", {}, {"InferenceComponentName": "tailor-ft-old"}
    )
    not_found(control, "describe_model", ModelName="tailor-ft-old")  # its model was already gone

    operator = DeployModelOperator(task_id="deploy", training=training(aws))
    ctx = context()
    record = operator.execute(ctx)
    assert record["inference_component"] == winner["inference_component"]
    current = read_current(aws / "models")
    assert (
        current["version"],
        current["candidate"],
        current["inference_component"],
        current["previous"],
    ) == (
        VERSION,
        SWEEP[1]["name"],
        winner["inference_component"],
        "ft-old",
    )
    assert ctx["outlet_events"][MODEL].extra["version"] == VERSION

    expect_deleted(sagemaker, loser["inference_component"])  # the winner is not even looked at
    assert clean_up_candidates(SWEEP) == [SWEEP[0]["name"]]
    control.assert_no_pending_responses()


def test_an_invocation_at_zero_copies_is_reported_as_asleep(aws, sagemaker):
    sagemaker.runtime.add_client_error(
        "invoke_endpoint",
        service_error_code="ValidationError",
        service_message="Inference Component has no capacity to process this request.",
    )
    with pytest.raises(EndpointAsleep, match="asleep"):
        SageMakerModels(load_settings()).answer(
            NAME, "How much water does the BrewPro 3 tank hold?"
        )


def test_a_tarball_stays_a_model_data_url():
    from tailor_airflow.sagemaker_model import model_data

    assert model_data("s3://b/p/model.tar.gz") == {"ModelDataUrl": "s3://b/p/model.tar.gz"}
    source = model_data("s3://b/p/output/model")["ModelDataSource"]["S3DataSource"]
    assert (source["S3Uri"], source["CompressionType"]) == ("s3://b/p/output/model/", "None")
