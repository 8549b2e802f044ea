"""one head: inbox, publication, council, scheduler, audit

Revision ID: 0009_merge
Revises: 0002_inbox, 0004_publication, 0005_council, 0006_scheduler, 0007_audit
Create Date: 2026-11-26 15:20:40.226859

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_merge'
down_revision = ('0002_inbox', '0004_publication', '0005_council', '0006_scheduler', '0007_audit')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
