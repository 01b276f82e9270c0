"""statistics snapshots: the monthly statistics of closed months, and their late-change generations

Revision ID: 0012_statistics_snapshots
Revises: 0011_tasks
Create Date: 2026-11-30 16:00:00
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "0012_statistics_snapshots"
down_revision = "0011_tasks"  # 0011_tasks.py
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "statistics_snapshots",
        sa.Column("report", sa.String(length=40), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("computed_generation", sa.BigInteger(), nullable=True),
        sa.Column("basis", sa.String(length=64), nullable=True),
        sa.Column("rows", sa.JSON(), nullable=True),
        sa.Column("computed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("marked_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("report", "month", name=op.f("pk_statistics_snapshots")),
    )


def downgrade() -> None:
    op.drop_table("statistics_snapshots")
