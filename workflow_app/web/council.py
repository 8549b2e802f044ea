"""HTML pages of the collegial bodies (blueprint ``council`` at /council/) and their public protocols
(blueprint ``council_public`` at /public/council/). Thin: each view reads the request, calls one service
function, and renders or redirects with a flash message.
"""

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user

from .. import formkit as form_schemas
from ..downloads import attachment_response
from ..numbers import whole_number
from ..services import council as svc
from ..services.documents import protocols as protocol_docs
from ..services.errors import Conflict, Invalid
from .ui import actor, translate_message

bp = Blueprint("council", __name__, url_prefix="/council")
public = Blueprint("council_public", __name__, url_prefix="/public/council")

ROLE_LABELS = {
    "chair": lazy_gettext("Chair"),
    "deputy_chair": lazy_gettext("Deputy chair"),
    "secretary": lazy_gettext("Secretary"),
    "member": lazy_gettext("Member"),
}
FORM_LABELS = {"in_person": lazy_gettext("In person"), "absentee": lazy_gettext("Absentee vote")}
MEETING_STATUS = {
    "draft": lazy_gettext("Agenda in preparation"),
    "approved": lazy_gettext("Agenda approved"),
    "closed": lazy_gettext("Protocol signed"),
    "cancelled": lazy_gettext("Cancelled"),
}
ITEM_STATUS = {
    "pending": lazy_gettext("Awaiting decision"),
    "decided": lazy_gettext("Decided"),
    "postponed": lazy_gettext("Postponed"),
    "closed": lazy_gettext("Closed by the protocol"),
}
FIELD_LABELS = {
    "outcome": lazy_gettext("Decision"),
    "votes_for": lazy_gettext("For"),
    "votes_against": lazy_gettext("Against"),
    "votes_abstained": lazy_gettext("Abstained"),
    "chair_casting_vote": lazy_gettext("Chair's casting vote"),
    "comment": lazy_gettext("Decision text"),
    "text": lazy_gettext("Decision text"),
    "starts_at": lazy_gettext("Date and time (Tomsk)"),
    "form": lazy_gettext("Form"),
    "task_id": lazy_gettext("Question"),
    "to_meeting_id": lazy_gettext("Postpone to"),
}
INSTRUCTION_STATUS = {
    "open": lazy_gettext("In progress"),
    "reported": lazy_gettext("Report submitted"),
    "done": lazy_gettext("Done"),
    "draft": lazy_gettext("Draft"),
}


@bp.before_request
def _login():
    if not current_user.is_authenticated:
        try:
            return redirect(url_for("web.login", next=request.full_path))
        except Exception:  # noqa: BLE001  the login page is not installed (tests of this blueprint alone)
            abort(401)
    return None


@bp.app_context_processor
def _labels():
    return {
        "council_role_labels": ROLE_LABELS,
        "council_form_labels": FORM_LABELS,
        "council_meeting_status": MEETING_STATUS,
        "council_item_status": ITEM_STATUS,
        "council_instruction_status": INSTRUCTION_STATUS,
    }


def _field_label(key: str, titles: dict | None = None) -> str:
    """A field named in a refusal as the page names it: the meeting's own fields, or the title of a field of the
    question's task form (``titles``)."""
    if key in FIELD_LABELS:
        return str(FIELD_LABELS[key])
    if titles and titles.get(key):
        return str(titles[key])
    if key.startswith("instructions."):
        n = whole_number(key.split(".")[1])
        return _("Instruction") + " " + str(n + 1) if n is not None else key
    if key.startswith(("present.", "substitutes.")):
        return _("Attendance")
    return key


def _report(exc, titles: dict | None = None):
    if "question" in exc.fields and "reason" in exc.fields:
        flash(
            _(
                "Question %(n)s blocks the protocol: %(reason)s",
                n=exc.fields["question"],
                reason=translate_message(exc.fields["reason"]),
            ),
            "error",
        )
        return
    text = translate_message(exc.message)
    if exc.fields:
        text += " — " + "; ".join(
            f"{_field_label(k, titles)}: {translate_message(str(v))}"
            for k, v in exc.fields.items()
            if not isinstance(v, (dict, list))
        )
    flash(text, "error")


def _to_meeting(meeting_id, anchor=""):
    return redirect(url_for("council.meeting", meeting_id=meeting_id) + anchor)


def _int(name):
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        return raw  # the service answers "a whole number" for it


@bp.route("/")
def index():
    return render_template("council/index.html", **svc.overview(actor()))


@bp.route("/bodies/<code>")
def body(code):
    return render_template("council/body.html", **svc.body_page(actor(), code))


@bp.route("/bodies/<code>/meetings", methods=["POST"])
def create_meeting(code):
    try:
        meeting = svc.create_meeting(
            actor(),
            code,
            request.form.get("starts_at", ""),
            request.form.get("place", ""),
            request.form.get("form", "in_person"),
        )
    except Invalid as exc:
        _report(exc)
        return redirect(url_for("council.body", code=code))
    flash(_("The meeting is created. Put the pending items on its agenda."), "success")
    return _to_meeting(meeting.id)


@bp.route("/meetings/<int:meeting_id>")
def meeting(meeting_id):
    me = actor()
    return render_template(
        "council/meeting.html",
        **svc.meeting_page(me, meeting_id),
        protocol_doc=protocol_docs.meeting_documents(me, meeting_id),
    )


def _command(meeting_id, fn, success, anchor="", titles: dict | None = None):
    try:
        fn()
    except (Invalid, Conflict) as exc:
        _report(exc, titles)
        return _to_meeting(meeting_id, anchor)
    flash(success, "success")
    return _to_meeting(meeting_id, anchor)


@bp.route("/meetings/<int:meeting_id>/items", methods=["POST"])
def add_item(meeting_id):
    return _command(
        meeting_id,
        lambda: svc.add_item(
            actor(),
            meeting_id,
            _int("task_id"),
            request.form.get("draft_decision") or None,
            request.form.get("title") or None,
        ),
        _("The item is on the agenda."),
        "#agenda",
    )


@bp.route("/meetings/<int:meeting_id>/questions", methods=["POST"])
def add_question(meeting_id):
    form = request.form
    return _command(
        meeting_id,
        lambda: svc.add_question(
            actor(),
            meeting_id,
            title=form.get("title", ""),
            rapporteur=form.get("rapporteur", ""),
            materials=form.get("materials", ""),
            draft_decision=form.get("draft_decision", ""),
            files=[(f.filename, f.mimetype, f.read()) for f in request.files.getlist("files") if f.filename],
        ),
        _("The question is on the agenda."),
        "#agenda",
    )


@bp.route("/meetings/<int:meeting_id>/instructions-review", methods=["POST"])
def add_instructions_review(meeting_id):
    return _command(
        meeting_id,
        lambda: svc.add_instructions_review(actor(), meeting_id),
        _("The question «Об исполнении поручений» is on the agenda."),
        "#agenda",
    )


@bp.route("/meetings/<int:meeting_id>/items/<int:item_id>/remove", methods=["POST"])
def remove_item(meeting_id, item_id):
    return _command(
        meeting_id,
        lambda: svc.remove_item(actor(), meeting_id, item_id),
        _("The item is taken off the agenda."),
        "#agenda",
    )


@bp.route("/meetings/<int:meeting_id>/items/<int:item_id>/postpone", methods=["POST"])
def postpone_item(meeting_id, item_id):
    return _command(
        meeting_id,
        lambda: svc.postpone_item(actor(), meeting_id, item_id, _int("to_meeting_id")),
        _("The item is postponed."),
        "#agenda",
    )


@bp.route("/meetings/<int:meeting_id>/items/<int:item_id>/refresh", methods=["POST"])
def refresh_item(meeting_id, item_id):
    return _command(
        meeting_id,
        lambda: svc.refresh_item(actor(), meeting_id, item_id),
        _("The item is confirmed with the current state of the case."),
        "#agenda",
    )


@bp.route("/meetings/<int:meeting_id>/approve", methods=["POST"])
def approve_agenda(meeting_id):
    return _command(
        meeting_id,
        lambda: svc.approve_agenda(actor(), meeting_id),
        _("The agenda is approved; the members are notified."),
    )


@bp.route("/meetings/<int:meeting_id>/cancel", methods=["POST"])
def cancel_meeting(meeting_id):
    return _command(
        meeting_id,
        lambda: svc.cancel_meeting(actor(), meeting_id),
        _("The meeting is cancelled; its questions are back among the pending items."),
    )


@bp.route("/meetings/<int:meeting_id>/attendance", methods=["POST"])
def attendance(meeting_id):
    present = [n for v in request.form.getlist("present") if (n := whole_number(v)) is not None]
    substitutes = []
    for key, value in request.form.items():
        member_id = whole_number(key[11:]) if key.startswith("substitute-") else None
        if member_id is not None and value.strip():
            substitutes.append({"member_id": member_id, "substitute_username": value.strip()})
    return _command(
        meeting_id,
        lambda: svc.record_attendance(actor(), meeting_id, present, substitutes),
        _("The attendance is recorded."),
        "#attendance",
    )


@bp.route("/meetings/<int:meeting_id>/items/<int:item_id>/decision", methods=["POST"])
def decision(meeting_id, item_id):
    task_form = svc.decision_form(actor(), meeting_id, item_id)
    fields = form_schemas.parse_form_post(task_form, request.form) if task_form else None
    titles = {k: p.get("title") for k, p in task_form["properties"].items()} if task_form else None
    instructions = []
    for n in range(5):
        row = {k: (request.form.get(f"ins-{n}-{k}") or "").strip() for k in ("text", "executor", "deadline")}
        if any(row.values()):
            instructions.append(row)
    return _command(
        meeting_id,
        lambda: svc.record_decision(
            actor(),
            meeting_id,
            item_id,
            outcome=request.form.get("outcome"),
            votes_for=_int("votes_for"),
            votes_against=_int("votes_against"),
            votes_abstained=_int("votes_abstained"),
            chair_casting_vote=request.form.get("chair_casting_vote") or None,
            text=request.form.get("text", ""),
            fields=fields,
            instructions=instructions,
        ),
        _("The decision is recorded."),
        f"#item-{item_id}",
        titles,
    )


@bp.route("/meetings/<int:meeting_id>/items/<int:item_id>/attachments/<int:attachment_id>")
def item_attachment(meeting_id, item_id, attachment_id):
    return attachment_response(svc.item_attachment(actor(), meeting_id, item_id, attachment_id))


@bp.route("/meetings/<int:meeting_id>/items/<int:item_id>/materials/<key>.xlsx")
def item_material_xlsx(meeting_id, item_id, key):
    body, mimetype, name = svc.item_material_xlsx(actor(), meeting_id, item_id, key)
    return send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=True, download_name=name)


@bp.route("/meetings/<int:meeting_id>/protocol")
def protocol(meeting_id):
    return render_template("council/protocol.html", p=svc.protocol_page(actor(), meeting_id), public=False)


@bp.route("/meetings/<int:meeting_id>/protocol.<fmt>")
def protocol_file(meeting_id, fmt):
    body, mimetype, name = protocol_docs.meeting_file(actor(), meeting_id, fmt)
    return send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=True, download_name=name)


@bp.route("/meetings/<int:meeting_id>/sign", methods=["POST"])
def sign(meeting_id):
    try:
        p = svc.sign(actor(), meeting_id)
    except (Invalid, Conflict) as exc:
        _report(exc)
        return _to_meeting(meeting_id, "#protocol")
    if p.status == "signed":
        flash(_("Protocol No. %(number)s is signed; the waiting cases have moved on.", number=p.number), "success")
        return redirect(url_for("council.protocol", meeting_id=meeting_id))
    flash(_("You signed the draft protocol; it now waits for the chair's signature."), "success")
    return _to_meeting(meeting_id, "#protocol")


@bp.route("/bodies/<code>/instructions")
def instructions(code):
    return render_template(
        "council/instructions.html",
        **svc.instructions_page(actor(), code, overdue_only=request.args.get("overdue") == "1"),
    )


@bp.route("/instructions/<int:instruction_id>/done", methods=["POST"])
def instruction_done(instruction_id):
    code = request.form.get("body", "")
    try:
        svc.complete_instruction(actor(), instruction_id, request.form.get("note", ""))
        flash(_("The instruction is marked as done."), "success")
    except (Invalid, Conflict) as exc:
        _report(exc)
    return redirect(url_for("council.instructions", code=code) if code else url_for("council.index"))


# --- public --------------------------------------------------------------------------------------


@public.route("/<code>/protocols")
def public_list(code):
    body_row, protocols = svc.public_protocols(code)
    return render_template("council/public_list.html", body=body_row, protocols=protocols)


@public.route("/protocols/<int:protocol_id>")
def public_protocol(protocol_id):
    return render_template("council/protocol.html", p=svc.public_view(svc.public_protocol(protocol_id)), public=True)
