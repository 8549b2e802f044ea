"""inbox indexes: unclaimed tasks of a group as a covering range in created_at order; all open tasks by time

Revision ID: 0002_inbox
Revises: 0001_core
Create Date: 2026-11-26 14:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0002_inbox'
down_revision = '0001_core'
branch_labels = None
depends_on = None

INDEXES = {
    # group view: status = open, group = ?, scope IS NULL / = ?, assignee IS NULL, ordered by created_at
    "ix_task_group_free": ["status", "candidate_group", "org_scope_id", "assignee_id", "created_at"],
    # the auditors' "all" and "overdue" lists: every open task by time
    "ix_task_open_created": ["status", "created_at"],
}


def upgrade():
    for name, columns in INDEXES.items():
        op.create_index(name, "human_task", columns, unique=False)


def downgrade():
    for name in INDEXES:
        op.drop_index(name, table_name="human_task")
