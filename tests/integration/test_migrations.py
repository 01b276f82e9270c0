"""Migrations build the schema from empty on both engines, and the models never drift from them."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from server.db import Base, create_engine
from server.migrate import MIGRATIONS


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


def test_migrations_form_one_line():
    # Two branches that each add a migration on the same parent give two heads: `kaari db upgrade` then fails.
    assert len(ScriptDirectory(str(MIGRATIONS)).get_heads()) == 1
