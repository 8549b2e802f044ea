"""council instructions tracked: the executing department, the instruction's process, the executor's report

Revision ID: 0023_council_instructions
Revises: 0022_monitoring
Create Date: 2026-12-07 02:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0023_council_instructions"
down_revision = "0022_monitoring"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("council_instruction") as batch:
        batch.add_column(sa.Column("executor_org_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("instance_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("report", sa.Text(), nullable=True))
        batch.add_column(sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key("fk_instruction_executor_org", "organisation", ["executor_org_id"], ["id"])
        batch.create_foreign_key("fk_instruction_instance", "process_instance", ["instance_id"], ["id"])


def downgrade():
    with op.batch_alter_table("council_instruction") as batch:
        batch.drop_constraint("fk_instruction_instance", type_="foreignkey")
        batch.drop_constraint("fk_instruction_executor_org", type_="foreignkey")
        batch.drop_column("reported_at")
        batch.drop_column("report")
        batch.drop_column("instance_id")
        batch.drop_column("executor_org_id")
