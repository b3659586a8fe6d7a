"""Answer prompts with a local causal LM in this process (greedy, chat template)."""

from __future__ import annotations

import time
from functools import cached_property
from pathlib import Path

from tailor.evaluation.answering import Generation

# the local models' answer cap, generated or served: SmolLM2 on two CPU cores writes ~30
# tokens a second, so 96 keeps a nightly run of four approaches within minutes
LOCAL_MAX_TOKENS = 96


class LocalGenerator:
    def __init__(self, model_dir: Path, max_new_tokens: int = LOCAL_MAX_TOKENS) -> None:
        self.model_dir = Path(model_dir)
        self.max_new_tokens = max_new_tokens

    @cached_property
    def _loaded(self):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        torch.set_num_threads(max(1, torch.get_num_threads()))
        tokenizer = AutoTokenizer.from_pretrained(self.model_dir)
        model = AutoModelForCausalLM.from_pretrained(self.model_dir, dtype=torch.float32)
        return tokenizer, model.eval()

    def generate(self, prompt: str) -> Generation:
        import torch

        tokenizer, model = self._loaded
        started = time.perf_counter()
        inputs = tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}],
            add_generation_prompt=True,
            return_tensors="pt",
            return_dict=True,
        )
        with torch.inference_mode():
            output = model.generate(
                **inputs,
                max_new_tokens=self.max_new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.eos_token_id,
            )
        new = output[0, inputs["input_ids"].shape[1] :]
        return Generation(
            tokenizer.decode(new, skip_special_tokens=True).strip(),
            int(inputs["input_ids"].shape[1]),
            int(new.shape[0]),
            round(time.perf_counter() - started, 3),
            truncated=len(new) >= self.max_new_tokens and int(new[-1]) != tokenizer.eos_token_id,
        )
