"""Local LLM judges that read next-token probabilities instead of sampled text.

A probability-weighted score is graded even from a small model and cannot be unparseable;
when the expected tokens get almost no probability mass the judge did not follow the
prompt, and the score is missing (never 0).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from tailor.evaluation.judging import Item, agreement_prompt, digit_prompt
from tailor.evaluation.metrics import expected_digit_score

MIN_MASS = 0.05


class LocalJudge:
    def __init__(self, model_dir: Path, chat: bool) -> None:
        self.model_dir = Path(model_dir)
        self.chat = chat  # instruct models get their chat template; base models raw text

    @cached_property
    def _loaded(self):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(self.model_dir)
        model = AutoModelForCausalLM.from_pretrained(self.model_dir, dtype=torch.float32)
        return tokenizer, model.eval()

    def token_ids(self, *forms: str) -> list[int]:
        """The vocabulary ids of each form's last token ("7" and " 7" may differ)."""
        tokenizer, _ = self._loaded
        return sorted({tokenizer.encode(f, add_special_tokens=False)[-1] for f in forms})

    def next_token_probabilities(self, prompt: str, answer_prefix: str):
        """Probabilities of the token after `prompt`, whose last line is `answer_prefix`."""
        import torch

        tokenizer, model = self._loaded
        if self.chat:  # the instruction as the user's turn, the prefix as the assistant's
            user = prompt.removesuffix(answer_prefix).rstrip()
            prompt = (
                tokenizer.apply_chat_template(
                    [{"role": "user", "content": user}], add_generation_prompt=True, tokenize=False
                )
                + answer_prefix
            )
        ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=not self.chat)
        with torch.inference_mode():
            logits = model(ids["input_ids"]).logits
        return torch.softmax(logits[0, -1].float(), dim=-1)


class DigitJudge(LocalJudge):
    """Few-shot 0-9 score; the expected value over the digit tokens, scaled to 0-1."""

    @cached_property
    def _digits(self) -> dict[str, list[int]]:
        return {d: self.token_ids(d, f" {d}") for d in "0123456789"}

    def score(self, item: Item) -> float | None:
        probabilities = self.next_token_probabilities(
            digit_prompt(item.question, item.reference, item.candidate), "Score: "
        )
        mass = {d: float(probabilities[ids].sum()) for d, ids in self._digits.items()}
        return expected_digit_score(mass) if sum(mass.values()) >= MIN_MASS else None


class AgreementJudge(LocalJudge):
    """Few-shot "same facts?" question; the score is P(Yes) / (P(Yes) + P(No))."""

    def score(self, item: Item) -> float | None:
        probabilities = self.next_token_probabilities(
            agreement_prompt(item.question, item.reference, item.candidate), "Same facts:"
        )
        yes = float(probabilities[self.token_ids(" Yes")].sum())
        no = float(probabilities[self.token_ids(" No")].sum())
        return round(yes / (yes + no), 6) if yes + no >= MIN_MASS else None
