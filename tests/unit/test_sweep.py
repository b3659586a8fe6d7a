"""The sweep's candidates, the choice of the best, and the endpoint's room to stage them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook
from airflow.sdk.exceptions import AirflowFailException

from tailor.errors import InputError
from tailor.finetune.sweep import pick_winner, plan_candidates
from tailor_airflow.training_set import plan_sweep
from tests.support.aws_stubs import stubbed_hook

RUN = {"epochs": 1.0, "learning_rate": 2e-4, "max_steps": 0, "method": "instruction_tuning"}
ENDPOINT = "tailor-llm"
NOW = datetime(2026, 12, 6, tzinfo=UTC)


def test_no_sweep_is_one_candidate_named_after_the_version():
    (only,) = plan_candidates("ft-1", RUN, [])
    assert only == {
        "version": "ft-1",
        "name": "ft-1",
        "index": 0,
        "hyperparameters": {"epochs": 1.0, "learning_rate": 2e-4, "max_steps": 0},
    }


def test_each_set_is_a_candidate_filled_in_by_the_runs_values():
    first, second = plan_candidates("ft-1", RUN, [{"learning_rate": 1e-4}, {"epochs": 2.0}])
    assert (first["name"], second["name"]) == ("ft-1-1", "ft-1-2")
    assert first["hyperparameters"] == {"epochs": 1.0, "learning_rate": 1e-4, "max_steps": 0}
    assert second["hyperparameters"] == {"epochs": 2.0, "learning_rate": 2e-4, "max_steps": 0}


def test_a_set_that_comes_to_the_same_values_as_another_is_refused():
    with pytest.raises(InputError, match=r"Param sweep: entry 2 repeats entry 1"):
        plan_candidates("ft-1", RUN, [{"epochs": 1.0}, {"learning_rate": 2e-4}])


def test_the_highest_mean_wins_and_a_tie_goes_to_the_first_listed():
    winner, why = pick_winner({"a": [0.5, 0.75], "b": [0.625, 0.625], "c": [0.5, 0.5]})
    assert winner == "a" and why == "highest mean of 3 candidates: 0.6250 (b 0.6250, c 0.5000)"
    assert pick_winner({"a": [0.5], "b": [0.9]})[0] == "b"
    assert pick_winner({"a": [0.5]}) == ("a", "the only candidate")


def test_the_sweep_param_rejects_what_the_schema_forbids():
    from airflow.sdk import Param
    from airflow.sdk.exceptions import ParamValidationError

    from tailor.finetune.sweep import sweep_schema

    param = Param([], **sweep_schema())
    assert param.resolve([{"learning_rate": 1e-4}, {"learning_rate": 5e-4}])
    for bad in (
        [{"learning_rate": 0}],
        [{"lr": 1e-4}],
        [{}],
        [{"epochs": 2}] * 2,
        [{"max_steps": n + 1} for n in range(5)],
    ):
        with pytest.raises(ParamValidationError):
            param.resolve(bad)


def endpoint_with_room(control, max_instances: int) -> None:
    control.add_response(
        "describe_endpoint",
        {
            "EndpointName": ENDPOINT,
            "EndpointArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{ENDPOINT}",
            "EndpointConfigName": f"{ENDPOINT}-components",
            "EndpointStatus": "InService",
            "CreationTime": NOW,
            "LastModifiedTime": NOW,
        },
        {"EndpointName": ENDPOINT},
    )
    control.add_response(
        "describe_endpoint_config",
        {
            "EndpointConfigName": f"{ENDPOINT}-components",
            "EndpointConfigArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/{ENDPOINT}-components",
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "InstanceType": "ml.g5.12xlarge",
                    "InitialInstanceCount": 1,
                    "ManagedInstanceScaling": {
                        "Status": "ENABLED",
                        "MinInstanceCount": 0,
                        "MaxInstanceCount": max_instances,
                    },
                }
            ],
            "CreationTime": NOW,
        },
        {"EndpointConfigName": f"{ENDPOINT}-components"},
    )


def test_an_endpoint_without_room_for_the_sweep_fails_before_any_training(
    tailor_settings, monkeypatch, tmp_path
):
    """An endpoint made before sweeps has room for one candidate: say so, train nothing."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    tailor_settings(
        backend="aws", data_root=str(tmp_path), endpoint_name=ENDPOINT, region_name="us-east-1"
    )
    sweep = {**RUN, "sweep": [{"learning_rate": 1e-4}, {"learning_rate": 5e-4}]}
    with stubbed_hook(monkeypatch, SageMakerHook, "sagemaker") as control:
        endpoint_with_room(control, max_instances=2)
        with pytest.raises(AirflowFailException, match="has room for 1 candidate.*the sweep has 2"):
            plan_sweep({"version": "ft-1"}, sweep)
        endpoint_with_room(control, max_instances=5)
        assert [c["name"] for c in plan_sweep({"version": "ft-1"}, sweep)] == ["ft-1-1", "ft-1-2"]
        assert len(plan_sweep({"version": "ft-1"}, {**RUN, "sweep": []})) == 1  # asks nothing
        control.assert_no_pending_responses()


def test_a_repeated_set_fails_the_task_without_retries(tailor_settings, tmp_path):
    tailor_settings(data_root=str(tmp_path))
    with pytest.raises(AirflowFailException, match="Param sweep: entry 2 repeats entry 1"):
        plan_sweep({"version": "ft-1"}, {**RUN, "sweep": [{"max_steps": 0}, {"epochs": 1.0}]})


def test_an_empty_learning_rate_is_the_trainers_default():
    run = {**RUN, "learning_rate": None}
    (lora,) = plan_candidates("ft-1", run, [])
    assert lora["hyperparameters"]["learning_rate"] == 2e-4  # LoRA's and JumpStart's
    first, second = plan_candidates(
        "ft-1", run, [{"epochs": 2.0}, {"learning_rate": 5e-5}], learning_rate=1e-5
    )
    assert [c["hyperparameters"]["learning_rate"] for c in (first, second)] == [1e-5, 5e-5]


def test_a_bedrock_sweep_is_checked_against_the_base_model_before_any_job(
    tailor_settings, tmp_path
):
    tailor_settings(backend="aws", data_root=f"s3://b/{tmp_path.name}", finetune_service="bedrock")
    run = {**RUN, "learning_rate": None}
    (nova,) = plan_sweep({"version": "ft-1"}, {**run, "sweep": []})
    assert nova["hyperparameters"]["learning_rate"] == 1e-5  # Nova Micro's default
    with pytest.raises(
        AirflowFailException,
        match="candidate ft-1-2: learning_rate 0.0005 is "
        "outside amazon.nova-micro-v1:0:128k's range",
    ):
        plan_sweep(
            {"version": "ft-1"}, {**run, "sweep": [{"epochs": 2.0}, {"learning_rate": 5e-4}]}
        )
