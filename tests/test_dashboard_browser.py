"""The Tailor page in a real browser, on a real `airflow standalone` with a seeded history.

Headless Debian Chromium driven by playwright-core (installed by scripts/browser_deps.sh);
the screenshot is kept under test-artifacts/.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.request

import pytest
from conftest import REPO
from standalone import airflow_env, standalone
from test_dashboard_data import seed

ARTIFACTS = REPO / "test-artifacts"
NODE_MODULES = REPO / ".cache" / "node" / "node_modules"


@pytest.fixture(scope="module")
def server(tmp_path_factory, postgres):
    if not shutil.which("chromium") or not (NODE_MODULES / "playwright-core").exists():
        pytest.fail("browser test needs chromium and playwright-core: run scripts/browser_deps.sh")
    work = tmp_path_factory.mktemp("dashboard")
    seed(work / "data")
    home = work / "airflow"
    home.mkdir()
    env = airflow_env(home, {"data_root": str(work / "data")}, postgres.database("dashboard"))
    with standalone(home, env, "nightly_eval") as airflow:
        yield airflow


def get(url: str, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_every_route_refuses_anonymous_callers(server):
    for route in ("/tailor/", "/tailor/api/dashboard", "/tailor/static/vega.js"):
        status, _ = get(server.url + route)
        assert status in (401, 403), route
    status, body = get(server.url + "/tailor/api/dashboard", token="not-a-token")
    assert status in (401, 403)


def test_json_api_serves_the_seeded_history_in_range(server):
    token = server.token()
    status, body = get(server.url + "/tailor/api/dashboard?start=2026-11-19", token)
    assert status == 200
    data = json.loads(body)
    assert data["dates"] == ["2026-11-19", "2026-11-20"] and not data["empty"]
    rag = next(r for r in data["latest"]["summary"] if r["method"] == "rag")
    assert rag["avg_bert_score"] == pytest.approx(0.6123)
    assert {m["kind"] for m in data["markers"]} == {"kb_sync", "model_promotion"}
    status, _ = get(server.url + "/tailor/api/dashboard?start=2026-11-21&end=2026-11-01", token)
    assert status == 422
    status, body = get(server.url + "/tailor/api/dashboard?end=2026-11-01", token)
    assert json.loads(body)["empty"] is True  # an empty range is an empty state, not an error

    status, body = get(server.url + "/api/v2/plugins", token)
    views = [v for p in json.loads(body)["plugins"] for v in p.get("external_views", [])]
    assert {(v["name"], v["destination"]) for v in views} >= {("Tailor", "nav"),
                                                              ("Evaluation", "dag")}  # fmt: skip


def test_page_renders_charts_and_tables_in_chromium(server):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "tailor-dashboard.png"
    result = subprocess.run(
        ["node", str(REPO / "tests" / "browser" / "dashboard.cjs"), server.url, server.token(),
         str(shot)],
        capture_output=True, text=True, timeout=240,
        env={"NODE_PATH": str(NODE_MODULES), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    page = json.loads(result.stdout.strip().splitlines()[-1])
    assert page["anonymousStatus"] in (401, 403) and page["status"] == 200
    assert page["errors"] == []
    assert page["latest"] == "2026-11-20"
    rag = next(row for row in page["summary"] if row[0] == "rag")
    assert rag[1:3] == ["0.6123", "0.6345"]  # avg_bert_score, avg_llm_evaluator_score
    assert "5,454" in next(row for row in page["summary"] if row[0] == "hybrid")  # 24/7 cost
    assert [j["excluded"] for j in page["judges"]] == [False, True]  # gemma3 kept, smollm2 not
    charts = {chart["id"]: chart["marks"] for chart in page["charts"]}
    assert set(charts) == {"chart-bertscore", "chart-panel", "chart-latency", "chart-cost",
                           "chart-calibration"}  # fmt: skip
    assert all(marks > 3 for marks in charts.values()), charts
    assert shot.stat().st_size > 20_000
