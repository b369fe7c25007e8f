"""An alert Slack refuses for good (the app is not in the channel) is not lost: ``poll --once``
exits non-zero and says what to run, ``outbox list`` shows why, and once a person has
invited the app ``outbox retry`` sends it. The real CLI, the real Slack sink against the
emulator, a SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from tests.emulators.slack import SlackEmulator
from tests.fakes import COMPLAINT_LINE

TOKEN = "xoxb-test-token"
SUPPORT = "C0SUPPORT"


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator(token=TOKEN, channels={"support": SUPPORT}, member_of=set()) as em:
        yield em  # type: ignore[misc]


def write_config(tmp_path: Path, slack: SlackEmulator) -> Path:
    (tmp_path / "posts.jsonl").write_text(COMPLAINT_LINE, encoding="utf-8")
    config = tmp_path / "replywatch.yaml"
    config.write_text(
        f"""
database_url: sqlite:///{tmp_path / "rw.db"}
entities:
  - {{id: novabrew, kind: brand, name: NovaBrew, terms: [NovaBrew], team: support}}
teams:
  support: {{slack_channel: "#support"}}
sources:
  - {{name: demo, type: jsonl, path: {tmp_path / "posts.jsonl"}}}
alerts:
  slack: {{bot_token: "env:SLACK_BOT_TOKEN", api_url: "{slack.api_url}", timeout: 5s}}
""",
        encoding="utf-8",
    )
    return config


def run(*args: str) -> tuple[int, str]:
    """Exit code and output (lines as printed for ``--format json``, else one line)."""
    result = CliRunner().invoke(app, list(args), env={"SLACK_BOT_TOKEN": TOKEN})
    output = result.output if "json" in args else " ".join(result.output.split())
    return result.exit_code, output


def test_an_alert_slack_refused_is_kept_listed_and_sent_once_fixed(
    tmp_path: Path, slack: SlackEmulator
) -> None:
    config = str(write_config(tmp_path, slack))
    code, out = run("poll", "--once", "-c", config)
    assert code == 1, out
    assert "failed: 1" in out and "replywatch outbox list" in out
    assert slack.messages[SUPPORT] == []

    code, out = run("outbox", "list", "-c", config, "--format", "json")
    assert code == 0, out
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["status"] == "failed" and row["kind"] == "alert"
    assert "not_in_channel" in row["last_error"] and "invite the app" in row["last_error"]
    assert TOKEN not in out
    code, table = run("outbox", "list", "-c", config)
    assert row["key"] == "alert:x:x-1" and "alert:x:x-1" in table  # not "alert❌x-1"

    slack.member_of = {SUPPORT}  # a person invited the app
    code, out = run("outbox", "retry", "-c", config)
    assert code == 0 and "requeued 1 row" in out, out
    code, out = run("poll", "--once", "-c", config)
    assert code == 0, out
    assert len(slack.messages[SUPPORT]) == 1
    code, out = run("outbox", "retry", "-c", config, row["key"])
    assert code == 1 and "not failed or not found" in out  # sent now: nothing to requeue
    run("poll", "--once", "-c", config)
    assert len(slack.messages[SUPPORT]) == 1


def test_retry_names_a_key_holding_an_emoji_code_as_written(
    tmp_path: Path, slack: SlackEmulator
) -> None:
    # every X alert key holds ":x:"; the error line printed it as "alert❌x-1003"
    config = str(write_config(tmp_path, slack))
    assert run("db", "upgrade", "-c", config)[0] == 0
    result = CliRunner().invoke(
        app, ["outbox", "retry", "-c", config, "alert:x:x-1003"], env={"SLACK_BOT_TOKEN": TOKEN}
    )
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        "requeued 0 row(s)",
        "error: not failed or not found: alert:x:x-1003",
    ]
