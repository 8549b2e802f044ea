"""The tamper-evident audit log: appending to the hash chain, verifying it, exporting its head.

Each event's hash is SHA-256 over a canonical JSON of (seq, time, actor, kind, instance, task, payload,
previous hash). Appends take the single ``audit_head`` row under a row lock (``FOR UPDATE`` on PostgreSQL;
SQLite write transactions are already serial), so the chain has exactly one order across processes.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

from sqlalchemy import bindparam, insert, select, text, update

from ..engine import clock
from ..models import AuditEvent, AuditHead

GENESIS = "0" * 64


def canonical(ev: dict) -> bytes:
    body = [
        ev["seq"],
        ev["occurred_at"],
        ev["actor_id"],
        ev["actor_name"],
        ev["kind"],
        ev["instance_id"],
        ev["task_id"],
        ev["payload"],
        ev["prev_hash"],
    ]
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")


def event_hash(ev: dict) -> str:
    return hashlib.sha256(canonical(ev)).hexdigest()


def _iso(dt) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_HEAD = AuditHead.__table__
_EVENT = AuditEvent.__table__
_READ_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1)
_LOCK_HEAD = _READ_HEAD.with_for_update()
_INSERT_EVENTS = insert(_EVENT)
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))


def append(session, events: list[dict]) -> None:
    """Chain ``events`` after the head and move the head, in the caller's transaction.

    Plain Core statements, built once, on the command's connection: this runs in every command, and the
    rows are never read back as objects in the same transaction.
    """
    if not events:
        return
    conn = session.connection()  # Core on the command's connection: no ORM work for rows never read back
    current = conn.execute(_LOCK_HEAD).first()
    if current is None:  # a database created without the migration's genesis row
        conn.execute(insert(_HEAD).values(id=1, seq=0, hash=GENESIS))
        current = (0, GENESIS)
    seq, prev = current
    now = clock.now()
    rows = []
    for ev in events:
        seq += 1
        payload = json.loads(
            json.dumps(ev["payload"], ensure_ascii=False, default=str)
        )  # what is stored is what is hashed
        row = dict(ev, seq=seq, occurred_at=_iso(now), prev_hash=prev, payload=payload)
        digest = event_hash(row)
        rows.append(
            {
                "seq": seq,
                "occurred_at": now,
                "actor_id": row["actor_id"],
                "actor_name": row["actor_name"],
                "actor_org_id": row["actor_org_id"],
                "kind": row["kind"],
                "instance_id": row["instance_id"],
                "process_id": row["process_id"],
                "business_key": row["business_key"],
                "task_id": row["task_id"],
                "payload": payload,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    conn.execute(_INSERT_EVENTS, rows)
    conn.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": prev})


@dataclass
class VerifyResult:
    ok: bool
    events: int
    first_bad: int | None = None
    reason: str | None = None
    head_seq: int = 0
    head_hash: str = GENESIS

    def as_dict(self):
        return {
            "ok": self.ok,
            "events": self.events,
            "first_bad": self.first_bad,
            "reason": self.reason,
            "head": {"seq": self.head_seq, "hash": self.head_hash},
        }


_VERIFY_SQL = text(
    "SELECT seq, occurred_at, actor_id, actor_name, kind, instance_id, task_id, payload, prev_hash, hash "
    "FROM audit_event WHERE seq >= :start ORDER BY seq LIMIT :batch"
)


def _iso_raw(value) -> str:
    """The canonical time text of a raw column value: SQLite's stored text or the driver's datetime."""
    if isinstance(value, str):  # SQLite: 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC, as stored by UTCDateTime)
        return value.replace(" ", "T", 1) + ("Z" if len(value) == 26 else ".000000Z" if len(value) == 19 else "Z")
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return _iso(value)


def verify(session, batch: int = 10000, anchor: tuple[int, str] | None = None) -> VerifyResult:
    """Walk the whole chain in seq order; report the first event that breaks it.

    Rows are read raw (no ORM, no type processing) in batches: about 30 µs an event. ``anchor`` is a
    (seq, hash) kept outside the system (``flask audit head``): the chain must still have that hash there,
    which also catches a rewrite of the whole tail with recomputed hashes.
    """
    expected_seq, prev, count, last_seq = 1, GENESIS, 0, 0
    loads, dumps, sha256 = json.loads, json.dumps, hashlib.sha256
    anchor_seq, anchor_hash = anchor if anchor else (None, None)
    while True:
        rows = session.execute(_VERIFY_SQL, {"start": expected_seq, "batch": batch}).all()
        if not rows:
            break
        for seq, occurred_at, actor_id, actor_name, kind, instance_id, task_id, payload, prev_hash, own in rows:
            count += 1
            if seq != expected_seq:
                return VerifyResult(False, count, expected_seq, f"event {expected_seq} is missing")
            if prev_hash != prev:
                return VerifyResult(False, count, seq, "previous-hash link broken (event deleted, reordered or forged)")
            if isinstance(payload, (str, bytes)):
                payload = loads(payload)
            body = [seq, _iso_raw(occurred_at), actor_id, actor_name, kind, instance_id, task_id, payload, prev_hash]
            digest = sha256(
                dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")
            ).hexdigest()
            if digest != own:
                return VerifyResult(False, count, seq, "content does not match its hash (event edited)")
            if seq == anchor_seq and own != anchor_hash:
                return VerifyResult(False, count, seq, "the event differs from the chain head kept outside the system")
            prev, expected_seq, last_seq = own, seq + 1, seq
    if anchor_seq is not None and last_seq < anchor_seq:
        return VerifyResult(False, count, last_seq + 1, "the chain is shorter than the head kept outside the system")
    head = session.execute(_READ_HEAD).first()
    head_seq, head_hash = tuple(head) if head else (0, GENESIS)
    if (head_seq, head_hash) != (last_seq, prev):
        bad = last_seq + 1 if head_seq > last_seq else head_seq or 1
        return VerifyResult(
            False,
            count,
            bad,
            "chain head does not match the last event (events removed or added at the end)",
            head_seq,
            head_hash,
        )
    return VerifyResult(True, count, None, None, head_seq, head_hash)


def head(session) -> dict:
    row = session.execute(_READ_HEAD).first()
    return {"seq": row.seq if row else 0, "hash": row.hash if row else GENESIS, "at": _iso(clock.now())}
