"""Cases: a complaint someone must answer, its state changes and its audit trail.

Functions take a session and ``now`` and never commit. Every state change adds a
:class:`~monitor.models.CaseEvent` naming who made it, so the trail answers "who did what when".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.models import Case, CaseEvent, CaseStatus, Post

__all__ = ["SYSTEM", "add_event", "cases_answered_by", "open_case", "record_response"]

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
    session: Session, post: Post, *, entity_id: str, team: str, severity: str, now: datetime
) -> Case:
    """Open a case for ``post`` (one per post: the unique key on ``post_id`` guards it)."""
    case = Case(
        post=post,
        entity_id=entity_id,
        team=team,
        severity=severity,
        status=CaseStatus.OPEN,
        opened_at=now,
        updated_at=now,
    )
    session.add(case)
    add_event(
        session,
        case,
        "opened",
        actor=SYSTEM,
        now=now,
        detail={"entity": entity_id, "team": team, "severity": severity},
    )
    return case


def record_response(
    session: Session, case: Case, *, at: datetime, actor: str, now: datetime, via: str
) -> bool:
    """A brand account answered (or someone marked it answered): stop the response clocks.

    Returns ``False`` when the case already had its first response (later replies are
    recorded in the trail but change nothing).
    """
    if case.first_response_at is not None:
        add_event(session, case, "responded_again", actor=actor, now=now, detail={"via": via})
        return False
    case.first_response_at = at
    if case.acknowledged_at is None:
        case.acknowledged_at = at
    if case.status in (CaseStatus.OPEN, CaseStatus.ACKNOWLEDGED):
        case.status = CaseStatus.RESPONDED
    case.updated_at = now
    add_event(session, case, "responded", actor=actor, now=now, detail={"via": via})
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
