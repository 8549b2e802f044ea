"""Demo data (``flask demo load``): organisations and one user per role, idempotent.

Every role of ``roles.ROLES`` gets a user whose username equals the role id (``dpo_officer``,
``cc_secretary``, ``auditor``, ``admin``, ...). Two colleges get ``college_officer_N`` /
``college_director_N`` and two investor companies ``investor_N``. The password of every demo user is
``DEMO_PASSWORD`` (default ``demo``). Refused when ``SOGLASIE_ENV=production``.
Running it again creates nothing new and restores the demo users' memberships and password.
"""

import os
from dataclasses import dataclass, field

from flask import current_app, has_app_context
from sqlalchemy import select
from stdnum.ru import inn as inn_check

from ..engine import clock
from ..extensions import db
from ..models import Membership, Organisation, User
from ..roles import ROLES
from . import council, publication
from .chains import kcp, professions
from .errors import Forbidden
from .people.actors import Actor, ensure_roles, hash_password, password_hash_is_stale, verify_password
from .uow import UnitOfWork

# code, name, kind, ИНН (checked with python-stdnum at load)
ORGANISATIONS = [
    ("DEPPO", "Департамент профессионального образования Томской области", "department", None),
    ("DTZN", "Департамент труда и занятости населения Томской области", "department", None),
    ("DI", "Департамент инвестиций Томской области", "department", None),
    ("DFIN", "Департамент финансов Томской области", "department", None),
    ("SECTOR", "Департамент промышленности и энергетики Администрации Томской области", "department", None),
    ("DPR", "Департамент потребительского рынка Администрации Томской области", "department", None),
    ("DKULT", "Департамент по культуре Томской области", "department", None),
    ("DLES", "Департамент лесного хозяйства Томской области", "department", None),
    ("DNVO", "Департамент науки и высшего образования Администрации Томской области", "department", None),
    (
        "RPO",
        "Департамент проектной деятельности – региональный проектный офис Администрации Томской области",
        "department",
        None,
    ),
    ("LEGAL", "Правовое управление Администрации Томской области", "department", None),
    ("RECORDS", "Управление делами Администрации Томской области", "department", None),
    ("ADM", "Администрация Томской области", "department", None),
    ("CZN", "Центр занятости населения города Томска и Томского района", "employment_centre", None),
    ("TPT", "Томский политехнический техникум", "college", None),
    ("TTIT", "Томский техникум информационных технологий", "college", None),
    ("TMK", "Томский музыкальный колледж имени Э.В. Денисова", "college", None),
    ("TLTT", "Томский лесотехнический техникум", "college", None),
    ("SIBHIM", "ООО «Сибирский химический комбинат — Новые материалы»", "investor", "7017123451"),
    ("TOMLES", "АО «Томлесдрев-Инвест»", "investor", "7017987652"),
]

# Short names (abbreviations as officials write them): the organisation's part of a case number, «КЦП-2027/ТПТ».
SHORT_NAMES = {
    "DEPPO": "ДепПО",
    "DTZN": "ДТЗН",
    "DI": "ДИ",
    "DFIN": "ДФ",
    "SECTOR": "ДПЭ",
    "DPR": "ДПР",
    "DKULT": "ДК",
    "DLES": "ДЛХ",
    "DNVO": "ДНВО",
    "RPO": "РПО",
    "LEGAL": "ПУ",
    "RECORDS": "УД",
    "ADM": "АТО",
    "CZN": "ЦЗН",
    "TPT": "ТПТ",
    "TTIT": "ТТИТ",
    "TMK": "ТМК",
    "TLTT": "ТЛТТ",
    "SIBHIM": "СХК",
    "TOMLES": "ТЛД",
}

# The founder department of each demo ПОО: it takes the founder's steps (formal check, assessment) for its ПОО.
FOUNDERS = {"TPT": "DEPPO", "TTIT": "DEPPO", "TMK": "DKULT", "TLTT": "DLES"}

ROLE_ORG = {
    "dpo_officer": "DEPPO",
    "dpo_head": "DEPPO",
    "dtzn_officer": "DTZN",
    "dtzn_head": "DTZN",
    "di_officer": "DI",
    "di_head": "DI",
    "sector_officer": "SECTOR",
    "finance_officer": "DFIN",
    "project_office": "RPO",
    "legal_officer": "LEGAL",
    "records_office": "RECORDS",
    "employment_centre": "CZN",
    "college_officer": "TPT",
    "college_director": "TPT",
    "investor": "SIBHIM",
}

DISPLAY = {
    "dpo_officer": "Иванова Мария Сергеевна",
    "dpo_head": "Петров Андрей Викторович",
    "dtzn_officer": "Смирнова Ольга Петровна",
    "dtzn_head": "Кузнецов Игорь Николаевич",
    "di_officer": "Попов Денис Александрович",
    "di_head": "Волкова Елена Юрьевна",
    "sector_officer": "Соколов Павел Андреевич",
    "finance_officer": "Лебедева Анна Игоревна",
    "project_office": "Данилов Максим Евгеньевич",
    "legal_officer": "Козлов Сергей Дмитриевич",
    "records_office": "Новикова Татьяна Васильевна",
    "deputy_governor": "Морозов Александр Михайлович",
    "coordinator": "Фёдорова Наталья Олеговна",
    "admin": "Администратор системы",
    "auditor": "Орлова Ирина Геннадьевна",
}

EXTRA_USERS = [
    ("college_officer_1", "Сотрудник ТПТ (Белов Константин Ильич)", ["college_officer"], "TPT"),
    ("college_director_1", "Директор ТПТ (Зайцева Людмила Петровна)", ["college_director"], "TPT"),
    ("college_officer_2", "Сотрудник ТТИТ (Голубев Артём Романович)", ["college_officer"], "TTIT"),
    ("college_director_2", "Директор ТТИТ (Тарасова Вера Анатольевна)", ["college_director"], "TTIT"),
    ("college_officer_3", "Сотрудник ТМК (Лаптева Ирина Олеговна)", ["college_officer"], "TMK"),
    ("college_director_3", "Директор ТМК (Шестаков Роман Юрьевич)", ["college_director"], "TMK"),
    ("college_officer_4", "Сотрудник ТЛТТ (Фомин Глеб Сергеевич)", ["college_officer"], "TLTT"),
    ("college_director_4", "Директор ТЛТТ (Кудрявцева Нина Павловна)", ["college_director"], "TLTT"),
    ("sector_officer_4", "Специалист Департамента по культуре (Полякова Дарья Игоревна)", ["sector_officer"], "DKULT"),
    (
        "sector_officer_5",
        "Специалист Департамента лесного хозяйства (Герасимов Илья Викторович)",
        ["sector_officer"],
        "DLES",
    ),
    (
        "sector_officer_2",
        "Специалист Департамента потребительского рынка (Егорова Ксения Андреевна)",
        ["sector_officer"],
        "DPR",
    ),
    (
        "sector_officer_3",
        "Специалист Департамента науки и высшего образования (Киселёв Олег Ильич)",
        ["sector_officer"],
        "DNVO",
    ),
    ("investor_1", "Представитель ООО «СХК — Новые материалы»", ["investor"], "SIBHIM"),
    ("investor_2", "Представитель АО «Томлесдрев-Инвест»", ["investor"], "TOMLES"),
    # more members, so that the demo bodies have a quorum to reach (or to miss)
    ("cc_member_2", "Член Координационного совета (Орлов Денис Сергеевич)", ["cc_member"], "ADM"),
    ("cc_member_3", "Член Координационного совета (Лебедева Анна Юрьевна)", ["cc_member"], "ADM"),
    ("ec_member_2", "Член Экспертного совета (Соколов Иван Петрович)", ["ec_member"], "ADM"),
    ("ec_member_3", "Член Экспертного совета (Морозова Ольга Викторовна)", ["ec_member"], "ADM"),
    ("wg_member_2", "Член Рабочей группы (Васильев Павел Андреевич)", ["wg_member"], "ADM"),
    ("wg_member_3", "Член Рабочей группы (Никитина Елена Олеговна)", ["wg_member"], "ADM"),
]


@dataclass
class DemoResult:
    organisations_created: list = field(default_factory=list)
    users_created: list = field(default_factory=list)
    users_total: int = 0
    kcp_tables: list = field(default_factory=list)
    professions_lists: list = field(default_factory=list)


def demo_users() -> list[tuple[str, str, list, str]]:
    """(username, display name, groups, organisation code) of every demo user."""
    people = [
        (role, DISPLAY.get(role, f"{ROLES[role][0]} (демо)"), [role], ROLE_ORG.get(role, "ADM")) for role in ROLES
    ]
    return people + EXTRA_USERS


# The demo КЦП tables in force (the act of the previous spring, one line per ПОО programme, form and base).
KCP_LINES = [
    ("TPT", "ppssz", "15.02.16", "Технология машиностроения", "full_time", "9", 25),
    (
        "TPT",
        "ppkrs",
        "15.01.05",
        "Сварщик (ручной и частично механизированной сварки (наплавки))",
        "full_time",
        "9",
        50,
    ),
    ("TTIT", "ppssz", "09.02.07", "Информационные системы и программирование", "full_time", "9", 50),
    ("TTIT", "ppssz", "09.02.07", "Информационные системы и программирование", "full_time", "11", 25),
    ("TMK", "ppssz", "53.02.03", "Инструментальное исполнительство (по видам инструментов)", "full_time", "9", 20),
    ("TLTT", "ppssz", "35.02.01", "Лесное и лесопарковое хозяйство", "full_time", "9", 25),
]


def _establish_kcp_tables(uow, orgs) -> list[int]:
    """The КЦП table in force for this year's and next year's admission, where none is recorded yet."""
    year = clock.today().year
    done = []
    for y in (year, year + 1):
        if publication.latest("kcp", str(y)) is not None:
            continue
        rows = [
            {
                "college_code": code,
                "college": orgs[code].name,
                "level_code": level,
                "programme_code": programme,
                "programme_name": name,
                "form_of_study_code": form,
                "base_code": base,
                "kcp": places,
            }
            for code, level, programme, name, form, base, places in KCP_LINES
        ]
        act = {
            "number": f"{300 + y % 100}-ра",
            "date": f"{y - 1}-05-25",
            "title": f"Об установлении контрольных цифр приёма на {y} год",
        }
        kcp.establish_table(uow, y, act, rows)
        done.append(y)
    return done


# The demo Актуальный перечень профессий in force (approved last December).
PROFESSIONS = [
    ("Сварщик", "19756", "retraining", "3", 480, "Машиностроение"),
    ("Наборщик", "15080", "training", "2", 320, "Полиграфия"),
    ("Повар", "16675", "upskilling", "4", 144, "Общественное питание"),
    ("Продавец продовольственных товаров", "17353", "training", "3", 256, "Торговля"),
]


def _establish_professions_list(uow) -> list[int]:
    """This year's approved list, where none is recorded yet: next year's cycle starts from it."""
    year = clock.today().year
    if publication.latest("professions", str(year)) is not None:
        return []
    items = [
        {
            "profession": name,
            "okpdtr_code": code,
            "programme_type": kind,
            "grade": grade,
            "duration_hours": hours,
            "sector": sector,
        }
        for name, code, kind, grade, hours, sector in PROFESSIONS
    ]
    professions.establish_list(uow, year, items, f"{year}-01-01", f"протокол от 20.12.{year - 1} № 4, вопрос 1")
    return [year]


def _env_name() -> str:
    if has_app_context():
        return current_app.config.get("ENV_NAME") or os.environ.get("SOGLASIE_ENV", "")
    return os.environ.get("SOGLASIE_ENV", "")


def load(actor: Actor, password: str | None = None) -> DemoResult:
    """Create the demo organisations and users that are missing (idempotent)."""
    if "production" in (_env_name(), os.environ.get("SOGLASIE_ENV", "")):
        raise Forbidden("demo data is refused when SOGLASIE_ENV=production")
    if not (actor.is_system or actor.is_admin):
        raise Forbidden("only administrators load demo data")
    if password is None:
        password = current_app.config.get("DEMO_PASSWORD", "demo") if has_app_context() else "demo"
    result = DemoResult()
    with UnitOfWork(actor) as uow:
        ensure_roles(db.session)
        orgs = {o.code: o for o in db.session.execute(select(Organisation)).scalars()}
        for code, name, kind, inn in ORGANISATIONS:
            if inn is not None and not inn_check.is_valid(inn):
                raise ValueError(f"demo ИНН {inn} of {code} has a wrong checksum")
            if code not in orgs:
                orgs[code] = Organisation(code=code, name=name, kind=kind, inn=inn)
                db.session.add(orgs[code])
                result.organisations_created.append(code)
        for code, short in SHORT_NAMES.items():
            if orgs[code].short_name is None:
                orgs[code].short_name = short
        for code, founder in FOUNDERS.items():
            if orgs[code].founder is None:
                orgs[code].founder = orgs[founder]
        db.session.flush()
        existing = {u.username: u for u in db.session.execute(select(User)).scalars()}
        for username, display, groups, org_code in demo_users():
            user = existing.get(username)
            if user is None:
                user = User(
                    username=username,
                    display_name=display,
                    password_hash=hash_password(password),  # each its own salt
                    active=True,
                    email=f"{username}@soglasie.test",
                    organisation=orgs[org_code],
                    is_demo=True,
                )
                user.memberships.extend(Membership(group_id=g) for g in groups)
                db.session.add(user)
                result.users_created.append(username)
            elif user.is_demo:
                if not verify_password(user.password_hash, password) or password_hash_is_stale(user.password_hash):
                    user.password_hash = hash_password(password)
                user.active = True
                have = user.group_ids
                for g in groups:
                    if g not in have:
                        user.memberships.append(Membership(group_id=g))
            result.users_total += 1
        uow.flush()
        council.ensure_demo_memberships(db.session)  # seat the cc_*/ec_*/wg_* users on their bodies
        result.kcp_tables = _establish_kcp_tables(uow, orgs)
        result.professions_lists = _establish_professions_list(uow)
        uow.record(
            "demo_loaded",
            payload={"organisations_created": result.organisations_created, "users_created": result.users_created},
        )
        uow.commit()
    return result
