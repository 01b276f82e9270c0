"""sbm import: source rows, client identities, possible duplicates, client merges

Revision ID: 0017_sbm_import
Revises: 0016_sign_out_and_break_glass
Create Date: 2026-12-07 16:00:00
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "0017_sbm_import"
down_revision = "0016_sign_out_and_break_glass"  # 0016_sign_out_and_break_glass.py
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "imported_records",
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("system", "kind", "source_id", name=op.f("pk_imported_records")),
    )
    op.create_index(op.f("ix_imported_records_record_id"), "imported_records", ["record_id"])
    op.create_table(
        "client_identities",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("identity_code", sa.String(length=11), nullable=True),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_client_identities_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_client_identities")),
        sa.UniqueConstraint("identity_code", name=op.f("uq_client_identities_identity_code")),
    )
    op.create_index("ix_client_identities_name_key_birth", "client_identities", ["name_key", "birth_date"])
    op.create_table(
        "possible_duplicates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("other_client_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("found_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("system", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_possible_duplicates_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["other_client_id"],
            ["clients.id"],
            name=op.f("fk_possible_duplicates_other_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_possible_duplicates")),
        sa.UniqueConstraint(
            "client_id", "other_client_id", name=op.f("uq_possible_duplicates_client_id_other_client_id")
        ),
    )
    op.create_index(op.f("ix_possible_duplicates_client_id"), "possible_duplicates", ["client_id"])
    op.create_table(
        "client_merges",
        sa.Column("merged_client_id", sa.Uuid(), nullable=False),
        sa.Column("survivor_id", sa.Uuid(), nullable=False),
        sa.Column("merged_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("merged_by", sa.Uuid(), nullable=False),
        sa.Column("mutation_id", sa.Uuid(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survivor_id"], ["clients.id"], name=op.f("fk_client_merges_survivor_id_clients")
        ),
        sa.ForeignKeyConstraint(["merged_by"], ["users.id"], name=op.f("fk_client_merges_merged_by_users")),
        sa.PrimaryKeyConstraint("merged_client_id", name=op.f("pk_client_merges")),
    )
    op.create_index(op.f("ix_client_merges_survivor_id"), "client_merges", ["survivor_id"])
    op.create_index(
        op.f("ix_possible_duplicates_other_client_id"), "possible_duplicates", ["other_client_id"]
    )


def downgrade() -> None:
    op.drop_table("client_merges")
    op.drop_table("possible_duplicates")
    op.drop_table("client_identities")
    op.drop_table("imported_records")
