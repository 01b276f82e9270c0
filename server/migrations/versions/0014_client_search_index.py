"""client search index: a pg_trgm GIN index on the searched name (PostgreSQL only)

Revision ID: 0014_client_search_index
Revises: 0013_refresh_grace
Create Date: 2026-11-30 19:00:00

`GET /api/clients/search` matches `first_name || ' ' || last_name ILIKE '%word%'`; a B-tree cannot serve
a leading wildcard, a trigram index can. The expression here must equal `server.clients.models.search_name()`.
pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it without superuser.
On SQLite this migration does nothing.
"""

from __future__ import annotations

from alembic import op

revision = "0014_client_search_index"
down_revision = "0013_refresh_grace"  # 0013_refresh_grace.py
branch_labels = None
depends_on = None

INDEX = "ix_clients_search_name_trgm"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(f"CREATE INDEX {INDEX} ON clients USING gin (((first_name || ' ') || last_name) gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")  # the extension stays: other objects may use it
