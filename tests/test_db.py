"""Storage: migrations build exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError

from monitor import db
from monitor.errors import ConfigError, StorageError
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
    for url in ("not a url", "postgresql://u:hunter2@db:port/x"):
        with pytest.raises(ConfigError) as caught:
            db.make_engine(url)
        assert caught.value.field == "database_url"
        assert "expected sqlite:///" in str(caught.value) and "hunter2" not in str(caught.value)


def test_a_missing_sqlite_file_is_made_only_when_asked(tmp_path: Path) -> None:
    typo = tmp_path / "nodir" / "x.db"
    with pytest.raises(StorageError, match=f"^no database at {re.escape(str(typo))}: "):
        db.make_engine(f"sqlite:///{typo}", create=False)
    assert not typo.parent.exists()
    engine = db.make_engine(f"sqlite:///{typo}")  # the daemon's, poll's and db upgrade's
    db.upgrade(engine)
    engine.dispose()
    assert typo.is_file()
    db.make_engine(f"sqlite:///{typo}", create=False).dispose()  # there now


def test_migrating_a_file_that_is_not_sqlite_is_a_storage_error(tmp_path: Path) -> None:
    notdb = tmp_path / "notes.txt"
    notdb.write_text("not a db\n", encoding="utf-8")
    engine = db.make_engine(f"sqlite:///{notdb}")
    with pytest.raises(StorageError) as caught:
        db.upgrade(engine)
    engine.dispose()
    assert str(caught.value) == f"{notdb} is not a SQLite database"


def test_a_schema_this_version_does_not_know_is_a_storage_error(database_url: str) -> None:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff9999'"))
    with pytest.raises(StorageError, match="'ffff9999'; was it migrated by a newer replywatch"):
        db.upgrade(engine)
    engine.dispose()


def test_passwords_are_hidden_in_messages() -> None:
    assert "hunter2" not in db.safe_url("postgresql+psycopg://bob:hunter2@db/rw")


def test_long_ids_handles_and_urls_are_stored(database_url: str) -> None:
    # a web feed's ids are its URL and the entry's id or link, often past 128 characters
    long_id = "https://example.com/feeds/" + "news/" * 60 + "#entry-42"
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    sessions = db.make_sessionmaker(engine)
    with sessions.begin() as s:
        author = Author(platform="rss", native_id=long_id + "#Ana", handle="A" * 300)
        s.add(
            Post(
                platform="rss",
                native_id=long_id,
                source="t",
                author=author,
                text="hi",
                url=long_id + "?" + "q" * 3000,
                in_reply_to=long_id,
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
    with sessions() as s:
        stored = s.query(Post).one()
        assert (stored.native_id, stored.in_reply_to) == (long_id, long_id)
        assert stored.author.handle == "A" * 300
    engine.dispose()


def test_daemons_starting_together_migrate_once(postgres_url: str) -> None:
    # separate processes, as daemons are (alembic's context is one per process)
    script = "import sys; from monitor import db; db.upgrade(db.make_engine(sys.argv[1]))"
    runs = [
        subprocess.Popen([sys.executable, "-c", script, postgres_url], stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    errors = [run.communicate(timeout=60)[1].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], errors
    engine = db.make_engine(postgres_url)
    assert db.current_revision(engine) == db.head_revision()
    engine.dispose()


def test_the_acknowledgement_limits_read_the_outbox_by_index(tmp_path: Path) -> None:
    """Each new case counts the public replies of the last day and hour; without an index on
    (kind, created_at) that read the whole outbox, which is never pruned."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'rw.db'}")
    db.upgrade(engine)
    with engine.connect() as conn:
        plan = conn.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT count(*) FROM outbox WHERE kind = 'public_reply' "
                "AND target = 'x:NovaBrew' AND created_at > '2026-11-23' AND key != 'k'"
            )
        ).all()
    engine.dispose()
    detail = " ".join(str(row[-1]) for row in plan)
    assert "ix_outbox_kind_created" in detail, detail


def test_migrating_a_database_that_holds_cases_keeps_every_row(tmp_path: Path) -> None:
    """On SQLite, altering a column rebuilds its table (copy, drop, rename). With foreign keys
    on, dropping ``posts`` refused a database holding cases ("FOREIGN KEY constraint failed":
    every command failed after an upgrade) and emptied the entity matches of one holding
    posts only. A database made by an older replywatch, with its rows, migrates whole."""
    from alembic import command

    (tmp_path / "posts.jsonl").write_text(
        '{"id": "x-1", "platform": "x", "text": "@NovaBrew my order never arrived, two weeks '
        'waiting and nobody answers. I want a refund", '
        '"author": {"id": "u-1", "handle": "maria"}, "created_at": "2026-11-20T09:00:00Z"}\n',
        encoding="utf-8",
    )
    config = tmp_path / "replywatch.yaml"
    config.write_text(
        "database_url: sqlite:///rw.db\n"
        "entities: [{id: novabrew, kind: brand, name: NovaBrew, terms: [NovaBrew], "
        "team: support}]\n"
        'teams: {support: {slack_channel: "#support"}}\n'
        "sources: [{name: demo, type: jsonl, path: posts.jsonl, platform: x}]\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "poll", "--once", "-c", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    engine = db.make_engine(f"sqlite:///{tmp_path / 'rw.db'}")
    counts = "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM entity_matches), " + (
        "(SELECT count(*) FROM cases), (SELECT count(*) FROM case_events)"
    )
    with engine.connect() as conn:
        before = tuple(conn.execute(text(counts)).one())
    assert before[0] == before[1] == before[2] == 1 and before[3] >= 1
    command.downgrade(db._alembic_config(engine), "0002")  # as the last release left it
    assert db.current_revision(engine) == "0002"
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision()
    with engine.connect() as conn:
        assert tuple(conn.execute(text(counts)).one()) == before
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # on again
    engine.dispose()
