"""Operator commands for people: ``flask users create|token|deputy`` and ``flask demo load``."""

import sys

import click
from flask.cli import AppGroup

from .services import accounts, demo
from .services.errors import ServiceError
from .services.identity import SYSTEM


def _fail(exc: ServiceError):
    detail = "; ".join(f"{k}: {v}" for k, v in (exc.fields or {}).items())
    click.echo(f"error: {exc.message}" + (f" ({detail})" if detail else ""), err=True)
    sys.exit(1)


def register_users_cli(app):
    users_cli = AppGroup("users", help="Create users and personal API tokens.")

    @users_cli.command("create")
    @click.argument("username")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--name", "display_name", default=None, help="Display name (default: the username).")
    @click.option("--group", "groups", multiple=True, help="A role id (repeatable), e.g. --group dpo_officer.")
    @click.option("--org", "organisation", default=None, help="Organisation code, e.g. DEPPO or TPT.")
    @click.option("--email", default=None)
    def users_create(username, password, display_name, groups, organisation, email):
        """Create a user with groups and an organisation."""
        try:
            user = accounts.add_user(SYSTEM, username, password, display_name, list(groups), organisation, email)
        except ServiceError as exc:
            _fail(exc)
        click.echo(f"created {user.username} (id {user.id}) groups={','.join(sorted(user.group_ids)) or '-'}")

    @users_cli.command("token")
    @click.argument("username")
    @click.option("--name", default="cli", help="A label for the token.")
    def users_token(username, name):
        """Issue a personal API token and print it (shown once; only its hash is stored)."""
        try:
            click.echo(accounts.issue_token(SYSTEM, username, name))
        except ServiceError as exc:
            _fail(exc)

    @users_cli.command("deputy")
    @click.argument("principal")
    @click.argument("deputy")
    @click.argument("starts_on", type=click.DateTime(formats=["%Y-%m-%d"]))
    @click.argument("ends_on", type=click.DateTime(formats=["%Y-%m-%d"]))
    def users_deputy(principal, deputy, starts_on, ends_on):
        """DEPUTY acts for PRINCIPAL from STARTS_ON to ENDS_ON (YYYY-MM-DD, inclusive)."""
        try:
            accounts.add_deputy(SYSTEM, principal, deputy, starts_on.date(), ends_on.date())
        except ServiceError as exc:
            _fail(exc)
        click.echo(f"{deputy} acts for {principal} {starts_on:%Y-%m-%d}..{ends_on:%Y-%m-%d}")

    demo_cli = AppGroup("demo", help="Demo data (refused when SOGLASIE_ENV=production).")

    @demo_cli.command("load")
    def demo_load():
        """Create the demo organisations and one user per role (idempotent)."""
        try:
            result = demo.load(SYSTEM)
        except ServiceError as exc:
            _fail(exc)
        click.echo(
            f"organisations created: {len(result.organisations_created)}; users created: "
            f"{len(result.users_created)}; demo users: {result.users_total}"
        )

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)


__all__ = ["register_users_cli"]
