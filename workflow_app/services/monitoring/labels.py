"""The dashboard's names in the UI language (headers, statuses): one place for the page, the API and the XLSX."""

from flask_babel import lazy_gettext

ROADMAP_STATUS = {
    "planned": lazy_gettext("planned"),
    "in_progress": lazy_gettext("being carried out"),
    "done": lazy_gettext("done"),
    "not_done": lazy_gettext("not done"),
    "cancelled": lazy_gettext("excluded from the roadmap"),
    "overdue": lazy_gettext("overdue"),
}
INSTRUCTION_STATUS = {
    "open": lazy_gettext("in execution"),
    "overdue": lazy_gettext("overdue"),
    "reported": lazy_gettext("reported on"),
    "done": lazy_gettext("executed"),
}
HEADERS = {
    "by_department": lazy_gettext("Tasks by department"),
    "by_chain": lazy_gettext("Tasks by chain"),
    "step_times": lazy_gettext("Time per step"),
    "chain_times": lazy_gettext("Time per chain"),
    "roadmap": lazy_gettext("Roadmap items"),
    "instructions": lazy_gettext("Instructions"),
    "department": lazy_gettext("Department"),
    "chain": lazy_gettext("Chain"),
    "step": lazy_gettext("Step"),
    "open": lazy_gettext("Open tasks"),
    "overdue": lazy_gettext("Overdue tasks"),
    "count": lazy_gettext("Quantity"),
    "avg_hours": lazy_gettext("Average, hours"),
    "p90_hours": lazy_gettext("90th percentile (±6 %), hours"),
    "avg_days": lazy_gettext("Average, days"),
    "p90_days": lazy_gettext("90th percentile (±6 %), days"),
    "status": lazy_gettext("Status"),
}


def all_labels() -> dict:
    labels = dict(HEADERS)
    labels.update({k: v for k, v in ROADMAP_STATUS.items() if k != "overdue"})
    labels.update({"instruction_" + k: v for k, v in INSTRUCTION_STATUS.items()})
    return labels
