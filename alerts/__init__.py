"""Alerts: where replywatch tells people (Slack, the console), behind the :class:`Sink` seam."""

from alerts.base import Alert, Receipt, Sink
from alerts.console import ConsoleSink

__all__ = ["Alert", "ConsoleSink", "Receipt", "Sink"]
