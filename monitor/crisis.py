"""Negative-volume spikes: PR leads hear when many people turn on an entity at once.

For each watched entity, the check counts the negative posts about it created in the last
``crisis.window`` and the people who wrote them (the brand's own posts, responses, carry no
sentiment), and compares the count with what is usual: the negative posts of the
``crisis.baseline`` before the window, scaled to one window. A *spike* has at least
``crisis.factor`` times the usual count from at least ``crisis.min_people`` different people.
Reposts count: people amplifying a complaint are the volume a PR lead cares about. Volume is
read by when posts were written, not fetched, so a poller catching up after an outage does not
look like a crisis.

History shorter than the baseline (a new install) is measured from when replywatch began
watching, the first post it stored (posts written before then, brought in by a first poll, are
left out of the usual: they are not all there were). A day of watching makes the usual that
day's count per window, not a seventh of it; with less than one window of watching there is no
usual yet, and ``min_people`` alone decides.

The notice goes to ``alerts.pr_channel``, or without one to the entity's team's channel. While
a spike goes on it is told again after ``crisis.remind_every``, or at once when the count has
doubled since the last notice. Notices are numbered per entity (``crisis:{entity}:{n}``), the
next number read from the last one: two checks that overlap (a leader handing over mid-check)
write the same key, and the outbox's unique key keeps one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from monitor import outbox
from monitor.models import Author, EntityMatch, Outbox, OutboxKind, Post
from monitor.settings import CrisisSettings, Settings
from monitor.settings_types import format_duration

__all__ = ["Spike", "check_crisis", "crisis_key", "find_spike", "should_tell"]

log = logging.getLogger(__name__)

#: Posts named in a notice, the most-followed authors first.
EXAMPLES = 3


@dataclass(frozen=True, slots=True)
class Spike:
    entity_id: str
    negative: int  # negative posts in the window
    people: int  # their different authors
    usual: float | None  # negative posts usual for a window that long; None: no history yet


def find_spike(
    entity_id: str,
    *,
    negative: int,
    people: int,
    before: int,
    history: timedelta,
    rules: CrisisSettings,
) -> Spike | None:
    """Pure: whether ``negative`` posts from ``people`` authors in the window are a spike,
    given ``before`` negative posts in the ``history`` watched (at most the baseline) before it."""
    span = min(history, rules.baseline)
    usual = before * (rules.window / span) if span >= rules.window else None
    if people < rules.min_people or negative < rules.factor * (usual or 0.0):
        return None
    return Spike(entity_id, negative, people, usual)


def should_tell(
    spike: Spike,
    last: tuple[datetime, int] | None,
    *,
    remind_every: timedelta,
    now: datetime,
) -> bool:
    """Pure: tell ``spike`` unless ``last`` (when the entity's last notice was written, and its
    count) is recent and the spike has not doubled since."""
    if last is None:
        return True
    at, count = last
    return now - at >= remind_every or spike.negative >= 2 * count


def crisis_key(entity_id: str, number: int) -> str:
    return f"crisis:{entity_id}:{number}"


def _negatives(since: datetime, until: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        Post.sentiment == "negative",  # the brand's own posts are never classified: none
        Post.created_at > since,
        Post.created_at <= until,
    )


def check_crisis(session: Session, settings: Settings, *, now: datetime) -> list[str]:
    """Enqueue a notice for each entity with a spike now (see the module). Never commits."""
    rules = settings.crisis
    if not rules.enabled:
        return []
    start = now - rules.window
    history_start = start - rules.baseline
    by_entity = (
        select(EntityMatch.entity_id, func.count(), func.count(func.distinct(Post.author_id)))
        .join(Post, EntityMatch.post_id == Post.id)
        .where(*_negatives(start, now))
        .group_by(EntityMatch.entity_id)
    )
    window = {e: (n, people) for e, n, people in session.execute(by_entity)}
    if not any(people >= rules.min_people for _, people in window.values()):
        return []
    # how long replywatch has watched, of the baseline: since it stored its first post
    began = session.scalar(select(Post.fetched_at).order_by(Post.id).limit(1))
    watched_from = max(began, history_start) if began is not None else start
    before = dict(
        session.execute(
            select(EntityMatch.entity_id, func.count())
            .join(Post, EntityMatch.post_id == Post.id)
            .where(*_negatives(watched_from, start))
            .group_by(EntityMatch.entity_id)
        ).all()
    )
    history = max(start - watched_from, timedelta(0))
    keys: list[str] = []
    for entity in settings.entities:
        negative, people = window.get(entity.id, (0, 0))
        spike = find_spike(
            entity.id,
            negative=negative,
            people=people,
            before=before.get(entity.id, 0),
            history=history,
            rules=rules,
        )
        if spike is None:
            continue
        number, last = _last_notice(session, entity.id)
        if not should_tell(spike, last, remind_every=rules.remind_every, now=now):
            continue
        key = crisis_key(entity.id, number + 1)
        channel = (
            settings.alerts.pr_channel
            or settings.teams[entity.team or settings.default_team].slack_channel
        )
        row = outbox.enqueue(
            session,
            key=key,
            kind=OutboxKind.NOTICE,
            target=channel,
            payload=_payload(session, spike, entity.name, rules, start=start, now=now),
            now=now,
        )
        if row is not None:
            keys.append(key)
            log.warning(
                "negative spike about %s: %d posts from %d people in %s (usual %s)",
                entity.id,
                spike.negative,
                spike.people,
                format_duration(rules.window),
                "unknown" if spike.usual is None else f"{spike.usual:.1f}",
            )
    return keys


def _last_notice(session: Session, entity_id: str) -> tuple[int, tuple[datetime, int] | None]:
    """The number of the entity's last notice (0 for none), and when it was written and the
    count it told."""
    row = session.execute(
        select(Outbox.key, Outbox.created_at, Outbox.payload)
        .where(Outbox.key.startswith(f"crisis:{entity_id}:", autoescape=True))
        .order_by(Outbox.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return 0, None
    key, at, payload = row
    told = int((payload.get("extra") or {}).get("crisis", {}).get("negative", 0))
    return int(key.rsplit(":", 1)[1]), (at, told)


def _payload(
    session: Session,
    spike: Spike,
    name: str,
    rules: CrisisSettings,
    *,
    start: datetime,
    now: datetime,
) -> dict[str, object]:
    examples = session.execute(
        select(Author.handle, Author.followers, Post.platform, Post.url)
        .join(Post, Post.author_id == Author.id)
        .join(EntityMatch, EntityMatch.post_id == Post.id)
        .where(EntityMatch.entity_id == spike.entity_id, *_negatives(start, now))
        .order_by(Author.followers.desc().nulls_last(), Post.created_at.desc(), Post.id)
        .limit(EXAMPLES)
    ).all()
    platforms = session.execute(
        select(Post.platform, func.count())
        .join(EntityMatch, EntityMatch.post_id == Post.id)
        .where(EntityMatch.entity_id == spike.entity_id, *_negatives(start, now))
        .group_by(Post.platform)
        .order_by(func.count().desc(), Post.platform)
    ).all()
    window = format_duration(rules.window)
    usual = "no history yet" if spike.usual is None else f"{spike.usual:.1f}"
    return {
        "title": f"Negative spike about {name}: {spike.negative} posts in {window}",
        "text": "\n".join(
            f"@{handle} ({_reach(followers)}{platform}) {url or ''}".rstrip()
            for handle, followers, platform, url in examples
        ),
        "fields": {
            "Entity": name,
            f"Negative posts, last {window}": str(spike.negative),
            "People": str(spike.people),
            f"Usual for {window}": usual,
            "Platforms": ", ".join(f"{p} {n}" for p, n in platforms),
        },
        "extra": {
            "crisis": {
                "entity": spike.entity_id,
                "negative": spike.negative,
                "people": spike.people,
                "usual": None if spike.usual is None else round(spike.usual, 2),
                "since": start.isoformat(),
            }
        },
    }


def _reach(followers: int | None) -> str:
    return "" if followers is None else f"{followers} followers, "  # Reddit gives no count
