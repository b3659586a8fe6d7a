"""BERTScore F1, batched; the model is configurable (local: the packaged MiniLM, 6 layers)."""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tailor.settings import Settings


class BertScorer:
    def __init__(self, model_type: str | None = None, num_layers: int | None = None) -> None:
        if model_type is None:
            from tailor.local.models import minilm_dir

            model_type, num_layers = str(minilm_dir()), 6
        if num_layers is None and Path(model_type, "config.json").is_file():
            # bert-score only knows layer counts for hub names; a folder says its own
            num_layers = json.loads(Path(model_type, "config.json").read_text())[
                "num_hidden_layers"
            ]
        self.model_type = model_type
        self.num_layers = num_layers

    @classmethod
    def for_settings(cls, settings: Settings) -> BertScorer:
        """The configured model; by default MiniLM locally and roberta-large on aws."""
        from tailor.settings import Backend

        if settings.bertscore_model:
            return cls(settings.bertscore_model)
        return cls() if settings.backend is Backend.LOCAL else cls("roberta-large")

    @cached_property
    def _scorer(self):
        from bert_score import BERTScorer

        scorer = BERTScorer(
            model_type=self.model_type, num_layers=self.num_layers, lang="en", batch_size=16
        )
        scorer._tokenizer.model_max_length = 512  # long reference answers would overflow
        return scorer

    def load(self) -> None:
        """Load the model now (it loads on first use otherwise)."""
        self._scorer  # noqa: B018

    def f1(self, candidates: list[str], references: list[str]) -> list[float]:
        if not candidates:
            return []
        _, _, f1 = self._scorer.score(candidates, references, verbose=False)
        return [round(float(value), 6) for value in f1]
