"""accounts: refresh_tokens.replaced_by_id, the token issued when one was spent (the refresh grace window)

Revision ID: 0013_refresh_grace
Revises: 0012_statistics_snapshots
Create Date: 2026-11-30 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_refresh_grace"
down_revision = "0012_statistics_snapshots"  # 0012_statistics_snapshots.py
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Tokens spent before this have no known successor: presenting one again still ends the sign-in.
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replaced_by_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_refresh_tokens_replaced_by_id_refresh_tokens"),
            "refresh_tokens",
            ["replaced_by_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_refresh_tokens_replaced_by_id_refresh_tokens"), type_="foreignkey"
        )
        batch_op.drop_column("replaced_by_id")
