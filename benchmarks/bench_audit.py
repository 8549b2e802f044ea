"""Audit benchmark (SQLite): chain verification of 100,000 events, and search latency over 1,000,000 events.

The log is filled with valid chained rows written directly (executemany in batches), hashed exactly as
``services.audit.append`` does, so ``verify`` accepts them. Search runs through the real service
statement (``audit_log.search_statement``); the query plans are printed to show an index is used.
"""

import time
from datetime import UTC, datetime, timedelta

from benchmarks.common import median, ms, sqlite_app, timed

KINDS = ("task_ready", "task_claimed", "task_completed", "engine_steps", "comment")
T0 = datetime(2026, 1, 12, 2, 0, tzinfo=UTC)


def fill(n: int, batch: int = 20_000, seal: bool = True) -> int:
    """Append ``n`` valid events (content-hashed as ``services.audit.append`` does) and, with ``seal``, seal
    them as the sequencer does; returns the number of events in the log."""
    from sqlalchemy import func, insert, select

    from workflow_app.extensions import db
    from workflow_app.models import AuditEvent
    from workflow_app.services.audit import sequencer, trail

    table = AuditEvent.__table__
    conn = db.session.connection()
    start = (db.session.execute(select(func.max(AuditEvent.seq))).scalar() or 0) + 1
    rows = []
    for i, seq in enumerate(range(start, start + n)):
        at = T0 + timedelta(seconds=seq * 7)
        mix = (seq * 2654435761) % 4294967296  # a cheap deterministic scramble: independent-looking columns
        actor = seq % 500 + 1
        instance = seq // 20 + 1
        ev = {
            "occurred_at": trail._iso(at),
            "actor_id": actor,
            "actor_name": f"user{actor}",
            "kind": KINDS[(mix >> 8) % len(KINDS)],
            "instance_id": instance,
            "task_id": seq // 5,
            "payload": {"task": "review_request", "decision": "approve" if seq % 3 else "return", "n": seq},
        }
        rows.append(
            {
                **ev,
                "seq": seq,
                "hash": trail.event_hash(ev),
                "occurred_at": at,
                "actor_org_id": (mix >> 16) % 40 + 1,
                "process_id": f"proc_{instance % 12}",
                "business_key": f"BK-{instance}",
            }
        )
        if len(rows) >= batch or i == n - 1:
            conn.execute(insert(table), rows)
            rows = []
    db.session.commit()
    if seal:
        sequencer.seal_pending()
    return start + n - 1


def plan(statement) -> list[str]:
    from workflow_app.extensions import db

    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    return [row[-1] for row in db.session.execute(__import__("sqlalchemy").text(f"EXPLAIN QUERY PLAN {compiled}"))]


def main(verify_events: int = 100_000, search_events: int = 1_000_000):
    from workflow_app.extensions import db
    from workflow_app.services.audit import queries, trail

    with sqlite_app():
        t0 = time.perf_counter()
        total = fill(verify_events)
        print(f"audit: inserted {verify_events:,} chained events in {time.perf_counter() - t0:.1f} s")
        samples = timed(lambda: trail.verify(db.session), 3)
        result = trail.verify(db.session)
        assert result.ok and result.events == total, result
        print(
            f"audit: verify {total:,} events: median {median(samples):.2f} s "
            f"({verify_events / median(samples):,.0f} events/s)"
        )

        t0 = time.perf_counter()
        fill(search_events - total, seal=False)
        print(f"audit: grew the log to {search_events:,} events in {time.perf_counter() - t0:.1f} s")
        cases = {
            "actor": {"actor": "42"},
            "decisions of a person": {"actor": "42", "decisions": "1"},
            "business key": {"business_key": "BK-31337"},
            "instance": {"instance": "4242"},
            "organisation + kind": {"org": "7", "kind": "comment"},
            "process + period": {"process": "proc_5", "from": "2026-02-01", "to": "2026-02-03"},
            "period only": {"from": "2026-03-01", "to": "2026-03-01"},
            "kind, page 2": {"kind": "task_completed"},
        }
        for label, params in cases.items():
            f = queries.parse_filters(params)
            before = 500_000 if label == "kind, page 2" else None
            stmt = queries.search_statement(f, 101, before)
            samples = timed(lambda stmt=stmt: db.session.execute(stmt).scalars().all(), 20)
            n = len(db.session.execute(stmt).scalars().all())
            print(f"audit: search [{label}] -> {n} rows: median {ms(median(samples))}, max {ms(max(samples))}")
            print("       plan: " + " | ".join(plan(stmt)))


if __name__ == "__main__":
    main()
