"""One error tree for replywatch.

Every error the product raises on purpose descends from :class:`ReplywatchError`, so a loop
can tell "expected, log at info and back off" from "a bug, log the traceback and skip":

    ReplywatchError
    ├── ConfigError(field, value, expected)      a bad settings file or environment
    ├── StorageError                             database unreachable or schema out of date
    ├── SourceError(source)                      a platform failed; the cursor stays put
    │   ├── RateLimited(retry_after_s)           429 or an exhausted budget: wait, then resume
    │   ├── SourceUnavailable                    5xx, timeouts, connection errors: back off
    │   ├── MalformedResponse                    a body we cannot parse: log, skip, keep cursor
    │   ├── AuthError                            expired or revoked credentials: a person must act
    │   └── Refused                              one stream refused for good (a private
    │                                            subreddit, a rejected query): set it aside
    ├── ClassifierError                          a model could not be loaded or run
    ├── DeliveryError(outbox_key)                an outward effect (Slack, a public reply) failed
    └── SkipPost                                 a pipeline hook vetoes one post (not a failure)

Library errors (praw, tweepy, slack-sdk, SQLAlchemy) are translated where they are caught,
with ``raise ... from exc`` so the cause survives in the log. Messages never carry secrets.
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "ClassifierError",
    "ConfigError",
    "DeliveryError",
    "MalformedResponse",
    "NotFound",
    "RateLimited",
    "Refused",
    "ReplywatchError",
    "SkipPost",
    "SourceError",
    "SourceUnavailable",
    "StorageError",
    "field_items",
]


class ReplywatchError(Exception):
    """Root of every error replywatch raises on purpose."""


class ConfigError(ReplywatchError):
    """A settings file or environment value is wrong.

    ``field`` is the dotted path to the bad value (``teams.support.slack_channel``), so the
    message can say exactly where to look and what to write instead. A list's items are
    counted from 0 in the path, as pydantic counts them, so the message adds which item that
    is as people count: ``routing.1.team (the 2nd routing rule)`` (see :func:`field_items`).
    """

    def __init__(self, field: str, message: str, *, value: object = None) -> None:
        self.field = field
        self.value = value
        items = field_items(field)
        where = f"{field} ({items})" if items else field
        super().__init__(f"{where}: {message}" if field else message)


#: What one item of each list in the settings is called, by the list's key. A number after
#: any other key is a mapping's key (a team named ``1``), not an index, and is left alone.
_ITEM_NAMES = {
    "days": "day",
    "entities": "entity",
    "entity_kinds": "entity kind",
    "exclude": "exclusion",
    "keywords": "keyword",
    "languages": "language",
    "members": "member",
    "platforms": "platform",
    "routing": "routing rule",
    "severities": "severity",
    "sources": "source",
    "subreddits": "subreddit",
    "terms": "term",
    "urls": "URL",
}


def field_items(field: str) -> str:
    """The list items in a dotted field path, counted from 1 as people count them:
    ``"the 2nd routing rule"`` for ``routing.1.team``, ``"the 1st entity's 3rd term"`` for
    ``entities.0.terms.2``, ``"the 1st x brand account"`` for ``brand_accounts.x.0``; ``""``
    for a path with no list index in it (``teams.support.lead``, ``sources.reddit``).

    A number is taken for an index only after a key that holds a list (or a platform under
    ``brand_accounts``), so a team named ``1`` is not counted as an item."""
    parts = field.split(".")
    items: list[str] = []
    for i, part in enumerate(parts[1:], start=1):
        if not part.isdigit():
            continue
        key = parts[i - 1]
        if i >= 2 and parts[i - 2] == "brand_accounts":
            name = f"{key} brand account"
        elif key in _ITEM_NAMES:
            name = _ITEM_NAMES[key]
        else:
            continue
        items.append(f"{_ordinal(int(part) + 1)} {name}")
    return "the " + "'s ".join(items) if items else ""


def _ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``12th``, ``13th``, ``21st``."""
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class NotFound(ReplywatchError):
    """What a command asked for by its number or key is not stored (``case RW-999``)."""


class StorageError(ReplywatchError):
    """The database cannot be reached, or its schema is not what this version expects."""


class SourceError(ReplywatchError):
    """A source failed to fetch. The cursor is never moved when this is raised."""

    def __init__(self, source: str, message: str) -> None:
        self.source = source
        super().__init__(f"source {source!r}: {message}")


class RateLimited(SourceError):
    """The platform asked us to wait (HTTP 429 or an exhausted budget)."""

    def __init__(self, source: str, retry_after_s: float, message: str = "rate limited") -> None:
        self.retry_after_s = max(0.0, float(retry_after_s))
        super().__init__(source, f"{message}; retry in {self.retry_after_s:.0f}s")


class SourceUnavailable(SourceError):
    """5xx, a timeout or a dropped connection: transient, back off with jitter."""


class MalformedResponse(SourceError):
    """A body that does not parse or lacks required fields: logged and skipped."""


class AuthError(SourceError):
    """Credentials are missing, expired or revoked: retrying will not help."""


class Refused(SourceError):
    """The platform refuses one of a source's reads and will go on refusing it: a private,
    banned or misspelt subreddit, a query X rejects, an account it no longer serves. The
    source sets that stream aside and reads its others; a person must fix the config."""


class ClassifierError(ReplywatchError):
    """A classifier backend could not be loaded or failed on a batch."""


class DeliveryError(ReplywatchError):
    """Delivering one outbox row failed; the row stays unconfirmed and is retried.

    ``retry_after_s``: the far side named a wait (a 429's reset), the least time before the
    next try. ``counted=False``: this try never reached the far side (it is waiting for it),
    so it does not use up one of the row's attempts.
    """

    def __init__(
        self,
        outbox_key: str,
        message: str,
        *,
        retryable: bool = True,
        retry_after_s: float | None = None,
        counted: bool = True,
    ) -> None:
        self.outbox_key = outbox_key
        self.retryable = retryable
        self.retry_after_s = retry_after_s
        self.counted = counted
        super().__init__(f"outbox {outbox_key}: {message}")


class SkipPost(ReplywatchError):
    """Raised by a pipeline hook to drop one post on purpose."""
