"""audit search indexes: each filter column paired with seq, so a filtered page in chain order is an index walk

Revision ID: 0007_audit
Revises: 0001_core
Create Date: 2026-11-27 10:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007_audit'
down_revision = '0001_core'
branch_labels = None
depends_on = None

INDEXES = {
    "ix_audit_actor_seq": ["actor_id", "seq"],
    "ix_audit_org_seq": ["actor_org_id", "seq"],
    "ix_audit_kind_seq": ["kind", "seq"],
    "ix_audit_process_seq": ["process_id", "seq"],
}


def upgrade():
    for name, columns in INDEXES.items():
        op.create_index(name, "audit_event", columns, unique=False)


def downgrade():
    for name in INDEXES:
        op.drop_index(name, table_name="audit_event")
