"""``flask orgs create|list``: organisations of a real installation (demo data is refused in production)."""

import sys

import click
from flask.cli import AppGroup

from .services.errors import ServiceError
from .services.people import organisations
from .services.people.actors import SYSTEM


def register_orgs_cli(app):
    orgs_cli = AppGroup("orgs", help="Organisations (departments, colleges, investors).")

    @orgs_cli.command("create")
    @click.argument("code")
    @click.argument("name")
    @click.option("--kind", type=click.Choice(organisations.KINDS), default="department", show_default=True)
    @click.option("--inn", default=None, help="ИНН (checked)")
    def create(code, name, kind, inn):
        """Create the organisation CODE named NAME."""
        try:
            org = organisations.add_organisation(SYSTEM, code, name, kind, inn)
        except ServiceError as exc:
            detail = "; ".join(f"{k}: {v}" for k, v in (exc.fields or {}).items())
            click.echo(f"error: {exc.message}" + (f" ({detail})" if detail else ""), err=True)
            sys.exit(1)
        click.echo(f"created {org.code} (id {org.id}, {org.kind})")

    @orgs_cli.command("list")
    def list_():
        """List the organisations."""
        for org in organisations.list_organisations():
            click.echo(f"{org.code}\t{org.kind}\t{org.inn or '-'}\t{org.name}")

    app.cli.add_command(orgs_cli)
