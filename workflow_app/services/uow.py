"""The unit of work: one command, one database transaction.

``with UnitOfWork() as uow:`` opens a write transaction (``BEGIN IMMEDIATE`` on SQLite, so writers queue
instead of failing on a stale snapshot), lets the command record audit events with ``uow.record``, and on
``uow.commit()`` appends those events to the hash chain and commits. Leaving the block without committing
rolls everything back. A concurrent change to an instance (optimistic ``lock_version``) surfaces as
``Conflict``. Work that must happen only after a successful commit (e-mail) goes to ``uow.after_commit``.
"""
import contextvars
import logging

from flask import has_request_context

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from . import audit
from .errors import Conflict

log = logging.getLogger(__name__)
_write_intent = contextvars.ContextVar("write_intent", default=False)


def install_sqlite_pragmas(engine):
    """WAL, a busy timeout, foreign keys, reads through a shared memory map (up to 256 MiB, so every
    connection of a worker reads the same cached pages instead of its own 2 MB page cache), and our own
    BEGIN so write commands can BEGIN IMMEDIATE."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA mmap_size=268435456")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")
        conn.info["changes_at_begin"] = conn.connection.dbapi_connection.total_changes


def _upgrade_sqlite_read(session) -> bool:
    """Turn the request's SQLite read transaction into the command's write transaction on the same
    connection (no pool round trip): end the read snapshot, take the write lock. Only when the read
    transaction wrote nothing; otherwise the caller rolls back as usual."""
    if session.new or session.dirty or session.deleted:
        return False
    conn = session.connection()
    if conn.dialect.name != "sqlite" or conn.info.get("changes_at_begin") is None:
        return False
    if conn.connection.dbapi_connection.total_changes != conn.info["changes_at_begin"]:
        return False
    conn.exec_driver_sql("ROLLBACK")
    conn.exec_driver_sql("BEGIN IMMEDIATE")
    return True


class UnitOfWork:
    def __init__(self, actor=None):
        self.actor = actor
        self.events: list[dict] = []
        self._after: list = []
        # instance id -> its open HumanTask rows after this command, as the projection left them
        self.open_tasks: dict[int, list] = {}
        self.session = db.session
        self._token = None

    def __enter__(self):
        # Finish any read transaction the request already has and start the write transaction; what
        # was loaded before is expired, so the command reads fresh rows.
        self._token = _write_intent.set(True)
        session = self.session()
        if session.in_transaction():
            if _upgrade_sqlite_read(session):
                if session.identity_map:
                    session.expire_all()
            else:
                session.rollback()  # expires everything loaded
        elif session.identity_map:
            session.expire_all()  # e.g. after a commit that kept its objects loaded (see commit)
        session.connection()
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            self.session.rollback()  # a no-op after commit()
        finally:
            _write_intent.reset(self._token)
            self.events.clear()
        if isinstance(exc, StaleDataError):
            raise Conflict("the record was changed by someone else at the same time; reload and try again") from exc
        if isinstance(exc, OperationalError) and "locked" in str(exc).lower():
            raise Conflict("the database is busy; try again") from exc
        return False

    def record(self, kind: str, *, instance=None, task_id=None, payload=None, actor=None, task=None):
        """Queue an audit event; it is chained and written at commit, in this transaction.

        ``instance`` and ``task`` may be objects not flushed yet: their ids are read at commit.
        """
        actor = actor or self.actor
        self.events.append({
            "kind": kind,
            "actor_id": getattr(actor, "user_id", None),
            "actor_name": getattr(actor, "username", None) or "system",
            "actor_org_id": getattr(actor, "org_id", None),
            "_instance": instance,
            "_task": task,
            "task_id": task_id,
            "payload": payload or {},
        })

    def _resolve_events(self) -> list[dict]:
        resolved = []
        for ev in self.events:
            ev = dict(ev)
            instance, task = ev.pop("_instance"), ev.pop("_task")
            ev["instance_id"] = getattr(instance, "id", None)
            ev["process_id"] = getattr(instance, "process_id", None)
            ev["business_key"] = getattr(instance, "business_key", None)
            if task is not None:
                ev["task_id"] = task.id
            resolved.append(ev)
        return resolved

    def after_commit(self, fn):
        self._after.append(fn)

    def flush(self):
        try:
            self.session.flush()
        except StaleDataError as exc:
            raise Conflict("the record was changed by someone else at the same time; reload and try again") from exc

    def commit(self):
        try:
            self.session.flush()
            audit.append(self.session, self._resolve_events())
            session = self.session()  # the real Session behind the scoped proxy
            # A request's session ends with the request: what the command wrote stays loaded for the
            # response instead of being read back. Elsewhere (scheduler loop, CLI) a commit expires as usual.
            session.expire_on_commit = not has_request_context()
            try:
                session.commit()
            finally:
                session.expire_on_commit = True
        except StaleDataError as exc:
            self.session.rollback()
            raise Conflict("the record was changed by someone else at the same time; reload and try again") from exc
        except IntegrityError:
            self.session.rollback()
            raise
        self.events.clear()
        after, self._after = self._after, []
        for fn in after:
            try:
                fn()
            except Exception:  # a failed notification must not undo a committed decision
                log.exception("after-commit action failed")
