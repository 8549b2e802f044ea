"""Published results (no login): the approved КЦП table, the professions list, investment aggregates.

Writes happen only inside a chain's service task (services/chains/, same transaction as the approval);
this module reads. Publications are append-only: the latest of a kind and key is the current one.
"""

from sqlalchemy import select

from ..engine import clock
from ..extensions import db
from ..models import Publication
from . import spreadsheets
from .errors import NotFound

KINDS = ("kcp", "professions", "investment", "forecast", "poo_rating")
PRIVATE_KEYS = ("contributions",)  # kept with a publication for the next aggregate, never shown

# CSV columns per kind: (payload field, header)
CSV_COLUMNS = {
    "kcp": [
        ("college", "ПОО"),
        ("college_code", "Код организации"),
        ("level", "Уровень"),
        ("programme_code", "Код"),
        ("programme_name", "Профессия / специальность"),
        ("form_of_study", "Форма обучения"),
        ("base", "База приёма"),
        ("current_kcp", "КЦП до изменения"),
        ("approved_kcp", "КЦП (бюджетные места)"),
        ("delta", "Изменение"),
        ("changed_mark", "Изменено"),
    ],
    "professions": [
        ("profession", "Профессия"),
        ("okpdtr_code", "Код ОКПДТР"),
        ("programme_type", "Вид программы"),
        ("grade", "Разряд"),
        ("duration_hours", "Часов"),
        ("sector", "Отрасль"),
        ("status", "Статус"),
        ("planned_trainees", "Обучающихся (план)"),
        ("providers", "Организации"),
    ],
    "investment": [("category", "Категория работников"), ("number", "Потребность, чел.")],
    "forecast": [
        ("profession_group", "Группа профессий"),
        ("profession", "Профессия / специальность"),
        ("code", "Код"),
        ("year", "Год"),
        ("number", "Потребность, чел."),
        ("answers", "Ответов работодателей и департаментов"),
        ("projects", "Инвестиционных проектов"),
    ],
}


def publish(uow, kind: str, key: str, title: str, payload: dict, instance=None) -> Publication:
    """Write a publication inside the caller's unit of work (a chain's service task)."""
    pub = Publication(
        kind=kind,
        key=str(key),
        title=title,
        payload=payload,
        published_at=clock.now(),
        source_instance_id=getattr(instance, "id", None),
    )
    db.session.add(pub)
    uow.flush()
    uow.record("published", instance=instance, payload={"publication_id": pub.id, "kind": kind, "key": str(key)})
    return pub


def latest(kind: str, key: str) -> Publication | None:
    return db.session.execute(
        select(Publication)
        .where(Publication.kind == kind, Publication.key == str(key))
        .order_by(Publication.published_at.desc(), Publication.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def get(kind: str, key: str) -> Publication:
    if kind not in KINDS:
        raise NotFound("no such publication")
    pub = latest(kind, key)
    if pub is None:
        raise NotFound("no such publication")
    return pub


def current() -> list[Publication]:
    """The latest publication of each kind and key, newest first."""
    rows = (
        db.session.execute(select(Publication).order_by(Publication.published_at.desc(), Publication.id.desc()))
        .scalars()
        .all()
    )
    seen, out = set(), []
    for pub in rows:
        if (pub.kind, pub.key) not in seen:
            seen.add((pub.kind, pub.key))
            out.append(pub)
    return out


def rows(pub: Publication) -> list[dict]:
    if pub.kind == "investment":
        return pub.payload.get("categories", [])
    return (
        pub.payload.get("rows", []) if pub.kind in ("kcp", "forecast", "poo_rating") else pub.payload.get("items", [])
    )


def table_columns(pub: Publication) -> list[tuple[str, str]]:
    """(field, header) of the CSV/XLSX: fixed per kind; the rating's indicators come with it (a data file)."""
    if pub.kind == "poo_rating":
        indicators = [(i["code"], i["title"]) for i in pub.payload.get("indicators", [])]
        return [("place", "Место"), ("organisation", "ПОО"), *indicators, ("score", pub.payload.get("score_title", ""))]
    return CSV_COLUMNS[pub.kind]


def as_json(pub: Publication) -> dict:
    return {
        "kind": pub.kind,
        "key": pub.key,
        "title": pub.title,
        "published_at": pub.published_at.isoformat(),
        **{k: v for k, v in pub.payload.items() if k not in PRIVATE_KEYS},
    }


def as_xlsx(pub: Publication) -> bytes:
    columns = table_columns(pub)
    table = ([row.get(field) for field, _header in columns] for row in rows(pub))
    return spreadsheets.xlsx_bytes(pub.kind, [header for _field, header in columns], table)


def as_csv(pub: Publication) -> bytes:
    columns = table_columns(pub)
    table = ([row.get(field) for field, _header in columns] for row in rows(pub))
    return spreadsheets.csv_bytes([header for _field, header in columns], table, delimiter=";")
