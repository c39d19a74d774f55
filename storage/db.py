"""The engine and the unit of work.

On SQLite, write transactions start `BEGIN IMMEDIATE` and take the engine's writer lock first: SQLite allows one
writer at a time, and a deferred transaction that reads, then writes, can lose a race it cannot see (two clicks
on Accept both reading "open"). Queueing writers on a lock in the process is also faster than SQLite's busy
handler, which sleeps and polls. PostgreSQL needs neither (rows are locked where the domain asks for it), but its
units of work for Slack's requests take turns too, a few at a time (POSTGRES_UNITS_AT_ONCE), so that twenty threads
waiting on the server do not pass the interpreter around among themselves at every round trip.
"""

from __future__ import annotations

import logging
import select
import sqlite3
import threading
import weakref
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlmodel import Session

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


class Turns:
    """At most `at_once` holders at a time, the others served in the order they came: a semaphore that hands a turn
    to the longest waiter when one is given back.

    A plain lock or semaphore lets whichever thread the scheduler wakes first take it, so under a burst one holder can
    wait behind many that came after it (the slowest of twenty concurrent commands waited twice as long as the
    median); here each waits for exactly those ahead of it.
    """

    def __init__(self, at_once: int = 1) -> None:
        self._guard = threading.Lock()
        self._free = at_once
        self._waiting: deque[threading.Lock] = deque()

    def acquire(self) -> None:
        """Wait for the holders ahead, then take a turn."""
        with self._guard:
            if self._free:
                self._free -= 1
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        turn.acquire()  # released by a holder before us, who hands us its turn

    def release(self) -> None:
        """Hand the turn to the next waiting, or leave it free."""
        with self._guard:
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._free += 1


POSTGRES_UNITS_AT_ONCE = 4
"""Units of work on PostgreSQL open at once in a process for Slack's requests (`taking_turns`); the others queue.
Each statement is a round trip, and every wait for the server hands the interpreter to another thread: with twenty
commands in transactions at once, their threads switched ~65 times a command and the slowest acks waited behind the
rest. Four at a time (the round trips of one overlapping the Python of another) served 20 concurrent /act with p99
93-111 ms instead of 160-182 in interleaved runs, and 250-270 commands a second instead of ~210; eight was between
(`benchmarks/ack_latency.py` on PostgreSQL, 2 cores)."""


_writer_locks: weakref.WeakKeyDictionary[Engine, Turns] = weakref.WeakKeyDictionary()
"""SQLite's writers, one at a time."""
_unit_turns: weakref.WeakKeyDictionary[Engine, Turns] = weakref.WeakKeyDictionary()
"""PostgreSQL's units of work, POSTGRES_UNITS_AT_ONCE at a time."""
_current: ContextVar[Session | None] = ContextVar("unit_of_work", default=None)
_taking_turns: ContextVar[bool] = ContextVar("taking_turns", default=False)


def make_engine(url: str, *, busy_timeout_ms: int = 5000, pool_size: int = 10) -> Engine:
    """An engine for `url`; SQLite gets WAL and a busy timeout so readers never block the writer."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
            pool_size=pool_size,
            max_overflow=pool_size,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
            dbapi_conn.isolation_level = None  # the driver's own BEGIN is deferred; we issue ours (below)
            cursor = dbapi_conn.cursor()
            if parsed.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Connection) -> None:
            statement = "BEGIN" if connection.get_execution_options().get("read_only", False) else "BEGIN IMMEDIATE"
            # Straight to the driver: through exec_driver_sql, this one statement cost a third of a small unit of work
            # (an execution context, a cursor and a result for no rows). A failure (the lock not had within the busy
            # timeout) still raises as SQLAlchemy's OperationalError, as every other statement's does.
            try:
                connection.connection.driver_connection.execute(statement)  # type: ignore[union-attr]
            except sqlite3.Error as error:
                raise DBAPIError.instance(statement, None, error, sqlite3.Error, dialect=connection.dialect) from error

        _writer_locks[engine] = Turns()
        return engine
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size)
    event.listen(engine, "checkout", _still_open)
    _unit_turns[engine] = Turns(POSTGRES_UNITS_AT_ONCE)
    return engine


def _still_open(dbapi_conn: Any, _record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
    """Refuse a pooled connection the server has closed (restarted, or a backend terminated), so the pool opens
    a new one instead of a statement failing on it.

    Without a round trip: an idle connection has nothing to read, and the server that ends one says so (an error
    message, then the close), which makes its socket readable. The pool's own pre-ping asked the server `SELECT 1`
    at every unit of work: one trip in seven of an /act's on PostgreSQL, and the wait for it handed the interpreter
    to another thread. A connection that dies without a word (a network gone) fails its first statement either way.
    """
    try:
        if dbapi_conn.closed:
            raise DisconnectionError("the database connection is closed")
        poller = select.poll()
        poller.register(dbapi_conn.fileno(), select.POLLIN)
        ready = poller.poll(0)
    except (OSError, ValueError) as error:
        raise DisconnectionError(f"the database connection cannot be checked: {error}") from error
    if ready:
        raise DisconnectionError("the database closed this connection (or sent something unasked)")


@contextmanager
def unit_of_work(engine: Engine, *, read_only: bool = False) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises.

    Inside another unit of work on the same engine (in this thread), it joins that one: a use case made of
    several steps, and the outbox rows it writes, commit or roll back together. `read_only` units on SQLite
    neither wait for the writer lock nor block writers (WAL gives them a snapshot). On PostgreSQL a unit opened
    while `taking_turns` waits for one of the engine's turns. Either way a unit holds no network call but the
    database's: a unit waiting for another thread's unit would wait for ever once every turn was taken.
    """
    outer = open_unit(engine)
    if outer is not None:
        yield outer
        return
    sqlite = engine in _writer_locks
    lock = (_writer_locks[engine] if not read_only else None) if sqlite else _turns_for(engine)
    bind = engine.execution_options(read_only=True) if sqlite and read_only else engine
    if lock is not None:
        lock.acquire()
    try:
        with Session(bind, expire_on_commit=False, info={"engine": engine}) as session:
            token = _current.set(session)
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                _current.reset(token)
    finally:
        if lock is not None:
            lock.release()


def _turns_for(engine: Engine) -> Turns | None:
    return _unit_turns.get(engine) if _taking_turns.get() else None


@contextmanager
def taking_turns() -> Iterator[None]:
    """Units of work opened in this block (in this thread) on PostgreSQL wait for one of the engine's turns.

    For the requests Slack sends, many at once, each a short transaction: twenty of them in transactions at once
    passed the interpreter among their threads at every round trip. Not for the scheduled passes and the outbox,
    whose units are already few and grouped: queued behind the turns, the morning pass over 50 workspaces took
    3-4% longer.
    """
    token = _taking_turns.set(True)
    try:
        yield
    finally:
        _taking_turns.reset(token)


def open_unit(engine: Engine) -> Session | None:
    """The unit of work open on `engine` in this thread, if there is one."""
    session = _current.get()
    return session if session is not None and session.info.get("engine") is engine else None


def current_session(engine: Engine) -> Session:
    """The unit of work open on `engine` in this thread; a bug to ask outside one."""
    session = open_unit(engine)
    if session is None:
        raise RuntimeError("no unit of work is open on this engine")
    return session


def alembic_config(url: str) -> Config:
    """Alembic's configuration pointed at our migrations and at `url`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Bring the schema at `url` up to date, and say so in one line."""
    config = alembic_config(url)
    # Alembic logs every migration's whole docstring at INFO on a fresh database: eighteen paragraphs at each first
    # start. Its warnings still show; the revision reached is logged once, below.
    alembic_log = logging.getLogger("alembic")
    level = alembic_log.level
    alembic_log.setLevel(max(level, logging.WARNING))
    try:
        command.upgrade(config, "head")
    finally:
        alembic_log.setLevel(level)
    log.info("database schema up to date (revision %s)", ScriptDirectory.from_config(config).get_current_head())


def database_is_reachable(engine: Engine) -> bool:
    """Whether a trivial query succeeds; used by the health check."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # any driver error means "not reachable" for a health check
        return False
    return True
