"""How the command line logs: rich's columns on a terminal, one whole line per record elsewhere."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

from rich.logging import RichHandler

from monitor.cli_common import err

__all__ = ["setup_logging"]

#: Libraries whose INFO lines are chatter, not news: alembic's two lines per migration check,
#: APScheduler's "Adding job tentatively" and "Added job" per job at start, and its "Running
#: job" and "executed successfully" per run (four lines every 5 s from delivery and the lease,
#: some 70,000 a day). At WARNING unless -vv (DEBUG) asks for everything.
_QUIET_BELOW_DEBUG = ("alembic", "apscheduler")


def setup_logging(verbose: int) -> None:
    """Log at WARNING, INFO with -v, DEBUG with -vv (``run`` defaults to -v).

    On a terminal, rich's columns. Elsewhere (the systemd journal, ``docker logs``, a file) one
    line per record, whole however long, each with its own UTC time: rich wraps at 80 columns
    there and leaves out a time that repeats, so a grep for a source or a time finds half a
    record, or none.
    """
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    handler: logging.Handler
    if err.is_terminal:
        handler = RichHandler(console=err, show_path=False, rich_tracebacks=False)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    else:
        handler = _StderrLines()
        handler.setFormatter(_LineFormatter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for name in _QUIET_BELOW_DEBUG:  # NOTSET again at -vv: a second call in one process
        logging.getLogger(name).setLevel(logging.WARNING if verbose < 2 else logging.NOTSET)


class _StderrLines(logging.Handler):
    """Writes to ``sys.stderr`` as it is at each record (as the ``err`` console does), not as
    it was when logging was set up: a test runner that swaps stderr and closes it is fine."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:  # logging's own rule: report, never raise
            self.handleError(record)


class _LineFormatter(logging.Formatter):
    """``2026-11-23T05:17:09.123Z WARNING monitor.poller: message``: an ISO 8601 UTC time,
    the level, the logger and the message on one line. A newline inside the message is
    written ``\\n``, so the next line is always the next record; a traceback follows on its
    own lines, as usual."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        return stamp.removesuffix("+00:00") + "Z"

    def formatMessage(self, record: logging.LogRecord) -> str:
        return super().formatMessage(record).replace("\r", "\\r").replace("\n", "\\n")
