"""Public acknowledgements: a templated reply on the platform, at most once per case.

Double-replying in public is the worst failure this product can have, so every guard sits
here and in :mod:`monitor.delivery`:

- off unless ``acknowledgements.modes`` turns a platform on; ``dry-run`` records what would
  be sent (a case event and a log line) and enqueues nothing; ``approval`` sends only when a
  person presses "Send acknowledgement"; ``auto`` sends ``delay`` after the case opens;
- one per case: the outbox key ``ack:{platform}:{native_id}`` is unique, so a restart, a
  double click or a second daemon can never enqueue a second one;
- never to the brand's own accounts, never for staff mentions, at most
  ``per_author_per_day`` per author and ``per_account_per_hour`` per replying account;
- skipped at send time when the case is already answered or acknowledged in public
  (:func:`answered_in_public`: a person answered, our template was read back, or a brand
  account's reply to the post is stored), though not because someone claimed it (a claim is
  internal); and before any resend the platform is asked (``find_reply``) whether the reply
  already exists;
- the mode is read again at send time: a reply queued under ``auto`` is not sent once the
  platform is turned ``off`` or to ``dry-run``, nor under ``approval`` until a person presses
  the button (which then sends that reply: its row, settled with :data:`HELD_BY_MODE` in its
  result, is put back in line rather than counted as the case's one acknowledgement);
- ``approval`` and ``auto`` only where a source can reply: :func:`check_reply_modes` refuses
  at start-up (and in ``check-config``) a mode no configured source could ever carry out, as
  with no X source, or one with only a bearer token. Otherwise the button would say
  "Sending" and the reply fail for good where nobody looks;
- from the brand account that answers for the case's team (:func:`reply_account`), through
  the source holding that account's credentials where a platform has several
  (:mod:`monitor.reply_sources`, which also holds the checks above).

Templates live in ``monitor/templates/<language>.yaml`` (shipped in the package; point
``acknowledgements.templates`` at a copy to write your own) with ``default``, ``high`` and
``critical`` keys. They may use only ``{brand}`` and ``{case_ref}``: the author's words are
never echoed back (a template that asks for anything else is refused when loaded).
"""

from __future__ import annotations

import logging
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor import outbox
from monitor.cases import CLOSED, SYSTEM, add_event
from monitor.errors import ConfigError
from monitor.models import Case, CaseEvent, Outbox, OutboxKind, OutboxStatus, Post
from monitor.reply_sources import (
    check_reply_modes,
    missing_reply_credentials,
    reply_account,
    source_repliers,
)
from monitor.routing import public_reply_allowed
from monitor.settings import Settings

__all__ = [
    "DEFAULT_TEMPLATES",
    "HELD_BY_MODE",
    "SAFE_VARIABLES",
    "AckDecision",
    "Templates",
    "ack_key",
    "answered_in_public",
    "case_ref",
    "check_reply_modes",
    "decide",
    "load_templates",
    "missing_reply_credentials",
    "plan_acknowledgement",
    "reply_account",
    "source_repliers",
]

log = logging.getLogger(__name__)

DEFAULT_TEMPLATES = Path(__file__).resolve().parent / "templates"
SAFE_VARIABLES = frozenset({"brand", "case_ref"})
#: A reply's outbox result key when the sender held it back because of the platform's mode
#: as configured at send time (its value: that mode). Nothing was sent for it.
HELD_BY_MODE = "held_by_mode"
_KEYS = ("default", "high", "critical")


def ack_key(platform: str, native_id: str) -> str:
    return f"ack:{platform}:{native_id}"


def case_ref(case: Case) -> str:
    return f"RW-{case.id}"


class Templates:
    """Reply templates by language and severity, checked when loaded."""

    def __init__(self, by_language: Mapping[str, Mapping[str, str]]) -> None:
        if "en" not in by_language:
            raise ConfigError("acknowledgements.templates", "an en.yaml template file is required")
        self.by_language = {lang: dict(t) for lang, t in by_language.items()}

    def pick(self, language: str | None, severity: str) -> tuple[str, str, str]:
        """(language, key, template): the post's language if there is one, else English."""
        lang = language if language in self.by_language else "en"
        key = severity if severity in ("high", "critical") else "default"
        templates = self.by_language[lang]
        return lang, key, templates.get(key) or templates["default"]

    def render(self, language: str | None, severity: str, *, brand: str, ref: str) -> str:
        _, _, template = self.pick(language, severity)
        return template.format_map({"brand": brand, "case_ref": ref})


def _check_template(text: str, where: str) -> str:
    for _, name, spec, conversion in string.Formatter().parse(text):
        if name is None:
            continue
        if name not in SAFE_VARIABLES or spec or conversion:
            raise ConfigError(
                where,
                f"uses {{{name}}}; templates may use only {sorted(SAFE_VARIABLES)} "
                "(never the author's text)",
            )
    return text


def load_templates(directory: Path | None = None) -> Templates:
    """Read ``<lang>.yaml`` files from ``directory`` (the shipped set when ``None``)."""
    base = directory or DEFAULT_TEMPLATES
    if not base.is_dir():  # glob finds nothing in a missing folder: say what is wrong
        what = "is a file, not a folder" if base.exists() else "does not exist"
        raise ConfigError(
            "acknowledgements.templates",
            f"{base} {what}; make it a folder of <lang>.yaml templates, or leave templates "
            "unset for the shipped ones",
        )
    found: dict[str, dict[str, str]] = {}
    for path in sorted(base.glob("*.yaml")):
        where = f"acknowledgements.templates ({path.name})"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(where, f"cannot read: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("default"), str):
            raise ConfigError(where, "expected a mapping with at least a 'default' text")
        unknown = sorted(set(data) - set(_KEYS))
        if unknown:
            raise ConfigError(where, f"unknown keys {unknown}; expected {list(_KEYS)}")
        found[path.stem] = {
            k: _check_template(" ".join(str(v).split()), f"{where}.{k}") for k, v in data.items()
        }
    if not found:
        raise ConfigError("acknowledgements.templates", f"no *.yaml templates in {base}")
    return Templates(found)


@dataclass(frozen=True, slots=True)
class AckDecision:
    #: ``send`` (enqueue), ``dry_run`` (record only) or ``skip``.
    action: str
    reason: str
    text: str | None = None


def decide(
    *,
    mode: str,
    approved: bool,
    public_allowed: bool,
    author_is_brand: bool,
    answered: bool,
    closed: bool,
    already: bool,
    has_account: bool,
    author_recent: int,
    per_author_per_day: int,
    account_recent: int,
    per_account_per_hour: int,
) -> AckDecision:
    """Whether to acknowledge, from facts alone; the first reason to refuse wins."""
    if mode == "off":
        return AckDecision("skip", f"acknowledgements are off for this platform ({mode})")
    if already:
        return AckDecision("skip", "already acknowledged (one per case)")
    if not public_allowed:
        return AckDecision("skip", "staff mention: never answered in public")
    if author_is_brand:
        return AckDecision("skip", "the author is one of the brand's own accounts")
    if closed:
        return AckDecision("skip", "the case is closed")
    if answered:
        return AckDecision("skip", "a person already answered")
    if not has_account:
        return AckDecision("skip", "no brand account to reply from on this platform")
    if author_recent >= per_author_per_day:
        return AckDecision("skip", f"author limit reached ({per_author_per_day} per day)")
    if account_recent >= per_account_per_hour:
        return AckDecision("skip", f"account limit reached ({per_account_per_hour} per hour)")
    if mode == "dry-run":
        return AckDecision("dry_run", "dry-run: recorded, not sent")
    if mode == "approval" and not approved:
        return AckDecision("skip", "waiting for approval in Slack")
    return AckDecision("send", "approved" if approved else "automatic")


def answered_in_public(session: Session, case: Case) -> str | None:
    """Why ``case`` must get no templated acknowledgement now, because it has had a public
    answer; ``None`` when nothing stored says so. Read by the sender before it posts.

    - a person answered (``first_response_at``: a brand account's reply linked to the case,
      or "Mark responded");
    - it was acknowledged in public: an ``acknowledged`` event, which only a reply on the
      platform writes (:func:`~monitor.cases.acknowledge` with the reply as ``via``: our
      template read back by a poll, say one a person pasted by hand), or an ``ack_sent``;
    - a brand account's reply to the case's post is stored (``in_reply_to`` its native id,
      ``is_brand_response``, same platform) though the case was never linked to it: a reply
      and a complaint stored at once, before :func:`~monitor.store.lock_platforms` made them
      meet, left such rows; or a pasted template read back after a person claimed the case.

    A claim is not a public answer: it sets ``acknowledged_at`` (the acknowledge clock) and
    writes a ``claimed`` event, never ``acknowledged``, so a claimed case still gets its reply.
    """
    if case.first_response_at is not None:
        return "a person already answered"
    public = session.execute(
        select(CaseEvent.detail)
        .where(CaseEvent.case_id == case.id, CaseEvent.kind.in_(("acknowledged", "ack_sent")))
        .order_by(CaseEvent.id)
        .limit(1)
    ).first()
    if public is not None:
        detail = public.detail or {}
        reply_id = detail.get("reply_id")
        seen = detail.get("via") or (f"{case.post.platform}:{reply_id}" if reply_id else None)
        return "already acknowledged in public" + (f" ({seen})" if seen else "")
    post = case.post
    reply = session.scalar(
        select(Post)
        .where(
            Post.platform == post.platform,
            Post.in_reply_to == post.native_id,
            Post.is_brand_response.is_(True),
        )
        .order_by(Post.created_at, Post.id)
        .limit(1)
    )
    if reply is not None:
        return (
            f"a brand account already replied to the post "
            f"(@{reply.author.handle}, {reply.platform}:{reply.native_id})"
        )
    return None


def _brand_name(settings: Settings, entity_id: str) -> str:
    entity = settings.entity(entity_id)
    if entity.kind == "brand":
        return entity.name
    brand = next((e for e in settings.entities if e.kind == "brand"), entity)
    return brand.name


def plan_acknowledgement(
    session: Session,
    case: Case,
    settings: Settings,
    templates: Templates,
    *,
    now: datetime,
    approved_by: str | None = None,
) -> AckDecision:
    """Decide and act: enqueue the reply, record a dry run, or note why not. Never commits.

    ``approved_by`` is the person who pressed "Send acknowledgement" (approval mode); automatic
    acknowledgements wait ``acknowledgements.delay`` so a person can answer first.
    """
    cfg = settings.acknowledgements
    post = case.post
    mode = cfg.mode(post.platform)
    key = ack_key(post.platform, post.native_id)
    account = reply_account(settings, post.platform, case.team)
    existing = session.scalar(select(Outbox).where(Outbox.key == key))
    # a reply held back by the mode at send time was never sent: a person's approval sends it
    held = (
        existing
        if existing is not None
        and approved_by is not None
        and existing.status == OutboxStatus.SENT
        and HELD_BY_MODE in (existing.result or {})
        else None
    )
    already = existing is not None and held is None
    author_recent = (
        session.scalar(
            select(func.count())
            .select_from(Outbox)
            .join(Case, Outbox.case_id == Case.id)
            .join(Post, Case.post_id == Post.id)
            .where(
                Outbox.kind == OutboxKind.PUBLIC_REPLY,
                Post.author_id == post.author_id,
                Outbox.created_at > now - timedelta(days=1),
                Outbox.key != key,  # a held reply of this case, being approved
            )
        )
        or 0
    )
    account_recent = (
        session.scalar(
            select(func.count())
            .select_from(Outbox)
            .where(
                Outbox.kind == OutboxKind.PUBLIC_REPLY,
                Outbox.target == f"{post.platform}:{account}",
                Outbox.created_at > now - timedelta(hours=1),
                Outbox.key != key,
            )
        )
        or 0
    )
    decision = decide(
        mode=mode,
        approved=approved_by is not None,
        public_allowed=public_reply_allowed(settings.entity(case.entity_id)),
        author_is_brand=post.author.is_brand
        or (post.platform, post.author.handle.lower()) in settings.brand_handles,
        answered=case.first_response_at is not None,
        closed=case.status in CLOSED,
        already=already,
        has_account=account is not None,
        author_recent=author_recent,
        per_author_per_day=cfg.per_author_per_day,
        account_recent=account_recent,
        per_account_per_hour=cfg.per_account_per_hour,
    )
    actor = approved_by or SYSTEM
    if decision.action == "skip":
        if mode != "off" and not decision.reason.startswith("waiting"):
            add_event(
                session,
                case,
                "ack_skipped",
                actor=actor,
                now=now,
                detail={"reason": decision.reason},
            )
        return decision
    language, template_key, _ = templates.pick(post.language, case.severity)
    text = templates.render(
        post.language,
        case.severity,
        brand=_brand_name(settings, case.entity_id),
        ref=case_ref(case),
    )
    detail = {"text": text, "account": account, "language": language, "template": template_key}
    if decision.action == "dry_run":
        log.info("dry-run acknowledgement for case %s on %s: %s", case.id, post.platform, text)
        add_event(session, case, "ack_dry_run", actor=actor, now=now, detail=detail)
        return AckDecision("dry_run", decision.reason, text)
    due = now if approved_by is not None else now + cfg.delay
    target = f"{post.platform}:{account}"
    payload = {"platform": post.platform, "in_reply_to": post.native_id, **detail}
    if held is not None:  # back in line; one tried is looked for first (its case's events)
        held.target, held.payload, held.due_at = target, payload, due
        held.status = OutboxStatus.PENDING
        held.sent_at = held.result = held.last_error = None
    else:
        outbox.enqueue(
            session,
            key=key,
            kind=OutboxKind.PUBLIC_REPLY,
            target=target,
            payload=payload,
            case_id=case.id,
            now=now,
            due_at=due,
        )
    add_event(
        session, case, "ack_queued", actor=actor, now=now, detail={**detail, "due": due.isoformat()}
    )
    return AckDecision("send", decision.reason, text)
