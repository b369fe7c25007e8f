"""``replywatch outbox``: the effects that were given up, and sending them again.

An alert Slack refused for good (the app not in the channel, a revoked token) or a reply the
platform refused stays ``failed`` until a person fixes the cause; these commands list them
and put them back in line for the next ``poll --once`` or the running daemon.

A row stays ``claimed`` while its sender holds it. A daemon killed (or its host rebooted) is
replaced on its host by the next one started, which frees its rows at once; elsewhere they wait
out the sender's lease (10 minutes), unless a person who knows the sender is dead names them
to ``outbox retry --claimed``.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Annotated, Literal

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from monitor import outbox
from monitor.cli_common import (
    ConfigOption,
    DatabaseOption,
    data_console,
    database,
    err,
    failures,
    usage_error,
)
from monitor.models import Outbox, OutboxStatus

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Alerts and replies that failed for good: list and resend them.")
    app.add_typer(group, name="outbox")

    @group.command("list")
    def list_rows(
        config: ConfigOption,
        status: Annotated[
            str, typer.Option(help="failed, pending, claimed, sent or all.")
        ] = OutboxStatus.FAILED,
        fmt: Annotated[
            Literal["table", "json"], typer.Option("--format", help="Output format.")
        ] = "table",
        database_url: DatabaseOption = None,
    ) -> None:
        """List outbox rows (the failed ones unless --status says otherwise)."""
        if status != "all" and status not in set(OutboxStatus):
            usage_error(f"--status {status}: use failed, pending, claimed, sent or all")
        query = select(Outbox).order_by(Outbox.id)
        if status != "all":
            query = query.where(Outbox.status == status)
        with failures(), database(config, database_url) as sessions, sessions() as session:
            rows = list(session.scalars(query))
        if fmt == "json":
            for r in rows:
                line = {
                    "key": r.key,
                    "kind": r.kind,
                    "status": r.status,
                    "target": r.target,
                    "case_id": r.case_id,
                    "attempts": r.attempts,
                    "last_error": r.last_error,
                }
                sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
            return
        table = Table(title=f"outbox: {status}")
        for column in ("key", "kind", "target", "case", "attempts", "last error"):
            table.add_column(column)
        for r in rows:
            table.add_row(
                r.key,
                r.kind,
                r.target,
                str(r.case_id or "-"),
                str(r.attempts),
                (r.last_error or "")[:200],
            )
        data_console().print(table)

    @group.command("retry")
    def retry(
        config: ConfigOption,
        keys: Annotated[
            list[str] | None, typer.Argument(help="Keys to resend; none: every failed row.")
        ] = None,
        claimed: Annotated[
            bool,
            typer.Option(
                "--claimed",
                help="Put back the named rows still claimed by a sender you know is dead.",
            ),
        ] = False,
        database_url: DatabaseOption = None,
    ) -> None:
        """Put failed rows back in line (or, with --claimed, the named claimed rows); the next
        delivery sends them."""
        if claimed and not keys:
            usage_error("--claimed needs the keys of the rows to put back (see `outbox list`)")
        with failures(), database(config, database_url) as sessions, sessions.begin() as session:
            done = outbox.requeue(session, keys=keys or (), now=datetime.now(UTC), claimed=claimed)
        missing = sorted(set(keys or ()) - set(done))
        err.print(f"requeued {len(done)} row(s)")
        if claimed and done:
            err.print(
                "[bold yellow]warning:[/] if their sender is still alive, these may be sent "
                "twice (public replies excepted: the platform is checked for them first)"
            )
        if missing:
            state = "claimed" if claimed else "failed"
            err.print(f"[bold red]error:[/] not {state} or not found: {escape(', '.join(missing))}")
            raise typer.Exit(1)
