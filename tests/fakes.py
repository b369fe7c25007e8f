"""Fakes for tests: a controllable clock and a deterministic classifier."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Interval, literal, select, update
from sqlalchemy.orm import Session, sessionmaker

from classifiers.base import Sentiment, Severity, Verdict
from monitor.delivery import SHARED_AT
from monitor.models import CaseEvent, Outbox
from sources.base import Author, SourcePost

#: One line of JSON-lines input that any classifier here calls a complaint about NovaBrew.
COMPLAINT_LINE = (
    json.dumps(
        {
            "id": "x-1",
            "platform": "x",
            "text": "NovaBrew my grinder arrived broken, I want a refund",
            "author": {"id": "u-1", "handle": "sam"},
            "created_at": "2026-11-20T09:00:00Z",
        }
    )
    + "\n"
)


class FakeClock:
    """A clock the test moves by hand; always aware UTC."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta | float) -> datetime:
        self.now += delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        return self.now


def pass_time(sessions: sessionmaker[Session], clock: FakeClock, delta: timedelta | float) -> None:
    """``delta`` passes: on the daemons' clock, for the outbox's leases, and for the wait
    before a public reply is resent. On SQLite those are timed by that clock; on PostgreSQL
    by the database's (:func:`monitor.db.shared_now`), which a test cannot move, so there
    every lease's end, and the database's time recorded in every reply attempt event, moves
    ``delta`` back instead."""
    step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
    clock.advance(step)
    with sessions.begin() as s:
        if s.get_bind().dialect.name != "postgresql":
            return
        s.execute(
            update(Outbox)
            .where(Outbox.claimed_until.is_not(None))
            .values(claimed_until=Outbox.claimed_until - literal(step, Interval()))
        )
        attempts = select(CaseEvent).where(
            CaseEvent.kind.in_(("ack_attempt", "ack_attempt_failed"))
        )
        for event in s.scalars(attempts):
            shared = (event.detail or {}).get(SHARED_AT)
            if isinstance(shared, str):
                moved = datetime.fromisoformat(shared) - step
                event.detail = {**(event.detail or {}), SHARED_AT: moved.isoformat()}


class KeywordClassifier:
    """Complaint iff the text contains one of ``words``: verdicts a test can predict exactly."""

    name = "keyword-fake"

    def __init__(self, words: Sequence[str] = ("broken", "refund", "worst", "خراب", "سيء")) -> None:
        self.words = tuple(w.casefold() for w in words)
        self.calls = 0

    def classify(self, texts: Sequence[str]) -> list[Verdict]:
        self.calls += 1
        verdicts = []
        for text in texts:
            hit = any(w in text.casefold() for w in self.words)
            verdicts.append(
                Verdict(
                    language="en",
                    sentiment=Sentiment.NEGATIVE if hit else Sentiment.POSITIVE,
                    sentiment_scores={
                        "negative": 0.9 if hit else 0.1,
                        "neutral": 0.0,
                        "positive": 0.1 if hit else 0.9,
                    },
                    complaint=0.9 if hit else 0.1,
                    is_complaint=hit,
                    severity=Severity.NORMAL if hit else Severity.LOW,
                    model="keyword-fake@1",
                )
            )
        return verdicts


def make_post(
    native_id: str,
    text: str,
    *,
    platform: str = "x",
    handle: str = "customer",
    minutes: int = 0,
    **kw: object,
) -> SourcePost:
    return SourcePost(
        platform=platform,
        native_id=native_id,
        text=text,
        author=Author(native_id=f"id-{handle}", handle=handle, followers=10),
        created_at=datetime(2026, 11, 20, 8, 0, tzinfo=UTC) + timedelta(minutes=minutes),
        **kw,  # type: ignore[arg-type]
    )
