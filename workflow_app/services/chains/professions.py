"""Chain (b): the Актуальный перечень профессий, roadmap 6.5–6.6.

The list carries over: the list in force is the latest ``professions`` publication of an earlier year (or
the one recorded by ``establish_list``; ``flask demo load`` seeds one). Proposals add, keep, modify or
exclude its items (``check_profession_proposal`` refuses an exclusion, a keep or a change of an item that
is not on it, and an addition of one that is); the draft list (``draft_professions_list``) is the list in
force with the accepted proposals applied, and names every sector department whose professions change —
each of them agrees its part (one task per department). When the intake closes, ``collect_profession_proposals``
closes every proposal not sent by then with a notice to its author (none outlives its cycle), after ДТЗН has
reviewed every one sent. The published list is the whole list in force
from its «дата начала применения» (never before the decision), with what changed this year.
"""

from datetime import date

from sqlalchemy import select

from ...dates import ru_date
from ...engine import clock
from ...extensions import db
from ...models import HumanTask, Organisation, ProcessInstance, Publication
from .. import documents, notifications, publication
from ..cases.operations import operation
from ..cases.reads import submitted_data
from ..errors import Conflict, Invalid
from . import queues
from .common import _, config, deliver, label_of, org_or_none, waiting_children, year_of

PROFESSIONS_DECISION = "professions_decision"
INTAKE_CLOSED = "professions_intake_closed"
PROGRAMME_TYPE = {"training": "подготовка", "retraining": "переподготовка", "upskilling": "повышение квалификации"}
ITEM_STATUS = {"add": "новая", "keep": "сохранена", "modify": "изменена", "exclude": "исключена", None: "сохранена"}
ITEM_FIELDS = ("profession", "okpdtr_code", "programme_type", "grade", "duration_hours", "sector", "providers")


def _norm(text) -> str:
    return " ".join(str(text or "").lower().replace("ё", "е").split())


def _matches(item: dict, other: dict) -> bool:
    code, other_code = item.get("okpdtr_code"), other.get("okpdtr_code")
    if code and other_code and code == other_code:
        return True
    return bool(_norm(item.get("profession"))) and _norm(item.get("profession")) == _norm(other.get("profession"))


def _find(items: list[dict], item: dict) -> int | None:
    for i, known in enumerate(items):
        if _matches(known, item):
            return i
    return None


def department_of(item: dict, proposer_code: str | None = None) -> str:
    """The sector department whose professions an item belongs to (configuration: sector -> organisation)."""
    cfg = config()["professions"]
    by_sector = {_norm(k): v for k, v in (cfg.get("sector_departments") or {}).items()}
    return (
        by_sector.get(_norm(item.get("sector")))
        or item.get("department")
        or proposer_code
        or cfg.get("default_department", "")
    )


def list_in_force(year: int) -> tuple[int | None, list[dict]]:
    """(the year of the list in force before ``year``'s list, its items as stored)."""
    rows = (
        db.session.execute(
            select(Publication)
            .where(Publication.kind == "professions")
            .order_by(Publication.published_at.desc(), Publication.id.desc())
        )
        .scalars()
        .all()
    )
    best = None
    for pub in rows:
        if pub.key.isdigit() and int(pub.key) < year and (best is None or int(pub.key) > int(best.key)):
            best = pub
    if best is None:
        return None, []
    items = [{k: v for k, v in item.items() if k not in ("status", "status_code")} for item in best.payload["items"]]
    for item in items:
        item["programme_type"] = item.get("programme_type_code") or item.get("programme_type")
    return int(best.key), items


def _public_item(item: dict, status: str | None) -> dict:
    row = {k: item.get(k) for k in ITEM_FIELDS}  # never the investment link or the justification
    row["programme_type_code"] = item.get("programme_type")
    row["programme_type"] = label_of(PROGRAMME_TYPE, item.get("programme_type"))
    row["department"] = item.get("department")
    row["status_code"] = status or "kept"
    row["status"] = ITEM_STATUS.get(status, status)
    return row


def establish_list(uow, year: int, items: list[dict], effective_date: str, decision: str = ""):
    """Record an approved list (before the product ran its first cycle)."""
    year = year_of(year)
    rows = [_public_item({**i, "department": department_of(i)}, None) for i in items]
    payload = {"year": year, "effective_date": effective_date, "protocol_ref": decision, "items": rows, "excluded": []}
    return publication.publish(
        uow, "professions", str(year), config()["professions"]["publication_title"].format(year=year), payload
    )


@operation("check_profession_proposal")
def check_profession_proposal(ctx, params, data):
    """A proposal works on the list in force: keep/modify/exclude only what is on it, add only what is not."""
    year = year_of(data.get("year"))
    _prev, items = list_in_force(year)
    errors = {}
    for i, item in enumerate(data.get("items") or []):
        on_list = _find(items, item) is not None
        action = item.get("action")
        if action in ("keep", "modify", "exclude") and not on_list:
            errors[f"items/{i}/profession"] = _(
                "not on the list in force: only an item of the list can be kept, changed or excluded"
            )
        elif action == "add" and on_list:
            errors[f"items/{i}/profession"] = _("already on the list in force: keep or change it instead")
    if errors:
        raise Invalid(_("The proposals do not match the list in force"), fields=errors)
    return {"checked": len(data.get("items") or [])}


def _close_unsubmitted(ctx, prefix: str) -> list[str]:
    """The intake closes: a proposal still being drafted (or returned for clarification and not sent again) is
    closed with a notice to its author; a proposal sent and not yet reviewed by ДТЗН refuses the closing."""
    unreviewed = [
        key
        for key in db.session.execute(
            select(ProcessInstance.business_key)
            .join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
            .where(
                ProcessInstance.process_id == "professions_proposal",
                ProcessInstance.status == "running",
                ProcessInstance.business_key.like(prefix + "%"),
                HumanTask.task_def == "review",
                HumanTask.status == "open",
            )
            .order_by(ProcessInstance.business_key)
        ).scalars()
        if key is not None  # the LIKE above matches only named cases
    ]
    if unreviewed:
        raise Conflict(
            _("Review the proposals sent before closing the intake: %(keys)s", keys=", ".join(unreviewed)),
            fields={"decision": ", ".join(unreviewed)},
        )
    when = ru_date(clock.now())
    closed: list[str] = []
    for child in waiting_children("professions_proposal", prefix, INTAKE_CLOSED):
        text = _(
            "The intake of proposals to the professions list of the cycle %(cycle)s closed on %(date)s; your"
            " proposals %(key)s were not sent by then and are closed without consideration.",
            cycle=ctx.instance.business_key,
            date=when,
            key=child.business_key,
        )
        deliver(ctx, child, INTAKE_CLOSED, {"closed_on": when, "notice": text})
        ctx.uow.record("notice", instance=child, payload={"to_org_id": child.initiator_org_id, "text": text})
        people = notifications.members_of("sector_officer", child.initiator_org_id) + notifications.members_of(
            "employment_centre", child.initiator_org_id
        )
        notifications.queue(ctx.uow, people, "notice", _("Proposals closed"), text, instance_id=child.id)
        closed.append(child.business_key or "")
    return closed


@operation("collect_profession_proposals")
def collect_profession_proposals(ctx, params, data):
    year = year_of(data.get("year"))
    prefix = config()["professions"]["proposal_business_key"].format(year=year, org="")
    closed = _close_unsubmitted(ctx, prefix)
    proposals, items = [], []
    for child in waiting_children("professions_proposal", prefix, PROFESSIONS_DECISION):
        d = submitted_data(child)
        org = org_or_none(child.initiator_org_id)
        proposer = org.name if org else ""
        proposals.append({"instance_id": child.id, "business_key": child.business_key, "proposer": proposer})
        for item in d.get("items") or []:
            items.append(
                {
                    **item,
                    "proposed_by": proposer,
                    "business_key": child.business_key,
                    "department": department_of(item, org.code if org and org.kind == "department" else None),
                }
            )
    return {
        "count": len(proposals),
        "closed_unsubmitted": closed,
        "proposals": proposals,
        "ids": [p["instance_id"] for p in proposals],
        "items": items,
    }


def _draft(data: dict, removed=()) -> dict:
    """The list in force with the accepted proposals applied (minus those ДТЗН or the Рабочая группа dropped)."""
    year = year_of(data.get("year"))
    previous_year, items = list_in_force(year)
    dropped = {_norm(p) for p in list(data.get("excluded_items") or []) + list(removed)}
    status: list[str | None] = [None] * len(items)
    excluded = []
    for proposal in (data.get("proposals") or {}).get("items", []):
        if _norm(proposal.get("profession")) in dropped:
            continue
        action = proposal.get("action")
        at = _find(items, proposal)
        item = {k: proposal.get(k) for k in ITEM_FIELDS} | {"department": proposal.get("department")}
        if action == "add" and at is None:
            items.append(item)
            status.append("add")
        elif action == "modify" and at is not None:
            items[at] = {k: (item.get(k) if item.get(k) not in (None, "") else items[at].get(k)) for k in item}
            status[at] = "modify"
        elif action == "exclude" and at is not None and status[at] != "exclude":
            excluded.append(items[at])
            status[at] = "exclude"
    kept = [(item, st) for item, st in zip(items, status, strict=True) if st != "exclude"]
    touched = [item for item, st in kept if st] + excluded
    departments = sorted({d for item in touched if (d := item.get("department"))})
    return {
        "previous_year": previous_year,
        "items": [_public_item(item, st) for item, st in kept],
        "excluded": [_public_item(item, "exclude") for item in excluded],
        "departments": departments,
    }


@operation("draft_professions_list")
def draft_professions_list(ctx, params, data):
    draft = _draft(data)
    found = db.session.execute(
        select(Organisation.code, Organisation.name).where(Organisation.code.in_(draft["departments"]))
    ).all()
    names = {row[0]: row[1] for row in found}
    draft["department_names"] = [names.get(code, code) for code in draft["departments"]]
    return draft


def _effective_date(data: dict, year: int) -> str:
    value = data.get("effective_date") or config()["professions"]["effective_date"].format(year=year)
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        raise Invalid(_("The start date is not a date"), fields={"effective_date": _("a date")}) from None
    if day < clock.today():
        raise Invalid(
            _("The list cannot start before the decision"),
            fields={"effective_date": _("not before %(date)s", date=ru_date(clock.today()))},
        )
    return day.isoformat()


@operation("publish_professions")
def publish_professions(ctx, params, data):
    """The whole list in force from its start date, with what changed this year (new, changed, excluded)."""
    cfg = config()["professions"]
    year = year_of(data.get("year"))
    effective = _effective_date(data, year)
    draft = _draft(data, removed=data.get("removed_items") or [])
    items = sorted(draft["items"], key=lambda r: (r["sector"] or "", r["profession"] or ""))
    payload = {
        "year": year,
        "effective_date": effective,
        "previous_year": draft["previous_year"],
        "protocol_ref": data.get("protocol_ref"),
        "items": items,
        "excluded": draft["excluded"],
    }
    pub = publication.publish(
        ctx.uow, "professions", str(year), cfg["publication_title"].format(year=year), payload, ctx.instance
    )
    documents.fix_case_documents(ctx.uow, ctx.actor, ctx.instance, data, documents.FIXED_AT_PUBLICATION)
    return {"publication_id": pub.id, "items": len(items), "excluded": len(draft["excluded"])}


@operation("deliver_professions_decision")
def deliver_professions_decision(ctx, params, data):
    year = year_of(data.get("year"))
    collected = set((data.get("proposals") or {}).get("ids", []))
    prefix = config()["professions"]["proposal_business_key"].format(year=year, org="")
    delivered = []
    for child in waiting_children("professions_proposal", prefix, PROFESSIONS_DECISION):
        decision = params.get("outcome", "approved") if child.id in collected else "not_considered"
        deliver(ctx, child, PROFESSIONS_DECISION, {"decision": decision, "effective_date": data.get("effective_date")})
        delivered.append({"instance_id": child.id, "decision": decision})
    return {"delivered": delivered}


# --- follow-ups waiting for their year's cycle ------------------------------------------------------------


def target_cycle(year: int) -> tuple[int, ProcessInstance | None]:
    """The first cycle from ``year`` on that still takes proposals (see :func:`queues.first_open_cycle`)."""
    return queues.first_open_cycle("professions_cycle", year)


def queue_data(year: int) -> dict:
    """Data of a proposal waiting for the cycle of ``year`` (started 1 October of the year before)."""
    return {
        "queued_for": year,
        "queue_due": f"{year - 1}-10-15",
        "queue_remind_at": f"{year - 1}-10-15T18:00:00+07:00",
    }


@operation("admit_queued_profession_proposals")
def admit_queued_profession_proposals(ctx, params, data):
    """The cycle opens: every proposal waiting for its year joins it (its waiting step completes)."""
    year = year_of(data.get("year"))
    return {
        "admitted": queues.admit_waiting(ctx, year, "professions_proposal", "await_cycle", "cycle_id", "joined_cycle")
    }


@operation("join_professions_cycle")
def join_professions_cycle(ctx, params, data):
    """A waiting proposal joins its year's cycle — only one that has opened and still takes proposals."""
    year = year_of(data.get("queued_for") or data.get("year"))
    cycle = queues.joinable_cycle("professions_cycle", year, data.get("cycle_id"))
    if cycle is None:
        raise Conflict(_("The call for proposals to the professions list %(year)s is not open", year=year))
    ctx.instance.parent_id = cycle.id  # written with the instance's state at the flush
    return {"cycle": cycle.business_key, "year": year}
