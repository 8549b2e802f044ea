"""Chain (a): changes of admission quotas (КЦП СПО), roadmap 6.3."""

from .. import publication
from ..operations import operation
from . import _deliver, _line_key, _org, _submitted, _waiting_children, _year, config

# --- chain (a): КЦП ------------------------------------------------------------------------------------

KCP_DECISION = "kcp_decision"
FORM_OF_STUDY = {"full_time": "очная", "part_time": "очно-заочная", "extramural": "заочная"}
LEVEL = {"ppkrs": "ППКРС", "ppssz": "ППССЗ"}


@operation("collect_kcp_requests")
def collect_kcp_requests(ctx, params, data):
    year = _year(data.get("year"))
    prefix = config()["kcp"]["request_business_key"].format(year=year, org="")
    requests, lines = [], []
    for child in _waiting_children("kcp_request", prefix, KCP_DECISION):
        d = _submitted(child)
        org = _org(child.initiator_org_id)
        proposed = {
            (lo.get("programme_code"), lo.get("form_of_study")): lo.get("proposed_kcp")
            for lo in d.get("line_opinions") or []
        }
        requests.append(
            {
                "instance_id": child.id,
                "business_key": child.business_key,
                "college": org.name if org else "",
                "opinion": d.get("opinion"),
            }
        )
        for line in d.get("lines") or []:
            proposal = proposed.get(
                (line.get("programme_code"), line.get("form_of_study")),
                proposed.get((line.get("programme_code"), None)),
            )
            lines.append(
                {
                    "business_key": child.business_key,
                    "college": org.name if org else "",
                    "college_code": org.code if org else "",
                    "level": line.get("level"),
                    "programme_code": line.get("programme_code"),
                    "programme_name": line.get("programme_name"),
                    "form_of_study": line.get("form_of_study"),
                    "base": line.get("base"),
                    "current_kcp": line.get("current_kcp"),
                    "requested_kcp": line.get("requested_kcp"),
                    "proposed_kcp": proposal if proposal is not None else line.get("requested_kcp"),
                }
            )
    return {"count": len(requests), "requests": requests, "ids": [r["instance_id"] for r in requests], "lines": lines}


def _approved_kcp_lines(data) -> list[dict]:
    collected = data.get("kcp_requests") or {}
    adjust = {_line_key(a.get("business_key"), a): a.get("proposed_kcp") for a in data.get("adjustments") or []}
    changes = {_line_key(c.get("business_key"), c): c.get("approved_kcp") for c in data.get("changes") or []}
    out = []
    for line in collected.get("lines", []):
        key = _line_key(line["business_key"], line)
        approved = changes.get(key, adjust.get(key, line.get("proposed_kcp")))
        out.append({**line, "approved_kcp": approved})
    return out


@operation("publish_kcp")
def publish_kcp(ctx, params, data):
    cfg = config()
    year = _year(data.get("year"))
    rows = []
    for line in sorted(_approved_kcp_lines(data), key=lambda r: (r["college"], r["programme_code"] or "")):
        current = line.get("current_kcp") or 0
        rows.append(
            {
                "college": line["college"],
                "college_code": line["college_code"],
                "level": LEVEL.get(line.get("level"), line.get("level")),
                "programme_code": line["programme_code"],
                "programme_name": line["programme_name"],
                "form_of_study": FORM_OF_STUDY.get(line.get("form_of_study"), line.get("form_of_study")),
                "base": line.get("base"),
                "current_kcp": current,
                "approved_kcp": line["approved_kcp"],
                "delta": (line["approved_kcp"] or 0) - current,
            }
        )
    order = {
        "act_type": data.get("act_type") or cfg["act_type"],
        "number": data.get("order_number"),
        "date": data.get("order_date"),
        "signatory": data.get("signatory") or cfg["signatory"],
    }
    pub = publication.publish(
        ctx.uow,
        "kcp",
        str(year),
        cfg["kcp"]["publication_title"].format(year=year),
        {"year": year, "order": order, "rows": rows},
        ctx.instance,
    )
    return {"publication_id": pub.id, "rows": len(rows)}


@operation("deliver_kcp_decision")
def deliver_kcp_decision(ctx, params, data):
    outcome = params.get("outcome") or "approved"
    year = _year(data.get("year"))
    collected = set((data.get("kcp_requests") or {}).get("ids", []))
    approved = _approved_kcp_lines(data) if outcome == "approved" else []
    order = {
        "number": data.get("order_number"),
        "date": data.get("order_date"),
        "act_type": data.get("act_type") or config()["act_type"],
    }
    prefix = config()["kcp"]["request_business_key"].format(year=year, org="")
    delivered = []
    for child in _waiting_children("kcp_request", prefix, KCP_DECISION):
        if child.id in collected:
            decision = outcome
            lines = [
                {
                    k: line[k]
                    for k in ("programme_code", "programme_name", "form_of_study", "current_kcp", "approved_kcp")
                }
                for line in approved
                if line["business_key"] == child.business_key
            ]
        else:
            decision, lines = "not_considered", []  # came in after the intake closed
        _deliver(ctx, child, KCP_DECISION, {"decision": decision, "lines": lines, "order": order if lines else None})
        delivered.append({"instance_id": child.id, "decision": decision})
    return {"delivered": delivered}
