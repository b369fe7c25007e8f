"""Storage: migrations build exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import IntegrityError, StatementError

from monitor import db
from monitor.errors import ConfigError
from monitor.models import Author, Base, Post


def test_migrations_match_the_models(database_url: str) -> None:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    db.upgrade(engine)  # idempotent: runs on every start
    assert db.current_revision(engine) == db.head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_posts_are_unique_per_platform_and_times_stay_aware(database_url: str) -> None:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    sessions = db.make_sessionmaker(engine)
    tehran = timezone(timedelta(hours=3, minutes=30))
    with sessions.begin() as s:
        author = Author(platform="x", native_id="1", handle="a")
        s.add(
            Post(
                platform="x",
                native_id="p1",
                source="t",
                author=author,
                text="hi",
                created_at=datetime(2026, 1, 1, 12, 0, tzinfo=tehran),
            )
        )
        s.add(
            Post(
                platform="reddit",
                native_id="p1",
                source="t",
                author=author,
                text="hi",
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
    with sessions() as s:
        stored = s.query(Post).filter_by(platform="x").one()
        assert stored.created_at == datetime(2026, 1, 1, 8, 30, tzinfo=UTC)
        assert stored.created_at.tzinfo is not None
    with pytest.raises(IntegrityError), sessions.begin() as s:
        s.add(
            Post(
                platform="x",
                native_id="p1",
                source="t",
                author=s.get(Author, 1),
                text="again",
                created_at=datetime(2026, 1, 2, tzinfo=UTC),
            )
        )
    with pytest.raises(StatementError, match="naive"), sessions.begin() as s:
        s.add(
            Post(
                platform="x",
                native_id="p2",
                source="t",
                author=s.get(Author, 1),
                text="naive",
                created_at=datetime(2026, 1, 2),
            )
        )
        s.flush()
    engine.dispose()


def test_bad_database_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        db.make_engine("not a url")
    assert caught.value.field == "database_url"


def test_passwords_are_hidden_in_messages() -> None:
    assert "hunter2" not in db.safe_url("postgresql+psycopg://bob:hunter2@db/rw")
