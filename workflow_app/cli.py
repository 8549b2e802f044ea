"""Operator commands: ``flask deploy``, ``flask models``, ``flask users``, ``flask demo``, ``flask audit``..."""

import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from .cli_orgs import register_orgs_cli
from .cli_roadmap import register_roadmap_cli
from .cli_scheduler import register_scheduler_cli
from .cli_users import register_users_cli
from .extensions import db
from .services.audit import sequencer, trail
from .services.errors import ServiceError
from .services.people.actors import SYSTEM
from .services.process_models import deployment


def register_cli(app):
    @app.cli.command("deploy")
    @click.argument("path", required=False)
    @click.option("--check", "check_only", is_flag=True, help="Only check: list every problem, deploy nothing.")
    def deploy_command(path, check_only):
        """Check and deploy a BPMN file or every *.bpmn in a folder (default: bpmn/).

        Every problem of a file is listed, one per line (file:line, element, what is wrong, what to do, the rule);
        a file with an error is not deployed and the command exits with status 1.
        """
        path = path or current_app.config["BPMN_DIR"]
        failed = False
        try:
            if check_only:
                for report in deployment.check_path(SYSTEM, path):
                    for problem in report.problems:
                        click.echo(problem.text(), err=problem.severity == "error")
                    state = "OK" if report.ok else f"{len(report.errors)} error(s)"
                    click.echo(
                        f"{report.file_name}: {state}, {len(report.warnings)} warning(s) (checked, not deployed)"
                    )
                    failed = failed or not report.ok
            else:
                for file in deployment.files_of(path):
                    try:
                        results = deployment.deploy_path(SYSTEM, file)
                    except ServiceError as exc:
                        for problem in exc.problems or []:
                            click.echo(problem.text(), err=True)
                        click.echo(
                            f"error: {exc.message if not exc.problems else file.name + ': not deployed'}", err=True
                        )
                        failed = True
                        continue
                    for r in results:
                        for problem in r.warnings:
                            click.echo(problem.text())
                        state = "deployed" if r.created else "unchanged"
                        click.echo(f"{r.process_id} v{r.version} {state} ({r.file_name})")
        except ServiceError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(2)
        if failed:
            sys.exit(1)

    @app.cli.command("models")
    def models_command():
        """List the deployed process models and their versions."""
        for m in deployment.list_models():
            click.echo(f"{m.process_id}\tv{m.version}\t{m.deployed_at:%Y-%m-%d %H:%M}\t{m.content_hash[:12]}\t{m.name}")

    audit_cli = AppGroup("audit", help="Verify and export the audit chain.")

    @audit_cli.command("verify")
    def audit_verify():
        result = trail.verify(db.session)
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        sys.exit(0 if result.ok else 1)

    @audit_cli.command("seal")
    def audit_seal():
        """Seal every event of a finished transaction now (the scheduler does it continuously)."""
        click.echo(json.dumps({"sealed": sequencer.seal_pending()}))

    @audit_cli.command("head")
    def audit_head():
        click.echo(json.dumps(trail.head(db.session)))

    app.cli.add_command(audit_cli)

    register_users_cli(app)

    register_scheduler_cli(app)

    register_orgs_cli(app)

    register_roadmap_cli(app)
