"""What every ``replywatch`` command shares: the common options and the error-to-exit rule."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import DBAPIError

from monitor.errors import ConfigError, ReplywatchError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from monitor.settings import Settings

__all__ = [
    "ConfigOption",
    "DatabaseOption",
    "data_console",
    "database",
    "err",
    "failures",
    "open_database",
    "print_fitted",
    "print_whole",
    "readonly_settings",
    "usage_error",
]

#: soft_wrap: an error line is never broken at the console's width (80 columns when stderr is
#: not a terminal), so a log scraper or a CI log gets it whole; a terminal wraps it on screen.
#: emoji=False: the lines hold keys and paths (``alert:x:x-1003``), and ``:x:`` is not ❌
err = Console(stderr=True, soft_wrap=True, emoji=False)


def data_console(width: int | None = None) -> Console:
    """A console for output that holds what people wrote (posts, keys, case trails): no
    markup (``[/red]`` in a post stays text) and no emoji codes (the key ``alert:x:1`` stays
    a key, not ``alert❌1``)."""
    return Console(width=width, markup=False, emoji=False, highlight=False)


ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="Settings file (YAML).", show_default=False)
]
DatabaseOption = Annotated[
    str | None,
    typer.Option("--database-url", help="Overrides database_url and REPLYWATCH_DATABASE_URL."),
]


#: Wider than any table: measured at this width, a table comes out as wide as its widest row.
_WIDEST = 100_000


def print_whole(console: Console, table: Table) -> None:
    """``table`` fitted to a terminal, else as wide as its widest row, one line per row. Rich
    fits 80 columns when the output is a file, a pipe, the journal or ``docker logs``: it cut
    names short (``inbox-f…``) or folded a row over lines that a grep finds in pieces. Cells are
    shown as written, never read as markup (a post's ``[/red]`` is text)."""
    if console.is_terminal:
        console.print(table)
        return
    width = console.measure(table, options=console.options.update_width(_WIDEST)).maximum
    # a console of that width: ``print(width=...)`` is capped at the console's own 80
    wide = Console(file=console.file, width=width, markup=False, emoji=False, highlight=False)
    wide.print(table)


def print_fitted(
    console: Console,
    table_for: Callable[[int | None], Table],
    lines: Callable[[int], Iterable[str]],
    *,
    least: int = 20,
) -> None:
    """A table whose last column (a post's text, an error) gives way to a narrow terminal:
    ``table_for(width)`` builds it with that column at most ``width`` wide (``None``: whole;
    ``0``: left out). Where the other columns leave it fewer than ``least`` columns, a few
    ``lines(width)`` per row instead (one longer than ``width`` wraps): Rich fitted a table
    wider than the terminal by folding every cell, names and headers included
    (``exec-offi|ce``, ``sta|tus``). Piped or in a file, the table whole
    (:func:`print_whole`)."""
    if not console.is_terminal:
        print_whole(console, table_for(None))
        return
    wide = console.options.update_width(_WIDEST)
    room = console.width - console.measure(table_for(0), options=wide).maximum - 3  # │ + pad
    if room >= least:
        console.print(table_for(room))
        return
    for line in lines(console.width):
        console.print(line)


@contextmanager
def failures() -> Iterator[None]:
    """Turn expected errors into one line and an exit code: 2 for bad configuration or input,
    1 for a runtime failure. Never a traceback, never a secret (errors carry none)."""
    try:
        yield
    except ConfigError as exc:
        err.print(f"[bold red]config error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    except ReplywatchError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from None


def usage_error(message: str) -> NoReturn:
    """An option's value refused after parsing (``--since 15``): one line, exit 2, as Click
    exits for the values it refuses itself. Not a ``config error``: the file is fine."""
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(2)


@contextmanager
def database(config: Path, database_url: str | None = None) -> Iterator[sessionmaker[Session]]:
    """The config's database for one command that sends nothing: :func:`open_database` on its
    ``database_url``, the secrets left unread (see :func:`readonly_settings`)."""
    with open_database(readonly_settings(config, database_url).database_url) as sessions:
        yield sessions


def readonly_settings(config: Path, database_url: str | None = None) -> Settings:
    """The settings for a command that reads or mends the database and sends nothing
    (``cases``, ``report``, ``outbox``): a team member looking at the cases needs the
    database, not the Slack, X and Reddit tokens exported. Every other field is checked."""
    from monitor.settings_file import load_settings

    return load_settings(config, database_url=database_url, read_secrets=False)


@contextmanager
def open_database(url: str) -> Iterator[sessionmaker[Session]]:
    """An existing database, migrated (as on every start), for one command that reads or
    mends it, disposed of afterwards. A SQLite file that is not there is refused rather than
    made, so a typo in the path is an error, not an empty system; only ``poll``, ``run`` and
    ``db upgrade`` create one. A database failure in the command's own queries (the file
    locked past the busy timeout, the server gone) is a :class:`StorageError` too."""
    from monitor import db

    engine = db.make_engine(url, create=False)
    try:
        db.upgrade(engine)
        yield db.make_sessionmaker(engine)
    except DBAPIError as exc:
        raise db.storage_error(exc, url) from None
    finally:
        engine.dispose()
