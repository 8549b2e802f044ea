"""Chain (b): the Актуальный перечень профессий, roadmap 6.5–6.6."""

from .. import publication
from ..operations import operation
from . import _deliver, _org, _submitted, _waiting_children, _year, config

# --- chain (b): professions list ---------------------------------------------------------------------------

PROFESSIONS_DECISION = "professions_decision"
PROGRAMME_TYPE = {"training": "подготовка", "retraining": "переподготовка", "upskilling": "повышение квалификации"}
ITEM_STATUS = {"add": "новая", "keep": "сохранена", "modify": "изменена"}


@operation("collect_profession_proposals")
def collect_profession_proposals(ctx, params, data):
    year = _year(data.get("year"))
    prefix = config()["professions"]["proposal_business_key"].format(year=year, org="")
    proposals, items = [], []
    for child in _waiting_children("professions_proposal", prefix, PROFESSIONS_DECISION):
        d = _submitted(child)
        org = _org(child.initiator_org_id)
        proposer = org.name if org else ""
        proposals.append({"instance_id": child.id, "business_key": child.business_key, "proposer": proposer})
        for item in d.get("items") or []:
            items.append({**item, "proposed_by": proposer, "business_key": child.business_key})
    return {
        "count": len(proposals),
        "proposals": proposals,
        "ids": [p["instance_id"] for p in proposals],
        "items": items,
    }


PUBLIC_ITEM_FIELDS = (
    "profession",
    "okpdtr_code",
    "programme_type",
    "grade",
    "duration_hours",
    "sector",
    "planned_trainees",
    "providers",
)


@operation("publish_professions")
def publish_professions(ctx, params, data):
    cfg = config()["professions"]
    year = _year(data.get("year"))
    dropped = {p.strip().lower() for p in (data.get("excluded_items") or []) + (data.get("removed_items") or [])}
    items = []
    for item in (data.get("proposals") or {}).get("items", []):
        if item.get("action") == "exclude" or str(item.get("profession", "")).strip().lower() in dropped:
            continue
        row = {k: item.get(k) for k in PUBLIC_ITEM_FIELDS}  # never the investment link or the justification
        row["programme_type"] = PROGRAMME_TYPE.get(row["programme_type"], row["programme_type"])
        row["status"] = ITEM_STATUS.get(item.get("action"), item.get("action"))
        items.append(row)
    items.sort(key=lambda r: (r["sector"] or "", r["profession"] or ""))
    effective = data.get("effective_date") or cfg["effective_date"].format(year=year)
    pub = publication.publish(
        ctx.uow,
        "professions",
        str(year),
        cfg["publication_title"].format(year=year),
        {"year": year, "effective_date": effective, "protocol_ref": data.get("protocol_ref"), "items": items},
        ctx.instance,
    )
    return {"publication_id": pub.id, "items": len(items)}


@operation("deliver_professions_decision")
def deliver_professions_decision(ctx, params, data):
    year = _year(data.get("year"))
    collected = set((data.get("proposals") or {}).get("ids", []))
    prefix = config()["professions"]["proposal_business_key"].format(year=year, org="")
    delivered = []
    for child in _waiting_children("professions_proposal", prefix, PROFESSIONS_DECISION):
        decision = params.get("outcome", "approved") if child.id in collected else "not_considered"
        _deliver(ctx, child, PROFESSIONS_DECISION, {"decision": decision, "effective_date": data.get("effective_date")})
        delivered.append({"instance_id": child.id, "decision": decision})
    return {"delivered": delivered}
