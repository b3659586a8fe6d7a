"""nightly_eval for real on the embedded backend, with a small sample."""

from __future__ import annotations

import csv
import io
import json
import logging
import shutil
from datetime import UTC, datetime

import pytest

from tailor.evaluation.diagnostics import KINDS
from tailor.evaluation.monthly_cost import monthly_cost
from tailor.evaluation.results import REFERENCE_COLUMNS, read_history, write_history
from tailor.local.ports import reserve_port
from tailor.local.server import LocalModelServer
from tailor.prices import Prices
from tests.support.assets import asset_event_extras
from tests.support.paths import REPO, SAMPLE_CATALOG, SAMPLE_TEST_SET

NIGHT = datetime(2026, 11, 20, 1, tzinfo=UTC)
REFERENCE_FIELDS = {
    "input_text",
    "ground_truth",
    "llm_response",
    "context",
    "bert_score",
    "llm_evaluator_score",
}


@pytest.fixture(scope="module")
def dags():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags"))
    return {dag_id: bag.get_dag(dag_id) for dag_id in ("kb_sync", "nightly_eval")}


@pytest.fixture
def synced(tmp_path, tailor_settings, airflow_db, dags, monkeypatch):
    monkeypatch.setenv("TAILOR_ENDPOINT_UP_CRON", "never")  # off-hours: wake and restore
    monkeypatch.setenv("TAILOR_ENDPOINT_DOWN_CRON", "0 0 * * *")
    root = tmp_path / "data"
    (root / "catalog").mkdir(parents=True)
    shutil.copy(SAMPLE_CATALOG, root / "catalog")
    cases = json.loads(SAMPLE_TEST_SET.read_text())
    cases.insert(0, {"product_name": "Halden Ghost", "question": "Is it real?", "answer": "No."})
    (root / "test_set.json").write_text(json.dumps(cases))
    port = reserve_port()
    tailor_settings(
        data_root=str(root),
        local_endpoint_port=port,
        endpoint_poll_seconds=1,
        judge_controls=2,  # the default minimums: the local judge must earn its place
    )
    assert {ti.state for ti in dags["kb_sync"].test().get_task_instances()} == {"success"}
    server = LocalModelServer(root / "endpoint", port)
    yield root
    server.stop()


def stale_events() -> int:
    return len(asset_event_extras("tailor_fine_tune_stale"))


def run(dag, night: datetime = NIGHT, **conf) -> dict[str, str]:
    dag_run = dag.test(logical_date=night, run_conf=conf)
    states: dict[str, str] = {}
    for ti in dag_run.get_task_instances():
        key = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
        states[key] = ti.state
    return states


def test_all_approaches_answer_score_and_replace_their_date(dags, synced, caplog, capsys):
    events = stale_events()
    states = run(dags["nightly_eval"], sample_limit=2)
    assert stale_events() == events  # no fine-tuned model: no gap, no event
    assert states.pop("batch_jobs") == "skipped"  # an online night: answer left it nothing
    assert set(states.values()) == {"success"}, states
    night = synced / "evaluations" / "2026-11-20"
    for approach in ("rag", "fine_tuned", "hybrid", "base"):
        rows = json.loads((night / f"{approach}.json").read_text())
        assert len(rows) == 2 and REFERENCE_FIELDS | {"keypoints"} <= set(rows[0])
        assert rows[0]["input_text"] == "How much water does the BrewPro 3 water tank hold?"
        assert all(r["llm_response"] and 0 < r["bert_score"] <= 1 for r in rows)
        for r in rows:  # the local panel's one judge kept: the panel score is its score
            assert 0 <= r["keypoints"] <= 1
            assert r["llm_evaluator_score"] == pytest.approx(r["keypoints"], abs=1e-6)
        assert all(r["inference_time"] > 0 and r["output_tokens"] > 0 for r in rows)
        assert bool(rows[0]["chunk_ids"]) == (approach in ("rag", "hybrid"))
        # the first question (the BrewPro 3's 1.8-litre tank) has a checkable fact
        assert 0 <= rows[0]["fact_recall"] <= 1 and 0 <= rows[0]["fact_contradiction"] <= 1
        retrieving = approach in ("rag", "hybrid")
        for r in rows:  # every answer diagnosed: retrieval where there was one, its anatomy
            assert r["diagnosis"]["anatomy"] in KINDS
            assert (r["diagnosis"]["retrieved"] is None) != retrieving
            assert 0 <= r["diagnosis"]["reference_support"] <= 1
        if retrieving:  # the tank question retrieves its own product first
            assert rows[0]["chunk_products"][0] == "Halden BrewPro 3 Espresso Machine"
            assert rows[0]["diagnosis"]["retrieval_rank"] == 1
            assert 0 < rows[0]["diagnosis"]["context_coverage"] <= 1
    summary = list(csv.DictReader(io.StringIO((night / "summary_results.csv").read_text())))
    assert list(summary[0])[:4] == REFERENCE_COLUMNS
    assert [s["method"] for s in summary] == ["rag", "fine_tuned", "hybrid", "base"]
    by_method = {s["method"]: s for s in summary}
    assert all(0 <= float(s["avg_fact_recall"]) <= 1 for s in summary)
    for s in summary:  # each answer in one kind of the anatomy; retrieval only where it ran
        assert sum(int(s[f"anatomy_{kind}"]) for kind in KINDS) == 2
        assert (s["retrieval_hit_rate"] == "") == (s["method"] in ("fine_tuned", "base"))
    assert float(by_method["rag"]["retrieval_mrr"]) > 0
    assert "Why an approach wins or loses" in (night / "report.html").read_text()
    assert "Where the answers went wrong:\nrag: " in caplog.text  # the task's log
    compared = list(csv.DictReader(io.StringIO((night / "comparisons.csv").read_text())))
    assert len(compared) == 6 * 3  # every pair of the four approaches, three metrics
    assert {c["metric"] for c in compared} == {"bert_score", "llm_evaluator_score", "fact_recall"}
    assert all(int(c["n"]) == 2 for c in compared if c["metric"] == "bert_score")
    assert float(by_method["rag"]["monthly_cost_24x7"]) == pytest.approx(345.6 + 198.0)
    assert float(by_method["base"]["monthly_cost_24x7"]) == pytest.approx(198.0)
    # the endpoint woke for this night: its own hours count (so more than no hours at all),
    # and the recorded hours price below 24/7
    for approach in ("fine_tuned", "hybrid"):
        scheduled = float(by_method[approach]["monthly_cost_scheduled"])
        asleep = monthly_cost(approach, Prices(), endpoint_hours=0.0)["monthly_cost_scheduled"]
        assert asleep < scheduled < float(by_method[approach]["monthly_cost_24x7"])
    judges = json.loads((night / "judges.json").read_text())
    assert {c["judge"] for c in judges["calibration"]} == {"keypoints"}
    for judge in judges["calibration"]:  # every kind of control was asked and scored
        assert all(
            judge[k] is not None
            for k in (
                "separation",
                "hard_separation",
                "fact_separation",
                "length_bias",
                "injection_susceptibility",
            )
        ), judge
    assert not any(c["excluded"] for c in judges["calibration"])
    assert LocalModelServer(synced / "endpoint", 0).state() is None  # restored to off-hours

    # three earlier nights where rag's panel scored far higher on the same questions: tonight
    # is a regression beyond the margin, and significant question by question
    earlier = json.loads((night / "rag.json").read_text())
    for row in earlier:
        row["llm_evaluator_score"] = 0.99
    for day in ("2026-11-17", "2026-11-18", "2026-11-19"):
        write_history(
            synced / "evaluations" / "history",
            day,
            [{"method": "rag", "avg_llm_evaluator_score": 0.99}],
            {},
        )
        (synced / "evaluations" / day).mkdir()
        (synced / "evaluations" / day / "rag.json").write_text(json.dumps(earlier))
    answers_before = (night / "answers" / "rag.json").read_text()
    capsys.readouterr()
    with caplog.at_level(logging.WARNING):
        states = run(
            dags["nightly_eval"],
            sample_limit=2,
            rescore_only=True,
            judges=["smollm2"],
            approaches=["rag", "base"],
        )
    assert states.pop("check_regression") == "failed"
    assert states.pop("batch_jobs") == "skipped"
    assert "panel score regressed on 2026-11-20: rag" in capsys.readouterr().out
    assert set(states.values()) == {"success"}, states
    assert "Tailor: nightly_eval regressed" in caplog.text  # the notifier fired
    assert "panel score regressed on 2026-11-20: rag" in caplog.text  # with the reason
    assert (night / "answers" / "rag.json").read_text() == answers_before
    rows = json.loads((night / "rag.json").read_text())
    assert "gemma3" not in rows[0] and rows[0]["llm_evaluator_score"] == rows[0]["smollm2"]

    history = read_history(synced / "evaluations" / "history")
    history = history[history["date"] == "2026-11-20"]
    assert sorted(history["method"]) == ["base", "rag"]  # the date was replaced, not appended
    assert history["kb_manifest"].notna().all()
    assert set(history["model_version"]) == {"base"}


def summary_of(night) -> dict[str, dict[str, str]]:
    rows = csv.DictReader(io.StringIO((night / "summary_results.csv").read_text()))
    return {row["method"]: row for row in rows}


def test_a_catalog_edited_after_the_fine_tune_is_measured_as_staleness(dags, synced):
    from tailor.finetune.registry import promote, write_lineage
    from tailor.local.models import base_model_dir
    from tailor.settings import Settings

    models = synced / "models"
    trained_on = json.loads((synced / "kb_sync" / "last_synced.json").read_text())["manifest"]
    # the deployed fine-tuned model learned the catalog as first synced (its weights are the
    # base model's: what is measured here is the split, not the model)
    write_lineage(
        models,
        "ft-seeded",
        {
            "version": "ft-seeded",
            "promoted": True,
            "catalog": {"manifest_hash": trained_on["hash"]},
        },
    )
    promote(
        models, {"version": "ft-seeded", "path": str(base_model_dir(Settings().model_cache_dir))}
    )
    # every Param given: dag.test() keeps an earlier test's run_conf in the module's DAG object
    conf = {
        "sample_limit": 4,
        "approaches": ["rag", "fine_tuned"],
        "judges": ["smollm2"],
        "rescore_only": False,
    }
    before = datetime(2026, 11, 19, 1, tzinfo=UTC)
    events = stale_events()
    states = run(dags["nightly_eval"], before, **conf)
    assert stale_events() == events  # nothing changed: no gap, no event
    assert states.pop("batch_jobs") == "skipped"
    assert set(states.values()) == {"success"}, states
    first = summary_of(synced / "evaluations" / "2026-11-19")
    for approach in ("rag", "fine_tuned"):  # nothing changed yet: one side is empty, not 0
        assert first[approach]["changed_questions"] == "0"
        assert first[approach]["bert_score_changed"] == ""
        assert 0 < float(first[approach]["bert_score_unchanged"]) <= 1

    catalog = synced / "catalog" / "product_catalog.txt"  # the BrewPro 3's tank grows
    catalog.write_text(
        catalog.read_text().replace("tank holds 1.8 litres", "tank holds 2.4 litres")
    )
    assert {ti.state for ti in dags["kb_sync"].test().get_task_instances()} == {"success"}
    states = run(dags["nightly_eval"], **conf)
    assert states.pop("batch_jobs") == "skipped"
    assert set(states.values()) == {"success"}, states
    night = synced / "evaluations" / "2026-11-20"
    tonight = summary_of(night)
    # the stale event is emitted exactly when fine_tuned's gap is significant
    low = float(tonight["fine_tuned"]["llm_evaluator_gap_ci_low"])
    assert stale_events() == events + (low > 0)
    for approach in ("rag", "fine_tuned"):  # measured for every approach, forced for none
        s = tonight[approach]
        assert s["changed_products"] == "1" and s["changed_questions"] == "2"
        assert s["stale_references"] == "2"
        for column in (
            "bert_score_changed",
            "bert_score_unchanged",
            "llm_evaluator_score_changed",
            "llm_evaluator_score_unchanged",
        ):
            assert 0 <= float(s[column]) <= 1, (approach, column)
        gap = float(s["bert_score_unchanged"]) - float(s["bert_score_changed"])
        assert float(s["bert_score_gap"]) == pytest.approx(gap, abs=1e-5)
        assert float(s["llm_evaluator_gap_ci_low"]) <= float(s["llm_evaluator_gap"])
    rows = json.loads((night / "fine_tuned.json").read_text())
    assert [r["product_changed"] for r in rows] == [True, True, False, False]
    anatomy = [r["diagnosis"]["anatomy"] for r in rows]  # a miss on the changed product is stale
    assert set(anatomy[:2]) <= {"stale_knowledge", "correct"}, anatomy
    assert "stale_knowledge" not in anatomy[2:], anatomy
    assert "stale_knowledge" in anatomy, anatomy  # the base weights do not know the new tank
    # the BrewPro cases were last written when the tank held 1.8 litres
    assert [r["reference_may_be_stale"] for r in rows] == [True, True, False, False]
    report = (night / "report.html").read_text()
    assert "Staleness: fine_tuned answers" in report
    assert "on the 1 product changed since its training; rag" in report
    assert "References that may be stale (2)" in report
    assert "How often should I descale the BrewPro 3?" in report
    history = read_history(synced / "evaluations" / "history")
    assert sorted(history["changed_questions"].tolist()) == [0, 0, 2, 2]


def test_a_night_no_judge_can_sit_is_still_summarized(dags, synced):
    """The panel leaves every judge out (here an unknown id): the night is summarized with the
    panel score missing, not skipped with everything after the judges."""
    conf = {
        "sample_limit": 1,
        "approaches": ["rag"],
        "judges": ["no-such-judge"],
        "rescore_only": False,
    }
    states = run(dags["nightly_eval"], **conf)
    assert states["summarize"] == "success", states
    assert states["check_regression"] == "success", states
    rag = summary_of(synced / "evaluations" / "2026-11-20")["rag"]
    assert rag["avg_llm_evaluator_score"] == "" and 0 < float(rag["avg_bert_score"]) <= 1


def test_rescore_without_stored_answers_fails_clearly(dags, synced, capsys):
    states = run(dags["nightly_eval"], sample_limit=1, rescore_only=True, approaches=["base"])
    assert states["answer[0]"] == "failed"
    assert "re-score only: no stored base answers for 2026-11-20" in capsys.readouterr().out


def test_a_malformed_test_set_fails_prepare_cases_at_once_naming_the_place(dags, synced, capsys):
    (synced / "test_set.json").write_text('[\n{"product_name": "P",\n "question": }\n]')
    capsys.readouterr()
    dag_run = dags["nightly_eval"].test(logical_date=NIGHT, run_conf={"sample_limit": 1})
    prepare = next(t for t in dag_run.get_task_instances() if t.task_id == "prepare_cases")
    assert prepare.state == "failed" and prepare.try_number == 1  # not retried
    assert "test_set.json:3: not valid JSON" in capsys.readouterr().out
    # the endpoint woke beside the cases; the teardown put it back for the failed night
    states = {t.task_id: t.state for t in dag_run.get_task_instances()}
    assert states["wake_endpoint"] == states["restore_endpoint"] == "success"
    assert LocalModelServer(synced / "endpoint", 0).state() is None


def test_asleep_endpoint_marks_its_approaches_unavailable_and_the_rest_still_answer(tmp_path):
    from tailor.evaluation.answering import answer_all
    from tailor.evaluation.approaches import Approach
    from tailor.evaluation.results import summarize
    from tailor.settings import Settings
    from tailor.testset import TestCase
    from tailor_airflow.answerers import local_answerer

    settings = Settings.from_mapping(
        {"data_root": str(tmp_path), "local_endpoint_port": reserve_port()}
    )
    answerer = local_answerer(settings)  # nothing listens on the endpoint's port: asleep
    cases = [TestCase("Halden BrewPro 3 Espresso Machine", "How big is the tank?", "1.8 l.")]
    asleep = answer_all(answerer, Approach.FINE_TUNED, cases)
    base = answer_all(answerer, Approach.BASE, cases)
    assert asleep[0].llm_response is None and asleep[0].unavailable.startswith("endpoint asleep")
    assert base[0].llm_response and base[0].output_tokens > 0
    summary = summarize("fine_tuned", [a.to_dict() for a in asleep])
    assert summary["answered"] == 0 and summary["avg_bert_score"] is None
    assert summary["unavailable"].startswith("endpoint asleep")
