"""The report's figures against a small case list worked out by hand.

Every expected number below is derived in the comments from the explicit case list, with
the definitions in ``monitor/reports.py``: the median is the middle value (mean of the two
middle ones for an even count), the 90th percentile the nearest-rank value (rank
ceil(0.9 * n) in ascending order).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from typer import Typer
from typer.testing import CliRunner

from monitor.app import App
from monitor.cli_report import register, render_csv
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
    assert team.breaches == 1 + 2 + 2

    alice = by_owner["alice"]
    assert (alice.volume, alice.complaints) == (3, 3)
    assert alice.median_s["acknowledge"] == 10 * MIN  # 5, 10, 20
    assert alice.p90_s["acknowledge"] == 20 * MIN  # rank ceil(2.7) = 3
    assert alice.met_pct == {
        "acknowledge": pytest.approx(200 / 3),
        "first_response": pytest.approx(200 / 3),
        "resolve": pytest.approx(200 / 3),
    }
    assert alice.breaches == 3

    bob = by_owner["bob"]
    assert (bob.volume, bob.complaints, bob.breaches) == (2, 1, 2)
    assert bob.met_pct == {"acknowledge": 100.0, "first_response": 0.0, "resolve": 0.0}
    assert bob.median_s["first_response"] is None

    nobody = by_owner["(unassigned)"]
    assert (nobody.complaints, nobody.breaches) == (1, 0)
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
