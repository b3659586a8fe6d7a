"""The Tailor routes over HTTP on the shared `airflow standalone`: who may call them, and
what the JSON API answers for the seeded history. No browser needed."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest


@pytest.fixture(scope="module")
def server(airflow_standalone):
    return airflow_standalone.airflow


def get(url: str, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


ROUTES = ("/tailor/", "/tailor/api/dashboard", "/tailor/static/vega.js")


def test_every_route_refuses_anonymous_callers(server):
    for route in ROUTES:
        status, _ = get(server.url + route)
        assert status in (401, 403), route
    status, body = get(server.url + "/tailor/api/dashboard", token="not-a-token")
    assert status in (401, 403)


def test_a_user_who_may_not_read_nightly_eval_gets_403_from_every_route(server):
    analyst = server.token("analyst")  # a viewer of every DAG but nightly_eval
    status, _ = get(server.url + "/api/v2/dags/kb_sync", analyst)
    assert status == 200  # signed in, and a viewer elsewhere
    status, _ = get(server.url + "/api/v2/dags/nightly_eval", analyst)
    assert status == 403  # Airflow's own API agrees: no nightly_eval for them
    for route in ROUTES:
        status, body = get(server.url + route, analyst)
        assert status == 403, (route, body[:200])
    status, _ = get(server.url + "/tailor/api/dashboard", server.token())
    assert status == 200


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
    assert {(v["name"], v["destination"]) for v in views} >= {
        ("Tailor", "nav"),
        ("Evaluation", "dag"),
    }
