"""The running replywatch: settings turned into a store, a pipeline, sources and senders.

Both ``replywatch poll --once`` and the daemon drive one :class:`App`; tests build one with
their own clock, sources and sink.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from alerts.base import Alert, Sink
from alerts.console import ConsoleSink
from classifiers.base import Classifier
from monitor import db, outbox, store
from monitor.leader import try_lead
from monitor.models import Outbox, OutboxKind
from monitor.outbox import DeliveryReport, Sender
from monitor.pipeline import Pipeline
from monitor.poller import Poller, PollReport
from monitor.settings import Settings
from monitor.wiring import build_sources
from sources.base import Source

__all__ = ["App", "utc_clock"]

log = logging.getLogger(__name__)


def utc_clock() -> datetime:
    return datetime.now(UTC)


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


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

    def __post_init__(self) -> None:
        self.poller = Poller(self.sessions, self.pipeline, clock=self.clock, stop=self.stop)

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_clock,
        sink: Sink | None = None,
        sources: Sequence[Source] | None = None,
        classifier: Classifier | None = None,
        migrate: bool = True,
    ) -> App:
        engine = db.make_engine(settings.database_url)
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
        sink = sink or ConsoleSink()
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            pipeline=pipeline,
            sources=list(sources) if sources is not None else build_sources(settings, clock=clock),
            senders=sink_senders(sink),
            clock=clock,
        )

    def lead(self, ttl: timedelta) -> bool:
        """Take or renew the scheduler lease; only the leader polls."""
        with self.sessions.begin() as session:
            return try_lead(
                session, name="scheduler", holder=self.worker, now=self.clock(), ttl=ttl
            )

    def poll(self, source: Source) -> PollReport:
        return self.poller.poll(source)

    def poll_all(self) -> list[PollReport]:
        """One cycle of every source (``replywatch poll --once``)."""
        reports = []
        for source in self.sources:
            if self.stop.is_set():
                break
            reports.append(self.poll(source))
        return reports

    def deliver(self) -> DeliveryReport:
        return outbox.deliver_due(self.sessions, self.senders, worker=self.worker, now=self.clock())

    def close(self) -> None:
        self.engine.dispose()


def sink_senders(sink: Sink) -> dict[str, Sender]:
    """Outbox senders that hand alert payloads to ``sink``."""

    def send(row: Outbox) -> dict[str, str | None]:
        payload = row.payload
        receipt = sink.deliver(
            Alert(
                key=row.key,
                kind=row.kind,
                channel=row.target,
                title=str(payload.get("title", "")),
                fields={str(k): str(v) for k, v in (payload.get("fields") or {}).items()},
                text=str(payload.get("text") or ""),
                url=payload.get("url"),
                case_id=row.case_id,
            )
        )
        return {"channel": receipt.channel, "message_id": receipt.message_id}

    return {kind: send for kind in (OutboxKind.ALERT, OutboxKind.NOTICE, OutboxKind.ESCALATION)}


def _default_classifier(settings: Settings) -> Classifier:
    from classifiers import load_classifier

    c = settings.classifier
    return load_classifier(
        backend=c.backend,
        sentiment_model=c.sentiment_model,
        complaint_model=c.complaint_model,
        device=c.device,
        batch_size=c.batch_size,
        complaint_threshold=c.complaint_threshold,
    )
