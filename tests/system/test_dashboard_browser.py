"""The Tailor page in a real browser, on a real `airflow standalone` with a seeded history.

Headless Debian Chromium driven by playwright-core (installed by scripts/browser_deps.sh);
the screenshot is kept under test-artifacts/.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.support.paths import REPO

ARTIFACTS = REPO / "test-artifacts"
NODE_MODULES = REPO / ".cache" / "node" / "node_modules"


@pytest.fixture(scope="module")
def server(airflow_standalone):
    if not shutil.which("chromium") or not (NODE_MODULES / "playwright-core").exists():
        pytest.fail("browser test needs chromium and playwright-core: run scripts/browser_deps.sh")
    return airflow_standalone.airflow


def test_page_renders_charts_and_tables_in_chromium(server):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "tailor-dashboard.png"
    result = subprocess.run(
        [
            "node",
            str(REPO / "tests" / "browser" / "dashboard.cjs"),
            server.url,
            server.token(),
            str(shot),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env={"NODE_PATH": str(NODE_MODULES), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    page = json.loads(result.stdout.strip().splitlines()[-1])
    assert page["anonymousStatus"] in (401, 403) and page["status"] == 200
    assert page["errors"] == []
    assert page["latest"] == "2026-11-20"
    assert page["verdict"][0].startswith("BERTScore: rag best (0.612), significantly ahead")
    assert len(page["verdict"]) == 3
    rag = next(row for row in page["summary"] if row[0] == "rag")  # the four headline columns
    assert rag == [
        "rag",
        "0.6345 [0.5845, 0.6845]",
        "0.7500 [0.6000, 0.9000]",
        "0.6123 [0.5823, 0.6423]",
    ]  # panel, fact recall, BERTScore
    every = next(row for row in page["summaryAll"] if row[0] == "hybrid")
    assert "5,454" in every  # 24/7 cost, among all columns on demand
    assert page["pageWidth"] <= 1400  # nothing wider than the screen until asked for
    assert [j["excluded"] for j in page["judges"]] == [False, True]  # gemma3 kept, smollm2 not
    people = {row[0]: row[1:] for row in page["people"]}  # scorer: grades, spearman, kappa
    assert people["gemma3"][:2] == ["6", "1"] and people["smollm2"][1] == "n/a"
    diagnostics = {row[0]: row[1:] for row in page["diagnostics"]}  # approach: hit rate, MRR, ...
    assert diagnostics["rag"][:3] == ["0.8750", "0.8125", "0.7000"]
    assert diagnostics["fine_tuned"][:3] == ["n/a", "n/a", "n/a"]  # it retrieves nothing
    assert diagnostics["fine_tuned"][-4:] == ["0", "0", "1", "2"]  # its misses: stale, knowledge
    charts = {chart["id"]: chart["marks"] for chart in page["charts"]}
    assert set(charts) == {
        "chart-bertscore",
        "chart-panel",
        "chart-staleness",
        "chart-latency",
        "chart-cost",
        "chart-calibration",
        "chart-retrieval",
        "chart-anatomy",
    }
    assert all(marks > 3 for marks in charts.values()), charts
    assert shot.stat().st_size > 20_000
