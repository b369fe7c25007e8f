"""Engine, sessions and migrations.

SQLite is the zero-setup default: WAL mode, foreign keys on, and a busy timeout so a second
process (the CLI next to a running daemon) waits instead of failing. PostgreSQL is used as is.
Migrations are Alembic's, run at start-up and by ``replywatch db upgrade``.

Leases (the scheduler's, the outbox rows') are timed by :func:`shared_now`: the database's
clock on PostgreSQL, which daemons on several hosts share.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from monitor.errors import ConfigError, StorageError

__all__ = [
    "current_revision",
    "head_revision",
    "in_chunks",
    "make_engine",
    "make_sessionmaker",
    "parse_url",
    "safe_url",
    "shared_now",
    "storage_error",
    "upgrade",
    "with_driver",
]

MIGRATIONS = Path(__file__).parent / "migrations"
#: Items per ``IN (...)`` list: under SQLite's and PostgreSQL's bound-parameter limits.
IN_CHUNK = 400

T = TypeVar("T")


def in_chunks(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """``items`` in slices small enough for one ``IN (...)`` each."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def shared_now(session: Session, *, local: datetime) -> datetime:
    """The time every daemon sharing this database agrees on, for taking and keeping leases.

    On PostgreSQL that is the server's clock (``now()``: when the transaction began, so read
    it first thing), because daemons on several hosts share it, and hosts' clocks disagree: a
    host whose clock runs ahead would read another's live lease as expired and take it over.
    On SQLite, which only daemons on one host can share, it is ``local``, that host's clock
    (tests control it).
    """
    if session.get_bind().dialect.name != "postgresql":
        return local
    now = session.scalar(select(func.now()))
    assert now is not None  # now() is never NULL
    return now.astimezone(UTC)


def safe_url(url: str) -> str:
    """The URL with any password hidden, for logs and messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        return "<unparseable database URL>"


EXPECTED = "expected sqlite:///file.db or postgresql+psycopg://user@host:5432/db"


def with_driver(url: str) -> str:
    """``url`` with ``postgres://`` or ``postgresql://`` read as ``postgresql+psycopg://``;
    the rest as written."""
    scheme, sep, rest = url.partition("://")
    return f"postgresql+psycopg://{rest}" if sep and scheme in ("postgres", "postgresql") else url


def parse_url(url: str) -> URL:
    """``url`` parsed, with the PostgreSQL driver we install filled in: ``postgres://`` (as
    Heroku and many hosts write it) and ``postgresql://`` mean ``postgresql+psycopg://``, not
    SQLAlchemy's psycopg2, which is not installed. A ``ValueError`` saying what is expected
    when it is not a database URL or names a driver that is not installed; the message never
    holds ``url``: it may hold a password."""
    try:
        parsed = make_url(with_driver(url))
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise ValueError(f"not a database URL; {EXPECTED}") from None
    try:
        parsed.get_dialect().import_dbapi()
    except (ArgumentError, ImportError):  # NoSuchModuleError is an ArgumentError
        raise ValueError(f"no driver for {parsed.drivername} is installed; {EXPECTED}") from None
    return parsed


def make_engine(url: str, *, create: bool = True, write_lock: bool = True, **kwargs: Any) -> Engine:
    """An engine for ``url``; a bad URL is a :class:`ConfigError` naming ``database_url``.

    ``create``: a SQLite file that does not exist is made, with its folders, on first
    connect (the daemon, ``poll`` and ``db upgrade`` start a new system this way). Without
    it a missing file is a :class:`StorageError` naming it: a command that only reads or
    mends a database must not answer a typo in its path with an empty one ("0 cases").

    ``write_lock``: each SQLite transaction takes the write lock as it begins (see
    :func:`_sqlite_begin`). An engine that only ever reads passes ``False``: its
    transactions begin deferred and read the last commit without waiting for a writer
    (WAL); a write through it could fail at once with "database is locked".
    """
    try:
        parsed = parse_url(url)
    except ValueError as exc:
        raise ConfigError("database_url", str(exc)) from None
    if parsed.get_backend_name() == "sqlite":
        file = _sqlite_file(parsed)
        if file is not None and create:
            file.parent.mkdir(parents=True, exist_ok=True)
        elif file is not None and not file.exists():
            raise StorageError(
                f"no database at {file}: check --database-url / database_url, or run "
                "`replywatch poll --once` / `replywatch db upgrade` to create one"
            )
        kwargs.setdefault("connect_args", {"timeout": 30})
    elif parsed.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        if parsed.get_driver_name() == "psycopg":
            kwargs.setdefault("connect_args", {"connect_timeout": 10})
    try:
        engine = create_engine(parsed, **kwargs)
    except Exception as exc:  # missing driver and the like
        raise ConfigError("database_url", f"cannot use {safe_url(url)}: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin if write_lock else _sqlite_begin_deferred)
    return engine


def _sqlite_file(parsed: URL) -> Path | None:
    """The file a SQLite URL opens, as SQLite reads the path; ``None`` for an in-memory
    database and for a SQLite URI (``file:...``, ``?uri=true``), which has its own rules."""
    database = parsed.database
    if not database or database == ":memory:":
        return None
    if database.startswith("file:") or parsed.query.get("uri"):
        return None
    return Path(database)


def storage_error(exc: DBAPIError, url: str, *, doing: str = "use") -> StorageError:
    """A driver's failure as one line naming the database (its password hidden): the line
    breaks in the driver's message folded (psycopg puts "Is the server running...?" on a
    second line), and a file that is not SQLite called that, not "file is not a database"
    under a traceback of the pragmas that found out."""
    orig = exc.orig
    if isinstance(orig, sqlite3.DatabaseError) and orig.sqlite_errorname == "SQLITE_NOTADB":
        return StorageError(f"{make_url(url).database} is not a SQLite database")
    reason = " ".join(str(orig if orig is not None else exc).split())
    return StorageError(f"cannot {doing} {safe_url(url)}: {reason}")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so two writers queue instead of one
    # failing half-way with "database is locked" after reading stale data.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_begin_deferred(connection: Any) -> None:
    # A reader's transaction: one snapshot for all its reads, taken without the write lock.
    connection.exec_driver_sql("BEGIN")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision``. Safe to run on every start.

    Every way this fails is a :class:`StorageError`, whatever command started it: the
    server down or the database missing, a file that is not SQLite (its pragmas fail on
    connect), or a schema at a revision this version does not know, written by a newer
    replywatch."""
    url = engine.url.render_as_string(hide_password=False)
    try:
        command.upgrade(_alembic_config(engine), revision)
    except DBAPIError as exc:
        raise storage_error(exc, url, doing="migrate") from None
    except CommandError as exc:  # "Can't locate revision identified by '...'"
        raise StorageError(
            f"cannot migrate {safe_url(url)}: {exc}; was it migrated by a newer replywatch?"
        ) from None


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
