"""Prometheus metrics: what the daemon did, and what waits in the database.

Two kinds of figure, for the two questions whoever runs replywatch asks:

* **Is this daemon working?** Counters and histograms the daemon's own jobs feed as they
  run (:meth:`Metrics.observe_poll`, :meth:`Metrics.observe_delivery`,
  :meth:`Metrics.observe_check`): polls by outcome, posts fetched and stored, cases opened,
  deliveries, how long each took, and whether it holds the leader lease. Only the leader
  polls, so a follower's poll counters stay at zero.
* **Is anything stuck?** Read from the database at each scrape (:class:`DatabaseCollector`),
  so every daemon of a cluster reports the same, leader or not: outbox rows waiting or given
  up and how late the oldest is, open cases per team, and when each source last fetched (its
  cursor's save time). ``time() - replywatch_source_last_fetch_timestamp_seconds`` is the
  alert that a source has stopped hearing mentions; ``replywatch_outbox_oldest_due_seconds``
  the one that alerts have stopped going out. A database that cannot be read is
  ``replywatch_database_up 0`` within a few seconds, never a failed scrape.

The figures live in a registry of the :class:`Metrics` object's own, not the process-wide
default, so tests and several apps in one process never share counts.
:func:`serve` exposes them over HTTP (``metrics.port``; the daemon only).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from monitor import db
from monitor.cases import OPEN
from monitor.models import Case, Outbox, OutboxStatus, SourceCursor
from monitor.outbox import DeliveryReport
from monitor.poller import OUTCOMES, PollReport

__all__ = ["DatabaseCollector", "Metrics", "serve"]

log = logging.getLogger(__name__)

#: Seconds: a poll is a page or two of an API plus classifying it; a backlog takes minutes.
POLL_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
CHECK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
#: Outbox states that mean work to do or work given up (sent rows only grow: not counted).
WAITING = (OutboxStatus.PENDING, OutboxStatus.CLAIMED, OutboxStatus.FAILED)
#: What became of an outbox row tried: the :class:`~monitor.outbox.DeliveryReport` counts.
DELIVERY_RESULTS = ("sent", "retried", "failed")
#: How long a scrape's read may wait, well inside Prometheus' default 10 s scrape timeout:
#: for SQLite's lock (a connection's own set-up included), for a PostgreSQL connection, and
#: for each PostgreSQL statement (a table locked by a migration).
SQLITE_BUSY_TIMEOUT_S = 2
POSTGRES_CONNECT_TIMEOUT_S = 3
POSTGRES_STATEMENT_TIMEOUT_S = 3


class Metrics:
    """The daemon's instruments, registered in ``registry`` (a new one by default)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        Gauge("replywatch_info", "The running replywatch", ["version"], registry=r).labels(
            _version()
        ).set(1)
        self.polls = Counter(
            "replywatch_polls",
            "Polls of a source by outcome: ok, waiting (not tried: backing off after a "
            "failure, or pacing the platform's budget), rate_limited, unavailable, malformed, "
            "auth, storage or error",
            ["source", "outcome"],
            registry=r,
        )
        self.poll_seconds = Histogram(
            "replywatch_poll_duration_seconds",
            "Time to fetch, classify and store what a source had",
            ["source"],
            buckets=POLL_BUCKETS,
            registry=r,
        )
        self.posts = Counter(
            "replywatch_posts",
            "Posts a source brought in, by what became of them: fetched (all), stored "
            "(new mentions), responses (the brand's own replies), edits, repeats (stored "
            "before), unmatched (no watched entity), language_filtered (not in its entity's "
            "languages); malformed: items the source could not read (logged, not fetched)",
            ["source", "result"],
            registry=r,
        )
        self.cases = Counter(
            "replywatch_cases_opened", "Cases opened for complaints", ["source"], registry=r
        )
        self.stream_errors = Counter(
            "replywatch_stream_errors",
            "Parts of a source set aside in a poll (a subreddit or query the platform refuses)",
            ["source"],
            registry=r,
        )
        self.last_success = Gauge(
            "replywatch_source_last_success_timestamp_seconds",
            "When this daemon last polled the source without an error",
            ["source"],
            registry=r,
        )
        self.deliveries = Counter(
            "replywatch_outbox_deliveries",
            "Outbox rows (alerts, notices, public replies) tried: sent, retried (to be tried "
            "again) or failed (given up: `replywatch outbox list` says why)",
            ["result"],
            registry=r,
        )
        self.check_seconds = Histogram(
            "replywatch_check_duration_seconds",
            "Time of the leader's periodic checks: clocks, quiet, crisis",
            ["check"],
            buckets=CHECK_BUCKETS,
            registry=r,
        )
        self.notices = Counter(
            "replywatch_check_notices",
            "What the checks wrote to the outbox: clock warnings and breaches, quiet-account "
            "and negative-spike notices",
            ["check", "kind"],
            registry=r,
        )
        self.leader = Gauge(
            "replywatch_leader", "1 while this daemon holds the scheduler lease", registry=r
        )
        for result in DELIVERY_RESULTS:
            self.deliveries.labels(result)  # present from the start, at 0
        self.database: DatabaseCollector | None = None

    def observe_poll(
        self, report: PollReport, *, seconds: float, last_success: datetime | None
    ) -> None:
        """One poll, ``seconds`` long; ``last_success`` is when its source last succeeded."""
        source, res = report.source, report.result
        self.polls.labels(source, report.outcome).inc()
        if report.outcome != "waiting":
            self.poll_seconds.labels(source).observe(seconds)
        for result, n in (
            ("fetched", res.fetched),
            ("stored", res.stored),
            ("responses", res.responses),
            ("edits", res.edits),
            ("repeats", res.repeats),
            ("unmatched", res.unmatched),
            ("language_filtered", res.language_filtered),
            ("malformed", report.malformed),
        ):
            self.posts.labels(source, result).inc(n)
        self.cases.labels(source).inc(res.cases_opened)
        self.stream_errors.labels(source).inc(len(report.stream_errors))
        if last_success is not None and report.outcome == "ok":
            self.last_success.labels(source).set(last_success.timestamp())

    def observe_delivery(self, report: DeliveryReport) -> None:
        """One round of delivery: its rows sent, retried and given up."""
        for result in DELIVERY_RESULTS:
            self.deliveries.labels(result).inc(getattr(report, result))

    def observe_check(self, check: str, *, seconds: float, notices: dict[str, int]) -> None:
        self.check_seconds.labels(check).observe(seconds)
        for kind, n in notices.items():
            self.notices.labels(check, kind).inc(n)

    def watch(
        self,
        engine: Engine,
        clock: Callable[[], datetime],
        sources: Sequence[str],
    ) -> None:
        """Report the state of the database ``engine`` opens at each scrape too, read
        through an engine of its own (see :class:`DatabaseCollector`), and start every
        source's poll counts at 0: ``increase()`` cannot see a series' first sample, so a
        first ``auth`` failure would be invisible to an alert."""
        for source in sources:
            for outcome in OUTCOMES:
                self.polls.labels(source, outcome)
        self.database = DatabaseCollector(engine, clock, sources)
        self.registry.register(self.database)

    def close(self) -> None:
        """Close the database collector's connections (stopping :func:`serve` does)."""
        if self.database is not None:
            self.database.close()


class DatabaseCollector(Collector):
    """Figures read from the database when scraped: the same from every daemon of a cluster.

    The outbox queries read its (status, due time) index and a table of one row per source:
    milliseconds however many posts are stored. Open cases are counted through the (team,
    status) index, read whole: about 40 ms at 300,000 cases ever opened.

    A scrape must answer before the scraper gives up (Prometheus: 10 s by default), or it
    fails as a whole, the daemon's own figures with it. So the collector reads the database
    ``engine`` opens through an engine of its own, which waits briefly where the app's waits
    long: on SQLite it reads without the write lock the app's transactions begin with (a
    writer, even one holding the lock for minutes, never delays a scrape: it reads the last
    commit) and waits at most :data:`SQLITE_BUSY_TIMEOUT_S` for a file another process
    holds whole (``locking_mode=EXCLUSIVE``); on PostgreSQL it gives up connecting after
    :data:`POSTGRES_CONNECT_TIMEOUT_S` (a server down, hung, or behind a stuck proxy) and
    each statement after :data:`POSTGRES_STATEMENT_TIMEOUT_S` (a table locked by a
    migration or by hand). Either way the scrape answers ``replywatch_database_up 0``. Not
    bounded: a server that stops answering on a connection already made (the statement
    timeout is the server's own; the client has none).

    The database becoming unreadable is logged once, as a warning naming the driver's error
    type (never its message, which may name the host, the user and the statement); readable
    again, once at info. A database down for an hour is two lines, not one per scrape.
    :meth:`close` closes the engine's connections.
    """

    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime],
        sources: Sequence[str],
    ) -> None:
        self.engine = db.make_engine(
            engine.url.render_as_string(hide_password=False),
            create=False,  # the app's engine made the file; a scrape never makes one
            write_lock=False,
            connect_args=_connect_bounds(engine.url),
        )
        self.sessions = db.make_sessionmaker(self.engine)
        self.clock = clock
        #: The sources configured now: a renamed or disabled one's old cursor is not reported
        self.sources = tuple(sources)
        #: Whether the last scrape could read the database (assumed, before the first)
        self.up = True
        self._lock = threading.Lock()  # scrapes may run at once, one HTTP thread each

    def close(self) -> None:
        self.engine.dispose()

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "replywatch_database_up", "1 if the last scrape could read the database"
        )
        try:
            figures = list(self._read())
        except SQLAlchemyError as exc:
            self._became(up=False, error=exc)
            up.add_metric([], 0)
            yield up
            return
        self._became(up=True)
        up.add_metric([], 1)
        yield up
        yield from figures

    def _became(self, *, up: bool, error: SQLAlchemyError | None = None) -> None:
        """Log a change of the database's state, once; nothing while it stays as it was."""
        with self._lock:
            was, self.up = self.up, up
        if was and not up:
            # the driver's type (OperationalError, ConnectionTimeout, QueryCanceled), not
            # its message
            orig = error.orig if isinstance(error, DBAPIError) else None
            log.warning(
                "metrics: cannot read the database (%s); replywatch_database_up is 0 until it can",
                type(orig if orig is not None else error).__name__,
            )
        elif up and not was:
            log.info("metrics: the database can be read again")

    def _read(self) -> Iterator[Metric]:
        now = self.clock()
        with self.sessions() as session:
            _bound(session)
            rows = GaugeMetricFamily(
                "replywatch_outbox_rows",
                "Outbox rows waiting to be sent (pending), being sent (claimed) or given up "
                "(failed)",
                labels=["status"],
            )
            counts = dict(
                session.execute(
                    select(Outbox.status, func.count())
                    .where(Outbox.status.in_(WAITING))
                    .group_by(Outbox.status)
                ).all()
            )
            for status in WAITING:
                rows.add_metric([status.value], counts.get(status, 0))
            pending = Outbox.status == OutboxStatus.PENDING
            due = session.scalar(
                select(func.min(Outbox.due_at)).where(pending, Outbox.due_at <= now)
            )
            # a row retried is due again later after each failure: its wait counts from when
            # it was written (for an acknowledgement, that overstates it by its delay)
            retried = session.scalar(
                select(func.min(Outbox.created_at)).where(pending, Outbox.attempts > 0)
            )
            waiting = [at for at in (due, retried) if at is not None]
            late = GaugeMetricFamily(
                "replywatch_outbox_oldest_due_seconds",
                "How long the oldest pending outbox row has waited since it was first due, "
                "retries included (0: none waits)",
            )
            late.add_metric([], max((now - min(waiting)).total_seconds(), 0.0) if waiting else 0.0)
            cases = GaugeMetricFamily(
                "replywatch_open_cases",
                "Cases not yet resolved or dismissed, per team",
                labels=["team"],
            )
            for team, n in session.execute(
                select(Case.team, func.count())
                .where(Case.status.in_(OPEN))
                .group_by(Case.team)
                .order_by(Case.team)
            ):
                cases.add_metric([team or ""], n)
            fetched = GaugeMetricFamily(
                "replywatch_source_last_fetch_timestamp_seconds",
                "When a source last fetched and stored a page (any daemon of the cluster)",
                labels=["source"],
            )
            for source, at in session.execute(
                select(SourceCursor.source, SourceCursor.updated_at)
                .where(SourceCursor.source.in_(self.sources))
                .order_by(SourceCursor.source)
            ):
                fetched.add_metric([source], at.timestamp())
        yield from (rows, late, cases, fetched)


def _connect_bounds(url: URL) -> dict[str, float]:
    """The driver's arguments that bound a scrape's connect (see :class:`DatabaseCollector`)."""
    if url.get_backend_name() == "sqlite":  # the lock a new connection's pragmas may wait for
        return {"timeout": SQLITE_BUSY_TIMEOUT_S}
    if url.get_driver_name() == "psycopg":
        return {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S}
    return {}


def _bound(session: Session) -> None:
    """Bound the waits of this read's statements (see :class:`DatabaseCollector`)."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":  # after make_engine's pragmas set the app's 30 s
        session.execute(text(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}"))
    elif dialect == "postgresql":  # this transaction only; SET takes no bound parameter
        ms = POSTGRES_STATEMENT_TIMEOUT_S * 1000
        session.execute(text(f"SET LOCAL statement_timeout = {ms}"))


def serve(metrics: Metrics, *, host: str, port: int) -> tuple[str, Callable[[], None]]:
    """Serve ``metrics`` at ``http://host:port/metrics`` from a thread; the address it
    answers on (``port`` 0 takes a free one) and a function that stops it and closes the
    collector's database connections. Raises :class:`OSError` if the address cannot be
    bound."""
    server, thread = start_http_server(port, host, registry=metrics.registry)
    bound_host, bound_port = server.server_address[:2]

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        metrics.close()

    return f"http://{_url_host(str(bound_host))}:{bound_port}/metrics", stop


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _version() -> str:
    try:
        return version("replywatch")
    except PackageNotFoundError:  # pragma: no cover - run from a checkout never installed
        return "unknown"
