"""An alert Slack refuses for good (the app is not in the channel) is not lost: ``poll --once``
exits non-zero and says what to run, ``outbox list`` shows why, and once a person has
invited the app ``outbox retry`` sends it. An alert claimed by a daemon that was killed goes
out with the next ``poll --once`` on its host, and one claimed elsewhere is put back by
``outbox retry --claimed``. The real CLI, the real Slack sink against the emulator, a SQLite
file."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, update
from typer.testing import CliRunner

from monitor.app import host_id
from monitor.cli import app
from monitor.models import Outbox, OutboxStatus
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


def claim_for(tmp_path: Path, key: str, worker: str) -> None:
    """Mark ``key`` claimed by ``worker`` for a fresh lease of 10 minutes, as its claim does."""
    engine = create_engine(f"sqlite:///{tmp_path / 'rw.db'}")
    with engine.begin() as conn:
        conn.execute(
            update(Outbox)
            .where(Outbox.key == key)
            .values(
                status=OutboxStatus.CLAIMED,
                claimed_by=worker,
                claimed_until=datetime.now(UTC) + timedelta(minutes=10),
            )
        )
    engine.dispose()


def failed_alert(tmp_path: Path, slack: SlackEmulator) -> str:
    """A config whose complaint's alert Slack refused; the app is in the channel now."""
    config = str(write_config(tmp_path, slack))
    assert run("poll", "--once", "-c", config)[0] == 1
    slack.member_of = {SUPPORT}
    return config


def test_an_alert_claimed_by_a_killed_daemon_goes_out_with_the_next_poll(
    tmp_path: Path, slack: SlackEmulator
) -> None:
    config = failed_alert(tmp_path, slack)
    proc = subprocess.Popen([sys.executable, "-c", "pass"])  # a pid that ran here and ended
    assert proc.wait(timeout=60) == 0
    claim_for(tmp_path, "alert:x:x-1", f"{host_id()}:{proc.pid}:a1b2c3")
    code, out = run("poll", "--once", "-c", config)
    assert code == 0 and "alerts delivered: 1" in out, out
    assert len(slack.messages[SUPPORT]) == 1


def test_retry_claimed_puts_back_only_the_named_claimed_rows(
    tmp_path: Path, slack: SlackEmulator
) -> None:
    config = failed_alert(tmp_path, slack)
    key = "alert:x:x-1"
    claim_for(tmp_path, key, "other-host:4242:a1b2c3")  # a daemon elsewhere, dead or not
    code, out = run("poll", "--once", "-c", config)
    assert code == 0 and "alerts delivered: 0" in out, out  # its lease is another host's

    code, out = run("outbox", "retry", "-c", config)
    assert code == 0 and "requeued 0 row" in out, out  # without --claimed: failed rows only
    code, out = run("outbox", "retry", "-c", config, key)
    assert code == 1 and "not failed or not found" in out
    code, out = run("outbox", "retry", "--claimed", "-c", config)
    assert code == 2 and "--claimed needs the keys" in out, out

    code, out = run("outbox", "retry", "--claimed", "-c", config, key)
    assert code == 0 and "requeued 1 row" in out, out
    assert "warning: if their sender is still alive, these may be sent twice" in out
    code, out = run("poll", "--once", "-c", config)
    assert code == 0 and "alerts delivered: 1" in out, out
    assert len(slack.messages[SUPPORT]) == 1
    code, out = run("outbox", "retry", "--claimed", "-c", config, key)
    assert code == 1 and "not claimed or not found: alert:x:x-1" in out, out
    assert "warning" not in out
