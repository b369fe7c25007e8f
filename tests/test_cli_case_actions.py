"""``replywatch case RW-N ACTION --as NAME``: the case's Slack buttons from the command line, for
a team on the console sink or a teammate on the server. The real CLI (Typer's runner) on a real
SQLite file and on PostgreSQL; each action must leave what the button leaves: the state
change, its event naming who, the clocks stopped, and the update for the case's thread."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import get_args

import pytest
from click.testing import Result
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from alerts import blocks
from monitor import actions
from monitor.cli import app
from monitor.cli_case import CaseAction
from monitor.models import Case, CaseEvent, CaseStatus, Label, Outbox, OutboxKind

#: Calendar standards, so what is due when does not hang on the weekday the test runs.
CONFIG = """\
database_url: sqlite:///replywatch.db
entities:
  - {id: novabrew, kind: brand, name: NovaBrew, terms: [NovaBrew], team: support}
teams:
  support:
    slack_channel: "#support"
    lead: {name: Marco Reyes, slack_id: U0MARCO01}
    members:
      - {name: Ana Lima, slack_id: U0ANA0001}
      - {name: Ben Okafor}
sources:
  - {name: demo, type: jsonl, path: posts.jsonl}
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


@dataclass
class Desk:
    """A replywatch that has opened three cases (RW-1..3, nobody's, six hours old)."""

    config: Path
    url: str
    engine: Engine
    opened: datetime
    #: The last outbox row the poll wrote (alerts, and breaches with their thread lines)
    polled: int

    def cli(self, *args: str) -> Result:
        return CliRunner().invoke(app, [*args, "-c", str(self.config), "--database-url", self.url])

    def case(self, number: int) -> Case:
        with Session(self.engine) as session:
            found = session.get(Case, number)
            assert found is not None
            return found

    def events(self, number: int) -> list[CaseEvent]:
        with Session(self.engine) as session:
            query = select(CaseEvent).where(CaseEvent.case_id == number).order_by(CaseEvent.id)
            return list(session.scalars(query))

    def outbox(self, number: int, kind: str) -> list[Outbox]:
        """The rows of ``kind`` written for case ``number`` since the poll."""
        with Session(self.engine) as session:
            query = select(Outbox).where(
                Outbox.case_id == number, Outbox.kind == kind, Outbox.id > self.polled
            )
            return list(session.scalars(query.order_by(Outbox.id)))

    def counts(self) -> tuple[int, int]:
        with Session(self.engine) as session:
            events = session.scalar(select(func.count()).select_from(CaseEvent))
            rows = session.scalar(select(func.count()).select_from(Outbox))
            return int(events or 0), int(rows or 0)


def make_desk(tmp_path: Path, url: str, config: str = CONFIG) -> Iterator[Desk]:
    opened = (datetime.now(UTC) - timedelta(hours=6)).replace(second=0, microsecond=0)
    lines = [
        json.dumps(
            {
                "id": f"x-{n}",
                "platform": "x",
                "text": f"NovaBrew my order never arrived {n}",
                "url": f"https://x.com/shirin/status/{n}",
                "author": {"id": f"u-{n}", "handle": f"customer{n}"},
                "created_at": opened.isoformat(),
            }
        )
        for n in (1, 2, 3)
    ]
    (tmp_path / "posts.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = tmp_path / "replywatch.yaml"
    path.write_text(config, encoding="utf-8")
    polled = CliRunner().invoke(app, ["poll", "--once", "-c", str(path), "--database-url", url])
    assert polled.exit_code == 0, polled.output
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        for case in session.scalars(select(Case)):
            case.owner = None  # poll --once's clock check may have assigned them
        polled = session.scalar(select(func.max(Outbox.id))) or 0
    try:
        yield Desk(path, url, engine, opened, polled)
    finally:
        engine.dispose()


@pytest.fixture
def desk(tmp_path: Path, database_url: str) -> Iterator[Desk]:
    yield from make_desk(tmp_path, database_url)


@pytest.fixture
def sqlite_desk(tmp_path: Path) -> Iterator[Desk]:
    yield from make_desk(tmp_path, f"sqlite:///{tmp_path / 'replywatch.db'}")


def due(desk: Desk, after: timedelta) -> str:
    return f"{desk.opened + after:%Y-%m-%d %H:%M}Z"


def test_claim_resolve_and_reopen_leave_what_the_buttons_leave(desk: Desk) -> None:
    claimed = desk.cli("case", "RW-1", "claim", "--as", "ana  LIMA")  # as the config spells it
    assert claimed.exit_code == 0, claimed.output
    assert claimed.stdout == (
        "You own RW-1 now. Clock stopped: acknowledge (missed, was due "
        f"{due(desk, timedelta(minutes=15))}).\n"
    )
    case = desk.case(1)
    assert (case.owner, case.status) == ("Ana Lima", CaseStatus.ACKNOWLEDGED)
    assert case.acknowledged_at is not None and case.first_response_at is None
    event = desk.events(1)[-1]
    assert (event.kind, event.actor) == ("claimed", "Ana Lima (cli)")
    assert event.detail == {"owner": "Ana Lima", "from": None}
    [update] = desk.outbox(1, OutboxKind.ALERT_UPDATE)
    assert (update.key, update.target) == (f"update:1:{event.id}", "#support")
    assert update.payload == {"line": "Claimed by Ana Lima", "case_id": 1}

    resolved = desk.cli("case", "1", "resolve", "--as", "Ana Lima", "--note", "refund  sent")
    assert resolved.exit_code == 0, resolved.output
    assert resolved.stdout == "RW-1 resolved. Clock stopped: resolve (met).\n"
    case = desk.case(1)
    assert case.status == CaseStatus.RESOLVED and case.resolved_at is not None
    event = desk.events(1)[-1]
    assert (event.kind, event.actor, event.detail) == (
        "resolved",
        "Ana Lima (cli)",
        {"note": "refund sent"},
    )
    updates = desk.outbox(1, OutboxKind.ALERT_UPDATE)
    assert [u.payload["line"] for u in updates] == ["Claimed by Ana Lima", "Resolved by Ana Lima"]
    assert updates[-1].key == f"update:1:{event.id}"

    # resolving a resolved case: refused, one line on stderr, exit 1, nothing written
    before = desk.counts()
    again = desk.cli("case", "RW-1", "resolve", "--as", "Ben Okafor")
    assert again.exit_code == 1 and isinstance(again.exception, SystemExit)
    assert again.stderr == "error: RW-1 is already resolved.\n" and again.stdout == ""
    assert desk.counts() == before

    reopened = desk.cli("case", "RW-1", "reopen", "--as", "Ben Okafor")
    assert reopened.exit_code == 0, reopened.output
    assert reopened.stdout == "RW-1 reopened; its clocks run again. Running again: resolve.\n"
    case = desk.case(1)
    assert case.status == CaseStatus.ACKNOWLEDGED and case.resolved_at is None
    assert desk.events(1)[-1].actor == "Ben Okafor (cli)"
    assert desk.outbox(1, OutboxKind.ALERT_UPDATE)[-1].payload["line"] == "Reopened by Ben Okafor"

    # `case RW-N` alone still shows the case, with the trail the actions wrote
    shown = desk.cli("case", "RW-1")
    assert shown.exit_code == 0, shown.output
    trail = [line for line in shown.stdout.splitlines() if "Ana Lima (cli)" in line]
    assert [line.split()[2] for line in trail] == ["claimed", "resolved"]
    assert trail[1].endswith('note="refund sent"')


def test_responded_not_complaint_and_escalate(desk: Desk) -> None:
    responded = desk.cli("case", "RW-2", "responded", "--as", "Ben Okafor")
    assert responded.exit_code == 0, responded.output
    assert responded.stdout == (
        "RW-2 marked responded; its response clock has stopped. Clocks stopped: acknowledge"
        f" (missed, was due {due(desk, timedelta(minutes=15))}), first response (missed, was"
        f" due {due(desk, timedelta(hours=4))}).\n"
    )
    case = desk.case(2)
    assert case.status == CaseStatus.RESPONDED and case.first_response_at is not None
    assert case.owner is None  # marking it answered gives it to nobody, as the button
    event = desk.events(2)[-1]
    assert (event.kind, event.actor, event.detail) == (
        "responded",
        "Ben Okafor (cli)",
        {"via": "cli"},
    )
    assert desk.outbox(2, OutboxKind.ALERT_UPDATE)[-1].payload["line"] == (
        "Marked responded by Ben Okafor"
    )

    dismissed = desk.cli("case", "RW-2", "not-complaint", "--as", "Ben Okafor")
    assert dismissed.exit_code == 0, dismissed.output
    assert dismissed.stdout.startswith("RW-2 closed as not a complaint; saved as a label")
    assert "Clock" not in dismissed.stdout  # no clock counts for it now
    assert desk.case(2).status == CaseStatus.DISMISSED
    with Session(desk.engine) as session:
        [label] = session.scalars(select(Label))
        assert (label.label, label.actor) == ("not_complaint", "Ben Okafor (cli)")

    escalated = desk.cli("case", "RW-3", "escalate", "--as", "Ana Lima")
    assert escalated.exit_code == 0, escalated.output
    assert escalated.stdout == "RW-3 escalated to Marco Reyes.\n"
    [asked] = desk.outbox(3, OutboxKind.ESCALATION)
    assert asked.target == "#support"
    assert asked.payload["text"] == "Marco Reyes: Ana Lima asks for help with RW-3."
    assert asked.payload["extra"] == {"mentions": ["U0MARCO01"]}
    assert desk.outbox(3, OutboxKind.ALERT_UPDATE)[-1].payload["line"] == "Escalated by Ana Lima"
    # the lead was asked moments ago: not asked twice
    twice = desk.cli("case", "RW-3", "escalate", "--as", "Ana Lima")
    assert twice.exit_code == 1
    assert twice.stderr == "error: RW-3 was escalated moments ago; the lead has been told.\n"
    assert len(desk.outbox(3, OutboxKind.ESCALATION)) == 1


def test_mistakes_are_one_line_and_change_nothing(sqlite_desk: Desk) -> None:
    desk = sqlite_desk
    before = desk.counts()
    wrong = {
        # (arguments, exit code, what stderr says)
        ("case", "RW-99", "claim", "--as", "Ana Lima"): (1, "error: no case RW-99\n"),
        ("case", "RW-x", "claim", "--as", "Ana Lima"): (2, "give a case number"),
        ("case", "RW-1", "close", "--as", "Ana Lima"): (2, "'close' is not one of 'claim'"),
        ("case", "RW-1", "claim"): (2, "error: --as NAME: say who does it"),
        ("case", "RW-1", "claim", "--as", " "): (2, "error: --as: give the name"),
        ("case", "RW-1", "--as", "Ana Lima"): (2, "error: --as and --note go with an action"),
        ("case", "RW-1", "resolve", "--as", "Ana Lima", "--note", " "): (2, "error: --note"),
        ("case", "RW-1", "claim", "--as", "Anna Lima"): (
            2,
            "error: --as: nobody named 'Anna Lima' is a member or lead of a team in the config"
            " (people: Ana Lima, Ben Okafor, Marco Reyes)\n",
        ),
        ("case", "RW-1", "reopen", "--as", "Ana Lima"): (
            1,
            "error: RW-1 is not closed (open); nothing to reopen.\n",
        ),
        ("case", "RW-1", "send-ack", "--as", "Ana Lima"): (
            1,
            "error: Not sent: acknowledgements are off for this platform (off).\n",
        ),
    }
    for args, (code, said) in wrong.items():
        result = desk.cli(*args)
        assert result.exit_code == code, (args, result.output)
        assert isinstance(result.exception, SystemExit), args  # no traceback
        assert result.stdout == "", args
        if said.endswith("\n"):  # our own line, whole
            assert result.stderr == said, (args, result.stderr)
        else:  # a start of ours, or in Click's box
            assert said in " ".join(result.stderr.split()), (args, result.stderr)
    assert desk.counts() == before
    case = desk.case(1)
    assert (case.owner, case.status) == (None, CaseStatus.OPEN)


def test_a_config_that_names_nobody_takes_any_name(tmp_path: Path) -> None:
    """Without members or leads there is no list to check a name against."""
    config = CONFIG[: CONFIG.index("    lead:")] + CONFIG[CONFIG.index("sources:") :]
    for desk in make_desk(tmp_path, f"sqlite:///{tmp_path / 'replywatch.db'}", config):
        result = desk.cli("case", "RW-1", "claim", "--as", "ops on call")
        assert result.exit_code == 0, result.output
        assert desk.case(1).owner == "ops on call"
        assert desk.events(1)[-1].actor == "ops on call (cli)"


def test_the_command_offers_every_button() -> None:
    """A button added to Slack is an action on the command line too."""
    typed = {name.replace("-", "_") for name in get_args(CaseAction)}
    assert typed == set(actions.ACTIONS) == set(blocks.ACTIONS)
