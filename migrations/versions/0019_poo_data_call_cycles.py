"""the ПОО's yearly data calls on their own cycles: graduates' employment (13.1, autumn), the data of the ПОО rating
(13.2, August), the partnership with business (2.7, January); each cycle row names its template (data, not code)

Revision ID: 0019_poo_data_call_cycles
Revises: 0018_roadmap
Create Date: 2026-12-07 02:30:00

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0019_poo_data_call_cycles"
down_revision = "0018_roadmap"
branch_labels = None
depends_on = None

CYCLES = [
    {
        "id": "poo_graduates",
        "name": "Трудоустройство выпускников ПОО (запрос сведений)",
        "cron": "0 9 15 9 *",
        "key_template": "poo_graduates-{year}",
        "business_key_template": "Запрос-{year}/poo_graduates",
        "title_template": "Трудоустройство выпускников ПОО {year} года",
        "start_data": {"template": "poo_graduates", "year": "{year}"},
    },
    {
        "id": "poo_rating",
        "name": "Рейтинг ПОО: сбор показателей (запрос сведений)",
        "cron": "0 9 1 8 *",
        "key_template": "poo_rating-{year}",
        "business_key_template": "Запрос-{year}/poo_rating",
        "title_template": "Сведения для рейтинга ПОО, {year} год",
        "start_data": {"template": "poo_rating", "year": "{year}"},
    },
    {
        "id": "poo_governance",
        "name": "Партнёрство с бизнесом в управлении ПОО (запрос сведений)",
        "cron": "0 9 15 1 *",
        "key_template": "poo_governance-{year}",
        "business_key_template": "Запрос-{year}/poo_governance",
        "title_template": "Партнёрство с бизнесом в управлении ПОО, {year} год",
        "start_data": {"template": "poo_governance", "year": "{year}"},
    },
]


def upgrade():
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
            dict(row, process_id="data_call", timezone="Asia/Tomsk", paused=False, created_at=now, updated_at=now)
            for row in CYCLES
        ],
    )


def downgrade():
    op.execute(sa.text("DELETE FROM scheduler_cycle WHERE id IN ('poo_graduates', 'poo_rating', 'poo_governance')"))
