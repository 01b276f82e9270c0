"""Migrations build the schema from empty on both engines, and the models never drift from them."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from server.db import Base, create_engine


def _diff(settings) -> list:
    async def run() -> list:
        engine = create_engine(settings)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
                )
            )
        await engine.dispose()
        return diff

    return asyncio.run(run())


def test_migrated_schema_equals_the_models(settings):
    # `settings` is a database migrated from empty by `upgrade()` (per run on PostgreSQL, per template on SQLite).
    assert _diff(settings) == []
