"""The fine-tuned model after training, one implementation per service: how a candidate or
the served model answers the gate, what serves the deployed model, and how a candidate that
will not be served, or the model no longer served, goes away.

`tuned_models` is what the settings train with (tonight's candidates); `serving_models` is
what serves a given record, which may be another service: a model trained on SageMaker is
still retired by SageMaker after the settings moved to Bedrock customization.
"""

from __future__ import annotations

from tailor.settings import Backend, Settings
from tailor_airflow.tuned.protocol import Record, TunedModels


def tuned_models(settings: Settings) -> TunedModels:
    """The service the settings fine-tune with: local LoRA, SageMaker JumpStart or Bedrock."""
    if settings.backend is Backend.LOCAL:
        from tailor_airflow.tuned.local import LocalTunedModels

        return LocalTunedModels(settings)
    if settings.finetune_service == "bedrock":
        from tailor_airflow.tuned.bedrock import BedrockTunedModels

        return BedrockTunedModels(settings)
    from tailor_airflow.tuned.sagemaker import SageMakerTunedModels

    return SageMakerTunedModels(settings)


def serving_models(settings: Settings, record: Record | None) -> TunedModels:
    """The service serving `record`: a Bedrock custom model has a serving ARN, a SageMaker
    model an inference component (or none yet: the configured one serves)."""
    if settings.backend is Backend.LOCAL:
        from tailor_airflow.tuned.local import LocalTunedModels

        return LocalTunedModels(settings)
    if record and record.get("serving_arn"):
        from tailor_airflow.tuned.bedrock import BedrockTunedModels

        return BedrockTunedModels(settings)
    from tailor_airflow.tuned.sagemaker import SageMakerTunedModels

    return SageMakerTunedModels(settings)
