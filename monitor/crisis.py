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

The notice goes to ``alerts.pr_channel``, or without one to the entity's team's channel. It
pings the lead of the team whose channel that is; where no such team has a lead with a Slack
id, the leads of the teams owning the entities told (as a critical case's breach in the PR
channel pings its own team's lead); where none has one, nobody. It tells the count, the
people, the usual, the platforms, the languages, the severity reasons the posts gave, and the
most-followed authors with links, one post each (one loud account is not three voices), the
first with an excerpt of what it wrote.

One crisis is one notice. A post naming "NovaBrew Pod X2" is about the brand and the product,
so a spike about one is mostly a spike about the other. The spiking entities told in one
channel are grouped: one whose window posts are at least :data:`SHARED` among those of an
entity with more (on a tie, the one listed first) joins that entity's group, and the group is
told once, under that entity, naming the others and how many of its posts are about each. A
spike about other posts (a product's own complaints) has a notice of its own.

While a spike goes on it is told again after ``crisis.remind_every``, or at once when the count
has doubled since the last notice. A spike that ended (the daemon's checks found none for a
whole window) and began again is a new one, told at once. An entity's last notice is the
latest that named it, under its own key or in another's group, and a group is told when any
of its entities would be: an entity told in a group is not told again as new when its posts
drift out of it. Notices are numbered per entity (``crisis:{entity}:{n}``, a group's under its
first), the next number read from the last one: two checks that overlap (a leader handing over
mid-check) write the same key, and the outbox's unique key keeps one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from monitor import outbox
from monitor.crisis_notice import notice_payload
from monitor.models import EntityMatch, Outbox, OutboxKind, Post
from monitor.settings import CrisisSettings, Entity, Settings
from monitor.settings_types import format_duration

__all__ = [
    "SHARED",
    "STEP",
    "Baselines",
    "Spike",
    "baseline_end",
    "check_crisis",
    "crisis_key",
    "find_spike",
    "group_spikes",
    "should_tell",
]

log = logging.getLogger(__name__)

#: A spike whose window posts are at least this share of another's, with more, is the same
#: crisis: told once, in the other's notice ("NovaBrew Pod X2 broken" is about both).
SHARED = 0.8

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
    calm_since: datetime | None,
    rules: CrisisSettings,
    now: datetime,
) -> bool:
    """Pure: tell ``spike`` unless ``last`` (when the entity's last notice was written, and its
    count) is recent and the spike has not doubled since, and it is the same spike.

    ``calm_since`` is when this daemon's checks last began finding no spike about the entity:
    the first of an unbroken run of checks that found none, up to this one. A run that began
    after the notice and lasted a whole window means the spike told ended, and this is a new
    one: told at once, not at the next reminder. Without one (no check in between found it
    calm, however long ago the last ran; another daemon told it; this one has just started)
    a spike is taken to be the one told."""
    if last is None:
        return True
    at, count = last
    if now - at >= rules.remind_every or spike.negative >= 2 * count:
        return True
    return calm_since is not None and calm_since > at and now - calm_since >= rules.window


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


def group_spikes(
    spikes: Sequence[Spike], posts: Mapping[str, AbstractSet[int]]
) -> list[list[Spike]]:
    """Pure: ``spikes`` (in the settings' order) grouped by the window posts they share.

    ``posts`` holds each entity's window posts (ids). Taken from the most posts down (ties
    keep their order), a spike joins the first group whose first spike's posts hold at least
    :data:`SHARED` of its own; otherwise it starts a group. Each group's first spike has the
    most posts; groups come in the order of their first spikes in ``spikes``."""
    order = {s.entity_id: i for i, s in enumerate(spikes)}
    groups: list[list[Spike]] = []
    for spike in sorted(spikes, key=lambda s: -s.negative):
        mine = posts.get(spike.entity_id, frozenset())
        for group in groups:
            theirs = posts.get(group[0].entity_id, frozenset())
            if mine and len(mine & theirs) >= SHARED * len(mine):
                group.append(spike)
                break
        else:
            groups.append([spike])
    return sorted(groups, key=lambda g: order[g[0].entity_id])


def check_crisis(
    session: Session,
    settings: Settings,
    *,
    now: datetime,
    baselines: Baselines | None = None,
    calm: dict[str, datetime] | None = None,
) -> list[str]:
    """Enqueue a notice for each spike now, a group of spikes about the same posts once (see
    the module). Never commits.

    ``baselines`` keeps the baseline's count between checks; without it (tests, one-off
    calls) the baseline is counted every time. ``calm`` keeps, per entity, when the checks
    began finding no spike about it, so a spike that ended and began again is told as a new
    one (see :func:`should_tell`); it is updated here, and the caller keeps the update only
    once the notices are committed."""
    calm = {} if calm is None else calm
    rules = settings.crisis
    if not rules.enabled:
        return []
    found = _spikes(session, settings, now=now, baselines=baselines)
    spiking = {s.entity_id for spikes in found.values() for s in spikes}
    for entity in settings.entities:  # a calm run begins at the first check without a spike
        if entity.id not in spiking:
            calm.setdefault(entity.id, now)
    if not found:
        return []
    return _tell(session, settings, found, {e: calm.pop(e, None) for e in spiking}, now=now)


def _spikes(
    session: Session, settings: Settings, *, now: datetime, baselines: Baselines | None
) -> dict[str, list[Spike]]:
    """The entities with a spike now, by the channel their notice goes to."""
    rules = settings.crisis
    start = now - rules.window
    people_of = func.count(func.distinct(Post.author_id))
    by_entity = _by_entity(start, now, func.count(), people_of)
    window = {e: (n, people) for e, n, people in session.execute(by_entity)}
    if not any(people >= rules.min_people for _, people in window.values()):
        return {}
    end = baseline_end(start, window=rules.window)
    # how long replywatch has watched, of the baseline: since it stored its first post. Read
    # every time, not kept: one primary-key lookup, and it is part of the count's bounds.
    began = session.scalar(select(Post.fetched_at).order_by(Post.id).limit(1))
    since = max(began, end - rules.baseline) if began is not None else end
    before = _baseline(session, since, end, baselines)
    history = max(end - since, timedelta(0))
    by_channel: dict[str, list[Spike]] = {}
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
        if spike is not None:
            by_channel.setdefault(_channel(settings, entity), []).append(spike)
    return by_channel


def _tell(
    session: Session,
    settings: Settings,
    by_channel: Mapping[str, list[Spike]],
    calm_since: Mapping[str, datetime | None],
    *,
    now: datetime,
) -> list[str]:
    """Enqueue the notices due about the spikes found, a group of them about the same posts
    once; the keys written."""
    rules = settings.crisis
    start = now - rules.window
    # a notice older than the reminder tells nothing should_tell heeds: the reminder is due
    told = _told(session, since=now - rules.remind_every)
    shared = _window_posts(session, by_channel, start=start, now=now)
    keys: list[str] = []
    for channel, spikes in by_channel.items():
        for group in group_spikes(spikes, shared):
            tell = partial(should_tell, rules=rules, now=now)
            if not any(
                tell(s, told.get(s.entity_id), calm_since=calm_since[s.entity_id]) for s in group
            ):
                continue
            key = crisis_key(group[0].entity_id, _last_number(session, group[0].entity_id) + 1)
            posts = _negatives(start, now)
            payload = notice_payload(
                session, settings, group, shared, channel=channel, posts=posts, start=start
            )
            row = outbox.enqueue(
                session, key=key, kind=OutboxKind.NOTICE, target=channel, payload=payload, now=now
            )
            if row is not None:
                keys.append(key)
                spike = group[0]
                log.warning(
                    "negative spike about %s: %d posts from %d people in %s (usual %s)%s",
                    spike.entity_id,
                    spike.negative,
                    spike.people,
                    format_duration(rules.window),
                    "unknown" if spike.usual is None else f"{spike.usual:.1f}",
                    "".join(f", also about {s.entity_id}" for s in group[1:]),
                )
    return keys


def _channel(settings: Settings, entity: Entity) -> str:
    return (
        settings.alerts.pr_channel
        or settings.teams[entity.team or settings.default_team].slack_channel
    )


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


def _window_posts(
    session: Session, by_channel: Mapping[str, Sequence[Spike]], *, start: datetime, now: datetime
) -> dict[str, set[int]]:
    """The window's negative posts (ids) of each spiking entity that shares its channel with
    another: the only ones that can be grouped."""
    shared = [s.entity_id for spikes in by_channel.values() if len(spikes) > 1 for s in spikes]
    posts: dict[str, set[int]] = {e: set() for e in shared}
    if shared:
        query = (
            select(EntityMatch.entity_id, EntityMatch.post_id)
            .join(Post, EntityMatch.post_id == Post.id)
            .where(EntityMatch.entity_id.in_(shared), *_negatives(start, now))
        )
        for entity_id, post_id in session.execute(query):
            posts[entity_id].add(post_id)
    return posts


def _told(session: Session, *, since: datetime) -> dict[str, tuple[datetime, int]]:
    """When each entity was last named in a notice written after ``since``, under its own key
    or in another's group, and the count told about it."""
    rows = session.execute(
        select(Outbox.created_at, Outbox.payload)
        .where(Outbox.key.startswith("crisis:", autoescape=True), Outbox.created_at > since)
        .order_by(Outbox.id)
    )
    told: dict[str, tuple[datetime, int]] = {}
    for at, payload in rows:
        crisis = (payload.get("extra") or {}).get("crisis") or {}
        # a notice written before groups names one entity, its count under "negative"
        counts = crisis.get("told") or {crisis.get("entity"): crisis.get("negative", 0)}
        told.update({str(entity): (at, int(count)) for entity, count in counts.items()})
    return told


def _last_number(session: Session, entity_id: str) -> int:
    """The number of the last notice under the entity's key (0 for none)."""
    key = session.scalar(
        select(Outbox.key)
        .where(Outbox.key.startswith(f"crisis:{entity_id}:", autoescape=True))
        .order_by(Outbox.id.desc())
        .limit(1)
    )
    return 0 if key is None else int(key.rsplit(":", 1)[1])
