"""``replywatch case RW-N``: what a teammate reads when a case is handed over. The post as the
classifier read it, the trail with details as ``key=value``, Persian as written, and one line
per event whether on a terminal or piped. The real CLI on a real SQLite file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from monitor.cases import add_event
from monitor.cli import app
from monitor.delivery import SHARED_AT
from monitor.models import Case, CaseStatus

CONFIG = """\
database_url: sqlite:///replywatch.db
entities:
  - {id: novabrew, kind: brand, name: NovaBrew, terms: [NovaBrew, نوابرو], team: support}
teams:
  support: {slack_channel: "#support"}
sources:
  - {name: demo, type: jsonl, path: posts.jsonl}
"""

PERSIAN = "سفارشم از نوابرو هنوز نرسیده، دو هفته است منتظرم و کسی جواب نمیده"


def post_line(text: str) -> str:
    return json.dumps(
        {
            "id": "x-7",
            "platform": "x",
            "text": text,
            "url": "https://x.com/shirin/status/7",
            "author": {"id": "u-7", "handle": "shirin", "name": "شیرین"},
            "created_at": "2026-11-20T09:00:00Z",
        },
        ensure_ascii=False,
    )


def test_the_case_shows_the_post_as_read_and_a_trail_a_person_can_read(tmp_path: Path) -> None:
    (tmp_path / "posts.jsonl").write_text(post_line(PERSIAN) + "\n", encoding="utf-8")
    config = tmp_path / "replywatch.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    polled = CliRunner().invoke(app, ["poll", "--once", "-c", str(config)])
    assert polled.exit_code == 0, polled.output
    engine = create_engine(f"sqlite:///{tmp_path / 'replywatch.db'}")
    with Session(engine) as session, session.begin():
        case = session.get(Case, 1)
        assert case is not None
        at = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
        detail = {"template": "fa/delay", "note": "پیگیری شد", SHARED_AT: at.isoformat()}
        add_event(session, case, "ack_attempt", actor="replywatch", now=at, detail=detail)
    engine.dispose()

    result = CliRunner().invoke(app, ["case", "RW-1", "-c", str(config)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("RW-1 ") and "team support" in lines[0]
    assert "entity novabrew" in lines[0]
    assert lines[1] == (
        "x post by @shirin (شیرین) at 2026-11-20 09:00Z  https://x.com/shirin/status/7"
    )
    assert lines[2].startswith("language fa, sentiment negative, complaint ")
    assert lines[3] == f"> {PERSIAN}"  # quoted, and not wrapped at 80 columns when piped
    (attempt,) = [line for line in lines if " ack_attempt " in line]
    assert attempt.startswith("2026-11-20 09:30:00Z  ack_attempt")
    # details as key=value, Persian as written (not \\u escapes), text with spaces quoted
    assert 'template=fa/delay note="پیگیری شد"' in attempt
    assert SHARED_AT not in result.stdout  # the delivery's bookkeeping, not the case's
    (opened,) = [line for line in lines if " opened " in line]
    assert "team=support" in opened and "owner=unassigned" in opened


def test_the_case_list_is_a_row_a_line_when_piped(tmp_path: Path) -> None:
    """``replywatch cases | grep RW-12`` finds the whole row: case numbers as Slack shows them,
    no column cut or folded at 80, a post's own line breaks joined, its brackets as written."""
    long = "NovaBrew [/red] order still missing\n" + "and nobody answers my emails " * 6
    lines = [post_line(PERSIAN), post_line(long).replace('"x-7"', '"x-8"')]
    (tmp_path / "posts.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = tmp_path / "replywatch.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    assert CliRunner().invoke(app, ["poll", "--once", "-c", str(config)]).exit_code == 0

    result = CliRunner().invoke(app, ["cases", "-c", str(config)])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("│")]
    assert [row.split("│")[1].strip() for row in rows] == ["RW-1", "RW-2"]
    assert PERSIAN in rows[0]
    assert "NovaBrew [/red] order still missing and nobody answers my emails and" in rows[1]


def test_a_posts_terminal_controls_do_not_reach_the_terminal(tmp_path: Path) -> None:
    """``replywatch case`` and ``cases`` print what people wrote: an escape sequence there
    could clear the screen or fake a line, an override show "$0001" as "$1000"."""
    hostile = "NovaBrew my order never arrived \x1b[2J\x1b[31mFAKE\x1b[0m refund \u202e0001$\u202c"
    (tmp_path / "posts.jsonl").write_text(post_line(hostile) + "\n", encoding="utf-8")
    config = tmp_path / "replywatch.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    assert CliRunner().invoke(app, ["poll", "--once", "-c", str(config)]).exit_code == 0
    for command in (["case", "1"], ["cases"]):
        result = CliRunner().invoke(app, [*command, "-c", str(config)])
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.stdout and "\u202e" not in result.stdout, command
        assert "[2J[31mFAKE[0m refund 0001$" in result.stdout, command


def test_a_post_cannot_fake_an_event_in_the_trail(tmp_path: Path) -> None:
    """Each line of the post is quoted: one the author wrote to look like an event
    ("... resolved ana") is told apart from the trail."""
    fake = "2026-11-20 10:05:00Z  resolved       ana (slack:U1)"
    text = f"NovaBrew my order never arrived\n\n{fake}"
    (tmp_path / "posts.jsonl").write_text(post_line(text) + "\n", encoding="utf-8")
    config = tmp_path / "replywatch.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    assert CliRunner().invoke(app, ["poll", "--once", "-c", str(config)]).exit_code == 0
    result = CliRunner().invoke(app, ["case", "1", "-c", str(config)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[3:6] == ["> NovaBrew my order never arrived", "> ", f"> {fake}"]
    assert not any(line.startswith("2026-11-20 10:05") for line in lines)


# ------------------------------------------------------------------ clocks, owner, filters

#: Calendar standards, so what is due when does not hang on the weekday the test runs.
CLOCKED = (
    CONFIG.replace(
        'support: {slack_channel: "#support"}',
        'support: {slack_channel: "#support", members: [{name: Ana Lima}]}',
    )
    + """\
service_standards:
  default:
    acknowledge: {within: 15m}
    first_response:
      low: {within: 4h}
      normal: {within: 4h}
      high: {within: 4h}
      critical: {within: 4h}
    resolve: {within: 8h}
"""
)


def three_cases(tmp_path: Path) -> tuple[Path, datetime]:
    """RW-1 untouched and unassigned; RW-2 Ana's, acknowledged in time and answered an hour
    late; RW-3 resolved in silence. All opened six hours ago, on the minute."""
    opened = (datetime.now(UTC) - timedelta(hours=6)).replace(second=0, microsecond=0)
    lines = [
        post_line(f"NovaBrew my order never arrived {n}")
        .replace('"x-7"', f'"x-{n}"')
        .replace("2026-11-20T09:00:00Z", opened.isoformat())
        for n in (1, 2, 3)
    ]
    (tmp_path / "posts.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = tmp_path / "replywatch.yaml"
    config.write_text(CLOCKED, encoding="utf-8")
    assert CliRunner().invoke(app, ["poll", "--once", "-c", str(config)]).exit_code == 0
    engine = create_engine(f"sqlite:///{tmp_path / 'replywatch.db'}")
    with Session(engine) as session, session.begin():
        untouched, ana, silent = (session.get(Case, n) for n in (1, 2, 3))
        assert untouched is not None and ana is not None and silent is not None
        assert ana.opened_at == opened
        # poll --once's clock check may have assigned them, as business hours began since
        untouched.owner = None
        ana.owner = "Ana Lima"
        ana.status = CaseStatus.RESPONDED
        ana.acknowledged_at = opened + timedelta(minutes=10)
        ana.first_response_at = opened + timedelta(hours=5)
        silent.status = CaseStatus.RESOLVED
        silent.resolved_at = opened + timedelta(hours=1)
    engine.dispose()
    return config, opened


def test_the_case_shows_each_clock_due_done_or_overdue(tmp_path: Path) -> None:
    """What the alert says (due when, overdue), for the person picking the case up: each
    clock with its standard, its due time, and when it was done or how late it is."""
    config, opened = three_cases(tmp_path)

    def due(after: timedelta) -> str:
        return f"due {opened + after:%Y-%m-%d %H:%M}Z"

    def clocks(number: int) -> list[str]:
        result = CliRunner().invoke(app, ["case", str(number), "-c", str(config)])
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        return [" ".join(line.split()) for line in lines[lines.index("clocks:") + 1 :][:3]]

    untouched = CliRunner().invoke(app, ["case", "1", "-c", str(config)]).stdout.splitlines()
    assert "team support, owner unassigned," in untouched[0]  # as the alert says it
    ack, first, resolve = clocks(1)
    assert ack.startswith(f"acknowledge within 15m {due(timedelta(minutes=15))} OVERDUE by 5h")
    assert first.startswith(f"first response within 4h {due(timedelta(hours=4))} OVERDUE by ")
    assert resolve.startswith(f"resolve within 8h {due(timedelta(hours=8))} running, ")
    assert resolve.endswith(" left")

    ack, first, resolve = clocks(2)
    done = opened + timedelta(minutes=10)
    assert ack.endswith(f"{due(timedelta(minutes=15))} done {done:%Y-%m-%d %H:%M}Z, met")
    answered = opened + timedelta(hours=5)
    assert first.endswith(f"done {answered:%Y-%m-%d %H:%M}Z, missed by 1h 00m")
    assert " running, " in resolve

    # closed: a clock that never stopped is not "overdue" by an ever-growing figure
    ack, first, resolve = clocks(3)
    assert ack.endswith("never done, missed") and first.endswith("never done, missed")
    assert resolve.endswith(", met")


def test_the_case_list_says_who_owns_each_how_old_and_what_is_due_next(tmp_path: Path) -> None:
    config, opened = three_cases(tmp_path)

    def listed(*options: str) -> list[dict[str, object]]:
        result = CliRunner().invoke(app, ["cases", "-c", str(config), "--format", "json", *options])
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.stdout.splitlines()]

    first, second, closed = listed("--status", "all")
    assert (first["owner"], second["owner"]) == (None, "Ana Lima")
    assert 6 * 3600 <= first["age_s"] < 6 * 3600 + 120  # type: ignore[operator]
    assert first["next_clock"] == "acknowledge" and first["overdue"] is True
    assert first["next_due_at"] == (opened + timedelta(minutes=15)).isoformat()
    # acknowledged and answered: resolving is what is owed, due in about two hours
    assert second["next_clock"] == "resolve" and second["overdue"] is False
    assert second["next_due_at"] == (opened + timedelta(hours=8)).isoformat()
    assert (closed["next_clock"], closed["next_due_at"], closed["overdue"]) == (None, None, False)
    assert first["team"] == "support" and first["opened_at"] == opened.isoformat()  # kept

    assert [c["id"] for c in listed("--owner", "ana lima")] == [2]
    assert [c["id"] for c in listed("--owner", "unassigned")] == [1]
    assert [c["id"] for c in listed("--team", "support")] == [1, 2]
    for wrong in (["--team", "suport"], ["--owner", "Anna"]):
        result = CliRunner().invoke(app, ["cases", "-c", str(config), *wrong])
        assert result.exit_code == 2 and wrong[1] in result.stderr, result.output

    table = CliRunner().invoke(app, ["cases", "-c", str(config)])
    assert table.exit_code == 0, table.output
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in table.stdout.splitlines()]
    header = next(r for r in table.stdout.splitlines() if "next due" in r)
    assert "owner" in header and "age" in header
    one, two = [r for r in rows if r and r[0].startswith("RW-")]
    assert one[4] == "unassigned" and one[5] in ("6h 00m", "6h 01m")  # opened on the minute
    assert one[6].startswith("ack OVERDUE 5h")
    assert two[4] == "Ana Lima" and two[6].startswith("resolve in ")


def test_the_trail_says_when_an_answer_was_posted_and_who_owns_nobody(tmp_path: Path) -> None:
    """The trail is written when replywatch reads a post: an answer read days after it was
    posted (the demo, a daemon down over a weekend) says when it was posted, which is what its
    clock counted; an opening that gave the case to nobody says "unassigned", as the case
    line does, not ``null``."""
    brand = {
        "id": "x-8",
        "platform": "x",
        "text": "@shirin sorry, we've sent you a DM",
        "in_reply_to": "x-7",
        "author": {"id": "u-b", "handle": "NovaBrew"},
        "created_at": "2026-11-20T09:40:00Z",
    }
    lines = [post_line(PERSIAN), json.dumps(brand)]
    (tmp_path / "posts.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = tmp_path / "replywatch.yaml"
    config.write_text(
        CONFIG + "brand_accounts:\n  x: [{handle: NovaBrew, native_id: u-b, team: support}]\n",
        encoding="utf-8",
    )
    polled = CliRunner().invoke(app, ["poll", "--once", "-c", str(config)])
    assert polled.exit_code == 0, polled.output
    shown = CliRunner().invoke(app, ["case", "RW-1", "-c", str(config)])
    assert shown.exit_code == 0, shown.output
    [responded] = [line for line in shown.output.splitlines() if "Z  responded " in line]
    assert "via=x:x-8" in responded and "posted_at=2026-11-20T09:40Z" in responded
    [opened] = [line for line in shown.output.splitlines() if "Z  opened " in line]
    assert "owner=unassigned" in opened and "null" not in opened
