"""Scale-out from zero: the exact application-autoscaling and CloudWatch requests."""

from __future__ import annotations

import pytest
from airflow.sdk.exceptions import AirflowSkipException

from tailor.finetune.registry import promote
from tailor_airflow.autoscaling import DIMENSION, EnableScaleFromZeroOperator
from tailor_airflow.service_hooks import ApplicationAutoScalingHook, CloudWatchHook
from tests.support.aws_stubs import stubbed_hook

COMPONENT = "tailor-ft-202611010300-abcdef12"
POLICY = f"arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:1:resource/sagemaker/inference-component/{COMPONENT}:policyName/{COMPONENT}-scale-out-from-zero"


def operator() -> EnableScaleFromZeroOperator:
    return EnableScaleFromZeroOperator(task_id="enable_scale_from_zero")


def test_registers_target_policy_and_alarm_for_the_served_component(
    monkeypatch, tmp_path, tailor_settings
):
    tailor_settings(
        backend="aws",
        data_root=str(tmp_path),
        endpoint_name="tailor-llm",
        autoscale_from_zero=True,
        endpoint_copies=2,
    )
    promote(tmp_path / "models", {"version": "ft-1", "inference_component": COMPONENT})
    resource = f"inference-component/{COMPONENT}"
    with (
        stubbed_hook(monkeypatch, ApplicationAutoScalingHook, "application-autoscaling") as scaling,
        stubbed_hook(monkeypatch, CloudWatchHook, "cloudwatch") as cloudwatch,
    ):
        scaling.add_response(
            "register_scalable_target",
            {},
            {
                "ServiceNamespace": "sagemaker",
                "ResourceId": resource,
                "ScalableDimension": DIMENSION,
                "MinCapacity": 0,
                "MaxCapacity": 2,
            },
        )
        scaling.add_response(
            "put_scaling_policy",
            {"PolicyARN": POLICY},
            {
                "PolicyName": f"{COMPONENT}-scale-out-from-zero",
                "ServiceNamespace": "sagemaker",
                "ResourceId": resource,
                "ScalableDimension": DIMENSION,
                "PolicyType": "StepScaling",
                "StepScalingPolicyConfiguration": {
                    "AdjustmentType": "ChangeInCapacity",
                    "MetricAggregationType": "Maximum",
                    "Cooldown": 60,
                    "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
                },
            },
        )
        cloudwatch.add_response(
            "put_metric_alarm",
            {},
            {
                "AlarmName": f"{COMPONENT}-no-capacity",
                "AlarmActions": [POLICY],
                "MetricName": "NoCapacityInvocationFailures",
                "Namespace": "AWS/SageMaker",
                "Statistic": "Maximum",
                "Dimensions": [{"Name": "InferenceComponentName", "Value": COMPONENT}],
                "Period": 30,
                "EvaluationPeriods": 1,
                "DatapointsToAlarm": 1,
                "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "missing",
            },
        )
        assert operator().execute({}) == {
            "resource": resource,
            "policy": POLICY,
            "alarm": f"{COMPONENT}-no-capacity",
        }


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        ({}, "autoscale_from_zero is off"),
        ({"backend": "aws"}, "autoscale_from_zero is off"),
        (
            {"backend": "aws", "autoscale_from_zero": True, "endpoint_name": "e"},
            "no model deployed yet",
        ),
        (
            {
                "backend": "aws",
                "autoscale_from_zero": True,
                "endpoint_name": "e",
                "endpoint_kind": "legacy",
            },
            "cannot scale out from zero",
        ),
    ],
)
def test_skipped_when_off_or_nothing_can_scale_from_zero(
    settings, reason, tmp_path, tailor_settings
):
    tailor_settings(data_root=str(tmp_path), **settings)
    with pytest.raises(AirflowSkipException, match=reason):
        operator().execute({})
