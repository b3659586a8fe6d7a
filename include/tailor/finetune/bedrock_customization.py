"""What an Amazon Bedrock model customization expects of each base model Tailor fine-tunes.

Each base model has its own training-record format, its own hyperparameter names and bounds,
and its own way to be served: a Nova custom model can be deployed for on-demand inference, a
Llama one needs provisioned throughput. Figures from the Bedrock user guide's hyperparameter
and on-demand deployment pages.

Record formats, from the Bedrock user guide's "Prepare your training datasets for
fine-tuning" (https://docs.aws.amazon.com/bedrock/latest/userguide/model-customization-prepare.html,
"Supported modalities for fine-tuning" and "Prepare data for fine-tuning text-to-text
models"): Meta Llama 3.1 8B and 70B Instruct are listed among the *non-conversational*
text-to-text models, whose records are ``{"prompt": ..., "completion": ...}``; the Converse
message format (``bedrock-conversation-2024``) is for the conversational ones (Llama 3.2 and
3.3, Claude 3 Haiku). Nova takes the conversation schema (Nova user guide, "Fine-tuning
Amazon Nova models"). The same page sets Llama 3.1's "Sum of training and validation
records" at 100 to 10,000 (`min_records`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from tailor.errors import InputError
from tailor.finetune.dataset import TrainingDataError

CONVERSATION_SCHEMA = "bedrock-conversation-2024"


@dataclass(frozen=True)
class CustomizableModel:
    model_id: str  # the base model identifier CreateModelCustomizationJob takes
    records: Literal["conversation", "prompt_completion"]
    serving: Literal["on_demand", "provisioned"]
    max_epochs: int
    learning_rates: tuple[float, float]  # inclusive bounds
    default_learning_rate: float
    batch_size: int | None  # sent only where the model takes it
    min_records: int = 0  # training + validation records the job needs at least (0: no rule)

    def hyperparameters(self, values: dict[str, Any], where: str) -> dict[str, str]:
        """Bedrock's hyperParameters for a candidate's values; out of bounds fails, naming
        `where` (the candidate) and the bound, before any job is paid for."""
        epochs = max(1, round(values["epochs"]))
        rate = values["learning_rate"]
        low, high = self.learning_rates
        if epochs > self.max_epochs:
            raise InputError(
                where,
                None,
                f"epochs {values['epochs']} is above "
                f"{self.model_id}'s maximum of {self.max_epochs}",
            )
        if not low <= rate <= high:
            raise InputError(
                where,
                None,
                f"learning_rate {rate} is outside {self.model_id}'s range {low:g} to {high:g}",
            )
        chosen = {"epochCount": str(epochs), "learningRate": f"{rate:g}"}
        if self.batch_size is not None:
            chosen["batchSize"] = str(self.batch_size)
        return chosen

    def check_records(self, records: int, where: str) -> None:
        """Fewer training and validation records than the model takes is refused here, naming
        `where`, rather than by a job that fails (or is billed) later."""
        if records < self.min_records:
            raise TrainingDataError(
                f"{where}: {records} training and validation records; {self.model_id} needs at "
                f"least {self.min_records} (a larger catalog, or another customization_base_model)"
            )

    def record(self, prompt: str, answer: str) -> dict[str, Any]:
        """One training record: the reference's prompt, the catalog's answer."""
        if self.records == "prompt_completion":
            return {"prompt": prompt, "completion": answer}
        return {
            "schemaVersion": CONVERSATION_SCHEMA,
            "messages": [
                {"role": "user", "content": [{"text": prompt}]},
                {"role": "assistant", "content": [{"text": answer}]},
            ],
        }


def _nova(model_id: str) -> CustomizableModel:
    return CustomizableModel(
        model_id,
        "conversation",
        "on_demand",
        max_epochs=5,
        learning_rates=(1e-6, 1e-4),
        default_learning_rate=1e-5,
        batch_size=None,
    )


CUSTOMIZABLE: dict[str, CustomizableModel] = {
    model.model_id: model
    for model in (
        _nova("amazon.nova-micro-v1:0:128k"),
        _nova("amazon.nova-lite-v1:0:300k"),
        CustomizableModel(
            "meta.llama3-1-8b-instruct-v1:0:128k",
            "prompt_completion",
            "provisioned",
            max_epochs=10,
            learning_rates=(5e-6, 0.1),
            default_learning_rate=1e-4,
            batch_size=1,
            min_records=100,
        ),
    )
}


def customizable(model_id: str) -> CustomizableModel:
    """The base model's rules; an unknown one is refused with the known ones named."""
    try:
        return CUSTOMIZABLE[model_id]
    except KeyError:
        raise ValueError(
            f"{model_id!r} is not a base model Tailor customizes in Bedrock; "
            f"one of {sorted(CUSTOMIZABLE)}"
        ) from None
