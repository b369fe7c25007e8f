"""``cases`` and ``outbox list --status all`` on an 80- and a 120-column terminal: every name
and heading whole (Rich folded every cell to fit: ``exec-offi|ce``, ``sta|tus``), the post's
text clipped first, a few lines per row where even the names do not fit. The real CLI on a
real SQLite file, as ``replywatch report``'s width test runs it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from monitor.cli import app
from monitor.models import Case, Outbox

CONFIG = """\
database_url: sqlite:///{db}
entities:
  - {{id: novabrew-espresso, kind: brand, name: NovaBrew, terms: [NovaBrew], team: exec-office}}
teams:
  exec-office: {{slack_channel: "#exec-office"}}
sources:
  - {{name: inbox-file, type: jsonl, path: posts.jsonl}}
"""
TEXT = "NovaBrew machine broke after two days and support never answered my emails, refund now"
NAMES = ["exec-office", "leila-farahani", "novabrew-espresso", "@tom_whitfield_reviews"]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    written = (datetime.now(UTC) - timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    lines = [
        json.dumps(
            {
                "id": f"x-{n}",
                "platform": "x",
                "text": TEXT,
                "author": {"id": f"u-{n}", "handle": "tom_whitfield_reviews"},
                "created_at": written,
            }
        )
        for n in range(2)
    ]
    (tmp_path / "posts.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = tmp_path / "replywatch.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "rw.db"), encoding="utf-8")
    polled = CliRunner().invoke(app, ["poll", "--once", "-c", str(path)])
    assert polled.exit_code == 0, polled.output
    engine = create_engine(f"sqlite:///{tmp_path / 'rw.db'}")
    with Session(engine) as session, session.begin():
        cases = list(session.scalars(select(Case)))
        assert len(cases) == 2
        cases[0].owner = "leila-farahani"
        # a failed row of every kind of width: its key, a long error
        for row in session.scalars(select(Outbox)):
            row.status, row.attempts = "failed", 5
            row.last_error = "not_in_channel: invite the app to #exec-office, then retry " * 3
    engine.dispose()
    return path


def shown(config: Path, width: int, *args: str) -> str:
    env = {"COLUMNS": str(width), "TTY_COMPATIBLE": "1", "NO_COLOR": "1"}
    result = CliRunner(env=env).invoke(app, [*args, "-c", str(config)])
    assert result.exit_code == 0, result.output
    return re.sub(r"\x1b\[[0-9;]*m", "", result.output)


@pytest.mark.parametrize("width", [80, 120])
def test_cases_keeps_every_name_whole_on_a_narrow_terminal(config: Path, width: int) -> None:
    text = shown(config, width, "cases")
    assert max(map(len, text.splitlines())) <= width, text
    for name in [*NAMES, "RW-1", "RW-2", "unassigned", "severity", "next due"]:
        assert name in text, (name, text)
    assert len(text.splitlines()) <= 7, text  # a case takes a line or three, not ten or more


@pytest.mark.parametrize("width", [80, 120])
def test_outbox_list_keeps_keys_headers_and_cases_whole(config: Path, width: int) -> None:
    text = shown(config, width, "outbox", "list", "--status", "all")
    assert max(map(len, text.splitlines())) <= width, text
    keys = re.findall(r"alert:x:x-\d", text)
    assert sorted(set(keys)) == ["alert:x:x-0", "alert:x:x-1"], text
    assert "RW-1" in text and "RW-2" in text, text  # the case as every other view names it
    assert "attempts" in text and "failed" in text and "#exec-office" in text, text


def test_piped_both_stay_one_line_a_row(config: Path) -> None:
    cases = CliRunner().invoke(app, ["cases", "-c", str(config)]).output
    assert sum(TEXT[:60] in line for line in cases.splitlines()) == 2, cases
    rows = CliRunner().invoke(app, ["outbox", "list", "--status", "all", "-c", str(config)])
    assert sum("RW-" in line for line in rows.output.splitlines()) == 2, rows.output
