"""Decisions recorded on agenda items, postponement to a later meeting, and the instructions a decision gives."""

from ...engine import clock
from ...extensions import db
from ...models import AgendaItem, Decision, HumanTask, Instruction
from ..errors import Conflict, Invalid
from ..people.actors import Actor
from ..tasks import commands
from ..uow import UnitOfWork
from .agenda import _item, _meeting, _put_on_agenda, _require_open, _unsign_draft, decision_options, quorum
from .instructions import resolve_executor
from .seats import ACTIVE_ITEM, _require_secretary

# --- decisions ------------------------------------------------------------------------------------


def _int(value, field, errors):
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        errors[field] = "a whole number, 0 or more"
        return 0
    return value


def record_decision(
    actor: Actor,
    meeting_id: int,
    item_id: int,
    *,
    outcome,
    votes_for=0,
    votes_against=0,
    votes_abstained=0,
    chair_casting_vote=None,
    text="",
    fields=None,
    instructions=(),
) -> Decision:
    with UnitOfWork(actor) as uow:
        meeting = _meeting(meeting_id)
        _require_secretary(actor, meeting.body)
        _require_open(meeting, "approved")
        item = _item(meeting, item_id)
        if item.status not in ACTIVE_ITEM:
            raise Conflict("the item is already postponed or closed")
        q = quorum(meeting)
        if not q.reached:
            raise Conflict("no quorum: the body cannot decide", fields={"quorum": q.as_dict()})
        errors: dict[str, str] = {}
        v_for = _int(votes_for, "votes_for", errors)
        v_against = _int(votes_against, "votes_against", errors)
        v_abst = _int(votes_abstained, "votes_abstained", errors)
        if not errors and v_for + v_against + v_abst == 0:
            errors["votes_for"] = "record the votes"
        if not errors and v_for + v_against + v_abst > q.present:
            errors["votes_for"] = "more votes than members present"
        casting = chair_casting_vote or None
        if casting not in (None, "for", "against"):
            errors["chair_casting_vote"] = "for or against"
        if not errors:
            if v_for == v_against:
                if casting is None:
                    errors["chair_casting_vote"] = "a tie: the chair's vote decides"
                elif casting == "against":
                    errors["outcome"] = "not adopted (the chair voted against): record the decision the body adopted"
            else:
                if casting is not None:
                    errors["chair_casting_vote"] = "the chair's casting vote counts only on a tie"
                if v_for < v_against:
                    errors["outcome"] = "not adopted (more votes against): record the decision the body adopted"
        options = [o["value"] for o in decision_options(item.task)]
        if not isinstance(outcome, str) or not outcome.strip():
            errors["outcome"] = "required"
        elif options and outcome not in options:
            errors["outcome"] = f"one of: {', '.join(options)}"
        text = (text or "").strip()
        if fields is not None and not isinstance(fields, dict):
            errors["fields"] = "an object of form fields"
        parsed_instructions = _parse_instructions(instructions, errors)
        if errors:
            raise Invalid("the decision has errors", fields=errors)
        data = _completion_data(item.task, outcome, text, fields or {})
        if item.decision is None:
            item.decision = Decision()
        d = item.decision
        d.outcome, d.fields, d.text = outcome, {k: v for k, v in data.items() if k != "decision"}, text
        d.votes_for, d.votes_against, d.votes_abstained = v_for, v_against, v_abst
        d.chair_casting_vote = casting if v_for == v_against else None
        d.recorded_by_id, d.recorded_at = actor.user_id, clock.now()
        d.instructions.clear()
        for ins in parsed_instructions:
            d.instructions.append(Instruction(body_id=meeting.body_id, status="draft", **ins))
        item.status = "decided"
        _unsign_draft(uow, meeting)
        uow.flush()
        uow.record(
            "council_decision_recorded",
            instance=item.instance,
            task_id=item.task_id,
            payload={
                "meeting_id": meeting.id,
                "item_id": item.id,
                "question": item.position,
                "outcome": outcome,
                "votes": {"for": v_for, "against": v_against, "abstained": v_abst, "chair": d.chair_casting_vote},
                "text": text,
                "instructions": len(parsed_instructions),
            },
        )
        uow.commit()
    return d


def _form_properties(task: HumanTask) -> dict:
    schema = task.instance.model.forms.get(task.form_key) if task.form_key else None
    return (schema or {}).get("properties", {})


def _completion_data(task: HumanTask, outcome: str, text: str, fields: dict) -> dict:
    """The data the task will be completed with, validated against its form now (422 early, not at signing)."""
    data = {**fields, "decision": outcome}
    props = _form_properties(task)
    if text and "comment" in props and not data.get("comment"):
        data["comment"] = text
    return commands.validate_submission(task, data)


def _parse_instructions(raw, errors) -> list[dict]:
    if raw is None:
        return []
    if not isinstance(raw, (list, tuple)):
        errors["instructions"] = "a list"
        return []
    result = []
    for n, ins in enumerate(raw):
        if not isinstance(ins, dict):
            errors[f"instructions.{n}"] = "an object"
            continue
        text = str(ins.get("text") or "").strip()
        if not text:
            errors[f"instructions.{n}.text"] = "required"
        try:
            deadline = clock.parse_day(ins.get("deadline") or "")
        except ValueError:
            errors[f"instructions.{n}.deadline"] = "expected YYYY-MM-DD"
            continue
        try:
            executor, user_id, org_id = resolve_executor(ins)
        except Invalid as exc:
            for field, message in exc.fields.items():
                errors[f"instructions.{n}.{field}"] = message
            continue
        result.append(
            {
                "text": text,
                "executor": executor,
                "deadline": deadline,
                "executor_user_id": user_id,
                "executor_org_id": org_id,
            }
        )
    return result


def postpone_item(actor: Actor, meeting_id: int, item_id: int, to_meeting_id: int | None = None) -> AgendaItem:
    """Postpone an item: it leaves this agenda and goes onto ``to_meeting_id``'s draft agenda, or back to pending."""
    with UnitOfWork(actor) as uow:
        meeting = _meeting(meeting_id)
        _require_secretary(actor, meeting.body)
        _require_open(meeting)
        item = _item(meeting, item_id)
        if item.status not in ACTIVE_ITEM:
            raise Conflict("the item is already postponed or closed")
        if item.decision is not None:
            db.session.delete(item.decision)
        item.status = "postponed"
        target_item = None
        if to_meeting_id is not None:
            target = _meeting(to_meeting_id)
            if target.id == meeting.id or target.body_id != meeting.body_id:
                raise Invalid("postpone to a later meeting of the same body", fields={"to_meeting_id": "invalid"})
            _require_open(target, "draft")
            item.postponed_to_id = target.id
            uow.flush()
            target_item = _put_on_agenda(uow, target, item.task_id, item.draft_decision, item.title)
        _unsign_draft(uow, meeting)
        uow.record(
            "council_item_postponed",
            instance=item.instance,
            task_id=item.task_id,
            payload={
                "meeting_id": meeting.id,
                "item_id": item.id,
                "question": item.position,
                "to_meeting_id": to_meeting_id,
                "new_item_id": target_item.id if target_item else None,
            },
        )
        uow.commit()
    return target_item or item
