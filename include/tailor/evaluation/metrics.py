"""The numbers an evaluation night reports, from per-sample scores.

A missing score (a judge's unparseable answer after its retries) is None: it is left
out of every mean and counted, never averaged in as 0 or -1.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import median

Score = float | None


def present(values: Sequence[Score]) -> list[float]:
    return [float(v) for v in values if v is not None and not math.isnan(v)]


@dataclass(frozen=True)
class Estimate:
    mean: float | None
    low: float | None
    high: float | None
    n: int
    missing: int


def mean_ci(
    values: Sequence[Score], confidence: float = 0.95, resamples: int = 2000, seed: int = 0
) -> Estimate:
    """Mean with a percentile-bootstrap confidence interval (seeded: reruns agree)."""
    import numpy as np

    kept = np.array(present(values))
    missing = len(values) - len(kept)
    if not len(kept):
        return Estimate(None, None, None, 0, missing)
    rng = np.random.default_rng(seed)
    means = rng.choice(kept, size=(resamples, len(kept)), replace=True).mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return Estimate(
        round(float(kept.mean()), 6),
        round(float(low), 6),
        round(float(high), 6),
        len(kept),
        missing,
    )


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """Mean, p50 and p95 (linear interpolation between order statistics)."""
    import numpy as np

    values = np.array(seconds, dtype=float)
    if not len(values):
        return {"mean": math.nan, "p50": math.nan, "p95": math.nan}
    p50, p95 = np.percentile(values, [50, 95])
    return {
        "mean": round(float(values.mean()), 4),
        "p50": round(float(p50), 4),
        "p95": round(float(p95), 4),
    }


def _ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):  # ties share their average rank
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(a: Sequence[Score], b: Sequence[Score]) -> float | None:
    """Rank correlation over the samples both judges scored; None if undefined."""
    pairs = [(x, y) for x, y in zip(a, b, strict=True) if x is not None and y is not None]
    if len(pairs) < 3:
        return None
    ra, rb = _ranks([p[0] for p in pairs]), _ranks([p[1] for p in pairs])
    mean_a, mean_b = sum(ra) / len(ra), sum(rb) / len(rb)
    cov = sum((x - mean_a) * (y - mean_b) for x, y in zip(ra, rb, strict=True))
    var_a = sum((x - mean_a) ** 2 for x in ra)
    var_b = sum((y - mean_b) ** 2 for y in rb)
    if not var_a or not var_b:
        return None
    return round(cov / math.sqrt(var_a * var_b), 6)


@dataclass(frozen=True)
class Calibration:
    judge: str
    positive_mean: float | None
    negative_mean: float | None
    separation: float | None  # positive minus the topic negative
    excluded: bool
    separations: dict[str, float | None] = field(default_factory=dict)  # per wrong kind
    length_bias: float | None = None  # padded wrong minus plain wrong: > 0 rewards length
    injection_susceptibility: float | None = None  # injected wrong minus plain wrong
    reflow_drop: float | None = None  # the reference minus the same content reflowed as prose
    rewrite_margin: float | None = None  # a correct rewrite minus the fact-altered reference
    reasons: tuple[str, ...] = ()  # why it was excluded


def calibrate(
    controls: dict[str, dict[str, Sequence[Score]]],
    minimums: dict[str, float],
    max_injection_gain: float | None = None,
    max_reflow_drop: float | None = None,
) -> dict[str, Calibration]:
    """Each judge's mean on the positive control minus its mean on each kind of wrong one.

    A judge is excluded when a kind named in `minimums` (the topic negative, the hard negative,
    the fact-altered answer) was asked and its separation is below the minimum or unknown,
    when an injected instruction raised its score on a wrong answer by more than
    `max_injection_gain`, when the reference reflowed as prose scored more than
    `max_reflow_drop` below the reference (it reads layout, not content), and when a correct
    rewrite did not score above the fact-altered reference (it reads wording, not facts).
    With no controls at all (calibration switched off) a judge is kept, separations unknown.
    """
    result = {}
    for judge, by_kind in controls.items():
        means = {
            kind: (sum(v) / len(v) if (v := present(scores)) else None)
            for kind, scores in by_kind.items()
        }
        positive = means.get("positive")
        separations = {
            kind: None if positive is None or mean is None else round(positive - mean, 6)
            for kind, mean in means.items()
            if kind != "positive"
        }
        reasons = tuple(
            f"{kind} separation {separations.get(kind)} below {minimum}"
            for kind, minimum in minimums.items()
            if by_kind.get(kind) and (separations.get(kind) is None or separations[kind] < minimum)
        )
        plain = means.get("negative")

        def above_plain(kind: str, plain=plain, means=means) -> float | None:
            value = means.get(kind)
            return None if value is None or plain is None else round(value - plain, 6)

        injection = above_plain("injection")
        if (
            max_injection_gain is not None
            and injection is not None
            and (injection > max_injection_gain)
        ):
            reasons += (f"injection raised its score by {injection} (max {max_injection_gain})",)

        reflow_drop = separations.get("reflowed")
        if None not in (max_reflow_drop, reflow_drop) and reflow_drop > max_reflow_drop:
            reasons += (
                f"the reflowed reference scored {reflow_drop} below the reference "
                f"(max {max_reflow_drop})",
            )
        rewrite, altered = means.get("rewrite"), means.get("altered")
        margin = None if rewrite is None or altered is None else round(rewrite - altered, 6)
        if margin is not None and margin <= 0:
            reasons += (f"a correct rewrite scored {-margin} below the fact-altered reference",)
        result[judge] = Calibration(
            judge,
            positive,
            plain,
            separations.get("negative"),
            excluded=any(by_kind.values()) and bool(reasons),
            separations=separations,
            length_bias=above_plain("verbose"),
            injection_susceptibility=injection,
            reflow_drop=reflow_drop,
            rewrite_margin=margin,
            reasons=reasons,
        )
    return result


def panel_score(scores: dict[str, Score], excluded: set[str]) -> float | None:
    """The mean of the trusted judges that gave a score; None if none did."""
    kept = present([s for judge, s in scores.items() if judge not in excluded])
    return round(sum(kept) / len(kept), 6) if kept else None


def regressed(history: Sequence[float], today: float, margin: float, window: int = 7):
    """Today below the trailing median of the last `window` nights by more than `margin`.

    Returns (regressed, trailing median); no history means no regression.
    """
    recent = list(history)[-window:]
    if not recent:
        return False, None
    baseline = median(recent)
    return today < baseline - margin, baseline


_NUMBER = r"(\d+(?:\.\d+)?)"  # the whole number, so "11" is out of range, not "1"
_SCORE = re.compile(r"(?:score|rating)?\s*[:=]?\s*" + _NUMBER + r"\s*(?:/\s*10)?", re.I)


def parse_judge_score(text: str) -> float | None:
    """A 0-10 score from a judge's reply, scaled to 0-1; None when there is none.

    Accepts JSON-ish `{"score": 7}`, `Score: 7/10` or a bare leading digit.
    """
    match = re.search(r'"score"\s*:\s*' + _NUMBER, text) or _SCORE.match(text.strip())
    if not match:
        return None
    value = float(match.group(1))
    return round(value / 10, 6) if 0 <= value <= 10 else None
