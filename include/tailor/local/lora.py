"""LoRA fine-tuning of a small causal LM on CPU, merged into a plain model folder.

A plain PyTorch loop over peft: batch 1, fp32, loss only on the answer tokens for
instruction pairs and on every token for domain text. Each step is logged (step, loss,
seconds) so a task log reads like a progress bar. The merged model is written to a
temporary folder and renamed into place, so a crash never leaves half a model.
"""

from __future__ import annotations

import math
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TrainResult:
    steps: int
    epochs_run: float
    examples: int
    first_loss: float
    last_epoch_loss: float
    seconds: float
    seconds_per_epoch: float


def _encode(tokenizer, texts, pairs, max_length: int) -> list[tuple[list[int], list[int]]]:
    examples = []
    for text in texts:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        for start in range(0, len(ids), max_length):  # long passages become several windows
            window = ids[start : start + max_length]
            if len(window) > 8:
                examples.append((window, list(window)))
    for prompt, completion in pairs:
        rendered = tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=False
        )
        prompt_ids = tokenizer(rendered, add_special_tokens=False)["input_ids"]
        answer_ids = tokenizer(completion, add_special_tokens=False)["input_ids"]
        answer_ids = answer_ids + [tokenizer.eos_token_id]
        ids = (list(prompt_ids) + answer_ids)[:max_length]
        labels = ([-100] * len(prompt_ids) + answer_ids)[:max_length]
        examples.append((ids, labels))
    return examples


def train_lora(
    base_dir: Path,
    out_dir: Path,
    *,
    texts: list[str] = (),
    pairs: list[tuple[str, str]] = (),
    epochs: float = 1,
    learning_rate: float = 2e-4,
    max_steps: int | None = None,
    max_length: int = 384,
    rank: int = 8,
    seed: int = 0,
    log: Callable[[str], None] = print,
) -> TrainResult:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    examples = _encode(tokenizer, list(texts), list(pairs), max_length)
    if not examples:
        raise ValueError("nothing to train on")
    model = get_peft_model(
        model,
        LoraConfig(
            r=rank,
            lora_alpha=2 * rank,
            lora_dropout=0.05,
            target_modules=["q_proj", "k_proj", "v_proj", "o_proj"],
            task_type="CAUSAL_LM",
        ),
    )
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=learning_rate)
    total = math.ceil(epochs * len(examples))
    if max_steps:
        total = min(total, max_steps)
    log(f"LoRA rank {rank} on {len(examples)} examples: {total} steps, lr {learning_rate}")
    model.train()
    order_rng = random.Random(seed)
    started = time.perf_counter()
    step, first_loss, epoch_losses = 0, math.nan, []
    while step < total:
        order = list(range(len(examples)))
        order_rng.shuffle(order)
        epoch_losses = []
        for index in order:
            ids, labels = examples[index]
            output = model(input_ids=torch.tensor([ids]), labels=torch.tensor([labels]))
            loss = output.loss.item()
            output.loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            step += 1
            first_loss = loss if step == 1 else first_loss
            epoch_losses.append(loss)
            elapsed = time.perf_counter() - started
            log(f"step {step}/{total} loss {loss:.4f} {elapsed:.1f}s ({elapsed / step:.2f}s/step)")
            if step >= total:
                break
    seconds = time.perf_counter() - started
    merged = model.merge_and_unload()
    partial = out_dir.with_name(f".{out_dir.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    merged.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    shutil.rmtree(out_dir, ignore_errors=True)
    partial.rename(out_dir)
    return TrainResult(
        steps=step,
        epochs_run=round(step / len(examples), 3),
        examples=len(examples),
        first_loss=round(first_loss, 4),
        last_epoch_loss=round(sum(epoch_losses) / len(epoch_losses), 4),
        seconds=round(seconds, 2),
        seconds_per_epoch=round(seconds / (step / len(examples)), 2),
    )
