"""administration without a database console: the organisations' registry, server-side browser sessions,
login failures counted in the database, token expiry, deputies' reasons, password reset flag

Revision ID: 0014_administration
Revises: 0013_notification_outbox
Create Date: 2026-12-06 22:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014_administration"
down_revision = "0013_notification_outbox"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organisation") as batch:
        batch.add_column(sa.Column("short_name", sa.String(100), nullable=True))
        batch.add_column(sa.Column("ogrn", sa.String(15), nullable=True))
        batch.add_column(sa.Column("founder_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.create_foreign_key("fk_organisation_founder", "organisation", ["founder_id"], ["id"])
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("deputy") as batch:
        batch.add_column(sa.Column("reason", sa.String(300), nullable=False, server_default=""))
        batch.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key("fk_deputy_created_by", "user", ["created_by_id"], ["id"], ondelete="SET NULL")
    with op.batch_alter_table("api_token") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sid_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remote_addr", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(200), nullable=True),
    )
    op.create_index("ix_user_session_user", "user_session", ["user_id", "ended_at"])
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("remote_addr", sa.String(64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_login_failure_username", "login_failure", ["username", "occurred_at"])
    op.create_index("ix_login_failure_addr", "login_failure", ["remote_addr", "occurred_at"])


def downgrade():
    op.drop_index("ix_login_failure_addr", table_name="login_failure")
    op.drop_index("ix_login_failure_username", table_name="login_failure")
    op.drop_table("login_failure")
    op.drop_index("ix_user_session_user", table_name="user_session")
    op.drop_table("user_session")
    with op.batch_alter_table("api_token") as batch:
        batch.drop_column("revoked_at")
        batch.drop_column("expires_at")
    with op.batch_alter_table("deputy") as batch:
        batch.drop_constraint("fk_deputy_created_by", type_="foreignkey")
        batch.drop_column("created_at")
        batch.drop_column("created_by_id")
        batch.drop_column("reason")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("deactivated_at")
        batch.drop_column("must_change_password")
    with op.batch_alter_table("organisation") as batch:
        batch.drop_constraint("fk_organisation_founder", type_="foreignkey")
        batch.drop_column("active")
        batch.drop_column("founder_id")
        batch.drop_column("ogrn")
        batch.drop_column("short_name")
