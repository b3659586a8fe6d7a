"""Asset events as dag.test left them in the metadata database."""

from __future__ import annotations


def asset_event_extras(asset_name: str) -> list[dict]:
    """The extras of the asset's events in the metadata database (dag.test's), oldest first."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        return list(
            session.scalars(
                select(AssetEvent.extra)
                .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
                .where(AssetModel.name == asset_name)
                .order_by(AssetEvent.id)
            )
        )
