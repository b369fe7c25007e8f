"""The seam between replywatch and wherever alerts go (Slack, the console)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = ["Alert", "Receipt", "Sink"]


@dataclass(frozen=True, slots=True)
class Alert:
    """A message about one case (or a notice), in plain fields; each sink renders it its way.

    ``key`` is the outbox idempotency key; a sink that can look messages up by it uses it to
    avoid posting twice after a crash between sending and confirming.
    """

    key: str
    kind: str
    channel: str
    title: str
    fields: Mapping[str, str] = field(default_factory=dict)
    text: str = ""
    url: str | None = None
    case_id: int | None = None
    #: For updates: where the original message lives.
    thread_ts: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the far side confirmed: a message id (Slack ts) and where it went."""

    channel: str
    message_id: str | None = None


@runtime_checkable
class Sink(Protocol):
    """Delivers alerts. ``deliver`` posts a new message (a thread reply when
    ``alert.thread_ts`` is set); ``update`` rewrites a message it posted before.
    Both raise :class:`monitor.errors.DeliveryError` on failure."""

    name: str

    def deliver(self, alert: Alert) -> Receipt: ...

    def update(self, alert: Alert, message_id: str) -> Receipt: ...
