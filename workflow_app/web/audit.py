"""Audit pages (blueprint ``audit_web``): an instance's history beside its diagram, the auditor's search
with exports, the chain check, and the administrator's corrections (forms posting a reason)."""

from urllib.parse import urlencode

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import login_required
from markupsafe import Markup

from ..dates import ru_datetime
from ..services.audit import queries
from ..services.cases import corrections, timeline
from ..services.errors import Invalid
from .ui import actor, translate_message

bp = Blueprint("audit_web", __name__)

KIND_LABELS = {
    "model_deployed": lazy_gettext("model deployed"),
    "instance_started": lazy_gettext("started the case"),
    "task_ready": lazy_gettext("task created"),
    "task_claimed": lazy_gettext("took the task"),
    "task_unclaimed": lazy_gettext("released the task"),
    "task_assigned": lazy_gettext("assigned the task"),
    "assigned": lazy_gettext("assigned the task"),
    "delegated": lazy_gettext("delegated the task"),
    "task_completed": lazy_gettext("completed the task"),
    "task_cancelled": lazy_gettext("task cancelled"),
    "task_closed": lazy_gettext("task closed"),
    "timer_fired": lazy_gettext("timer fired"),
    "escalation": lazy_gettext("deadline missed: escalation"),
    "message_delivered": lazy_gettext("message received"),
    "engine_steps": lazy_gettext("process steps"),
    "instance_completed": lazy_gettext("case completed"),
    "instance_terminated": lazy_gettext("case terminated by an administrator"),
    "admin_correction": lazy_gettext("administrator's correction"),
    "comment": lazy_gettext("comment"),
    "attachment": lazy_gettext("attachment"),
    "login": lazy_gettext("logged in"),
    "login_failed": lazy_gettext("failed login"),
    "protocol_signed": lazy_gettext("protocol signed"),
    "cycle_started": lazy_gettext("yearly cycle started"),
    "cycle_skipped": lazy_gettext("yearly cycle skipped"),
    "cycle_paused": lazy_gettext("yearly cycle paused"),
    "cycle_resumed": lazy_gettext("yearly cycle resumed"),
    "cycle_defined": lazy_gettext("yearly cycle defined"),
    "reminder": lazy_gettext("reminder sent"),
    "data_call_opened": lazy_gettext("data call opened"),
    "data_call_draft_saved": lazy_gettext("data call draft saved"),
    "data_call_extended": lazy_gettext("data call deadline extended"),
    "data_call_excused": lazy_gettext("excused from the data call"),
    "data_call_reminder": lazy_gettext("data call reminder"),
    "data_call_head_notified": lazy_gettext("head told of a late answer"),
    "data_call_completed": lazy_gettext("data call completed"),
    "forecast_brought": lazy_gettext("forecast brought to the organisations"),
    "roadmap_loaded": lazy_gettext("roadmap loaded from its file"),
    "roadmap_item_changed": lazy_gettext("roadmap item changed"),
    "roadmap_evidence_added": lazy_gettext("evidence linked to a roadmap item"),
    "roadmap_evidence_removed": lazy_gettext("evidence removed from a roadmap item"),
    "logout": lazy_gettext("logged out"),
    # administration (services/people: administration, tokens, sign_in, deputies, organisations; council/composition)
    "user_created": lazy_gettext("user created"),
    "user_changed": lazy_gettext("user changed"),
    "user_deactivated": lazy_gettext("user deactivated"),
    "user_reactivated": lazy_gettext("user reactivated"),
    "password_reset": lazy_gettext("password reset by an administrator"),
    "password_changed": lazy_gettext("password changed"),
    "token_issued": lazy_gettext("API token issued"),
    "token_revoked": lazy_gettext("API token revoked"),
    "tokens_revoked": lazy_gettext("API tokens revoked"),
    "session_ended": lazy_gettext("session ended"),
    "deputy_added": lazy_gettext("deputy registered"),
    "deputy_ended": lazy_gettext("deputy period ended"),
    "deputy_removed": lazy_gettext("deputy registration removed"),
    "organisation_created": lazy_gettext("organisation registered"),
    "organisation_changed": lazy_gettext("organisation changed"),
    "council_membership_added": lazy_gettext("seat on a body added"),
    "council_membership_ended": lazy_gettext("seat on a body ended"),
    "council_membership_removed": lazy_gettext("seat on a body removed"),
    "council_settings_changed": lazy_gettext("body's settings changed"),
    "attachment_added": lazy_gettext("attached a file"),
    "council_agenda_approved": lazy_gettext("agenda approved"),
    "council_attendance_recorded": lazy_gettext("attendance recorded"),
    "council_decision_recorded": lazy_gettext("decision recorded at the meeting"),
    "council_instruction_done": lazy_gettext("instruction done"),
    "council_instruction_status": lazy_gettext("instruction status changed"),
    "council_item_added": lazy_gettext("question put on the agenda"),
    "council_item_postponed": lazy_gettext("question postponed"),
    "council_item_refreshed": lazy_gettext("question confirmed after a change of the case"),
    "council_item_removed": lazy_gettext("question removed from the agenda"),
    "council_meeting_cancelled": lazy_gettext("meeting cancelled"),
    "council_meeting_created": lazy_gettext("meeting created"),
    "council_protocol_discarded": lazy_gettext("draft protocol discarded"),
    "council_protocol_signed": lazy_gettext("protocol signed by the chair"),
    "council_protocol_signed_by_secretary": lazy_gettext("protocol signed by the secretary"),
    "council_protocol_unsigned": lazy_gettext("secretary's signature withdrawn"),
    "demo_loaded": lazy_gettext("demo data loaded"),
    "document_fixed": lazy_gettext("document fixed at signing"),
    "published": lazy_gettext("results published"),
    "task_commented": lazy_gettext("commented"),
    "task_delegated": lazy_gettext("delegated the task"),
    "task_follow_up": lazy_gettext("set a follow-up date"),
    "task_resolved": lazy_gettext("returned the task to its owner"),
    "notice": lazy_gettext("notice sent"),
    "joined_campaign": lazy_gettext("joined the campaign"),
    "joined_cycle": lazy_gettext("joined the cycle"),
    "outcome": lazy_gettext("outcome recorded"),
}
STATUS_LABELS = {
    "running": lazy_gettext("in progress"),
    "completed": lazy_gettext("completed"),
    "terminated": lazy_gettext("terminated"),
}
FORMATS = ("csv", "xlsx", "json")


@bp.app_template_filter("audit_dt")
def _audit_dt(value):
    """An ISO UTC timestamp of an event as dd.mm.yyyy HH:MM:SS in Asia/Tomsk."""
    return ru_datetime(value, seconds=True)


@bp.app_context_processor
def _audit_context():
    return {"audit_kind_labels": KIND_LABELS, "audit_status_labels": STATUS_LABELS}


@bp.route("/instances/<int:instance_id>/history")
@login_required
def history(instance_id):
    me = actor()
    data = queries.instance_history(me, instance_id)
    svg = queries.instance_diagram(me, instance_id)
    return render_template(
        "audit/history.html",
        h=data,
        svg=Markup(svg),
        is_admin=me.is_admin,
        decision_labels=timeline.decision_labels_of_deployed_forms(),
    )


@bp.route("/audit/")
@login_required
def search():
    me = actor()
    params = {k: request.args.getlist(k) for k in request.args}
    page, errors = None, {}
    try:
        page = queries.search(me, params, request.args.get("limit") or 50, request.args.get("before"))
    except Invalid as exc:
        errors = {k: translate_message(v) for k, v in exc.fields.items()}
    query = [(k, v) for k, vs in params.items() if k not in ("before", "limit") for v in vs if v]
    exports = {fmt: url_for("audit.export", fmt=fmt) + ("?" + urlencode(query) if query else "") for fmt in FORMATS}
    next_url = None
    if page and page["next_before"]:
        next_url = url_for("audit_web.search") + "?" + urlencode([*query, ("before", page["next_before"])])
    return render_template(
        "audit/search.html",
        page=page,
        errors=errors,
        args=request.args,
        exports=exports,
        next_url=next_url,
        kinds=sorted(KIND_LABELS),
        decision_labels=timeline.decision_labels_of_deployed_forms(),
    )


@bp.route("/audit/verify")
@login_required
def verify():
    result = queries.verify_chain(actor())
    return render_template("audit/verify.html", result=result, head=queries.chain_head(actor()))


# --- administrator's corrections (forms on the history page) ---------------------------------------


def _back(instance_id):
    return redirect(url_for("audit_web.history", instance_id=instance_id))


def _correct(instance_id, fn, done_message):
    try:
        fn()
    except Invalid as exc:
        flash(
            translate_message(exc.message) + ": " + "; ".join(translate_message(v) for v in exc.fields.values()),
            "error",
        )
        return _back(instance_id)
    flash(done_message, "success")
    return _back(instance_id)


@bp.route("/admin/instances/<int:instance_id>/terminate", methods=["POST"])
@login_required
def terminate(instance_id):
    return _correct(
        instance_id,
        lambda: corrections.terminate_instance(actor(), instance_id, request.form.get("reason")),
        _("The case has been terminated."),
    )


@bp.route("/admin/instances/<int:instance_id>/tasks/<int:task_id>/reassign", methods=["POST"])
@login_required
def reassign(instance_id, task_id):
    return _correct(
        instance_id,
        lambda: corrections.reassign_task(actor(), task_id, request.form.get("assignee"), request.form.get("reason")),
        _("The task has been reassigned."),
    )


@bp.route("/admin/instances/<int:instance_id>/tasks/<int:task_id>/cancel", methods=["POST"])
@login_required
def cancel(instance_id, task_id):
    return _correct(
        instance_id,
        lambda: corrections.cancel_task(actor(), task_id, request.form.get("reason")),
        _("The task has been cancelled."),
    )
