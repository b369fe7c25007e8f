"""An alert Slack refuses for good (the app is not in the channel) is not lost: ``poll --once``
exits non-zero and says what to run, ``outbox list`` shows why, and once a person has
invited the app ``outbox retry`` sends it. An alert claimed by a daemon that was killed goes
out with the next ``poll --once`` on its host, and one claimed elsewhere is put back by
``outbox retry --claimed``. The real CLI, the real Slack sink against the emulator, a SQLite
file."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from monitor.app import host_id
from monitor.cli import app
from monitor.cli_outbox import outbox_table
from monitor.models import Outbox, OutboxStatus
from monitor.outbox import enqueue
from tests.emulators.slack import SlackEmulator
from tests.fakes import COMPLAINT_LINE

TOKEN = "xoxb-test-token"
SUPPORT = "C0SUPPORT"


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator(token=TOKEN, channels={"support": SUPPORT}, member_of=set()) as em:
        yield em  # type: ignore[misc]


def complaint(post_id: str = "x-1", *, handle: str = "sam", minutes_ago: float = 1) -> str:
    """:data:`COMPLAINT_LINE` written ``minutes_ago``: a minute, and no clock of its case is
    due yet, so ``poll --once``'s clock check adds nothing to the outbox."""
    data = json.loads(COMPLAINT_LINE)
    written = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    data.update(id=post_id, created_at=written.isoformat().replace("+00:00", "Z"))
    data["author"] = {"id": f"u-{handle}", "handle": handle}
    return json.dumps(data) + "\n"


def write_config(
    tmp_path: Path, slack: SlackEmulator, *, posts: str | None = None, alerts_extra: str = ""
) -> Path:
    (tmp_path / "posts.jsonl").write_text(posts or complaint(), encoding="utf-8")
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
  {alerts_extra}
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
    assert code == 0 and "messages sent: 1," in out, out
    assert len(slack.messages[SUPPORT]) == 1


def test_retry_claimed_puts_back_only_the_named_claimed_rows(
    tmp_path: Path, slack: SlackEmulator
) -> None:
    config = failed_alert(tmp_path, slack)
    key = "alert:x:x-1"
    claim_for(tmp_path, key, "other-host:4242:a1b2c3")  # a daemon elsewhere, dead or not
    code, out = run("poll", "--once", "-c", config)
    assert code == 0 and "messages sent: 0," in out, out  # its lease is another host's

    # who holds it, for the person deciding whether that sender is dead
    code, out = run("outbox", "list", "--status", "claimed", "-c", config)
    assert code == 0 and "other-host:4242:a1b2c3" in out and "claimed by" in out, out
    code, out = run("outbox", "list", "--status", "claimed", "--format", "json", "-c", config)
    assert json.loads(out.splitlines()[-1])["claimed_by"] == "other-host:4242:a1b2c3"
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
    assert code == 0 and "messages sent: 1," in out, out
    assert len(slack.messages[SUPPORT]) == 1
    code, out = run("outbox", "retry", "--claimed", "-c", config, key)
    assert code == 1 and "not claimed or not found: alert:x:x-1" in out, out
    assert "warning" not in out


# poll --once: what went out, digests counted once


def test_poll_counts_a_digest_as_one_message_and_says_what_it_folded(
    tmp_path: Path, slack: SlackEmulator
) -> None:
    # with three days' complaints in a backlog, Slack got two digests and poll --once said
    # "alerts delivered: 5": the updates of the alerts in a digest, which send nothing, counted
    slack.member_of = {SUPPORT}
    days_ago = 3 * 24 * 60
    posts = "".join(complaint(f"x-{n}", handle=f"p{n}", minutes_ago=days_ago) for n in (1, 2, 3))
    config = str(write_config(tmp_path, slack, posts=posts, alerts_extra="digest_after: 2"))
    code, out = run("poll", "--once", "-c", config)
    assert code == 0, out
    titles = [m.text for m in slack.messages[SUPPORT]]
    assert len(titles) == 2, titles  # the complaints' digest, the breaches' digest
    assert "3 new complaints in #support" in titles[0]
    assert "3 clock warnings and breaches in #support" in titles[1]
    assert slack.updates == []  # the cases have no message of their own to update
    assert (
        "messages sent: 2, retrying: 0, failed: 0; 6 alerts folded into 2 digests; 3 needed no"
        " message (already out, out of date, or their alert in a digest)"
    ) in out


# outbox list: keys to copy, the status, the error in short


LONG_ERROR = (
    "outbox digest:#app-team:1001-1187: slack chat.postMessage to #app-team: not_in_channel;"
    " invite the app to the channel (/invite @<app name>)\nslack answered: {'ok': false}"
)


def rows_to_list(tmp_path: Path, slack: SlackEmulator) -> str:
    """A config whose outbox holds a digest Slack refused for good and an alert waiting."""
    config = str(write_config(tmp_path, slack))
    assert run("db", "upgrade", "-c", config)[0] == 0
    engine = create_engine(f"sqlite:///{tmp_path / 'rw.db'}")
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        for key, target in (("digest:#app-team:1001-1187", "#app-team"), ("alert:x:x-9", SUPPORT)):
            row = enqueue(session, key=key, kind="notice", target=target, payload={}, now=now)
            assert row is not None
        session.flush()
        session.execute(
            update(Outbox)
            .where(Outbox.key == "digest:#app-team:1001-1187")
            .values(status=OutboxStatus.FAILED, attempts=8, last_error=LONG_ERROR)
        )
    engine.dispose()
    return config


def table_rows(output: str) -> list[list[str]]:
    """The cells of each line of a table (header and rows) as printed."""
    return [
        [cell.strip() for cell in line.split(line[0])[1:-1]]
        for line in output.splitlines()
        if line.startswith(("┃", "│"))
    ]


def test_outbox_list_prints_keys_whole_and_errors_short(
    tmp_path: Path, slack: SlackEmulator
) -> None:
    # at 80 columns the key came out as "digest:#app-tea…", and the error repeated the key
    # and wrapped over a dozen lines
    config = rows_to_list(tmp_path, slack)
    runner = CliRunner(env={"COLUMNS": "80"})
    listed = runner.invoke(app, ["outbox", "list", "-c", config])
    assert listed.exit_code == 0, listed.output
    header, row = table_rows(listed.stdout)
    assert header == ["key", "kind", "target", "case", "attempts", "last error"]
    assert row == [
        "digest:#app-team:1001-1187",
        "notice",
        "#app-team",
        "-",
        "8",
        "slack chat.postMessage to #app-team: not_in_channel; invite the app to the channel"
        " (/invite @<app name>)",
    ]

    every = runner.invoke(app, ["outbox", "list", "-c", config, "--status", "all"])
    assert every.exit_code == 0, every.output
    header, *rows = table_rows(every.stdout)
    assert header[:3] == ["key", "kind", "status"]
    assert [(r[0], r[2]) for r in rows] == [
        ("digest:#app-team:1001-1187", "failed"),
        ("alert:x:x-9", "pending"),
    ]

    code, out = run("outbox", "list", "-c", config, "--format", "json")
    assert code == 0, out
    (line,) = [json.loads(line) for line in out.splitlines()]
    assert line["last_error"] == LONG_ERROR  # whole in json


def test_outbox_table_keeps_keys_whole_on_an_80_column_terminal(
    tmp_path: Path, slack: SlackEmulator
) -> None:
    rows_to_list(tmp_path, slack)
    engine = create_engine(f"sqlite:///{tmp_path / 'rw.db'}")
    with Session(engine) as session:
        rows = list(session.scalars(select(Outbox).order_by(Outbox.id)))
        # as data_console() prints on a terminal 80 columns wide
        screen = Console(file=io.StringIO(), width=80, markup=False, emoji=False)
        screen.print(outbox_table(rows, status="all", several=True))
    engine.dispose()
    printed = screen.file.getvalue()  # type: ignore[attr-defined]
    assert max(len(line) for line in printed.splitlines()) <= 80
    lines = table_rows(printed)
    keys = [cells[0] for cells in lines]
    assert "digest:#app-team:1001-1187" in keys and "alert:x:x-9" in keys
