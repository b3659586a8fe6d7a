"""MiniLM sentence embeddings, loaded offline from the packaged model folder."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from tailor.local.models import minilm_dir


class MiniLMEmbedder:
    """all-MiniLM-L6-v2: 384-dimensional, normalised embeddings; 256-token input window."""

    dimensions = 384
    max_tokens = 256

    def __init__(self, model_dir: Path | None = None) -> None:
        self.model_dir = model_dir or minilm_dir()

    @cached_property
    def _model(self):
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(self.model_dir), device="cpu", local_files_only=True)

    @property
    def tokenizer(self):
        return self._model.tokenizer

    def embed(self, texts: list[str]):
        """Return a float32 array of shape (len(texts), 384)."""
        return self._model.encode(
            texts,
            batch_size=32,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        ).astype("float32")
