"""The pipeline: one batch of posts in, stored posts, cases and outbox rows out.

    drop repeats -> brand's own posts become responses -> match entities (no match: dropped)
    -> classify -> language filter -> store -> open a case per complaint (routed by the
    routing rules, assigned within the team) -> enqueue its alert -> apply brand replies
    -> plan public acknowledgements (see :mod:`monitor.acknowledge`)

A brand reply that is one of our own acknowledgements (the outbox holds its key and text;
see :meth:`Pipeline._is_our_acknowledgement`) stops the acknowledgement clock only; any other
brand reply is a response.

Two steps, so the slow one holds no lock: :meth:`Pipeline.prepare` matches and classifies
with no database transaction open, then :meth:`Pipeline.record` stores and acts inside the
caller's transaction and never commits, so the poller commits a batch's posts, cases, outbox
rows and the source's cursor together.
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers.base import Classifier, Sentiment, Severity, Verdict
from monitor import store
from monitor.acknowledge import Templates, ack_key, load_templates
from monitor.cases import SYSTEM, acknowledge, add_event, cases_answered_by
from monitor.matching import Match, Watchlist
from monitor.models import BrandAccount, Case, CaseEvent, Outbox, Post
from monitor.notify import enqueue_case_update
from monitor.opening import (
    Complaint,
    answered,
    open_routed,
    primary_entity,
    settle_opened,
)
from monitor.outbox import LEASE
from monitor.settings import Settings
from sources.base import SourcePost

__all__ = ["BatchResult", "Pipeline", "Prepared"]

log = logging.getLogger(__name__)

#: The verdict of a post the classifier fails on even alone: a case at normal severity, so
#: a person reads it (a complaint missed is a customer ignored; the cause is in the log).
UNCLASSIFIED = Verdict(
    language="und",
    sentiment=Sentiment.NEUTRAL,
    sentiment_scores={"negative": 0.0, "neutral": 1.0, "positive": 0.0},
    complaint=1.0,
    is_complaint=True,
    severity=Severity.NORMAL,
    model="unclassified",
)


@dataclass
class Prepared:
    """A batch read and classified by :meth:`Pipeline.prepare`, not yet stored."""

    fetched: int
    repeats: int
    #: The brand's own posts: responses, never cases.
    own: list[SourcePost] = field(default_factory=list)
    #: Posts that mention an entity, with their matches and verdicts.
    kept: list[tuple[SourcePost, list[Match], Verdict]] = field(default_factory=list)
    #: Edits of posts already stored (a later ``version``), with their matches and verdicts.
    edits: list[tuple[SourcePost, list[Match], Verdict]] = field(default_factory=list)
    unmatched: int = 0
    language_filtered: int = 0


@dataclass
class BatchResult:
    """What one batch did; the counts feed logs, metrics and tests."""

    fetched: int = 0
    repeats: int = 0
    responses: int = 0
    unmatched: int = 0
    language_filtered: int = 0
    reposts: int = 0
    stored: int = 0
    edits: int = 0
    cases_opened: int = 0
    case_ids: list[int] = field(default_factory=list)

    def add(self, other: BatchResult) -> None:
        for name in (
            "fetched",
            "repeats",
            "responses",
            "unmatched",
            "language_filtered",
            "reposts",
            "stored",
            "edits",
            "cases_opened",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.case_ids.extend(other.case_ids)


class Pipeline:
    def __init__(self, settings: Settings, classifier: Classifier) -> None:
        self.settings = settings
        self.classifier = classifier
        self.watchlist = Watchlist(settings.entities)
        self._entities = {e.id: e for e in settings.entities}
        self.brand_handles = settings.brand_handles
        self.brand_ids: set[tuple[str, str]] = {
            (platform, account.native_id)
            for platform, accounts in settings.brand_accounts.items()
            for account in accounts
            if account.native_id
        }
        acks = settings.acknowledgements
        self.templates: Templates | None = load_templates(acks.templates) if acks.enabled else None

    def is_brand(self, post: SourcePost) -> bool:
        return (post.platform, post.author.handle.lower()) in self.brand_handles or (
            post.platform,
            post.author.native_id,
        ) in self.brand_ids

    def prepare(
        self, posts: Sequence[SourcePost], *, seen: Collection[tuple[str, str]] = ()
    ) -> Prepared:
        """Read and understand a batch without the database: drop repeats (within the batch
        and those in ``seen``, the keys already stored), set the brand's own posts aside as
        responses, match the rest and classify the matches. An edit of a post in ``seen`` (a
        later ``version``) is read again, to revise the stored post. The caller runs this
        outside any write transaction: on SQLite a transaction holds the one write lock, and a
        slow classifier must not make Slack's button clicks wait for it."""
        latest: dict[tuple[str, str], SourcePost] = {}
        for post in posts:  # of several versions of one post, the last edit
            key = (post.platform, post.native_id)
            if key not in latest or _edit_order(post) > _edit_order(latest[key]):
                latest[key] = post
        fresh = [p for k, p in latest.items() if k not in seen]
        edits = [p for k, p in latest.items() if k in seen and p.version and not self.is_brand(p)]
        prepared = Prepared(fetched=len(posts), repeats=len(posts) - len(fresh) - len(edits))
        others: list[SourcePost] = []
        for post in fresh:
            (prepared.own if self.is_brand(post) else others).append(post)
        # new posts and edits are matched and classified together, then kept apart. An edit
        # is read even when it no longer names an entity (or not in a watched language): the
        # stored post, and the case the team answers from, must say what the author says now
        read = [(p, prepared.kept) for p in others] + [(p, prepared.edits) for p in edits]
        matches = self.watchlist.match_many(
            [p.text for p, _ in read], [p.platform for p, _ in read]
        )
        candidates = [
            (p, to, m)
            for (p, to), m in zip(read, matches, strict=True)
            if m or to is prepared.edits
        ]
        prepared.unmatched = len(read) - len(candidates)
        verdicts = self._classify([p for p, _, _ in candidates]) if candidates else []
        for (post, to, found), verdict in zip(candidates, verdicts, strict=True):
            allowed = [m for m in found if self._language_allowed(m.entity_id, verdict.language)]
            if allowed or to is prepared.edits:
                to.append((post, allowed, verdict))
            else:
                prepared.language_filtered += 1
        return prepared

    def record(
        self, session: Session, source: str, prepared: Prepared, *, now: datetime
    ) -> BatchResult:
        """Store a prepared batch and act on it, in the caller's write transaction: posts,
        authors and matches, a case and its alert per complaint, edits applied to the posts
        they edit, brand replies applied. Posts stored since :meth:`prepare` looked (by another
        writer) count as repeats.

        First it waits for any other transaction storing posts of the batch's platforms (or
        opening a case on them) to commit (:func:`~monitor.store.lock_platforms`), so a brand
        reply and the complaint it answers, polled by two sources at once, meet."""
        keys = [(p.platform, p.native_id) for p in prepared.own + [p for p, _, _ in prepared.kept]]
        edit_keys = [(p.platform, p.native_id) for p, _, _ in prepared.edits]
        store.lock_platforms(session, [platform for platform, _ in keys + edit_keys])
        stored = store.seen_keys(session, keys + edit_keys)
        own = [p for p in prepared.own if (p.platform, p.native_id) not in stored]
        kept = [k for k in prepared.kept if (k[0].platform, k[0].native_id) not in stored]
        edits = [e for e in prepared.edits if (e[0].platform, e[0].native_id) in stored]
        # an edit of a post no longer stored is a new post, if it names an entity itself
        gone = [e for e in prepared.edits if (e[0].platform, e[0].native_id) not in stored]
        kept += [e for e in gone if e[1]]
        result = BatchResult(
            fetched=prepared.fetched,
            repeats=prepared.repeats + len(stored) - len(edits),
            unmatched=prepared.unmatched + sum(1 for e in gone if not e[1]),
            language_filtered=prepared.language_filtered,
        )

        ids = self._store(session, source, kept, own, now=now)
        result.stored = len(kept)
        result.responses = len(own)

        wanted = []
        for post, found, verdict in kept:
            if post.repost_of is not None:
                result.reposts += 1  # amplification, stored for volume; never a new case
            elif verdict.is_complaint:
                wanted.append((ids[(post.platform, post.native_id)], found, verdict))
        wanted += self._revise(session, edits, result, now=now)
        rows = store.load_posts(session, [post_id for post_id, _, _ in wanted])
        complaints = [
            Complaint(
                rows[post_id],
                primary_entity(self._entities[m.entity_id] for m in found),
                verdict.language,
                str(verdict.severity),
            )
            for post_id, found, verdict in wanted
        ]
        opened = open_routed(session, self.settings, complaints, now=now)
        result.cases_opened = len(opened)
        result.case_ids = [case.id for case in opened]

        self._apply_responses(session, own, now=now)
        settle_opened(session, self.settings, opened, self.templates, now=now)
        return result

    def _store(
        self,
        session: Session,
        source: str,
        kept: list[tuple[SourcePost, list[Match], Verdict]],
        own: list[SourcePost],
        *,
        now: datetime,
    ) -> dict[tuple[str, str], int]:
        """Store the batch's authors, posts and matches; post ids by (platform, native id).

        Column dicts and executemany rather than ORM objects: on SQLite the ORM sends one
        INSERT per row to read each new id back (about 17,000 statements for 5,000 posts),
        here it is a few statements per table. :meth:`process` loads back as objects only the
        complaints, which open cases.
        """
        authors = store.author_ids(
            session, own + [p for p, _, _ in kept], brand=self.brand_handles, now=now
        )
        ids = store.insert_posts(
            session,
            [self._post_values(p, source, authors, verdict=v, now=now) for p, _, v in kept]
            + [self._post_values(p, source, authors, verdict=None, now=now) for p in own],
        )
        store.insert_matches(
            session,
            [
                {
                    "post_id": ids[(p.platform, p.native_id)],
                    "entity_id": m.entity_id,
                    "term": m.term,
                }
                for p, found, _ in kept
                for m in found
            ],
        )
        return ids

    def _revise(
        self,
        session: Session,
        edits: list[tuple[SourcePost, list[Match], Verdict]],
        result: BatchResult,
        *,
        now: datetime,
    ) -> list[tuple[int, list[Match], Verdict]]:
        """Edits rewrite the stored posts they edit: text, link and verdict (its matches stay
        those of the first version), whether or not the edit still names an entity. A case on
        the post gets an ``edited`` event and its message is rewritten with the new text; a
        post the edit makes a complaint that still names a watched entity is returned, to open
        its case. Never a second post, never a second case.

        A version already applied, or older than the one stored (``posts.version``), counts as
        a repeat: X pages newest first, so a later edit can be read before an earlier one (page
        1, then page 2), and a retweet made before the last edit brings an earlier one back.
        Applied, it would put words the author took back in the post, its verdict and its case.
        """
        wanted = []
        for post, found, verdict in edits:
            row = session.scalar(
                select(Post).where(Post.platform == post.platform, Post.native_id == post.native_id)
            )
            if (
                row is None
                or row.is_brand_response
                or _edit_order(post) <= _version_order(row.version)
                or (row.text, row.url) == (post.text, post.url)
            ):
                result.repeats += 1
                continue
            result.edits += 1
            row.text = post.text
            row.url = post.url
            row.version = post.version
            for name, value in _verdict_values(post, verdict).items():
                setattr(row, name, value)
            case = session.scalar(select(Case).where(Case.post_id == row.id))
            if case is not None:
                detail = {"version": post.version}
                add_event(session, case, "edited", actor=SYSTEM, now=now, detail=detail)
                enqueue_case_update(
                    session, case, self.settings, line="The author edited the post", now=now
                )
            elif verdict.is_complaint and found and not post.repost_of:
                wanted.append((row.id, found, verdict))
        return wanted

    # -- helpers ----------------------------------------------------------------------------
    def _classify(self, posts: list[SourcePost]) -> list[Verdict]:
        """A verdict per post; a classifier that fails on the batch classifies each post
        alone, and a post it fails on even then gets :data:`UNCLASSIFIED`. One post that
        trips a classifier bug would otherwise fail its batch at every poll: the cursor
        could never pass it, and nothing after it would be heard."""
        try:
            return self.classifier.classify([p.text for p in posts])
        except Exception:
            log.exception("classifier failed on a batch of %d; one at a time", len(posts))
        verdicts = []
        for post in posts:
            try:
                (verdict,) = self.classifier.classify([post.text])
            except Exception:
                log.exception(
                    "classifier failed on %s post %s; opening a case unclassified",
                    post.platform,
                    post.native_id,
                )
                verdict = UNCLASSIFIED
            verdicts.append(verdict)
        return verdicts

    def _language_allowed(self, entity_id: str, language: str) -> bool:
        wanted = self._entities[entity_id].languages
        return not wanted or language in wanted or language == "und"

    @staticmethod
    def _post_values(
        post: SourcePost,
        source: str,
        authors: dict[tuple[str, str], int],
        *,
        verdict: Verdict | None,
        now: datetime,
    ) -> dict[str, Any]:
        """A post's column values; ``verdict`` ``None``: the brand's own post, a response.
        Every dict has the same keys, as one executemany needs."""
        return {
            "platform": post.platform,
            "native_id": post.native_id,
            "source": source,
            "author_id": authors[(post.platform, post.author.native_id)],
            "text": post.text,
            "url": post.url,
            "kind": "repost" if post.repost_of else post.kind,
            "in_reply_to": post.in_reply_to,
            "repost_of": post.repost_of,
            "conversation_id": post.conversation_id,
            "version": post.version,
            "created_at": post.created_at,
            "fetched_at": now,
            "is_brand_response": verdict is None,
            **_verdict_values(post, verdict),
        }

    def _apply_responses(self, session: Session, own: list[SourcePost], *, now: datetime) -> None:
        """The brand's replies stop the clocks of the cases they answer."""
        if not own:
            return
        accounts = {(a.platform, a.handle): a for a in session.scalars(select(BrandAccount))}
        by_platform: dict[str, list[SourcePost]] = {}
        acks = {p.native_id for p in own if self._is_our_acknowledgement(session, p, now=now)}
        for post in own:
            by_platform.setdefault(post.platform, []).append(post)
            account = accounts.get((post.platform, post.author.handle.lower()))
            if (
                account is not None
                and post.native_id not in acks  # a template is not a person answering
                and (account.last_reply_at is None or post.created_at > account.last_reply_at)
            ):
                account.last_reply_at = post.created_at
        for platform, replies in by_platform.items():
            targets = [p.in_reply_to for p in replies if p.in_reply_to]
            cases = cases_answered_by(session, platform, targets)
            for reply in sorted(replies, key=lambda p: p.created_at):
                case = cases.get(reply.in_reply_to or "")
                if case is None:
                    continue
                via = f"{platform}:{reply.native_id}"
                if reply.native_id in acks:
                    if acknowledge(session, case, actor=SYSTEM, now=now, via=via):
                        # quoted as the sender quotes it, which finds it recorded here
                        enqueue_case_update(
                            session,
                            case,
                            self.settings,
                            line="Acknowledged in public",
                            now=now,
                            quote=reply.text,
                            quote_url=reply.url,
                        )
                    continue
                answered(
                    session,
                    self.settings,
                    case,
                    at=reply.created_at,
                    handle=reply.author.handle,
                    via=via,
                    now=now,
                )

    @staticmethod
    def _is_our_acknowledgement(session: Session, reply: SourcePost, *, now: datetime) -> bool:
        """Whether ``reply`` is the templated acknowledgement we posted for its parent.

        It is when its id is the one the sender recorded; or when its text is the template's
        as the platform gives it back (:func:`_bare`: X returns every link as a t.co link); or
        when it is the replying account's reply made while an attempt to post ours was in
        flight and its outcome is unknown (:func:`_unconfirmed_attempts`, give or take
        ``ACK_SKEW``). The last two are how our reply is known when its id is not: the
        platform took it but the call timed out, or the sender died, before the id came back
        (the double-reply case), and a poll reads the brand's replies before the resend's
        ``find_reply`` looks.

        Known so while an attempt is unconfirmed, it is recorded as the ``ack_sent`` the
        sender missed: the resend takes it as sent, rather than trust ``find_reply`` alone (a
        timeline that does not list the reply yet would mean a second one in public).

        What can go wrong: a person answering from that account within minutes of an attempt
        that timed out, in words unlike the template, is taken for the template. The case then
        reads unanswered and its clocks warn: a false alarm, where the opposite mistake (our
        template taken for a person) stops the clocks and nobody is ever warned."""
        if not reply.in_reply_to:
            return False
        row = session.scalar(
            select(Outbox).where(Outbox.key == ack_key(reply.platform, reply.in_reply_to))
        )
        if row is None:
            return False
        if (row.result or {}).get("reply_id") == reply.native_id:
            return True
        events = [
            (kind, at, detail or {})
            for kind, at, detail in session.execute(
                select(CaseEvent.kind, CaseEvent.at, CaseEvent.detail)
                .where(CaseEvent.case_id == row.case_id, CaseEvent.kind.in_(_REPLY_EVENTS))
                .order_by(CaseEvent.id)
            )
        ]
        confirmed = any(kind == "ack_sent" for kind, _, _ in events)
        unknown = [] if confirmed else _unconfirmed_attempts(events)
        account = str(row.payload.get("account") or "").lower()
        at = reply.created_at
        ours = _bare(reply.text) == _bare(str(row.payload.get("text") or "")) or (
            reply.author.handle.lower() == account
            and any(began - ACK_SKEW <= at <= ended + ACK_SKEW for began, ended in unknown)
        )
        case = session.get(Case, row.case_id) if row.case_id is not None else None
        if ours and unknown and case is not None:
            detail = {"reply_id": reply.native_id, "found_on_platform": True, "polled": True}
            add_event(session, case, "ack_sent", actor=SYSTEM, now=now, detail=detail)
        return ours


def _verdict_values(post: SourcePost, verdict: Verdict | None) -> dict[str, Any]:
    """A post's columns that hold its verdict; ``verdict`` ``None``: the brand's own post."""
    return {
        "language": post.lang if verdict is None else verdict.language,
        "sentiment": None if verdict is None else str(verdict.sentiment),
        "sentiment_scores": None
        if verdict is None
        else {k: round(float(v), 4) for k, v in verdict.sentiment_scores.items()},
        "complaint": None if verdict is None else round(float(verdict.complaint), 4),
        "severity": None if verdict is None else str(verdict.severity),
        "severity_reasons": None if verdict is None else [str(r) for r in verdict.reasons],
        "classifier": None if verdict is None else verdict.model,
    }


def _edit_order(post: SourcePost) -> tuple[int, str]:
    """Orders the versions of one post: see :func:`_version_order`."""
    return _version_order(post.version)


def _version_order(version: str | None) -> tuple[int, str]:
    """Orders the versions of one post: the first (``None``), then its edits, whose ids (X's
    snowflakes, decimal with no leading zero) grow with time."""
    version = version or ""
    return len(version), version


#: The case events that tell a public reply's attempts and their outcomes, oldest first.
_REPLY_EVENTS = ("ack_attempt", "ack_attempt_failed", "ack_sent")
#: How far a reply's time on the platform may fall outside our call that posted it: this
#: host's clock and the platform's disagree, and a platform may finish a post after the call
#: timed out.
ACK_SKEW = timedelta(minutes=2)
#: A word holding a link: X returns each (a bare domain such as ``novabrew.com/help`` too) as
#: a ``https://t.co/...`` link, so links are compared as links, not by their text.
_LINK = re.compile(r"://|\bwww\.|[\w-]\.[^\W\d_]{2,}\b")


def _unconfirmed_attempts(
    events: Sequence[tuple[str, datetime, Mapping[str, Any]]],
) -> list[tuple[datetime, datetime]]:
    """When each attempt that may have posted our reply, its id never recorded, was in
    flight: (began, ended) by this host's clock. ``events`` are the case's ``_REPLY_EVENTS``,
    oldest first, with no ``ack_sent`` among them. An attempt runs from its ``ack_attempt`` to
    the ``ack_attempt_failed`` that ended it (one that says ``refused`` posted nothing and is
    left out); with none, the sender died mid-call (or is still in it): to the next attempt,
    which waited for its lease to run out, or to the end of that lease."""
    spans: list[tuple[datetime, datetime]] = []
    began: datetime | None = None
    for kind, when, detail in events:
        if kind == "ack_attempt":
            if began is not None:
                spans.append((began, when))
            began = when
        elif kind == "ack_attempt_failed" and began is not None:
            if not detail.get("refused"):
                spans.append((began, when))
            began = None
    if began is not None:
        spans.append((began, began + LEASE))
    return spans


def _bare(text: str) -> str:
    """A reply's text as the template it was posted from can be compared with it, whatever
    the platform did to it: HTML entities unescaped (``&amp;``), Unicode composed alike
    (NFKC), the leading @mentions a platform prefixes dropped, each word holding a link one
    placeholder (X returns every link as a t.co link), case and spaces folded."""
    words = unicodedata.normalize("NFKC", html.unescape(text)).casefold().split()
    while words and words[0].startswith("@"):
        words.pop(0)
    return " ".join("\x00link" if _LINK.search(word) else word for word in words)
