"""browser sessions record their last activity (the idle timeout, SESSION_IDLE_MINUTES)

Revision ID: 0021_session_idle
Revises: 0020_poo_rating_cycle
Create Date: 2026-12-07 01:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021_session_idle"
down_revision = "0020_poo_rating_cycle"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_session") as batch:
        batch.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("user_session") as batch:
        batch.drop_column("last_seen_at")
