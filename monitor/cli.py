"""The ``replywatch`` command line (Typer).

Every command that fails on purpose prints one line naming the problem and exits non-zero
without a traceback: 2 for bad configuration or input, 1 for a runtime failure (database
unreachable, a source down). Nothing here prints a secret.
"""

from __future__ import annotations

import json
import os
import sys
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from monitor.cli_common import (
    ConfigOption,
    DatabaseOption,
    data_console,
    database,
    err,
    failures,
    print_whole,
    readonly_settings,
)
from monitor.cli_logging import setup_logging
from monitor.settings import Settings
from monitor.settings_file import load_settings
from monitor.settings_types import format_duration

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
    for warning in _source_warnings(settings):
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
    """Poll every source once, process, deliver alerts, and exit."""
    from monitor.app import App

    if not once:
        err.print("[bold red]error:[/] poll runs one cycle; pass --once (or use `replywatch run`)")
        raise typer.Exit(2)
    setup_logging(verbose)
    with failures():
        application = App.build(_settings(config, database_url))
        try:
            reports = application.poll_all()
            delivered = application.deliver(rounds=1_000)
        finally:
            application.close()
    edits = any(r.result.edits for r in reports)  # a column only when there are some
    table = Table(title="poll --once")
    columns = ["source", "batches", "fetched", "stored", "edits", "responses", "cases"]
    for column in [*(c for c in columns if edits or c != "edits"), "skipped", "error"]:
        table.add_column(column)
    for r in reports:
        res = r.result
        skipped = res.repeats + res.unmatched + res.language_filtered + r.skipped_malformed
        counts = [r.batches, res.fetched, res.stored, *([res.edits] if edits else [])]
        table.add_row(  # names and problems as Text: err reads markup, and they hold "[...]"
            Text(r.source),
            *(str(n) for n in [*counts, res.responses, res.cases_opened, skipped]),
            Text("; ".join(r.problems)),
        )
    print_whole(err, table)
    d = delivered
    err.print(f"alerts delivered: {d.sent}, retrying: {d.retried}, failed: {d.failed}")
    if delivered.failed:
        err.print(
            "[bold red]error:[/] some alerts or replies failed for good: `replywatch outbox"
            " list` says why, `replywatch outbox retry` sends them again once fixed"
        )
    if any(r.problems for r in reports) or delivered.failed:
        raise typer.Exit(1)


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
    fmt: Annotated[
        Literal["table", "json"], typer.Option("--format", help="Output format.")
    ] = "table",
    database_url: DatabaseOption = None,
) -> None:
    """List cases."""
    from sqlalchemy import select

    from alerts.blocks import clean_text
    from monitor.models import Case, CaseStatus

    query = select(Case).order_by(Case.opened_at)
    if status == "open":
        query = query.where(Case.status.not_in([CaseStatus.RESOLVED, CaseStatus.DISMISSED]))
    elif status != "all":
        query = query.where(Case.status == status)
    with failures(), database(config, database_url) as sessions, sessions() as session:
        rows = list(session.scalars(query))
    if fmt == "json":
        for c in rows:
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
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
        return
    table = Table(title=f"{len(rows)} case(s)")
    for column in ("id", "status", "severity", "team", "entity", "platform", "author", "text"):
        table.add_column(column, overflow="fold")
    for c in rows:
        table.add_row(
            f"RW-{c.id}",
            c.status,
            c.severity,
            c.team,
            c.entity_id,
            c.post.platform,
            clean_text("@" + c.post.author.handle),
            " ".join(clean_text(c.post.text).split())[:80],  # a row a line, as for Slack
        )
    print_whole(out, table)


def _register_subcommands() -> None:
    from monitor import cli_classify, cli_outbox, cli_report

    cli_report.register(app)
    cli_classify.register(app)
    cli_outbox.register(app)


_register_subcommands()


def main() -> None:
    app()
