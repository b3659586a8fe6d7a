"""finetune for real on the embedded backend: LoRA, gate, deploy to the running endpoint."""

from __future__ import annotations

import json
import shutil

import pytest

from tailor.finetune.registry import read_current
from tailor.local.ports import reserve_port
from tailor.local.server import LocalModelServer
from tests.support.paths import REPO, SAMPLE_CATALOG, SAMPLE_TEST_SET


@pytest.fixture(scope="module")
def dags():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags"))
    return {dag_id: bag.get_dag(dag_id) for dag_id in ("kb_sync", "finetune", "endpoint_schedule")}


@pytest.fixture
def synced(tmp_path, tailor_settings, airflow_db, dags, monkeypatch):
    monkeypatch.setenv("TAILOR_ENDPOINT_UP_CRON", "* * * * *")  # working hours all the time,
    monkeypatch.setenv("TAILOR_ENDPOINT_DOWN_CRON", "never")  # so teardown keeps it up
    root = tmp_path / "data"
    (root / "catalog").mkdir(parents=True)
    shutil.copy(SAMPLE_CATALOG, root / "catalog")
    shutil.copy(SAMPLE_TEST_SET, root / "test_set.json")
    port = reserve_port()

    def configure(**extra):
        tailor_settings(
            data_root=str(root),
            local_endpoint_port=port,
            endpoint_poll_seconds=1,
            gate_questions=2,
            **extra,
        )

    configure()
    assert {ti.state for ti in dags["kb_sync"].test().get_task_instances()} == {"success"}
    server = LocalModelServer(root / "endpoint", port)
    yield root, server, configure
    server.stop()


def run(dag, **conf) -> dict[str, str]:
    return {ti.task_id: ti.state for ti in dag.test(run_conf=conf).get_task_instances()}


def test_train_gate_deploy_then_a_rejected_candidate_changes_nothing(dags, synced):
    root, server, configure = synced
    assert run(dags["endpoint_schedule"], target_copies=1)["scale_endpoint"] == "success"
    base_model = server.state().model_dir

    # a sweep of two learning rates: both train, the better one at the gate is served
    states = run(
        dags["finetune"], max_steps=3, sweep=[{"learning_rate": 1e-4}, {"learning_rate": 1e-3}]
    )
    assert set(states.values()) == {"success"}, states
    first = read_current(root / "models")
    lineage = json.loads((root / "models" / first["version"] / "lineage.json").read_text())
    assert lineage["promoted"] and lineage["gate"]["reason"].startswith("first model")
    candidates = {c["name"]: c for c in lineage["candidates"]}
    assert [c["hyperparameters"]["learning_rate"] for c in candidates.values()] == [1e-4, 1e-3]
    assert all(c["training_metrics"]["steps"] == 3 for c in candidates.values())
    best = max(candidates, key=lambda name: candidates[name]["gate_score"])
    assert lineage["candidate"] == first["candidate"] == best
    assert lineage["gate"]["candidate_score"] == candidates[best]["gate_score"]
    assert lineage["hyperparameters"]["max_steps"] == 3
    assert (
        lineage["hyperparameters"]["learning_rate"]
        == candidates[best]["hyperparameters"]["learning_rate"]
    )
    (loser,) = set(candidates) - {best}
    assert lineage["cleaned_up"] == [loser] and lineage["winner_reason"].startswith("highest")
    sweep = root / "models" / first["version"] / "candidates"
    assert not (sweep / loser / "model").exists() and (sweep / best / "model").is_dir()
    assert (
        lineage["catalog"]["manifest_hash"]
        == json.loads((root / "kb_sync" / "last_synced.json").read_text())["manifest"]["hash"]
    )
    assert server.state().model_dir == first["path"] != base_model  # restarted on the new model
    channel = root / "models" / first["version"] / "train"
    assert sorted(p.name for p in channel.iterdir()) == ["template.json", "train.jsonl"]
    gate_file = root / "models" / first["version"] / "gate_questions.jsonl"
    trained_on = {json.loads(line)["question"] for line in (channel / "train.jsonl").open()}
    assert not trained_on & {json.loads(line)["question"] for line in gate_file.open()}
    reply = server.chat([{"role": "user", "content": "What is the Halden PureBoil?"}], max_tokens=8)
    assert reply["choices"][0]["message"]["content"].strip()

    configure(gate_margin=-1.0)  # a candidate must now beat the deployed model by 1.0 F1
    states = run(dags["finetune"], max_steps=2)
    assert states["gate"] == "success" and states["deploy"] == "skipped"
    assert states["record_lineage"] == "success"
    assert read_current(root / "models")["version"] == first["version"]
    assert server.state().model_dir == first["path"]
    rejected = [
        p.name for p in (root / "models").iterdir() if p.is_dir() and p.name != first["version"]
    ]
    lineage = json.loads((root / "models" / rejected[0] / "lineage.json").read_text())
    assert not lineage["promoted"] and lineage["gate"]["reason"].startswith("NOT PROMOTED")
    assert lineage["gate"]["deployed_score"] is not None


def test_a_leaking_test_set_stops_the_run_before_training(dags, synced, capsys):
    root, _, _ = synced
    cases = json.loads((root / "test_set.json").read_text())
    cases.append(
        {
            "product_name": "Halden PureBoil Glass Kettle",
            "question": "What safety instructions apply to the Halden PureBoil Glass Kettle?",
            "answer": "Never fill above the MAX mark.",
        }
    )
    (root / "test_set.json").write_text(json.dumps(cases))
    states = run(dags["finetune"], max_steps=2)
    assert states["build_training_set"] == "failed"
    assert "1 test question(s) also appear in the training pairs" in capsys.readouterr().out
    assert states["train"] == "upstream_failed"
    assert states["clean_up_candidates"] == "success"  # nothing planned, nothing to clean
    assert read_current(root / "models") is None


def test_finetune_needs_a_synced_catalog(dags, tmp_path, tailor_settings, airflow_db, capsys):
    tailor_settings(data_root=str(tmp_path))
    assert run(dags["finetune"], max_steps=1)["pin_inputs"] == "failed"
    assert "no catalog has been synced yet: run kb_sync first" in capsys.readouterr().out
