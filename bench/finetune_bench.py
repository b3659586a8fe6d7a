"""Local fine-tuning of the sample catalog: seconds per epoch and peak memory.

Goal: one epoch <= 2 min and <= 4 GB on 2 cores. Each method trains one full epoch in
a child process, so its peak resident memory is that training's alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys
from pathlib import Path
from tailor.catalog import parse_catalog
from tailor.finetune.dataset import Method, build_training_set
from tailor.local.lora import train_lora
from tailor.local.models import base_model_dir
from tailor.settings import Settings
from tailor.testset import load_test_set

repo, method, out = Path(sys.argv[1]), Method(sys.argv[2]), Path(sys.argv[3])
products = parse_catalog([("c", (repo / "sample_data/product_catalog.txt").read_bytes())])
cases = load_test_set((repo / "sample_data/test_set.json").read_bytes(), "t").cases
training = build_training_set(method, products, cases)
base = base_model_dir(Path(Settings.from_mapping({}).model_cache_dir))
pairs = [(p.prompt, p.answer) for p in training.pairs]
result = train_lora(base, out, texts=training.texts, pairs=pairs, epochs=1, log=lambda _: None)
peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({**vars(result), "peak_mib": peak_mib}))
"""


def main() -> None:
    for method in ("instruction_tuning", "domain_adaptation"):
        with tempfile.TemporaryDirectory() as work:
            proc = subprocess.run(
                [sys.executable, "-c", CHILD, str(REPO), method, f"{work}/model"],
                capture_output=True,
                text=True,
                check=True,
            )
            result = json.loads(proc.stdout.strip().splitlines()[-1])
        print(
            f"{method:19s}: {result['examples']} examples, {result['steps']} steps, "
            f"{result['seconds_per_epoch']:.0f} s/epoch, loss {result['first_loss']} -> "
            f"{result['last_epoch_loss']}, peak RSS {result['peak_mib']:,.0f} MiB  "
            f"[goal: <= 120 s/epoch, <= 4096 MiB]"
        )


if __name__ == "__main__":
    main()
