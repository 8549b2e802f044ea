"""The unit of work: one command, one database transaction.

``with UnitOfWork() as uow:`` opens a write transaction (``BEGIN IMMEDIATE`` on SQLite, so writers queue
instead of failing on a stale snapshot), lets the command record audit events with ``uow.record``, and on
``uow.commit()`` flushes what the command changed through the ORM, appends the audit events and commits.
Leaving the block without committing undoes everything: a ROLLBACK, or, when the command only read (a refusal
after its checks), a COMMIT of nothing, which keeps psycopg's prepared statements. A concurrent change to an instance (the
mapper's optimistic ``lock_version``) surfaces as ``Conflict``. Work that must happen only after a
successful commit (e-mail, waking the scheduler) goes to ``uow.after_commit``.

Entering it expires what the request loaded, so the command reads fresh rows (on SQLite it also ends the
request's read transaction; on PostgreSQL at READ COMMITTED that transaction simply continues as the
command's); a commit expires as SQLAlchemy's sessions do by default, everywhere, except the objects the command
answers with (``uow.commit(keep=...)``): they keep what the transaction wrote, and the answer reads nothing back.

Outside a unit of work a web or API request only reads (``begin_request_reads``, run before every request):
on PostgreSQL those statements run without a transaction of their own (AUTOCOMMIT). At READ COMMITTED every
statement sees what is committed when it starts, inside a transaction or not, so a reader sees the same; what
goes is a BEGIN and a ROLLBACK round trip around the request's reads. A write there would be committed on the spot, so it is refused instead
(``WriteOutsideCommand``, on every database): state changes only through a unit of work.
"""

import contextlib
import contextvars
import logging

from sqlalchemy import CursorResult, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from .audit import trail
from .errors import Conflict, ServiceError

log = logging.getLogger(__name__)
_write_intent = contextvars.ContextVar("write_intent", default=False)
STALE = "the record was changed by someone else at the same time; reload and try again"
BUSY = "the database is busy; try again"


def install_sqlite_pragmas(engine):
    """WAL, a busy timeout, foreign keys, reads through a shared memory map (up to 256 MiB, so every
    connection of a worker reads the same cached pages instead of its own 2 MB page cache), and our own
    BEGIN so write commands can BEGIN IMMEDIATE (SQLAlchemy's documented recipe for pysqlite).

    The WAL is checkpointed into the database every 10,000 pages instead of SQLite's 1,000: a command
    rewrites the same hot index pages, so a larger interval copies each of them once instead of ten times,
    and the commit that happens to run the checkpoint stalls a tenth as often (it was 40% of COMMIT's cost).
    The file is cut back to 64 MiB after a checkpoint."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "busy_timeout=30000",
            "foreign_keys=ON",
            "synchronous=NORMAL",
            "mmap_size=268435456",
            "wal_autocheckpoint=10000",
            "journal_size_limit=67108864",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


class WriteOutsideCommand(RuntimeError):
    """A request wrote through the session outside a unit of work (a programming error)."""


_READS = "reads_outside_commands"
_AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}


def begin_request_reads():
    """Before a request: its statements outside a unit of work only read (see the module's docstring). A
    session already in a transaction (a test's, sharing its application context) is left as it is."""
    session = db.session()
    if not session.in_transaction():
        _start_reads(session)


def end_request_reads(_exc=None):
    """After a request (before its application context ends the session): leave the read mode, so that a
    context that outlives the request (a test's, a CLI's) goes on with ordinary transactions. Nothing was
    written in it, so the rollback undoes nothing and, in autocommit, sends nothing."""
    session = db.session()
    if session.info.pop(_READS, None):
        with contextlib.suppress(SQLAlchemyError):  # a lost connection: the session's own end deals with it
            session.rollback()


def _start_reads(session):
    if session.get_bind().dialect.name == "postgresql":
        # The session's transaction gets a pooled connection in autocommit; the pool sets the connection
        # back to its default isolation level when it returns (a client-side setting of psycopg: no round trip).
        try:
            session.connection(execution_options=_AUTOCOMMIT)
        except SQLAlchemyError:  # no connection now: the request's first statement meets (and answers) that
            with contextlib.suppress(SQLAlchemyError):
                session.rollback()
            return
    session.info[_READS] = True


@event.listens_for(Session, "before_flush")
def _refuse_flush_outside_command(session, _context, _instances):
    if session.info.get(_READS) and (session.new or session.dirty or session.deleted):
        raise WriteOutsideCommand("changes are flushed only in a unit of work")


def _continues(session) -> bool:
    """May the session's open transaction become the command's? Only on PostgreSQL at READ COMMITTED (no
    snapshot held across statements) and when nothing was written in it through the session (a flush, or a
    statement other than a SELECT: see the two listeners below); otherwise it is rolled back first."""
    if session.new or session.dirty or session.deleted or session.info.get(_WROTE):
        return False
    connection = session.connection()
    # default_isolation_level is what the connection was opened with (nothing here changes it per
    # connection); get_isolation_level() would ask the server, a round trip in every command.
    return connection.dialect.name == "postgresql" and connection.default_isolation_level == "READ COMMITTED"


_WROTE = "wrote_in_transaction"


@event.listens_for(Session, "after_flush")
def _flushed(session, _context):
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state):
    if not state.is_select:  # an UPDATE, DELETE, INSERT or textual statement through the session
        if state.session.info.get(_READS) and (state.is_insert or state.is_update or state.is_delete):
            raise WriteOutsideCommand("INSERT, UPDATE and DELETE run only in a unit of work")
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _ended(session, transaction):
    if transaction.parent is None:
        session.info.pop(_WROTE, None)
        session.info.pop(_READS, None)


def _loaded_values(obj) -> tuple[object, dict]:
    """The mapped attributes of ``obj`` as the session holds them now (after a flush: what was written)."""
    state = inspect(obj)
    loaded = state.dict
    return obj, {prop.key: loaded[prop.key] for prop in state.mapper.attrs if prop.key in loaded}


_statements = contextvars.ContextVar[list | None]("statements_in_command", default=None)


@event.listens_for(Engine, "before_cursor_execute")
def _count_writes(_conn, _cursor, _statement, _parameters, context, _executemany):
    """In a unit of work: note every statement that is not a compiled SELECT (textual SQL counts as a write)."""
    seen = _statements.get()
    if seen is not None:
        compiled = getattr(context, "compiled", None)
        seen.append(compiled is not None and compiled.statement.is_select)


def _busy(exc: OperationalError) -> bool:
    return "locked" in str(exc).lower()


def rows_changed(statement) -> int:
    """Run an UPDATE or DELETE (without RETURNING) in the current transaction; how many rows it changed."""
    result = db.session.execute(statement)
    if not isinstance(result, CursorResult):  # the ORM answers every such statement with a CursorResult
        raise TypeError("rows_changed runs an UPDATE or DELETE without RETURNING")
    return result.rowcount


class UnitOfWork:
    def __init__(self, actor=None):
        self.actor = actor
        self.events: list[dict] = []
        self._after: list = []
        self._before: list = []
        # instance id -> its open HumanTask rows after this command, as the projection left them
        self.open_tasks: dict[int, list] = {}
        self.info: dict = {}  # per-command notes of the services (e.g. the earliest timer set: timer_wakeups)
        self.session = db.session
        self._token: contextvars.Token[bool] | None = None
        self._reads_only: list[bool] = []  # per statement of this command: was it a SELECT? (_count_writes)
        self._statements_token: contextvars.Token | None = None
        self._reads = False  # was the request reading outside a unit of work (begin_request_reads)?

    def __enter__(self):
        # The command reads fresh rows: what the request loaded before is expired. On PostgreSQL (READ
        # COMMITTED: every statement sees what is committed when it starts) the request's read transaction,
        # if it wrote nothing, simply goes on as the command's: no ROLLBACK, no pool check-in, ping and BEGIN.
        # On SQLite a read transaction holds its snapshot: it ends, and the write transaction begins
        # (BEGIN IMMEDIATE).
        self._token = _write_intent.set(True)
        self._statements_token = _statements.set(self._reads_only)
        session = self.session()
        self._reads = bool(session.info.pop(_READS, None))
        try:
            if session.in_transaction():
                if not self._reads and _continues(session):
                    session.expire_all()
                else:
                    session.rollback()
            session.connection()
        except OperationalError as exc:  # no write lock within the busy timeout (SQLite)
            _write_intent.reset(self._token)
            _statements.reset(self._statements_token)
            session.rollback()
            if _busy(exc):
                raise Conflict(BUSY) from exc
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            session = self.session()
            if (exc is None or isinstance(exc, ServiceError)) and self._wrote_nothing(session):
                # Refused (or left) after reading only: the transaction ends with COMMIT, which is the same as a
                # ROLLBACK when nothing was written, but keeps psycopg's prepared statements (a ROLLBACK makes
                # it forget them all: DEALLOCATE ALL, and a new PREPARE of each at its next uses).
                session.commit()
            else:
                session.rollback()  # a no-op after commit()
            if self._reads:  # the rest of the request (its answer) reads as before the command
                _start_reads(self.session())
        finally:
            if self._token is not None:  # set by __enter__
                _write_intent.reset(self._token)
            if self._statements_token is not None:
                _statements.reset(self._statements_token)
            self.events.clear()
        if isinstance(exc, StaleDataError):
            raise Conflict(STALE) from exc
        if isinstance(exc, OperationalError) and _busy(exc):
            raise Conflict(BUSY) from exc
        return False

    def _wrote_nothing(self, session) -> bool:
        """Is the open transaction one that only read? Every statement of this command was a SELECT, nothing
        was flushed or written through the session, and nothing waits to be flushed."""
        return (
            session.in_transaction()
            and all(self._reads_only)
            and not (session.new or session.dirty or session.deleted or session.info.get(_WROTE))
        )

    def record(self, kind: str, *, instance=None, task_id=None, payload=None, actor=None, task=None):
        """Queue an audit event; it is chained and written at commit, in this transaction.

        ``instance`` and ``task`` may be objects not flushed yet: their ids are read at commit. With a ``task``
        and no ``instance``, the event names the task's case.
        """
        actor = actor or self.actor
        self.events.append(
            {
                "kind": kind,
                "actor_id": getattr(actor, "user_id", None),
                "actor_name": getattr(actor, "username", None) or "system",
                "actor_org_id": getattr(actor, "org_id", None),
                "_instance": instance,
                "_task": task,
                "task_id": task_id,
                "payload": payload or {},
            }
        )

    def _resolve_events(self) -> list[dict]:
        resolved = []
        for ev in self.events:
            ev = dict(ev)
            instance, task = ev.pop("_instance"), ev.pop("_task")
            if instance is None and task is not None:  # a task row carries its case's id, process and number
                ev.update(instance_id=task.instance_id, process_id=task.process_id, business_key=task.business_key)
            else:
                ev["instance_id"] = getattr(instance, "id", None)
                ev["process_id"] = getattr(instance, "process_id", None)
                ev["business_key"] = getattr(instance, "business_key", None)
            if task is not None:
                ev["task_id"] = task.id
            resolved.append(ev)
        return resolved

    def after_commit(self, fn):
        self._after.append(fn)

    def before_commit(self, fn):
        """Run ``fn`` in this transaction after the last flush, just before the audit events and the commit
        (summaries the command adds to: written last, so their rows stay locked for the shortest time)."""
        self._before.append(fn)

    def flush(self):
        try:
            self.session.flush()
        except StaleDataError as exc:
            raise Conflict(STALE) from exc

    def commit(self, keep=()):
        """Flush, append the audit events, commit. ``keep``: objects the command answers with; they keep the
        values this transaction wrote (and read) instead of being expired, so building the answer reads nothing
        back. Everything else is expired as a commit does."""
        try:
            self.session.flush()
            before, self._before = self._before, []
            for fn in before:
                fn()
            trail.append(self.session, self._resolve_events())
            kept = [_loaded_values(obj) for obj in keep]
            self.session.commit()
        except StaleDataError as exc:
            self.session.rollback()
            raise Conflict(STALE) from exc
        except IntegrityError:
            self.session.rollback()
            raise
        for obj, values in kept:
            for key, value in values.items():
                set_committed_value(obj, key, value)
        self.events.clear()
        after, self._after = self._after, []
        for fn in after:
            try:
                fn()
            except Exception:  # a failed notification must not undo a committed decision
                log.exception("after-commit action failed")
