"""an instance's tasks by (instance_id, status) again

Migration 0011 dropped ix_task_instance on the belief that the unique (instance_id, engine_task_id) index
would serve "the open tasks of this instance" and "the completed tasks of this instance". It does not on
SQLite: with an equality on only one column of either index, the planner picks a status-led inbox index
(ix_task_open_created) and walks every open task of every case to find one instance's, and every completed
task of every case for the four-eyes check. Each command then costs more the more history there is.

Revision ID: 0012_task_instance_index
Revises: 0011_fewer_write_indexes
Create Date: 2026-11-27 08:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012_task_instance_index'
down_revision = '0011_fewer_write_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_task_instance", "human_task", ["instance_id", "status"], unique=False)


def downgrade():
    op.drop_index("ix_task_instance", table_name="human_task")
