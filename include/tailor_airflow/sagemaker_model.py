"""The aws half of finetune: a JumpStart training job and inference components.

Names are derived from the model version (one per DAG run), so a retried task finds its
training job, model and component instead of creating second ones. The sagemaker SDK is
used only to resolve JumpStart's images and defaults; every AWS call goes through the
provider's hooks.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from functools import cached_property
from typing import Any

from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook
from botocore.exceptions import ClientError

from tailor.endpoint.observe import EndpointAsleep, is_no_capacity
from tailor.finetune.sweep import MAX_CANDIDATES
from tailor.llama import generated_text, generated_tokens, request_body
from tailor.settings import Settings
from tailor.storage import s3_location
from tailor_airflow.aws_errors import describe_or_none, error_matches
from tailor_airflow.hooks import adaptive_retries, aws_hook

VARIANT = "AllTraffic"
STARTUP_TIMEOUT_SECONDS = 1200  # weights download and container health check, each


def resource_name(version: str) -> str:
    """Training job, model and inference component share one name per version."""
    return f"tailor-{version}"[:63]


def sdk_session(settings: Settings):
    """A sagemaker SDK Session on the Airflow connection (credentials, region, endpoint), whose
    default bucket and prefix are Tailor's own: the SDK never resolves or creates
    ``sagemaker-<region>-<account>``, and what it uploads stays under ``data_root``."""
    from sagemaker.core.helper.session_helper import Session

    hook = aws_hook(SageMakerHook, settings)
    bucket, prefix = s3_location(settings.data_root)
    session = Session(
        boto_session=hook.get_session(region_name=hook.conn_region_name),
        sagemaker_client=hook.conn,
        default_bucket=bucket,
        default_bucket_prefix=f"{prefix}/sagemaker".lstrip("/"),
    )
    # default_bucket() would list every bucket (s3:ListAllMyBuckets) and HeadBucket/CreateBucket
    # a bucket Tailor already writes to; resolved, the SDK uses it as it is
    session._default_bucket = bucket
    return session


@contextmanager
def _without_sdk_role_simulation():
    """The SDK simulates the role's policies (iam:SimulatePrincipalPolicy) before training;
    `tailor preflight` checks the role, so Tailor's policy grants no simulation."""
    before = os.environ.get("SAGEMAKER_VALIDATE_ROLE")
    os.environ["SAGEMAKER_VALIDATE_ROLE"] = "false"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("SAGEMAKER_VALIDATE_ROLE", None)
        else:
            os.environ["SAGEMAKER_VALIDATE_ROLE"] = before


def jumpstart_training_request(
    settings: Settings, params: dict[str, Any], job_name: str, train_uri: str, output_uri: str
) -> dict[str, Any]:
    """The CreateTrainingJob request for a JumpStart fine-tune, as the sagemaker SDK builds it.

    ``ModelTrainer.train()`` would append a timestamp to the job name; taking the request
    and submitting it ourselves keeps the name stable, so a retry re-attaches. The SDK reads
    the model's document from SageMaker's public hub through the connection's session, and
    is given Tailor's output location so it never looks for a default bucket.
    """
    with _without_sdk_role_simulation():
        return _sdk_training_request(settings, params, job_name, train_uri, output_uri)


def _sdk_training_request(
    settings: Settings, params: dict[str, Any], job_name: str, train_uri: str, output_uri: str
) -> dict[str, Any]:
    from sagemaker.core.jumpstart import JumpStartConfig
    from sagemaker.train import ModelTrainer
    from sagemaker.train.configs import Compute, InputData, OutputDataConfig

    trainer = ModelTrainer.from_jumpstart_config(
        sagemaker_session=sdk_session(settings),
        jumpstart_config=JumpStartConfig(
            model_id=params.get("base_model_id") or settings.base_model_id, accept_eula=True
        ),
        compute=Compute(
            instance_type=params.get("instance_type") or settings.training_instance_type,
            instance_count=1,
        ),
        output_data_config=OutputDataConfig(s3_output_path=output_uri),
        hyperparameters={
            "instruction_tuned": str(params["method"] == "instruction_tuning"),
            "chat_dataset": "False",
            "epoch": str(max(1, round(params["epochs"]))),
            "learning_rate": str(params["learning_rate"]),
            "max_input_length": "1024",
        },
        role=settings.training_role_arn,
        base_job_name="tailor-ft",
    )
    request = trainer._create_training_job_args(  # the SDK's own request, named by us
        input_data_config=[InputData(channel_name="training", data_source=train_uri)], boto3=True
    )
    request["TrainingJobName"] = job_name
    return request


def model_data(artifacts: str) -> dict[str, Any]:
    """Where the container finds the weights.

    JumpStart's Llama fine-tunes write uncompressed artifacts under a prefix (its specs set
    ``disable_output_compression``): that is a ModelDataSource of type S3Prefix with no
    compression and the EULA accepted, as for training. A tarball stays a ModelDataUrl.
    """
    if artifacts.endswith(".tar.gz"):
        return {"ModelDataUrl": artifacts}
    return {
        "ModelDataSource": {
            "S3DataSource": {
                "S3Uri": artifacts.rstrip("/") + "/",
                "S3DataType": "S3Prefix",
                "CompressionType": "None",
                "ModelAccessConfig": {"AcceptEula": True},
            }
        }
    }


def _hosting(document: Any, field: str) -> Any:
    """A hosting field as the SDK resolves it (JumpStartModelSpecs): the top-ranked inference
    config's components over the document's own. Llama 3.1's documents keep the serving
    image and the per-instance-type variants only in those components."""
    layers = [document]
    configs, components = document.InferenceConfigs or {}, document.InferenceConfigComponents or {}
    ranking = (document.InferenceConfigRankings or {}).get("overall")
    ranked = (ranking and ranking.Rankings) or sorted(configs)
    if ranked:
        layers += [
            components[name] for name in configs[ranked[0]].ComponentNames if name in components
        ]
    return next(
        (value for layer in reversed(layers) if (value := getattr(layer, field, None))), None
    )


def _variant_properties(variants: Any, instance_type: str) -> list[Any]:
    """The instance family's variant properties, then the instance type's: the more specific
    wins, as in the SDK's lookups."""
    found = (variants and variants.Variants) or {}
    keys = (instance_type.split(".")[1], instance_type)
    return [v.Properties for key in keys if (v := found.get(key)) and v.Properties]


def jumpstart_serving_container(settings: Settings) -> dict[str, Any]:
    """Image and environment that serve the base model's family (fine-tuned weights on top).

    From the model's hub document (the one training read), as its top-ranked inference
    config resolves it: the image of the inference instance type's variant (else its
    family's, else the default), the container environment, then the variants' own. One copy
    shards the model over its own accelerators, not the instance's: SM_NUM_GPUS, and LMI's
    OPTION_TENSOR_PARALLEL_DEGREE where the document sets one, are the copy's GPUs.
    """
    gpus = str(settings.accelerators_per_copy)
    if settings.inference_image_uri:
        return {"Image": settings.inference_image_uri, "Environment": {"SM_NUM_GPUS": gpus}}
    from sagemaker.core.jumpstart import JumpStartConfig
    from sagemaker.core.jumpstart.document import get_hub_content_and_document

    _, document = get_hub_content_and_document(
        JumpStartConfig(model_id=settings.base_model_id, accept_eula=True), sdk_session(settings)
    )
    instance = settings.inference_instance_type
    variants = _variant_properties(_hosting(document, "HostingInstanceTypeVariants"), instance)
    image = next((p.ImageUri for p in reversed(variants) if p.ImageUri), None) or _hosting(
        document, "HostingEcrUri"
    )
    if not image:
        raise RuntimeError(
            f"JumpStart's document for {settings.base_model_id} names no serving image for "
            f"{instance}; set inference_image_uri"
        )
    environment = {
        v.Name: str(v.Default)
        for v in _hosting(document, "InferenceEnvironmentVariables") or []
        if v.Scope == "container" and v.Default is not None
    }
    for properties in variants:
        environment |= properties.EnvironmentVariables or {}
    if "OPTION_TENSOR_PARALLEL_DEGREE" in environment:
        environment["OPTION_TENSOR_PARALLEL_DEGREE"] = gpus
    return {"Image": image, "Environment": {**environment, "SM_NUM_GPUS": gpus}}


class SageMakerModels:
    """Training jobs, models and inference components on the configured endpoint."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.hook = aws_hook(SageMakerHook, settings)
        (self.endpoint,) = settings.require("endpoint_name")

    @property
    def client(self):
        return self.hook.conn

    def training_job(self, name: str) -> dict[str, Any] | None:
        return describe_or_none(self.client.describe_training_job, TrainingJobName=name)

    def submit_training(self, request: dict[str, Any]) -> None:
        """Launch the job with Tailor's runtime limit, through the hook's client.

        Not ``SageMakerHook.create_training_job``: it HeadBuckets every input channel first,
        and JumpStart's model channel lives in an AWS-owned bucket the caller cannot see.
        """
        limit = {"MaxRuntimeInSeconds": self.settings.training_max_runtime_hours * 3600}
        request = {
            **request,
            "StoppingCondition": {**request.get("StoppingCondition", {}), **limit},
        }
        self.client.create_training_job(**request)

    def ensure_endpoint(self) -> bool:
        """Create the endpoint for inference components if missing; True if it already exists."""
        if describe_or_none(self.client.describe_endpoint, EndpointName=self.endpoint):
            return True
        (role,) = self.settings.require("training_role_arn")
        config = f"{self.endpoint}-components"
        if not describe_or_none(self.client.describe_endpoint_config, EndpointConfigName=config):
            self.client.create_endpoint_config(
                EndpointConfigName=config,
                ExecutionRoleArn=role,
                ProductionVariants=[
                    {
                        "VariantName": VARIANT,
                        "InstanceType": self.settings.inference_instance_type,
                        "InitialInstanceCount": 1,
                        "ManagedInstanceScaling": {
                            "Status": "ENABLED",
                            "MinInstanceCount": 0,
                            # served copies plus a sweep's candidates, staged beside them
                            # for the gate (instances are billed only while in use)
                            "MaxInstanceCount": self.served_copies + MAX_CANDIDATES,
                        },
                        "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"},
                    }
                ],
            )
        self.client.create_endpoint(EndpointName=self.endpoint, EndpointConfigName=config)
        return False

    @property
    def served_copies(self) -> int:
        return max(1, self.settings.endpoint_copies)

    def candidate_room(self) -> int | None:
        """How many candidates the endpoint can stage beside its served copies (one instance
        each, at most); None if the endpoint does not exist yet (it is created with room for
        MAX_CANDIDATES)."""
        endpoint = describe_or_none(self.client.describe_endpoint, EndpointName=self.endpoint)
        if endpoint is None:
            return None
        config = self.client.describe_endpoint_config(
            EndpointConfigName=endpoint["EndpointConfigName"]
        )
        variant = config["ProductionVariants"][0]
        scaling = variant.get("ManagedInstanceScaling") or {}
        instances = scaling.get("MaxInstanceCount", variant.get("InitialInstanceCount", 1))
        return max(0, instances - self.served_copies)

    def stage_component(self, version: str, artifacts: str) -> str:
        """A model and an inference component with one copy for `version` (idempotent)."""
        name = resource_name(version)
        (role,) = self.settings.require("training_role_arn")
        if not describe_or_none(self.client.describe_model, ModelName=name):
            container = jumpstart_serving_container(self.settings)
            self.client.create_model(
                ModelName=name,
                ExecutionRoleArn=role,
                PrimaryContainer={**container, **model_data(artifacts)},
            )
        if not describe_or_none(
            self.client.describe_inference_component, InferenceComponentName=name
        ):
            self.client.create_inference_component(
                InferenceComponentName=name,
                EndpointName=self.endpoint,
                VariantName=VARIANT,
                Specification={
                    "ModelName": name,
                    # an 8B model downloads and loads for minutes: never the short defaults
                    "StartupParameters": {
                        "ModelDataDownloadTimeoutInSeconds": STARTUP_TIMEOUT_SECONDS,
                        "ContainerStartupHealthCheckTimeoutInSeconds": STARTUP_TIMEOUT_SECONDS,
                    },
                    "ComputeResourceRequirements": {
                        "NumberOfAcceleratorDevicesRequired": self.settings.accelerators_per_copy,
                        "MinMemoryRequiredInMb": 1024,
                    },
                },
                RuntimeConfig={"CopyCount": 1},
            )
        return name

    def delete_component(self, name: str) -> bool:
        """Delete a component, its scale-out-from-zero registration and its model; False if it
        was already gone."""
        from tailor_airflow.autoscaling import deregister_scale_out_from_zero

        if not describe_or_none(
            self.client.describe_inference_component, InferenceComponentName=name
        ):
            return False
        deregister_scale_out_from_zero(self.settings, name)
        self.client.delete_inference_component(InferenceComponentName=name)
        if describe_or_none(self.client.describe_model, ModelName=name):
            self.client.delete_model(ModelName=name)
        return True

    @cached_property
    def runtime(self):
        """sagemaker-runtime with adaptive retries: evaluation calls it from a thread pool."""
        return aws_hook(
            AwsBaseHook, self.settings, client_type="sagemaker-runtime", config=adaptive_retries()
        ).conn

    def generate(
        self, component: str | None, prompt: str, max_new_tokens: int = 256
    ) -> tuple[str, int | None]:
        """An answer and its generated-token count from a component (or a legacy endpoint's
        one model); no copies raises EndpointAsleep, not a model error."""
        target = {"InferenceComponentName": component} if component else {}
        try:
            response = self.runtime.invoke_endpoint(
                EndpointName=self.endpoint,
                ContentType="application/json",
                Body=request_body(prompt, max_new_tokens),
                **target,
            )
        except ClientError as err:
            if error_matches(err, is_no_capacity):
                raise EndpointAsleep(f"{component} has no copies: the endpoint is asleep") from err
            raise
        body = response["Body"].read()
        return generated_text(body), generated_tokens(body)

    def answer(self, component: str, prompt: str, max_new_tokens: int = 256) -> str:
        return self.generate(component, prompt, max_new_tokens)[0]
