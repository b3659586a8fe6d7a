"""The Bedrock Converse request and reply shapes Tailor uses: one user turn in, the text of
the reply's content blocks out (a reply may hold several text blocks, or none)."""

from __future__ import annotations

from typing import Any


def user_turn(prompt: str) -> list[dict[str, Any]]:
    """``messages`` for a single-turn question."""
    return [{"role": "user", "content": [{"text": prompt}]}]


def reply_text(response: dict[str, Any]) -> str:
    """Every text block of the reply, joined; non-text blocks (reasoning, tool use) skipped."""
    return "".join(part.get("text", "") for part in response["output"]["message"]["content"])


def reply_parts(response: dict[str, Any]) -> tuple[str, int | None, int | None, bool]:
    """An answer's text, input and output tokens, and whether the token limit cut it."""
    usage = response.get("usage", {})
    return (
        reply_text(response).strip(),
        usage.get("inputTokens"),
        usage.get("outputTokens"),
        response["stopReason"] == "max_tokens",
    )


def answer_inference(max_tokens: int) -> dict[str, float]:
    """How a Bedrock answer is generated, online, in a batch job or at the gate: greedy, within
    the token limit."""
    return {"maxTokens": max_tokens, "temperature": 0.0}
