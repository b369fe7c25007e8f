"""Escalation: warn the owner before a clock falls due, tell the lead when it breaches.

:func:`escalations_for` is pure: one case's clocks, its team and ``now`` in, the escalations
that should exist by ``now`` out. :func:`check_clocks` (run every minute by the daemon) writes
them to the outbox under keys that make each fire once however often it runs, however many
daemons run it, and across restarts:

    warn:{case_id}:{clock}        to the team channel, naming the owner, ``warn_before`` ahead
    breach:{case_id}:{clock}      to the team channel, naming the lead and the owner
    breach:{case_id}:{clock}:pr   also to ``alerts.pr_channel`` for critical cases

A warning whose moment passed while the daemon was down is not sent late if the clock has
already breached: the breach says more. The same run assigns cases that were left unassigned
out of hours, once their team's business hours begin.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor import outbox
from monitor.cases import OPEN, SYSTEM, add_event, assign, open_counts
from monitor.clocks import ClockState, is_open
from monitor.models import Case, Outbox, OutboxKind, OutboxStatus
from monitor.notify import clocks_for, enqueue_case_update
from monitor.routing import choose_owner
from monitor.settings import Member, Settings, Team

__all__ = [
    "CheckReport",
    "Escalation",
    "assign_waiting",
    "check_clocks",
    "escalations_for",
    "rearm",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Escalation:
    key: str
    #: ``warn`` or ``breach``.
    kind: str
    clock: str
    target: str
    title: str
    text: str
    #: Slack ids of whom the notice pings (the lead at a breach, the owner before one).
    mentions: tuple[str, ...] = ()


def _ids(member: Member | None) -> tuple[str, ...]:
    return (member.slack_id,) if member is not None and member.slack_id else ()


def escalations_for(
    *,
    case_id: int,
    severity: str,
    owner: str | None,
    clocks: dict[str, ClockState],
    team: Team,
    warn_before: timedelta,
    pr_channel: str | None,
    now: datetime,
) -> list[Escalation]:
    """Every warning and breach notice that should exist for this case by ``now``."""
    owner_member = next((m for m in team.members if m.name == owner), None)
    owner_ref = owner_member.name if owner_member else (owner or "nobody (unassigned)")
    lead_ref = team.lead.name if team.lead else "the team lead"
    zone = ZoneInfo(team.business_hours.timezone)
    found: list[Escalation] = []
    for name, state in clocks.items():
        if not state.running:
            continue
        words = name.replace("_", " ")
        due = state.due_at.astimezone(zone).strftime("%a %H:%M %Z")
        if now >= state.due_at:
            title = f"BREACH: RW-{case_id} {words} overdue (was due {due})"
            text = (
                f"{lead_ref}: RW-{case_id} ({severity}) missed its {words} standard. "
                f"Owner: {owner_ref}."
            )
            ping = _ids(team.lead)
            key = f"breach:{case_id}:{name}"
            found.append(Escalation(key, "breach", name, "", title, text, ping))
            if severity == "critical" and pr_channel:
                found.append(Escalation(f"{key}:pr", "breach", name, pr_channel, title, text, ping))
        elif now >= state.warn_at(warn_before):
            title = f"Due soon: RW-{case_id} {words} due {due}"
            text = f"{owner_ref}: RW-{case_id} ({severity}) needs its {words} by {due}."
            found.append(
                Escalation(
                    f"warn:{case_id}:{name}", "warn", name, "", title, text, _ids(owner_member)
                )
            )
    return found


@dataclass
class CheckReport:
    warned: int = 0
    breached: int = 0
    assigned: int = 0
    keys: list[str] = field(default_factory=list)


def check_clocks(session: Session, settings: Settings, *, now: datetime) -> CheckReport:
    """Enqueue the warnings and breaches now due for every open case. Never commits."""
    report = CheckReport()
    report.assigned = assign_waiting(session, settings, now=now)
    for case in session.scalars(select(Case).where(Case.status.in_(OPEN)).order_by(Case.id)):
        team = settings.teams.get(case.team)
        if team is None:
            continue
        standards = settings.service_standards[team.standards]
        found = escalations_for(
            case_id=case.id,
            severity=case.severity,
            owner=case.owner,
            clocks=clocks_for(case, settings, now=now),
            team=team,
            warn_before=standards.warn_before,
            pr_channel=settings.alerts.pr_channel,
            now=now,
        )
        for item in found:
            row = outbox.enqueue(
                session,
                key=item.key,
                kind=OutboxKind.ESCALATION,
                target=item.target or team.slack_channel,
                payload={
                    "title": item.title,
                    "text": item.text,
                    "url": case.post.url,
                    "case_id": case.id,
                    "fields": {"Case": f"RW-{case.id}", "Clock": item.clock, "Team": case.team},
                    "extra": {"mentions": list(item.mentions)},
                },
                case_id=case.id,
                now=now,
            )
            if row is None:
                continue  # fired before
            report.keys.append(item.key)
            if item.kind == "warn":
                report.warned += 1
                add_event(
                    session, case, "warned", actor=SYSTEM, now=now, detail={"clock": item.clock}
                )
            elif not item.key.endswith(":pr"):
                report.breached += 1
                add_event(
                    session, case, "breached", actor=SYSTEM, now=now, detail={"clock": item.clock}
                )
                words = item.clock.replace("_", " ")
                enqueue_case_update(
                    session, case, settings, line=f"{words.capitalize()} overdue", now=now
                )
    if report.keys:
        log.info("clocks: %d warning(s), %d breach(es)", report.warned, report.breached)
    return report


def assign_waiting(session: Session, settings: Settings, *, now: datetime) -> int:
    """Give unassigned open cases an owner once their team is at work. Never commits."""
    assigned = 0
    waiting = session.scalars(
        select(Case).where(Case.status.in_(OPEN), Case.owner.is_(None)).order_by(Case.id)
    ).all()
    for case in waiting:
        team = settings.teams.get(case.team)
        if team is None or not team.members or not is_open(team.business_hours, now):
            continue
        choice = choose_owner(team, open_cases=open_counts(session, case.team), now=now)
        if choice.owner is None:
            continue
        assign(session, case, choice.owner, actor=SYSTEM, now=now, reason="opening")
        session.flush()
        enqueue_case_update(session, case, settings, line=f"Assigned to {choice.owner}", now=now)
        assigned += 1
    return assigned


def rearm(session: Session, case_id: int, *, now: datetime) -> list[str]:
    """Put back in line the warnings and breaches a case skipped while it was closed (marked
    sent as ``{"skipped": "the case is resolved"}`` by the sender), once it is reopened: their
    keys are taken, so the check would never write them again, and a lead would not hear of a
    clock that ran out while the case was shut by mistake. Each is checked again when sent:
    one whose clock has stopped since is skipped again. Returns the keys put back."""
    rows = session.scalars(
        select(Outbox).where(
            Outbox.case_id == case_id,
            Outbox.kind == OutboxKind.ESCALATION,
            Outbox.status == OutboxStatus.SENT,
        )
    )
    keys = []
    for row in rows:
        skipped = (row.result or {}).get("skipped")
        if isinstance(skipped, str) and skipped.startswith("the case is "):
            row.status, row.due_at, row.result = OutboxStatus.PENDING, now, None
            keys.append(row.key)
    return keys
