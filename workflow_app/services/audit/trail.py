"""The tamper-evident audit trail: appending events, sealing them into one hash chain, verifying, the head.

Appending takes no lock. A command inserts its events with their content hash (SHA-256 over a canonical JSON
of time, actor, kind, instance, task and payload) and, on PostgreSQL, its transaction id (``xid``); ``seq``
comes from the database (an identity; values are unique and ordered by when they were drawn, not by commit).

Sealing chains them. One sequencer at a time (``seal``, run by every scheduler process; the ``audit_head``
row is taken ``FOR UPDATE SKIP LOCKED``, so a second scheduler is a failover, not a second chain) appends
seal rows: position ``pos`` (1, 2, 3, ... without gaps), the event's seq and content hash, the previous
seal's hash and its own hash over all four. It chains only events of finished transactions: those whose
``xid`` lies below the oldest transaction still running (``pg_snapshot_xmin`` of its snapshot), in
``(xid, seq)`` order after the last sealed one; a transaction still running has an xid at or above that
horizon, and every later one a larger xid, so nothing can ever appear before what is sealed. On SQLite the
sequencer holds the write lock (``BEGIN IMMEDIATE``) while it reads, so every committed event is final
(xid 0, in seq order). A batch is one transaction: a sequencer killed mid-batch leaves nothing, and the
unique event reference and the head lock make a second seal of an event impossible.

Verifying walks the seals in position order: every link, every sealed event present with the content
sealed for it, no event added behind the sequencer (unsealed although below its cursor). Events not yet
sealed are checked against their own hash and counted; the answer says up to which position and time the
trail is sealed. The head (position, hash) exported with ``flask audit head`` and kept elsewhere is checked
when given: a rewrite of the whole trail with recomputed hashes then shows.

Neighbours: reading the trail (search, history, export) is ``queries``; showing an event to a person
``readable``; the sealing thread ``sequencer``. Only this module writes ``audit_event`` rows.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

from sqlalchemy import bindparam, func, insert, literal_column, select, text, tuple_, update

from ...engine import clock
from ...models import AuditEvent, AuditHead, AuditSeal

GENESIS = "0" * 64
SEAL_BATCH = 5000

_HEAD = AuditHead.__table__
_EVENT = AuditEvent.__table__
_SEAL = AuditSeal.__table__
_dumps = json.dumps
_sha256 = hashlib.sha256


def canonical(ev: dict) -> bytes:
    """The bytes an event's hash covers: everything it says, in a fixed order (its seq is covered by its seal)."""
    body = [
        ev["occurred_at"],
        ev["actor_id"],
        ev["actor_name"],
        ev["kind"],
        ev["instance_id"],
        ev["task_id"],
        ev["payload"],
    ]
    return _dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")


def event_hash(ev: dict) -> str:
    return _sha256(canonical(ev)).hexdigest()


def seal_hash(prev: str, pos: int, seq: int, event_digest: str) -> str:
    return _sha256(f"{prev}|{pos}|{seq}|{event_digest}".encode("ascii")).hexdigest()


def _iso(dt) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- appending: no lock, one statement -----------------------------------------------------------------

# One INSERT for all of a command's events, built once: a list of parameter sets with RETURNING runs as one
# statement with a VALUES row per event (SQLAlchemy's "insertmanyvalues"), and its compiled form is cached. An
# ``insert().values(rows)`` with the rows in it was one statement too, but a new one each time: SQLAlchemy
# compiles such a statement at every execution (no cache key), ~1/3 of the cost of appending.
# On PostgreSQL each row takes its transaction id from the server; SQLite's column default is 0.
_APPEND = {
    "postgresql": insert(_EVENT)
    .values(xid=literal_column("pg_current_xact_id()::text::bigint"))
    .returning(_EVENT.c.seq),
    "sqlite": insert(_EVENT).returning(_EVENT.c.seq),
}


def append(session, events: list[dict]) -> None:
    """Insert ``events`` in the caller's transaction, each with its content hash (sealed later)."""
    if not events:
        return
    conn = session.connection()
    now = clock.now()
    occurred = _iso(now)
    rows = []
    for ev in events:
        payload = json.loads(_dumps(ev["payload"], ensure_ascii=False, default=str))  # what is stored is hashed
        row = {
            "occurred_at": now,
            "actor_id": ev["actor_id"],
            "actor_name": ev["actor_name"],
            "actor_org_id": ev["actor_org_id"],
            "kind": ev["kind"],
            "instance_id": ev["instance_id"],
            "process_id": ev["process_id"],
            "business_key": ev["business_key"],
            "task_id": ev["task_id"],
            "payload": payload,
        }
        row["hash"] = event_hash({**row, "occurred_at": occurred})
        rows.append(row)
    conn.execute(_APPEND[conn.dialect.name], rows)


# --- sealing: the sequencer -----------------------------------------------------------------------------

_LOCK_HEAD = (
    select(_HEAD.c.seq, _HEAD.c.hash, _HEAD.c.cursor_xid, _HEAD.c.cursor_seq)
    .where(_HEAD.c.id == 1)
    .with_for_update(skip_locked=True)
)
_HORIZON = text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
_UNSEALED = (
    select(_EVENT.c.xid, _EVENT.c.seq, _EVENT.c.hash)
    .where(
        tuple_(_EVENT.c.xid, _EVENT.c.seq) > tuple_(bindparam("cursor_xid"), bindparam("cursor_seq")),
        _EVENT.c.xid < bindparam("horizon"),
    )
    .order_by(_EVENT.c.xid, _EVENT.c.seq)
    .limit(bindparam("batch"))
)
_INSERT_SEALS = insert(_SEAL)
_MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(
        seq=bindparam("new_pos"),
        hash=bindparam("new_hash"),
        cursor_xid=bindparam("new_xid"),
        cursor_seq=bindparam("new_seq"),
        sealed_at=bindparam("at"),
    )
)


def seal(session, batch: int = SEAL_BATCH) -> int:
    """Chain the next events of finished transactions (at most ``batch``) in the session's current write
    transaction; the caller commits. Returns how many were sealed (0 also when another sequencer is at work)."""
    conn = session.connection()
    head = conn.execute(_LOCK_HEAD).first()
    if head is None:  # another sequencer holds the head
        return 0
    pos, prev, cursor_xid, cursor_seq = head
    horizon = conn.execute(_HORIZON).scalar_one() if conn.dialect.name == "postgresql" else 1
    rows = conn.execute(
        _UNSEALED, {"cursor_xid": cursor_xid, "cursor_seq": cursor_seq, "horizon": horizon, "batch": batch}
    ).all()
    if not rows:
        return 0
    now = clock.now()
    seals = []
    for _xid, seq, digest in rows:
        pos += 1
        own = seal_hash(prev, pos, seq, digest)
        seals.append({"pos": pos, "event_seq": seq, "event_hash": digest, "prev_hash": prev, "hash": own})
        prev = own
    conn.execute(_INSERT_SEALS, seals)
    last_xid, last_seq, _ = rows[-1]
    conn.execute(_MOVE_HEAD, {"new_pos": pos, "new_hash": prev, "new_xid": last_xid, "new_seq": last_seq, "at": now})
    return len(seals)


# --- verifying --------------------------------------------------------------------------------------------


@dataclass
class VerifyResult:
    ok: bool
    events: int
    first_bad: int | None = None
    reason: str | None = None
    head_seq: int = 0
    head_hash: str = GENESIS
    sealed_at: str | None = None
    unsealed: int = 0

    def as_dict(self):
        return {
            "ok": self.ok,
            "events": self.events,
            "first_bad": self.first_bad,
            "reason": self.reason,
            "head": {"seq": self.head_seq, "hash": self.head_hash},
            "sealed": {"events": self.head_seq, "at": self.sealed_at},
            "unsealed": self.unsealed,
        }


_EVENT_COLUMNS = (
    "occurred_at, actor_id, actor_name, kind, instance_id, task_id, payload, hash"  # raw: no type processing
)
_SEALED_PAGE = text(
    "SELECT s.pos, s.event_seq, s.event_hash, s.prev_hash, s.hash, e.seq, "
    + ", ".join(f"e.{c.strip()}" for c in _EVENT_COLUMNS.split(","))
    + " FROM audit_seal s LEFT JOIN audit_event e ON e.seq = s.event_seq"
    " WHERE s.pos >= :start ORDER BY s.pos LIMIT :batch"
)
_UNSEALED_EVENTS = text(
    "SELECT e.xid, e.seq, "
    + ", ".join(f"e.{c.strip()}" for c in _EVENT_COLUMNS.split(","))
    + " FROM audit_event e WHERE NOT EXISTS (SELECT 1 FROM audit_seal s WHERE s.event_seq = e.seq)"
    " ORDER BY e.xid, e.seq"
)
_READ_HEAD = select(_HEAD.c.seq, _HEAD.c.hash, _HEAD.c.cursor_xid, _HEAD.c.cursor_seq, _HEAD.c.sealed_at).where(
    _HEAD.c.id == 1
)
_COUNT_EVENTS = select(func.count()).select_from(_EVENT)


def _iso_raw(value) -> str:
    """The canonical time text of a raw column value: SQLite's stored text or the driver's datetime."""
    if isinstance(value, str):  # SQLite: 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC, as stored by UTCDateTime)
        return value.replace(" ", "T", 1) + ("Z" if len(value) == 26 else ".000000Z" if len(value) == 19 else "Z")
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return _iso(value)


def _content_hash(occurred_at, actor_id, actor_name, kind, instance_id, task_id, payload) -> str:
    if isinstance(payload, (str, bytes)):
        payload = json.loads(payload)
    body = [_iso_raw(occurred_at), actor_id, actor_name, kind, instance_id, task_id, payload]
    return _sha256(
        _dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")
    ).hexdigest()


def verify(session, batch: int = 10000, anchor: tuple[int, str] | None = None) -> VerifyResult:
    """Walk the seals in position order, then the events not sealed yet; report the first event that breaks
    the trail (by its seq). ``anchor`` is a (position, hash) kept outside the system (``flask audit head``)."""
    head = session.execute(_READ_HEAD).first()
    head_pos, head_hash, cursor_xid, cursor_seq, sealed_at = tuple(head) if head else (0, GENESIS, 0, 0, None)
    sealed_at_text = _iso(sealed_at.astimezone(UTC)) if sealed_at is not None else None
    total = session.execute(_COUNT_EVENTS).scalar_one()

    def bad(first, reason):
        return VerifyResult(False, total, first, reason, head_pos, head_hash, sealed_at_text)

    expected, prev, last_seq = 1, GENESIS, None
    anchor_pos, anchor_hash = anchor if anchor else (None, None)
    while True:
        rows = session.execute(_SEALED_PAGE, {"start": expected, "batch": batch}).all()
        if not rows:
            break
        for pos, seq, digest, prev_hash, own, present, *content in rows:
            if pos != expected:
                return bad(seq, f"seal {expected} is missing before event {seq} (sealed events removed)")
            if prev_hash != prev or own != seal_hash(prev, pos, seq, digest):
                return bad(seq, "seal link broken (a sealed event deleted, reordered or forged)")
            if present is None:
                return bad(seq, f"event {seq} is missing (deleted after it was sealed)")
            if _content_hash(*content[:-1]) != digest:
                return bad(seq, "content does not match the hash sealed for it (event edited, reordered or forged)")
            if pos == anchor_pos and own != anchor_hash:
                return bad(seq, "the trail differs from the head kept outside the system")
            prev, expected, last_seq = own, pos + 1, seq
    sealed = expected - 1
    if anchor_pos is not None and sealed < anchor_pos:
        return bad(last_seq, "the trail is shorter than the head kept outside the system")
    if (head_pos, head_hash) != (sealed, prev):
        return bad(last_seq, "the head does not match the last seal (seals removed or added at the end)")
    unsealed = 0
    for xid, seq, *content in session.execute(_UNSEALED_EVENTS):
        if (xid, seq) <= (cursor_xid, cursor_seq):
            return bad(seq, "the event was added behind the sequencer (forged or moved: never sealed)")
        if _content_hash(*content[:-1]) != content[-1]:
            return bad(seq, "content does not match its hash (event edited before it was sealed)")
        unsealed += 1
    return VerifyResult(True, total, None, None, head_pos, head_hash, sealed_at_text, unsealed)


def head(session) -> dict:
    row = session.execute(_READ_HEAD).first()
    sealed_at = row.sealed_at if row else None
    return {
        "seq": row.seq if row else 0,
        "hash": row.hash if row else GENESIS,
        "at": _iso(clock.now()),
        "sealed_at": _iso(sealed_at.astimezone(UTC)) if sealed_at is not None else None,
    }
