"""What the scheduler tells a body's secretary (through the notification outbox, every tick):

- a body that must meet at least N times a half-year (the Координационный совет: twice a year, seed 3.1) and
  has neither held nor called a meeting in the current half-year is reminded from the first day of the
  half-year's last two months (1 May, 1 November), once per half-year;
- an instruction (поручение) of a signed protocol that is past its due date and not reported on is flagged to
  the secretary once.
"""

from datetime import UTC, date, datetime

from sqlalchemy import select

from ...engine import clock
from ...extensions import db
from ...models import CollegialBody, Instruction, Meeting, Notification
from .. import notifications
from ..people.actors import SCHEDULER
from ..uow import UnitOfWork
from .seats import OPEN_MEETING, memberships_on

# meetings a body holds at least per half-year unless its settings say otherwise (``meetings_per_half_year``)
MEETINGS_PER_HALF_YEAR = {"coordination_council": 1}
REMIND_FROM_MONTH = {1: 5, 2: 11}  # the half-year's last two months
HALF_YEAR_KIND = "council_half_year"
OVERDUE_KIND = "instruction_overdue"
ROMAN = {1: "I", 2: "II"}


def half_year(day: date) -> tuple[int, date, date]:
    """(1 or 2, first day, first day of the next half-year)."""
    if day.month <= 6:
        return 1, date(day.year, 1, 1), date(day.year, 7, 1)
    return 2, date(day.year, 7, 1), date(day.year + 1, 1, 1)


def _utc(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=clock.REGION_TZ).astimezone(UTC)


def required_meetings(body: CollegialBody) -> int:
    value = (body.settings or {}).get("meetings_per_half_year", MEETINGS_PER_HALF_YEAR.get(body.code, 0))
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def meetings_in_half_year(body: CollegialBody, day: date) -> tuple[int, int]:
    """(held: meetings of the half-year with a signed protocol, called: open meetings set in the half-year)."""
    _n, start, end = half_year(day)
    rows = db.session.execute(
        select(Meeting.status).where(
            Meeting.body_id == body.id, Meeting.starts_at >= _utc(start), Meeting.starts_at < _utc(end)
        )
    ).scalars()
    statuses = list(rows)
    return statuses.count("closed"), sum(1 for s in statuses if s in OPEN_MEETING)


def _secretaries(body: CollegialBody, day: date) -> list:
    return [m.user for m in memberships_on(body, day) if m.role == "secretary" and m.user.active]


def _remind_half_year(uow, body: CollegialBody, day: date) -> int:
    need = required_meetings(body)
    n, _start, end = half_year(day)
    if not need or day.month < REMIND_FROM_MONTH[n]:
        return 0
    held, called = meetings_in_half_year(body, day)
    if held + called >= need:
        return 0
    subject = f"{body.short_name}: заседание в {ROMAN[n]} полугодии {day.year} г. не проведено"
    told = set(
        db.session.execute(
            select(Notification.user_id).where(Notification.kind == HALF_YEAR_KIND, Notification.subject == subject)
        ).scalars()
    )
    people = [u for u in _secretaries(body, day) if u.id not in told]
    last_day = date.fromordinal(end.toordinal() - 1)
    for user in people:
        notifications.queue(
            uow,
            [user],
            HALF_YEAR_KIND,
            subject,
            f"{user.display_name},\n\n«{body.name}» проводит заседания не реже {need * 2} раз в год (п. 3.1 "
            f"дорожной карты). В {ROMAN[n]} полугодии {day.year} г. заседаний не проведено (проведено: {held}, "
            f"назначено: {called}). Назначьте заседание до {last_day:%d.%m.%Y}.\n",
            link=f"/council/bodies/{body.code}",
        )
    return len(people)


def _flag_overdue(uow, day: date) -> int:
    rows = db.session.execute(
        select(Instruction).where(Instruction.status == "open", Instruction.deadline < day).order_by(Instruction.id)
    ).scalars()
    flagged = 0
    for ins in rows:
        link = f"/council/instructions/{ins.id}"
        told = set(
            db.session.execute(
                select(Notification.user_id).where(Notification.kind == OVERDUE_KIND, Notification.link == link)
            ).scalars()
        )
        people = [u for u in _secretaries(ins.body, day) if u.id not in told]
        for user in people:
            notifications.queue(
                uow,
                [user],
                OVERDUE_KIND,
                f"{ins.body.short_name}: поручение просрочено (срок {ins.deadline:%d.%m.%Y})",
                f"{user.display_name},\n\nсрок исполнения поручения истёк {ins.deadline:%d.%m.%Y}, отчёт об "
                f"исполнении не представлен.\n\nПоручение: {ins.text}\nИсполнитель: {ins.executor}\n",
                link=link,
            )
        flagged += bool(people)
    return flagged


def chase(now: datetime | None = None) -> dict:
    """Called by every scheduler tick: the half-yearly meeting reminders and the overdue instructions."""
    now = now or clock.now()
    day = now.astimezone(clock.REGION_TZ).date()
    with UnitOfWork(SCHEDULER) as uow:
        reminded = sum(
            _remind_half_year(uow, body, day)
            for body in db.session.execute(select(CollegialBody).order_by(CollegialBody.id)).scalars()
        )
        overdue = _flag_overdue(uow, day)
        uow.commit()
    return {"half_year_reminders": reminded, "overdue_instructions": overdue}
