"""data calls: a call per data_call instance and its recipients (deadline, draft, answer, reminders)

Revision ID: 0017_data_calls
Revises: 0016_fixed_documents
Create Date: 2026-12-06 23:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0017_data_calls"
down_revision = "0016_fixed_documents"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "data_call",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("process_instance.id"), nullable=False, unique=True),
        sa.Column("template", sa.String(64), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("owner_group", sa.String(64), nullable=False),
        sa.Column("owner_org_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=True),
        sa.Column("opened_by_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("totals", sa.JSON(), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminders", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=True),
        sa.Column("consolidated", sa.JSON(), nullable=True),
    )
    op.create_table(
        "data_call_recipient",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("call_id", sa.Integer(), sa.ForeignKey("data_call.id"), nullable=False),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("group", sa.String(64), nullable=False),
        sa.Column("head_group", sa.String(64), nullable=True),
        sa.Column("task_id", sa.Integer(), sa.ForeignKey("human_task.id"), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("draft", sa.JSON(), nullable=True),
        sa.Column("draft_saved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=True),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("last_reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("head_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("excuse_reason", sa.Text(), nullable=True),
        sa.UniqueConstraint("call_id", "org_id"),
    )
    op.create_index("ix_data_call_recipient_due", "data_call_recipient", ["status", "due_at"])


def downgrade():
    op.drop_index("ix_data_call_recipient_due", table_name="data_call_recipient")
    op.drop_table("data_call_recipient")
    op.drop_table("data_call")
