"""Prometheus metrics, scraped over HTTP as Prometheus would: what the daemon did (polls,
posts, cases, deliveries, checks, the lease) and what waits in the database (the outbox,
open cases, each source's last fetch), on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, func, make_url, select, text
from sqlalchemy.exc import SQLAlchemyError
from typer.testing import CliRunner

from alerts.console import ConsoleSink
from monitor import db
from monitor.app import App
from monitor.cli import app as cli
from monitor.errors import (
    AuthError,
    DeliveryError,
    MalformedResponse,
    RateLimited,
    ReplywatchError,
    SourceError,
    SourceUnavailable,
    StorageError,
)
from monitor.metrics import Metrics, serve
from monitor.models import Case, Outbox, OutboxStatus, Post, SourceCursor
from monitor.poller import outcome
from monitor.settings import Settings
from sources.jsonl import JsonlSource
from sources.memory import MemorySource
from tests.fakes import COMPLAINT_LINE, FakeClock, KeywordClassifier, make_post
from tests.response.response_support import RecordingSink
from tests.test_daemon_review import SETTINGS, run_until_sigterm
from tests.test_daemon_review import signals as signals  # the fixture, used here

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str) -> Samples:
    """Every sample at ``url``, parsed by prometheus-client's own parser of the text format."""
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200
        body = response.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def sample(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


ServeApp = Callable[[App], str]


@pytest.fixture
def served() -> Iterator[ServeApp]:
    """Serves an app's metrics on a free port, its URL returned; stops and closes after."""
    opened: list[tuple[App, Callable[[], None]]] = []

    def serve_app(app: App) -> str:
        url, stop = serve(app.metrics, host="127.0.0.1", port=0)
        opened.append((app, stop))
        return url

    yield serve_app
    for app, stop in opened:
        stop()
        app.close()


def build(database_url: str, clock: FakeClock, sink: RecordingSink | None = None) -> App:
    settings = Settings.model_validate({**SETTINGS, "database_url": database_url})
    return App.build(
        settings,
        clock=clock,
        sink=sink or RecordingSink(),
        sources=[MemorySource("mem", platform="x")],
        classifier=KeywordClassifier(),
    )


def served_app(
    database_url: str, clock: FakeClock, served: ServeApp, sink: RecordingSink | None = None
) -> tuple[App, MemorySource, str]:
    """An app polling one memory source, its metrics served: the app, the source, the URL."""
    app = build(database_url, clock, sink)
    (source,) = app.sources
    assert isinstance(source, MemorySource)
    return app, source, served(app)


def test_a_scrape_counts_what_polls_and_deliveries_did(
    database_url: str, clock: FakeClock, served: ServeApp
) -> None:
    sink = RecordingSink()
    app, source, url = served_app(database_url, clock, served, sink)
    source.add(
        make_post("1", "NovaBrew is broken again", handle="ana"),
        make_post("2", "NovaBrew refund please", handle="ben", minutes=1),
        make_post("3", "NovaBrew is lovely", handle="cy", minutes=2),
        make_post("4", "nothing about anyone", handle="di", minutes=3),
    )
    first = app.poll(source)
    source.add(make_post("2", "NovaBrew refund please", handle="ben", minutes=1))  # a repeat
    second = app.poll(source)
    clock.advance(90)
    sink.fail.append(DeliveryError("x", "Slack answered 503"))  # the first try of one alert
    delivered = app.deliver()

    got = scrape(url)
    with app.sessions() as s:
        stored = s.scalar(select(func.count()).select_from(Post))
        cases = s.scalar(select(func.count()).select_from(Case))
        pending = s.scalar(select(func.count()).where(Outbox.status == OutboxStatus.PENDING))
        oldest = s.scalar(
            select(func.min(Outbox.due_at)).where(Outbox.status == OutboxStatus.PENDING)
        )
        cursor_saved = s.scalars(select(SourceCursor.updated_at)).one()
    assert (stored, cases, pending) == (3, 2, 1)  # the failed alert waits for its retry
    assert sample(got, "replywatch_polls_total", source="mem", outcome="ok") == 2
    fetched = first.result.fetched + second.result.fetched
    assert fetched == 5
    assert sample(got, "replywatch_posts_total", source="mem", result="fetched") == fetched
    assert sample(got, "replywatch_posts_total", source="mem", result="stored") == stored
    assert sample(got, "replywatch_posts_total", source="mem", result="repeats") == 1
    assert sample(got, "replywatch_posts_total", source="mem", result="unmatched") == 1
    assert sample(got, "replywatch_cases_opened_total", source="mem") == cases
    assert sample(got, "replywatch_poll_duration_seconds_count", source="mem") == 2
    assert sample(
        got, "replywatch_source_last_success_timestamp_seconds", source="mem"
    ) == pytest.approx((clock.now - timedelta(seconds=90)).timestamp())
    assert (delivered.sent, delivered.retried) == (1, 1)
    assert sample(got, "replywatch_outbox_deliveries_total", result="sent") == 1
    assert sample(got, "replywatch_outbox_deliveries_total", result="retried") == 1
    assert sample(got, "replywatch_outbox_deliveries_total", result="failed") == 0
    # read from the database at the scrape
    assert sample(got, "replywatch_database_up") == 1
    assert sample(got, "replywatch_open_cases", team="support") == cases
    assert sample(got, "replywatch_outbox_rows", status="pending") == pending
    assert sample(got, "replywatch_outbox_rows", status="failed") == 0
    assert oldest is not None and oldest > clock.now  # the retry waits for its backoff...
    # ...but has waited since it was first due, at the poll, 90 s ago
    assert sample(got, "replywatch_outbox_oldest_due_seconds") == 90
    assert sample(
        got, "replywatch_source_last_fetch_timestamp_seconds", source="mem"
    ) == pytest.approx(cursor_saved.timestamp())


def test_lines_a_source_cannot_read_are_counted_as_malformed(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    # they were counted as "skipped", the word poll --once used for posts naming no one
    path = tmp_path / "posts.jsonl"
    path.write_text(COMPLAINT_LINE + "not JSON\n" + '{"id": "x-2"}\n', encoding="utf-8")
    settings = Settings.model_validate({**SETTINGS, "database_url": database_url})
    app = App.build(
        settings,
        clock=clock,
        sink=RecordingSink(),
        sources=[JsonlSource("file", path, platform="x")],
        classifier=KeywordClassifier(),
    )
    try:
        app.poll(app.sources[0])
        value = app.metrics.registry.get_sample_value
        assert value("replywatch_posts_total", {"source": "file", "result": "malformed"}) == 2
        assert value("replywatch_posts_total", {"source": "file", "result": "fetched"}) == 1
        assert value("replywatch_posts_total", {"source": "file", "result": "skipped"}) is None
    finally:
        app.close()


def test_the_oldest_due_row_tells_how_late_alerts_are(
    database_url: str, clock: FakeClock, served: ServeApp
) -> None:
    # Slack down for a quarter of an hour: an alert due at the poll is 15 minutes late
    app, source, url = served_app(database_url, clock, served)
    source.add(make_post("1", "NovaBrew is broken", handle="ana"))
    app.poll(source)
    clock.advance(timedelta(minutes=15))
    got = scrape(url)
    assert sample(got, "replywatch_outbox_oldest_due_seconds") == 15 * 60
    assert sample(got, "replywatch_outbox_rows", status="pending") == 1
    app.deliver()
    got = scrape(url)
    assert sample(got, "replywatch_outbox_oldest_due_seconds") == 0
    assert sample(got, "replywatch_outbox_rows", status="pending") == 0


def test_a_failing_source_counts_its_outcomes_and_keeps_its_last_success(
    sqlite_url: str, clock: FakeClock, served: ServeApp
) -> None:
    app, source, url = served_app(sqlite_url, clock, served)
    source.add(make_post("1", "NovaBrew is broken", handle="ana"))
    app.poll(source)
    succeeded_at = clock.now
    clock.advance(120)
    source.fail_next(RateLimited("mem", 300, "429 from X"))
    app.poll(source)
    clock.advance(60)
    app.poll(source)  # still inside the platform's reset: not tried
    assert source.fetches == 2
    got = scrape(url)
    assert sample(got, "replywatch_polls_total", source="mem", outcome="ok") == 1
    assert sample(got, "replywatch_polls_total", source="mem", outcome="rate_limited") == 1
    assert sample(got, "replywatch_polls_total", source="mem", outcome="waiting") == 1
    assert sample(got, "replywatch_poll_duration_seconds_count", source="mem") == 2
    assert sample(
        got, "replywatch_source_last_success_timestamp_seconds", source="mem"
    ) == pytest.approx(succeeded_at.timestamp())


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (RateLimited("s", 10), "rate_limited"),
        (AuthError("s", "401"), "auth"),
        (MalformedResponse("s", "not JSON"), "malformed"),
        (SourceUnavailable("s", "503"), "unavailable"),
        (StorageError("database is locked"), "storage"),
        (SourceError("s", "RuntimeError: a bug"), "error"),
    ],
)
def test_a_failed_polls_outcome_is_named_by_its_error(
    error: ReplywatchError, expected: str
) -> None:
    assert outcome(error) == expected


def test_the_checks_are_timed_and_their_notices_counted(
    sqlite_url: str, clock: FakeClock, served: ServeApp
) -> None:
    app, source, url = served_app(sqlite_url, clock, served)
    # posted as the clock starts (9:00); the default standard acknowledges within 15 minutes
    source.add(make_post("1", "NovaBrew is broken", handle="ana", minutes=60))
    app.poll(source)
    clock.advance(timedelta(minutes=11))  # within warn_before (5m) of the due time
    warned = app.check_clocks()
    clock.advance(timedelta(minutes=5))  # past it
    breached = app.check_clocks()
    got = scrape(url)
    assert (warned.warned, warned.breached, breached.warned, breached.breached) == (1, 0, 0, 1)
    assert sample(got, "replywatch_check_notices_total", check="clocks", kind="warning") == 1
    assert sample(got, "replywatch_check_notices_total", check="clocks", kind="breach") == 1
    assert sample(got, "replywatch_check_duration_seconds_count", check="clocks") == 2
    app.check_quiet()
    app.check_crisis()
    got = scrape(url)
    assert sample(got, "replywatch_check_duration_seconds_count", check="quiet") == 1
    assert sample(got, "replywatch_check_duration_seconds_count", check="crisis") == 1


def test_the_leader_gauge_follows_the_lease(
    database_url: str, clock: FakeClock, served: ServeApp
) -> None:
    one, two = build(database_url, clock), build(database_url, clock)
    url_one, url_two = served(one), served(two)
    assert one.lead(timedelta(seconds=20)) and not two.lead(timedelta(seconds=20))
    assert sample(scrape(url_one), "replywatch_leader") == 1
    assert sample(scrape(url_two), "replywatch_leader") == 0
    one.release_lead()
    assert two.lead(timedelta(seconds=20))
    assert sample(scrape(url_one), "replywatch_leader") == 0
    assert sample(scrape(url_two), "replywatch_leader") == 1


def test_a_database_that_cannot_be_read_is_a_zero_not_a_failed_scrape(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # PostgreSQL down (nothing listens on port 1): the scrape still answers
    engine = db.make_engine("postgresql+psycopg://postgres:hunter2@127.0.0.1:1/replywatch")
    metrics = Metrics()
    metrics.watch(engine, clock, ["mem"])
    url, stop = serve(metrics, host="127.0.0.1", port=0)
    try:
        scrapes = [scrape(url) for _ in range(3)]  # 45 s down at Prometheus' 15 s
    finally:
        stop()
        engine.dispose()
    for got in scrapes:
        assert sample(got, "replywatch_database_up") == 0
        assert not any(name == "replywatch_open_cases" for name, _ in got)
        assert sample(got, "replywatch_leader") == 0  # the daemon's own figures are still there
    # said once, not at every scrape
    (warning,) = logged(caplog, logging.WARNING)
    assert warning.startswith("metrics: cannot read the database (OperationalError)")
    assert "hunter2" not in caplog.text


def logged(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    """What the metrics logged at ``level``."""
    return [
        r.getMessage() for r in caplog.records if r.name == "monitor.metrics" and r.levelno == level
    ]


def timed_scrape(url: str) -> tuple[Samples, float]:
    """A scrape and the seconds it took; :func:`scrape` gives up after 5 s (Prometheus' own
    default is 10 s), where the app's own reads wait 30 s for SQLite and PostgreSQL's locks
    for ever."""
    started = time.monotonic()
    got = scrape(url)
    return got, time.monotonic() - started


def test_a_writer_holding_sqlites_lock_does_not_delay_a_scrape(
    sqlite_url: str, clock: FakeClock, served: ServeApp
) -> None:
    app, source, url = served_app(sqlite_url, clock, served)
    source.add(make_post("1", "NovaBrew is broken", handle="ana"))
    app.poll(source)
    # another process in a long write (a migration, a backfill): the scrape reads the last
    # commit at once instead of queueing for the lock, and the database is up all along
    writer = sqlite3.connect(str(make_url(sqlite_url).database), isolation_level=None)
    try:
        writer.execute("BEGIN EXCLUSIVE")
        writer.execute("UPDATE cases SET team = 'billing'")
        got, took = timed_scrape(url)
    finally:
        writer.close()
    assert took < 2  # a read of a few rows; it would queue 30 s behind the writer
    assert sample(got, "replywatch_database_up") == 1
    assert sample(got, "replywatch_open_cases", team="support") == 1  # not yet billing's
    # what it would wait for, were the file held whole once it is connected: 2 s, not 30
    assert app.metrics.database is not None
    with app.metrics.database.engine.connect() as conn:  # the connection the scrape used
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 2000


def test_a_sqlite_database_held_whole_is_a_zero_within_seconds_said_once(
    sqlite_url: str, clock: FakeClock, served: ServeApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="monitor.metrics")
    app, source, url = served_app(sqlite_url, clock, served)
    source.add(make_post("1", "NovaBrew is broken", handle="ana"))
    app.poll(source)
    # a process that holds the file whole (exclusive locking mode): no one else can even
    # read it; it can take it only once the app's own connections are closed
    app.engine.dispose()
    holder = sqlite3.connect(str(make_url(sqlite_url).database), isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode = EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        down = [timed_scrape(url) for _ in range(3)]
    finally:
        holder.close()
    for got, took in down:
        assert took < 5
        assert sample(got, "replywatch_database_up") == 0
        assert not any(name == "replywatch_open_cases" for name, _ in got)
    (warning,) = logged(caplog, logging.WARNING)
    assert warning.startswith("metrics: cannot read the database (OperationalError)")
    assert logged(caplog, logging.INFO) == []
    got = scrape(url)
    assert sample(got, "replywatch_database_up") == 1
    assert sample(got, "replywatch_open_cases", team="support") == 1
    assert logged(caplog, logging.INFO) == ["metrics: the database can be read again"]
    scrape(url)
    assert len(logged(caplog, logging.INFO)) == 1 and len(logged(caplog, logging.WARNING)) == 1


def test_a_postgresql_server_that_never_answers_is_a_zero_within_seconds(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # something listens but never answers (a hung server, a stuck proxy): the app's own
    # connect waits 10 s, as long as Prometheus waits for the whole scrape
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        engine = db.make_engine(f"postgresql+psycopg://postgres:hunter2@127.0.0.1:{port}/rw")
        metrics = Metrics()
        metrics.watch(engine, clock, ["mem"])
        url, stop = serve(metrics, host="127.0.0.1", port=0)
        try:
            got, took = timed_scrape(url)
        finally:
            stop()
            engine.dispose()
    assert took < 5
    assert sample(got, "replywatch_database_up") == 0
    (warning,) = logged(caplog, logging.WARNING)
    assert warning.startswith("metrics: cannot read the database (ConnectionTimeout)")
    assert "hunter2" not in caplog.text


def test_a_table_locked_on_postgresql_is_a_zero_within_seconds(
    postgres_url: str, clock: FakeClock, served: ServeApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="monitor.metrics")
    app, source, url = served_app(postgres_url, clock, served)
    source.add(make_post("1", "NovaBrew is broken", handle="ana"))
    app.poll(source)
    # a migration (or someone by hand) holds the outbox: a read of it waits for the lock
    locker = create_engine(postgres_url)
    try:
        with locker.connect() as conn:
            conn.execute(text("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE"))
            got, took = timed_scrape(url)
            conn.rollback()
    finally:
        locker.dispose()
    assert took < 5
    assert sample(got, "replywatch_database_up") == 0
    (warning,) = logged(caplog, logging.WARNING)
    assert warning.startswith("metrics: cannot read the database (QueryCanceled)")
    got = scrape(url)
    assert sample(got, "replywatch_database_up") == 1
    assert sample(got, "replywatch_outbox_rows", status="pending") == 1
    assert logged(caplog, logging.INFO) == ["metrics: the database can be read again"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def daemon_app(sqlite_url: str, port: int) -> tuple[App, MemorySource]:
    settings = Settings.model_validate(
        {**SETTINGS, "database_url": sqlite_url, "metrics": {"port": port}}
    )
    source = MemorySource("mem", platform="x")
    source.add(make_post("1", "NovaBrew is broken", handle="ana"))
    app = App.build(settings, sink=ConsoleSink(), sources=[source], classifier=KeywordClassifier())
    return app, source


def test_the_daemon_serves_metrics_while_it_runs(sqlite_url: str, signals: None) -> None:
    port = free_port()
    app, source = daemon_app(sqlite_url, port)
    url = f"http://127.0.0.1:{port}/metrics"
    seen: list[Samples] = []

    def scrape_when_polled() -> None:
        for _ in range(200):  # the poll's figures are counted once it has committed
            got = scrape(url) if source.fetches else {}
            if got.get(("replywatch_polls_total", (("outcome", "ok"), ("source", "mem")))):
                seen.append(got)
                return
            threading.Event().wait(0.05)

    scraper = threading.Thread(target=scrape_when_polled)
    scraper.start()
    try:
        code, _ = run_until_sigterm(app, after_s=2.0)
    finally:
        scraper.join()
        app.close()
    assert code == 0
    (got,) = seen
    assert sample(got, "replywatch_leader") == 1
    assert sample(got, "replywatch_polls_total", source="mem", outcome="ok") == 1
    assert sample(got, "replywatch_posts_total", source="mem", result="stored") == 1
    assert sample(got, "replywatch_open_cases", team="support") == 1
    with pytest.raises(urllib.error.URLError):  # stopped with the daemon
        scrape(url)


def test_a_taken_metrics_port_is_logged_and_the_daemon_runs_on(
    sqlite_url: str, signals: None, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        app, source = daemon_app(sqlite_url, port)
        try:
            code, _ = run_until_sigterm(app, after_s=1.0)
        finally:
            app.close()
    assert code == 0 and source.fetches == 1  # it polled all the same
    (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert error.getMessage().startswith(f"metrics.port: cannot listen on 127.0.0.1 port {port}")
    assert "choose a free port" in error.getMessage()


CONFIG = """\
entities: [{id: nova, kind: brand, name: Nova, terms: [nova]}]
sources: [{name: feed, type: jsonl, path: feed.jsonl}]
teams: {support: {slack_channel: '#support'}}
"""


@pytest.mark.parametrize("bad", ["70000", "0", "nine", "[9464]"])
def test_metrics_settings_are_refused_by_field_name(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "replywatch.yaml"
    path.write_text(CONFIG + f"metrics: {{port: {bad}}}\n")
    result = CliRunner().invoke(cli, ["check-config", "-c", str(path)])
    assert result.exit_code == 2
    assert "metrics.port: " in result.output and "Traceback" not in result.output


def test_check_config_says_where_the_metrics_are(tmp_path: Path) -> None:
    path = tmp_path / "replywatch.yaml"
    path.write_text(CONFIG)
    off = CliRunner().invoke(cli, ["check-config", "-c", str(path)])
    path.write_text(CONFIG + "metrics: {port: 9464, host: 0.0.0.0}\n")
    on = CliRunner().invoke(cli, ["check-config", "-c", str(path)])
    assert (off.exit_code, on.exit_code) == (0, 0)
    assert "off (set metrics.port)" in off.output
    assert "http://0.0.0.0:9464/metrics" in on.output


def test_a_row_retried_while_slack_is_down_counts_as_late(
    sqlite_url: str, clock: FakeClock, served: ServeApp
) -> None:
    # each failed try moves the row's due time on, so "oldest due" alone stayed near 5 s
    # through a whole outage: the alert "alerts are not going out" never fired
    sink = RecordingSink()
    app, source, url = served_app(sqlite_url, clock, served, sink)
    source.add(make_post("1", "NovaBrew is broken", handle="ana"))
    app.poll(source)
    written = clock.now
    for _ in range(60):  # 5 minutes of Slack answering 503, the daemon trying every 5 s
        sink.fail.append(DeliveryError("x", "Slack answered 503"))
        app.deliver()
        clock.advance(5)
        sink.fail.clear()
    got = scrape(url)
    assert sample(got, "replywatch_outbox_rows", status="pending") == 1  # not given up yet
    assert sample(got, "replywatch_outbox_deliveries_total", result="retried") >= 2
    waited = (clock.now - written).total_seconds()
    assert waited == 300 and sample(got, "replywatch_outbox_oldest_due_seconds") == waited


def test_only_configured_sources_are_reported_and_their_outcomes_start_at_zero(
    sqlite_url: str, clock: FakeClock, served: ServeApp
) -> None:
    app, source, url = served_app(sqlite_url, clock, served)
    with app.sessions.begin() as s:  # a source renamed or removed since: its cursor stays
        s.add(SourceCursor(source="inbox-old", cursor={"offset": 9}))
    source.add(make_post("1", "NovaBrew is broken", handle="ana"))
    app.poll(source)
    got = scrape(url)
    fetched = [labels for name, labels in got if name.endswith("last_fetch_timestamp_seconds")]
    assert fetched == [(("source", "mem"),)]
    # a first auth failure is visible to increase(): the series was there at 0 before it
    assert sample(got, "replywatch_polls_total", source="mem", outcome="auth") == 0
    assert sample(got, "replywatch_polls_total", source="mem", outcome="ok") == 1


def test_the_leader_gauge_drops_when_the_database_is_lost(
    postgres_url: str, clock: FakeClock, served: ServeApp
) -> None:
    app = build(postgres_url, clock)
    url = served(app)
    assert app.lead(timedelta(seconds=20))
    assert sample(scrape(url), "replywatch_leader") == 1
    admin = create_engine(os.environ["REPLYWATCH_TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{make_url(postgres_url).database}" WITH (FORCE)'))
    admin.dispose()
    with pytest.raises(SQLAlchemyError):
        app.lead(timedelta(seconds=20))
    assert sample(scrape(url), "replywatch_leader") == 0
