"""scheduler: yearly cycle definitions (with the shipped defaults) and scheduler heartbeats

Revision ID: 0006_scheduler
Revises: 0001_core
"""
from alembic import op
import sqlalchemy as sa


revision = "0006_scheduler"
down_revision = "0001_core"
branch_labels = None
depends_on = None

# The shipped yearly cycles (cron: minute hour day-of-month month day-of-week, evaluated in Asia/Tomsk).
# A cycle whose process is not deployed is skipped with a warning until it is.
DEFAULT_CYCLES = [
    {
        "id": "kcp_campaign", "name": "Кампания КЦП (контрольные цифры приёма)", "process_id": "kcp_campaign",
        "cron": "0 9 1 4 *", "key_template": "{year}", "business_key_template": "КЦП-{year}",
        "title_template": "Кампания КЦП {year}", "start_data": {"year": "{year}"},
    },
    {
        "id": "professions_cycle", "name": "Перечень профессий и специальностей", "process_id": "professions_cycle",
        "cron": "0 9 1 10 *", "key_template": "{next_year}", "business_key_template": "Перечень-{next_year}",
        "title_template": "Перечень профессий на {next_year} год", "start_data": {"year": "{next_year}"},
    },
    {
        "id": "staffing_forecast", "name": "Прогноз кадровой потребности и итоги", "process_id": "staffing_forecast",
        "cron": "0 9 1 5 *", "key_template": "{year}", "business_key_template": "Прогноз-{year}",
        "title_template": "Прогноз кадровой потребности {year}", "start_data": {"year": "{year}"},
    },
]


def upgrade():
    cycle = op.create_table(
        "scheduler_cycle",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("process_id", sa.String(length=128), nullable=False),
        sa.Column("cron", sa.String(length=100), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("key_template", sa.String(length=100), nullable=False),
        sa.Column("business_key_template", sa.String(length=200), nullable=False),
        sa.Column("title_template", sa.String(length=300), nullable=False),
        sa.Column("start_data", sa.JSON(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("active_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_cycle_key", sa.String(length=100), nullable=True),
        sa.Column("last_instance_id", sa.Integer(), nullable=True),
        sa.Column("last_lateness_s", sa.Float(), nullable=True),
        sa.Column("last_warning", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "scheduler_node",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_tick_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_lateness_s", sa.Float(), nullable=True),
        sa.Column("max_lateness_s", sa.Float(), nullable=True),
        sa.Column("timers_fired", sa.Integer(), nullable=False),
        sa.Column("cycles_started", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    # active_from stays NULL: the first due moment after the row's creation fires (see services/scheduler).
    bind = op.get_bind()
    now = bind.execute(sa.select(sa.func.current_timestamp())).scalar()
    if isinstance(now, str):  # SQLite returns text
        from datetime import datetime, timezone

        now = datetime.fromisoformat(now).replace(tzinfo=timezone.utc)
    if now.tzinfo is None:
        from datetime import timezone

        now = now.replace(tzinfo=timezone.utc)
    if bind.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # stored naive UTC, like UTCDateTime does
    op.bulk_insert(cycle, [
        dict(row, timezone="Asia/Tomsk", paused=False, created_at=now, updated_at=now) for row in DEFAULT_CYCLES
    ])


def downgrade():
    op.drop_table("scheduler_node")
    op.drop_table("scheduler_cycle")
