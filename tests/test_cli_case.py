"""``replywatch case RW-N``: what a teammate reads when a case is handed over. The post as the
classifier read it, the trail with details as ``key=value``, Persian as written, and one line
per event whether on a terminal or piped. The real CLI on a real SQLite file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from monitor.cases import add_event
from monitor.cli import app
from monitor.delivery import SHARED_AT
from monitor.models import Case

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
    assert "team=support" in opened and "owner=null" in opened


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
