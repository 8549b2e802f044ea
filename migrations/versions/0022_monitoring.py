"""monitoring: the dashboard's indexes (tasks and cases completed in a period) and the half-yearly monitoring
cycle of the roadmap (13.3: June and December)

Revision ID: 0022_monitoring
Revises: 0021_session_idle
Create Date: 2026-12-07 02:30:00

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0022_monitoring"
down_revision = "0021_session_idle"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_task_completed", "human_task", ["status", "completed_at"])
    op.create_index("ix_instance_completed", "process_instance", ["status", "completed_at"])
    bind = op.get_bind()
    cycle = sa.table(
        "scheduler_cycle",
        sa.column("id"),
        sa.column("name"),
        sa.column("process_id"),
        sa.column("cron"),
        sa.column("key_template"),
        sa.column("business_key_template"),
        sa.column("title_template"),
        sa.column("start_data", sa.JSON),
        sa.column("timezone"),
        sa.column("paused", sa.Boolean),
        sa.column("created_at", sa.DateTime),
        sa.column("updated_at", sa.DateTime),
    )
    now = datetime.now(UTC)
    if bind.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # stored naive UTC, like UTCDateTime does
    op.bulk_insert(
        cycle,
        [
            {
                "id": "roadmap_monitoring",
                "name": "Мониторинг дорожной карты (п. 13.3), июнь и декабрь",
                "process_id": "roadmap_monitoring",
                "cron": "0 9 1 6,12 *",
                "key_template": "{year}-{month}",
                "business_key_template": "Мониторинг-{year}-{month}",
                "title_template": "Мониторинг дорожной карты ({month}.{year})",
                "start_data": {"year": "{year}", "month": "{month}"},
                "timezone": "Asia/Tomsk",
                "paused": False,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )


def downgrade():
    op.execute("DELETE FROM scheduler_cycle WHERE id = 'roadmap_monitoring'")
    op.drop_index("ix_instance_completed", table_name="process_instance")
    op.drop_index("ix_task_completed", table_name="human_task")
