"""What every service's fine-tuned models offer after training (`tailor_airflow.tuned`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from tailor.evaluation.answering import Generator

Record = dict[str, Any]  # a candidate's `train` record, or current.json's


class TunedModels(Protocol):
    def answerer(self, record: Record) -> Callable[[str], str]:
        """The gate's answer function for a candidate or the served model."""
        ...

    def served_generator(self, current: Record | None) -> Generator:
        """The served model's answers tonight, through what serves it (may be asleep)."""
        ...

    def served(self, current: Record | None) -> Record | None:
        """What serves the deployed model, as `answerer` and `retire` read it."""
        ...

    def remove_candidate(self, candidate: Record) -> bool:
        """Remove what a candidate that will not be served left behind; False: nothing."""
        ...

    def retire(self, served: Record, promoted: Record) -> str | None:
        """Stop serving the previous model once `promoted` serves; what was stopped, if any."""
        ...

    def after_clean_up(self, current: Record) -> None:
        """What a run's clean-up does last, after the candidates are gone (retention)."""
        ...
