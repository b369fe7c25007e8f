"""How the commands meet a database that is not what they expect: a file that is not SQLite,
a path with a typo, a file never migrated, a server that is down or lacks the database, a
schema from a newer replywatch. Each is one line and exit 1, never a traceback; only
``poll``, ``run`` and ``db upgrade`` create a database. The real CLI, real SQLite files,
PostgreSQL where configured."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from monitor.cli import app
from tests.fakes import COMPLAINT_LINE

CONFIG = """\
entities:
  - {id: novabrew, kind: brand, name: NovaBrew, terms: [NovaBrew], team: support}
teams:
  support: {slack_channel: "#support"}
sources:
  - {name: demo, type: jsonl, path: posts.jsonl}
"""

#: The commands that only read a database or mend rows in it: none may create one.
READERS = [["cases"], ["case", "1"], ["report"], ["outbox", "list"], ["outbox", "retry"]]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config without a database_url: each test gives its own with --database-url."""
    (tmp_path / "posts.jsonl").write_text(COMPLAINT_LINE, encoding="utf-8")
    path = tmp_path / "replywatch.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def invoke(config: Path, command: list[str], url: str) -> Result:
    return CliRunner().invoke(app, [*command, "-c", str(config), "--database-url", url])


def one_error_line(result: Result) -> str:
    """The only line on stderr, after checking there was no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    (line,) = result.stderr.splitlines()
    return line


@pytest.mark.parametrize(
    "command", [*READERS, ["poll", "--once"], ["db", "upgrade"], ["run"]], ids=" ".join
)
def test_a_file_that_is_not_a_database_is_named_in_one_line(
    config: Path, tmp_path: Path, command: list[str]
) -> None:
    notdb = tmp_path / "notdb.txt"
    notdb.write_text("not a db\n", encoding="utf-8")
    result = invoke(config, command, f"sqlite:///{notdb}")
    assert result.exit_code == 1, result.output
    assert one_error_line(result) == f"error: {notdb} is not a SQLite database"
    assert notdb.read_text(encoding="utf-8") == "not a db\n"


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_a_reading_command_refuses_a_database_that_is_not_there(
    config: Path, tmp_path: Path, command: list[str]
) -> None:
    typo = tmp_path / "nodir" / "sub" / "x.db"
    result = invoke(config, command, f"sqlite:///{typo}")
    assert result.exit_code == 1, result.output
    assert one_error_line(result) == (
        f"error: no database at {typo}: check --database-url / database_url, or run "
        "`replywatch poll --once` / `replywatch db upgrade` to create one"
    )
    assert not (tmp_path / "nodir").exists()  # no folders made, no empty database


def test_poll_and_db_upgrade_still_create_a_new_database(config: Path, tmp_path: Path) -> None:
    polled = tmp_path / "new" / "sub" / "rw.db"
    result = invoke(config, ["poll", "--once"], f"sqlite:///{polled}")
    assert result.exit_code == 0, result.output
    listed = invoke(config, ["cases"], f"sqlite:///{polled}")
    assert listed.exit_code == 0 and "1 case(s)" in listed.output, listed.output

    upgraded = tmp_path / "other" / "rw.db"
    result = invoke(config, ["db", "upgrade"], f"sqlite:///{upgraded}")
    assert result.exit_code == 0, result.output
    assert upgraded.is_file()


def test_case_and_report_migrate_a_database_never_migrated(config: Path, tmp_path: Path) -> None:
    # an existing, empty file (made by hand, or by an older version that failed early):
    # every start migrates, as the README says, so these answer like `cases` does
    empty = tmp_path / "empty.db"
    empty.touch()
    url = f"sqlite:///{empty}"
    missing = invoke(config, ["case", "1"], url)
    assert missing.exit_code == 1, missing.output
    assert one_error_line(missing) == "error: no case RW-1"
    report = invoke(config, ["report", "--format", "csv"], url)
    assert report.exit_code == 0, report.output
    assert report.stdout.startswith("team,owner,")


@pytest.mark.parametrize("command", [["case", "1"], ["report"]], ids=" ".join)
def test_a_server_that_refuses_the_connection_is_one_line(config: Path, command: list[str]) -> None:
    result = invoke(config, command, "postgresql+psycopg://nobody@127.0.0.1:1/rw")
    assert result.exit_code == 1, result.output
    line = one_error_line(result)
    assert line.startswith("error: cannot migrate postgresql+psycopg://nobody@127.0.0.1:1/rw: ")
    assert "refused" in line
    assert "db upgrade" not in line  # migrating would not help: the server is down


@pytest.mark.parametrize("command", [["case", "1"], ["report"], ["cases"]], ids=" ".join)
def test_a_postgresql_database_that_does_not_exist_is_one_line(
    config: Path, postgres_url: str, command: list[str]
) -> None:
    url = make_url(postgres_url)
    nope = url.set(database=f"{url.database}_nope").render_as_string(hide_password=False)
    result = invoke(config, command, nope)
    assert result.exit_code == 1, result.output
    line = one_error_line(result)
    assert f'database "{url.database}_nope" does not exist' in line
    assert "db upgrade" not in line  # no migration can make a database the server lacks
    assert url.password is None or url.password not in line


@pytest.mark.parametrize("command", [*READERS, ["poll", "--once"]], ids=" ".join)
def test_a_schema_from_a_newer_replywatch_is_one_line(
    config: Path, tmp_path: Path, command: list[str]
) -> None:
    path = tmp_path / "rw.db"
    url = f"sqlite:///{path}"
    assert invoke(config, ["db", "upgrade"], url).exit_code == 0
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'ffff9999'")
    conn.close()
    result = invoke(config, command, url)
    assert result.exit_code == 1, result.output
    assert one_error_line(result) == (
        f"error: cannot migrate {url}: Can't locate revision identified by 'ffff9999'; "
        "was it migrated by a newer replywatch?"
    )


def test_an_error_line_keeps_emoji_codes_as_written(config: Path, tmp_path: Path) -> None:
    # failures() prints paths and keys; Rich read ":x:" in "a:x:b" as the ❌ emoji
    typo = tmp_path / "a:x:b" / "rw.db"
    result = invoke(config, ["cases"], f"sqlite:///{typo}")
    assert result.exit_code == 1, result.output
    line = one_error_line(result)
    assert line.startswith(f"error: no database at {typo}:")
    assert "❌" not in line
