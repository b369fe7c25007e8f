"""``replywatch report`` and ``replywatch case``: service figures and one case's trail
(and the clock helpers ``replywatch cases`` shows in its list). ``case RW-N ACTION`` acts on
the case instead: :mod:`monitor.cli_case`.

:func:`register` adds the commands to the main Typer app (``monitor/cli.py`` calls it).
Expected failures print one line and exit 2 (bad configuration or input) or 1 (runtime,
or no such case). Both open the database as every reading command does
(:func:`~monitor.cli_common.open_database`): migrated, and refused if it is not there.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Literal

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from alerts.blocks import clean_text
from monitor.cases import CLOSED
from monitor.cli_case import ACTION_HELP, CaseAction, act_on_case
from monitor.cli_common import (
    ConfigOption,
    DatabaseOption,
    data_console,
    failures,
    open_database,
    print_whole,
    readonly_settings,
    usage_error,
)
from monitor.clocks import ClockState
from monitor.errors import NotFound
from monitor.models import Case, CaseEvent, CaseStatus
from monitor.reports import ALL, CLOCKS, ReportRow, build_report
from monitor.settings import Settings, parse_duration
from monitor.settings_types import format_duration

__all__ = [
    "age_text",
    "case_lines",
    "clock_lines",
    "due_text",
    "next_due",
    "print_report",
    "register",
    "render_csv",
    "render_json",
    "render_lines",
    "render_table",
]

_CASE_NUMBER = re.compile(r"(?:RW-)?(\d+)", re.IGNORECASE | re.ASCII)
#: Each clock as the report's table names it (short: it is a column of every row).
_SHORT = {"acknowledge": "ack", "first_response": "1st resp", "resolve": "resolve"}
#: Wider than any table: measured at this width, a table comes out as wide as its widest row.
_WIDEST = 100_000

#: What each column of ``replywatch report`` means; the command's help prints it.
REPORT_COLUMNS = (
    'For the cases opened in the window, a row per team (owner "(all)") and per owner.'
    " mentions: posts mentioning an entity the team owns (team rows only). complaints: cases"
    ' less those marked "not a complaint". unanswered: complaints with no response yet.'
    " quiet: quiet-account notices (team rows only). Then a line per clock (ack, 1st resp,"
    " resolve): p50 and p90: median and 90th percentile of the time from opening, over the"
    " complaints where it happened; done: how many those are, of the complaints (2/11: the"
    " times are over 2 of 11); met: share of the decided clocks that stopped in time; missed:"
    " complaints that missed the standard (late, or still running past due). json and csv"
    " carry the same figures, times in seconds, CLOCK being acknowledge, first_response or"
    " resolve: volume (mentions), complaints, CLOCK_median_s, CLOCK_p90_s, CLOCK_met_pct,"
    " breaches (clocks missed, the three together: one case can miss three), quiet_periods,"
    ' cases (complaints and "not a complaint"), CLOCK_count (done), unanswered, CLOCK_missed;'
    ' a figure with no value is empty ("-" in the table).'
)


def _human(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {mins:02d}m" if hours else f"{mins}m"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def render_table(rows: list[ReportRow], *, title: str) -> Table:
    """A table row per team and owner, the clocks a line each inside it. Names are never
    wrapped nor cut (``no_wrap``); :func:`print_report` prints this table only where it fits
    whole, and :func:`render_lines` elsewhere."""
    table = Table(
        title=title, box=box.SIMPLE_HEAD, show_lines=True, collapse_padding=True, pad_edge=False
    )
    for name in ("team", "owner"):
        table.add_column(name, no_wrap=True)
    for name in ("mentions", "complaints", "unanswered", "quiet"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("clock", no_wrap=True)
    for name in ("p50", "p90", "done", "met", "missed"):
        table.add_column(name, justify="right", no_wrap=True)
    for row in rows:
        f = row.figures
        table.add_row(
            row.team,
            clean_text(row.owner),  # a name a Slack claim wrote
            _count(f.volume),
            str(f.complaints),
            str(f.unanswered),
            _count(f.quiet),
            *(
                "\n".join(cells)
                for cells in zip(
                    *(
                        (
                            _SHORT[c],
                            _human(f.median_s.get(c)),
                            _human(f.p90_s.get(c)),
                            f"{f.count.get(c, 0)}/{f.complaints}",
                            _pct(f.met_pct.get(c)),
                            str(f.missed.get(c, 0)),
                        )
                        for c in CLOCKS
                    ),
                    strict=True,
                )
            ),
        )
    return table


def render_lines(rows: list[ReportRow], *, title: str) -> list[str]:
    """The report for a narrow terminal: a line per team and owner, then a line per clock,
    the names whole (a table that narrow cut them to "app-te…")."""
    lines = [title]
    for row in rows:
        f = row.figures
        who = row.team if row.owner == ALL else f"{row.team} / {clean_text(row.owner)}"
        counts = [f"{f.complaints} complaints", f"{f.unanswered} unanswered"]
        if f.volume is not None:
            counts.insert(0, f"{f.volume} mentions")
        if f.quiet is not None:
            counts.append(f"{f.quiet} quiet")
        lines += ["", f"{who}: " + ", ".join(counts)]
        for c in CLOCKS:
            done = f"{f.count.get(c, 0)}/{f.complaints}"
            lines.append(
                f"  {_SHORT[c]:<8}  p50 {_human(f.median_s.get(c)):<7} "
                f"p90 {_human(f.p90_s.get(c)):<7} done {done:<9} "
                f"met {_pct(f.met_pct.get(c)):<4}  missed {f.missed.get(c, 0)}"
            )
    return lines


def print_report(console: Console, rows: list[ReportRow], *, title: str) -> None:
    """The table on a terminal wide enough for it, else a few lines per row; piped or in a
    file, the table as wide as it is (:func:`~monitor.cli_common.print_whole`). Rich fitted
    a table wider than the terminal by cutting every cell, names and headers included."""
    table = render_table(rows, title=title)
    if not console.is_terminal:
        print_whole(console, table)
        return
    natural = console.measure(table, options=console.options.update_width(_WIDEST)).maximum
    if natural <= console.width:
        console.print(table)
        return
    for line in render_lines(rows, title=title):
        console.print(line)


def render_json(rows: list[ReportRow], *, since: str, now: datetime) -> str:
    return json.dumps(
        {"since": since, "generated_at": now.isoformat(), "rows": [r.as_dict() for r in rows]},
        indent=2,
    )


def render_csv(rows: list[ReportRow]) -> str:
    """The header, from the row type, then a line per row: an empty window still has its
    columns, so a scheduled export reads as "no cases", not as a broken file."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=ReportRow.columns(), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.as_dict().items()})
    return buffer.getvalue()


def _case_number(value: str) -> int:
    """``95`` or ``RW-95`` (any case), as Slack shows a case, to 95."""
    found = _CASE_NUMBER.fullmatch(value.strip())
    if found is None:
        raise typer.BadParameter(f"{value!r}: give a case number: 95 or RW-95")
    return int(found[1])


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``case`` to ``app``; each command makes its console when it runs,
    so the terminal's width is read then."""

    @app.command(
        "report",
        help="Per team and owner: complaints, response times and over how many cases they"
        " are, standards met and missed.\n\n" + REPORT_COLUMNS,
    )
    def report(
        config: ConfigOption,
        since: Annotated[str, typer.Option(help="Window: 24h, 7d, 4w...")] = "7d",
        fmt: Annotated[
            Literal["table", "json", "csv"], typer.Option("--format", help="Output format.")
        ] = "table",
        database_url: DatabaseOption = None,
    ) -> None:
        try:
            window = parse_duration(since)
        except ValueError as exc:
            usage_error(f"--since: {exc} (got {since!r})")
        with failures():
            settings = readonly_settings(config, database_url)
            now = datetime.now(UTC)
            with open_database(settings.database_url) as sessions, sessions() as session:
                rows = build_report(session, settings, since=window, now=now)
        if fmt == "json":
            typer.echo(render_json(rows, since=since, now=now))
        elif fmt == "csv":
            typer.echo(render_csv(rows), nl=False)
        else:
            print_report(data_console(), rows, title=f"replywatch: last {since}")

    @app.command("case")
    def case(
        case_id: Annotated[
            int,
            typer.Argument(
                parser=_case_number,
                metavar="RW-N",
                help="Case number: 95 or RW-95, as Slack shows it.",
            ),
        ],
        config: ConfigOption,
        action: Annotated[
            CaseAction | None,
            typer.Argument(
                metavar="ACTION",
                help="Act on the case as its Slack button does. " + ACTION_HELP,
                show_default=False,
            ),
        ] = None,
        who: Annotated[
            str | None,
            typer.Option(
                "--as",
                metavar="NAME",
                help="Who acts (a team member or lead as the config names them), kept in the"
                " trail as NAME (cli); a claim gives them the case.",
            ),
        ] = None,
        note: Annotated[
            str | None, typer.Option(help="Why, kept in the trail on the action's event.")
        ] = None,
        database_url: DatabaseOption = None,
    ) -> None:
        """One case: its post, its clocks (due when, done when, overdue by how much) and its
        audit trail: who did what, when. With an ACTION and --as NAME, act on it as its Slack
        buttons do (the daemon posts the change to its thread) and print what changed."""
        if action is not None or who is not None or note is not None:
            act_on_case(
                case_id, action, who=who, note=note, config=config, database_url=database_url
            )
            return
        with failures():
            settings = readonly_settings(config, database_url)
            now = datetime.now(UTC)
            with open_database(settings.database_url) as sessions, sessions() as session:
                found = session.get(Case, case_id)
                if found is None:  # a runtime answer, exit 1: the number is well formed
                    raise NotFound(f"no case RW-{case_id}")
                trail = session.scalars(
                    select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
                )
                lines = case_lines(found, list(trail), clocks=clock_lines(found, settings, now=now))
        out = data_console()
        for line in lines:
            out.print(line, soft_wrap=True)  # a line each, piped or on screen


def case_lines(case: Case, trail: list[CaseEvent], *, clocks: Sequence[str] = ()) -> list[str]:
    """What ``replywatch case`` prints: the case, the post as the classifier read it (who
    wrote it where, its language, sentiment, complaint score and severity reasons), its text,
    its ``clocks`` (:func:`clock_lines`), then one line per event with its details as
    ``key=value``. What people wrote is cleaned as for Slack: a post's escape sequences cannot
    clear or fake the terminal, nor a bidi override reverse ``$0001`` into ``$1000``; its text
    is quoted (``> ``) line by line. A case nobody owns says "unassigned", as its alert does."""
    post = case.post
    author = f"@{post.author.handle}"
    if post.author.display_name:
        author += f" ({post.author.display_name})"
    read = [f"language {post.language or '?'}", f"sentiment {post.sentiment or '?'}"]
    if post.complaint is not None:
        read.append(f"complaint {post.complaint:.2f}")
    if post.severity_reasons:
        read.append("reasons: " + ", ".join(map(str, post.severity_reasons)))
    lines = [
        f"RW-{case.id} {case.severity} {case.status} "
        f"team {case.team}, owner {case.owner or 'unassigned'}, entity {case.entity_id}",
        f"{post.platform} post by {author} at {post.created_at:%Y-%m-%d %H:%M}Z"
        + (f"  {post.url}" if post.url else ""),
        ", ".join(read),
        # quoted line by line: a line the author wrote can never pass for an event
        *(f"> {line}" for line in clean_text(post.text).splitlines() or [""]),
        "",
        *((*clocks, "") if clocks else ()),
    ]
    for event in trail:
        when = f"{event.at:%Y-%m-%d %H:%M:%S}Z"
        lines.append(f"{when}  {event.kind:<14} {event.actor}  {_details(event.detail)}".rstrip())
    return [clean_text(line) for line in lines]


def clock_lines(case: Case, settings: Settings, *, now: datetime) -> list[str]:
    """Each clock of ``case`` at ``now``, a line each: its standard, when it falls due, and
    when it was done or by how much it is overdue (what the alert's "due" line says), in UTC
    as the rest of ``replywatch case``. A closed case's clock that never stopped is "never
    done", not overdue by a figure that grows forever; missed or not, as the report counts
    it. A case marked "not a complaint" has no clocks (the report leaves it out)."""
    from monitor.notify import clocks_for

    if case.status == CaseStatus.DISMISSED:
        return ["clocks: none, marked not a complaint"]
    if case.team not in settings.teams:  # a team since taken out of the config
        return [f"clocks: unknown, team {case.team} is not in the config"]
    closed = case.status in CLOSED
    lines = ["clocks:"]
    for name, state in clocks_for(case, settings, now=now).items():
        standard = state.standard
        within = format_duration(standard.within)
        if standard.time == "business":
            within += " business"
        if state.stopped_at is not None:
            late = (state.stopped_at - state.due_at).total_seconds()
            done = f"done {state.stopped_at:%Y-%m-%d %H:%M}Z, "
            verdict = done + ("met" if state.met else f"missed by {_human(late)}")
        elif closed:
            verdict = "never done, missed" if state.met is False else "never done"
        elif state.met is False:
            verdict = f"OVERDUE by {_human((now - state.due_at).total_seconds())}"
        else:
            verdict = f"running, {_human((state.due_at - now).total_seconds())} left"
        clock = name.replace("_", " ")
        due = f"due {state.due_at:%Y-%m-%d %H:%M}Z"
        lines.append(f"  {clock:<15} within {within:<12} {due}  {verdict}")
    return lines


def next_due(case: Case, settings: Settings, *, now: datetime) -> ClockState | None:
    """The running clock of ``case`` that falls due first: what is owed next, overdue once its
    due time has passed (no other clock can be overdue while it is not). ``None`` for a closed
    case (nothing is owed) and for one whose team has left the config (no standards)."""
    from monitor.notify import clocks_for

    if case.status in CLOSED or case.team not in settings.teams:
        return None
    running = [s for s in clocks_for(case, settings, now=now).values() if s.running]
    return min(running, key=lambda s: s.due_at, default=None)


def due_text(state: ClockState | None, *, now: datetime) -> str:
    """``next_due`` in a few words for a table cell: ``ack OVERDUE 2h 10m``, ``1st resp in
    35m``, or ``-`` when nothing is owed."""
    if state is None:
        return "-"
    if now >= state.due_at:
        return f"{_SHORT[state.name]} OVERDUE {_human((now - state.due_at).total_seconds())}"
    return f"{_SHORT[state.name]} in {_human((state.due_at - now).total_seconds())}"


def age_text(case: Case, *, now: datetime) -> str:
    """How long ago ``case`` was opened: ``3d 2h``, ``1h 05m``."""
    return _human((now - case.opened_at).total_seconds())


def _details(detail: dict[str, object] | None) -> str:
    """An event's details as ``key=value``, text as written (Persian stays Persian), the
    delivery's own bookkeeping (when an attempt was written, by the database's clock) left
    out: it says nothing about the case."""
    from monitor.delivery import SHARED_AT

    shown = {k: v for k, v in (detail or {}).items() if k != SHARED_AT}
    if "owner" in shown and shown["owner"] is None:  # as the case line and its alert say it
        shown["owner"] = "unassigned"
    return " ".join(f"{k}={_value(v)}" for k, v in shown.items())


def _value(value: object) -> str:
    """A word as it is; anything else, or text with spaces, as JSON (quoted, not escaped)."""
    if isinstance(value, str) and value and not any(c.isspace() for c in value):
        return value
    return json.dumps(value, ensure_ascii=False)
