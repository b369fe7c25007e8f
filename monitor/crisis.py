"""Negative-volume spikes: PR leads hear when many people turn on an entity at once.

For each watched entity, the check counts the negative posts about it created in the last
``crisis.window`` and the people who wrote them (the brand's own posts, responses, carry no
sentiment), and compares the count with what is usual: the negative posts of the
``crisis.baseline`` before the window (up to the step boundary below), scaled to one window. A
*spike* has at least ``crisis.factor`` times the usual count from at least
``crisis.min_people`` different people. Reposts count: people amplifying a complaint are the
volume a PR lead cares about. Volume is read by when posts were written, not fetched, so a
poller catching up after an outage does not look like a crisis.

History shorter than the baseline (a new install) is measured from when replywatch began
watching, the first post it stored (posts written before then, brought in by a first poll, are
left out of the usual: they are not all there were). A day of watching makes the usual that
day's count per window, not a seventh of it; with less than one window of watching there is no
usual yet, and ``min_people`` alone decides.

The usual changes slowly (a week's count moved by a minute), so it is not counted every minute:
the baseline ends at a step boundary, the window's start rounded down to a multiple of
:data:`STEP` (of the window, if that is shorter) counted from the Unix epoch. Its count then
depends on its bounds alone, the same on every host, and the :class:`Baselines` the daemon
keeps counts it again only when the bounds move: once a step, or when the first post stored
changes. A post fetched late into the baseline, or edited into a complaint there, is in the
usual from the next step on. The negatives written after the boundary and up to the window's
start (less than a step; none when the window starts on a boundary) are in neither the
baseline nor the window. The watching measured ends at the boundary too, so a new install has
a usual once a whole window of watching lies before a boundary: up to a step later than a
window after it began.

The notice goes to ``alerts.pr_channel``, or without one to the entity's team's channel. While
a spike goes on it is told again after ``crisis.remind_every``, or at once when the count has
doubled since the last notice. A spike that ended (the daemon's checks found none for a whole
window) and began again is a new one, told at once. Notices are numbered per entity
(``crisis:{entity}:{n}``), the next number read from the last one: two checks that overlap (a
leader handing over mid-check) write the same key, and the outbox's unique key keeps one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from monitor import outbox
from monitor.models import Author, EntityMatch, Outbox, OutboxKind, Post
from monitor.settings import CrisisSettings, Settings
from monitor.settings_types import format_duration

__all__ = [
    "STEP",
    "Baselines",
    "Spike",
    "baseline_end",
    "check_crisis",
    "crisis_key",
    "find_spike",
    "should_tell",
]

log = logging.getLogger(__name__)

#: Posts named in a notice, the most-followed authors first.
EXAMPLES = 3

#: The baseline ends on a multiple of this (or of the window, if shorter) from the epoch, so
#: its count is counted again at most once a step: a week moved by 15 minutes is the same
#: usual, and the gap it leaves before the window is a sliver of a week.
STEP = timedelta(minutes=15)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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
    seen: datetime | None,
    rules: CrisisSettings,
    now: datetime,
) -> bool:
    """Pure: tell ``spike`` unless ``last`` (when the entity's last notice was written, and its
    count) is recent and the spike has not doubled since, and it is the same spike.

    ``seen`` is when this daemon's checks last found a spike about the entity, before this
    one. No spike for a whole window since then, after the notice, means the spike told ended
    and this is a new one: told at once, not at the next reminder. Without ``seen`` (another
    daemon told it, or this one has just started) a spike is taken to be the one told."""
    if last is None:
        return True
    at, count = last
    if now - at >= rules.remind_every or spike.negative >= 2 * count:
        return True
    return seen is not None and seen >= at and now - seen >= rules.window


def baseline_end(start: datetime, *, window: timedelta) -> datetime:
    """Pure: where the baseline before a window starting at ``start`` ends: ``start`` rounded
    down to a multiple of :data:`STEP` (of ``window`` if shorter: the gap left before the
    window is never longer than the window) from the epoch, the same on every host."""
    step = min(STEP, window)
    return start - (start - _EPOCH) % step


class Baselines:
    """The last baseline counted: its bounds and each entity's negative posts in them.

    The daemon keeps one, so the check counts a week again only when the bounds move, once a
    step. A count is a function of its bounds, but for posts fetched late into them or edited
    there: those count from the next step on. Only the last bounds are kept, as bounds only
    move on (a clock stepped back counts its own). Replaced whole, never mutated, so a reader
    sees one bounds' counts."""

    def __init__(self) -> None:
        self._last: tuple[datetime, datetime, Mapping[str, int]] | None = None

    def get(self, since: datetime, end: datetime) -> Mapping[str, int] | None:
        last = self._last
        if last is None or (last[0], last[1]) != (since, end):
            return None
        return last[2]

    def put(self, since: datetime, end: datetime, counts: Mapping[str, int]) -> None:
        self._last = (since, end, counts)


def crisis_key(entity_id: str, number: int) -> str:
    return f"crisis:{entity_id}:{number}"


def _negatives(since: datetime, until: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        Post.sentiment == "negative",  # the brand's own posts are never classified: none
        Post.created_at > since,
        Post.created_at <= until,
    )


def _by_entity(
    since: datetime, until: datetime, *figures: ColumnElement[int]
) -> Select[*tuple[Any, ...]]:
    """Each entity's ``figures`` over its negative posts written after ``since``, up to
    ``until``: one row per entity that has any."""
    return (
        select(EntityMatch.entity_id, *figures)
        .join(Post, EntityMatch.post_id == Post.id)
        .where(*_negatives(since, until))
        .group_by(EntityMatch.entity_id)
    )


def check_crisis(
    session: Session,
    settings: Settings,
    *,
    now: datetime,
    baselines: Baselines | None = None,
    seen: dict[str, datetime] | None = None,
) -> list[str]:
    """Enqueue a notice for each entity with a spike now (see the module). Never commits.

    ``baselines`` keeps the baseline's count between checks; without it (tests, one-off
    calls) the baseline is counted every time. ``seen`` keeps when each entity's spike was
    last found, so a spike that ended and began again is told as a new one (see
    :func:`should_tell`); it is updated here."""
    seen = {} if seen is None else seen
    rules = settings.crisis
    if not rules.enabled:
        return []
    start = now - rules.window
    people_of = func.count(func.distinct(Post.author_id))
    by_entity = _by_entity(start, now, func.count(), people_of)
    window = {e: (n, people) for e, n, people in session.execute(by_entity)}
    if not any(people >= rules.min_people for _, people in window.values()):
        return []
    end = baseline_end(start, window=rules.window)
    # how long replywatch has watched, of the baseline: since it stored its first post. Read
    # every time, not kept: one primary-key lookup, and it is part of the count's bounds.
    began = session.scalar(select(Post.fetched_at).order_by(Post.id).limit(1))
    since = max(began, end - rules.baseline) if began is not None else end
    before = _baseline(session, since, end, baselines)
    history = max(end - since, timedelta(0))
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
        before_now, seen[entity.id] = seen.get(entity.id), now
        if not should_tell(spike, last, seen=before_now, rules=rules, now=now):
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


def _baseline(
    session: Session, since: datetime, end: datetime, baselines: Baselines | None
) -> Mapping[str, int]:
    """Each entity's negative posts written after ``since`` and up to ``end``: kept in
    ``baselines`` and counted again only for other bounds."""
    if baselines is not None and (kept := baselines.get(since, end)) is not None:
        return kept
    counts: dict[str, int] = dict(session.execute(_by_entity(since, end, func.count())).all())
    if baselines is not None:
        baselines.put(since, end, counts)
    return counts


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
