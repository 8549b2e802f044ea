"""data calls: the recipients of a cancelled (terminated) call that had not answered get the final status
``cancelled`` (they kept ``pending`` before)

Revision ID: 0025_cancelled_recipients
Revises: 0024_duration_summary
Create Date: 2026-12-07 07:30:00

"""

from alembic import op

revision = "0025_cancelled_recipients"
down_revision = "0024_duration_summary"
branch_labels = None
depends_on = None

CANCELLED_CALLS = "SELECT id FROM data_call WHERE status = 'terminated'"


def upgrade():
    op.execute(
        f"UPDATE data_call_recipient SET status = 'cancelled' WHERE status = 'pending' AND call_id IN ({CANCELLED_CALLS})"
    )


def downgrade():
    op.execute(
        f"UPDATE data_call_recipient SET status = 'pending' WHERE status = 'cancelled' AND call_id IN ({CANCELLED_CALLS})"
    )
