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

from judge_agreement import local_judges

from tailor.catalog import parse_catalog_text
from tailor.evaluation.judging import CONTROL_KINDS, control_items
from tailor.evaluation.metrics import calibrate
from tailor.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SETS = {  # each data set's folder: its test set and catalog
    "sample": REPO / "sample_data",
    "held-back": REPO / "bench" / "heldout",
}


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = Settings()
    cache = Path(os.environ.get("TAILOR_MODEL_CACHE") or tempfile.mkdtemp(prefix="tailor-judges-"))
    for set_name, folder in SETS.items():
        cases = json.loads((folder / "test_set.json").read_text())
        catalog = folder / "product_catalog.txt"
        products = {p.name: p.text for p in parse_catalog_text(catalog.read_text(), str(catalog))}
        items = control_items(cases, sample=len(cases), seed="bench")
        print(f"\n{set_name}: {len(cases)} questions, {len(items)} control judgements per judge")
        for judge_name, score in local_judges(cache, products).items():
            score(items[0])  # load the model outside the timing
            started = time.perf_counter()
            scores = {item.key: score(item) for item in items}
            seconds = (time.perf_counter() - started) / len(items)
            by_kind = {
                kind: [s for k, s in scores.items() if k.startswith(f"control:{kind}:")]
                for kind in CONTROL_KINDS
            }
            c = calibrate(
                {judge_name: by_kind},
                settings.judge_minimums,
                settings.judge_max_injection_gain,
                settings.judge_max_reflow_drop,
            )[judge_name]
            separations = "  ".join(
                f"{kind} {value:.3f}" for kind, value in c.separations.items() if value is not None
            )
            verdict = "kept" if not c.excluded else f"excluded ({'; '.join(c.reasons)})"
            print(
                f"  {judge_name:8} positive {c.positive_mean:.3f}  separation: {separations}"
                f"  length bias {c.length_bias:+.3f}  injection gain "
                f"{c.injection_susceptibility:+.3f}  {verdict}  {seconds:.2f} s/judgement",
                flush=True,
            )


if __name__ == "__main__":
    main()
