"""What replywatch tells people: alert payloads for cases, written to the outbox.

Payloads are plain JSON (title, fields, text, link, extra) so every sink renders them its own
way: the console as a rich panel, Slack as Block Kit. The post's text is carried as data, never
as markup; each sink escapes it for its medium. ``extra`` carries what the Slack sink turns
into buttons and context: ``actions`` (button names: the case's work while it is open, only
"Reopen" once it is closed), ``history`` (the author's earlier cases, so nobody asks a
customer to repeat themselves) and ``due`` (each clock's due time, in words).

A state change writes an ``alert_update`` row (key ``update:{case_id}:{event_id}``): the sender
re-renders the case as it is when sent, rewrites the Slack message and adds ``line`` to its
thread, pinging the member ids in ``mentions`` when there are any, with the text it quotes
(``quote``, and its link ``quote_url``) under it: what the brand answered, or the
acknowledgement sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from monitor import outbox
from monitor.cases import CLOSED
from monitor.clocks import ClockState, case_clocks
from monitor.models import Author, Case, OutboxKind, OutboxStatus, Post
from monitor.routing import public_reply_allowed
from monitor.settings import Settings

__all__ = [
    "CASE_ACTIONS",
    "CLOSED_ACTIONS",
    "alert_key",
    "author_histories",
    "author_history",
    "case_alert_payload",
    "clocks_for",
    "due_summary",
    "enqueue_case_alerts",
    "enqueue_case_update",
    "update_key",
]

#: Buttons on an open case's message; ``send_ack`` is added where approval mode is on.
CASE_ACTIONS = ("claim", "responded", "resolve", "not_complaint", "escalate")
#: Buttons on a resolved or dismissed case's message: a mis-click is one click from undone.
CLOSED_ACTIONS = ("reopen",)
_HISTORY_LIMIT = 5


def alert_key(case: Case) -> str:
    """Stable across retries and restarts: one alert per post, ever."""
    return f"alert:{case.post.platform}:{case.post.native_id}"


def update_key(case: Case, event_id: int) -> str:
    return f"update:{case.id}:{event_id}"


def clocks_for(case: Case, settings: Settings, *, now: datetime) -> dict[str, ClockState]:
    team = settings.teams[case.team]
    return {
        str(name): state
        for name, state in case_clocks(
            opened_at=case.opened_at,
            severity=case.severity,
            acknowledged_at=case.acknowledged_at,
            first_response_at=case.first_response_at,
            resolved_at=case.resolved_at,
            standards=settings.service_standards[team.standards],
            hours=team.business_hours,
            now=now,
        ).items()
    }


def due_summary(case: Case, settings: Settings, *, now: datetime) -> dict[str, str]:
    """Each clock in words, in the team's time zone: ``"due Mon 23 Nov 12:00 GMT"``."""
    zone = ZoneInfo(settings.teams[case.team].business_hours.timezone)
    summary = {}
    for name, state in clocks_for(case, settings, now=now).items():
        when = state.due_at.astimezone(zone).strftime("%a %d %b %H:%M %Z")
        if state.stopped_at is not None:
            text = f"met (due {when})" if state.met else f"missed (was due {when})"
        elif state.met is False:
            text = f"OVERDUE since {when}"
        else:
            text = f"due {when}"
        summary[name] = text
    return summary


def author_history(session: Session, case: Case) -> list[str]:
    """The author's earlier cases, newest first (see :func:`author_histories`)."""
    return author_histories(session, [case])[case.id]


def author_histories(session: Session, cases: Sequence[Case]) -> dict[int, list[str]]:
    """Each case's author's earlier cases, newest first, in one query for the batch: same
    author row, or the same handle on any platform (people tend to keep their handle; a false
    match costs a glance, a miss makes someone ask the customer to repeat themselves)."""
    if not cases:
        return {}
    author_ids = {c.post.author.id for c in cases}
    handles = {c.post.author.handle.lower() for c in cases}
    # Columns, not Case objects: only the history line's fields are needed, and building
    # (and joining in) a Case, Post and Author per earlier case cost more than the query.
    rows = session.execute(
        select(
            Case.id,
            Case.opened_at,
            Case.status,
            Case.owner,
            Post.platform,
            Post.text,
            Author.id,
            func.lower(Author.handle),
        )
        .join(Post, Case.post_id == Post.id)
        .join(Author, Post.author_id == Author.id)
        .where(
            Case.id < max(c.id for c in cases),
            or_(Author.id.in_(author_ids), func.lower(Author.handle).in_(handles)),
        )
        .order_by(Case.opened_at.desc(), Case.id.desc())
    ).all()
    by_author: dict[int, list[_Earlier]] = {}
    by_handle: dict[str, list[_Earlier]] = {}
    for case_id, opened_at, status, owner, platform, text, author_id, handle in rows:
        other = _Earlier(case_id, opened_at, str(status), owner, platform, text)  # newest first
        by_author.setdefault(author_id, []).append(other)
        by_handle.setdefault(handle, []).append(other)
    histories: dict[int, list[str]] = {}
    for case in cases:
        author = case.post.author
        candidates = {c.id: c for c in by_author.get(author.id, ())}
        candidates.update({c.id: c for c in by_handle.get(author.handle.lower(), ())})
        mine = sorted(
            (c for c in candidates.values() if c.id < case.id),
            key=lambda c: (c.opened_at, c.id),
            reverse=True,
        )
        histories[case.id] = [_history_line(other) for other in mine[:_HISTORY_LIMIT]]
    return histories


class _Earlier(NamedTuple):
    """What a history line shows of an earlier case."""

    id: int
    opened_at: datetime
    status: str
    owner: str | None
    platform: str
    text: str


def _history_line(other: _Earlier) -> str:
    text = " ".join(other.text.split())
    excerpt = text if len(text) <= 80 else text[:77] + "..."
    owner = f", {other.owner}" if other.owner else ""
    return (
        f"{other.opened_at:%Y-%m-%d} {other.platform} RW-{other.id} "
        f"({other.status}{owner}): {excerpt}"
    )


def _actions(case: Case, settings: Settings) -> list[str]:
    if case.status in CLOSED:
        return list(CLOSED_ACTIONS)
    actions = list(CASE_ACTIONS)
    mode = settings.acknowledgements.mode(case.post.platform)
    if mode == "approval" and public_reply_allowed(settings.entity(case.entity_id)):
        actions.append("send_ack")
    return actions


def case_alert_payload(
    case: Case, settings: Settings, *, history: Sequence[str] = (), now: datetime | None = None
) -> dict[str, Any]:
    post = case.post
    entity = settings.entity(case.entity_id)
    author = post.author
    reach = f" ({author.followers:,} followers)" if author.followers is not None else ""
    reasons = ", ".join(r.replace("_", " ") for r in (post.severity_reasons or []))
    severity = case.severity + (f": {reasons}" if reasons else "")
    due = due_summary(case, settings, now=now) if now is not None else {}
    fields = {
        "Entity": f"{entity.name} ({entity.kind})",
        "Platform": post.platform,
        "Author": f"@{author.handle}{reach}",
        "Language": post.language or "und",
        "Sentiment": f"{post.sentiment} (complaint {post.complaint:.0%})"
        if post.complaint is not None
        else str(post.sentiment),
        "Severity": severity,
        "Team": case.team,
        "Owner": case.owner or "unassigned",
        "Case": f"RW-{case.id}",
    }
    status = f"{str(case.status).capitalize()}, owner {case.owner or 'unassigned'}"
    return {
        "title": f"{case.severity.upper()} complaint about {entity.name} on {post.platform}",
        "channel": settings.teams[case.team].slack_channel,
        "case_id": case.id,
        "text": post.text,
        "url": post.url,
        "fields": fields,
        "extra": {
            "actions": _actions(case, settings),
            "history": list(history),
            "due": due,
            "status": status,
        },
    }


def enqueue_case_alerts(
    session: Session, cases: Sequence[Case], settings: Settings, *, now: datetime
) -> None:
    """The first alert of each newly opened (and flushed) case, written to the outbox."""
    histories = author_histories(session, cases)
    rows = []
    for case in cases:
        payload = case_alert_payload(case, settings, history=histories[case.id], now=now)
        rows.append(
            {
                "key": alert_key(case),
                "kind": OutboxKind.ALERT,
                "target": payload["channel"],
                "payload": payload,
                "case_id": case.id,
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "created_at": now,
                "due_at": now,
            }
        )
    outbox.enqueue_values(session, rows)


def enqueue_case_update(
    session: Session,
    case: Case,
    settings: Settings,
    *,
    line: str,
    now: datetime,
    mentions: Sequence[str] = (),
    quote: str = "",
    quote_url: str | None = None,
) -> None:
    """After a state change: rewrite the case's message and add ``line`` to its thread.

    ``mentions`` are Slack member ids the thread line pings (payload ``mentions``), such as
    the owner a claim took the case from. ``quote`` is what the line is about, shown under it
    as the post text is (cleaned, never markup; cut by each sink): the brand's answer, or the
    acknowledgement sent, so a lead can judge it without leaving Slack; ``quote_url`` links to
    it where the platform gave a link (payload ``quote`` and ``quote_url``; rows written
    before have neither, and show the line alone). Keyed by the newest event of the case, so
    one state change gives one update however often this is called for it.
    """
    session.flush()
    event_id = max((e.id for e in case.events if e.id is not None), default=0)
    payload: dict[str, Any] = {"line": line, "case_id": case.id}
    if mentions:
        payload["mentions"] = list(dict.fromkeys(mentions))
    if quote:
        payload["quote"] = quote
    if quote_url:
        payload["quote_url"] = quote_url
    outbox.enqueue(
        session,
        key=update_key(case, event_id),
        kind=OutboxKind.ALERT_UPDATE,
        target=settings.teams[case.team].slack_channel,
        payload=payload,
        case_id=case.id,
        now=now,
    )
