"""The ``replywatch`` command line (Typer).

Every command that fails on purpose prints one line naming the problem and exits non-zero
without a traceback: 2 for bad configuration or input, 1 for a runtime failure (database
unreachable, a source down). Nothing here prints a secret.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from monitor.cli_common import (
    ConfigOption,
    DatabaseOption,
    data_console,
    err,
    failures,
    print_whole,
    readonly_settings,
)
from monitor.cli_logging import setup_logging
from monitor.settings import Settings
from monitor.settings_file import load_settings, settings_warnings
from monitor.settings_types import format_duration

if TYPE_CHECKING:  # imported by the commands that use them: `replywatch --help` stays quick
    from monitor.app import Checks, Polls
    from monitor.outbox import DeliveryReport
    from monitor.poller import PollReport

__all__ = ["app", "main"]

app = typer.Typer(
    name="replywatch",
    help="Hear every mention, route every complaint, keep every clock.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")

out = data_console()


def _settings(config: Path, database_url: str | None = None) -> Settings:
    return load_settings(config, database_url=database_url)


#: ``cases --status``: ``open`` (every case not closed), ``all``, or one :class:`CaseStatus`
CaseStatusFilter = Literal["open", "all", "acknowledged", "responded", "resolved", "dismissed"]
Verbose = Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output.")]


#: What ``init`` writes, alone or in the folder it is given.
_STARTER_NAME = "replywatch.yaml"


@app.command()
def init(
    path: Annotated[
        str,
        typer.Argument(
            help=f"The file to write, or a folder to write {_STARTER_NAME} in (one that "
            "exists, or a path ending in /).",
        ),
    ] = _STARTER_NAME,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter config to edit."""
    target = _starter_path(path)
    if (blocking := _file_in_the_way(target)) is not None:
        err.print(
            f"[bold red]error:[/] cannot write {escape(str(target))}: {escape(str(blocking))}"
            " is a file, not a folder; give a folder or a new file name",
            soft_wrap=True,
        )
        raise typer.Exit(2)
    if target.exists() and not force:
        err.print(f"[bold red]error:[/] {escape(str(target))} exists; use --force to overwrite it")
        raise typer.Exit(2)
    text = resources.files("monitor").joinpath("starter.yaml").read_text(encoding="utf-8")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:  # a folder at the path, a file where a folder should be, no permission
        err.print(
            f"[bold red]error:[/] cannot write {escape(str(target))}: "
            f"{escape(exc.strerror or str(exc))}; give a file path you can write to"
        )
        raise typer.Exit(2) from None
    # soft_wrap: one line however long the path (it is copied from, not read on screen)
    out.print(f"wrote {target}; check it with: replywatch check-config -c {target}", soft_wrap=True)


def _starter_path(where: str) -> Path:
    """The file ``init`` writes: ``where``, or ``where/replywatch.yaml`` for a folder. A path
    ending in a separator names a folder even before it exists (``Path`` drops the slash,
    hence a ``str`` argument); an existing folder is one whatever its spelling."""
    path = Path(where)
    separators = tuple(sep for sep in (os.sep, os.altsep) if sep)
    if where.endswith(separators) or path.is_dir():
        return path / _STARTER_NAME
    return path


def _file_in_the_way(target: Path) -> Path | None:
    """The file standing where ``target``'s folder should be (``init afile/`` with ``afile`` a
    file), which the OS would only report as "File exists" or "Not a directory" for the path
    as a whole; ``None`` when the nearest existing folder above ``target`` is a folder."""
    for folder in (target.parent, *target.parent.parents):
        if folder.exists():
            return None if folder.is_dir() else folder
    return None


@app.command("check-config")
def check_config(config: ConfigOption, database_url: DatabaseOption = None) -> None:
    """Validate a settings file and summarise what it watches.

    Makes the start-up checks ``poll`` and ``run`` make that need no network and no database
    (templates, watch terms, classifier, sources), so what passes here starts there. A jsonl
    file not there yet is a warning: the file may come later (the source is down until then).
    """
    from monitor.app import check_startup
    from monitor.db import safe_url

    setup_logging(0)  # what the checks log (a team model it cannot read) in the daemon's format
    with failures():
        settings = _settings(config, database_url)
        check_startup(settings)
    for warning in [*_source_warnings(settings), *settings_warnings(settings)]:
        err.print(f"[bold yellow]warning:[/] {escape(warning)}")
    table = Table(title=f"{config}: OK", show_header=True)
    table.add_column("section")
    table.add_column("contents")
    table.add_row("database", safe_url(settings.database_url))
    table.add_row(
        "entities",
        ", ".join(
            f"{e.name} ({e.kind}, {len(e.terms)} terms -> {e.team})" for e in settings.entities
        ),
    )
    table.add_row(
        "sources",
        ", ".join(
            f"{s.name} ({s.type}, every {format_duration(s.poll_interval)})"
            if s.enabled
            else f"{s.name} ({s.type}, disabled)"
            for s in settings.sources
        ),
    )
    table.add_row("teams", ", ".join(f"{n} {t.slack_channel}" for n, t in settings.teams.items()))
    table.add_row(
        "brand accounts",
        ", ".join(f"{p}:@{a.handle}" for p, accs in settings.brand_accounts.items() for a in accs)
        or "none",
    )
    table.add_row("classifier", _classifier_summary(settings))
    metrics = settings.metrics
    table.add_row(
        "metrics",
        f"http://{metrics.host}:{metrics.port}/metrics (replywatch run)"
        if metrics.port
        else "off (set metrics.port)",
    )
    out.print(table)


def _source_warnings(settings: Settings) -> list[str]:
    """Enabled jsonl sources whose file is not there (yet): ``poll`` reports each one down."""
    from monitor.settings import JsonlSourceSettings

    return [
        f"sources.{s.name}: {s.path} does not exist yet; the source is down until it does"
        if not s.path.exists()
        else f"sources.{s.name}: {s.path} is not a file; the source is down until it is"
        for s in settings.sources
        if isinstance(s, JsonlSourceSettings) and s.enabled and not s.path.is_file()
    ]


def _classifier_summary(settings: Settings) -> str:
    """Which classifier and which offline model the daemon will use."""
    from classifiers import DEFAULT_SENTIMENT_MODEL
    from monitor.app import team_model_dir

    c = settings.classifier
    team = team_model_dir(settings)
    if team is not None:
        offline = f"the team's model in {team}"
    elif c.model_dir is not None:
        offline = f"the shipped model (none in {c.model_dir} yet: `replywatch classifier train`)"
    else:
        offline = "the shipped model"
    if c.backend == "offline":
        return f"offline, {offline}"
    models = ", ".join(
        m for m in (c.sentiment_model or DEFAULT_SENTIMENT_MODEL, c.complaint_model) if m
    )
    return f"transformers ({models}, {c.device}) with {offline} beside it"


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption, database_url: DatabaseOption = None) -> None:
    """Apply database migrations (also done on every start)."""
    from monitor import db

    with failures():
        settings = readonly_settings(config, database_url)
        engine = db.make_engine(settings.database_url)
        db.upgrade(engine)
        revision = db.current_revision(engine)
        out.print(
            f"database at revision {revision} ({db.safe_url(settings.database_url)})",
            soft_wrap=True,
        )
        engine.dispose()


@app.command()
def poll(
    config: ConfigOption,
    once: Annotated[
        bool, typer.Option("--once", help="Run one cycle of every source and exit.")
    ] = False,
    database_url: DatabaseOption = None,
    verbose: Verbose = 0,
) -> None:
    """Poll every source once, run the daemon's checks, deliver what is due, and exit.

    One cycle of what the daemon does, for cron or a test run: poll, then the clock, quiet
    account and negative-spike checks (skipped while a running daemon, holding the scheduler
    lease, runs them), then send alerts, notices and replies. The table counts what each
    source's posts became: stored (new mentions), edits (of stored posts; shown when any),
    responses (the brand's own posts), repeats (stored before), unmatched (no watched name),
    language filtered (not in its entity's languages; when any), the cases opened, and
    malformed: items the source could not read (logged; when any).

    Like the daemon, it polls only while it holds the scheduler lease: beside a running
    daemon (or another ``poll --once``) it polls nothing, says so, still delivers what is
    due, and exits 0, since the daemon is listening.
    """
    from monitor.app import App
    from monitor.daemon import LEADER_TTL

    if not once:
        err.print("[bold red]error:[/] poll runs one cycle; pass --once (or use `replywatch run`)")
        raise typer.Exit(2)
    setup_logging(verbose)
    with failures():
        application = App.build(_settings(config, database_url))
        try:
            polls = application.poll_all(LEADER_TTL)
            checks = application.run_checks(LEADER_TTL)
            delivered = application.deliver(rounds=1_000)
        finally:
            application.close()
    reports = polls.reports
    if reports:
        print_whole(err, _poll_table(reports))
    if polls.not_polled:
        err.print(escape(_not_polled_line(polls)))
    err.print(escape(_checks_line(checks)))
    err.print(escape(_delivery_line(delivered)))
    for name, error in checks.errors.items():
        err.print(f"[bold red]error:[/] the {name} check failed ({escape(error)}); see the log")
    if delivered.failed:
        err.print(
            "[bold red]error:[/] some alerts or replies failed for good: `replywatch outbox"
            " list` says why, `replywatch outbox retry` sends them again once fixed"
        )
    if any(r.problems for r in reports) or delivered.failed or checks.errors:
        raise typer.Exit(1)


#: ``poll --once``'s figures per source: (column, figure, shown only when some source has any).
_POLL_COLUMNS: tuple[tuple[str, Callable[[PollReport], int], bool], ...] = (
    ("batches", lambda r: r.batches, False),
    ("fetched", lambda r: r.result.fetched, False),
    ("stored", lambda r: r.result.stored, False),
    ("edits", lambda r: r.result.edits, True),
    ("responses", lambda r: r.result.responses, False),
    ("cases", lambda r: r.result.cases_opened, False),
    ("repeats", lambda r: r.result.repeats, False),
    ("unmatched", lambda r: r.result.unmatched, False),
    ("language filtered", lambda r: r.result.language_filtered, True),
    ("malformed", lambda r: r.malformed, True),
)


def _poll_table(reports: Sequence[PollReport]) -> Table:
    """One row per source: what its posts became, in the words of the daemon's log line and
    metrics (see :func:`poll`), and what went wrong."""
    shown = [
        (name, figure)
        for name, figure, optional in _POLL_COLUMNS
        if not optional or any(figure(r) for r in reports)
    ]
    table = Table(title="poll --once")
    for column in ["source", *(name for name, _ in shown), "error"]:
        table.add_column(column)
    for r in reports:
        table.add_row(  # names and problems as Text: err reads markup, and they hold "[...]"
            Text(r.source),
            *(str(figure(r)) for _, figure in shown),
            Text("; ".join(r.problems)),
        )
    return table


def _count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def _not_polled_line(polls: Polls) -> str:
    """Why ``poll --once`` polled nothing (or stopped): another process leads."""
    if not polls.led:
        return (
            "sources not polled: another replywatch (a daemon) holds the scheduler lease and"
            " polls them; one killed holds it until the lease runs out, seconds later"
        )
    return (
        "not polled: " + ", ".join(polls.not_polled) + " (another replywatch took the"
        " scheduler lease and polls them)"
    )


def _checks_line(checks: Checks) -> str:
    """``clocks: 0 warnings, 3 breaches; quiet: 1 notice; crisis: 0 notices``."""
    if not checks.led:
        return (
            "checks not run: another replywatch (a daemon) holds the scheduler lease and runs"
            " them; one killed holds it until the lease runs out, seconds later"
        )
    parts = []
    for name in ("clocks", "quiet", "crisis"):
        result = getattr(checks, name)
        if name in checks.errors:
            told = "failed"
        elif result is None:
            told = "not run (another replywatch took the scheduler lease)"
        elif isinstance(result, list):
            told = _count(len(result), "notice")
        else:
            warned, breached = result.warned, result.breached
            told = f"{_count(warned, 'warning')}, {_count(breached, 'breach', 'breaches')}"
            if result.assigned:
                told += f", {_count(result.assigned, 'case')} assigned"
        parts.append(f"{name}: {told}")
    return "; ".join(parts)


def _delivery_line(d: DeliveryReport) -> str:
    """What went out: messages sent (digests folding many alerts count once), retried, given
    up; the alerts folded; the rows that needed no message."""
    line = f"messages sent: {d.messages}, retrying: {d.retried}, failed: {d.failed}"
    if d.digests:
        line += f"; {_count(d.folded, 'alert')} folded into {_count(d.digests, 'digest')}"
    if d.settled:
        line += (
            f"; {d.settled} needed no message (already out, out of date, or their alert in a"
            " digest)"
        )
    return line


@app.command()
def run(config: ConfigOption, database_url: DatabaseOption = None, verbose: Verbose = 1) -> None:
    """Run the daemon: poll every source on its schedule until SIGTERM or Ctrl-C."""
    from monitor.app import App
    from monitor.daemon import run_daemon

    setup_logging(verbose)
    with failures():
        application = App.build(_settings(config, database_url))
        try:
            code = run_daemon(application)
        finally:
            application.close()
    raise typer.Exit(code)


@app.command()
def cases(
    config: ConfigOption,
    status: Annotated[
        CaseStatusFilter,
        typer.Option(help="open (not resolved or dismissed), all, or one status."),
    ] = "open",
    team: Annotated[str | None, typer.Option(help="Only this team's cases.")] = None,
    owner: Annotated[
        str | None,
        typer.Option(help="Only the cases this member owns (any case), or: unassigned."),
    ] = None,
    fmt: Annotated[
        Literal["table", "json"], typer.Option("--format", help="Output format.")
    ] = "table",
    database_url: DatabaseOption = None,
) -> None:
    """List cases, oldest first: who owns each, how old it is, and which clock falls due next
    (OVERDUE once past its due time)."""
    from datetime import UTC, datetime

    from sqlalchemy import func, or_, select

    from alerts.blocks import clean_text
    from monitor.cli_common import open_database, print_fitted, usage_error
    from monitor.cli_report import age_text, due_text, next_due
    from monitor.models import Case, CaseStatus

    query = select(Case).order_by(Case.opened_at, Case.id)
    if status == "open":
        query = query.where(Case.status.not_in([CaseStatus.RESOLVED, CaseStatus.DISMISSED]))
    elif status != "all":
        query = query.where(Case.status == status)
    if team is not None:
        query = query.where(Case.team == team)
    if owner is not None and owner.casefold() == "unassigned":
        query = query.where(Case.owner.is_(None))
    elif owner is not None:  # as the config spells it, or in other case (SQLite's lower()
        # folds only ASCII: "Émile" matches as written, "émile" only on PostgreSQL)
        query = query.where(or_(Case.owner == owner, func.lower(Case.owner) == owner.lower()))
    with failures():
        settings = readonly_settings(config, database_url)
        now = datetime.now(UTC)
        with open_database(settings.database_url) as sessions, sessions() as session:
            rows = [(c, next_due(c, settings, now=now)) for c in session.scalars(query)]
    if not rows and team is not None and team not in settings.teams:
        # a typo would read as "no cases"; a team taken out of the config still lists its own
        usage_error(f"--team: no team {team!r} in the config (teams: {', '.join(settings.teams)})")
    members = {m.name.lower() for t in settings.teams.values() for m in t.members}
    if not rows and owner is not None and owner.lower() not in {*members, "unassigned"}:
        usage_error(f"--owner: nobody named {owner!r} owns a case or is a member of a team")
    if fmt == "json":
        for c, due in rows:
            sys.stdout.write(
                json.dumps(
                    {
                        "id": c.id,
                        "status": c.status,
                        "team": c.team,
                        "entity": c.entity_id,
                        "severity": c.severity,
                        "platform": c.post.platform,
                        "post": c.post.native_id,
                        "opened_at": c.opened_at.isoformat(),
                        "owner": c.owner,  # null: unassigned
                        "age_s": int((now - c.opened_at).total_seconds()),
                        # the running clock due first; null when nothing is owed
                        "next_clock": None if due is None else str(due.name),
                        "next_due_at": None if due is None else due.due_at.isoformat(),
                        "overdue": due is not None and now >= due.due_at,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
        return
    shown = [
        (
            (
                f"RW-{c.id}",
                c.status,
                c.severity,
                c.team,
                clean_text(c.owner or "unassigned"),  # a claim names the Slack user
                age_text(c, now=now),
                due_text(due, now=now),
                c.entity_id,
                c.post.platform,
                clean_text("@" + c.post.author.handle),
            ),
            " ".join(clean_text(c.post.text).split())[:80],  # a row a line, as for Slack
        )
        for c, due in rows
    ]
    columns = ["id", "status", "severity", "team", "owner", "age", "next due", "entity"]

    def table_for(text_width: int | None) -> Table:
        """Names never wrapped nor cut; the text clipped to ``text_width`` (0: no text)."""
        table = Table(title=f"{len(rows)} case(s)")
        for column in (*columns, "platform", "author"):
            table.add_column(column, no_wrap=True)
        if text_width != 0:
            table.add_column("text", no_wrap=True, overflow="ellipsis", max_width=text_width)
        for cells, text in shown:
            table.add_row(*cells, *([text] if text_width != 0 else []))
        return table

    def lines(width: int) -> list[str]:  # a narrow terminal: three lines a case, names whole
        found = [f"{len(rows)} case(s)"]
        for (ref, state, severity, team_, who, age, due_, entity, platform, author), text in shown:
            said = f"  {author}: {text}"  # the text clipped, as the table clips it
            found.append(f"{ref}  {state}  severity {severity}  team {team_}  owner {who}")
            found.append(f"  age {age}  next due {due_}  entity {entity}  on {platform}")
            found.append(said if len(said) <= width else said[: width - 1] + "…")
        return found

    console = data_console()  # the terminal's width read now (as report does), not at import
    print_fitted(console, table_for, lines)


def _register_subcommands() -> None:
    from monitor import cli_classify, cli_outbox, cli_report

    cli_report.register(app)
    cli_classify.register(app)
    cli_outbox.register(app)


_register_subcommands()


def main() -> None:
    app()
