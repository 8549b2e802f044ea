"""The schema exists only through the migrations, and they match the models exactly."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import ROOT

from workflow_app.extensions import db


def test_one_head():
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1, "merge the migration heads"


@pytest.mark.postgres_too
def test_migrated_schema_matches_the_models(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], diff


@pytest.mark.postgres_too
def test_the_bodies_carry_the_names_of_their_acts_and_a_name_changed_here_is_kept(app):
    """domain.md: «Координационный совет по кадровому обеспечению экономики Томской области», «Рабочая группа по
    внедрению проекта «Региональный стандарт …» в Томской области» (0001 seeded other names; 0027 renames them
    unless the installation renamed a body itself)."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import select, update

    from workflow_app.extensions import db
    from workflow_app.models import CollegialBody

    def names():
        db.session.remove()
        return dict(db.session.execute(select(CollegialBody.code, CollegialBody.name)).all())

    official = names()
    assert (
        official["coordination_council"] == "Координационный совет по кадровому обеспечению экономики Томской области"
    )
    assert official["working_group"] == (
        "Рабочая группа по внедрению проекта «Региональный стандарт кадрового обеспечения промышленного"
        " (экономического) роста» в Томской области"
    )
    migrations = str(ROOT / "migrations")
    db.session.remove()
    downgrade(directory=migrations, revision="0026_folded_case_numbers")
    assert names()["coordination_council"].startswith("Координационный совет по внедрению")
    db.session.execute(update(CollegialBody).where(CollegialBody.code == "working_group").values(name="Своё имя"))
    db.session.commit()
    db.session.remove()
    upgrade(directory=migrations, revision="heads")
    assert names() == {**official, "working_group": "Своё имя"}
