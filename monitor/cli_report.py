"""``replywatch report`` and ``replywatch case``: service figures and one case's trail.

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
from datetime import UTC, datetime
from typing import Annotated, Literal

import typer
from rich.table import Table
from sqlalchemy import select

from alerts.blocks import clean_text
from monitor.cli_common import (
    ConfigOption,
    DatabaseOption,
    data_console,
    database,
    failures,
    open_database,
    readonly_settings,
    usage_error,
)
from monitor.errors import NotFound
from monitor.models import Case, CaseEvent
from monitor.reports import CLOCKS, ReportRow, build_report
from monitor.settings import parse_duration

__all__ = ["register", "render_csv", "render_json", "render_table"]

_CASE_NUMBER = re.compile(r"(?:RW-)?(\d+)", re.IGNORECASE | re.ASCII)
_SHORT = {"acknowledge": "ack", "first_response": "1st resp", "resolve": "resolve"}


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


def render_table(rows: list[ReportRow], *, title: str) -> Table:
    table = Table(title=title)
    for name in ("team", "owner", "volume", "complaints"):
        table.add_column(name, justify="left" if name in ("team", "owner") else "right")
    for clock in CLOCKS:
        table.add_column(f"{_SHORT[clock]} p50/p90", justify="right")
    for clock in CLOCKS:
        table.add_column(f"{_SHORT[clock]} met", justify="right")
    table.add_column("breaches", justify="right")
    table.add_column("quiet", justify="right")
    for row in rows:
        f = row.figures
        table.add_row(
            row.team,
            row.owner,
            "-" if f.volume is None else str(f.volume),
            str(f.complaints),
            *(f"{_human(f.median_s.get(c))} / {_human(f.p90_s.get(c))}" for c in CLOCKS),
            *(_pct(f.met_pct.get(c)) for c in CLOCKS),
            str(f.breaches),
            "-" if f.quiet is None else str(f.quiet),
        )
    return table


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

    @app.command("report")
    def report(
        config: ConfigOption,
        since: Annotated[str, typer.Option(help="Window: 24h, 7d, 4w...")] = "7d",
        fmt: Annotated[
            Literal["table", "json", "csv"], typer.Option("--format", help="Output format.")
        ] = "table",
        database_url: DatabaseOption = None,
    ) -> None:
        """Per team and owner: volume, complaints, response times, standards met, breaches."""
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
            data_console().print(render_table(rows, title=f"replywatch: last {since}"))

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
        database_url: DatabaseOption = None,
    ) -> None:
        """One case and its audit trail: who did what, when."""
        with failures(), database(config, database_url) as sessions, sessions() as session:
            found = session.get(Case, case_id)
            if found is None:  # a runtime answer, exit 1: the number is well formed
                raise NotFound(f"no case RW-{case_id}")
            trail = session.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
            )
            out = data_console()
            for line in case_lines(found, list(trail)):
                out.print(line, soft_wrap=True)  # a line each, piped or on screen


def case_lines(case: Case, trail: list[CaseEvent]) -> list[str]:
    """What ``replywatch case`` prints: the case, the post as the classifier read it (who
    wrote it where, its language, sentiment, complaint score and severity reasons), its text,
    then one line per event with its details as ``key=value``. What people wrote is cleaned as
    for Slack: a post's escape sequences cannot clear or fake the terminal, nor a bidi
    override reverse ``$0001`` into ``$1000``; its text is quoted (``> ``) line by line."""
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
        f"team {case.team}, owner {case.owner or 'none'}, entity {case.entity_id}",
        f"{post.platform} post by {author} at {post.created_at:%Y-%m-%d %H:%M}Z"
        + (f"  {post.url}" if post.url else ""),
        ", ".join(read),
        # quoted line by line: a line the author wrote can never pass for an event
        *(f"> {line}" for line in clean_text(post.text).splitlines() or [""]),
        "",
    ]
    for event in trail:
        when = f"{event.at:%Y-%m-%d %H:%M:%S}Z"
        lines.append(f"{when}  {event.kind:<14} {event.actor}  {_details(event.detail)}".rstrip())
    return [clean_text(line) for line in lines]


def _details(detail: dict[str, object] | None) -> str:
    """An event's details as ``key=value``, text as written (Persian stays Persian), the
    delivery's own bookkeeping (when an attempt was written, by the database's clock) left
    out: it says nothing about the case."""
    from monitor.delivery import SHARED_AT

    shown = {k: v for k, v in (detail or {}).items() if k != SHARED_AT}
    return " ".join(f"{k}={_value(v)}" for k, v in shown.items())


def _value(value: object) -> str:
    """A word as it is; anything else, or text with spaces, as JSON (quoted, not escaped)."""
    if isinstance(value, str) and value and not any(c.isspace() for c in value):
        return value
    return json.dumps(value, ensure_ascii=False)
