"""Do the local judges earn their place? Every control on every test question, measured.

For the sample test set (sample_data/) and a held-back catalog in the reference's format that the
judges were never tuned on (bench/heldout/), each local judge scores every control of every
question (`tailor.evaluation.judging.control_items` with the whole set as the sample) and the
night's calibration rule (`calibrate`, with the default settings' minimums) says whether it
would stay in the panel. Prints per judge and data set: the positive control's mean, the
separation from each kind of wrong answer, the length bias, the injection gain, kept or
excluded, and seconds per judgement on this machine.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from tailor.evaluation.judging import CONTROL_KINDS, control_items
from tailor.evaluation.metrics import calibrate
from tailor.local.judge import FactLikelihoodJudge
from tailor.local.models import base_model_dir, gemma_dir
from tailor.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SETS = {
    "sample": REPO / "sample_data" / "test_set.json",
    "held-back": REPO / "bench" / "heldout" / "test_set.json",
}
JUDGES = {"smollm2": base_model_dir, "gemma3": gemma_dir}


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = Settings()
    cache = Path(os.environ.get("TAILOR_MODEL_CACHE") or tempfile.mkdtemp(prefix="tailor-judges-"))
    for set_name, path in SETS.items():
        cases = json.loads(path.read_text())
        items = control_items(cases, sample=len(cases), seed="bench")
        print(f"\n{set_name}: {len(cases)} questions, {len(items)} control judgements per judge")
        for judge_name, model_dir in JUDGES.items():
            judge = FactLikelihoodJudge(model_dir(cache))
            judge.score(items[0])  # load the model outside the timing
            started = time.perf_counter()
            scores = {item.key: judge.score(item) for item in items}
            seconds = (time.perf_counter() - started) / len(items)
            by_kind = {kind: [s for k, s in scores.items() if k.startswith(f"control:{kind}:")]
                       for kind in CONTROL_KINDS}  # fmt: skip
            c = calibrate({judge_name: by_kind}, settings.judge_minimums,
                          settings.judge_max_injection_gain)[judge_name]  # fmt: skip
            separations = "  ".join(f"{kind} {value:.3f}" for kind, value in c.separations.items())
            verdict = "kept" if not c.excluded else f"excluded ({'; '.join(c.reasons)})"
            print(f"  {judge_name:8} positive {c.positive_mean:.3f}  separation: {separations}"
                  f"  length bias {c.length_bias:+.3f}  injection gain "
                  f"{c.injection_susceptibility:+.3f}  {verdict}  {seconds:.2f} s/judgement",
                  flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
