"""Operator commands for people: ``flask users create|list|edit|reset-password|deactivate|reactivate|token|
revoke-tokens|deputy`` and ``flask demo load``."""

import sys

import click
from flask.cli import AppGroup

from .services import demo
from .services.errors import ServiceError
from .services.people import administration, deputies, tokens
from .services.people.actors import SYSTEM


def _fail(exc: ServiceError):
    detail = "; ".join(f"{k}: {v}" for k, v in (exc.fields or {}).items())
    click.echo(f"error: {exc.message}" + (f" ({detail})" if detail else ""), err=True)
    sys.exit(1)


def register_users_cli(app):
    users_cli = AppGroup("users", help="Users, their groups, passwords, tokens and deputies.")

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
            user = administration.add_user(SYSTEM, username, password, display_name, list(groups), organisation, email)
        except ServiceError as exc:
            _fail(exc)
        click.echo(f"created {user.username} (id {user.id}) groups={','.join(sorted(user.group_ids)) or '-'}")

    @users_cli.command("token")
    @click.argument("username")
    @click.option("--name", default="cli", help="A label for the token.")
    def users_token(username, name):
        """Issue a personal API token and print it (shown once; only its hash is stored)."""
        try:
            click.echo(tokens.issue_token(SYSTEM, username, name))
        except ServiceError as exc:
            _fail(exc)

    @users_cli.command("deputy")
    @click.argument("principal")
    @click.argument("deputy")
    @click.argument("starts_on", type=click.DateTime(formats=["%Y-%m-%d"]))
    @click.argument("ends_on", type=click.DateTime(formats=["%Y-%m-%d"]))
    @click.option("--reason", default="", help="e.g. отпуск, командировка")
    def users_deputy(principal, deputy, starts_on, ends_on, reason):
        """DEPUTY acts for PRINCIPAL from STARTS_ON to ENDS_ON (YYYY-MM-DD, inclusive)."""
        try:
            deputies.add(SYSTEM, principal, deputy, starts_on.date(), ends_on.date(), reason)
        except ServiceError as exc:
            _fail(exc)
        click.echo(f"{deputy} acts for {principal} {starts_on:%Y-%m-%d}..{ends_on:%Y-%m-%d}")

    @users_cli.command("list")
    @click.option("--search", "q", default="", help="Part of the name or the login.")
    @click.option("--org", "organisation", default=None, help="Organisation code.")
    @click.option("--group", default=None, help="Role id.")
    @click.option("--status", type=click.Choice(["active", "inactive", "all"]), default="active", show_default=True)
    def users_list(q, organisation, group, status):
        """List users (tab-separated: login, active, organisation, groups, name)."""
        page, pages = 1, 1
        while page <= pages:
            result = administration.search(SYSTEM, q, organisation, group, status, page)
            for u in result.items:
                org = u["organisation"]["code"] if u["organisation"] else "-"
                state = "active" if u["active"] else "inactive"
                click.echo(f"{u['username']}\t{state}\t{org}\t{','.join(u['groups']) or '-'}\t{u['display_name']}")
            page, pages = page + 1, result.pages

    @users_cli.command("edit")
    @click.argument("username")
    @click.option("--name", "display_name", default=None, help="New display name.")
    @click.option("--email", default=None, help="New e-mail ('' clears it).")
    @click.option("--org", "organisation", default=None, help="Organisation code ('' clears it).")
    @click.option("--group", "groups", multiple=True, help="The complete new list of groups (repeatable).")
    @click.option("--add-group", "add_groups", multiple=True, help="Add a group (repeatable).")
    @click.option("--remove-group", "remove_groups", multiple=True, help="Remove a group (repeatable).")
    def users_edit(username, display_name, email, organisation, groups, add_groups, remove_groups):
        """Change a user's name, e-mail, organisation or groups."""
        try:
            user = administration.by_username(SYSTEM, username)
            new_groups = None
            if groups or add_groups or remove_groups:
                base = set(groups) if groups else set(user.group_ids)
                new_groups = sorted((base | set(add_groups)) - set(remove_groups))
            user = administration.edit(
                SYSTEM,
                user.id,
                display_name=display_name,
                email=... if email is None else email,
                organisation=... if organisation is None else organisation,
                groups=new_groups,
            )
        except ServiceError as exc:
            _fail(exc)
        click.echo(f"changed {user.username} groups={','.join(sorted(user.group_ids)) or '-'}")

    @users_cli.command("reset-password")
    @click.argument("username")
    @click.option("--password", default=None, help="The new password (default: a generated one, printed).")
    def users_reset_password(username, password):
        """Set a one-time password; the user changes it at the next login; their sessions end."""
        try:
            value = administration.reset_password(SYSTEM, administration.by_username(SYSTEM, username).id, password)
        except ServiceError as exc:
            _fail(exc)
        click.echo(value)

    @users_cli.command("deactivate")
    @click.argument("username")
    def users_deactivate(username):
        """Deactivate: sessions end, tokens are revoked, open tasks return to their groups (listed)."""
        try:
            done = administration.deactivate(SYSTEM, administration.by_username(SYSTEM, username).id)
        except ServiceError as exc:
            _fail(exc)
        click.echo(
            f"deactivated {username}: sessions ended {done.sessions_ended}, tokens revoked {done.tokens_revoked}, "
            f"tasks unassigned {len(done.unassigned_tasks)}"
        )
        for t in done.unassigned_tasks:
            click.echo(f"  task {t['id']}\t{t['business_key'] or '-'}\t{t['group'] or '-'}\t{t['name']}")

    @users_cli.command("reactivate")
    @click.argument("username")
    def users_reactivate(username):
        """Let a deactivated user log in again."""
        try:
            administration.reactivate(SYSTEM, administration.by_username(SYSTEM, username).id)
        except ServiceError as exc:
            _fail(exc)
        click.echo(f"reactivated {username}")

    @users_cli.command("revoke-tokens")
    @click.argument("username")
    def users_revoke_tokens(username):
        """Revoke every personal API token of the user."""
        try:
            count = tokens.revoke_tokens(SYSTEM, username)
        except ServiceError as exc:
            _fail(exc)
        click.echo(f"revoked {count} token(s) of {username}")

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
