"""The unit of work: one command, one database transaction.

``with UnitOfWork() as uow:`` opens a write transaction (``BEGIN IMMEDIATE`` on SQLite, so writers queue
instead of failing on a stale snapshot), lets the command record audit events with ``uow.record``, and on
``uow.commit()`` appends those events to the hash chain and commits. Leaving the block without committing
rolls everything back. A concurrent change to an instance (optimistic ``lock_version``) surfaces as
``Conflict``. Work that must happen only after a successful commit (e-mail) goes to ``uow.after_commit``.
The rows every engine step writes (instance state, task projection) go through ``uow.insert`` and
``uow.update``: prebuilt statements that leave the objects as a flush would, at a fraction of its cost.
"""

import contextvars
import logging
import sqlite3

from flask import has_request_context
from sqlalchemy import bindparam, event, insert, inspect, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, make_transient, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from . import audit, statements
from .errors import Conflict

log = logging.getLogger(__name__)
_write_intent = contextvars.ContextVar("write_intent", default=False)


def install_sqlite_pragmas(engine):
    """WAL, a busy timeout, foreign keys, reads through a shared memory map (up to 256 MiB, so every
    connection of a worker reads the same cached pages instead of its own 2 MB page cache), and our own
    BEGIN so write commands can BEGIN IMMEDIATE.

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
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA mmap_size=268435456")
        cursor.execute("PRAGMA wal_autocheckpoint=10000")
        cursor.execute("PRAGMA journal_size_limit=67108864")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        dbapi_connection = conn.connection.dbapi_connection
        _transaction_control(dbapi_connection, "BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")
        conn.info["changes_at_begin"] = dbapi_connection.total_changes


def _transaction_control(dbapi_connection, *statements):
    """BEGIN / ROLLBACK straight on the driver's connection: every request runs several of these and they
    need nothing of SQLAlchemy's statement machinery (a tenth of the cost). A write lock not obtained within
    the busy timeout surfaces as SQLAlchemy's OperationalError, as any statement's would (a 409 "busy")."""
    for statement in statements:
        try:
            dbapi_connection.execute(statement)
        except sqlite3.OperationalError as exc:
            raise OperationalError(statement, (), exc) from exc


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
    _transaction_control(conn.connection.dbapi_connection, "ROLLBACK", "BEGIN IMMEDIATE")
    return True


_statements: dict = {}  # per mapper, built once: the INSERT and UPDATE statements and the columns they bind


# Rows inserted by UnitOfWork.insert are attached as already persistent, so the session would keep them
# after a rollback of their (sub)transaction, when their rows are gone. As the ORM does for rows it
# flushed itself, a rollback forgets them; a commit keeps them.
@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back_rows(session, rolled_back):
    inserted = session.info.get("inserted_rows")
    if not inserted:
        return
    kept = []
    for transaction, obj in inserted:
        inside = transaction
        while inside is not None and inside is not rolled_back:
            inside = inside.parent
        if inside is None:
            kept.append((transaction, obj))
        elif obj in session:
            session.expunge(obj)
            make_transient(obj)
    session.info["inserted_rows"] = kept


@event.listens_for(Session, "after_commit")
def _keep_committed_rows(session):
    if session.get_nested_transaction() is None:  # the transaction committed, not only a savepoint
        session.info.pop("inserted_rows", None)


def _insert_columns(mapper):
    """(attribute, column) of the table's own columns (not SQL expressions such as a column_property)."""
    key = ("columns", mapper)
    if key not in _statements:
        table = mapper.local_table
        _statements[key] = [
            (prop.key, prop.columns[0])
            for prop in mapper.column_attrs
            if prop.columns[0].table is table and not prop.columns[0].primary_key
        ]
    return _statements[key]


def _insert_statement(mapper):
    key = ("insert", mapper)
    if key not in _statements:
        table = mapper.local_table
        _statements[key] = insert(table).returning(mapper.primary_key[0], sort_by_parameter_order=True)
    return _statements[key]


def _update_statement(mapper, keys: tuple, expect: tuple):
    key = ("update", mapper, keys, expect)
    if key not in _statements:
        table = mapper.local_table
        columns = {prop.key: prop.columns[0] for prop in mapper.column_attrs}
        where = [mapper.primary_key[0] == bindparam("pk")]
        where += [columns[k] == bindparam(f"e_{k}", type_=columns[k].type) for k in expect]
        _statements[key] = (
            update(table).where(*where).values({columns[k]: bindparam(f"v_{k}", type_=columns[k].type) for k in keys})
        )
    return _statements[key]


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
        try:
            if session.in_transaction():
                if _upgrade_sqlite_read(session):
                    if session.identity_map:
                        session.expire_all()
                else:
                    session.rollback()  # expires everything loaded
            elif session.identity_map:
                session.expire_all()  # e.g. after a commit that kept its objects loaded (see commit)
            session.connection()
        except OperationalError as exc:  # no write lock within the busy timeout (SQLite)
            _write_intent.reset(self._token)
            session.rollback()
            if "locked" in str(exc).lower():
                raise Conflict("the database is busy; try again") from exc
            raise
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
            ev["instance_id"] = getattr(instance, "id", None)
            ev["process_id"] = getattr(instance, "process_id", None)
            ev["business_key"] = getattr(instance, "business_key", None)
            if task is not None:
                ev["task_id"] = task.id
            resolved.append(ev)
        return resolved

    def after_commit(self, fn):
        self._after.append(fn)

    # --- rows every command writes, without the ORM's flush ----------------------------------------------
    # Completing a task writes its instance's state, the task and the next task rows. Through the ORM's
    # flush that cost more than running the engine; these write the same rows with prebuilt statements and
    # leave the objects in the session exactly as if they had been flushed and read back.

    def insert(self, objects: list) -> None:
        """INSERT new (transient) objects of one model with one statement; they become persistent, with their
        ids, and every column set (defaults applied here, so nothing is read back)."""
        if not objects:
            return
        mapper = inspect(objects[0]).mapper
        columns = _insert_columns(mapper)
        params, defaults = [], []  # per object: the row's values by column; what the object did not set
        for obj in objects:
            values = inspect(obj).dict
            row, missing = {}, {}
            for key, column in columns:
                if key in values:
                    row[column.key] = values[key]
                    continue
                if column.default is None:
                    missing[key] = None
                else:
                    missing[key] = column.default.arg(None) if column.default.is_callable else column.default.arg
                row[column.key] = missing[key]
            params.append(row)
            defaults.append(missing)
        connection = self.session.connection()
        if len(params) == 1:  # nearly always: one row, straight to the driver
            ids = [row[0] for row in statements.run(connection, _insert_statement(mapper), params[0]).fetchall()]
        else:
            ids = connection.execute(_insert_statement(mapper), params).scalars().all()
        if len(ids) != len(objects):
            raise RuntimeError("INSERT ... RETURNING gave fewer ids than rows")
        id_key = mapper.get_property_by_column(mapper.primary_key[0]).key
        session = self.session()
        transaction = session.get_nested_transaction() or session.get_transaction()
        inserted = session.info.setdefault("inserted_rows", [])
        for obj, missing, new_id in zip(objects, defaults, ids, strict=True):
            for key, value in missing.items():
                set_committed_value(obj, key, value)
            set_committed_value(obj, id_key, new_id)
            make_transient_to_detached(obj)  # what the object holds now counts as loaded, as after a flush
            session.add(obj)
            inserted.append((transaction, obj))

    def update(self, obj, values: dict, *, expect: dict | None = None) -> None:
        """UPDATE one persistent object's row by primary key (and, with ``expect``, only while those columns
        still hold the given values: else ``Conflict``), and set the values on the object as committed."""
        mapper = inspect(obj).mapper
        params = {f"v_{key}": value for key, value in values.items()}
        params.update({f"e_{key}": value for key, value in (expect or {}).items()})
        params["pk"] = inspect(obj).identity[0]
        statement = _update_statement(mapper, tuple(values), tuple(expect or ()))
        if statements.run(self.session.connection(), statement, params).rowcount != 1:
            raise Conflict("the record was changed by someone else at the same time; reload and try again")
        for key, value in values.items():
            set_committed_value(obj, key, value)

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
