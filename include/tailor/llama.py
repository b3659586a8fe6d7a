"""Talking to a JumpStart Llama 3.1 container: its chat prompt and its response shapes."""

from __future__ import annotations

import json
from typing import Any


def llama3_prompt(user: str, system: str | None = None) -> str:
    """Llama 3 Instruct's chat format, ready for the assistant's turn."""
    turns = "<|begin_of_text|>"
    if system:
        turns += f"<|start_header_id|>system<|end_header_id|>\n\n{system}<|eot_id|>"
    turns += f"<|start_header_id|>user<|end_header_id|>\n\n{user}<|eot_id|>"
    return turns + "<|start_header_id|>assistant<|end_header_id|>\n\n"


def request_body(prompt: str, max_new_tokens: int = 256, temperature: float = 0.0) -> str:
    parameters: dict[str, Any] = {
        "max_new_tokens": max_new_tokens,
        "stop": ["<|eot_id|>"],
        "details": True,  # TGI/LMI then report generated_tokens
    }
    if temperature > 0:
        parameters.update(do_sample=True, temperature=temperature)
    return json.dumps({"inputs": llama3_prompt(prompt), "parameters": parameters})


def generated_text(body: bytes | str) -> str:
    """The answer from a TGI/LMI response: {"generated_text"} or a list of them."""
    payload = json.loads(body)
    if isinstance(payload, list):
        payload = payload[0]
    if not isinstance(payload, dict) or "generated_text" not in payload:
        raise ValueError(f"unexpected model response: {str(payload)[:200]}")
    return str(payload["generated_text"]).strip()


def generated_tokens(body: bytes | str) -> int | None:
    """The generated-token count a container reports under `details`, if it does."""
    payload = json.loads(body)
    if isinstance(payload, list):
        payload = payload[0]
    details = payload.get("details") if isinstance(payload, dict) else None
    count = (details or {}).get("generated_tokens")
    return int(count) if isinstance(count, int) else None
