"""The ``replywatch`` commands' argument handling and their failure lines: the real CLI, a
SQLite file (``case``, ``cases``), a subprocess where a terminal (or its absence) matters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.models import CaseStatus
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
    assert result.stderr == "error: --since: 15 has no unit; write 15s, 15m or 15h (got '15')\n"


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
        (_broken_term, "entities.0.terms.0"),
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
    path.write_text(CONFIG.format(db=tmp_path / "rw.db", posts=posts), encoding="utf-8")
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
