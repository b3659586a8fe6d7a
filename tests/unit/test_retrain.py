"""When a catalog change or a run of stale nights starts a fine-tune, and when it does not."""

from __future__ import annotations

import pytest

from tailor.finetune.registry import promote, write_lineage
from tailor.finetune.retrain import decide_retrain, stale_streak
from tailor.kb_sync import plan_sync, record_sync
from tests.support.catalogs import edit
from tests.support.paths import SAMPLE_CATALOG


def sync(root) -> str:
    plan = plan_sync(root / "catalog", root / "kb_sync").to_dict()
    record_sync(root / "kb_sync", plan, {}, "run")
    return plan["manifest_hash"]


@pytest.fixture
def deployed(tmp_path):
    """A catalog synced, and a fine-tuned model trained on it and deployed."""
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "product_catalog.txt").write_text(SAMPLE_CATALOG.read_text())
    trained_on = sync(tmp_path)
    lineage(tmp_path, "ft-1", trained_on, promoted=True, at="2026-11-01T03:00:00+00:00")
    promote(tmp_path / "models", {"version": "ft-1", "path": "unused"})
    return tmp_path


def lineage(root, version: str, manifest: str, promoted: bool, at: str) -> None:
    write_lineage(
        root / "models",
        version,
        {
            "version": version,
            "promoted": promoted,
            "recorded_at": at,
            "catalog": {"manifest_hash": manifest},
        },
    )


def decide(root, history=(), drift=0.25, nights=3):
    return decide_retrain(root / "models", root / "kb_sync", list(history), drift, nights)


def test_no_deployed_model_never_starts_a_fine_tune_on_an_event(tmp_path):
    decision = decide(tmp_path)
    assert not decision.retrain and "no fine-tuned model is deployed" in decision.message


def test_a_third_of_the_catalog_changed_starts_a_fine_tune_with_its_figures(deployed):
    edit(deployed / "catalog", 6)  # 6 of 16 products
    sync(deployed)
    decision = decide(deployed)
    assert decision.retrain
    assert decision.reason["trigger"] == "drift" and decision.reason["drift"] == 0.375
    assert decision.reason["changed"] == 6 and decision.reason["products"] == 16
    assert decision.reason["deployed_version"] == "ft-1"
    assert "6 of 16 products added or changed (38%" in decision.message


def test_a_small_change_only_logs_the_drift(deployed):
    edit(deployed / "catalog", 2)
    sync(deployed)
    decision = decide(deployed)
    assert not decision.retrain and decision.reason == {}
    assert "2 of 16 products" in decision.message and "below retrain_drift 25%" in decision.message


def test_a_rejected_candidate_on_the_same_change_is_not_retrained_at_every_sync(deployed):
    edit(deployed / "catalog", 6)
    candidate_catalog = sync(deployed)
    lineage(deployed, "ft-2", candidate_catalog, promoted=False, at="2026-11-10T03:00:00+00:00")
    edit(deployed / "catalog", 1)  # one product changes again: 1 of 16 since the candidate
    sync(deployed)
    decision = decide(deployed)
    assert (
        not decision.retrain and "ft-2" in decision.message and "not promoted" in decision.message
    )


def night(date: str, low: float | None, version: str = "ft-1") -> dict:
    return {
        "date": date,
        "method": "fine_tuned",
        "model_version": version,
        "llm_evaluator_gap_ci_low": low,
    }


def test_stale_nights_in_a_row_start_a_fine_tune(deployed):
    history = [
        night("2026-11-15", 0.05),
        night("2026-11-16", 0.02),
        night("2026-11-17", 0.04),
        {**night("2026-11-17", 0.5), "method": "rag"},
    ]
    decision = decide(deployed, history)
    assert decision.retrain and decision.reason["trigger"] == "stale_nights"
    assert decision.reason["nights"] == ["2026-11-15", "2026-11-16", "2026-11-17"]
    assert not decide(deployed, history, nights=4).retrain
    assert not decide(deployed, history, nights=0).retrain  # 0: the rule is off


def test_a_streak_breaks_on_a_night_that_was_not_stale_or_another_model():
    history = [
        night("2026-11-14", 0.05),
        night("2026-11-15", -0.01),
        night("2026-11-16", 0.02),
        night("2026-11-17", float("nan")),
        night("2026-11-18", 0.03),
    ]
    assert stale_streak(history, "ft-1", None) == ["2026-11-18"]
    assert stale_streak(history[:3], "ft-1", None) == ["2026-11-16"]
    assert stale_streak(
        [night("2026-11-14", 0.05, "ft-0"), night("2026-11-15", 0.05)], "ft-1", None
    ) == ["2026-11-15"]
    assert stale_streak(
        [night("2026-11-14", 0.05), night("2026-11-15", 0.05)], "ft-1", "2026-11-14"
    ) == ["2026-11-15"]  # after a rejected candidate


@pytest.mark.parametrize(
    ("run_type", "expected"),
    [
        ("SCHEDULED", {"trigger": "schedule"}),
        ("MANUAL", {"trigger": "manual", "by": "ana"}),
    ],
)
def test_a_scheduled_or_manual_run_always_trains(run_type, expected):
    """The task context's run_type is the Task SDK's enum (its str() is not its value)."""
    from types import SimpleNamespace

    from airflow.sdk.api.datamodels._generated import DagRunType

    from tailor_airflow.retraining import retrain_reason

    run = SimpleNamespace(run_type=DagRunType[run_type], triggering_user_name="ana")
    assert retrain_reason({"dag_run": run}) == expected
