"""The chains' start hooks (run by cases.advance.start_instance, so the REST API and the web UI obey them);
:func:`register` puts them into ``operations.START_HOOKS``."""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from ...extensions import db
from ...models import Organisation, ProcessInstance
from ..cases import case_numbers
from ..cases.operations import START_HOOKS, UNSET
from ..errors import Conflict, Forbidden, Invalid
from ..people import organisations
from . import kcp
from .common import _, config, open_cycle, org_or_none, running_with_key, the_only_open_year, year_of


def _cycle_hook(section: str):
    def hook(uow, actor, req):
        cfg = config()
        year = year_of(req.data.get("year", req.cycle_key))
        req.data["year"] = year
        req.cycle_key = req.cycle_key or str(year)
        req.business_key = req.business_key or cfg[section]["business_key"].format(year=year)
        req.title = req.title or cfg[section].get("campaign_title", cfg[section].get("cycle_title", "")).format(
            year=year
        )
        req.data.setdefault("act_type", cfg["act_type"])
        req.data.setdefault("signatory", cfg["signatory"])
        if section == "kcp":
            kcp.campaign_data(req.data, year)
        if section == "professions":
            req.data.setdefault("effective_date", cfg["professions"]["effective_date"].format(year=year))

    return hook


@dataclass(frozen=True)
class _IntoCycle:
    """What differs between the submissions into an open yearly cycle: a college's КЦП request, a sector
    department's or employment centre's proposal to the professions list."""

    cycle: str  # the cycle's process
    process: str  # the submission's process
    section: str  # its section of chains.json, with the business-key and title templates named next
    key: str
    title: str
    none_open: Callable[[], str]  # the refusals, in the chain's own words
    not_open: Callable[[int], str]
    already: Callable[[str], str]


KCP_REQUEST = _IntoCycle(
    "kcp_campaign",
    "kcp_request",
    "kcp",
    "request_business_key",
    "request_title",
    none_open=lambda: _("No campaign for changes to admission quotas is accepting requests now"),
    not_open=lambda year: _("The campaign for admission quotas %(year)s is not accepting requests", year=year),
    already=lambda key: _("Your organisation already has a request in this campaign: %(key)s", key=key),
)
PROFESSIONS_PROPOSAL = _IntoCycle(
    "professions_cycle",
    "professions_proposal",
    "professions",
    "proposal_business_key",
    "proposal_title",
    none_open=lambda: _("No call for proposals to the professions list is open now"),
    not_open=lambda year: _("The call for proposals to the professions list %(year)s is not open", year=year),
    already=lambda key: _("Your organisation already has proposals in this cycle: %(key)s", key=key),
)


def _submit_into_cycle(
    req, into: _IntoCycle, org_code: str, org_name: str, fill: Callable[[int], None] | None = None
) -> None:
    """The year (the data's, else the one open cycle's) and its cycle, which must be open; ``fill`` adds the
    chain's own start data for that year; the case becomes the cycle's child with its business key and title,
    and no second one with that key may run."""
    cfg = config()[into.section]
    year = req.data.get("year") or the_only_open_year(into.cycle)
    if year is None:
        raise Conflict(into.none_open())
    year = year_of(year)
    cycle = open_cycle(into.cycle, year)
    if cycle is None:
        raise Conflict(into.not_open(year))
    req.data["year"] = year
    req.data["queued_for"] = None
    if fill is not None:
        fill(year)
    req.parent = req.parent or cycle
    req.business_key = cfg[into.key].format(year=year, org=org_code)
    req.title = req.title or cfg[into.title].format(year=year, org_name=org_name)
    if running_with_key(into.process, req.business_key):
        raise Conflict(into.already(req.business_key))


def _kcp_request_hook(uow, actor, req):
    org = org_or_none(req.initiator_org_id if req.initiator_org_id is not UNSET else actor.org_id)
    if not ("college_officer" in actor.groups or actor.is_admin or actor.is_system) or org is None:
        raise Forbidden(_("Only a college's staff may submit a request"))

    def fill(year: int) -> None:
        kcp.prefill_request(req.data, year, org)
        kcp.founder_data(req.data, org)

    _submit_into_cycle(req, KCP_REQUEST, case_numbers.org_part(org), org.name, fill)


def _proposal_hook(uow, actor, req):
    groups = set(actor.groups)
    if not (groups & {"sector_officer", "employment_centre"} or actor.is_admin or actor.is_system):
        raise Forbidden(_("Only sector departments and employment centres submit proposals"))
    req.data["proposer_kind"] = (
        "employment_centre" if ("employment_centre" in groups and "sector_officer" not in groups) else "sector"
    )
    org = org_or_none(actor.org_id)
    code = case_numbers.org_part(org) if org is not None else case_numbers.cyrillic(actor.username)
    _submit_into_cycle(req, PROFESSIONS_PROPOSAL, code, org.name if org else actor.username)
    req.check_permission = False  # checked above: two groups may submit


def _investor_hook(uow, actor, req):
    cfg = config()["investment"]
    groups = set(actor.groups)
    if "investor" in groups:
        org = org_or_none(actor.org_id)
        named = req.data.pop("investor_org_code", None)
        if named not in (None, "") and (org is None or named != org.code):
            raise Invalid(
                _("An investor starts a case only for its own company"),
                fields={"investor_org_code": _("the code of your organisation")},
            )
    elif groups & {"di_officer", "di_head"} or actor.is_admin or actor.is_system:
        code = req.data.pop("investor_org_code", None)
        org = db.session.execute(select(Organisation).where(Organisation.code == str(code or ""))).scalar_one_or_none()
        if org is None or org.kind != "investor":
            raise Invalid(
                _("Name the investor the case is started for"),
                fields={"investor_org_code": _("the code of an investor organisation")},
            )
        req.initiator_org_id = org.id
    else:
        raise Forbidden(_("Only an investor or the Department of Investments starts a staffing case"))
    if org is None:
        raise Forbidden(_("Only an investor or the Department of Investments starts a staffing case"))
    n = (
        db.session.execute(
            select(func.count(ProcessInstance.id)).where(
                ProcessInstance.process_id == "investor_case", ProcessInstance.initiator_org_id == org.id
            )
        ).scalar_one()
        + 1
    )
    # the investor's identifying data comes from its registry record, never from what its user types
    registry = organisations.identity(org.id)
    req.data.update(investor_name=registry["name"], investor_inn=registry["inn"], investor_ogrn=registry["ogrn"])
    req.business_key = cfg["case_business_key"].format(org=case_numbers.org_part(org), n=n)
    req.title = req.title or cfg["case_title"].format(project=req.data.get("project_name") or req.business_key)
    req.check_permission = False  # checked above


def register() -> None:
    START_HOOKS.update(
        {
            "kcp_campaign": _cycle_hook("kcp"),
            "professions_cycle": _cycle_hook("professions"),
            "kcp_request": _kcp_request_hook,
            "professions_proposal": _proposal_hook,
            "investor_case": _investor_hook,
        }
    )
