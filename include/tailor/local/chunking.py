"""Fixed-size token windows with overlap, as Bedrock's fixed-size chunking does.

Windows are cut on the embedding model's own tokens and mapped back to character
offsets, so each chunk is an exact slice of the product text.
"""

from __future__ import annotations

from typing import Protocol


class OffsetTokenizer(Protocol):
    def __call__(self, text: str, **kwargs) -> dict: ...


def token_windows(
    text: str, tokenizer: OffsetTokenizer, size: int, overlap: int
) -> list[tuple[int, int]]:
    """Character spans of consecutive `size`-token windows sharing `overlap` tokens."""
    if size <= 0 or not 0 <= overlap < size:
        raise ValueError(f"need size > 0 and 0 <= overlap < size (got {size}, {overlap})")
    offsets = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)[
        "offset_mapping"
    ]
    if not offsets:
        return []
    spans = []
    step = size - overlap
    start = 0
    while True:
        window = offsets[start : start + size]
        spans.append((window[0][0], window[-1][1]))
        if start + size >= len(offsets):
            return spans
        start += step
