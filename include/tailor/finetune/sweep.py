"""A hyperparameter sweep: the candidates one fine-tune run trains, and how the best is picked.

A run trains one candidate per hyperparameter set; the run-level values (the ``epochs``,
``learning_rate`` and ``max_steps`` Params) fill in whatever a set leaves out. A run without
a sweep trains one candidate named after the run's version, exactly as before sweeps.
"""

from __future__ import annotations

from statistics import fmean
from typing import Any

from tailor.errors import InputError

# the JSON schema of each swept hyperparameter: the DAG's Params and the sweep's items use it
HYPERPARAMETERS: dict[str, dict[str, Any]] = {
    "epochs": {"type": "number", "minimum": 0.1, "maximum": 10},
    # empty: the trainer's default (DEFAULT_LEARNING_RATE; a Bedrock base model's own)
    "learning_rate": {"type": ["null", "number"], "exclusiveMinimum": 0, "maximum": 0.1},
    "max_steps": {"type": "integer", "minimum": 0},
}
MAX_CANDIDATES = 4  # a candidate is served beside the deployed model while the gate compares
DEFAULT_LEARNING_RATE = 2e-4  # LoRA locally, and the JumpStart job's


def sweep_schema() -> dict[str, Any]:
    """The ``sweep`` Param's schema: up to MAX_CANDIDATES distinct, non-empty sets."""
    return {
        "type": "array",
        "maxItems": MAX_CANDIDATES,
        "uniqueItems": True,
        "items": {
            "type": "object",
            "properties": HYPERPARAMETERS,
            "additionalProperties": False,
            "minProperties": 1,
        },
    }


def plan_candidates(
    version: str,
    defaults: dict[str, Any],
    sweep: list[dict[str, Any]],
    learning_rate: float = DEFAULT_LEARNING_RATE,
) -> list[dict[str, Any]]:
    """One candidate per set: its name (training job, inference component, model folder) and
    its complete hyperparameters (an empty learning rate is the trainer's `learning_rate`).
    Two sets that come to the same values are refused: they would pay for the same training
    twice."""
    base = {key: defaults[key] for key in HYPERPARAMETERS}
    sets = [{**base, **chosen} for chosen in sweep] or [base]
    sets = [
        {**values, "learning_rate": values["learning_rate"] or learning_rate} for values in sets
    ]
    for index, values in enumerate(sets):
        if values in sets[:index]:
            first = sets.index(values) + 1
            raise InputError(
                "Param sweep",
                None,
                f"entry {index + 1} repeats entry {first} "
                f"once the run's values fill it in: {values}",
            )
    if len(sets) == 1:
        return [{"version": version, "name": version, "index": 0, "hyperparameters": sets[0]}]
    return [
        {"version": version, "name": f"{version}-{n}", "index": n, "hyperparameters": values}
        for n, values in enumerate(sets, start=1)
    ]


def pick_winner(scores: dict[str, list[float]]) -> tuple[str, str]:
    """The candidate with the highest mean score (the first listed on a tie), and why."""
    means = {name: fmean(values) for name, values in scores.items()}
    winner = max(means, key=lambda name: means[name])  # max keeps the first of equal means
    if len(means) == 1:
        return winner, "the only candidate"
    others = ", ".join(f"{name} {mean:.4f}" for name, mean in means.items() if name != winner)
    return winner, f"highest mean of {len(means)} candidates: {means[winner]:.4f} ({others})"
