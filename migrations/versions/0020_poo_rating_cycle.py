"""the ПОО rating's yearly cycle starts the poo_rating process (data call, computation by the formula, the Working
Group's approval, publication) instead of the bare data call

Revision ID: 0020_poo_rating_cycle
Revises: 0019_poo_data_call_cycles
Create Date: 2026-12-07 02:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0020_poo_rating_cycle"
down_revision = "0019_poo_data_call_cycles"
branch_labels = None
depends_on = None

CYCLE = sa.table(
    "scheduler_cycle",
    sa.column("id"),
    sa.column("name"),
    sa.column("process_id"),
    sa.column("key_template"),
    sa.column("business_key_template"),
    sa.column("title_template"),
    sa.column("start_data", sa.JSON),
)


def upgrade():
    op.execute(
        CYCLE.update()
        .where(CYCLE.c.id == "poo_rating")
        .values(
            name="Рейтинг ПОО",
            process_id="poo_rating",
            key_template="{year}",
            business_key_template="Рейтинг-ПОО-{year}",
            title_template="Рейтинг ПОО {year}",
            start_data={"year": "{year}"},
        )
    )


def downgrade():
    op.execute(
        CYCLE.update()
        .where(CYCLE.c.id == "poo_rating")
        .values(
            name="Рейтинг ПОО: сбор показателей (запрос сведений)",
            process_id="data_call",
            key_template="poo_rating-{year}",
            business_key_template="Запрос-{year}/poo_rating",
            title_template="Сведения для рейтинга ПОО, {year} год",
            start_data={"template": "poo_rating", "year": "{year}"},
        )
    )
