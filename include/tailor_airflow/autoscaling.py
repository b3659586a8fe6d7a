"""Scale-out from zero for the served inference component, as in AWS's recipe.

At zero copies an invocation fails with a "no capacity" error and SageMaker counts it in
``NoCapacityInvocationFailures``; an alarm on that metric triggers a step policy that adds
one copy. The scalable target's MinCapacity is 0 and its MaxCapacity the scheduled copy
count, so the schedule's own changes always lie inside its bounds and nothing fights them.
"""

from __future__ import annotations

from airflow.sdk import BaseOperator, Context
from airflow.sdk.exceptions import AirflowSkipException
from botocore.exceptions import ClientError

from tailor.settings import Backend, Settings
from tailor_airflow.config import load_settings
from tailor_airflow.endpoint import InferenceComponentEndpoint, endpoint_for
from tailor_airflow.hooks import aws_hook

DIMENSION = "sagemaker:inference-component:DesiredCopyCount"


def register_scale_out_from_zero(settings: Settings, component: str) -> dict[str, str]:
    """Upsert the scalable target, the step policy and its alarm (idempotent)."""
    from tailor_airflow.service_hooks import ApplicationAutoScalingHook, CloudWatchHook

    resource = f"inference-component/{component}"
    scaling = aws_hook(ApplicationAutoScalingHook, settings).conn
    scaling.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId=resource,
        ScalableDimension=DIMENSION,
        MinCapacity=0,
        MaxCapacity=max(1, settings.endpoint_copies),
    )
    policy = scaling.put_scaling_policy(
        PolicyName=f"{component}-scale-out-from-zero",
        ServiceNamespace="sagemaker",
        ResourceId=resource,
        ScalableDimension=DIMENSION,
        PolicyType="StepScaling",
        StepScalingPolicyConfiguration={
            "AdjustmentType": "ChangeInCapacity",
            "MetricAggregationType": "Maximum",
            "Cooldown": 60,
            "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
        },
    )["PolicyARN"]
    alarm = f"{component}-no-capacity"
    aws_hook(CloudWatchHook, settings).conn.put_metric_alarm(
        AlarmName=alarm,
        AlarmActions=[policy],
        MetricName="NoCapacityInvocationFailures",
        Namespace="AWS/SageMaker",
        Statistic="Maximum",
        Dimensions=[{"Name": "InferenceComponentName", "Value": component}],
        Period=30,
        EvaluationPeriods=1,
        DatapointsToAlarm=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="missing",
    )
    return {"resource": resource, "policy": policy, "alarm": alarm}


def deregister_scale_out_from_zero(settings: Settings, component: str) -> None:
    """Remove what `register_scale_out_from_zero` made for a component that is going away.

    The alarm goes first, so it cannot fire into a removed policy; deregistering the
    scalable target deletes its policies. Both are no-ops when nothing was registered.
    """
    from tailor_airflow.service_hooks import ApplicationAutoScalingHook, CloudWatchHook

    aws_hook(CloudWatchHook, settings).conn.delete_alarms(AlarmNames=[f"{component}-no-capacity"])
    try:
        aws_hook(ApplicationAutoScalingHook, settings).conn.deregister_scalable_target(
            ServiceNamespace="sagemaker",
            ResourceId=f"inference-component/{component}",
            ScalableDimension=DIMENSION,
        )
    except ClientError as err:
        if err.response["Error"]["Code"] != "ObjectNotFoundException":
            raise


class EnableScaleFromZeroOperator(BaseOperator):
    """Register scale-out from zero for the served component when `autoscale_from_zero` is on.

    Takes only BaseOperator's arguments: what to register comes from the settings (the
    served inference component, ``endpoint_copies``). Skips on the local backend or when
    the setting is off; returns the scalable target, policy and alarm names.
    """

    def execute(self, context: Context) -> dict[str, str]:
        settings = load_settings()
        if settings.backend is not Backend.AWS or not settings.autoscale_from_zero:
            raise AirflowSkipException("autoscale_from_zero is off (or not the aws backend)")
        endpoint = endpoint_for(settings)
        if not isinstance(endpoint, InferenceComponentEndpoint):
            raise AirflowSkipException(f"{endpoint.description} cannot scale out from zero")
        registered = register_scale_out_from_zero(settings, endpoint.component)
        self.log.info("Scale-out from zero registered: %s", registered)
        return registered
