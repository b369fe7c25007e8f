"""The daemon's log lines as the systemd journal, ``docker logs`` or a file get them: the real
CLI in a subprocess, stderr a pipe. One record, one line, each with its own UTC time."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.cli_logging import setup_logging
from tests.test_cli import CONFIG

REPO = Path(__file__).resolve().parents[1]


#: ``2026-11-23T05:17:09.123Z WARNING monitor.poller: message``
LINE = re.compile(
    r"(?P<at>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL)"
    r" (?P<logger>[\w.]+): (?P<message>.+)"
)
SOURCE = "inbox-file-from-the-shop-export"


def _env(**extra: str) -> dict[str, str]:
    """The environment without the variables that make rich take a pipe for a terminal."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    return {**env, "COLUMNS": "80", **extra}


def _config(tmp_path: Path) -> tuple[Path, Path]:
    """A config whose one source reads a file that is not there: a long warning each poll."""
    posts = tmp_path / "exports" / "posts-from-the-shop.jsonl"
    path = tmp_path / "replywatch.yaml"
    path.write_text(
        CONFIG.format(db=tmp_path / "rw.db", posts=posts).replace("name: demo", f"name: {SOURCE}"),
        encoding="utf-8",
    )
    return path, posts


def _run_until_first_poll(config: Path, *flags: str) -> tuple[int, list[str]]:
    """``replywatch run`` with stderr a pipe, stopped with SIGTERM once it has polled."""
    lines: list[str] = []
    polled = threading.Event()
    with subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "-c", str(config), *flags],
        cwd=REPO,
        env=_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        stderr = proc.stderr
        assert stderr is not None

        def read() -> None:
            for line in stderr:
                lines.append(line.rstrip("\n"))
                if "cannot read" in line:
                    polled.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            assert polled.wait(timeout=120), "\n".join(lines)
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            reader.join(timeout=10)
    return code, lines


@pytest.mark.parametrize("verbosity", [(), ("-vv",)])
def test_daemon_logs_one_line_per_record_with_a_utc_time_without_a_terminal(
    tmp_path: Path, verbosity: tuple[str, ...]
) -> None:
    # rich wrapped records at 80 columns, left out a time already shown that second, wrote
    # 11/23/26 05:17:09 (no zone), and the default -v carried seven "Adding job tentatively"
    config, posts = _config(tmp_path)
    started = datetime.now(UTC)
    code, lines = _run_until_first_poll(config, *verbosity)
    ended = datetime.now(UTC)
    assert code == 0, "\n".join(lines)

    records = [LINE.fullmatch(line) for line in lines]
    assert all(records), "\n".join(line for line, r in zip(lines, records, strict=True) if not r)
    times = [datetime.fromisoformat(r["at"]) for r in records if r]
    slack = timedelta(seconds=1)  # the log keeps milliseconds, the clocks here microseconds
    assert all(started - slack <= at <= ended + slack for at in times)
    messages = {(r["level"], r["logger"], r["message"]) for r in records if r}
    loggers = {logger for _, logger, _ in messages}

    assert ("INFO", "monitor.daemon", f"replywatch running: 1 source(s) {SOURCE}") in messages
    assert ("INFO", "monitor.daemon", "stopped cleanly") in messages
    (warning,) = [m for level, _, m in messages if level == "WARNING" and "cannot read" in m]
    assert f"source {SOURCE!r}: cannot read {posts}: No such file or directory" in warning
    if verbosity:  # -vv (DEBUG) keeps every library's chatter, still one line a record
        assert {"alembic.runtime.migration", "apscheduler.scheduler"} <= loggers
        assert any("Adding job tentatively" in m for _, _, m in messages)
        assert any(name.startswith("apscheduler.executors") for name in loggers)  # job runs
    else:  # the default -v: ours, and what is wrong anywhere
        assert not any(name.startswith(("alembic", "apscheduler")) for name in loggers)


def test_poll_logs_rich_columns_on_a_terminal(tmp_path: Path) -> None:
    # TTY_COMPATIBLE=1 is rich's own "this is a terminal" (NO_COLOR: plain text to read)
    config, _ = _config(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "poll", "--once", "-c", str(config)],
        cwd=REPO,
        env=_env(TTY_COMPATIBLE="1", NO_COLOR="1"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "WARNING  monitor.poller: source" in result.stderr
    assert not any(LINE.fullmatch(line) for line in result.stderr.splitlines())


@pytest.fixture
def root_logging() -> Iterator[None]:
    """The root logger's handlers and level put back after a test that sets them."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name in ("alembic", "apscheduler"):
        logging.getLogger(name).setLevel(logging.NOTSET)


def test_a_traceback_follows_its_record_and_a_message_keeps_to_one_line(
    root_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_logging(1)  # stderr is pytest's capture here: not a terminal
    log = logging.getLogger("monitor.test")
    log.warning("a body from the server:\n<html>\r\nbad gateway")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("poll failed")
    first, second, *traceback = capsys.readouterr().err.splitlines()

    record = LINE.fullmatch(first)
    assert record is not None
    assert record["message"] == "a body from the server:\\n<html>\\r\\nbad gateway"
    failed = LINE.fullmatch(second)
    assert failed is not None and failed["level"] == "ERROR" and failed["message"] == "poll failed"
    assert traceback[0] == "Traceback (most recent call last):"
    assert traceback[-1] == "RuntimeError: boom"
