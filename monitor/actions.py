"""What people do from Slack: the buttons on a case's message and the ``/replywatch`` command.

:class:`CaseActions` implements the ``ActionHandler`` protocol of ``alerts.interactive``
(``on_action`` and ``on_command``, each returning the text shown to the person who acted).
Each action runs in one transaction: the state change, its audit event (naming the Slack user)
and the outbox row that updates the Slack message commit together or not at all. The case row
is locked (``FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises writers), so a
double click is applied once and the second click is told so.

The command line acts through the same code: ``replywatch case RW-N ACTION --as NAME``
(``monitor/cli_case.py``) calls :meth:`CaseActions.act`, which :meth:`~CaseActions.on_action`
wraps for Slack, so a state change, its trail and its thread update are written one way.
:meth:`~CaseActions.act` also says what ``on_action``'s text cannot: whether the action was
refused (nothing changed) and which clocks it stopped or set running again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from monitor import cases, outbox
from monitor.acknowledge import Templates, load_templates, plan_acknowledgement
from monitor.cases import CLOSED, OPEN
from monitor.clocks import ClockState
from monitor.errors import NotFound
from monitor.escalation import rearm
from monitor.models import Case, CaseEvent, CaseStatus, OutboxKind, Post
from monitor.notify import clocks_for, due_summary, enqueue_case_update
from monitor.opening import (
    Complaint,
    open_routed,
    primary_entity,
    settle_opened,
)
from monitor.post_links import bare_link, post_keys
from monitor.settings import Settings

__all__ = ["ACTIONS", "ActionResult", "CaseActions", "actor_name"]

log = logging.getLogger(__name__)

ACTIONS = ("claim", "responded", "resolve", "not_complaint", "escalate", "reopen", "send_ack")
#: A second "Escalate" within this long of the first is the same escalation.
_ESCALATE_DEBOUNCE = timedelta(minutes=10)


def actor_name(user_id: str, user_name: str) -> str:
    """How a Slack user appears in the audit trail: name and id, both kept."""
    return f"{user_name} (slack:{user_id})"[:128]


class _Refusal(str):
    """An action's answer when it was not carried out: already done, or not allowed in the
    case's state ("RW-4 is already resolved."). Slack shows it as any other answer; the
    command line exits non-zero on it (:attr:`ActionResult.refused`)."""

    __slots__ = ()


@dataclass(frozen=True)
class ActionResult:
    """What :meth:`CaseActions.act` did.

    ``text`` is the answer Slack shows whoever acted; ``refused`` is true when the action was
    not carried out: the case was already in that state, the action is not allowed in it, or
    (``send_ack``) the acknowledgement was not sent, the reason kept in the trail;
    ``status`` is the case's status afterwards; ``stopped`` holds the clocks the action
    stopped, as they stand now (met or missed), and ``restarted`` those running again (a
    reopen). A clock of a case whose team left the config is in neither.
    """

    text: str
    refused: bool
    status: str
    stopped: Mapping[str, ClockState] = field(default_factory=dict)
    restarted: tuple[str, ...] = ()


class CaseActions:
    """The Slack ``ActionHandler``: buttons and ``/replywatch`` against the database."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        *,
        clock: Callable[[], datetime],
        templates: Templates | None = None,
        via: str = "slack",
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        #: Where people act through this handler, kept on a response they mark (``cli``).
        self.via = via
        self._templates = templates
        self._entities = {e.id: e for e in settings.entities}

    @property
    def templates(self) -> Templates:
        if self._templates is None:
            self._templates = load_templates(self.settings.acknowledgements.templates)
        return self._templates

    # -- buttons ----------------------------------------------------------------------------
    def on_action(self, action: str, case_id: int, user_id: str, user_name: str) -> str:
        if action not in ACTIONS:
            return f"Unknown action {action!r}."
        try:
            result = self.act(
                action,
                case_id,
                actor=actor_name(user_id, user_name),
                user_id=user_id,
                user_name=user_name,
            )
        except NotFound:
            return f"Case RW-{case_id} does not exist."
        return result.text

    def act(
        self,
        action: str,
        case_id: int,
        *,
        actor: str,
        user_name: str,
        user_id: str = "",
        note: str | None = None,
    ) -> ActionResult:
        """Run ``action`` (one of :data:`ACTIONS`) on case ``case_id`` for a person, in one
        transaction: what the Slack button does, for Slack and the command line alike.

        ``actor`` is how the trail names the person (``Ana (slack:U0ANA)``, ``Ana (cli)``);
        ``user_name`` how the case's thread names them ("Resolved by Ana"); ``user_id`` their
        Slack id, if any (a claim gives the case to the team member with that id, under the
        name the config gives them). ``note``, kept on the event the action wrote, says why
        in the trail; a refused action keeps none. Raises :class:`NotFound` for a case that
        does not exist and ``ValueError`` for an action that does not.
        """
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}: one of {', '.join(ACTIONS)}")
        now = self.clock()
        with self.sessions.begin() as session:
            # lock the row alone (a joined eager load cannot be locked FOR UPDATE on PostgreSQL)
            session.execute(select(Case.id).where(Case.id == int(case_id)).with_for_update())
            case = session.get(Case, int(case_id))
            if case is None:
                raise NotFound(f"no case RW-{case_id}")
            before = self._clocks(case, now)
            reply = getattr(self, f"_{action}")(session, case, actor, user_id, user_name, now)
            refused = isinstance(reply, _Refusal)
            if note and not refused:
                self._note(session, case, note)
            after = self._clocks(case, now)
            result = ActionResult(
                text=str(reply),
                refused=refused,
                status=str(case.status),
                stopped={
                    name: state
                    for name, state in after.items()
                    if name in before and before[name].running and not state.running
                },
                restarted=tuple(
                    name
                    for name, state in after.items()
                    if name in before and not before[name].running and state.running
                ),
            )
        log.info("%s on RW-%s by %s: %s", action, case_id, actor, result.text)
        return result

    def _clocks(self, case: Case, now: datetime) -> dict[str, ClockState]:
        """The case's clocks, none for a case whose team has left the config (as before, the
        action itself then fails where it needs the team)."""
        if case.team not in self.settings.teams:
            return {}
        return clocks_for(case, self.settings, now=now)

    @staticmethod
    def _note(session: Session, case: Case, note: str) -> None:
        """Keep ``note`` on the newest event of ``case``: the one the action just wrote (the
        event its thread update is keyed by, see :func:`enqueue_case_update`)."""
        session.flush()
        newest = max(case.events, key=lambda e: e.id or 0, default=None)
        if newest is not None:
            newest.detail = {**(newest.detail or {}), "note": note}

    def _update(
        self,
        session: Session,
        case: Case,
        line: str,
        now: datetime,
        *,
        mentions: tuple[str, ...] = (),
    ) -> None:
        enqueue_case_update(session, case, self.settings, line=line, now=now, mentions=mentions)

    def _member_name(self, team: str, user_id: str, user_name: str) -> str:
        for member in self.settings.teams[team].members:
            if member.slack_id == user_id:
                return member.name
        return user_name

    def _slack_id(self, team: str, name: str) -> str | None:
        """The Slack id configured for the member (or lead) called ``name``: the case's team
        first, then any team (an owner may have moved)."""
        teams = [self.settings.teams[team], *self.settings.teams.values()]
        for each in teams:
            for person in [*each.members, *([each.lead] if each.lead else [])]:
                if person.name == name and person.slack_id:
                    return str(person.slack_id)
        return None

    def _claim(
        self, session: Session, case: Case, actor: str, user_id: str, user_name: str, now: datetime
    ) -> str:
        owner = self._member_name(case.team, user_id, user_name)
        if case.owner == owner and case.acknowledged_at is not None:
            return _Refusal(f"RW-{case.id} is already yours.")
        previous = case.owner
        if not cases.claim(session, case, owner=owner, actor=actor, now=now):
            return _Refusal(f"RW-{case.id} is {case.status}; nothing to claim.")
        if previous is None or previous == owner:
            self._update(session, case, f"Claimed by {user_name}", now)
            return f"You own RW-{case.id} now."
        # taking a case from someone: say so where they will see it, and ping them there
        pinged = self._slack_id(case.team, previous)
        line = f"Claimed by {user_name}, from {previous}"
        self._update(session, case, line, now, mentions=(pinged,) if pinged else ())
        if pinged:
            return f"You own RW-{case.id} now, taken from {previous}; its thread tells them."
        return (
            f"You own RW-{case.id} now, taken from {previous} (no Slack id is configured for "
            "them: let them know)."
        )

    def _responded(
        self, session: Session, case: Case, actor: str, user_id: str, user_name: str, now: datetime
    ) -> str:
        if case.first_response_at is not None:
            return _Refusal(f"RW-{case.id} already had its first response.")
        cases.record_response(session, case, at=now, actor=actor, now=now, via=self.via)
        self._update(session, case, f"Marked responded by {user_name}", now)
        return f"RW-{case.id} marked responded; its response clock has stopped."

    def _resolve(
        self, session: Session, case: Case, actor: str, user_id: str, user_name: str, now: datetime
    ) -> str:
        if not cases.resolve(session, case, actor=actor, now=now):
            return _Refusal(f"RW-{case.id} is already {case.status}.")
        self._update(session, case, f"Resolved by {user_name}", now)
        return f"RW-{case.id} resolved."

    def _not_complaint(
        self, session: Session, case: Case, actor: str, user_id: str, user_name: str, now: datetime
    ) -> str:
        if not cases.dismiss(session, case, actor=actor, now=now):
            return _Refusal(f"RW-{case.id} was already marked not a complaint.")
        self._update(session, case, f"Marked not a complaint by {user_name}", now)
        return (
            f"RW-{case.id} closed as not a complaint; saved as a label for the classifier. "
            "Reopening the case undoes both."
        )

    def _reopen(
        self, session: Session, case: Case, actor: str, user_id: str, user_name: str, now: datetime
    ) -> str:
        """Undo "Resolve" or "Not a complaint": the case is back in the queue, its clocks run
        again and, for a dismissal, its label says ``complaint`` (see :func:`cases.reopen`)."""
        was = case.status
        if not cases.reopen(session, case, actor=actor, now=now):
            return _Refusal(f"RW-{case.id} is not closed ({case.status}); nothing to reopen.")
        rearm(session, case.id, now=now)  # a breach skipped while it was shut goes out
        if was == CaseStatus.DISMISSED:
            self._update(session, case, f"Reopened by {user_name}: a complaint after all", now)
            return (
                f"RW-{case.id} reopened; its clocks run again, and the classifier's label for "
                "the post now says complaint."
            )
        self._update(session, case, f"Reopened by {user_name}", now)
        return f"RW-{case.id} reopened; its clocks run again."

    def _escalate(
        self, session: Session, case: Case, actor: str, user_id: str, user_name: str, now: datetime
    ) -> str:
        if case.status in CLOSED:
            # the sender would drop it as stale: say so rather than claim the lead was told
            return _Refusal(f"RW-{case.id} is {case.status}; reopen it to escalate.")
        recent = session.scalar(
            select(CaseEvent.id).where(
                CaseEvent.case_id == case.id,
                CaseEvent.kind == "escalated",
                CaseEvent.at > now - _ESCALATE_DEBOUNCE,
            )
        )
        if recent is not None:
            return _Refusal(f"RW-{case.id} was escalated moments ago; the lead has been told.")
        event = cases.add_event(session, case, "escalated", actor=actor, now=now)
        session.flush()
        team = self.settings.teams[case.team]
        lead = team.lead
        asked = f"{lead.name}: " if lead else ""
        targets = [team.slack_channel]
        if case.severity == "critical" and self.settings.alerts.pr_channel:
            targets.append(self.settings.alerts.pr_channel)
        for target in dict.fromkeys(targets):
            outbox.enqueue(
                session,
                key=f"escalate:{case.id}:{event.id}:{target}",
                kind=OutboxKind.ESCALATION,
                target=target,
                payload={
                    "title": f"Escalated: RW-{case.id} ({case.severity}) by {user_name}",
                    "text": f"{asked}{user_name} asks for help with RW-{case.id}.",
                    "fields": {
                        "Case": f"RW-{case.id}",
                        "Team": case.team,
                        "Owner": str(case.owner),
                    },
                    "url": case.post.url,
                    "case_id": case.id,
                    "extra": {"mentions": [lead.slack_id] if lead and lead.slack_id else []},
                },
                case_id=case.id,
                now=now,
            )
        self._update(session, case, f"Escalated by {user_name}", now)
        return f"RW-{case.id} escalated to {lead.name if lead else 'the team'}."

    def _send_ack(
        self, session: Session, case: Case, actor: str, user_id: str, user_name: str, now: datetime
    ) -> str:
        decision = plan_acknowledgement(
            session, case, self.settings, self.templates, now=now, approved_by=actor
        )
        if decision.action == "send":
            self._update(session, case, f"Acknowledgement approved by {user_name}", now)
            return f"Sending: {decision.text}"
        if decision.action == "dry_run":
            return f"Dry run, not sent: {decision.text}"
        return _Refusal(f"Not sent: {decision.reason}.")

    # -- /replywatch ------------------------------------------------------------------------
    def on_command(self, text: str, user_id: str, user_name: str, channel_id: str) -> str:
        """``/replywatch [team]``: a team's open cases and their clocks; ``/replywatch case
        LINK``: open a case for a complaint the classifier missed."""
        words = text.split()
        if words and words[0] in ("help", "-h", "--help"):
            return (
                "Usage: /replywatch [team]: open cases and clocks. /replywatch case <link to a "
                "post>: open a case for a complaint replywatch missed (the classifier learns "
                "from it). Teams: " + ", ".join(sorted(self.settings.teams))
            )
        if words and words[0] == "case":
            if len(words) < 2:
                return "Which post? /replywatch case <link to the post>"
            ref = text.split(maxsplit=1)[1]  # a Slack link's label may hold spaces
            return self._open_missed(ref, actor_name(user_id, user_name))
        team = words[0] if words else self._team_for(user_id, channel_id)
        if team is None or team not in self.settings.teams:
            return "Which team? /replywatch <team>, one of: " + ", ".join(
                sorted(self.settings.teams)
            )
        now = self.clock()
        with self.sessions() as session:
            rows = session.scalars(
                select(Case)
                .where(Case.team == team, Case.status.in_(OPEN))
                .order_by(Case.opened_at, Case.id)
            ).all()
            if not rows:
                return f"{team}: no open cases."
            lines = [f"{team}: {len(rows)} open case(s)"]
            for case in rows:
                lines.append(
                    f"RW-{case.id} {case.severity} @{case.post.author.handle} on "
                    f"{case.post.platform}, {case.status}, owner {case.owner or 'none'}: "
                    f"{self._clocks_line(case, now)}"
                )
        return "\n".join(lines)

    def _clocks_line(self, case: Case, now: datetime) -> str:
        """The clocks someone must act on: each running clock past its due time, once
        ("acknowledge OVERDUE since ..."), else the next running one ("first response due
        ..."). A clock that stopped late is history, not work: the list leaves it out."""
        clocks = clocks_for(case, self.settings, now=now)
        due = due_summary(case, self.settings, now=now)
        running = [name for name, state in clocks.items() if state.running]
        overdue = [name for name in running if clocks[name].breached(now)]
        shown = overdue or running[:1]
        if not shown:
            return "all clocks stopped"
        return ", ".join(f"{name.replace('_', ' ')} {due[name]}" for name in shown)

    def _open_missed(self, ref: str, actor: str) -> str:
        """Open a case for a stored mention the classifier did not flag, routed and alerted
        as the pipeline would, and keep the correction as a ``complaint`` label."""
        now = self.clock()
        with self.sessions.begin() as session:
            found = _find_posts(session, ref)
            if not found:
                return (
                    f"No stored mention matches {bare_link(ref)}: replywatch knows the posts its "
                    "sources fetched that name a watched entity."
                )
            if len(found) > 1:
                platforms = " and ".join(p.platform for p in found)
                return f"Posts on {platforms} have that id: paste the link instead."
            [post] = found
            if post.is_brand_response:
                return "That is the brand's own post: a response, not a mention."
            if post.kind == "repost":
                return "That is a repost: open the case on the original post."
            existing = session.scalar(select(Case).where(Case.post_id == post.id))
            if existing is not None and existing.status in CLOSED:
                return (
                    f"RW-{existing.id} already covers that post ({existing.status}): Reopen "
                    "on its message opens it again."
                )
            if existing is not None:
                return f"RW-{existing.id} already covers that post ({existing.status})."
            entities = [
                self._entities[m.entity_id] for m in post.matches if m.entity_id in self._entities
            ]
            if not entities:
                return "That post names no entity this configuration watches."
            severity = post.severity if post.severity in ("high", "critical") else "normal"
            complaint = Complaint(
                post,
                primary_entity(entities),
                post.language or "und",
                severity,
                {"opened_by": actor, "classifier_complaint": f"{post.complaint}"},
            )
            [case] = open_routed(session, self.settings, [complaint], now=now)
            cases.keep_label(session, post, "complaint", actor=actor, now=now)
            # the brand may have answered already: then its clocks stop and no template goes
            templates = self.templates if self.settings.acknowledgements.enabled else None
            settle_opened(session, self.settings, [case], templates, now=now)
            owner = f"owner {case.owner}" if case.owner else "unassigned"
            reply = (
                f"RW-{case.id} opened for @{post.author.handle}'s {post.platform} post: "
                f"{case.team}, {owner}, {case.severity}. Saved as a complaint label for the "
                "classifier."
            )
        log.info("case for a missed complaint by %s: %s", actor, reply)
        return reply

    def _team_for(self, user_id: str, channel_id: str) -> str | None:
        """The team of the channel the command was typed in, else the user's own team.

        Slack sends channel ids; a team configured by name (``#support``) is recognised by the
        id its alerts were delivered to.
        """
        for name, team in self.settings.teams.items():
            if team.slack_channel == channel_id:
                return name
        with self.sessions() as session:
            known = session.scalar(
                select(Case.team).where(Case.slack_channel == channel_id).limit(1)
            )
        if known is not None and known in self.settings.teams:
            return str(known)
        for name, team in self.settings.teams.items():
            people = [*team.members, *([team.lead] if team.lead else [])]
            if any(m.slack_id == user_id for m in people):
                return name
        return None


def _find_posts(session: Session, ref: str) -> list[Post]:
    """The stored posts ``ref`` (a link, ``platform:id`` or an id) may mean: one, or none,
    or (a bare id on two platforms) more."""
    link = bare_link(ref)
    keys = post_keys(ref)
    clauses = [Post.url == link]
    for platform, native_id in keys:
        clause = Post.native_id == native_id
        clauses.append(clause if platform is None else clause & (Post.platform == platform))
    return list(session.scalars(select(Post).where(or_(*clauses)).limit(3)))
