"""sync engine and first domains (contacts, conflicts, client guidance areas)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 11:14:01.666707
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_scopes",
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "version", name=op.f("pk_change_scopes")),
    )
    with op.batch_alter_table("change_scopes", schema=None) as batch_op:
        batch_op.create_index("ix_change_scopes_scope_version", ["scope", "version"], unique=False)

    op.create_table(
        "changes",
        sa.Column(
            "version",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("tx_last", sa.BigInteger(), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("op", sa.String(length=8), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("old_scopes", sa.JSON(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_changes")),
    )
    op.create_table(
        "record_scopes",
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("scope", "record_type", "record_id", name=op.f("pk_record_scopes")),
    )
    op.create_table(
        "scope_state",
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("checksum", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_scope_state")),
    )
    op.create_table(
        "sync_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("compacted_before", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_head")),
    )
    op.create_table(
        "sync_records",
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("record_type", "record_id", name=op.f("pk_sync_records")),
    )
    op.create_table(
        "conflicts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("record_type", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("kept_value", sa.JSON(), nullable=True),
        sa.Column("proposed_value", sa.JSON(), nullable=True),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("mutation_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resolved_by", sa.Uuid(), nullable=True),
        sa.Column("resolved_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("resolved_value", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_conflicts_author_id_users")),
        sa.ForeignKeyConstraint(["resolved_by"], ["users.id"], name=op.f("fk_conflicts_resolved_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conflicts")),
    )
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conflicts_author_id"), ["author_id"], unique=False)
        batch_op.create_index("ix_conflicts_record", ["record_type", "record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_conflicts_status"), ["status"], unique=False)

    op.create_table(
        "attendance",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("checked_in_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column(
            "checked_out_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True
        ),
        sa.Column("absent_reason", sa.String(length=40), nullable=True),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_attendance_client_id_clients")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_attendance_unit_id_units")),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name=op.f("fk_attendance_updated_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
        sa.UniqueConstraint(
            "client_id", "unit_id", "date", name=op.f("uq_attendance_client_id_unit_id_date")
        ),
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_client_id"), ["client_id"], unique=False)

    op.create_table(
        "client_areas",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("area_id", sa.Uuid(), nullable=False),
        sa.Column("since", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_client_areas_area_id_areas")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_client_areas_client_id_clients"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("client_id", "area_id", name=op.f("pk_client_areas")),
    )
    with op.batch_alter_table("client_areas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_client_areas_area_id"), ["area_id"], unique=False)

    op.create_table(
        "contacts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("caller_type", sa.String(length=40), nullable=False),
        sa.Column("contact_type", sa.String(length=40), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("resolution", sa.String(length=40), nullable=False),
        sa.Column("area_id", sa.Uuid(), nullable=False),
        sa.Column("service_point_id", sa.Uuid(), nullable=True),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("counsellor_id", sa.Uuid(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("linked_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("linked_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_contacts_area_id_areas")),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_contacts_client_id_clients")),
        sa.ForeignKeyConstraint(
            ["counsellor_id"], ["users.id"], name=op.f("fk_contacts_counsellor_id_users")
        ),
        sa.ForeignKeyConstraint(["linked_by"], ["users.id"], name=op.f("fk_contacts_linked_by_users")),
        sa.ForeignKeyConstraint(
            ["service_point_id"],
            ["service_points.id"],
            name=op.f("fk_contacts_service_point_id_service_points"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index("ix_contacts_area_occurred", ["area_id", "occurred_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_contacts_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contacts_counsellor_id"), ["counsellor_id"], unique=False)

    op.create_table(
        "sync_clients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_push_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("last_pull_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("app_build", sa.String(length=64), nullable=True),
        sa.Column("health", sa.JSON(), nullable=True),
        sa.Column("clock_skew_ms", sa.BigInteger(), nullable=True),
        sa.Column("applied_count", sa.BigInteger(), nullable=False),
        sa.Column("rejected_count", sa.BigInteger(), nullable=False),
        sa.Column("conflict_count", sa.BigInteger(), nullable=False),
        sa.Column("checksum_mismatches", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_sync_clients_device_id_devices")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sync_clients_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_clients")),
    )
    with op.batch_alter_table("sync_clients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_clients_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sync_clients_user_id"), ["user_id"], unique=False)

    op.create_table(
        "sync_mutations",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("message", sa.String(length=500), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("conflict_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("client_time", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("received_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["sync_clients.id"], name=op.f("fk_sync_mutations_client_id_sync_clients")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sync_mutations_user_id_users")),
        sa.PrimaryKeyConstraint("client_id", "seq", name=op.f("pk_sync_mutations")),
        sa.UniqueConstraint("id", name=op.f("uq_sync_mutations_id")),
    )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default=sa.text("1"), nullable=False))
        batch_op.add_column(
            sa.Column("field_versions", sa.JSON(), server_default=sa.text("'{}'"), nullable=False)
        )

    # The change log starts at version 0; writers lock this row to take the next versions.
    op.execute("INSERT INTO sync_head (id, version, compacted_before) VALUES (1, 0, 0)")


def downgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("field_versions")
        batch_op.drop_column("revision")

    op.drop_table("sync_mutations")
    with op.batch_alter_table("sync_clients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_clients_user_id"))
        batch_op.drop_index(batch_op.f("ix_sync_clients_device_id"))

    op.drop_table("sync_clients")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_counsellor_id"))
        batch_op.drop_index(batch_op.f("ix_contacts_client_id"))
        batch_op.drop_index("ix_contacts_area_occurred")

    op.drop_table("contacts")
    with op.batch_alter_table("client_areas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_areas_area_id"))

    op.drop_table("client_areas")
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_client_id"))

    op.drop_table("attendance")
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conflicts_status"))
        batch_op.drop_index("ix_conflicts_record")
        batch_op.drop_index(batch_op.f("ix_conflicts_author_id"))

    op.drop_table("conflicts")
    op.drop_table("sync_records")
    op.drop_table("sync_head")
    op.drop_table("scope_state")
    op.drop_table("record_scopes")
    op.drop_table("changes")
    with op.batch_alter_table("change_scopes", schema=None) as batch_op:
        batch_op.drop_index("ix_change_scopes_scope_version")

    op.drop_table("change_scopes")
