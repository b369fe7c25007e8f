"""Service reports: per team and per owner, how fast complaints were handled.

Figures, for the cases opened in the window (``since`` before ``now``). Each means one thing
on every row; a figure that has no meaning for a person is ``None`` on an owner's row:

- ``volume`` (the table's "mentions"): posts in the window that mention an entity the team
  owns; ``None`` for an owner (a person owns cases, not mentions);
- ``cases``: cases opened, those marked "not a complaint" included;
- ``complaints``: those cases less the ones marked "not a complaint";
- time to acknowledge, to first response and to resolution: median and 90th percentile of
  the calendar time from opening, over the complaints where that moment happened (a
  response also counts as the acknowledgement, as for the clocks); ``count`` per clock says
  how many complaints that is, so "13m" over 2 of 11 complaints is not read as over 11;
- ``unanswered``: complaints with no response yet (open or closed in silence);
- ``met``: per standard, the share of decided clocks that stopped by their due time (a clock
  still running past due counts as missed; one running and not yet due is left out);
- ``missed``: per standard, the complaints that missed it: stopped late, or running past due;
- ``breaches``: clocks missed, the three standards together: a case can miss all three, so
  it can exceed ``complaints``;
- ``quiet``: quiet-account notices raised for the team's accounts; ``None`` for an owner.

The median is the middle value (the mean of the two middle values for an even count); the
90th percentile is the nearest-rank value: the smallest value with at least 90% of values at
or below it. :func:`compute` is pure; :func:`build_report` reads the database.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.clocks import ClockName, case_clocks
from monitor.models import Case, CaseStatus, EntityMatch, Outbox, OutboxKind, Post
from monitor.settings import Settings

__all__ = [
    "ALL",
    "CaseRecord",
    "Figures",
    "ReportRow",
    "build_report",
    "compute",
    "median",
    "percentile",
    "window_start",
]

#: The owner column of a team's total row.
ALL = "(all)"
UNASSIGNED = "(unassigned)"
CLOCKS = (ClockName.ACKNOWLEDGE, ClockName.FIRST_RESPONSE, ClockName.RESOLVE)


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile: the smallest value with ``pct``% of values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return float(ordered[rank - 1])


@dataclass(frozen=True, slots=True)
class CaseRecord:
    id: int
    team: str
    owner: str | None
    severity: str
    status: str
    opened_at: datetime
    acknowledged_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None


@dataclass
class Figures:
    #: Mentions of the team's entities (``None`` on an owner's row).
    volume: int | None = 0
    complaints: int = 0
    #: Seconds, per clock: median and 90th percentile.
    median_s: dict[str, float | None] = field(default_factory=dict)
    p90_s: dict[str, float | None] = field(default_factory=dict)
    #: Percent met per clock (``None`` when no clock was decided).
    met_pct: dict[str, float | None] = field(default_factory=dict)
    #: Clocks missed, all three standards together (not cases: one case can miss three).
    breaches: int = 0
    quiet: int | None = 0
    #: Cases opened, "not a complaint" included.
    cases: int = 0
    #: Per clock, the complaints where that moment happened: what the times are over.
    count: dict[str, int] = field(default_factory=dict)
    #: Complaints with no response yet.
    unanswered: int = 0
    #: Per clock, the complaints that missed it.
    missed: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReportRow:
    team: str
    owner: str
    figures: Figures

    @staticmethod
    def columns() -> list[str]:
        """The keys of :meth:`as_dict`, in order, without a row: a CSV of an empty window
        still has its header. Columns are only ever added, at the end, so an export that
        reads them by position or by name keeps working."""
        return [
            "team",
            "owner",
            "volume",
            "complaints",
            *(f"{clock}_{figure}" for clock in CLOCKS for figure in ("median_s", "p90_s")),
            *(f"{clock}_met_pct" for clock in CLOCKS),
            "breaches",
            "quiet_periods",
            "cases",
            *(f"{clock}_count" for clock in CLOCKS),
            "unanswered",
            *(f"{clock}_missed" for clock in CLOCKS),
        ]

    def as_dict(self) -> dict[str, object]:
        f = self.figures
        values = [
            self.team,
            self.owner,
            f.volume,
            f.complaints,
            *(value for clock in CLOCKS for value in (f.median_s.get(clock), f.p90_s.get(clock))),
            *(f.met_pct.get(clock) for clock in CLOCKS),
            f.breaches,
            f.quiet,
            f.cases,
            *(f.count.get(clock, 0) for clock in CLOCKS),
            f.unanswered,
            *(f.missed.get(clock, 0) for clock in CLOCKS),
        ]
        return dict(zip(self.columns(), values, strict=True))


def _stop(record: CaseRecord, clock: ClockName) -> datetime | None:
    if clock == ClockName.ACKNOWLEDGE:
        stops = [t for t in (record.acknowledged_at, record.first_response_at) if t is not None]
        return min(stops, default=None)
    if clock == ClockName.FIRST_RESPONSE:
        return record.first_response_at
    return record.resolved_at


def _figures(records: Sequence[CaseRecord], settings: Settings, *, now: datetime) -> Figures:
    complaints = [r for r in records if r.status != CaseStatus.DISMISSED]
    figures = Figures(
        volume=None,
        complaints=len(complaints),
        cases=len(records),
        unanswered=sum(1 for r in complaints if r.first_response_at is None),
    )
    met: dict[str, list[bool]] = {c: [] for c in CLOCKS}
    durations: dict[str, list[float]] = {c: [] for c in CLOCKS}
    for record in complaints:
        team = settings.teams[record.team]
        states = case_clocks(
            opened_at=record.opened_at,
            severity=record.severity,
            acknowledged_at=record.acknowledged_at,
            first_response_at=record.first_response_at,
            resolved_at=record.resolved_at,
            standards=settings.service_standards[team.standards],
            hours=team.business_hours,
            now=now,
        )
        for clock in CLOCKS:
            stop = _stop(record, clock)
            if stop is not None:
                durations[clock].append((stop - record.opened_at).total_seconds())
            if states[clock].met is not None:
                met[clock].append(bool(states[clock].met))
    for clock in CLOCKS:
        figures.count[clock] = len(durations[clock])
        figures.median_s[clock] = median(durations[clock])
        figures.p90_s[clock] = percentile(durations[clock], 90)
        decided = met[clock]
        figures.met_pct[clock] = 100.0 * sum(decided) / len(decided) if decided else None
        figures.missed[clock] = sum(1 for ok in decided if not ok)
        figures.breaches += figures.missed[clock]
    return figures


def compute(
    records: Iterable[CaseRecord],
    settings: Settings,
    *,
    now: datetime,
    volume_by_team: Mapping[str, int],
    quiet_by_team: Mapping[str, int],
) -> list[ReportRow]:
    """Rows for each team (its total first, then each owner), teams in name order."""
    by_team: dict[str, list[CaseRecord]] = {}
    for record in records:
        by_team.setdefault(record.team, []).append(record)
    rows = []
    quiet_teams = {t for t, n in quiet_by_team.items() if n and t in settings.teams}
    for team in sorted(set(by_team) | {t for t, n in volume_by_team.items() if n} | quiet_teams):
        cases = by_team.get(team, [])
        total = _figures(cases, settings, now=now)
        total.volume = volume_by_team.get(team, 0)
        total.quiet = quiet_by_team.get(team, 0)
        rows.append(ReportRow(team, ALL, total))
        owners = sorted({r.owner or UNASSIGNED for r in cases})
        for owner in owners:
            mine = [r for r in cases if (r.owner or UNASSIGNED) == owner]
            figures = _figures(mine, settings, now=now)
            figures.quiet = None  # volume stays None too: mentions belong to a team
            rows.append(ReportRow(team, owner, figures))
    return rows


def window_start(now: datetime, since: timedelta) -> datetime:
    """``since`` before ``now``; a window reaching back past the year 1 (``--since 99999999w``)
    starts at the earliest time there is instead of overflowing. Such a window asks for all
    of history, and that is what it gets: nothing recorded is older, so the figures are exact,
    and a refusal would only make people hunt for the largest number accepted."""
    try:
        return now - since
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC)


def build_report(
    session: Session, settings: Settings, *, since: timedelta, now: datetime
) -> list[ReportRow]:
    """The report for cases opened in the ``since`` before ``now``."""
    start = window_start(now, since)
    records = [
        CaseRecord(
            id=c.id,
            team=c.team,
            owner=c.owner,
            severity=c.severity,
            status=c.status,
            opened_at=c.opened_at,
            acknowledged_at=c.acknowledged_at,
            first_response_at=c.first_response_at,
            resolved_at=c.resolved_at,
        )
        for c in session.scalars(
            select(Case).where(
                Case.opened_at >= start, Case.opened_at <= now, Case.team.in_(list(settings.teams))
            )
        )
    ]
    entity_team = {e.id: e.team for e in settings.entities}
    mentions: dict[str, set[int]] = {}
    rows = session.execute(
        select(EntityMatch.post_id, EntityMatch.entity_id)
        .join(Post, EntityMatch.post_id == Post.id)
        .where(Post.created_at >= start, Post.created_at <= now)
    )
    for post_id, entity_id in rows:
        team = entity_team.get(entity_id)
        if team is not None:
            mentions.setdefault(team, set()).add(post_id)
    quiet: dict[str, int] = {}
    for payload in session.scalars(
        select(Outbox.payload).where(
            Outbox.kind == OutboxKind.NOTICE,
            Outbox.key.like("quiet:%"),
            Outbox.created_at >= start,
            Outbox.created_at <= now,
        )
    ):
        team = str((payload or {}).get("team") or "")
        if team:
            quiet[team] = quiet.get(team, 0) + 1
    return compute(
        records,
        settings,
        now=now,
        volume_by_team={t: len(p) for t, p in mentions.items()},
        quiet_by_team=quiet,
    )
