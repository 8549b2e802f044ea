"""documents fixed at signing: the exact bytes of a registered order's and a signed protocol's files

Revision ID: 0016_fixed_documents
Revises: 0015_audit_sequencer
Create Date: 2026-12-06 22:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016_fixed_documents"
down_revision = "0015_audit_sequencer"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "fixed_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("protocol_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("fmt", sa.String(length=8), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"]),
        sa.ForeignKeyConstraint(["protocol_id"], ["council_protocol.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instance_id", "protocol_id", "kind", "fmt", name="uq_fixed_document"),
    )
    op.create_index("ix_fixed_document_instance_id", "fixed_document", ["instance_id"], unique=False)
    op.create_index("ix_fixed_document_protocol_id", "fixed_document", ["protocol_id"], unique=False)


def downgrade():
    op.drop_index("ix_fixed_document_protocol_id", table_name="fixed_document")
    op.drop_index("ix_fixed_document_instance_id", table_name="fixed_document")
    op.drop_table("fixed_document")
