"""process_instance.business_key_folded: the case number as a search compares it, indexed (a search by case
number was a LIKE scan of every instance, folded in Python); back-filled for the cases already stored

Revision ID: 0026_folded_case_numbers
Revises: 0025_cancelled_recipients
Create Date: 2026-12-07 12:45:00

"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0026_folded_case_numbers"
down_revision = "0025_cancelled_recipients"
branch_labels = None
depends_on = None

# services/cases/case_numbers.fold as of this revision (a migration does not follow later code)
LOOK_ALIKES = str.maketrans("ABCEHKMOPTXY", "АВСЕНКМОРТХУ")


def fold(text):
    text = unicodedata.normalize("NFKC", str(text or "")).strip().upper().translate(LOOK_ALIKES)
    return "".join(text.casefold().replace("ё", "е").split())


def upgrade():
    # plain ALTER TABLE on both databases (a batch copy of the table would trip SQLite's foreign keys)
    op.add_column("process_instance", sa.Column("business_key_folded", sa.Text(), nullable=True))
    bind = op.get_bind()
    instance = sa.table(
        "process_instance", sa.column("id", sa.Integer), sa.column("business_key"), sa.column("business_key_folded")
    )
    keys = bind.execute(sa.select(instance.c.business_key).where(instance.c.business_key.is_not(None)).distinct())
    rows = [{"key": key, "folded": fold(key)} for (key,) in keys]
    if rows:
        bind.execute(
            instance.update()
            .where(instance.c.business_key == sa.bindparam("key"))
            .values(business_key_folded=sa.bindparam("folded")),
            rows,
        )
    op.create_index("ix_instance_business_key_folded", "process_instance", ["business_key_folded"])
    # what older code still serving during the upgrade starts after this back-fill: the scheduler folds it
    unfolded = sa.text("business_key_folded IS NULL AND business_key IS NOT NULL")
    op.create_index(
        "ix_instance_unfolded", "process_instance", ["id"], postgresql_where=unfolded, sqlite_where=unfolded
    )


def downgrade():
    op.drop_index("ix_instance_unfolded", table_name="process_instance")
    op.drop_index("ix_instance_business_key_folded", table_name="process_instance")
    op.drop_column("process_instance", "business_key_folded")
