"""Prebuilt Core statements run straight on the SQLite driver.

Every command runs the same few statements (the token's actor, the task and instance rows it writes, the
audit chain). Through ``Connection.execute`` each costs SQLAlchemy about 70 µs of bookkeeping on top of
SQLite's own work: an execution context, parameter processing, a result object. Together that was about a
tenth of a completed instance. ``run`` compiles such a statement once per parameter shape with SQLAlchemy
and then hands the SQL and the parameters, converted by SQLAlchemy's own bind processors (dates, JSON,
booleans), to the sqlite3 connection of the same transaction.

It falls back to ``Connection.execute`` whenever the shortcut would change anything observable: another
database, statement events or SQL logging switched on (tests and debugging see every statement), result
columns whose values SQLAlchemy would convert, or parameters expanded at execution time. Driver errors
are raised as SQLAlchemy's exceptions, as ``Connection.execute`` raises them. Only for statements built
once (module constants or cached by shape): the compiled forms are kept per statement object.
"""

import sqlite3

from sqlalchemy.exc import DBAPIError

_compiled: dict = {}  # (statement, parameter names) -> (compiled, [(name, bind processor)]) or _NOT_DIRECT
_NOT_DIRECT = object()  # its results or parameters need SQLAlchemy: always Connection.execute
_MAX_SHAPES = 1024  # statements built once: a guard, not a cache size that is expected to be reached


def run(connection, statement, params=None, *, many: bool = False):
    """Execute ``statement`` with ``params`` (a dict, or with ``many`` a list of dicts of the same keys).

    Returns a cursor-like result: ``rowcount``, ``fetchone()``, ``fetchall()``, rows indexed by position.
    """
    params = params if params is not None else ({} if not many else [])
    if connection.dialect.name != "sqlite" or _observed(connection) or (many and not params):
        return connection.execute(statement, params)
    first = params[0] if many else params
    key = (statement, tuple(first))
    entry = _compiled.get(key)
    if entry is None:
        entry = _compile(connection.dialect, statement, first)
        if len(_compiled) >= _MAX_SHAPES:
            _compiled.clear()
        _compiled[key] = entry
    if entry is _NOT_DIRECT:
        return connection.execute(statement, params)
    compiled, processors = entry

    def positional(values):
        full = compiled.construct_params(values, escape_names=False)
        return [process(full[name]) if process else full[name] for name, process in processors]

    dbapi_connection = connection.connection.dbapi_connection
    try:
        if many:
            return dbapi_connection.executemany(compiled.string, [positional(values) for values in params])
        return dbapi_connection.execute(compiled.string, positional(params))
    except sqlite3.Error as exc:
        raise DBAPIError.instance(compiled.string, params, exc, sqlite3.Error, dialect=connection.dialect) from exc


def _observed(connection) -> bool:
    """Someone listens for statements (tests, instrumentation) or SQL is logged: they must see this one."""
    events = connection.dispatch
    return bool(
        connection._echo
        or events.before_execute
        or events.after_execute
        or events.before_cursor_execute
        or events.after_cursor_execute
    )


def _compile(dialect, statement, params):
    compiled = statement.compile(dialect=dialect, column_keys=list(params))
    if not compiled.positional or compiled.literal_execute_params or compiled.post_compile_params:
        return _NOT_DIRECT
    for column in compiled._result_columns:  # values SQLAlchemy would convert on the way out
        if column.type._cached_result_processor(dialect, None) is not None:
            return _NOT_DIRECT
    bind = compiled._bind_processors
    return compiled, [(name, bind.get(name)) for name in compiled.positiontup]
