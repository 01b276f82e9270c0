"""security hardening: a refused duplicate mutation keeps no id; scoped roles always name their scope

Revision ID: 0018_security_hardening
Revises: 0017_sbm_import
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_security_hardening"
down_revision = "0017_sbm_import"  # 0017_sbm_import.py
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_mutations", schema=None) as batch_op:
        batch_op.alter_column("id", existing_type=sa.Uuid(), nullable=True)
    # A unit-staff role with neither unit nor area read as the whole region: it was never a valid grant.
    op.execute(
        "DELETE FROM role_assignments WHERE role = 'unit_staff' AND area_id IS NULL AND unit_id IS NULL"
    )
    op.execute("DELETE FROM role_assignments WHERE area_id IS NOT NULL AND unit_id IS NOT NULL")
    with op.batch_alter_table("role_assignments", schema=None) as batch_op:
        batch_op.create_check_constraint("one_scope", "area_id IS NULL OR unit_id IS NULL")
        batch_op.create_check_constraint(
            "scoped_role", "role NOT IN ('unit_staff') OR area_id IS NOT NULL OR unit_id IS NOT NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("role_assignments", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_role_assignments_scoped_role"), type_="check")
        batch_op.drop_constraint(op.f("ck_role_assignments_one_scope"), type_="check")
    with op.batch_alter_table("sync_mutations", schema=None) as batch_op:
        batch_op.alter_column("id", existing_type=sa.Uuid(), nullable=False)
