"""The running replywatch: settings turned into a store, a pipeline, sources and senders.

Both ``replywatch poll --once`` and the daemon drive one :class:`App`; tests build one with
their own clock, sources and sink.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from alerts.base import Sink
from alerts.console import ConsoleSink
from classifiers.base import Classifier
from monitor import db, outbox, store
from monitor.acknowledge import check_reply_modes, source_repliers
from monitor.actions import CaseActions
from monitor.crisis import Baselines, check_crisis
from monitor.delivery import build_senders, collapse_backlog
from monitor.escalation import CheckReport, check_clocks
from monitor.leader import release, try_lead
from monitor.metrics import Metrics
from monitor.models import Outbox
from monitor.outbox import DeliveryReport, Sender
from monitor.pipeline import Pipeline
from monitor.poller import Poller, PollReport
from monitor.quiet import check_quiet
from monitor.settings import Settings
from monitor.wiring import build_sources
from sources.base import Replier, Source

#: Outbox rows claimed per round of delivery.
PAGE = 50

__all__ = ["App", "Checks", "Polls", "build_sink", "check_startup", "host_id", "utc_clock"]

log = logging.getLogger(__name__)

T = TypeVar("T")


def utc_clock() -> datetime:
    return datetime.now(UTC)


def host_id() -> str:
    """This host as worker ids name it: its name and, on Linux, its running kernel (boot id)
    and PID namespace, which together name one set of pids. A pid means one process only
    within a namespace: containers sharing a host name (host networking, a fixed
    ``--hostname``) each number theirs from 1, and every machine's root namespace has the same
    number, so two machines of one name would share it (cloned VMs, ``localhost``). Without
    them a daemon starting in one would read another's live pid as its own dead predecessor
    and free rows that one is sending (see :func:`monitor.outbox.dead_claimers`)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:  # not Linux: the host name alone
        return socket.gethostname()
    return f"{socket.gethostname()}/{boot.replace('-', '')[:12]}.{namespace}"


def _worker_id() -> str:
    return f"{host_id()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


#: The worker ids of this process's Apps: alive, though they share our pid (tests, and
#: anything else that runs two Apps in one process; see :func:`monitor.outbox.dead_claimers`).
_THIS_PROCESS: set[str] = set()


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this host (in our PID namespace). A zombie counts, as
    does a process we may not signal; where we cannot tell (not POSIX, where ``os.kill``
    would end the process), it is taken as alive and its rows wait for their lease."""
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


@dataclass
class App:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    pipeline: Pipeline
    sources: Sequence[Source]
    senders: Mapping[str, Sender]
    clock: Callable[[], datetime] = utc_clock
    stop: threading.Event = field(default_factory=threading.Event)
    worker: str = field(default_factory=_worker_id)
    sink: Sink | None = None
    #: Where the Slack HTTP listener answers, once the daemon started one.
    slack_url: str | None = None
    metrics: Metrics = field(default_factory=Metrics)
    #: The negative-spike check's usual counts, kept for a quarter hour (see monitor.crisis).
    baselines: Baselines = field(default_factory=Baselines)
    #: Since when the crisis checks have found no spike about each entity: tells a new spike
    #: from the last one told (see monitor.crisis.should_tell).
    spikes_calm: dict[str, datetime] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.poller = Poller(self.sessions, self.pipeline, clock=self.clock, stop=self.stop)
        _THIS_PROCESS.add(self.worker)
        self._dead_freed = False
        self._dead_lock = threading.Lock()
        self.metrics.watch(self.engine, self.clock, [s.name for s in self.sources])

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_clock,
        sink: Sink | None = None,
        sources: Sequence[Source] | None = None,
        classifier: Classifier | None = None,
        repliers: Mapping[str, Replier] | None = None,
        migrate: bool = True,
    ) -> App:
        """Everything from ``settings``; tests pass their own clock, sink, sources, repliers.

        ``sink`` defaults to Slack when ``alerts.slack`` is configured, else the console.
        ``repliers`` (platform -> :class:`Replier`) default to the sources that can reply.
        """
        engine = db.make_engine(settings.database_url)
        try:
            if migrate:
                db.upgrade(engine)
            sessions = db.make_sessionmaker(engine)
            with sessions.begin() as session:
                store.sync_brand_accounts(
                    session,
                    {
                        platform: [(a.handle, a.native_id, a.team) for a in accounts]
                        for platform, accounts in settings.brand_accounts.items()
                    },
                )
            pipeline = Pipeline(settings, classifier or _default_classifier(settings))
            built = list(sources) if sources is not None else build_sources(settings, clock=clock)
            sink = sink or build_sink(settings)
            if repliers is None:
                repliers = source_repliers(built, settings)
            app = cls(
                settings=settings,
                engine=engine,
                sessions=sessions,
                pipeline=pipeline,
                sources=built,
                senders=build_senders(sessions, settings, sink, repliers=repliers, clock=clock),
                clock=clock,
                sink=sink,
            )
        except BaseException:  # a refused setting (a reply mode no source can carry out):
            engine.dispose()  # no connection left open behind the error
            raise
        return app

    def lead(self, ttl: timedelta) -> bool:
        """Take or renew the scheduler lease; only the leader polls. On PostgreSQL the lease
        is timed by the database's clock, not ours (see :func:`~monitor.db.shared_now`)."""
        try:
            with self.sessions.begin() as session:
                now = db.shared_now(session, local=self.clock())
                leading = try_lead(session, name="scheduler", holder=self.worker, now=now, ttl=ttl)
        except Exception:  # the database gone: the lease runs out, and so does the gauge
            self.metrics.leader.set(0)
            raise
        self.metrics.leader.set(int(leading))
        return leading

    def release_lead(self) -> None:
        with self.sessions.begin() as session:
            now = db.shared_now(session, local=self.clock())
            release(session, name="scheduler", holder=self.worker, now=now)
        self.metrics.leader.set(0)

    def poll(self, source: Source) -> PollReport:
        started = time.monotonic()
        report = self.poller.poll(source)
        self.metrics.observe_poll(
            report,
            seconds=time.monotonic() - started,
            last_success=self.poller.state(source).last_success,
        )
        return report

    def poll_all(self, lease: timedelta) -> Polls:
        """One cycle of every source (``replywatch poll --once``), by the holder of the
        scheduler lease only, as the daemon polls: taken (or renewed, for ``lease``) before
        each source, kept renewed while a source is polled (a backlog can take longer than
        the lease), and given back at the end. While another process holds it (a running
        daemon, another ``poll --once``) nothing is polled: two processes polling one source
        read every page twice, spend the platform's budget twice and collide on what they
        store. The sources not polled are named in the result. A database that fails the
        lease raises."""
        polls = Polls()
        try:
            with self._renewing(lease):
                for source in self.sources:
                    if self.stop.is_set():
                        break
                    if not self.lead(lease):
                        polls.not_polled = [s.name for s in self.sources[len(polls.reports) :]]
                        break
                    polls.led = True
                    polls.reports.append(self.poll(source))
        finally:  # an error mid-cycle too: a daemon need not wait out the lease
            self.release_lead()  # ours only: a no-op where another holds it
        return polls

    @contextlib.contextmanager
    def _renewing(self, lease: timedelta) -> Iterator[None]:
        """Renew the scheduler lease every quarter ``lease`` (the daemon's ratio) while the
        block runs, from a thread of its own, so a long poll keeps it; a renewal that fails
        is logged, and :meth:`poll_all` finds the lease lost before its next source."""
        done = threading.Event()

        def renew() -> None:
            while not done.wait(lease.total_seconds() / 4):
                try:
                    self.lead(lease)
                except Exception:
                    log.warning("could not renew the scheduler lease", exc_info=True)

        thread = threading.Thread(target=renew, name="replywatch-lease", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()

    def deliver(self, *, rounds: int = 1) -> DeliveryReport:
        """Fold channel backlogs into digests, then send what is due, up to ``rounds`` claims
        of a page each (``poll --once`` drains everything; the daemon's job sends a page).
        The first call first frees the rows a dead earlier daemon on this host claimed.
        A stop request (:attr:`stop`) ends it between rows: the rows claimed but not yet sent
        go back in line unsent, so a stop waits for one send at most."""
        total = DeliveryReport()
        if not self.stop.is_set():
            self._free_dead_claims()
        for _ in range(rounds):
            if self.stop.is_set():
                break
            with self.sessions.begin() as session:
                digests = collapse_backlog(session, self.settings, now=self.clock())
                folded = _folded(session, digests)
            report = outbox.deliver_due(
                self.sessions,
                self.senders,
                worker=self.worker,
                clock=self.clock,
                limit=PAGE,
                stop=self.stop,
            )
            report.folded, report.digests = folded, len(digests)
            total.add(report)
            self.metrics.observe_delivery(report)
            if report.claimed < PAGE:
                break
        return total

    def _free_dead_claims(self) -> None:
        """Once, before this App's first delivery (the daemon's first, ``poll --once``'s):
        put back the rows a dead earlier daemon on this host claimed, so a kill -9
        does not hold its alerts for a whole lease (:func:`~monitor.outbox.dead_claimers`
        says which claimers are dead). Tried again at the next delivery if the database
        fails; the daemon's deliveries run in several threads, hence the lock."""
        with self._dead_lock:
            if self._dead_freed:
                return
            with self.sessions.begin() as session:
                freed = outbox.release_dead_claims(
                    session,
                    host=host_id(),
                    pid=os.getpid(),
                    pid_alive=_pid_alive,
                    ours=_THIS_PROCESS,
                    now=self.clock(),
                )
            self._dead_freed = True
        if freed:
            log.info(
                "freed %d outbox row(s) claimed by dead sender(s) %s; sending them now",
                sum(freed.values()),
                ", ".join(f"{worker} ({n})" for worker, n in freed.items()),
            )

    def run_checks(self, lease: timedelta) -> Checks:
        """The daemon's checks once, in its order (clocks, quiet, crisis), for ``poll --once``:
        each run as the daemon's jobs run it, by the holder of the scheduler lease only, taken
        (or renewed, for ``lease``) before each. A running daemon that holds the lease runs
        them itself; its crisis check remembers the calm between spikes, which a one-off
        cannot (see :meth:`check_crisis`). The lease is given back at the end, so a daemon
        started meanwhile leads at once.

        A check that fails is logged and named in the result, and the others still run, as
        in the daemon; a database that fails the lease itself raises."""
        checks = Checks()
        steps: tuple[tuple[str, Callable[[], object]], ...] = (
            ("clocks", self.check_clocks),
            ("quiet", self.check_quiet),
            ("crisis", self.check_crisis),
        )
        try:
            for name, check in steps:
                if self.stop.is_set() or not self.lead(lease):
                    break
                checks.led = True
                try:
                    setattr(checks, name, check())
                except Exception as exc:  # the other checks, and the delivery, still run
                    log.exception("the %s check failed", name)
                    checks.errors[name] = f"{type(exc).__name__}: {exc}"
        finally:
            if checks.led:
                self.release_lead()
        return checks

    def check_clocks(self) -> CheckReport:
        """Warnings, breaches and out-of-hours assignments now due (daemon job ``clocks``)."""
        return self._check(
            "clocks", check_clocks, lambda r: {"warning": r.warned, "breach": r.breached}
        )

    def check_quiet(self) -> list[str]:
        """Quiet brand accounts (daemon job ``quiet``); returns the notice keys written."""
        return self._check("quiet", check_quiet, lambda keys: {"quiet": len(keys)})

    def check_crisis(self) -> list[str]:
        """Negative-volume spikes (daemon job ``crisis``); returns the notice keys written.

        A spike that ended and began again is told at once only by an App whose checks saw
        the calm between (``spikes_calm``); a fresh one (``poll --once``) takes a spike told
        within ``crisis.remind_every`` for the same, told again at its reminder or doubling."""
        calm = dict(self.spikes_calm)
        check = partial(check_crisis, baselines=self.baselines, calm=calm)
        keys = self._check("crisis", check, lambda keys: {"spike": len(keys)})
        self.spikes_calm = calm  # kept once the check's notices are committed, not before
        return keys

    def _check(
        self,
        name: str,
        check: Callable[..., T],
        notices: Callable[[T], dict[str, int]],
    ) -> T:
        """Run one of the leader's checks in a transaction of its own, timed for the metrics."""
        started = time.monotonic()
        with self.sessions.begin() as session:
            result = check(session, self.settings, now=self.clock())
        self.metrics.observe_check(
            name, seconds=time.monotonic() - started, notices=notices(result)
        )
        return result

    def actions(self) -> CaseActions:
        """The Slack button and ``/replywatch`` handler for ``alerts.interactive``."""
        return CaseActions(
            self.sessions, self.settings, clock=self.clock, templates=self.pipeline.templates
        )

    def close(self) -> None:
        self.metrics.close()  # the collector's own engine: a scrape opened its connections
        self.engine.dispose()


@dataclass
class Polls:
    """What :meth:`App.poll_all` did."""

    #: Whether this App held the scheduler lease to poll; ``False``: another holds it and
    #: polls (a running daemon), and nothing was polled.
    led: bool = False
    reports: list[PollReport] = field(default_factory=list)
    #: The sources left unpolled because another process holds (or took) the lease.
    not_polled: list[str] = field(default_factory=list)


@dataclass
class Checks:
    """What :meth:`App.run_checks` did; ``None`` for a check that did not run."""

    #: Whether this App held the scheduler lease for the checks; ``False``: another holds it.
    led: bool = False
    clocks: CheckReport | None = None
    #: The notice keys written.
    quiet: list[str] | None = None
    crisis: list[str] | None = None
    #: The checks that failed, and why (logged with their tracebacks).
    errors: dict[str, str] = field(default_factory=dict)


def _folded(session: Session, digests: Sequence[str]) -> int:
    """How many rows the digests ``digests`` (just written, in ``session``) fold."""
    if not digests:
        return 0
    payloads = session.scalars(select(Outbox.payload).where(Outbox.key.in_(digests)))
    return sum(int((p.get("extra") or {}).get("total") or 0) for p in payloads)


def build_sink(settings: Settings) -> Sink:
    """Slack when ``alerts.slack`` is configured (and the Slack sink is installed), else console."""
    slack = settings.alerts.slack
    if slack is None:
        return ConsoleSink()
    try:
        from alerts.slack import SlackSink
    except ImportError:  # pragma: no cover - the Slack sink ships with the product
        log.warning("alerts.slack is configured but alerts/slack.py is missing; using the console")
        return ConsoleSink()
    sink: Sink = SlackSink(
        slack.bot_token.get_secret_value(),
        base_url=slack.api_url,
        timeout_s=slack.timeout.total_seconds(),
        per_channel_interval_s=slack.per_channel_interval.total_seconds(),
    )
    return sink


def check_startup(settings: Settings) -> None:
    """The start-up checks of :meth:`App.build` that need neither the network nor the database,
    for ``replywatch check-config``: the watchlist compiles, the reply templates load, the
    classifier settings resolve and every source can be built. So a config that passes
    check-config is one ``poll`` and ``run`` accept, not one they refuse at start-up.

    A transformers backend is checked as far as its offline model (the fallback, and any team
    model in ``classifier.model_dir``): its own models are loaded, maybe downloaded, only by
    ``poll`` and ``run``. Raises what App.build raises (:class:`~monitor.errors.ConfigError`
    for a bad setting) and logs the warnings it logs (a team model it cannot read).

    An acknowledgement mode that sends (``approval``, ``auto``) needs a source that can reply
    on its platform, as :func:`~monitor.delivery.build_senders` requires of the repliers
    ``App.build`` gives it (see :func:`~monitor.acknowledge.check_reply_modes`).
    """
    Pipeline(settings, _default_classifier(settings, offline_only=True))
    built = build_sources(settings, clock=utc_clock)
    check_reply_modes(settings, source_repliers(built, settings))


def _default_classifier(settings: Settings, *, offline_only: bool = False) -> Classifier:
    """The configured classifier; ``offline_only`` resolves the offline model alone (for
    :func:`check_startup`: no transformer model loaded or downloaded)."""
    from classifiers import load_classifier
    from monitor.errors import ClassifierError

    c = settings.classifier
    load = partial(
        load_classifier,
        backend="offline" if offline_only else c.backend,
        sentiment_model=c.sentiment_model,
        complaint_model=c.complaint_model,
        device=c.device,
        batch_size=c.batch_size,
        quantize=c.quantize,
        complaint_threshold=c.complaint_threshold,
    )
    team = team_model_dir(settings)
    if team is not None:
        try:
            return load(model_dir=team)
        except ClassifierError as exc:
            # an older format after an upgrade, say: keep listening with the shipped model
            log.warning("classifier.model_dir: %s; using the shipped model meanwhile", exc)
    return load()


def team_model_dir(settings: Settings) -> Path | None:
    """``classifier.model_dir`` once ``replywatch classifier train`` has written a model
    there; ``None`` (the shipped model) until then."""
    from classifiers.linear import ARTIFACT_NAME

    folder = settings.classifier.model_dir
    return folder if folder is not None and (folder / ARTIFACT_NAME).is_file() else None
