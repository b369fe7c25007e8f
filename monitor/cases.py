"""Cases: a complaint someone must answer, its state changes and its audit trail.

Functions take a session and ``now`` and never commit. Every state change adds a
:class:`~monitor.models.CaseEvent` naming who made it, so the trail answers "who did what when".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session, lazyload

from monitor.db import in_chunks
from monitor.models import Case, CaseEvent, CaseStatus, Label, Post

__all__ = [
    "CLOSED",
    "OPEN",
    "SYSTEM",
    "Opening",
    "acknowledge",
    "add_event",
    "assign",
    "cases_answered_by",
    "claim",
    "dismiss",
    "keep_label",
    "open_case",
    "open_cases",
    "open_counts",
    "record_response",
    "reopen",
    "resolve",
]

#: States in which a case still needs someone (its clocks may run).
OPEN: tuple[str, ...] = (CaseStatus.OPEN, CaseStatus.ACKNOWLEDGED, CaseStatus.RESPONDED)
#: States in which a case is finished.
CLOSED: tuple[str, ...] = (CaseStatus.RESOLVED, CaseStatus.DISMISSED)

#: The actor recorded for changes replywatch makes itself.
SYSTEM = "replywatch"


def add_event(
    session: Session,
    case: Case,
    kind: str,
    *,
    actor: str,
    now: datetime,
    detail: Mapping[str, Any] | None = None,
) -> CaseEvent:
    event = CaseEvent(case=case, at=now, kind=kind, actor=actor, detail=dict(detail or {}))
    session.add(event)
    return event


def open_case(
    session: Session,
    post: Post,
    *,
    entity_id: str,
    team: str,
    severity: str,
    now: datetime,
    owner: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> Case:
    """Open a case for ``post`` (one per post: the unique key on ``post_id`` guards it).

    ``detail`` adds to the "opened" event: how it was routed and why it has its owner (or,
    unassigned, until when).
    """
    opening = Opening(post, entity_id, team, severity, owner, dict(detail or {}))
    case = _new_case(opening, now=now)
    session.add(case)
    add_event(session, case, "opened", actor=SYSTEM, now=now, detail=_opened_detail(opening))
    return case


@dataclass(frozen=True)
class Opening:
    """One case to open: what :func:`open_case` takes, for :func:`open_cases`."""

    post: Post
    entity_id: str
    team: str
    severity: str
    owner: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


def open_cases(session: Session, openings: Sequence[Opening], *, now: datetime) -> list[Case]:
    """Open a case per opening, as :func:`open_case` does, in bulk; returns them in order.

    SQLite gets no batched RETURNING, so the ORM would send one INSERT per case and per event.
    Here the cases go in as one executemany and come back in one SELECT (their posts are in the
    session already), then the "opened" events go in as one executemany. Each case's ``events``
    stays unloaded and reads them from the database when first used.
    """
    if not openings:
        return []
    session.execute(insert(Case), [_case_values(opening, now=now) for opening in openings])
    post_ids = [opening.post.id for opening in openings]
    by_post: dict[int, Case] = {}
    for chunk in in_chunks(post_ids):
        by_post.update(
            (c.post_id, c)
            for c in session.scalars(
                # The posts are in the session: no need to join them in again.
                select(Case).where(Case.post_id.in_(chunk)).options(lazyload(Case.post))
            )
        )
    cases = [by_post[post_id] for post_id in post_ids]
    session.execute(
        insert(CaseEvent),
        [
            {
                "case_id": case.id,
                "at": now,
                "kind": "opened",
                "actor": SYSTEM,
                "detail": _opened_detail(opening),
            }
            for case, opening in zip(cases, openings, strict=True)
        ],
    )
    return cases


def _case_values(opening: Opening, *, now: datetime) -> dict[str, Any]:
    return {
        "post_id": opening.post.id,
        "entity_id": opening.entity_id,
        "team": opening.team,
        "owner": opening.owner,
        "severity": opening.severity,
        "status": CaseStatus.OPEN,
        # The clocks start when the customer spoke, not when a poll happened to see it.
        "opened_at": min(opening.post.created_at, now),
        "updated_at": now,
    }


def _new_case(opening: Opening, *, now: datetime) -> Case:
    values = _case_values(opening, now=now)
    del values["post_id"]  # the post may be pending: the relationship fills it in at flush
    return Case(post=opening.post, **values)


def _opened_detail(opening: Opening) -> dict[str, Any]:
    return {
        "entity": opening.entity_id,
        "team": opening.team,
        "severity": opening.severity,
        "owner": opening.owner,
        **opening.detail,
    }


def record_response(
    session: Session, case: Case, *, at: datetime, actor: str, now: datetime, via: str
) -> bool:
    """A brand account answered (or someone marked it answered): stop the response clocks.

    Returns ``False`` when the case already had its first response (later replies are
    recorded in the trail but change nothing).
    """
    # the trail is written as it is read (``now``); an answer read later than it was posted
    # (a backlog, a daemon down for a day) says when it was posted, which the clocks count
    detail: dict[str, Any] = {"via": via}
    if abs((now - at).total_seconds()) >= 60:
        detail["posted_at"] = f"{at.astimezone(UTC):%Y-%m-%dT%H:%M}Z"
    if case.first_response_at is not None:
        add_event(session, case, "responded_again", actor=actor, now=now, detail=detail)
        return False
    case.first_response_at = at
    if case.acknowledged_at is None:
        case.acknowledged_at = at
    if case.status in (CaseStatus.OPEN, CaseStatus.ACKNOWLEDGED):
        case.status = CaseStatus.RESPONDED
    case.updated_at = now
    add_event(session, case, "responded", actor=actor, now=now, detail=detail)
    return True


def cases_answered_by(session: Session, platform: str, native_ids: list[str]) -> dict[str, Case]:
    """Open cases whose post is one of ``native_ids`` on ``platform``, by native id."""
    if not native_ids:
        return {}
    rows = session.scalars(
        select(Case)
        .join(Case.post)
        .where(Post.platform == platform, Post.native_id.in_(native_ids))
    )
    return {case.post.native_id: case for case in rows}


def open_counts(session: Session, team: str) -> dict[str, int]:
    """Open cases per owner in ``team`` (the load that assignment balances)."""
    rows = session.execute(
        select(Case.owner, func.count())
        .where(Case.team == team, Case.status.in_(OPEN), Case.owner.is_not(None))
        .group_by(Case.owner)
    )
    return {str(owner): int(n) for owner, n in rows}


def assign(
    session: Session,
    case: Case,
    owner: str | None,
    *,
    actor: str,
    now: datetime,
    reason: str,
    until: datetime | None = None,
) -> bool:
    """Give ``case`` to ``owner`` (``None``: unassigned until ``until``). ``False``: no change."""
    if owner is not None and case.owner == owner:
        return False
    case.owner = owner
    case.updated_at = now
    detail: dict[str, Any] = {"owner": owner, "reason": reason}
    if until is not None:
        detail["until"] = until.isoformat()
    add_event(
        session, case, "assigned" if owner else "unassigned", actor=actor, now=now, detail=detail
    )
    return True


def acknowledge(session: Session, case: Case, *, actor: str, now: datetime, via: str) -> bool:
    """Stop the acknowledgement clock (a claim, or a public acknowledgement that went out)."""
    if case.acknowledged_at is not None:
        return False
    case.acknowledged_at = now
    if case.status == CaseStatus.OPEN:
        case.status = CaseStatus.ACKNOWLEDGED
    case.updated_at = now
    add_event(session, case, "acknowledged", actor=actor, now=now, detail={"via": via})
    return True


def claim(session: Session, case: Case, *, owner: str, actor: str, now: datetime) -> bool:
    """``owner`` takes the case; it counts as acknowledged. A repeated claim changes nothing."""
    if case.status in CLOSED:
        return False
    if case.owner == owner and case.acknowledged_at is not None:
        return False
    previous = case.owner
    case.owner = owner
    if case.acknowledged_at is None:
        case.acknowledged_at = now
    if case.status == CaseStatus.OPEN:
        case.status = CaseStatus.ACKNOWLEDGED
    case.updated_at = now
    add_event(
        session, case, "claimed", actor=actor, now=now, detail={"owner": owner, "from": previous}
    )
    return True


def resolve(session: Session, case: Case, *, actor: str, now: datetime) -> bool:
    """Close the case as handled; stops the resolution clock. ``False`` if already closed."""
    if case.status in CLOSED:
        return False
    case.status = CaseStatus.RESOLVED
    case.resolved_at = now
    case.updated_at = now
    add_event(session, case, "resolved", actor=actor, now=now)
    return True


def keep_label(session: Session, post: Post, label: str, *, actor: str, now: datetime) -> None:
    """A person's complaint verdict on ``post`` (``complaint`` or ``not_complaint``), kept as
    training data for ``replywatch classifier train``.

    The newest verdict on a post replaces the earlier ones: ``classifier train`` reads every
    label row, so a "Not a complaint" undone by "Reopen" (or a missed complaint opened, then
    dismissed) would otherwise teach it both answers for one text. Who said what, and when,
    stays in the case's events.
    """
    session.execute(delete(Label).where(Label.post_id == post.id, Label.task == "complaint"))
    session.add(
        Label(
            post_id=post.id,
            text=post.text,
            language=post.language,
            task="complaint",
            label=label,
            actor=actor,
            created_at=now,
        )
    )


def dismiss(session: Session, case: Case, *, actor: str, now: datetime) -> bool:
    """ "Not a complaint": close the case and keep the verdict as a classifier label.

    The label row (task ``complaint``, label ``not_complaint``) is what a later retraining reads.
    ``False`` (and no second label) when the case was already dismissed.
    """
    if case.status == CaseStatus.DISMISSED:
        return False
    case.status = CaseStatus.DISMISSED
    if case.resolved_at is None:
        case.resolved_at = now
    case.updated_at = now
    keep_label(session, case.post, "not_complaint", actor=actor, now=now)
    add_event(session, case, "dismissed", actor=actor, now=now, detail={"label": "not_complaint"})
    return True


def reopen(session: Session, case: Case, *, actor: str, now: datetime) -> bool:
    """Undo a resolution or a dismissal (a mis-click, or the customer came back).

    The case goes back to the state its clocks say (open, acknowledged or responded), and
    each clock that had not stopped before it closed runs again from when it started: the
    customer has waited all along. Undoing a dismissal also undoes its label: the post is
    kept as a ``complaint`` label instead (:func:`keep_label`), so retraining does not learn
    the mis-click. ``False`` when the case is not closed.
    """
    if case.status not in CLOSED:
        return False
    was = str(case.status)
    if case.first_response_at is not None:
        case.status = CaseStatus.RESPONDED
    elif case.acknowledged_at is not None:
        case.status = CaseStatus.ACKNOWLEDGED
    else:
        case.status = CaseStatus.OPEN
    case.resolved_at = None
    case.updated_at = now
    detail: dict[str, Any] = {"from": was}
    if was == CaseStatus.DISMISSED:
        keep_label(session, case.post, "complaint", actor=actor, now=now)
        detail["label"] = "complaint"
    add_event(session, case, "reopened", actor=actor, now=now, detail=detail)
    return True
