"""Scheduler commands: ``flask scheduler run | tick | cycles | pause | resume`` and ``flask run-all``.

``flask scheduler run`` is the production scheduler: a process of its own (several may run against
PostgreSQL; they split the work through row locks and the unique cycle key). ``flask run-all`` is the
embedded default behind ``make run``: the web app on werkzeug's threaded server AND the scheduler loop in
a background thread of the same process.
"""

import json
import signal
import socket
import sys
from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from .engine import clock
from .services import scheduler
from .services.errors import ServiceError
from .services.people.actors import SYSTEM
from .serving import ready_to_serve


def _parse_now(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"not an ISO date-time: {value}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.REGION_TZ)  # a bare local time is Tomsk time
    return moment.astimezone(UTC)


def register_scheduler_cli(app):
    group = AppGroup("scheduler", help="Yearly cycles and process timers.")

    @group.command("run")
    def run_command():
        """Run the scheduler until interrupted (SIGINT/SIGTERM)."""
        loop = scheduler.SchedulerLoop(app, mode="run")

        def _stop(_signum, _frame):
            loop.stop(timeout=0)

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        click.echo(f"scheduler {loop.node} running; Ctrl-C stops it", err=True)
        loop.run()

    @group.command("tick")
    @click.option("--now", "now_text", help="ISO date-time of the tick (default: now); a bare time is Asia/Tomsk")
    def tick_command(now_text):
        """Do everything that is due at NOW once (start cycles, fire timers) and exit."""
        now = _parse_now(now_text)
        if now is not None:
            clock.set_clock(now)
        now = clock.now()
        result = scheduler.tick(now)
        scheduler.heartbeat(socket.gethostname() + ":tick", "tick", result)  # one row per host for all ticks
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))

    @group.command("cycles")
    def cycles_command():
        """List the yearly cycles and when each is due next."""
        for cycle in scheduler.list_cycles(SYSTEM):
            view = scheduler.cycle_view(cycle)
            state = "paused" if view["paused"] else "active"
            click.echo(
                f"{view['id']}\t{state}\t{view['cron']} ({view['timezone']})\t{view['process_id']}"
                f"\tnext {view['next_due_at'] or '-'} ({view['next_cycle_key'] or '-'})"
                f"\tlast {view['last_cycle_key'] or '-'}"
                + (f"\tWARNING {view['last_warning']}" if view["last_warning"] else "")
            )

    def _set_paused(code, paused):
        try:
            scheduler.set_paused(SYSTEM, code, paused)
        except ServiceError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(1)
        click.echo(f"{code} {'paused' if paused else 'resumed'}")

    @group.command("pause")
    @click.argument("code")
    def pause_command(code):
        """Pause a cycle: it does not start until resumed (then it catches up once)."""
        _set_paused(code, True)

    @group.command("resume")
    @click.argument("code")
    def resume_command(code):
        """Resume a paused cycle."""
        _set_paused(code, False)

    @group.command("status")
    def status_command():
        """The scheduler's health as JSON (as in /healthz)."""
        click.echo(json.dumps(scheduler.health().as_dict(), ensure_ascii=False))

    app.cli.add_command(group)

    @app.cli.command("run-all")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, type=int, show_default=True)
    def run_all_command(host, port):
        """Serve the web app and run the scheduler in a background thread of the same process."""
        from werkzeug.serving import run_simple

        def _term(_signum, _frame):
            raise KeyboardInterrupt  # werkzeug's server stops on it; then the scheduler thread is stopped

        signal.signal(signal.SIGTERM, _term)
        ready_to_serve(app)
        loop = scheduler.SchedulerLoop(app, mode="run-all").start()
        click.echo(f"Soglasie on http://{host}:{port}/ with the scheduler in-process ({loop.node})", err=True)
        try:
            run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
        finally:
            loop.stop()
