"""Registers the Tailor page: a "Tailor" entry in the navigation and a tab on DAG pages."""

from airflow.plugins_manager import AirflowPlugin

from tailor_airflow.dashboard import app


class TailorPlugin(AirflowPlugin):
    name = "tailor"
    fastapi_apps = [{"app": app, "url_prefix": "/tailor", "name": "Tailor evaluation"}]
    external_views = [
        {"name": "Tailor", "href": "tailor/", "destination": "nav", "url_route": "tailor"},
        {
            "name": "Evaluation",
            "href": "tailor/",
            "destination": "dag",
            "url_route": "tailor-evaluation",
        },
    ]
