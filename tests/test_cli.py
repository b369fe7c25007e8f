"""The ``replywatch`` commands' argument handling and their failure lines: the real CLI, a
SQLite file (``case``, ``cases``), a subprocess where a terminal (or its absence) matters."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from monitor.cli import app
from monitor.models import CaseStatus, LeaderLease, Outbox
from tests.fakes import COMPLAINT_LINE

REPO = Path(__file__).resolve().parents[1]

CONFIG = """\
database_url: sqlite:///{db}
entities:
  - {{id: novabrew, kind: brand, name: NovaBrew, terms: [NovaBrew], team: support}}
teams:
  support: {{slack_channel: "#support"}}
sources:
  - {{name: demo, type: jsonl, path: {posts}}}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config whose database holds one case, RW-1 (opened by ``poll --once``)."""
    posts = tmp_path / "posts.jsonl"
    posts.write_text(COMPLAINT_LINE, encoding="utf-8")
    path = tmp_path / "replywatch.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "rw.db", posts=posts), encoding="utf-8")
    result = CliRunner().invoke(app, ["poll", "--once", "-c", str(path)])
    assert result.exit_code == 0, result.output
    return path


def one_line_usage_error(output: str) -> str:
    """Click's usage error, its box undone: the lines joined, the frame left out."""
    return " ".join(" ".join(line.strip(" │╭╮╰╯─") for line in output.splitlines()).split())


# poll --once


def test_poll_prints_a_problem_holding_brackets_as_written(tmp_path: Path) -> None:
    # the table goes to stderr, whose console reads markup: "[/x]" raised MarkupError after
    # the work was done, and "[b]" vanished
    posts = tmp_path / "gone [/x] [b] .jsonl"  # missing: its name is in the problem
    path = tmp_path / "replywatch.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "rw.db", posts=f'"{posts}"'), encoding="utf-8")
    result = CliRunner().invoke(app, ["poll", "--once", "-c", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    rows = [line for line in result.stderr.splitlines() if line.startswith("│")]
    error_column = " ".join(line.split("│")[-2].strip() for line in rows)
    assert "[/x] [b] .jsonl" in error_column


def post_line(post_id: str, text: str, *, handle: str, created_at: datetime) -> str:
    """One JSON line for a jsonl source: a post on X."""
    when = created_at.isoformat().replace("+00:00", "Z")
    author = {"id": f"u-{handle}", "handle": handle}
    data = {"id": post_id, "platform": "x", "text": text, "author": author, "created_at": when}
    return json.dumps(data) + "\n"


#: The brand's help account, quiet while complaints wait, and a second entity only written of
#: in Persian, so an English post naming it is language filtered.
CHECKS_CONFIG = """\
database_url: sqlite:///{db}
entities:
  - {{id: novabrew, kind: brand, name: NovaBrew, terms: [NovaBrew], team: support}}
  - {{id: pod-x2, kind: product, name: Pod X2, terms: [Pod X2], team: support, languages: [fa]}}
teams:
  support: {{slack_channel: "#support"}}
sources:
  - {{name: demo, type: jsonl, path: {posts}}}
brand_accounts:
  x: [{{handle: NovaBrewHelp, native_id: u-90002, team: support}}]
"""


def checks_config(tmp_path: Path) -> Path:
    """A stream for every check ``poll --once`` runs: a complaint days old (its clocks have
    breached, its brand account has not replied) and complaints from five people minutes
    old (a negative spike)."""
    now = datetime.now(UTC)
    lines = COMPLAINT_LINE + "".join(
        post_line(f"x-{n}", text, handle=f"angry{n}", created_at=now - timedelta(minutes=n))
        for n, text in enumerate(
            [
                "NovaBrew charged me twice and support ignores me, terrible",
                "NovaBrew grinder broke after a week, awful, I want a refund",
                "NovaBrew order never arrived, worst service, refund me now",
                "NovaBrew machine leaks everywhere, broken again, so angry",
                "NovaBrew app crashed and lost my order, this is terrible",
            ],
            start=2,
        )
    )
    (tmp_path / "posts.jsonl").write_text(lines, encoding="utf-8")
    path = tmp_path / "replywatch.yaml"
    config = CHECKS_CONFIG.format(db=tmp_path / "rw.db", posts=tmp_path / "posts.jsonl")
    path.write_text(config, encoding="utf-8")
    return path


def outbox_keys(path: Path) -> list[str]:
    engine = create_engine(f"sqlite:///{path.parent / 'rw.db'}")
    with engine.connect() as conn:
        keys = list(conn.scalars(select(Outbox.key).order_by(Outbox.id)))
    engine.dispose()
    return keys


def test_poll_once_runs_the_daemons_checks_before_delivering(tmp_path: Path) -> None:
    # run from cron without a daemon, poll --once never warned of a breach, a quiet account
    # or a spike: only the daemon's jobs ran those checks
    path = checks_config(tmp_path)
    result = CliRunner().invoke(app, ["poll", "--once", "-c", str(path)])
    assert result.exit_code == 0, result.output
    summary = re.search(r"^clocks: 0 warnings, (\d+) breaches; quiet: (.*)$", result.stderr, re.M)
    assert summary is not None, result.stderr
    assert int(summary[1]) >= 2  # RW-1's acknowledgement and first response at least
    assert summary[2] == "1 notice; crisis: 1 notice"
    keys = outbox_keys(path)
    assert "breach:1:acknowledge" in keys
    assert [k for k in keys if k.startswith("quiet:x:novabrewhelp:")]
    assert "crisis:novabrew:1" in keys
    # delivered in the same run, after the checks: printed to the console
    assert "BREACH: RW-1" in result.stdout and "Quiet account: @novabrewhelp" in result.stdout
    assert "messages sent: 0" not in result.stderr and "failed: 0" in result.stderr

    again = CliRunner().invoke(app, ["poll", "--once", "-c", str(path)])
    assert again.exit_code == 0, again.output
    assert "clocks: 0 warnings, 0 breaches; quiet: 0 notices; crisis: 0 notices" in again.stderr
    assert outbox_keys(path) == keys  # once-only: nothing told twice


def test_poll_once_leaves_the_checks_to_a_daemon_holding_the_lease(tmp_path: Path) -> None:
    path = checks_config(tmp_path)
    assert CliRunner().invoke(app, ["db", "upgrade", "-c", str(path)]).exit_code == 0
    engine = create_engine(f"sqlite:///{tmp_path / 'rw.db'}")
    until = datetime.now(UTC) + timedelta(minutes=10)
    with Session(engine) as session, session.begin():
        session.add(
            LeaderLease(name="scheduler", holder="daemon-host:42:a1b2c3", lease_until=until)
        )
    result = CliRunner().invoke(app, ["poll", "--once", "-c", str(path)])
    assert result.exit_code == 0, result.output
    assert (
        "checks not run: another replywatch (a daemon) holds the scheduler lease" in result.stderr
    )
    assert not [k for k in outbox_keys(path) if k.split(":")[0] in ("breach", "quiet", "crisis")]
    with Session(engine) as session:
        lease = session.get(LeaderLease, "scheduler")
        assert lease is not None and lease.holder == "daemon-host:42:a1b2c3"  # still the daemon's
    engine.dispose()


def test_poll_once_gives_the_lease_back_after_its_checks(tmp_path: Path) -> None:
    path = checks_config(tmp_path)
    before = datetime.now(UTC)
    assert CliRunner().invoke(app, ["poll", "--once", "-c", str(path)]).exit_code == 0
    engine = create_engine(f"sqlite:///{tmp_path / 'rw.db'}")
    with Session(engine) as session:
        lease = session.get(LeaderLease, "scheduler")
        assert lease is not None  # taken for the checks, given up: a daemon leads at once
        assert lease.lease_until.replace(tzinfo=UTC) <= datetime.now(UTC)
        assert lease.lease_until.replace(tzinfo=UTC) >= before
    engine.dispose()


def test_poll_table_tells_repeats_unmatched_and_malformed_apart(tmp_path: Path) -> None:
    # "skipped 3" added posts that named no one to lines the source could not read
    old = datetime(2026, 11, 20, 9, 5, tzinfo=UTC)
    lines = [
        COMPLAINT_LINE,
        COMPLAINT_LINE,  # the same post twice: a repeat
        post_line("x-2", "What a lovely sunny morning in the park", handle="di", created_at=old),
        post_line(
            "x-3", "My Pod X2 makes great coffee every single morning", handle="ed", created_at=old
        ),
        "this is not JSON\n",
        '{"id": "x-4"}\n',  # no text, no author
    ]
    (tmp_path / "posts.jsonl").write_text("".join(lines), encoding="utf-8")
    path = tmp_path / "replywatch.yaml"
    config = CHECKS_CONFIG.format(db=tmp_path / "rw.db", posts=tmp_path / "posts.jsonl")
    path.write_text(config, encoding="utf-8")
    result = CliRunner().invoke(app, ["poll", "--once", "-v", "-c", str(path)])
    assert result.exit_code == 0, result.output
    table = [line for line in result.stderr.splitlines() if line.startswith(("┃", "│"))]
    header, row = ([cell.strip() for cell in line.split(line[0])[1:-1]] for line in table)
    figures = dict(zip(header, row, strict=True))
    assert figures == {
        "source": "demo",
        "batches": "1",
        "fetched": "4",
        "stored": "1",
        "responses": "0",
        "cases": "1",
        "repeats": "1",
        "unmatched": "1",
        "language filtered": "1",
        "malformed": "2",
        "error": "",
    }
    # the log line says the same in the same words (the metrics' too)
    assert (
        "demo: 4 fetched, 1 stored, 0 edits, 0 responses, 1 repeats, 1 unmatched, "
        "1 language_filtered, 1 cases, 2 malformed"
    ) in result.stderr


def test_poll_table_shows_malformed_and_language_filtered_only_when_any(config: Path) -> None:
    result = CliRunner().invoke(app, ["poll", "--once", "-c", str(config)])  # nothing new
    assert result.exit_code == 0, result.output
    (header,) = [line for line in result.stderr.splitlines() if line.startswith("┃")]
    assert [cell.strip() for cell in header.split("┃")[1:-1]] == [
        "source", "batches", "fetched", "stored", "responses", "cases", "repeats", "unmatched",
        "error",
    ]  # fmt: skip


# init


def test_init_creates_the_missing_parent_folders(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "dir" / "x.yaml"
    result = CliRunner().invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert "database_url" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize("where", ["folder", "under_a_file"])
def test_init_that_cannot_write_is_one_line_exit_2(tmp_path: Path, where: str) -> None:
    if where == "folder":  # --force past "exists", then FOLDER/replywatch.yaml is a folder
        given = tmp_path / "taken"
        target = given / "replywatch.yaml"
        target.mkdir(parents=True)
    else:  # a parent that is a file: the folders cannot be made
        (tmp_path / "file.txt").write_text("x", encoding="utf-8")
        given = target = tmp_path / "file.txt" / "x.yaml"
    result = CliRunner().invoke(app, ["init", str(given), "--force"])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: cannot write") and str(target) in line


# cases --status / --format, outbox list --format


def test_cases_status_and_format_take_only_known_values(config: Path) -> None:
    ok = CliRunner().invoke(app, ["cases", "-c", str(config), "--status", "open"])
    assert ok.exit_code == 0 and "1 case(s)" in ok.output, ok.output
    for status in ("all", "acknowledged", "resolved", "dismissed"):
        result = CliRunner().invoke(app, ["cases", "-c", str(config), "--status", status])
        assert result.exit_code == 0, result.output

    bogus = CliRunner().invoke(app, ["cases", "-c", str(config), "--status", "bogus"])
    assert bogus.exit_code == 2, bogus.output
    message = one_line_usage_error(bogus.stderr)
    assert "'bogus' is not one of" in message
    for valid in ("open", "all", *CaseStatus):  # a new status is a choice too
        assert f"'{valid}'" in message

    yaml_ = CliRunner().invoke(app, ["cases", "-c", str(config), "--format", "yaml"])
    assert yaml_.exit_code == 2 and "'yaml' is not one of" in one_line_usage_error(yaml_.stderr)
    js = CliRunner().invoke(app, ["cases", "-c", str(config), "--format", "json"])
    assert js.exit_code == 0 and json.loads(js.stdout)["id"] == 1, js.output


def test_outbox_list_format_takes_only_known_values(config: Path) -> None:
    result = CliRunner().invoke(app, ["outbox", "list", "-c", str(config), "--format", "yaml"])
    assert result.exit_code == 2, result.output
    assert "'yaml' is not one of" in one_line_usage_error(result.stderr)


# case RW-N


@pytest.mark.parametrize("given", ["1", "RW-1", "rw-1", " RW-1 "])
def test_case_takes_the_number_as_slack_shows_it(config: Path, given: str) -> None:
    result = CliRunner().invoke(app, ["case", given, "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("RW-1 ")
    assert "grinder arrived broken" in result.stdout


@pytest.mark.parametrize("given", ["#1", "RW1", "case-1", "RW-", "RW-1x", "-1"])
def test_case_names_the_expected_form_otherwise(config: Path, given: str) -> None:
    result = CliRunner().invoke(app, ["case", "-c", str(config), "--", given])
    assert result.exit_code == 2, result.output
    assert "a case number: 95 or RW-95" in one_line_usage_error(result.stderr)


def test_case_that_does_not_exist_is_named_as_slack_shows_it(config: Path) -> None:
    # not found is a runtime answer (exit 1), not a config error: the file and number are fine
    result = CliRunner().invoke(app, ["case", "RW-95", "-c", str(config)])
    assert result.exit_code == 1, result.output
    assert result.stderr == "error: no case RW-95\n"


# report --since


def test_report_since_without_a_unit_is_a_usage_error_not_a_config_error(config: Path) -> None:
    result = CliRunner().invoke(app, ["report", "-c", str(config), "--since", "15"])
    assert result.exit_code == 2, result.output
    assert (
        result.stderr == "error: --since: 15 has no unit; write 15s, 15m, 15h or 15d (got '15')\n"
    )


def test_report_since_longer_than_the_calendar_is_all_time(config: Path) -> None:
    # now - 99999999 weeks is before the year 1: the window is every case there is
    result = CliRunner().invoke(
        app, ["report", "-c", str(config), "--since", "99999999w", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["since"] == "99999999w"
    rows = {(r["team"], r["owner"]): r for r in report["rows"]}
    assert rows[("support", "(all)")]["complaints"] == 1  # RW-1, opened by poll --once


# error lines are not broken when stderr is not a terminal


def test_a_long_error_line_is_one_line_without_a_terminal(tmp_path: Path) -> None:
    missing = tmp_path / ("a-settings-file-with-a-rather-long-name-" * 3 + ".yaml")
    env = {**os.environ, "COLUMNS": "80"}  # what a console without a terminal uses anyway
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "check-config", "-c", str(missing)],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert len(line) > 80
    assert line.startswith("config error: config file ") and str(missing) in line
    assert line.endswith("create one with `replywatch init`")


# poll --once: the summary table without a terminal


def test_poll_table_rows_are_whole_lines_without_a_terminal(tmp_path: Path) -> None:
    # rich fitted the table to 80 columns: "inbox-f…", "cannot read posts.j… No such file
    # or directo…", the rest folded over lines a log grep finds in pieces
    source = "inbox-file-from-the-shop-export"
    posts = tmp_path / "exports" / "posts-from-the-shop.jsonl"  # missing: named in the error
    path = tmp_path / "replywatch.yaml"
    config = CONFIG.format(db=tmp_path / "rw.db", posts=posts).replace(
        "name: demo", f"name: {source}"
    )
    path.write_text(config, encoding="utf-8")
    result = CliRunner(env={"COLUMNS": "80"}).invoke(app, ["poll", "--once", "-c", str(path)])
    assert result.exit_code == 1, result.output
    (row,) = [line for line in result.stderr.splitlines() if line.startswith("│")]
    cells = [cell.strip() for cell in row.split("│")[1:-1]]
    assert cells[0] == source
    assert cells[-1] == f"source {source!r}: cannot read {posts}: No such file or directory"
    assert len(row) > 80


# check-config makes the start-up checks poll makes


def _broken_templates(config: str) -> str:
    return config + "acknowledgements: {modes: {x: auto}, templates: no-such-dir}\n"


def _broken_term(config: str) -> str:  # a tatweel alone: nothing left to match once normalised
    return config.replace("terms: [NovaBrew]", 'terms: ["\u0640"]')


def _broken_reddit_term(config: str) -> str:  # Reddit's search takes 512 characters at most
    return config.replace("terms: [NovaBrew]", f"terms: [{'nova ' * 120}brew]") + (
        "  - {name: reddit, type: reddit, client_id: env:RW_ID, client_secret: env:RW_SECRET,"
        " subreddits: [novabrew]}\n"
    )


@pytest.mark.parametrize(
    ("broken", "field"),
    [
        (_broken_templates, "acknowledgements.templates"),
        (_broken_term, "entities.0.terms.0 (the 1st entity's 1st term)"),
        (_broken_reddit_term, "sources.reddit"),
    ],
)
def test_check_config_refuses_what_poll_refuses(tmp_path: Path, broken: Any, field: str) -> None:
    # check-config said OK, then poll exited 2 on the same file
    posts = tmp_path / "posts.jsonl"
    posts.write_text(COMPLAINT_LINE, encoding="utf-8")
    path = tmp_path / "replywatch.yaml"
    path.write_text(broken(CONFIG.format(db=tmp_path / "rw.db", posts=posts)), encoding="utf-8")
    runner = CliRunner(env={"RW_ID": "id", "RW_SECRET": "secret"})
    polled = runner.invoke(app, ["poll", "--once", "-c", str(path)])
    checked = runner.invoke(app, ["check-config", "-c", str(path)])
    assert polled.exit_code == 2, polled.output
    assert checked.exit_code == 2, checked.output
    (line,) = checked.stderr.splitlines()
    assert line.startswith(f"config error: {field}: ")
    assert line in polled.stderr.splitlines()


def test_check_config_warns_of_a_jsonl_file_not_there_yet(tmp_path: Path) -> None:
    # the starter config points at posts.jsonl, which nobody has written yet: not an error
    posts = tmp_path / "posts.jsonl"
    path = tmp_path / "replywatch.yaml"
    brand = "brand_accounts: {jsonl: [{handle: NovaBrew}]}\n"  # or a warning of its own
    path.write_text(CONFIG.format(db=tmp_path / "rw.db", posts=posts) + brand, encoding="utf-8")
    missing = CliRunner().invoke(app, ["check-config", "-c", str(path)])
    assert missing.exit_code == 0, missing.output
    assert "OK" in missing.stdout
    (line,) = missing.stderr.splitlines()
    assert line.startswith("warning: sources.demo: ") and f"{posts} does not exist" in line

    posts.write_text(COMPLAINT_LINE, encoding="utf-8")
    there = CliRunner().invoke(app, ["check-config", "-c", str(path)])
    assert there.exit_code == 0 and there.stderr == "", there.output


def test_check_config_passes_the_starter_config(tmp_path: Path) -> None:
    # what `replywatch init` writes passes, with the one warning: its posts.jsonl is to come
    target = tmp_path / "replywatch.yaml"
    assert CliRunner().invoke(app, ["init", str(target)]).exit_code == 0
    result = CliRunner().invoke(app, ["check-config", "-c", str(target)])
    assert result.exit_code == 0, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("warning: sources.inbox-file: ") and "posts.jsonl" in line


# init FOLDER


@pytest.mark.parametrize("given", ["existing", "new/"])
def test_init_writes_replywatch_yaml_in_a_folder(tmp_path: Path, given: str) -> None:
    # "init DIR/" wrote a file named DIR; "init EXISTING_DIR" said it exists, then with --force
    # "cannot write ...: Is a directory"
    (tmp_path / "existing").mkdir()
    folder = tmp_path / given.rstrip("/")
    result = CliRunner().invoke(app, ["init", f"{tmp_path}/{given}"])
    assert result.exit_code == 0, result.output
    written = folder / "replywatch.yaml"
    assert folder.is_dir() and "database_url" in written.read_text(encoding="utf-8")
    (line,) = result.stdout.splitlines()  # one line, however long the path
    assert line == f"wrote {written}; check it with: replywatch check-config -c {written}"

    again = CliRunner().invoke(app, ["init", str(folder)])
    assert again.exit_code == 2, again.output
    assert again.stderr.startswith(f"error: {written} exists; use --force")
