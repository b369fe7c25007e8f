"""What replywatch tells people: alert payloads for cases, written to the outbox.

Payloads are plain JSON (title, fields, text, link) so every sink renders them its own way:
the console as a rich panel, Slack as Block Kit. The post's text is carried as data, never
as markup; each sink escapes it for its medium.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from monitor import outbox
from monitor.models import Case, OutboxKind
from monitor.settings import Settings

__all__ = ["alert_key", "case_alert_payload", "enqueue_case_alert"]


def alert_key(case: Case) -> str:
    """Stable across retries and restarts: one alert per post, ever."""
    return f"alert:{case.post.platform}:{case.post.native_id}"


def case_alert_payload(case: Case, settings: Settings) -> dict[str, Any]:
    post = case.post
    entity = settings.entity(case.entity_id)
    author = post.author
    reach = f" ({author.followers:,} followers)" if author.followers is not None else ""
    reasons = ", ".join(r.replace("_", " ") for r in (post.severity_reasons or []))
    severity = case.severity + (f": {reasons}" if reasons else "")
    return {
        "title": f"{case.severity.upper()} complaint about {entity.name} on {post.platform}",
        "channel": settings.teams[case.team].slack_channel,
        "case_id": case.id,
        "text": post.text,
        "url": post.url,
        "fields": {
            "Entity": f"{entity.name} ({entity.kind})",
            "Platform": post.platform,
            "Author": f"@{author.handle}{reach}",
            "Language": post.language or "und",
            "Sentiment": f"{post.sentiment} (complaint {post.complaint:.0%})"
            if post.complaint is not None
            else str(post.sentiment),
            "Severity": severity,
            "Team": case.team,
            "Owner": case.owner or "unassigned",
        },
    }


def enqueue_case_alert(session: Session, case: Case, settings: Settings, *, now: datetime) -> None:
    payload = case_alert_payload(case, settings)
    outbox.enqueue(
        session,
        key=alert_key(case),
        kind=OutboxKind.ALERT,
        target=payload["channel"],
        payload=payload,
        case_id=case.id,
        now=now,
    )
