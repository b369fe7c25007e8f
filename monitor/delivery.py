"""Outbox rows to outward calls: Slack (or the console) for messages, platforms for replies.

:func:`build_senders` returns one sender per outbox kind for :func:`monitor.outbox.deliver_due`:

- ``alert``: the case's message, rendered from the case as it is when sent; the receipt's
  channel and ts are stored on the case. A case that already has a ts is not posted again
  (the send succeeded but its confirmation was lost).
- ``alert_update``: ``chat.update`` of that message, then the row's ``line`` in its thread,
  with the text it quotes (``quote``: the brand's answer, the acknowledgement sent) and its
  link (``quote_url``) where the row has them.
  Waits (retryable) while the first message is not out yet; dropped for a digested alert.
- ``escalation``: a new message, unless its clocks stopped or the case closed since.
- ``notice``: a new message.
- ``public_reply``: the acknowledgement on the platform through a
  :class:`~sources.base.Replier`. Each attempt is written down (an ``ack_attempt`` case
  event, committed) before the platform is called. Before any resend (an earlier attempt's
  outcome unknown, as the case's events tell, not the row's attempts: a claim that died
  before noting an attempt left nothing to look for) a reply already recorded is taken as
  sent, and otherwise ``find_reply`` asks the platform whether the reply exists; only a
  complete "no" lets it reply again, and only once ``RESEND_SETTLE`` has passed since the
  last attempt began (a platform lists a fresh reply with a delay), whatever ended that
  attempt: an error from the platform, a crash, or a database failure after the reply was
  posted. That wait is timed by the database's clock (:func:`monitor.db.shared_now`,
  recorded in the attempt events), as the outbox's leases are: the resend may be claimed by
  a daemon on another host, and one whose clock runs ahead would otherwise ask the platform
  at once. Skipped when the case was answered, closed or acknowledged in public in the
  meantime (:func:`~monitor.acknowledge.answered_in_public`; a claim does not count), or
  when the platform's acknowledgement mode as configured now is not ``auto`` (nor
  ``approval`` with a person's approval): a reply queued before a lead turned replies off
  does not go out (one tried before is still looked for on the platform first). The first
  reason wins, so a case that needs no reply is not held for approval. A reply given up for
  good (refused, credentials missing, attempts used up) is told where people look: an
  ``ack_failed`` case event and, through the outbox, an "Acknowledgement not sent: ..." line
  in the case's Slack thread; once per give-up. A reply is recorded once (one ``ack_sent``),
  though a poll read it back while the call was in flight.

:func:`build_senders` refuses (:class:`~monitor.errors.ConfigError`) an ``approval`` or
``auto`` acknowledgement mode that none of its repliers can carry out (see
:func:`monitor.acknowledge.check_reply_modes`), so ``poll`` and ``run`` refuse to start as
``check-config`` does.

:func:`collapse_backlog` runs before each delivery round: a channel with more pending alerts
than ``alerts.digest_after`` gets one digest message instead of a flood, on Slack or the console.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.base import Alert, Sink
from monitor import outbox
from monitor.acknowledge import HELD_BY_MODE, answered_in_public, check_reply_modes
from monitor.cases import CLOSED, SYSTEM, acknowledge, add_event
from monitor.clocks import clock_noun
from monitor.db import shared_now
from monitor.errors import AuthError, DeliveryError, Refused, ReplywatchError
from monitor.models import Case, CaseEvent, CaseStatus, Outbox, OutboxKind, OutboxStatus
from monitor.notify import (
    alert_key,
    author_history,
    case_alert_payload,
    clocks_for,
    enqueue_case_update,
)
from monitor.outbox import Sender
from monitor.reply_sources import replier_for, source_name
from monitor.settings import Settings
from monitor.store import lock_platforms
from sources.base import Replier

__all__ = ["alert_from_payload", "build_senders", "collapse_backlog"]

log = logging.getLogger(__name__)

#: How long after a reply attempt began before the platform is asked whether the reply exists.
RESEND_SETTLE = timedelta(seconds=60)
#: The attempt events' detail key for when they were written by the database's clock.
SHARED_AT = "shared_at"


def alert_from_payload(row: Outbox, payload: Mapping[str, Any] | None = None) -> Alert:
    """The sink's view of a row. A second attempt asks the sink to look for the message
    first (``extra["resend"]``): the first may have been posted before its answer was lost."""
    data = payload if payload is not None else row.payload
    extra = dict(data.get("extra") or {})
    if row.attempts > 1:
        extra["resend"] = True
    return Alert(
        key=row.key,
        kind=str(data.get("alert_kind") or row.kind),
        channel=str(data.get("channel") or row.target),
        title=str(data.get("title", "")),
        fields={str(k): str(v) for k, v in (data.get("fields") or {}).items()},
        text=str(data.get("text") or ""),
        url=data.get("url"),
        case_id=row.case_id,
        extra=extra,
    )


class _Senders:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        sink: Sink,
        repliers: Mapping[str, Replier],
        clock: Callable[[], datetime],
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.sink = sink
        self.repliers = repliers
        self.clock = clock

    # -- Slack / console --------------------------------------------------------------------
    def alert(self, row: Outbox) -> dict[str, Any]:
        with self.sessions() as session:
            case = session.get(Case, row.case_id) if row.case_id is not None else None
            if case is not None and case.slack_ts:
                return {"channel": case.slack_channel, "ts": case.slack_ts, "already": True}
            payload = (
                case_alert_payload(
                    case, self.settings, history=author_history(session, case), now=self.clock()
                )
                if case is not None
                else row.payload
            )
        receipt = self.sink.deliver(self._for_sink(alert_from_payload(row, payload)))
        if case is not None and receipt.message_id:
            with self.sessions.begin() as session:
                stored = session.get(Case, case.id)
                if stored is not None:
                    stored.slack_channel = receipt.channel
                    stored.slack_ts = receipt.message_id
        return {"channel": receipt.channel, "ts": receipt.message_id}

    def update(self, row: Outbox) -> dict[str, Any]:
        with self.sessions() as session:
            case = session.get(Case, row.case_id)
            if case is None:
                raise DeliveryError(row.key, "the case is gone", retryable=False)
            if not case.slack_ts:
                original = session.scalar(select(Outbox).where(Outbox.key == alert_key(case)))
                if original is not None and (original.result or {}).get("digest"):
                    return {"skipped": "the alert went out in a digest"}
                raise DeliveryError(row.key, "the case's first message is not out yet")
            payload = case_alert_payload(
                case, self.settings, history=author_history(session, case), now=self.clock()
            )
            channel, ts = case.slack_channel or row.target, case.slack_ts
            key = alert_key(case)
        payload["channel"] = channel
        # the message stays the case's alert: same key (Slack keeps it in the metadata)
        alert = replace(alert_from_payload(row, payload), key=key)
        self.sink.update(self._for_sink(alert), ts)
        line = str(row.payload.get("line") or "")
        if line:
            self.sink.deliver(
                Alert(
                    key=f"{row.key}:thread",
                    kind="thread",
                    channel=channel,
                    title=line,
                    # what the line quotes (the brand's answer, the acknowledgement sent);
                    # a row written before quotes were carried has none, and shows the line
                    text=str(row.payload.get("quote") or ""),
                    url=row.payload.get("quote_url") or None,
                    case_id=row.case_id,
                    thread_ts=ts,
                    extra={
                        "mentions": list(row.payload.get("mentions") or ()),
                        **({"resend": True} if row.attempts > 1 else {}),
                    },
                )
            )
        return {"channel": channel, "ts": ts}

    def _for_sink(self, alert: Alert) -> Alert:
        """The console shows fields only: give it the status, clocks and history as fields
        (Slack renders them from ``extra``)."""
        if self.sink.name != "console":
            return alert
        fields = dict(alert.fields)
        extra = alert.extra
        if extra.get("status"):
            fields["Status"] = str(extra["status"])
        for name, text in (extra.get("due") or {}).items():
            fields[f"Due: {str(name).replace('_', ' ')}"] = str(text)
        for i, line in enumerate(extra.get("history") or (), start=1):
            fields[f"Earlier case {i}"] = str(line)
        return replace(alert, fields=fields)

    def message(self, row: Outbox) -> dict[str, Any]:
        receipt = self.sink.deliver(alert_from_payload(row))
        return {"channel": receipt.channel, "ts": receipt.message_id}

    def escalation(self, row: Outbox) -> dict[str, Any]:
        """A warning or breach, unless it went stale since it was written."""
        with self.sessions() as session:
            stale = _stale_escalation(session, self.settings, row, now=self.clock())
        if stale is not None:
            return {"skipped": stale}
        return self.message(row)

    # -- public replies ---------------------------------------------------------------------
    def reply(self, row: Outbox) -> dict[str, Any]:
        """Send the acknowledgement (:meth:`_reply`); when this try gives it up for good, as
        :func:`monitor.outbox.deliver_due` will, tell the case (:meth:`_gave_up`)."""
        try:
            return self._reply(row)
        except _OutcomeUnknown as exc:
            self._gave_up(row, str(exc).removeprefix(f"outbox {row.key}: "), sent=_MAY_HAVE_GONE)
            raise
        except DeliveryError as exc:
            if not exc.retryable or (exc.counted and row.attempts >= outbox.MAX_ATTEMPTS):
                reason = str(exc).removeprefix(f"outbox {row.key}: ")
                if exc.retryable:
                    reason += f" (gave up after {row.attempts} attempts)"
                if self._in_doubt(row):
                    self._gave_up(row, reason, sent=_MAY_HAVE_GONE)
                else:
                    self._gave_up(row, reason)
            raise
        except Exception as exc:  # a bug: deliver_due retries it, while attempts are left
            if row.attempts >= outbox.MAX_ATTEMPTS:
                # it may have struck after the platform took the reply (recording it): not
                # "not sent", or a person would answer by hand a second time
                reason = f"{type(exc).__name__}: {exc} (gave up after {row.attempts} attempts)"
                self._gave_up(row, reason, sent=_MAY_HAVE_GONE)
            raise

    def _reply(self, row: Outbox) -> dict[str, Any]:
        platform = str(row.payload["platform"])
        in_reply_to = str(row.payload["in_reply_to"])
        # the mode now, not when the reply was queued: a lead who turns replies off (or to
        # dry-run, or approval) mid-crisis stops the ones already waiting out their delay
        held = self._held_by_mode(row, platform)
        # before choosing a source, which may ask the platform
        recorded = self._last_detail(row, "ack_sent").get("reply_id")
        if recorded:  # sent and recorded; only marking the row failed
            return {"reply_id": str(recorded), "found": True}
        # told by the case's events, not by the row's attempts: those count claims, and a
        # claim whose sender died, was freed (``outbox retry --claimed``) or crashed before
        # its send noted no attempt, and left nothing on the platform to look for
        tried = self._in_doubt(row)
        if held is not None and not tried:  # nothing out there to find
            return self._held(row, held)
        replier = replier_for(self.repliers, row)  # the source posting as its account
        if replier is None:  # refused at start-up; rows written under an older config
            fix = (
                f"add one with reply credentials, or set acknowledgements.modes.{platform} to off"
                if held is None  # else the mode sends nothing: only an earlier try's reply counts
                else "add one with reply credentials to look for an earlier attempt's reply"
            )
            raise DeliveryError(row.key, f"no {platform} source can reply: {fix}", retryable=False)
        via = source_name(replier)
        if tried:
            before = self._last_detail(row, "ack_attempt").get("via")
            if before and before != via:
                # find_reply looks in this source's account only: an earlier reply through
                # the other would not be found, and the customer answered twice
                raise _OutcomeUnknown(
                    row.key,
                    f"an earlier attempt went through source {before!r}, and {via!r} replies on "
                    f"{platform} now: it cannot see that reply",
                    retryable=False,
                )
            self._settled_or_wait(row)
            try:
                existing = replier.find_reply(in_reply_to)
            except ReplywatchError as exc:
                raise DeliveryError(
                    row.key,
                    f"cannot check for an earlier reply, not resending: {exc}",
                    retry_after_s=getattr(exc, "retry_after_s", None),
                ) from exc
            if existing is not None:
                self._record(row, existing, found=True)
                return {"reply_id": existing, "found": True}
            if held is not None:  # looked for, and not out there: it stays that way
                return self._held(row, held)
        skip = self._skip_reason(row)
        if skip is not None:
            self._skipped(row, skip)
            return {"skipped": skip}
        # committed before the call: whatever happens after it, a resend waits and looks
        self._note(row, "ack_attempt", {"attempt": row.attempts, "via": via}, claim=True)
        try:
            reply_id = replier.reply(in_reply_to, str(row.payload["text"]))
        except (AuthError, Refused) as exc:  # retrying cannot help: a person must act
            self._attempt_failed(row, str(exc), refused=True)
            raise DeliveryError(row.key, str(exc), retryable=False) from exc
        except ReplywatchError as exc:
            self._attempt_failed(row, str(exc))
            raise DeliveryError(
                row.key, str(exc), retry_after_s=getattr(exc, "retry_after_s", None)
            ) from exc
        self._record(row, reply_id, found=False)
        return {"reply_id": reply_id}

    def _skip_reason(self, row: Outbox) -> str | None:
        """Why the row's case needs no acknowledgement any more; ``None`` when it still does.
        Reads only."""
        with self.sessions() as session:
            case = session.get(Case, row.case_id)
            if case is None:
                return "the case is gone"
            if case.first_response_at is not None:
                return "a person already answered"
            if case.status == CaseStatus.DISMISSED:
                return "marked not a complaint"
            if case.status in CLOSED:
                return "the case is resolved"
            # answered or acknowledged in public some other way (a claim is not)
            return answered_in_public(session, case)

    def _attempt_failed(self, row: Outbox, error: str, *, refused: bool = False) -> None:
        """Note the failed attempt on the case: when it happened decides when to look again.
        ``refused``: the platform said no, so nothing went out; any other failure (a timeout,
        a 5xx) may have come after the platform took the reply."""
        detail = {"error": error[:500], "attempt": row.attempts, "refused": refused}
        self._note(row, "ack_attempt_failed", detail, shared_time=True)

    def _gave_up(self, row: Outbox, reason: str, *, sent: str = "Acknowledgement not sent") -> None:
        """The reply will not go out: an ``ack_failed`` event and an "Acknowledgement not
        sent" line (``sent`` says otherwise where it may have) in the case's thread, in one
        transaction (the line is an outbox row keyed by that event, as every case update is).

        Once per give-up: a give-up run again before any new attempt (a row reclaimed after
        its failure was noted but not marked, or requeued with nothing to reply through) finds
        its ``ack_failed`` still the case's latest reply event and adds nothing. A requeued
        row that tries the platform again and fails again is a new give-up, and says so."""
        now = self.clock()
        with self.sessions.begin() as session:
            case = session.get(Case, row.case_id)
            if case is None:
                return
            latest = session.scalar(
                select(CaseEvent.kind)
                .where(
                    CaseEvent.case_id == case.id,
                    CaseEvent.kind.in_(("ack_attempt", "ack_sent", "ack_failed")),
                )
                .order_by(CaseEvent.id.desc())
                .limit(1)
            )
            if latest == "ack_failed":
                return
            detail = {"error": reason[:500], "attempts": row.attempts}
            add_event(session, case, "ack_failed", actor=SYSTEM, now=now, detail=detail)
            line = f"{sent}: {_shorten(reason, 300)}"
            enqueue_case_update(session, case, self.settings, line=line, now=now)

    def _note(
        self,
        row: Outbox,
        kind: str,
        detail: dict[str, object],
        *,
        shared_time: bool = False,
        claim: bool = False,
    ) -> None:
        """Add a ``kind`` event to the row's case, in a transaction of its own. Its ``at`` is
        this host's time, as every event's; with ``shared_time`` its detail also holds the
        database's (``SHARED_AT``), which :meth:`_settled_or_wait` compares across hosts.

        With ``claim`` (it implies ``shared_time``) the event is written only while the row
        is still this claim's, its lock held to the commit; else a :class:`DeliveryError` that
        costs no attempt. An attempt noted so is seen by any sender that claims the row after
        (a lease run out, ``outbox retry --claimed`` under a sender still alive): it waits and
        looks for this reply rather than post its own."""
        now = self.clock()
        with self.sessions.begin() as session:
            if shared_time or claim:  # first: PostgreSQL's now() is when the transaction began
                detail = {**detail, SHARED_AT: shared_now(session, local=now).isoformat()}
            if claim and not outbox.still_claimed(session, row):
                raise DeliveryError(
                    row.key, "another sender holds this reply now; not sending it", counted=False
                )
            case = session.get(Case, row.case_id)
            if case is not None:
                add_event(session, case, kind, actor=SYSTEM, now=now, detail=detail)

    def _last_detail(self, row: Outbox, kind: str) -> Mapping[str, Any]:
        """The detail of the row's case's latest ``kind`` event; empty when there is none.
        ``ack_sent`` holds the reply an earlier attempt posted and recorded (the platform need
        not be asked, and must not be answered twice); ``ack_attempt`` the source the last
        attempt went through (``via``; none in one recorded before that was)."""
        with self.sessions() as session:
            detail = session.scalar(
                select(CaseEvent.detail)
                .where(CaseEvent.case_id == row.case_id, CaseEvent.kind == kind)
                .order_by(CaseEvent.id.desc())
                .limit(1)
            )
        return detail or {}

    def _in_doubt(self, row: Outbox) -> bool:
        """Whether an earlier attempt at the row's reply may have gone out, as far as its
        case's latest reply event says: an attempt with nothing after it (the sender died
        mid-send), or one that failed other than by the platform's refusal (a timeout may
        come after the post), when no later try could look for it on the platform. Before a
        send, it says whether to look for that reply first."""
        kinds = ("ack_attempt", "ack_attempt_failed", "ack_sent")
        with self.sessions() as session:
            latest = session.execute(
                select(CaseEvent.kind, CaseEvent.detail)
                .where(CaseEvent.case_id == row.case_id, CaseEvent.kind.in_(kinds))
                .order_by(CaseEvent.id.desc())
                .limit(1)
            ).first()
        if latest is None:
            return False
        kind, detail = latest
        return kind == "ack_attempt" or (
            kind == "ack_attempt_failed" and not (detail or {}).get("refused")
        )

    def _settled_or_wait(self, row: Outbox) -> None:
        """Platforms list a new reply with a delay (X's timelines are eventually consistent):
        ``find_reply`` right after an attempt could miss a reply that was posted. Wait until
        ``RESEND_SETTLE`` has passed since the last attempt began; the wait is not an
        attempt (the row comes back when it is over).

        Timed by the database's clock (:func:`~monitor.db.shared_now`) on both sides: the
        attempt may have been made by a daemon on another host, and by this host's clock, if
        it runs ahead of that one's, the settle time would be over at once. An event written
        before ``SHARED_AT`` was recorded is timed by its ``at`` and this host's clock."""
        local = self.clock()
        with self.sessions() as session:
            shared = shared_now(session, local=local)  # first: now() is the transaction's start
            last = session.execute(
                select(CaseEvent.at, CaseEvent.detail)
                .where(
                    CaseEvent.case_id == row.case_id,
                    # an attempt made before ack_attempt events were written left only this
                    CaseEvent.kind.in_(("ack_attempt", "ack_attempt_failed")),
                )
                .order_by(CaseEvent.id.desc())
                .limit(1)
            ).first()
        if last is None:
            return
        began = _shared_at(last.detail)
        since = shared - began if began is not None else local - last.at
        left = RESEND_SETTLE - since
        if left > timedelta(0):
            raise DeliveryError(
                row.key,
                "waiting for the platform to list recent replies",
                retry_after_s=left.total_seconds(),
                counted=False,
            )

    def _record(self, row: Outbox, reply_id: str, *, found: bool) -> None:
        """The reply is out: an ``ack_sent`` event, the case acknowledged (and its thread
        told), the reply's id in the row's result.

        Once per reply: a poll that read this reply back while the call was still in flight
        may have recorded it already (``ack_sent`` with ``polled``, by
        :meth:`~monitor.pipeline.Pipeline._is_our_acknowledgement`), and then only the
        row's result is added. The platform's store lock (:func:`~monitor.store.lock_platforms`,
        which every poll's transaction takes first) is taken before looking, so a poll
        storing that reply now is either seen here or, committing after, sees the id here."""
        now = self.clock()
        platform = str(row.payload["platform"])
        with self.sessions.begin() as session:
            lock_platforms(session, [platform])
            case = session.get(Case, row.case_id)
            if case is None:
                return
            via = f"{platform}:{reply_id}"
            if not _sent_recorded(session, case.id, reply_id):
                add_event(
                    session,
                    case,
                    "ack_sent",
                    actor=SYSTEM,
                    now=now,
                    detail={"reply_id": reply_id, "found_on_platform": found},
                )
            if acknowledge(session, case, actor=SYSTEM, now=now, via=via):
                enqueue_case_update(
                    session,
                    case,
                    self.settings,
                    line="Acknowledged in public",
                    now=now,
                    quote=str(row.payload.get("text") or ""),
                )
            stored = session.get(Outbox, row.id)
            if stored is not None:  # lets the pipeline recognise the reply when it polls it
                stored.result = {"reply_id": reply_id}

    def _skipped(self, row: Outbox, reason: str) -> None:
        self._note(row, "ack_skipped", {"reason": reason})

    def _held_by_mode(self, row: Outbox, platform: str) -> str | None:
        """Why the platform's acknowledgement mode, as configured now, forbids sending
        ``row``; ``None`` when it allows it: ``auto``, or ``approval`` with the reply approved
        by a person (the latest ``ack_queued`` event of its case is theirs, as
        :func:`~monitor.acknowledge.plan_acknowledgement` writes it)."""
        mode = self.settings.acknowledgements.mode(platform)
        if mode == "auto":
            return None
        if mode == "approval":
            with self.sessions() as session:
                queued_by = session.scalar(
                    select(CaseEvent.actor)
                    .where(CaseEvent.case_id == row.case_id, CaseEvent.kind == "ack_queued")
                    .order_by(CaseEvent.id.desc())
                    .limit(1)
                )
            if queued_by is not None and queued_by != SYSTEM:
                return None
            return f"acknowledgements on {platform} need approval, and nobody approved this one"
        return f"acknowledgements are {mode} for {platform}"

    def _held(self, row: Outbox, reason: str) -> dict[str, Any]:
        """Settle ``row`` unsent because of its platform's mode (:meth:`_held_by_mode`): an
        ``ack_skipped`` event; under ``approval`` also a line in the case's thread, whose
        update shows the "Send acknowledgement" button on a message posted under ``auto``.
        The result's ``held_by_mode`` lets that button send the reply after all
        (:func:`~monitor.acknowledge.plan_acknowledgement`).

        A case that needs no reply any more (:meth:`_skip_reason`: answered, closed,
        dismissed) is skipped instead, as it would be under ``auto``: no line inviting a
        person to press a button that would be refused."""
        skip = self._skip_reason(row)
        if skip is not None:
            self._skipped(row, skip)
            return {"skipped": skip}
        mode = self.settings.acknowledgements.mode(str(row.payload["platform"]))
        now = self.clock()
        with self.sessions.begin() as session:
            case = session.get(Case, row.case_id)
            if case is not None:
                detail = {"reason": reason, "mode": mode}
                add_event(session, case, "ack_skipped", actor=SYSTEM, now=now, detail=detail)
                if mode == "approval":
                    line = f"Acknowledgement not sent: {reason} (Send acknowledgement sends it)"
                    enqueue_case_update(session, case, self.settings, line=line, now=now)
        return {"skipped": reason, HELD_BY_MODE: mode}


def _sent_recorded(session: Session, case_id: int, reply_id: str) -> bool:
    """Whether the case has an ``ack_sent`` event for the reply ``reply_id`` already."""
    details = session.scalars(
        select(CaseEvent.detail).where(CaseEvent.case_id == case_id, CaseEvent.kind == "ack_sent")
    )
    return any(str((d or {}).get("reply_id")) == reply_id for d in details)


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _OutcomeUnknown(DeliveryError):
    """A reply given up whose earlier attempt may have gone out: told as such, not "not
    sent", or a person would answer the customer a second time."""


#: The thread line's start for a reply given up that may have gone out.
_MAY_HAVE_GONE = (
    "Acknowledgement given up, and it may have gone out: check the post before answering by hand"
)


def _shared_at(detail: Mapping[str, Any] | None) -> datetime | None:
    """When an attempt event was written, by the database's clock; ``None`` for an event
    written before that was recorded."""
    value = (detail or {}).get(SHARED_AT)
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def build_senders(
    sessions: sessionmaker[Session],
    settings: Settings,
    sink: Sink,
    *,
    repliers: Mapping[str, Replier] | None = None,
    clock: Callable[[], datetime],
) -> dict[str, Sender]:
    """One sender per outbox kind. Raises :class:`~monitor.errors.ConfigError` when an
    acknowledgement mode that sends has no replier able to carry it out
    (:func:`~monitor.acknowledge.check_reply_modes`): every reply would fail for good."""
    check_reply_modes(settings, repliers or {})
    s = _Senders(sessions, settings, sink, repliers or {}, clock)
    return {
        OutboxKind.ALERT: s.alert,
        OutboxKind.ALERT_UPDATE: s.update,
        OutboxKind.ESCALATION: s.escalation,
        OutboxKind.NOTICE: s.message,
        OutboxKind.PUBLIC_REPLY: s.reply,
    }


#: What :func:`collapse_backlog` folds: outbox kind -> (digest key prefix, title noun).
_FOLDED = {
    OutboxKind.ALERT: ("digest", "new complaints"),
    OutboxKind.ESCALATION: ("digest:clocks", "clock warnings and breaches"),
}


def _stale_escalation(
    session: Session, settings: Settings, row: Outbox, *, now: datetime
) -> str | None:
    """Why a warning or breach should no longer go out: every clock it names stopped, or its
    case closed, since it was written. Behind a Slack outage or a backlog, "Due soon" for a
    case answered an hour ago sends a lead chasing work that is done."""
    case = session.get(Case, row.case_id) if row.case_id is not None else None
    if case is None:
        return "the case is gone"
    if case.status in CLOSED:
        return f"the case is {case.status}"
    if case.team not in settings.teams:
        return None
    # a breach may tell of several clocks (``clocks``; rows written before that name one, as
    # ``fields.Clock``): stale once every one has stopped, as any still running needs doing
    names = row.payload.get("clocks") or [(row.payload.get("fields") or {}).get("Clock") or ""]
    states = clocks_for(case, settings, now=now)
    stopped = [str(n) for n in names if (s := states.get(str(n))) is not None and not s.running]
    if not stopped or len(stopped) < len(names):
        return None
    words = [clock_noun(n) for n in stopped]
    if len(words) == 1:
        return f"its {words[0]} clock stopped"
    return f"its {', '.join(words[:-1])} and {words[-1]} clocks stopped"


def _digest_line(item: Mapping[str, Any]) -> str:
    """One folded row as a line of its digest's plain text: ``RW-N title link``, each part
    only where the row has it (a notice has no case)."""
    case = None if item["case_id"] is None else f"RW-{item['case_id']}"
    return " ".join(str(part) for part in (case, item["title"], item["url"]) if part)


def collapse_backlog(session: Session, settings: Settings, *, now: datetime) -> list[str]:
    """Fold each channel's pending alerts, and its pending clock warnings and breaches, into
    one digest of each when there are more than ``alerts.digest_after``: in a crisis a
    hundred cases open, and an hour later a hundred clocks breach, at once. Whichever sink
    delivers them folds: a terminal flooded with a panel per case is as unreadable as a channel.

    Returns the digest keys written. The folded rows are marked sent with ``{"digest": key}``;
    a folded alert's case gets no message of its own (updates are dropped), and the digest
    lists each case with its link and a Claim button. A clock digest pings everyone the folded
    notices named, each once. Runs in the caller's transaction.

    The backlog is read ``FOR UPDATE SKIP LOCKED``, as :func:`outbox.claim` reads it: on
    PostgreSQL a row another daemon is claiming is left to it, and a row folded here cannot be
    claimed (and sent on its own) before the fold commits. SQLite has no row locks (SQLAlchemy
    leaves the clause out); its BEGIN IMMEDIATE already serialises the two.
    """
    query = (
        select(Outbox)
        .where(
            Outbox.kind.in_(list(_FOLDED)),
            Outbox.status == OutboxStatus.PENDING,
            Outbox.due_at <= now,
            # a row tried before may be on Slack already (its answer lost): its own sender
            # looks for it before resending, and keeps the case's message up to date
            Outbox.attempts == 0,
        )
        .order_by(Outbox.id)
        .with_for_update(skip_locked=True)
    )
    backlogs: dict[tuple[str, str], list[Outbox]] = {}
    for row in session.scalars(query):
        stale = None
        if row.kind == OutboxKind.ESCALATION:
            stale = _stale_escalation(session, settings, row, now=now)
        if stale is not None:  # settled here, as its sender would: neither folded nor sent
            row.status, row.sent_at, row.result = OutboxStatus.SENT, now, {"skipped": stale}
            continue
        backlogs.setdefault((row.kind, row.target), []).append(row)
    keys = []
    for (kind, channel), backlog in backlogs.items():
        if len(backlog) <= settings.alerts.digest_after:
            continue
        prefix, noun = _FOLDED[OutboxKind(kind)]
        key = f"{prefix}:{channel}:{backlog[0].id}-{backlog[-1].id}"
        items = [
            {
                "case_id": r.case_id,
                "title": str(r.payload.get("title", "")),
                "url": r.payload.get("url"),
                "text": str(r.payload.get("text") or ""),
                "fields": dict(r.payload.get("fields") or {}),
            }
            for r in backlog
        ]
        pinged = [m for r in backlog for m in (r.payload.get("extra") or {}).get("mentions") or ()]
        outbox.enqueue(
            session,
            key=key,
            kind=OutboxKind.NOTICE,
            target=channel,
            payload={
                "alert_kind": "digest",
                "title": f"{len(items)} {noun} in {channel}",
                "channel": channel,
                "text": "\n".join(_digest_line(i) for i in items),
                "extra": {
                    "alerts": items,
                    "total": len(items),
                    "mentions": list(dict.fromkeys(pinged))[:100],
                },
            },
            now=now,
        )
        for r in backlog:
            r.status = OutboxStatus.SENT
            r.sent_at = now
            r.result = {"digest": key}
        log.info("%d pending %s rows for %s folded into %s", len(backlog), kind, channel, key)
        keys.append(key)
    return keys
