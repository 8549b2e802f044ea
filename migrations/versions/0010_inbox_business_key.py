"""inbox filtered by business key: a key-led index that also carries the group branch

A filtered page reads the case's few rows instead of a whole group's range.

Revision ID: 0010_inbox_business_key
Revises: 0009_merge
Create Date: 2026-11-26 17:25:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010_inbox_business_key'
down_revision = '0009_merge'
branch_labels = None
depends_on = None

COLUMNS = ["business_key", "status", "candidate_group", "org_scope_id", "assignee_id", "created_at"]


def upgrade():
    # replaces the single-column index: lookups by business key use the new one's leading column
    op.drop_index("ix_human_task_business_key", table_name="human_task")
    op.create_index("ix_task_business_key", "human_task", COLUMNS, unique=False)


def downgrade():
    op.drop_index("ix_task_business_key", table_name="human_task")
    op.create_index("ix_human_task_business_key", "human_task", ["business_key"], unique=False)
