"""The monitoring dashboard in the browser (``/monitoring``): each table of services/monitoring/dashboard as a
server-rendered SVG chart with its numbers beside it, a period to choose and an XLSX export. Thin."""

from flask import Blueprint, Response, render_template, request
from flask_login import login_required

from ..services.monitoring import cycle, dashboard
from ..services.monitoring.labels import HEADERS
from ..services.monitoring.labels import INSTRUCTION_STATUS as INSTRUCTION_LABELS
from ..services.monitoring.labels import ROADMAP_STATUS as STATUS_LABELS
from . import charts
from .ui import actor

bp = Blueprint("monitoring", __name__, url_prefix="/monitoring")


@bp.route("", strict_slashes=False)
@login_required
def index():
    data = dashboard.dashboard(actor(), request.args.get("start"), request.args.get("end"))
    roadmap_rows = [{"label": str(STATUS_LABELS[r["status"]]), "count": r["count"]} for r in data["roadmap"]]
    instruction_rows = [
        {"label": str(INSTRUCTION_LABELS[r["status"]]), "count": r["count"]} for r in data["instructions"]
    ]
    h = HEADERS
    step_rows = [{**r, "label": f"{r['chain']}: {r['label']}"} for r in data["step_times"]]
    return render_template(
        "monitoring/dashboard.html",
        data=data,
        roadmap_rows=roadmap_rows,
        instruction_rows=instruction_rows,
        step_rows=step_rows,
        charts={
            "by_department": charts.bars(
                data["by_department"], [("open", h["open"]), ("overdue", h["overdue"])], h["by_department"]
            ),
            "by_chain": charts.bars(data["by_chain"], [("open", h["open"]), ("overdue", h["overdue"])], h["by_chain"]),
            "step_times": charts.bars(
                step_rows, [("avg_hours", h["avg_hours"]), ("p90_hours", h["p90_hours"])], h["step_times"]
            ),
            "chain_times": charts.bars(
                data["chain_times"], [("avg_days", h["avg_days"]), ("p90_days", h["p90_days"])], h["chain_times"]
            ),
            "roadmap": charts.bars(roadmap_rows, [("count", h["count"])], h["roadmap"]),
            "instructions": charts.bars(instruction_rows, [("count", h["count"])], h["instructions"]),
        },
    )


@bp.route("/export.xlsx")
@login_required
def export():
    name, content = dashboard.xlsx(actor(), request.args.get("start"), request.args.get("end"))
    return Response(
        content,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/cycles/<int:instance_id>/report.xlsx")
@login_required
def cycle_report(instance_id):
    name, content = cycle.report_xlsx(actor(), instance_id)
    return Response(
        content,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
