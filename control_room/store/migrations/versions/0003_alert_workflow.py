"""alert workflow: who acknowledged, escalated and closed an alert, and each alert's timeline

Revision ID: 0003_alert_workflow
Revises: 0001_foundation
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_alert_workflow"
down_revision = "0002_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acknowledged_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "alert_timeline",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alert_timeline", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_timeline_alert_id"), ["alert_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alert_timeline", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_timeline_alert_id"))
    op.drop_table("alert_timeline")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("closed_at")
        batch_op.drop_column("closed_by")
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("acknowledged_at")
        batch_op.drop_column("acknowledged_by")
