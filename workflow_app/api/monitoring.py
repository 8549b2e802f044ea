"""The monitoring dashboard's numbers (the Координатор, heads, auditors): each table as JSON, all as XLSX."""

from flask import Response
from flask_smorest import Blueprint

from ..services.monitoring import cycle, dashboard
from .core import current_actor
from .schemas.monitoring import (
    ChainTimesSchema,
    DashboardSchema,
    OpenRowSchema,
    PeriodSchema,
    StatusRowSchema,
    StepTimesSchema,
)

blp = Blueprint(
    "monitoring_api", __name__, url_prefix="/monitoring", description="The monitoring dashboard (13.3): tasks, times"
)


@blp.route("")
@blp.arguments(PeriodSchema, location="query")
@blp.response(200, DashboardSchema)
def all_tables(query):
    """Every table of the dashboard for the period."""
    return dashboard.dashboard(current_actor(), query["start"], query["end"])


@blp.route("/tasks/by-department")
@blp.response(200, OpenRowSchema(many=True))
def by_department():
    """Open and overdue tasks by department (investors under one label)."""
    return dashboard.open_tasks_by_department(current_actor())


@blp.route("/tasks/by-chain")
@blp.response(200, OpenRowSchema(many=True))
def by_chain():
    return dashboard.open_tasks_by_chain(current_actor())


@blp.route("/times/steps")
@blp.arguments(PeriodSchema, location="query")
@blp.response(200, StepTimesSchema)
def step_times(query):
    """Average and 90th-percentile hours per step completed in the period."""
    return dashboard.step_times(current_actor(), query["start"], query["end"])


@blp.route("/times/chains")
@blp.arguments(PeriodSchema, location="query")
@blp.response(200, ChainTimesSchema)
def chain_times(query):
    """Average and 90th-percentile days per chain, cases completed in the period."""
    return dashboard.chain_times(current_actor(), query["start"], query["end"])


@blp.route("/roadmap")
@blp.response(200, StatusRowSchema(many=True))
def roadmap_status():
    return dashboard.roadmap_by_status(current_actor())


@blp.route("/instructions")
@blp.response(200, StatusRowSchema(many=True))
def instructions_status():
    return dashboard.instructions_by_status(current_actor())


@blp.route("/export.xlsx")
@blp.arguments(PeriodSchema, location="query")
@blp.response(200, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
def export(query):
    name, content = dashboard.xlsx(current_actor(), query["start"], query["end"])
    return Response(
        content,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@blp.route("/cycles/<int:instance_id>/report.xlsx")
@blp.response(200, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
def cycle_report(instance_id):
    """The consolidated report of a half-yearly monitoring cycle (13.3): the executors' answers per item, the
    corrections proposed, the analysis and the council's protocol."""
    name, content = cycle.report_xlsx(current_actor(), instance_id)
    return Response(
        content,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
