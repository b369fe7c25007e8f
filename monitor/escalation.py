"""Escalation: warn the owner before a clock falls due, tell the lead when it breaches.

:func:`escalations_for` is pure: one case's clocks, its team and ``now`` in, the messages
that should exist by ``now`` out. :func:`check_clocks` (run every minute by the daemon) writes
them to the outbox under keys that make each fire once however often it runs, however many
daemons run it, and across restarts, one key per clock and copy:

    warn:{case_id}:{clock}        to the team channel, naming the owner, ``warn_before`` ahead
    breach:{case_id}:{clock}      to the team channel, naming the team's lead and the owner
    breach:{case_id}:{clock}:pr   also to ``alerts.pr_channel`` for critical cases, naming the
                                  PR lead (:func:`channel_lead`), else the team's lead

Clocks of one case that breach at the same check (a case nobody touched breaches its
acknowledgement and first response at once when their standards are close, or after the
daemon was down) make one message per channel, naming them all: "missed its
acknowledgement and first response standards", not one message per clock, which in a crisis
buried #pr. Warnings stay one per clock: a warning tells its owner what to do next, and one
naming two clocks would still ask for the acknowledgement after a claim had stopped it (its
text is written when it is enqueued, and a backlog may hold it); a breach tells what was
missed, which stays true. A team channel that is also the PR channel gets one message, not
two. The message is written under the first of its keys; every other key still gets a row, so
it stays taken, settled at once as sent with ``{"told_in": <the first key>}`` (as
:func:`monitor.delivery.collapse_backlog` settles what it folds into a digest). The payload's
``clocks`` lists the clocks a message names: its sender skips a breach only once all of them
have stopped (a partly stale one still goes: each clock it names did run out, and one waits),
and :func:`rearm` puts it back, for all its clocks, when it was skipped behind a closed case.

A warning whose moment passed while the daemon was down is not sent late if the clock has
already breached: the breach says more. The same run assigns cases that were left unassigned
out of hours, once their team's business hours begin.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor import outbox
from monitor.cases import OPEN, SYSTEM, add_event, assign, open_counts
from monitor.clocks import ClockState, clock_noun, is_open
from monitor.models import Case, Outbox, OutboxKind, OutboxStatus
from monitor.notify import clocks_for, enqueue_case_update
from monitor.routing import choose_owner
from monitor.settings import Member, Settings, Team

__all__ = [
    "CheckReport",
    "Escalation",
    "assign_waiting",
    "channel_lead",
    "check_clocks",
    "escalations_for",
    "rearm",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Escalation:
    """One message: a warning or a breach of one or more clocks of one case, to one channel."""

    #: The once-only keys it takes, one per clock (and copy) it tells of; the first is its
    #: outbox row's, the others are settled as told in it.
    keys: tuple[str, ...]
    #: ``warn`` or ``breach``.
    kind: str
    #: The clocks it names, in the case's order.
    clocks: tuple[str, ...]
    target: str
    title: str
    text: str
    #: Slack ids of whom the notice pings (the lead at a breach, the owner before one).
    mentions: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.keys[0]


@dataclass(frozen=True, slots=True)
class _Due:
    """One clock's notice to one channel, before the notices of a check are merged."""

    key: str
    kind: str
    clock: str
    channel: str
    due: str
    #: Who the line addresses, by name, and whom it pings.
    to: str
    ping: tuple[str, ...]


def _ids(member: Member | None) -> tuple[str, ...]:
    return (member.slack_id,) if member is not None and member.slack_id else ()


def _key(kind: str, case_id: int, clock: str) -> str:
    """A clock's once-only key for the team channel; its #pr copy's adds ``:pr``."""
    return f"{kind}:{case_id}:{clock}"


def _and(words: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def channel_lead(settings: Settings, channel: str) -> Member | None:
    """The lead who answers for ``channel``: that of the first team whose channel it is and
    whose lead has a Slack id (one to ping), else ``None`` (no team owns the channel, or none
    of its owners has a lead Slack knows). A crisis notice pings this lead, and the #pr copy
    of a critical breach does, so the PR lead hears of both in #pr."""
    for team in settings.teams.values():
        if team.slack_channel == channel and team.lead is not None and team.lead.slack_id:
            return team.lead
    return None


def escalations_for(
    *,
    case_id: int,
    severity: str,
    owner: str | None,
    clocks: dict[str, ClockState],
    team: Team,
    warn_before: timedelta,
    pr_channel: str | None,
    pr_lead: Member | None = None,
    taken: AbstractSet[str] = frozenset(),
    now: datetime,
) -> list[Escalation]:
    """The warning and breach messages for this case that should exist by ``now`` and are
    not yet told: clocks whose keys are in ``taken`` are left out, and the rest that share a
    kind and a channel are one message naming them all. ``pr_lead`` is who the #pr copy of a
    critical breach addresses (the team's lead when ``None``)."""
    owner_member = next((m for m in team.members if m.name == owner), None)
    owner_ref = owner_member.name if owner_member else (owner or "nobody (unassigned)")
    lead_ref = team.lead.name if team.lead else "the team lead"
    pr_to = pr_lead or team.lead
    pr_ref = pr_to.name if pr_to else "the team lead"
    zone = ZoneInfo(team.business_hours.timezone)
    found: list[_Due] = []
    for name, state in clocks.items():
        if not state.running:
            continue
        due = state.due_at.astimezone(zone).strftime("%a %H:%M %Z")
        if now >= state.due_at:
            key = _key("breach", case_id, name)
            found.append(
                _Due(key, "breach", name, team.slack_channel, due, lead_ref, _ids(team.lead))
            )
            if severity == "critical" and pr_channel:
                found.append(
                    _Due(f"{key}:pr", "breach", name, pr_channel, due, pr_ref, _ids(pr_to))
                )
        elif now >= state.warn_at(warn_before):
            key = _key("warn", case_id, name)
            found.append(
                _Due(key, "warn", name, team.slack_channel, due, owner_ref, _ids(owner_member))
            )
    merged: dict[tuple[str, str], list[_Due]] = {}
    for item in found:
        if item.key not in taken:  # a warning stays one clock's: see the module
            group = item.channel if item.kind == "breach" else f"{item.channel} {item.clock}"
            merged.setdefault((item.kind, group), []).append(item)
    return [_message(case_id, severity, owner_ref, items) for items in merged.values()]


def _message(case_id: int, severity: str, owner_ref: str, items: list[_Due]) -> Escalation:
    """One message for ``items``: notices of one kind, for one case and channel."""
    clocks = tuple(dict.fromkeys(i.clock for i in items))
    words = _and([clock_noun(c) for c in clocks])
    # the due times in the clocks' order, each once: "Mon 10:15 GMT and Mon 14:00 GMT"
    due = _and(list(dict.fromkeys(next(i.due for i in items if i.clock == c) for c in clocks)))
    to = _and(list(dict.fromkeys(i.to for i in items)))
    ping = tuple(dict.fromkeys(p for i in items for p in i.ping))
    kind = items[0].kind
    if kind == "breach":
        standards = "standards" if len(clocks) > 1 else "standard"
        title = f"BREACH: RW-{case_id} {words} overdue (was due {due})"
        text = (
            f"{to}: RW-{case_id} ({severity}) missed its {words} {standards}. Owner: {owner_ref}."
        )
    else:
        title = f"Due soon: RW-{case_id} {words} due {due}"
        text = f"{to}: RW-{case_id} ({severity}) needs its {words} by {due}."
    keys = tuple(i.key for i in items)
    return Escalation(keys, kind, clocks, items[0].channel, title, text, ping)


@dataclass
class CheckReport:
    #: Clocks warned of and breached (each once, however many messages told of them).
    warned: int = 0
    breached: int = 0
    assigned: int = 0
    #: The once-only keys taken, those told in another key's message included.
    keys: list[str] = field(default_factory=list)


def check_clocks(session: Session, settings: Settings, *, now: datetime) -> CheckReport:
    """Enqueue the warnings and breaches now due for every open case. Never commits."""
    report = CheckReport()
    report.assigned = assign_waiting(session, settings, now=now)
    pr_channel = settings.alerts.pr_channel
    pr_lead = channel_lead(settings, pr_channel) if pr_channel else None
    for case in session.scalars(select(Case).where(Case.status.in_(OPEN)).order_by(Case.id)):
        team = settings.teams.get(case.team)
        if team is None:
            continue
        args: dict[str, Any] = {
            "case_id": case.id,
            "severity": case.severity,
            "owner": case.owner,
            "clocks": clocks_for(case, settings, now=now),
            "team": team,
            "warn_before": settings.service_standards[team.standards].warn_before,
            "pr_channel": pr_channel,
            "pr_lead": pr_lead,
            "now": now,
        }
        found = escalations_for(**args)
        if not found:
            continue
        # a message names only clocks not told yet: read which of their keys are taken first
        keys = [key for item in found for key in item.keys]
        taken = set(session.scalars(select(Outbox.key).where(Outbox.key.in_(keys))))
        if taken:
            found = escalations_for(**args, taken=taken)
        breached: list[str] = []
        for item in found:
            if _enqueue(session, case, item, now=now):
                report.keys.extend(item.keys)
                team_keys = {_key(item.kind, case.id, clock): clock for clock in item.clocks}
                for clock in (team_keys[k] for k in item.keys if k in team_keys):
                    add_event(
                        session,
                        case,
                        "warned" if item.kind == "warn" else "breached",
                        actor=SYSTEM,
                        now=now,
                        detail={"clock": clock},
                    )
                    if item.kind == "warn":
                        report.warned += 1
                    else:
                        report.breached += 1
                        breached.append(clock)
        if breached:  # one line in the case's thread however many clocks ran out
            line = f"{_and([clock_noun(c) for c in breached]).capitalize()} overdue"
            enqueue_case_update(session, case, settings, line=line, now=now)
    if report.keys:
        log.info("clocks: %d warning(s), %d breach(es)", report.warned, report.breached)
    return report


def _enqueue(session: Session, case: Case, item: Escalation, *, now: datetime) -> bool:
    """Write ``item``'s message under its first key, and its other keys as told in it; False
    when its first key was taken meanwhile (it fired before)."""
    payload: dict[str, Any] = {
        "title": item.title,
        "text": item.text,
        "url": case.post.url,
        "case_id": case.id,
        "clocks": list(item.clocks),
        "fields": {"Case": f"RW-{case.id}", "Clock": ", ".join(item.clocks), "Team": case.team},
        "extra": {"mentions": list(item.mentions)},
    }
    kind, target = OutboxKind.ESCALATION, item.target
    row = outbox.enqueue(
        session, key=item.key, kind=kind, target=target, payload=payload, case_id=case.id, now=now
    )
    if row is None:
        return False
    told = {"told_in": item.key}
    for key in item.keys[1:]:
        row = outbox.enqueue(
            session,
            key=key,
            kind=kind,
            target=target,
            payload={**told, "case_id": case.id},
            case_id=case.id,
            now=now,
        )
        if row is not None:
            row.status, row.sent_at, row.result = OutboxStatus.SENT, now, told
    return True


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
    one whose clocks have all stopped since is skipped again. A message that told of several
    clocks is one row (the others' keys were settled as told in it), put back as one. Returns
    the keys put back."""
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
