"""The collegial bodies under the names their acts give them (domain.md, footnotes 2 and 5 of the seed): the
Coordination Council «по кадровому обеспечению экономики Томской области», the Working Group «по внедрению
проекта «Региональный стандарт…» в Томской области»; a name an installation changed itself is kept

Revision ID: 0027_official_body_names
Revises: 0026_folded_case_numbers
Create Date: 2026-12-07 15:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0027_official_body_names"
down_revision = "0026_folded_case_numbers"
branch_labels = None
depends_on = None

# code -> (the name 0001_initial seeded, the name of the act)
NAMES = {
    "coordination_council": (
        "Координационный совет по внедрению Регионального стандарта кадрового обеспечения"
        " промышленного (экономического) роста Томской области",
        "Координационный совет по кадровому обеспечению экономики Томской области",
    ),
    "working_group": (
        "Рабочая группа по формированию актуального перечня профессий",
        "Рабочая группа по внедрению проекта «Региональный стандарт кадрового обеспечения"
        " промышленного (экономического) роста» в Томской области",
    ),
}
body = sa.table("collegial_body", sa.column("code"), sa.column("name"))


def _rename(old_index, new_index):
    bind = op.get_bind()
    for code, names in NAMES.items():
        bind.execute(
            body.update().where(body.c.code == code, body.c.name == names[old_index]).values(name=names[new_index])
        )


def upgrade():
    _rename(0, 1)


def downgrade():
    _rename(1, 0)
