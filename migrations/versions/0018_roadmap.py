"""roadmap: items, executors, evidence, changes

Revision ID: 0018_roadmap
Revises: 0017_data_calls
Create Date: 2026-12-07 01:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0018_roadmap"
down_revision = "0017_data_calls"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "roadmap_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(16), nullable=False, unique=True),
        sa.Column("section", sa.String(8), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("deadline", sa.String(300), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("recurring", sa.Boolean(), nullable=False),
        sa.Column("documents", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_note", sa.Text(), nullable=False),
        sa.Column("from_file", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=True),
    )
    op.create_index("ix_roadmap_item_status", "roadmap_item", ["status"])
    op.create_table(
        "roadmap_executor",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("roadmap_item.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=True),
        sa.Column("role", sa.String(64), nullable=True),
        sa.Column("body", sa.String(64), nullable=True),
        sa.UniqueConstraint("item_id", "position"),
    )
    op.create_index("ix_roadmap_executor_org", "roadmap_executor", ["organisation_id"])
    op.create_table(
        "roadmap_evidence",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("roadmap_item.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(1000), nullable=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("added_by_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_roadmap_evidence_item", "roadmap_evidence", ["item_id"])
    op.create_table(
        "roadmap_change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("roadmap_item.id", ondelete="CASCADE"), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("protocol_id", sa.Integer(), sa.ForeignKey("council_protocol.id"), nullable=True),
        sa.Column("protocol_ref", sa.String(300), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_index("ix_roadmap_change_item", "roadmap_change", ["item_id", "changed_at"])


def downgrade():
    op.drop_index("ix_roadmap_change_item", table_name="roadmap_change")
    op.drop_table("roadmap_change")
    op.drop_index("ix_roadmap_evidence_item", table_name="roadmap_evidence")
    op.drop_table("roadmap_evidence")
    op.drop_index("ix_roadmap_executor_org", table_name="roadmap_executor")
    op.drop_table("roadmap_executor")
    op.drop_index("ix_roadmap_item_status", table_name="roadmap_item")
    op.drop_table("roadmap_item")
