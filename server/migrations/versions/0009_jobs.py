"""jobs: the outbox of follow-up work (server.jobs)

Revision ID: 0009_jobs
Revises: 0008
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "0009_jobs"
down_revision = "0008"  # 0008_client_record.py
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("job", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("waiting_key", sa.String(length=200), nullable=True),
        sa.Column("args", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("run_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("finished_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_outbox")),
        sa.UniqueConstraint("job", "waiting_key", name=op.f("uq_job_outbox_job_waiting_key")),
    )
    op.create_index("ix_job_outbox_job_key", "job_outbox", ["job", "key"], unique=False)
    op.create_index("ix_job_outbox_status_run_at", "job_outbox", ["status", "run_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_job_outbox_status_run_at", table_name="job_outbox")
    op.drop_index("ix_job_outbox_job_key", table_name="job_outbox")
    op.drop_table("job_outbox")
