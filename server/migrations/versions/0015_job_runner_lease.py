"""job runner lease: which server process runs the jobs without Redis (server.jobs.lease)

Revision ID: 0015_job_runner_lease
Revises: 0014_client_search_index
Create Date: 2026-11-30 19:00:00
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "0015_job_runner_lease"
down_revision = "0014_client_search_index"  # 0014_client_search_index.py
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_runner_lease",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_runner_lease")),
    )


def downgrade() -> None:
    op.drop_table("job_runner_lease")
