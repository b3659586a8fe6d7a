"""What an Amazon Bedrock model customization expects of each base model Tailor fine-tunes.

Each base model has its own training-record format (Nova: the Bedrock conversation schema;
Llama: prompt/completion), its own hyperparameter names and bounds, and its own way to be
served: a Nova custom model can be deployed for on-demand inference, a Llama one needs
provisioned throughput. Figures from the Bedrock user guide's hyperparameter and on-demand
deployment pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from tailor.errors import InputError

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

    def hyperparameters(self, values: dict[str, Any], where: str) -> dict[str, str]:
        """Bedrock's hyperParameters for a candidate's values; out of bounds fails, naming
        `where` (the candidate) and the bound, before any job is paid for."""
        epochs = max(1, round(values["epochs"]))
        rate = values["learning_rate"]
        low, high = self.learning_rates
        if epochs > self.max_epochs:
            raise InputError(where, None, f"epochs {values['epochs']} is above "
                             f"{self.model_id}'s maximum of {self.max_epochs}")  # fmt: skip
        if not low <= rate <= high:
            raise InputError(where, None, f"learning_rate {rate} is outside {self.model_id}'s "
                             f"range {low:g} to {high:g}")  # fmt: skip
        chosen = {"epochCount": str(epochs), "learningRate": f"{rate:g}"}
        if self.batch_size is not None:
            chosen["batchSize"] = str(self.batch_size)
        return chosen

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
    return CustomizableModel(model_id, "conversation", "on_demand", max_epochs=5,
                             learning_rates=(1e-6, 1e-4), default_learning_rate=1e-5,
                             batch_size=None)  # fmt: skip


CUSTOMIZABLE: dict[str, CustomizableModel] = {
    model.model_id: model
    for model in (
        _nova("amazon.nova-micro-v1:0:128k"),
        _nova("amazon.nova-lite-v1:0:300k"),
        CustomizableModel("meta.llama3-1-8b-instruct-v1:0:128k", "prompt_completion",
                          "provisioned", max_epochs=10, learning_rates=(5e-6, 0.1),
                          default_learning_rate=1e-4, batch_size=1),  # fmt: skip
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
