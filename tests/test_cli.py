"""The ``replywatch`` commands' argument handling and their failure lines: the real CLI, a
SQLite file (``case``, ``cases``), a subprocess where a terminal (or its absence) matters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
    if where == "folder":  # --force past "exists", then the path is a folder
        target = tmp_path / "taken"
        target.mkdir()
    else:  # a parent that is a file: the folders cannot be made
        (tmp_path / "file.txt").write_text("x", encoding="utf-8")
        target = tmp_path / "file.txt" / "x.yaml"
    result = CliRunner().invoke(app, ["init", str(target), "--force"])
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
    result = CliRunner().invoke(app, ["case", "RW-95", "-c", str(config)])
    assert result.exit_code == 2, result.output
    assert "no case RW-95" in result.stderr


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
