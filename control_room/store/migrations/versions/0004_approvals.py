"""approvals: sensitive actions waiting for a second person (two-person rule)

Revision ID: 0004_approvals
Revises: 0001_foundation
Create Date: 2026-11-24 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_approvals"
down_revision = "0003_alert_workflow"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "approvals",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_role", sa.String(length=20), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("command_ids", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_approvals_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_approvals_requested_by"), ["requested_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_approvals_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approvals_state"))
        batch_op.drop_index(batch_op.f("ix_approvals_requested_by"))
        batch_op.drop_index(batch_op.f("ix_approvals_expires_at"))
    op.drop_table("approvals")
