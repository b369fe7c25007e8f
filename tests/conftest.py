"""Shared fixtures: databases (a real SQLite file and, where configured, PostgreSQL), clocks.

PostgreSQL tests run where ``REPLYWATCH_TEST_DATABASE_URL`` is set (``.ci/run`` sets it); each
test gets a fresh database created on that server and dropped afterwards, so parallel runs
never share state. In CI (``CI`` set) a missing PostgreSQL fails instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from monitor import db
from tests.fakes import FakeClock

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def _postgres_database() -> Iterator[str]:
    base = os.environ.get("REPLYWATCH_TEST_DATABASE_URL")
    if not base:
        if os.environ.get("CI"):
            pytest.fail("REPLYWATCH_TEST_DATABASE_URL is not set in CI")
        pytest.skip("PostgreSQL not configured: set REPLYWATCH_TEST_DATABASE_URL")
    name = f"rw_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL unreachable at REPLYWATCH_TEST_DATABASE_URL: {exc}")
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'replywatch.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, for what only PostgreSQL does."""
    yield from _postgres_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'replywatch.db'}"


def _migrated(url: str) -> Iterator[sessionmaker[Session]]:
    engine = db.make_engine(url)
    db.upgrade(engine)
    yield db.make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a fresh, migrated database of each kind."""
    yield from _migrated(database_url)


@pytest.fixture
def pg_sessions(postgres_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a fresh, migrated PostgreSQL, for what only PostgreSQL does."""
    yield from _migrated(postgres_url)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"../shared is absent ({SHARED}); it holds the data and recorded fixtures")
    return SHARED
