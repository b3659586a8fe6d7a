"""The Tailor page inside the Airflow UI: a FastAPI app the Airflow API server mounts.

Airflow does not authenticate plugin routes, so every route here depends on
`requires_access_dag("GET", param_dag_id="nightly_eval")`: the caller needs a valid Airflow
session (the UI's `_token` cookie) or bearer token, and read access to nightly_eval.
"""

from __future__ import annotations

import asyncio
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from airflow.api_fastapi.core_api.security import requires_access_dag
from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.responses import HTMLResponse, Response

STATIC = Path(__file__).parent / "static"
CAN_READ_EVALUATIONS = [Depends(requires_access_dag("GET", param_dag_id="nightly_eval"))]

app = FastAPI(title="Tailor", dependencies=CAN_READ_EVALUATIONS)


@cache
def vega_bundle() -> str:
    """vega, vega-lite and vega-embed, bundled offline by vl-convert (nothing from a CDN)."""
    import vl_convert

    return vl_convert.javascript_bundle()


def _iso(value: str | None, name: str) -> str | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise HTTPException(422, f"{name} must be a date (YYYY-MM-DD), not {value!r}") from None


def _dashboard(start: str | None, end: str | None) -> dict[str, Any]:
    from tailor.evaluation.dashboard import dashboard
    from tailor_airflow.config import data_layout, load_settings

    layout = data_layout(load_settings())
    return dashboard(layout.evaluations, layout.kb_sync, layout.models, start, end)


@app.get("/", response_class=HTMLResponse)
async def page() -> HTMLResponse:
    return HTMLResponse((STATIC / "index.html").read_text())


@app.get("/static/vega.js")
async def vega_js() -> Response:
    bundle = await asyncio.to_thread(vega_bundle)
    return Response(
        bundle, media_type="text/javascript", headers={"Cache-Control": "private, max-age=86400"}
    )


@app.get("/api/dashboard")
async def dashboard_json(
    start: Annotated[str | None, Query(description="first night, YYYY-MM-DD")] = None,
    end: Annotated[str | None, Query(description="last night, YYYY-MM-DD")] = None,
) -> dict[str, Any]:
    start, end = _iso(start, "start"), _iso(end, "end")
    if start and end and start > end:
        raise HTTPException(422, "start is after end")
    return await asyncio.to_thread(_dashboard, start, end)
