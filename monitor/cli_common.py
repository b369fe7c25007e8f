"""What every ``replywatch`` command shares: the common options and the error-to-exit rule."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from monitor.errors import ConfigError, ReplywatchError

__all__ = ["ConfigOption", "DatabaseOption", "err", "failures"]

err = Console(stderr=True)

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="Settings file (YAML).", show_default=False)
]
DatabaseOption = Annotated[
    str | None,
    typer.Option("--database-url", help="Overrides database_url and REPLYWATCH_DATABASE_URL."),
]


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
