"""The crisis notice a PR lead reads: a spike's figures, its loudest voices (one post each,
the first quoted), its platforms, languages and severity reasons, the entities grouped with it,
and who to ping. :mod:`monitor.crisis` decides when to tell; this module says what."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from monitor.escalation import channel_lead
from monitor.models import Author, EntityMatch, Post
from monitor.settings import Settings
from monitor.settings_types import format_duration

if TYPE_CHECKING:
    from monitor.crisis import Spike

__all__ = ["EXAMPLES", "EXCERPT_CHARS", "excerpt", "notice_payload"]

#: Posts named in a notice, the most-followed authors first, one post each.
EXAMPLES = 3

#: How much of the first example's post a notice quotes, cut on a word.
EXCERPT_CHARS = 200


def notice_payload(
    session: Session,
    settings: Settings,
    group: Sequence[Spike],
    shared: Mapping[str, AbstractSet[int]],
    *,
    channel: str,
    posts: tuple[ColumnElement[bool], ...],
    start: datetime,
) -> dict[str, object]:
    """The notice about ``group``: its first spike's figures and voices, the others named.
    ``posts`` selects the window's negative posts; ``shared`` holds each entity's (by id)."""
    spike, others = group[0], group[1:]
    rows = session.execute(
        select(
            Post.author_id,
            Author.handle,
            Author.followers,
            Post.platform,
            Post.url,
            Post.text,
            Post.language,
            Post.severity_reasons,
        )
        .join(Post, Post.author_id == Author.id)
        .join(EntityMatch, EntityMatch.post_id == Post.id)
        .where(EntityMatch.entity_id == spike.entity_id, *posts)
        .order_by(Author.followers.desc().nulls_last(), Post.created_at.desc(), Post.id)
    ).all()
    voices: dict[int, Any] = {}  # the most-followed authors, one post each
    for row in rows:
        if len(voices) == EXAMPLES:
            break
        voices.setdefault(row.author_id, row)
    lines = [
        f"@{v.handle} ({_reach(v.followers)}{v.platform}) {v.url or ''}".rstrip()
        for v in voices.values()
    ]
    if voices:
        first = next(iter(voices.values()))
        if quote := excerpt(first.text):
            lines.insert(1, f"  “{quote}”")
    reasons = Counter(str(r).replace("_", " ") for p in rows for r in p.severity_reasons or ())
    window = format_duration(settings.crisis.window)
    usual = "no history yet" if spike.usual is None else f"{spike.usual:.1f}"
    fields = {
        "Entity": settings.entity(spike.entity_id).name,
        f"Negative posts, last {window}": str(spike.negative),
        "People": str(spike.people),
        f"Usual for {window}": usual,
        "Platforms": _tally(Counter(p.platform for p in rows)),
        "Languages": _tally(Counter(p.language or "und" for p in rows)),
        "Severity reasons": _tally(reasons, top=4) or "none given",
    }
    mine = shared.get(spike.entity_id, frozenset())
    if others:
        fields["Also about"] = "\n".join(
            _also(settings.entity(s.entity_id).name, s, mine, shared) for s in others
        )
    return {
        "title": f"Negative spike about {fields['Entity']}: {spike.negative} posts in {window}",
        "text": "\n".join(lines),
        "fields": fields,
        "extra": {
            "crisis": {
                "entity": spike.entity_id,
                "negative": spike.negative,
                "people": spike.people,
                "usual": None if spike.usual is None else round(spike.usual, 2),
                "since": start.isoformat(),
                # each entity this notice tells of, and its count: what its next is weighed by
                "told": {s.entity_id: s.negative for s in group},
            },
            "mentions": _leads(settings, channel, group),
        },
    }


def _also(
    name: str, spike: Spike, mine: AbstractSet[int], shared: Mapping[str, AbstractSet[int]]
) -> str:
    """``Pod X2: 9 of these posts (10 in all)``: a grouped entity and what it shares."""
    common = len(mine & shared.get(spike.entity_id, frozenset()))
    rest = "" if common == spike.negative else f" ({spike.negative} in all)"
    return f"{name}: {common} of these posts{rest}"


def _leads(settings: Settings, channel: str, group: Sequence[Spike]) -> list[str]:
    """Slack ids to ping: the lead of the team whose channel the notice goes to (the one a
    critical breach's #pr copy pings too), else the leads of the teams owning the group's
    entities (see the module)."""
    lead = channel_lead(settings, channel)
    if lead is not None and lead.slack_id:
        return [lead.slack_id]
    ids: list[str] = []
    for spike in group:
        entity = settings.entity(spike.entity_id)
        lead = settings.teams[entity.team or settings.default_team].lead
        if lead is not None and lead.slack_id:
            ids.append(lead.slack_id)
    return list(dict.fromkeys(ids))


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """Pure: ``text`` on one line, cut to at most ``limit`` characters on a word, with "…"."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


def _tally(counts: Counter[str], *, top: int = 5) -> str:
    """``x 5, reddit 2``: the largest first (ties by name), past ``top`` summed as others."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = [f"{name} {n}" for name, n in ranked[:top]]
    rest = sum(n for _, n in ranked[top:])
    return ", ".join(shown + ([f"others {rest}"] if rest else []))


def _reach(followers: int | None) -> str:
    return "" if followers is None else f"{followers} followers, "  # Reddit gives no count
