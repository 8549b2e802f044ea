"""The three roadmap chains driven through the services as the demo people, up to a chosen step.

The КЦП in force are the demo tables (``flask demo load`` seeds this and next year's): ТПТ 15.02.16 — 25,
ТТИТ 09.02.07 — 50 (on the basis of 9 classes) and 25 (11 classes); the requests change them to 50, 75 and 15.

Used by the browser tests and the document tests to bring a case to its deciding steps (the councils'
tasks, the Working Group's task, the signing steps) without clicking through every earlier page.
Needs an app context with the demo data loaded and bpmn/ deployed.
"""

from sqlalchemy import select

from workflow_app.engine import clock
from workflow_app.extensions import db
from workflow_app.models import HumanTask, ProcessInstance, User
from workflow_app.models.council import VOTING_ROLES
from workflow_app.services import council
from workflow_app.services.cases.start import start_process
from workflow_app.services.errors import Conflict, Forbidden, NotFound
from workflow_app.services.people.actors import actor_for
from workflow_app.services.tasks import commands


def who(username):
    return actor_for(db.session.execute(select(User).where(User.username == username)).scalar_one())


def instance(business_key) -> ProcessInstance:
    db.session.expire_all()
    return db.session.execute(select(ProcessInstance).where(ProcessInstance.business_key == business_key)).scalar_one()


def open_task(business_key, task_def) -> HumanTask:
    inst = instance(business_key)
    return db.session.execute(
        select(HumanTask).where(
            HumanTask.instance_id == inst.id, HumanTask.task_def == task_def, HumanTask.status == "open"
        )
    ).scalar_one()


def do(username, business_key, task_def, data):
    task = open_task(business_key, task_def)
    commands.complete(who(username), task.id, data)
    db.session.remove()


def decide_by_protocol(task_id, data, *, instructions=(), when=None):
    """Decide a collegial body's task as the body does: its secretary calls a meeting (today, or ``when``),
    puts the task on the agenda, the chair approves it, every voting member attends and votes for, the
    decision (``data["decision"]`` and the task's other fields) is recorded, the secretary and the chair sign.
    Returns the signed protocol. The body's seats on the day (BodyMembership) name the people."""
    task = db.session.get(HumanTask, task_id)
    body = council.get_body(task.collegial_body)
    seats = council.memberships_on(body, clock.today())
    secretary = actor_for(next(m.user for m in seats if m.role == "secretary"))
    chair = actor_for(next(m.user for m in seats if m.role == "chair"))
    voting = list(dict.fromkeys(m.user_id for m in seats if m.role in VOTING_ROLES))
    fields = {k: v for k, v in data.items() if k not in ("decision", "protocol_ref")}
    meeting = council.create_meeting(secretary, body.code, when or clock.now(), "ул. Ленина, 6, зал заседаний")
    item = council.add_item(secretary, meeting.id, task.id)
    council.approve_agenda(chair, meeting.id)
    council.record_attendance(secretary, meeting.id, voting)
    try:
        council.record_decision(
            secretary,
            meeting.id,
            item.id,
            outcome=data["decision"],
            votes_for=len(voting),
            text=str(data.get("comment") or ""),
            fields=fields,
            instructions=instructions,
        )
        council.sign(secretary, meeting.id)
        protocol = council.sign(chair, meeting.id)  # the decision takes effect here; its rules may refuse it
    except Exception:
        db.session.rollback()
        council.cancel_meeting(secretary, meeting.id)  # the question goes back to the body's pending list
        raise
    db.session.expire_all()
    return protocol


def decide(business_key, task_def, data, **kw):
    """``decide_by_protocol`` for the open task ``task_def`` of the case ``business_key``."""
    return decide_by_protocol(open_task(business_key, task_def).id, data, **kw)


def start(username, process_id, data):
    inst, _open = start_process(who(username), process_id, data)
    key = inst.business_key
    db.session.remove()
    return key


# --- chain (a): КЦП -------------------------------------------------------------------------------------------


def kcp_lines(code="15.02.16", name="Технология машиностроения", current=25, requested=50, base="9"):
    return [
        {
            "level": "ppssz",
            "programme_code": code,
            "programme_name": name,
            "form_of_study": "full_time",
            "base": base,
            "current_kcp": current,
            "requested_kcp": requested,
            "targeted": 5,
            "employer_confirmations": 3,
            "applications_per_place": 2.4,
            "employment_rate": 87.5,
            "justification": "Потребность ООО «Томский завод» в техниках-технологах подтверждена письмами",
        }
    ]


def kcp_request(year, lines):
    return {
        "year": year,
        "change_type": "increase",
        "reason": "employer_demand",
        "contact": "Белов К. И., 8-3822-000000",
        "lines": lines,
        "evidence": "Письма работодателей № 1–3",
    }


def kcp_to_intake(year=2027):
    """The campaign open and two ПОО's requests signed and submitted."""
    key = start("dpo_officer", "kcp_campaign", {"year": year})
    do("dpo_officer", key, "announce", {"intake_deadline": f"{year}-04-26", "announcement": "Приём заявок открыт"})
    r1 = start("college_officer_1", "kcp_request", {"year": year})
    do("college_officer_1", r1, "fill_request", kcp_request(year, kcp_lines()))
    do("college_director_1", r1, "sign_request", {"decision": "sign"})
    r2 = start("college_officer_2", "kcp_request", {"year": year})
    lines2 = kcp_lines("09.02.07", "Информационные системы и программирование", 50, 75)
    lines2 += kcp_lines("09.02.07", "Информационные системы и программирование", 25, 15, base="11")
    do("college_officer_2", r2, "fill_request", kcp_request(year, lines2) | {"change_type": "redistribution"})
    do("college_director_2", r2, "sign_request", {"decision": "sign"})
    return key, r1, r2


def kcp_assessed(year=2027):
    key, r1, r2 = kcp_to_intake(year)
    for r in (r1, r2):
        do("dpo_officer", r, "formal_check", {"decision": "accept"})
        do("dpo_officer", r, "assess", {"opinion": "support", "comment": "Обоснование подтверждено"})
    return key, r1, r2


def kcp_to_expert_council(year=2027):
    key, _r1, _r2 = kcp_assessed(year)
    do("dpo_officer", key, "close_intake", {"decision": "close"})
    do("dpo_officer", key, "consolidate", {"funding_grows": True, "summary": "Свод по двум ПОО"})
    do("sector_officer", key, "opinion_sector", {"sector_decision": "agree"})
    do("dtzn_officer", key, "opinion_dtzn", {"dtzn_decision": "agree_with_remarks", "dtzn_remarks": "Учесть прогноз"})
    do("finance_officer", key, "opinion_finance", {"finance_decision": "agree"})
    do("project_office", key, "opinion_rpo", {"rpo_decision": "agree"})
    return key


def kcp_to_coordination_council(year=2027):
    key = kcp_to_expert_council(year)
    decide(key, "ec_decision", {"decision": "recommend"})
    return key


def kcp_to_signing(year=2027):
    key = kcp_to_coordination_council(year)
    decide(key, "cc_decision", {"decision": "agree", "comment": "Согласовать."})
    do(
        "dpo_officer",
        key,
        "draft_order",
        {
            "act_type": "распоряжение Администрации Томской области",
            "act_title": f"О внесении изменений в контрольные цифры приёма на {year} год",
            "draft_text": "1. Внести изменения в контрольные цифры приёма согласно приложению.\n"
            "2. Контроль за исполнением возложить на начальника ДепПО.",
        },
    )
    do("dpo_head", key, "visa_head", {"decision": "approve"})
    do("legal_officer", key, "visa_legal", {"decision": "approve"})
    do("finance_officer", key, "visa_finance", {"decision": "approve"})
    return key


def kcp_registered(year=2027):
    key = kcp_to_signing(year)
    do("deputy_governor", key, "sign_order", {"decision": "sign"})
    do("records_office", key, "register_order", {"order_number": "321-ра", "order_date": f"{year}-05-24"})
    return key


# --- chain (b): the professions list ---------------------------------------------------------------------------


def proposal_items():
    return [
        {
            "action": "add",
            "profession": "Оператор станков с ЧПУ",
            "okpdtr_code": "16045",
            "programme_type": "training",
            "grade": "3",
            "duration_hours": 480,
            "sector": "Машиностроение",
            "vacancies": 40,
            "job_seekers": 12,
            "planned_trainees": 25,
            "providers": "ТПТ",
            "justification": "Дефицит операторов на предприятиях отрасли",
        },
        {
            "action": "exclude",
            "profession": "Наборщик",
            "programme_type": "training",
            "sector": "Полиграфия",
            "justification": "Нет вакансий",
        },
    ]


def professions_to_working_group(year=2028):
    key = start("dtzn_officer", "professions_cycle", {"year": year})
    do("dtzn_officer", key, "announce", {"intake_deadline": f"{year - 1}-11-01", "announcement": "Запрос предложений"})
    p = start("sector_officer", "professions_proposal", {"year": year})
    do("sector_officer", p, "draft_sector", {"year": year, "items": proposal_items(), "contact": "Соколов"})
    do("dtzn_officer", p, "review", {"decision": "accept"})
    do("dtzn_officer", key, "close_intake", {"decision": "close"})
    do("dtzn_officer", key, "consolidate", {"summary": "Проект перечня"})
    # each department concerned agrees its part (one task per department), then the Координатор submits
    inst = instance(key)
    agree = (
        db.session.execute(
            select(HumanTask).where(
                HumanTask.instance_id == inst.id, HumanTask.task_def == "agree", HumanTask.status == "open"
            )
        )
        .scalars()
        .all()
    )
    for task in agree:
        for username in ("sector_officer", "sector_officer_2"):
            try:
                commands.complete(who(username), task.id, {"agreement": "agree"})
                break
            except (Forbidden, NotFound, Conflict):
                db.session.rollback()
        db.session.remove()
    do("coordinator", key, "coordinator_review", {"decision": "submit"})
    return key


# --- chain (c): investor staffing ------------------------------------------------------------------------------


def questionnaire():
    return {
        "project_name": "Завод полимерных материалов «Северный»",
        "investor_name": "ООО «СХК — Новые материалы»",
        "investor_inn": "7017123451",
        "municipality": "ЗАТО Северск",
        "sector": "Химическая промышленность",
        "stage": "construction",
        "launch_date": "2029-09-01",
        "jobs": [{"year": 2028, "jobs": 120}, {"year": 2029, "jobs": 80}],
        "average_wage": 98000,
        "co_finance_training": True,
        "contact": "Главный инженер",
        "needs": [
            {
                "profession": "Аппаратчик химических производств",
                "code": "10912",
                "category": "worker",
                "number": 60,
                "year_needed": 2029,
            },
            {"profession": "Техник-технолог", "category": "mid_level", "number": 20, "year_needed": 2029},
        ],
    }


def staffing_plan():
    return {
        "kcp_year": 2028,
        "lines": [
            {
                "profession": "Аппаратчик химических производств",
                "year": 2029,
                "need": 60,
                "from_colleges": 20,
                "from_retraining": 25,
                "from_labour_market": 5,
            }
        ],
        "measures": [
            {
                "kind": "kcp",
                "measure": "Увеличить приём на 25 мест",
                "college_code": "TPT",
                "programme_code": "18.01.02",
                "programme_name": "Лаборант-эколог",
                "form_of_study": "full_time",
                "places": 25,
                "responsible": "ДепПО",
                "deadline": "2028-06-01",
            }
        ],
    }


def investor_to_plan():
    key = start("investor_1", "investor_case", {})
    do("investor_1", key, "questionnaire", questionnaire())
    do("di_officer", key, "di_check", {"decision": "accept"})
    do("coordinator", key, "open_case", {"case_number": "КД-1"})
    do("dtzn_officer", key, "opinion_dtzn", {"dtzn_decision": "agree"})
    do("employment_centre", key, "opinion_czn", {"czn_vacancies": 12, "czn_job_seekers": 30, "czn_decision": "agree"})
    do("dpo_officer", key, "opinion_dpo", {"dpo_decision": "agree_with_remarks", "dpo_remarks": "Нужен набор в ТПТ"})
    do("sector_officer", key, "opinion_sector", {"sector_decision": "agree"})
    do("sector_officer_3", key, "opinion_dnvo", {"dnvo_decision": "agree"})
    return key


def investor_to_working_group():
    key = investor_to_plan()
    do("investor_1", key, "plan", staffing_plan())  # the staffing plan is the employer's (10.3)
    do("coordinator", key, "plan_review", {"decision": "agree", "comment": "Согласны с планом."})
    return key
