"""Settings and fakes shared by the response-loop tests (not a conftest: imported by name)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from copy import deepcopy
from typing import Any

from alerts.base import Alert, Receipt
from classifiers.base import Reason, Sentiment, Severity, Verdict
from monitor.errors import DeliveryError, Refused, SourceUnavailable
from monitor.settings import Settings

#: Two teams half a world apart, a staff member whose mentions go to the exec office, routing
#: by language, keyword and severity.
BASE: dict[str, Any] = {
    "brand_accounts": {
        "x": [{"handle": "NovaBrew", "team": "support"}],
        "reddit": [{"handle": "NovaBrewHQ", "team": "support"}],
    },
    "entities": [
        {
            "id": "novabrew",
            "kind": "brand",
            "name": "NovaBrew",
            "terms": ["NovaBrew"],
            "team": "support",
        },
        {"id": "pod", "kind": "product", "name": "Pod X2", "terms": ["Pod X2"], "team": "devices"},
        {"id": "ceo", "kind": "staff", "name": "Dana Reyes", "terms": ["Dana Reyes"], "team": "pr"},
    ],
    "sources": [{"name": "mem", "type": "jsonl", "path": "/dev/null"}],
    "teams": {
        "support": {
            "slack_channel": "#support",
            "members": [
                {"name": "alice", "slack_id": "U0ALICE01"},
                {"name": "bob", "slack_id": "U0BOB0001"},
                {"name": "carol", "slack_id": "U0CAROL01", "on_call": True},
            ],
            "lead": {"name": "lena", "slack_id": "U0LENA001"},
            "business_hours": {"timezone": "Europe/London"},
        },
        "devices": {
            "slack_channel": "#devices",
            "members": [{"name": "dev1", "slack_id": "U0DEV0001"}],
            "business_hours": {"timezone": "Europe/London"},
        },
        "tehran": {
            "slack_channel": "#support-fa",
            "members": [
                {"name": "sara", "slack_id": "U0SARA001"},
                {"name": "reza", "slack_id": "U0REZA001"},
            ],
            "lead": {"name": "maryam", "slack_id": "U0MARYAM1"},
            "business_hours": {
                "timezone": "Asia/Tehran",
                "days": ["sat", "sun", "mon", "tue", "wed"],
                "start": "08:00",
                "end": "16:00",
            },
        },
        "exec": {
            "slack_channel": "#exec-office",
            "members": [{"name": "ezra", "slack_id": "U0EZRA001"}],
        },
        "legal": {"slack_channel": "#legal", "members": [{"name": "lou"}]},
        "pr": {"slack_channel": "#pr", "members": [{"name": "pat"}]},
    },
    "routing": [
        {"team": "exec", "entity_kinds": ["staff"]},
        {"team": "legal", "keywords": ["lawyer", "class action"]},
        {"team": "tehran", "languages": ["fa", "ar"]},
        {"team": "devices", "entities": ["pod"], "platforms": ["reddit"]},
        {"team": "pr", "severities": ["critical"], "platforms": ["x"]},
    ],
    "alerts": {"pr_channel": "#pr"},
}


#: Secrets the settings may name as ``env:NAME``.
ENVIRON = {"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": "test-signing-secret"}


def make_settings(overrides: Mapping[str, Any] | None = None, **top: Any) -> Settings:
    data = deepcopy(BASE)
    for key, value in {**(overrides or {}), **top}.items():
        data[key] = value
    return Settings.model_validate(data, context={"environ": ENVIRON})


# ------------------------------------------------------------------------------------ fakes


class TaggedClassifier:
    """Verdicts read from tags in the text, so a test states exactly what it means.

    ``broken``/``refund``/``worst`` make a complaint; ``[fa]``/``[ar]``/``[tl]`` set the
    language (default en); ``[high]``/``[critical]`` set the severity (default normal).
    """

    name = "tagged-fake"

    def classify(self, texts: Sequence[str]) -> list[Verdict]:
        out = []
        for text in texts:
            lower = text.casefold()
            hit = any(w in lower for w in ("broken", "refund", "worst", "خراب"))
            lang = re.search(r"\[(fa|ar|tl)\]", lower)
            severity = (
                Severity.CRITICAL
                if "[critical]" in lower
                else Severity.HIGH
                if "[high]" in lower
                else Severity.NORMAL
            )
            out.append(
                Verdict(
                    language=lang.group(1) if lang else "en",
                    sentiment=Sentiment.NEGATIVE if hit else Sentiment.POSITIVE,
                    sentiment_scores={"negative": 0.9 if hit else 0.1, "positive": 0.1},
                    complaint=0.9 if hit else 0.1,
                    is_complaint=hit,
                    severity=severity if hit else Severity.LOW,
                    reasons=(Reason.SAFETY,) if severity == Severity.CRITICAL else (),
                    model="tagged-fake@1",
                )
            )
        return out


class RecordingSink:
    """A Sink that records every call, hands out Slack-like ts values and can fail on demand."""

    name = "recording"

    def __init__(self) -> None:
        self.messages: list[Alert] = []
        self.updates: list[tuple[str, Alert]] = []
        self.fail: list[Exception] = []
        self._ts = itertools.count(1)

    def deliver(self, alert: Alert) -> Receipt:
        if self.fail:
            raise self.fail.pop(0)
        self.messages.append(alert)
        return Receipt(channel=alert.channel, message_id=f"1700000000.{next(self._ts):06d}")

    def update(self, alert: Alert, message_id: str) -> Receipt:
        if self.fail:
            raise self.fail.pop(0)
        self.updates.append((message_id, alert))
        return Receipt(channel=alert.channel, message_id=message_id)

    def top_level(self, channel: str | None = None) -> list[Alert]:
        return [
            m
            for m in self.messages
            if m.thread_ts is None and (channel is None or m.channel == channel)
        ]


class FakeReplier:
    """A platform that keeps the replies it was sent; it can lose an answer after posting.

    ``crash_after_post`` posts the reply, then raises as if the connection dropped before the
    answer arrived: the worst case for double replies.
    """

    def __init__(self, platform: str = "x") -> None:
        self.platform = platform
        self.replies: dict[str, list[str]] = {}
        self.crash_after_post = 0
        self.fail_before_post = 0
        #: Posts the platform refuses replies to for good (deleted, or replies limited).
        self.refused: set[str] = set()
        self.find_calls: list[str] = []
        self._ids = itertools.count(9000)

    def reply(self, in_reply_to: str, text: str) -> str:
        if in_reply_to in self.refused:
            raise Refused(self.platform, "X rejected create: HTTP 403: replies limited")
        if self.fail_before_post:
            self.fail_before_post -= 1
            raise SourceUnavailable(self.platform, "503 before posting")
        reply_id = str(next(self._ids))
        self.replies.setdefault(in_reply_to, []).append(text)
        if self.crash_after_post:
            self.crash_after_post -= 1
            raise SourceUnavailable(self.platform, "timeout after posting")
        return reply_id

    def find_reply(self, in_reply_to: str) -> str | None:
        self.find_calls.append(in_reply_to)
        return "found-" + in_reply_to if self.replies.get(in_reply_to) else None


def slack_down() -> DeliveryError:
    return DeliveryError("x", "slack 503")
