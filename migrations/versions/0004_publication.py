"""publication: results of approval chains published without login

Revision ID: 0004_publication
Revises: 0001_core
"""
from alembic import op
import sqlalchemy as sa


revision = "0004_publication"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_instance_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["source_instance_id"], ["process_instance.id"], name="fk_publication_source_instance"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_publication_kind_key", "publication", ["kind", "key", "published_at"])


def downgrade():
    op.drop_index("ix_publication_kind_key", table_name="publication")
    op.drop_table("publication")
