"""Collegial bodies: seats, agenda, decisions, protocols and the read models of their pages.

Roles on a body come from ``BodyMembership`` (valid on the day in question), not from the cc_*/ec_*/wg_*
groups: only the body's secretary builds agendas and records; its chair approves the agenda and signs
(the deputy chair when the chair is absent); members read. Signing a protocol is ONE unit of work: every
decided agenda task is completed with its decision and the protocol reference, the waiting instances
advance, audit events are written — or, if any one item cannot be closed, nothing is applied and the
Conflict names the blocking item (``fields={"item": id}``).

Rooms, each importing only the ones before it: ``seats`` (bodies, memberships, roles on a day; ``composition``
is the administrator's side of them: seats with roles and dates, the quorum share, public protocols),
``instructions`` (поручения: tracked records, their tasks and queries), ``agenda`` (pending items, meetings,
agenda and the body's own questions, attendance and quorum), ``decisions`` (votes, postponement), ``protocols`` (signing, deleting a draft,
the public record), ``views`` (page read models), ``reminders`` (what
the scheduler tells a secretary).
Callers use the package's names (``council.sign``), which this module re-exports.
"""

from .agenda import (
    Quorum,
    add_instructions_review,
    add_item,
    add_question,
    approve_agenda,
    cancel_meeting,
    create_meeting,
    decision_options,
    get_meeting,
    list_meetings,
    materials,
    pending,
    quorum,
    record_attendance,
    refresh_item,
    remove_item,
    task_view,
)
from .decisions import postpone_item, record_decision
from .instructions import (
    complete_instruction,
    counts_by_status,
    instruction_rows,
    instruction_view,
    list_instructions,
    resolve_executor,
)
from .protocols import (
    delete_protocol,
    get_protocol,
    protocol_number,
    protocol_view,
    public_protocol,
    public_protocols,
    public_view,
    sign,
)
from .reminders import chase
from .seats import (
    ACTIVE_ITEM,
    BODY_GROUP_PREFIX,
    MEETING_FORMS,
    OPEN_MEETING,
    add_membership,
    end_membership,
    ensure_demo_memberships,
    get_body,
    local,
    meeting_day,
    memberships_on,
    parse_local_datetime,
    roles_of,
)
from .views import (
    body_page,
    decision_form,
    instructions_page,
    item_attachment,
    item_material_xlsx,
    item_materials,
    list_bodies,
    meeting_page,
    meeting_view,
    overview,
    protocol_page,
)

__all__ = [
    "ACTIVE_ITEM",
    "BODY_GROUP_PREFIX",
    "MEETING_FORMS",
    "OPEN_MEETING",
    "Quorum",
    "add_instructions_review",
    "add_item",
    "add_membership",
    "add_question",
    "approve_agenda",
    "body_page",
    "cancel_meeting",
    "chase",
    "complete_instruction",
    "counts_by_status",
    "create_meeting",
    "decision_form",
    "decision_options",
    "delete_protocol",
    "end_membership",
    "ensure_demo_memberships",
    "get_body",
    "get_meeting",
    "get_protocol",
    "instruction_rows",
    "instruction_view",
    "instructions_page",
    "item_attachment",
    "item_material_xlsx",
    "item_materials",
    "list_bodies",
    "list_instructions",
    "list_meetings",
    "local",
    "materials",
    "meeting_day",
    "meeting_page",
    "meeting_view",
    "memberships_on",
    "overview",
    "parse_local_datetime",
    "pending",
    "postpone_item",
    "protocol_number",
    "protocol_page",
    "protocol_view",
    "public_protocol",
    "public_protocols",
    "public_view",
    "quorum",
    "record_attendance",
    "record_decision",
    "refresh_item",
    "remove_item",
    "resolve_executor",
    "roles_of",
    "sign",
    "task_view",
]
