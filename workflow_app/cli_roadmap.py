"""``flask roadmap load|list``: the roadmap's items from the shipped file (``make db`` loads them)."""

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from .services.errors import ServiceError
from .services.people.actors import SYSTEM
from .services.roadmap import changes, queries


def register_roadmap_cli(app):
    roadmap_cli = AppGroup("roadmap", help="The roadmap (план мероприятий): items, executors, status.")

    @roadmap_cli.command("load")
    @click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
    def load(path):
        """Load the roadmap file (default: bpmn/changes.json); items changed since are kept."""
        try:
            counts = changes.load(SYSTEM, Path(path) if path else None)
        except ServiceError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(1)
        click.echo(
            f"roadmap: {len(counts['created'])} item(s) created, {len(counts['refreshed'])} refreshed, "
            f"{len(counts['kept'])} kept as changed; organisations registered: {', '.join(counts['organisations']) or '-'}"
        )

    @roadmap_cli.command("list")
    def list_():
        """List the items: number, status, deadline, title."""
        for item in queries.list_items(SYSTEM):
            click.echo(f"{item['number']}\t{item['status']}\t{item['deadline']}\t{item['title'][:80]}")

    app.cli.add_command(roadmap_cli)
