"""Open cases for complaints: routed to a team, assigned within it, alerted, and answered
where a brand reply was stored before them.

What the pipeline does for the complaints of each batch, and what ``/replywatch case`` does
for one the classifier missed. The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.acknowledge import Templates, plan_acknowledgement
from monitor.cases import Opening, cases_answered_by, open_cases, open_counts, record_response
from monitor.models import Case, Post
from monitor.notify import enqueue_case_alerts, enqueue_case_update
from monitor.routing import choose_owner, route
from monitor.settings import Entity, Settings
from monitor.store import lock_platforms

__all__ = [
    "Complaint",
    "answer_from_earlier_replies",
    "answered",
    "open_routed",
    "primary_entity",
    "settle_opened",
]

#: When a post names several watched entities, the case belongs to the most specific one.
_KIND_PRIORITY = {"staff": 0, "product": 1, "brand": 2}


def primary_entity(entities: Iterable[Entity]) -> Entity:
    """The entity a post about several belongs to: staff, then product, then brand."""
    return min(entities, key=lambda e: _KIND_PRIORITY[e.kind])


@dataclass(frozen=True)
class Complaint:
    """A stored post to open a case for, with what routing reads."""

    post: Post
    entity: Entity
    language: str
    severity: str
    #: Added to the case's "opened" event (who opened it by hand, say).
    detail: Mapping[str, str] = field(default_factory=dict)


def open_routed(
    session: Session, settings: Settings, complaints: Sequence[Complaint], *, now: datetime
) -> list[Case]:
    """Open, route, assign and alert a case per complaint, in bulk: one load query per
    team, one executemany of cases and one of their events (see
    :func:`~monitor.cases.open_cases`), one history query and one key check.

    Takes the platforms' store lock (:func:`~monitor.store.lock_platforms`; the pipeline
    holds it already) before the cases go in, so a brand reply being stored meanwhile either
    finds the case or is found by :func:`answer_from_earlier_replies`."""
    lock_platforms(session, [c.post.platform for c in complaints])
    loads: dict[str, dict[str, int]] = {}
    openings: list[Opening] = []
    for c in complaints:
        decision = route(
            settings,
            entity=c.entity,
            platform=c.post.platform,
            language=c.language,
            severity=c.severity,
            text=c.post.text,
        )
        if decision.team not in loads:
            loads[decision.team] = open_counts(session, decision.team)
        load = loads[decision.team]
        assignment = choose_owner(settings.teams[decision.team], open_cases=load, now=now)
        if assignment.owner is not None:
            load[assignment.owner] = load.get(assignment.owner, 0) + 1
        detail = {**c.detail, "route": decision.reason, "assignment": assignment.reason}
        if assignment.until is not None:
            detail["unassigned_until"] = assignment.until.isoformat()
        openings.append(
            Opening(c.post, c.entity.id, decision.team, c.severity, assignment.owner, detail)
        )
    cases = open_cases(session, openings, now=now)
    if cases:
        enqueue_case_alerts(session, cases, settings, now=now)
    return cases


def answer_from_earlier_replies(
    session: Session, settings: Settings, posts: Sequence[tuple[str, str]], *, now: datetime
) -> None:
    """Stop the clocks of the cases of ``posts`` ((platform, native id) pairs) that a brand
    reply stored before them answers: a reply fetched by another source or in an earlier
    batch, or before a person opened the case by hand."""
    for platform in {p for p, _ in posts}:
        ids = [n for p, n in posts if p == platform]
        replies = session.scalars(
            select(Post).where(
                Post.platform == platform,
                Post.is_brand_response.is_(True),
                Post.in_reply_to.in_(ids),
            )
        ).all()
        if not replies:
            continue
        cases = cases_answered_by(
            session, platform, [r.in_reply_to for r in replies if r.in_reply_to]
        )
        for reply in sorted(replies, key=lambda r: r.created_at):
            case = cases.get(reply.in_reply_to or "")
            if case is not None and case.first_response_at is None:
                answered(
                    session,
                    settings,
                    case,
                    at=reply.created_at,
                    handle=reply.author.handle,
                    via=f"{platform}:{reply.native_id}",
                    now=now,
                )


def settle_opened(
    session: Session,
    settings: Settings,
    cases: Sequence[Case],
    templates: Templates | None,
    *,
    now: datetime,
) -> None:
    """What follows opening, however a case was opened (a new post, an edit that made its post
    a complaint, a person's ``/replywatch case``): a brand reply stored before the case stops
    its clocks, then, with ``templates`` (acknowledgements on), the public acknowledgement is
    planned, which a case already answered does not get."""
    answer_from_earlier_replies(
        session, settings, [(c.post.platform, c.post.native_id) for c in cases], now=now
    )
    if templates is not None:
        for case in cases:
            plan_acknowledgement(session, case, settings, templates, now=now)


def answered(
    session: Session,
    settings: Settings,
    case: Case,
    *,
    at: datetime,
    handle: str,
    via: str,
    now: datetime,
) -> None:
    """A brand account answered ``case``: stop its response clocks and say so in Slack, with
    what it said (the stored reply ``via`` names, ``platform:native_id``) and its link, so
    the thread shows whether the answer was a good one."""
    if record_response(session, case, at=at, actor=f"@{handle}", now=now, via=via):
        reply = _stored_reply(session, via)
        enqueue_case_update(
            session,
            case,
            settings,
            line=f"Answered by @{handle}",
            now=now,
            quote=reply.text if reply is not None else "",
            quote_url=reply.url if reply is not None else None,
        )


def _stored_reply(session: Session, via: str) -> Post | None:
    """The brand's reply ``via`` (``platform:native_id``) names: the pipeline stores a batch's
    replies before it applies them, and an earlier reply was stored in its own batch."""
    platform, _, native_id = via.partition(":")
    return session.scalar(
        select(Post).where(Post.platform == platform, Post.native_id == native_id)
    )
