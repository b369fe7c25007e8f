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
from collections.abc import Sequence
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
    print_fitted,
    usage_error,
)
from monitor.models import Outbox, OutboxStatus

__all__ = ["outbox_lines", "outbox_table", "register", "short_error"]

#: The most of an error ``outbox list`` shows in its table (``--format json`` has it whole).
ERROR_SHOWN = 160


def outbox_table(
    rows: Sequence[Outbox], *, status: str, several: bool, error_width: int | None = None
) -> Table:
    """``outbox list``'s table of ``rows``, with a status column when ``several`` statuses
    are listed, and who holds each claimed row until when (the worker id names its host and
    pid: what a person checks before ``outbox retry --claimed``). A key is copied into
    ``outbox retry``: it is never wrapped, and is folded only where the table could not fit
    otherwise; the other names and headers are never wrapped. The error is shortened
    (:func:`short_error`) and wrapped within ``error_width`` (``None``: as wide as it is;
    ``0``: no error column, see :func:`~monitor.cli_common.print_fitted`)."""
    claims = any(r.status == OutboxStatus.CLAIMED for r in rows)
    table = Table(title=f"outbox: {status}")
    table.add_column("key", no_wrap=True, overflow="fold")
    for column in ("kind", *(["status"] if several else []), "target", "case", "attempts"):
        table.add_column(column, no_wrap=True)
    if claims:
        table.add_column("claimed by", no_wrap=True)
        table.add_column("until (UTC)", no_wrap=True)
    if error_width != 0:
        table.add_column("last error", overflow="fold", max_width=error_width)
    for r in rows:
        held = r.status == OutboxStatus.CLAIMED
        table.add_row(
            r.key,
            r.kind,
            *([str(r.status)] if several else []),
            r.target,
            _case(r),
            str(r.attempts),
            *([r.claimed_by or "", _utc(r.claimed_until) if held else ""] if claims else []),
            *([short_error(r.key, r.last_error)] if error_width != 0 else []),
        )
    return table


def outbox_lines(rows: Sequence[Outbox], *, status: str, several: bool) -> list[str]:
    """``outbox list`` on a terminal too narrow for its table: a line per row with its key
    whole, then who holds it and why it failed, each on a line of its own."""
    lines = [f"outbox: {status}"]
    for r in rows:
        state = f"  {r.status}" if several else ""
        lines.append(
            f"{r.key}  {r.kind}{state}  to {r.target}  case {_case(r)}  attempts {r.attempts}"
        )
        if r.status == OutboxStatus.CLAIMED:
            lines.append(f"  claimed by {r.claimed_by or '?'} until {_utc(r.claimed_until)} UTC")
        if r.last_error:
            lines.append(f"  last error: {short_error(r.key, r.last_error)}")
    return lines


def _case(row: Outbox) -> str:
    """The case as every other view names it (``RW-12``), ``-`` for a row of no case."""
    return f"RW-{row.case_id}" if row.case_id is not None else "-"


def _utc(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if at else ""


def short_error(key: str, error: str | None) -> str:
    """``error`` as the table shows it: its first line, without the ``outbox KEY:`` it
    starts with (:class:`~monitor.errors.DeliveryError` names its row; the key is the row's
    first column), cut to :data:`ERROR_SHOWN` characters."""
    first = (error or "").strip().partition("\n")[0]
    first = first.removeprefix(f"outbox {key}: ").strip()
    return first if len(first) <= ERROR_SHOWN else first[: ERROR_SHOWN - 1] + "…"


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
                    "claimed_by": r.claimed_by,
                    "claimed_until": r.claimed_until.isoformat() if r.claimed_until else None,
                }
                sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
            return
        # a status column only where the rows' statuses may differ
        several = status == "all"
        print_fitted(
            data_console(),
            lambda width: outbox_table(rows, status=status, several=several, error_width=width),
            lambda _width: outbox_lines(rows, status=status, several=several),
        )

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
