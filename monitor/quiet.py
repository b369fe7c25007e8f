"""Quiet accounts: a brand account that says nothing while complaints wait.

An account is *quiet* when its team has complaints on its platform still waiting for a first
response, and since that wait began (its last reply, or the oldest waiting complaint if that
came later) either a waiting complaint has fallen due under its first-response standard, or
``quiet.no_reply_for`` has passed. A complaint already overdue when the account last replied
does not make the account quiet again at once (its breach went to the lead): else every reply
during a busy hour would open a new period and a new notice. Templated acknowledgements do not
count as replies (the pipeline never moves ``last_reply_at`` for them).

The quiet period starts at that later moment; the notice's key is
``quiet:{platform}:{handle}:{period start}``, so each period is reported once and a new period
begins only after the account replies or the oldest waiting complaint stops waiting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor import outbox
from monitor.models import BrandAccount, Case, CaseStatus, OutboxKind, Post
from monitor.notify import clocks_for
from monitor.settings import Settings

__all__ = ["QuietFinding", "check_quiet", "quiet_finding", "quiet_key"]

log = logging.getLogger(__name__)

#: Cases still waiting for a first response.
_WAITING = (CaseStatus.OPEN, CaseStatus.ACKNOWLEDGED)


@dataclass(frozen=True, slots=True)
class QuietFinding:
    platform: str
    handle: str
    team: str | None
    period_start: datetime
    waiting: int
    oldest_case_id: int
    reasons: tuple[str, ...]


def quiet_key(platform: str, handle: str, period_start: datetime) -> str:
    return f"quiet:{platform}:{handle}:{period_start.strftime('%Y%m%dT%H%M%SZ')}"


def quiet_finding(
    *,
    platform: str,
    handle: str,
    team: str | None,
    last_reply_at: datetime | None,
    waiting: list[tuple[int, datetime, datetime]],
    no_reply_for: timedelta,
    now: datetime,
) -> QuietFinding | None:
    """Pure: ``waiting`` lists ``(case_id, opened_at, first_response_due)`` of waiting cases."""
    if not waiting:
        return None
    case_id, oldest_opened, _ = min(waiting, key=lambda w: (w[1], w[0]))
    start = max(last_reply_at, oldest_opened) if last_reply_at is not None else oldest_opened
    reasons = []
    overdue = [w for w in waiting if now >= w[2]]
    if any(w[2] > start for w in overdue):  # one fell due while the account said nothing
        reasons.append(f"{len(overdue)} complaint(s) waiting past the first-response standard")
    if now - start >= no_reply_for:
        reasons.append(f"no reply for {_words(now - start)} while complaints wait")
    if not reasons:
        return None
    return QuietFinding(platform, handle, team, start, len(waiting), case_id, tuple(reasons))


def _words(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def check_quiet(session: Session, settings: Settings, *, now: datetime) -> list[str]:
    """Enqueue a notice for each account that went quiet (once per period). Never commits."""
    keys: list[str] = []
    # the rows outlive the config (an account's last reply is history), so an account the
    # team retired is still here: only those configured now can go quiet
    configured = settings.brand_handles
    rows = session.scalars(select(BrandAccount).order_by(BrandAccount.id)).all()
    for account in (a for a in rows if (a.platform, a.handle) in configured):
        query = (
            select(Case)
            .join(Post, Case.post_id == Post.id)
            .where(
                Post.platform == account.platform,
                Case.status.in_(_WAITING),
                # a team since removed from the config has no clocks (check_clocks skips it too)
                Case.team.in_(list(settings.teams)),
            )
        )
        if account.team is not None:
            query = query.where(Case.team == account.team)
        cases = session.scalars(query).all()
        waiting = [
            (c.id, c.opened_at, clocks_for(c, settings, now=now)["first_response"].due_at)
            for c in cases
            if c.first_response_at is None
        ]
        finding = quiet_finding(
            platform=account.platform,
            handle=account.handle,
            team=account.team,
            last_reply_at=account.last_reply_at,
            waiting=waiting,
            no_reply_for=settings.quiet.no_reply_for,
            now=now,
        )
        if finding is None:
            continue
        team_name = account.team or next(
            (c.team for c in cases if c.id == finding.oldest_case_id), settings.default_team
        )
        team = settings.teams[team_name]
        key = quiet_key(account.platform, account.handle, finding.period_start)
        last = account.last_reply_at.isoformat() if account.last_reply_at else "never"
        row = outbox.enqueue(
            session,
            key=key,
            kind=OutboxKind.NOTICE,
            target=team.slack_channel,
            payload={
                "title": f"Quiet account: @{account.handle} on {account.platform}",
                "text": "; ".join(finding.reasons),
                "team": team_name,
                "fields": {
                    "Account": f"@{account.handle} ({account.platform})",
                    "Waiting complaints": str(finding.waiting),
                    "Oldest": f"RW-{finding.oldest_case_id}",
                    "Last reply": last,
                    "Quiet since": finding.period_start.isoformat(),
                },
                "extra": {"quiet": {"period_start": finding.period_start.isoformat()}},
            },
            now=now,
        )
        if row is not None:
            keys.append(key)
            log.info("quiet account @%s on %s: %s", account.handle, account.platform, finding)
    return keys
