"""kb_sync run for real on the embedded backend: ingest, skip, edit, delete, refuse."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tailor.local.knowledge_base import LocalKnowledgeBase
from tests.support.paths import REPO, SAMPLE_CATALOG


@pytest.fixture(scope="module")
def kb_sync_dag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags" / "kb_sync.py")).get_dag("kb_sync")


@pytest.fixture
def data_root(tmp_path, tailor_settings, airflow_db) -> Path:
    root = tmp_path / "data"
    (root / "catalog").mkdir(parents=True)
    shutil.copy(SAMPLE_CATALOG, root / "catalog" / "product_catalog.txt")
    tailor_settings(data_root=str(root))
    return root


def run(dag, **conf) -> dict[str, str]:
    dag_run = dag.test(run_conf=conf or None)
    return {ti.task_id: ti.state for ti in dag_run.get_task_instances()}


def last_record(root: Path) -> dict:
    commit = json.loads((root / "kb_sync" / "last_synced.json").read_text())
    return json.loads((root / "kb_sync" / commit["record"]).read_text())


def asset_events() -> list[dict]:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        query = (
            select(AssetEvent.extra)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .where(AssetModel.name == "tailor_knowledge_base")
            .order_by(AssetEvent.id)
        )
        return list(session.scalars(query))


def edit_catalog(root: Path, old: str, new: str) -> None:
    catalog = root / "catalog" / "product_catalog.txt"
    text = catalog.read_text()
    assert old in text
    catalog.write_text(text.replace(old, new))


def test_ingest_skip_edit_delete(kb_sync_dag, data_root):
    events_before = len(asset_events())
    states = run(kb_sync_dag)
    assert set(states.values()) == {"success"}
    first = last_record(data_root)["result"]
    assert (first["kb_version"], first["products"], len(first["added"])) == (1, 16, 16)
    (event,) = asset_events()[events_before:]
    plan = last_record(data_root)["plan"]
    assert event["manifest_hash"] == plan["manifest_hash"]
    assert (event["added"], event["changed"], event["removed"]) == (16, 0, 0)

    states = run(kb_sync_dag)  # unchanged catalog: no ingestion at all
    assert states["catalog_changed"] == "success"
    assert states["sync_knowledge_base"] == states["record_sync"] == "skipped"
    assert LocalKnowledgeBase(data_root / "knowledge_base").versions()[-1].kb_version == 1
    assert len(asset_events()) == events_before + 1  # no event when nothing changed

    edit_catalog(
        data_root, "holds 1.8 litres and the drip tray", "holds 2.6 litres and the drip tray"
    )
    assert set(run(kb_sync_dag).values()) == {"success"}
    edit = last_record(data_root)
    assert edit["plan"]["modified"] == ["Halden BrewPro 3 Espresso Machine"]
    assert edit["result"]["changed"] == ["Halden BrewPro 3 Espresso Machine"]
    assert 0 < edit["result"]["chunks_embedded"] < first["chunks_embedded"] / 8

    kb = LocalKnowledgeBase(data_root / "knowledge_base")
    hit = kb.retrieve("How much water does the BrewPro 3 water tank hold?")[0]
    assert "2.6 litres" in hit.text

    catalog = data_root / "catalog" / "product_catalog.txt"
    text = catalog.read_text()
    start = text.index("Name: Halden GateKeep Smart Lock")
    catalog.write_text(text[:start].rstrip() + "\n")
    assert set(run(kb_sync_dag).values()) == {"success"}
    removal = last_record(data_root)
    assert (
        removal["plan"]["removed"] == removal["result"]["removed"] == ["Halden GateKeep Smart Lock"]
    )
    hits = kb.retrieve("GateKeep smart lock PIN code", top_k=5)
    assert all(h.product != "Halden GateKeep Smart Lock" for h in hits)


def test_bad_catalog_fails_at_once_without_touching_the_knowledge_base(
    kb_sync_dag, data_root, capsys
):
    assert set(run(kb_sync_dag).values()) == {"success"}
    committed = (data_root / "kb_sync" / "last_synced.json").read_text()

    edit_catalog(
        data_root, "Configuration: Rinse the water tank", "Warranty_terms: Rinse the water tank"
    )
    capsys.readouterr()
    dag_run = kb_sync_dag.test()
    states = {ti.task_id: ti for ti in dag_run.get_task_instances()}
    # the file and line named, and no retries: the retry policy fails a typo at once
    assert states["plan_sync"].state == "failed" and states["plan_sync"].try_number == 1
    assert "product_catalog.txt:" in capsys.readouterr().out
    assert states["sync_knowledge_base"].state == "upstream_failed"
    assert (data_root / "kb_sync" / "last_synced.json").read_text() == committed
    kb = LocalKnowledgeBase(data_root / "knowledge_base")
    assert [v.kb_version for v in kb.versions()] == [1]
    assert (
        kb.retrieve("BrewPro 3 water hardness dial")[0].product
        == "Halden BrewPro 3 Espresso Machine"
    )


def test_mass_delete_needs_the_param(kb_sync_dag, data_root, capsys):
    assert set(run(kb_sync_dag).values()) == {"success"}
    catalog = data_root / "catalog" / "product_catalog.txt"
    text = catalog.read_text()
    catalog.write_text(text[: text.index("Name: Halden FlexHeat")].rstrip() + "\n")  # keeps 7 of 16

    assert run(kb_sync_dag)["plan_sync"] == "failed"
    assert "this sync would delete 9 of 16 products" in capsys.readouterr().out
    assert LocalKnowledgeBase(data_root / "knowledge_base").versions()[-1].products == 16

    assert set(run(kb_sync_dag, allow_mass_delete=True).values()) == {"success"}
    assert LocalKnowledgeBase(data_root / "knowledge_base").versions()[-1].products == 7
