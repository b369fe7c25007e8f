"""The report's figures against a small case list worked out by hand.

Every expected number below is derived in the comments from the explicit case list, with
the definitions in ``monitor/reports.py``: the median is the middle value (mean of the two
middle ones for an even count), the 90th percentile the nearest-rank value (rank
ceil(0.9 * n) in ascending order).
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from rich.console import Console
from sqlalchemy import select
from typer import Typer
from typer.testing import CliRunner

from monitor.app import App
from monitor.cli_report import print_report, register, render_csv, render_json
from monitor.models import Case, Outbox
from monitor.reports import ALL, CaseRecord, ReportRow, build_report, compute, median, percentile
from sources.base import Author, SourcePost
from sources.memory import MemorySource
from tests.fakes import FakeClock
from tests.response.response_support import BASE, TaggedClassifier, make_settings

STANDARDS = {
    "default": {
        "acknowledge": {"within": "15m"},
        "first_response": {s: {"within": "1h"} for s in ("low", "normal", "high", "critical")},
        "resolve": {"within": "8h", "time": "business"},
    }
}
SETTINGS = make_settings(service_standards=STANDARDS)
MIN = 60.0
HOUR = 3600.0


def t(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)  # 16 Nov 2026 is a Monday


def record(
    id: int,
    owner: str | None,
    opened: datetime,
    *,
    ack=None,
    first=None,
    resolved=None,
    status="open",
) -> CaseRecord:
    return CaseRecord(id, "support", owner, "normal", status, opened, ack, first, resolved)


CASES = [
    # alice
    record(1, "alice", t(16, 10), ack=t(16, 10, 5), first=t(16, 10, 30), resolved=t(16, 12)),
    record(2, "alice", t(16, 11), ack=t(16, 11, 20), first=t(16, 12, 30), resolved=t(17, 11)),
    record(3, "alice", t(16, 16), first=t(16, 16, 10)),
    # bob
    record(4, "bob", t(16, 9), ack=t(16, 9, 10)),
    record(5, "bob", t(16, 9, 30), resolved=t(16, 9, 40), status="dismissed"),
    # nobody yet, opened ten minutes before the report
    record(6, None, t(20, 17, 50)),
]
NOW = t(20, 18)


def test_median_and_nearest_rank_percentile() -> None:
    assert median([5, 10, 10, 20]) == 10
    assert median([1, 2, 3, 4]) == 2.5
    assert percentile([5, 10, 10, 20], 90) == 20  # rank ceil(3.6) = 4
    assert percentile(list(range(1, 21)), 90) == 18  # rank ceil(18.0) = 18
    assert percentile([], 90) is None and median([]) is None


def test_team_and_owner_figures_match_the_hand_computation() -> None:
    rows = compute(
        CASES, SETTINGS, now=NOW, volume_by_team={"support": 12}, quiet_by_team={"support": 2}
    )
    by_owner = {r.owner: r.figures for r in rows if r.team == "support"}
    assert [r.owner for r in rows] == [ALL, "(unassigned)", "alice", "bob"]

    team = by_owner[ALL]
    assert (team.volume, team.complaints, team.quiet) == (12, 5, 2)  # case 5 was dismissed
    assert team.cases == 6  # the dismissed one included
    # what each time below is over: acknowledged 1-4 (case 3 by its response), responded 1-3,
    # resolved 1-2; 4 and 6 have no response yet
    assert team.count == {"acknowledge": 4, "first_response": 3, "resolve": 2}
    assert team.unanswered == 2
    # acknowledge = earlier of ack and first response: 5m, 20m, 10m (case 3), 10m -> 5,10,10,20
    assert team.median_s["acknowledge"] == 10 * MIN
    assert team.p90_s["acknowledge"] == 20 * MIN
    # first response: 30m, 90m, 10m -> 10,30,90: median 30m, p90 rank ceil(2.7) = 3 -> 90m
    assert team.median_s["first_response"] == 30 * MIN
    assert team.p90_s["first_response"] == 90 * MIN
    # resolution: 2h (case 1), 24h (case 2): median 13h, p90 rank 2 -> 24h
    assert team.median_s["resolve"] == 13 * HOUR
    assert team.p90_s["resolve"] == 24 * HOUR
    # acknowledge within 15m: 1 yes, 2 no (20m), 3 yes, 4 yes; case 6 not yet due -> 3/4
    assert team.met_pct["acknowledge"] == 75.0
    # first response within 1h: 1 yes, 2 no, 3 yes, 4 no (still waiting, past due) -> 2/4
    assert team.met_pct["first_response"] == 50.0
    # resolve within 8 business hours: 1 yes; 2 took Mon 11-17 + Tue 9-11 = exactly 8h -> yes;
    # 3 open, due Tue 16:00 -> no; 4 open, due Mon 17:00 -> no -> 2/4
    assert team.met_pct["resolve"] == 50.0
    assert team.missed == {"acknowledge": 1, "first_response": 2, "resolve": 2}
    assert team.breaches == 1 + 2 + 2  # clocks, not cases: case 2 and case 4 missed two each

    alice = by_owner["alice"]
    # a person owns cases, not mentions: no "volume" that would mean cases here, posts there
    assert (alice.volume, alice.cases, alice.complaints, alice.unanswered) == (None, 3, 3, 0)
    assert alice.count == {"acknowledge": 3, "first_response": 3, "resolve": 2}
    assert alice.median_s["acknowledge"] == 10 * MIN  # 5, 10, 20
    assert alice.p90_s["acknowledge"] == 20 * MIN  # rank ceil(2.7) = 3
    assert alice.met_pct == {
        "acknowledge": pytest.approx(200 / 3),
        "first_response": pytest.approx(200 / 3),
        "resolve": pytest.approx(200 / 3),
    }
    assert alice.breaches == 3

    bob = by_owner["bob"]
    assert (bob.volume, bob.cases, bob.complaints, bob.breaches) == (None, 2, 1, 2)
    assert bob.count == {"acknowledge": 1, "first_response": 0, "resolve": 0}
    assert (bob.unanswered, bob.missed["first_response"]) == (1, 1)
    assert bob.met_pct == {"acknowledge": 100.0, "first_response": 0.0, "resolve": 0.0}
    assert bob.median_s["first_response"] is None

    nobody = by_owner["(unassigned)"]
    assert (nobody.complaints, nobody.breaches, nobody.unanswered) == (1, 0, 1)
    assert nobody.count == {"acknowledge": 0, "first_response": 0, "resolve": 0}
    assert nobody.met_pct["acknowledge"] is None  # nothing decided yet


def test_report_command_reads_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'rw.db'}"
    config = tmp_path / "replywatch.yaml"
    config.write_text(
        yaml.safe_dump({**BASE, "database_url": url, "service_standards": STANDARDS}),
        encoding="utf-8",
    )
    now = datetime.now(UTC).replace(microsecond=0)
    clock = FakeClock(now - timedelta(hours=2))
    source = MemorySource("mem", platform="x")
    app = App.build(
        make_settings(database_url=url, service_standards=STANDARDS),
        clock=clock,
        sources=[source],
        classifier=TaggedClassifier(),
    )
    try:
        for i, handle in enumerate(("a", "b", "c")):
            source.add(
                SourcePost(
                    platform="x",
                    native_id=str(i),
                    text=f"NovaBrew broken {i}" if i < 2 else "I love NovaBrew",
                    author=Author(native_id=handle, handle=handle),
                    created_at=clock.now,
                )
            )
        app.poll(source)
        with app.sessions() as s:
            first, second = s.scalars(select(Case).order_by(Case.id)).all()
        clock.advance(timedelta(minutes=6))
        app.actions().on_action("claim", first.id, "U0BOB0001", "Bob")
        clock.advance(timedelta(minutes=30))  # the second case's acknowledgement is now late
        # claimed first: in business hours the case was given to a member on opening (the
        # one with fewest cases, which may be bob), out of hours to the on-call one
        app.actions().on_action("claim", second.id, "U0ALICE01", "Alice")
        app.actions().on_action("responded", second.id, "U0ALICE01", "Alice")
        clock.now = now
        app.check_quiet()  # nothing waits for a first response from case 2; case 1 waits
        with app.sessions() as s:
            quiet = s.scalars(select(Outbox.key).where(Outbox.key.like("quiet:%"))).all()
    finally:
        app.close()

    cli = Typer()
    register(cli)
    result = CliRunner().invoke(
        cli, ["report", "-c", str(config), "--since", "1d", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = {(r["team"], r["owner"]): r for r in json.loads(result.output)["rows"]}
    team = rows[("support", ALL)]
    # three mentions of NovaBrew (one praise), two complaints
    assert (team["volume"], team["complaints"]) == (3, 2)
    # acknowledged after 6m (claim) and 36m (marked responded): median 21m, p90 36m
    assert team["acknowledge_median_s"] == 21 * MIN and team["acknowledge_p90_s"] == 36 * MIN
    assert team["acknowledge_met_pct"] == 50.0
    assert team["first_response_median_s"] == 36 * MIN
    assert team["quiet_periods"] == len(quiet) == 1  # the account never replied in 2h
    assert rows[("support", "bob")]["complaints"] == 1

    csv_out = CliRunner().invoke(cli, ["report", "-c", str(config), "--format", "csv"])
    assert csv_out.exit_code == 0
    lines = csv_out.output.splitlines()
    assert lines[0].startswith("team,owner,volume,complaints,acknowledge_median_s")
    assert len(lines) == 1 + len(rows)
    table = CliRunner(env={"COLUMNS": "220"}).invoke(cli, ["report", "-c", str(config)])
    assert table.exit_code == 0 and "support" in table.output
    for width in ("80", "120"):  # on a terminal that wide: nothing cut to fit it
        env = {"COLUMNS": width, "TTY_COMPATIBLE": "1", "NO_COLOR": "1"}
        shown = CliRunner(env=env).invoke(cli, ["report", "-c", str(config)])
        assert shown.exit_code == 0, shown.output
        text = re.sub(r"\x1b\[[0-9;]*m", "", shown.output)
        assert "…" not in text and "complaints" in text and "support" in text, text
        assert max(map(len, text.splitlines())) <= int(width), text
    bad = CliRunner().invoke(cli, ["report", "-c", str(config), "--since", "soon"])
    assert bad.exit_code == 2 and "--since" in bad.output

    trail = CliRunner().invoke(cli, ["case", str(first.id), "-c", str(config)])
    assert trail.exit_code == 0 and "claimed" in trail.output and "slack:U0BOB0001" in trail.output


def test_a_csv_of_an_empty_window_still_has_its_header() -> None:
    # a scheduled export of a quiet week gets the columns, not an empty file
    (row, *_) = compute(CASES, SETTINGS, now=NOW, volume_by_team={}, quiet_by_team={})
    assert list(row.as_dict()) == ReportRow.columns()
    assert render_csv([]) == ",".join(ReportRow.columns()) + "\n"
    assert render_csv([row]).splitlines()[0] == ",".join(ReportRow.columns())


def test_a_window_reaching_past_the_year_1_is_all_time(database_url: str, apps: list[App]) -> None:
    # now - 99999999 weeks overflowed datetime: the report counts every case there is
    now = datetime.now(UTC).replace(microsecond=0)
    clock = FakeClock(now - timedelta(days=3 * 365))
    source = MemorySource("mem", platform="x")
    settings = make_settings(database_url=database_url, service_standards=STANDARDS)
    app = App.build(settings, clock=clock, sources=[source], classifier=TaggedClassifier())
    apps.append(app)
    source.add(
        SourcePost(
            platform="x",
            native_id="1",
            text="NovaBrew broken again",
            author=Author(native_id="a", handle="a"),
            created_at=clock.now,
        )
    )
    app.poll(source)
    with app.sessions() as session:
        (team,) = build_report(session, settings, since=timedelta(weeks=99999999), now=now)[:1]
        recent = build_report(session, settings, since=timedelta(weeks=1), now=now)
    assert (team.team, team.owner) == ("support", ALL)
    assert (team.figures.volume, team.figures.complaints) == (1, 1)
    assert recent == []  # three years old: outside a week, inside all time


#: The columns exports had before counts were added: kept, in order, so they keep working.
OLD_COLUMNS = [
    "team",
    "owner",
    "volume",
    "complaints",
    "acknowledge_median_s",
    "acknowledge_p90_s",
    "first_response_median_s",
    "first_response_p90_s",
    "resolve_median_s",
    "resolve_p90_s",
    "acknowledge_met_pct",
    "first_response_met_pct",
    "resolve_met_pct",
    "breaches",
    "quiet_periods",
]


def priya() -> list[CaseRecord]:
    """Eleven complaints for one person, two acknowledged (after 8m and 18m), nine open."""
    opened = [t(20, 9, 2 * n) for n in range(11)]
    return [
        record(1, "Priya Nair", opened[0], ack=opened[0] + timedelta(minutes=8)),
        record(2, "Priya Nair", opened[1], ack=opened[1] + timedelta(minutes=18)),
        *(record(n + 1, "Priya Nair", opened[n]) for n in range(2, 11)),
    ]


def test_a_time_says_how_many_cases_it_is_over() -> None:
    """ "ack p50 13m / p90 18m" read as the person's pace while 9 of 11 were never touched:
    each time says how many complaints it is over, and how many still wait for an answer, in
    every format."""
    (_, row) = compute(priya(), SETTINGS, now=t(20, 18), volume_by_team={}, quiet_by_team={})
    figures = row.as_dict()
    assert figures["acknowledge_median_s"] == 13 * MIN and figures["acknowledge_p90_s"] == 18 * MIN
    assert (figures["complaints"], figures["acknowledge_count"], figures["unanswered"]) == (
        11,
        2,
        11,
    )
    assert figures["first_response_count"] == 0 and figures["first_response_median_s"] is None
    assert figures["acknowledge_missed"] == 1 + 9  # 18m late, and nine past their 15m

    assert ReportRow.columns()[: len(OLD_COLUMNS)] == OLD_COLUMNS  # new columns only at the end
    header, line = render_csv([row]).splitlines()
    exported = dict(zip(header.split(","), line.split(","), strict=True))
    assert (exported["acknowledge_count"], exported["complaints"]) == ("2", "11")
    parsed = json.loads(render_json([row], since="7d", now=t(20, 18)))["rows"][0]
    assert (parsed["acknowledge_count"], parsed["unanswered"], parsed["volume"]) == (2, 11, None)

    for width in (80, 120):
        shown = printed([row], width)
        assert "2/11" in shown and "13m" in shown, shown


def printed(rows: list[ReportRow], width: int) -> str:
    """What ``replywatch report`` shows on a terminal ``width`` columns wide."""
    out = io.StringIO()
    console = Console(
        file=out, width=width, force_terminal=True, color_system=None, markup=False, emoji=False
    )
    print_report(console, rows, title="replywatch: last 7d")
    return out.getvalue()


@pytest.mark.parametrize("width", [80, 120])
def test_the_report_never_cuts_a_name_or_a_heading(width: int) -> None:
    """At 80 and 120 columns the table cut "app-team" to "app-te…", "(unassigned)" to
    "(unass…" and "complaints" to "compla…": a name is never cut, nor a line too wide."""
    owners = ["Shirin Ahmadi", "Tomás Ortega", None, "Maria Fernanda de los Santos"]
    cases = [record(n, owner, t(20, 9, n), ack=t(20, 9, n + 20)) for n, owner in enumerate(owners)]
    devices = [CaseRecord(9, "devices", "Ben Okafor", "high", "open", t(20, 9), None, None, None)]
    rows = compute(
        [*cases, *devices],
        SETTINGS,
        now=t(20, 18),
        volume_by_team={"support": 140, "devices": 35},
        quiet_by_team={"support": 1},
    )
    shown = printed(rows, width)
    lines = shown.splitlines()
    assert "…" not in shown
    assert max(len(line.rstrip()) for line in lines) <= width
    for row in rows:  # the team and the owner, each whole, on one line
        owner = "" if row.owner == ALL else row.owner
        assert any(row.team in line and owner in line for line in lines), (row, shown)
    for word in ("mentions", "complaints", "unanswered", "p50", "p90", "done", "missed"):
        assert word in shown
    if width == 120:  # room for the table
        assert any(line.split() == HEADINGS for line in lines), shown


HEADINGS = [
    "team",
    "owner",
    "mentions",
    "complaints",
    "unanswered",
    "quiet",
    "clock",
    "p50",
    "p90",
    "done",
    "met",
    "missed",
]
