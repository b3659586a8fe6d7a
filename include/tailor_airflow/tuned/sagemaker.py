"""Fine-tuned models on SageMaker: each candidate staged as an inference component of the one
endpoint, which the served model shares; a component not served is deleted (its training
artifacts stay for audit)."""

from __future__ import annotations

from collections.abc import Callable

from tailor.evaluation.answering import Generation, Generator, timed
from tailor.settings import Settings
from tailor_airflow.endpoint import served_component
from tailor_airflow.sagemaker_model import SageMakerModels, resource_name
from tailor_airflow.tuned.protocol import Record


class SageMakerTunedModels:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.models = SageMakerModels(settings)

    def answerer(self, record: Record) -> Callable[[str], str]:
        component = record["inference_component"]
        return lambda prompt: self.models.answer(component, prompt)

    def served_generator(self, current: Record | None) -> Generator:
        component = served_component(self.settings, current)
        tokens = self.settings.max_answer_tokens

        def answer(prompt: str) -> Generation:
            def call():
                text, generated = self.models.generate(component, prompt, tokens)
                return text, None, generated, None  # the container tells neither prompt nor why

            return timed(call)

        return answer

    def served(self, current: Record | None) -> Record | None:
        """The promoted model's component, or the configured one before any promotion."""
        component = served_component(self.settings, current)
        return component and {"inference_component": component}

    def remove_candidate(self, candidate: Record) -> bool:
        return self.models.delete_component(resource_name(candidate["name"]))

    def retire(self, served: Record, promoted: Record) -> str | None:
        component = served.get("inference_component")
        if not component or component == promoted.get("inference_component"):
            return None
        self.models.delete_component(component)
        return f"the previous inference component {component}"

    def after_clean_up(self, current: Record) -> None:
        return None
