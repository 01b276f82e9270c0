"""client record: email and languages, close persons, consents, service relationships; PTA assessments,
their steps and RAI results; applications

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 10:00:00
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client_services",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("counsellor_id", sa.Uuid(), nullable=True),
        sa.Column("service", sa.String(length=40), nullable=True),
        sa.Column("area_id", sa.Uuid(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_client_services_area_id_areas")),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_client_services_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["counsellor_id"], ["users.id"], name=op.f("fk_client_services_counsellor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_client_services_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_services")),
    )
    op.create_index(op.f("ix_client_services_client_id"), "client_services", ["client_id"], unique=False)
    op.create_index(
        op.f("ix_client_services_counsellor_id"), "client_services", ["counsellor_id"], unique=False
    )
    op.create_table(
        "close_persons",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("relation", sa.String(length=32), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("primary_contact", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("removed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_close_persons_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_close_persons_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_close_persons")),
    )
    op.create_index(op.f("ix_close_persons_client_id"), "close_persons", ["client_id"], unique=False)
    op.create_table(
        "consents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("given_by", sa.String(length=32), nullable=False),
        sa.Column("given_by_name", sa.String(length=200), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("withdrawn_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_consents_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["recorded_by"], ["users.id"], name=op.f("fk_consents_recorded_by_users")),
        sa.ForeignKeyConstraint(["withdrawn_by"], ["users.id"], name=op.f("fk_consents_withdrawn_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    op.create_index(op.f("ix_consents_client_id"), "consents", ["client_id"], unique=False)
    op.create_table(
        "assessments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("area_id", sa.Uuid(), nullable=False),
        sa.Column("counsellor_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("contacted_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("contact_on", sa.Date(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("age_at_contact", sa.Integer(), nullable=True),
        sa.Column("rule", sa.String(length=16), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("service_kind", sa.String(length=40), nullable=True),
        sa.Column("regular", sa.Boolean(), nullable=True),
        sa.Column("rai_id", sa.Uuid(), nullable=True),
        sa.Column("referral_id", sa.Uuid(), nullable=True),
        sa.Column("service_started_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("close_reason", sa.String(length=32), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_assessments_area_id_areas")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_assessments_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_assessments_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["counsellor_id"], ["users.id"], name=op.f("fk_assessments_counsellor_id_users")
        ),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_assessments_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
    )
    op.create_index("ix_assessments_area_status", "assessments", ["area_id", "status"], unique=False)
    op.create_index(op.f("ix_assessments_client_id"), "assessments", ["client_id"], unique=False)
    op.create_index(op.f("ix_assessments_counsellor_id"), "assessments", ["counsellor_id"], unique=False)
    op.create_table(
        "applications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("area_id", sa.Uuid(), nullable=False),
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("assessment_id", sa.Uuid(), nullable=True),
        sa.Column("handler_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_applications_area_id_areas")),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessments.id"], name=op.f("fk_applications_assessment_id_assessments")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_applications_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_applications_created_by_users")),
        sa.ForeignKeyConstraint(["handler_id"], ["users.id"], name=op.f("fk_applications_handler_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
    )
    op.create_index("ix_applications_area_received", "applications", ["area_id", "received_on"], unique=False)
    op.create_index(op.f("ix_applications_client_id"), "applications", ["client_id"], unique=False)
    op.create_index(op.f("ix_applications_handler_id"), "applications", ["handler_id"], unique=False)
    op.create_table(
        "assessment_steps",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("assessment_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("by", sa.Uuid(), nullable=False),
        sa.Column("mutation_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_assessment_steps_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["by"], ["users.id"], name=op.f("fk_assessment_steps_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_steps")),
    )
    op.create_index(
        op.f("ix_assessment_steps_assessment_id"), "assessment_steps", ["assessment_id"], unique=False
    )
    op.create_table(
        "rai_assessments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("assessment_id", sa.Uuid(), nullable=True),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("instrument", sa.String(length=24), nullable=False),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("maple", sa.Integer(), nullable=True),
        sa.Column("cps", sa.Integer(), nullable=True),
        sa.Column("adl_h", sa.Integer(), nullable=True),
        sa.Column("iadl_ch", sa.Integer(), nullable=True),
        sa.Column("chess", sa.Integer(), nullable=True),
        sa.Column("drs", sa.Integer(), nullable=True),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("assessor_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("locked_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("locked_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_rai_assessments_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assessor_id"], ["users.id"], name=op.f("fk_rai_assessments_assessor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_rai_assessments_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["locked_by"], ["users.id"], name=op.f("fk_rai_assessments_locked_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rai_assessments")),
    )
    op.create_index(
        op.f("ix_rai_assessments_assessment_id"), "rai_assessments", ["assessment_id"], unique=False
    )
    op.create_index(op.f("ix_rai_assessments_client_id"), "rai_assessments", ["client_id"], unique=False)
    op.add_column("clients", sa.Column("email", sa.String(length=200), nullable=True))
    op.add_column(
        "clients", sa.Column("languages", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
    )
    op.add_column("clients", sa.Column("service_language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    op.drop_column("clients", "service_language")
    op.drop_column("clients", "languages")
    op.drop_column("clients", "email")
    op.drop_index(op.f("ix_rai_assessments_client_id"), table_name="rai_assessments")
    op.drop_index(op.f("ix_rai_assessments_assessment_id"), table_name="rai_assessments")
    op.drop_table("rai_assessments")
    op.drop_index(op.f("ix_assessment_steps_assessment_id"), table_name="assessment_steps")
    op.drop_table("assessment_steps")
    op.drop_index(op.f("ix_applications_handler_id"), table_name="applications")
    op.drop_index(op.f("ix_applications_client_id"), table_name="applications")
    op.drop_index("ix_applications_area_received", table_name="applications")
    op.drop_table("applications")
    op.drop_index(op.f("ix_assessments_counsellor_id"), table_name="assessments")
    op.drop_index(op.f("ix_assessments_client_id"), table_name="assessments")
    op.drop_index("ix_assessments_area_status", table_name="assessments")
    op.drop_table("assessments")
    op.drop_index(op.f("ix_consents_client_id"), table_name="consents")
    op.drop_table("consents")
    op.drop_index(op.f("ix_close_persons_client_id"), table_name="close_persons")
    op.drop_table("close_persons")
    op.drop_index(op.f("ix_client_services_counsellor_id"), table_name="client_services")
    op.drop_index(op.f("ix_client_services_client_id"), table_name="client_services")
    op.drop_table("client_services")
