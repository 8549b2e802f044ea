"""fewer indexes written by every command: audit search in time order, no redundant task indexes

Every command inserts audit events and writes task rows, and each index of those tables is one more
B-tree page to change and write at every commit. The audit search now lists newest first by time (ties
in chain order), so one (filter, occurred_at, seq) index per filter serves a page with or without a
period; the (filter, seq) and (filter, occurred_at) pairs it replaces were two indexes per filter.
human_task lost two indexes no query leads with: process_id (always filtered within an inbox range) and
(instance_id, status) (the unique (instance_id, engine_task_id) index already leads with the instance).

Revision ID: 0011_fewer_write_indexes
Revises: 0010_inbox_business_key
Create Date: 2026-11-27 06:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011_fewer_write_indexes'
down_revision = '0010_inbox_business_key'
branch_labels = None
depends_on = None

OLD_AUDIT = {
    "ix_audit_actor": ["actor_id", "occurred_at"],
    "ix_audit_kind": ["kind", "occurred_at"],
    "ix_audit_process": ["process_id", "occurred_at"],
    "ix_audit_time": ["occurred_at"],
    "ix_audit_actor_seq": ["actor_id", "seq"],
    "ix_audit_org_seq": ["actor_org_id", "seq"],
    "ix_audit_kind_seq": ["kind", "seq"],
    "ix_audit_process_seq": ["process_id", "seq"],
}
NEW_AUDIT = {
    "ix_audit_time": ["occurred_at", "seq"],
    "ix_audit_actor_time": ["actor_id", "occurred_at", "seq"],
    "ix_audit_org_time": ["actor_org_id", "occurred_at", "seq"],
    "ix_audit_kind_time": ["kind", "occurred_at", "seq"],
    "ix_audit_process_time": ["process_id", "occurred_at", "seq"],
}
OLD_TASK = {
    "ix_human_task_process_id": ["process_id"],
    "ix_task_instance": ["instance_id", "status"],
}


def upgrade():
    for name in OLD_AUDIT:
        op.drop_index(name, table_name="audit_event")
    for name, columns in NEW_AUDIT.items():
        op.create_index(name, "audit_event", columns, unique=False)
    for name in OLD_TASK:
        op.drop_index(name, table_name="human_task")


def downgrade():
    for name, columns in OLD_TASK.items():
        op.create_index(name, "human_task", columns, unique=False)
    for name in NEW_AUDIT:
        op.drop_index(name, table_name="audit_event")
    for name, columns in OLD_AUDIT.items():
        op.create_index(name, "audit_event", columns, unique=False)
