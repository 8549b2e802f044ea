"""E-mails and in-app notices are read by people: no raw code, id or ISO date in a subject or a body (issue #20).

``assert_mails_readable(kinds)`` checks every outbox row written so far and that the given kinds were among them;
the tests that make each kind of e-mail call it (task_ready: test_inbox, notice and reminder: test_chains_kcp,
reminder and head_notice: test_datacalls, meeting: test_council, the forecast's notice: test_forecast).
"""

import re

from sqlalchemy import select

from workflow_app.extensions import db
from workflow_app.models import Notification, ProcessModel
from workflow_app.roles import ROLES

ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
CODE = re.compile(r"(?<![/\w.@-])[a-z]+(?:_[a-z0-9]+)+\b")  # snake_case outside a link or an address
RAW = re.compile(r"\bNone\b|[{}\[\]]|\d+ ×")


def assert_mails_readable(kinds) -> list[Notification]:
    rows = db.session.execute(select(Notification).order_by(Notification.id)).scalars().all()
    assert set(kinds) <= {r.kind for r in rows}, (set(kinds), {r.kind for r in rows})
    process_ids = set(db.session.execute(select(ProcessModel.process_id)).scalars())
    for r in rows:
        for text in (r.subject, r.body):
            assert ISO.search(text) is None, (r.kind, text)
            assert CODE.search(text) is None, (r.kind, CODE.search(text).group(0), text)
            assert RAW.search(text) is None, (r.kind, text)
            words = set(re.findall(r"[A-Za-z_]+", text))
            assert not words & (set(ROLES) | process_ids), (r.kind, text)
    return rows
