"""Chain (c): staffing of investment projects, roadmap 2.2, 5.3, 10.3."""

from sqlalchemy import select

from ...engine import clock
from ...extensions import db
from ...models import Organisation
from .. import publication
from ..cases import advance, case_numbers
from ..cases.operations import operation
from ..errors import Invalid
from . import kcp
from . import professions as professions_chain
from .common import _, config, year_of

# --- chain (c): investment projects ------------------------------------------------------------------------


CATEGORY_LABELS = {
    "worker": "рабочие",
    "mid_level": "специалисты среднего звена",
    "higher": "специалисты с высшим образованием",
    "manager": "руководители",
}


@operation("publish_investment")
def publish_investment(ctx, params, data):
    """Adds this case to the year's public aggregates: projects, jobs, people needed per category of workers.

    Nothing published identifies an investor: never its name, ИНН, project, municipality, wage or any text it
    typed (profession names are free text: the table is by category, a closed list). The number of jobs and
    each category's row are shown only once at least ``min_projects_for_detail`` projects contribute to them
    (one project's totals would be its questionnaire). The contributions are kept with the publication for
    the next case and never shown (``publication.PRIVATE_KEYS``).
    """
    cfg = config()["investment"]
    least = max(1, int(cfg.get("min_projects_for_detail", 3)))
    year = clock.now().astimezone(clock.REGION_TZ).year
    previous = publication.latest("investment", str(year))
    contributions = list((previous.payload.get("contributions") or []) if previous is not None else [])
    needs: dict[str, int] = {}
    for need in data.get("needs") or []:
        category = need.get("category")
        if category in CATEGORY_LABELS:
            needs[category] = needs.get(category, 0) + max(0, int(need.get("number") or 0))
    jobs = sum(max(0, int(j.get("jobs") or 0)) for j in data.get("jobs") or [])
    contributions.append({"jobs": jobs, "needs": needs})
    projects = len(contributions)
    rows = []
    for category, label in CATEGORY_LABELS.items():
        numbers = [c["needs"][category] for c in contributions if c["needs"].get(category)]
        if len(numbers) >= least:
            rows.append({"category": label, "number": sum(numbers)})
    payload = {
        "year": year,
        "projects": projects,
        "min_projects_for_detail": least,
        "jobs": sum(c["jobs"] for c in contributions) if projects >= least else None,
        "categories": rows,
        "contributions": contributions,
    }
    pub = publication.publish(
        ctx.uow, "investment", str(year), cfg["publication_title"].format(year=year), payload, ctx.instance
    )
    return {"publication_id": pub.id}


@operation("start_followups")
def start_followups(ctx, params, data):
    """On approval of a staffing plan: one КЦП request per college named in the plan (chain a, in the campaign
    of the plan's admission year) and one proposal to the professions list (chain b), linked by parent_id."""
    case = ctx.instance
    cfg = config()
    year = year_of(data.get("kcp_year"))
    by_college: dict[str, list] = {}
    professions = []
    for m in data.get("measures") or []:
        if m.get("kind") == "kcp":
            by_college.setdefault(m.get("college_code"), []).append(m)
        elif m.get("kind") == "professions_list":
            professions.append(m)
    started: dict[str, list[str | None]] = {"kcp_requests": [], "professions_proposals": []}
    for code, measures in sorted(by_college.items()):
        org = db.session.execute(select(Organisation).where(Organisation.code == str(code))).scalar_one_or_none()
        if org is None or org.kind != "college":
            raise Invalid(
                _("The staffing plan names an unknown college: %(code)s", code=code), fields={"measures": str(code)}
            )
        kcp_year, campaign = kcp.target_campaign(year)  # never a finished campaign: the next one that takes requests
        key = cfg["kcp"]["request_business_key"].format(year=kcp_year, org=case_numbers.org_part(org))
        key += f"/{case.business_key}"
        lines = [
            {
                "programme_code": m.get("programme_code"),
                "programme_name": m.get("programme_name"),
                "form_of_study": m.get("form_of_study"),
                "requested_kcp": m.get("places"),
                "justification": m.get("measure"),
            }
            for m in measures
        ]
        start = {
            "year": kcp_year,
            "change_type": "increase",
            "reason": "employer_demand",
            "lines": lines,
            "investment_case": case.business_key,
            "queued_for": None,
        }
        kcp.founder_data(start, org)
        if campaign is None:
            start.update(kcp.queue_data(kcp_year))  # waits for its year's campaign, then joins it
        child = advance.start_instance(
            ctx.uow,
            ctx.actor,
            "kcp_request",
            start,
            business_key=key,
            title=cfg["kcp"]["request_title"].format(year=kcp_year, org_name=org.name),
            parent=campaign or case,
            check_permission=False,
            initiator_org_id=org.id,
            run_hooks=False,
        )
        started["kcp_requests"].append(child.business_key)
    if professions:
        list_year, cycle = professions_chain.target_cycle(year)
        department_code = professions_chain.department_of({"sector": data.get("sector")})
        department = db.session.execute(select(Organisation).where(Organisation.code == department_code)).scalar()
        key = cfg["professions"]["proposal_business_key"].format(year=list_year, org=case.business_key)
        items = [
            {
                "action": "add",
                "profession": m.get("programme_name"),
                "okpdtr_code": m.get("okpdtr_code"),
                "programme_type": "training",
                "sector": data.get("sector") or "",
                "planned_trainees": m.get("places"),
                "investment_project": case.business_key,
                "justification": m.get("measure"),
            }
            for m in professions
        ]
        start = {
            "year": list_year,
            "items": items,
            "proposer_kind": "sector",
            "investment_case": case.business_key,
            "queued_for": None,
        }
        if cycle is None:
            start.update(professions_chain.queue_data(list_year))
        child = advance.start_instance(
            ctx.uow,
            ctx.actor,
            "professions_proposal",
            start,
            business_key=key,
            title=cfg["professions"]["proposal_title"].format(year=list_year, org_name=case.title),
            parent=cycle or case,
            check_permission=False,
            initiator_org_id=department.id if department else None,  # the department of the project's industry
            run_hooks=False,
        )
        started["professions_proposals"].append(child.business_key)
    return started


@operation("route_investment_case")
def route_investment_case(ctx, params, data):
    """Who gives the case's opinions: the department of the project's industry (by the questionnaire's sector,
    configuration ``professions.sector_departments``), and the Департамент науки и высшего образования for
    the higher-education part (``investment.higher_education_department``)."""
    return {
        "sector_department": professions_chain.department_of({"sector": data.get("sector")}),
        "higher_education": config()["investment"].get("higher_education_department", "DNVO"),
    }
