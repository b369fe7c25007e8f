"""The one interface every classifier backend implements: texts in, one verdict each out."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

__all__ = ["Classifier", "Reason", "Sentiment", "Severity", "Verdict"]


class Sentiment(enum.StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


class Severity(enum.StrEnum):
    LOW = "low"  # praise, questions, mild gripes
    NORMAL = "normal"  # an ordinary complaint
    HIGH = "high"  # a complaint with a reason below, or loud and angry
    CRITICAL = "critical"  # legal, safety or data-breach reasons, or several reasons at once


class Reason(enum.StrEnum):
    """Why severity was raised."""

    LEGAL_THREAT = "legal_threat"
    SAFETY = "safety"  # safety or health
    OUTAGE = "outage"
    DATA_BREACH = "data_breach"  # data or privacy breach
    BOYCOTT_VIRAL = "boycott_viral"  # boycott, or going viral / press
    STAFF_CONDUCT = "staff_conduct"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a classifier concluded about one text."""

    #: ISO 639-1 code (``en``, ``fa``, ``ar``, ``tl``...) or ``und`` when unknown.
    language: str
    sentiment: Sentiment
    #: Probability per sentiment label; sums to 1.
    sentiment_scores: Mapping[str, float]
    #: Probability that the text is a complaint.
    complaint: float
    is_complaint: bool
    severity: Severity
    reasons: tuple[Reason, ...] = ()
    #: ``name@version`` of the model(s) that produced this verdict.
    model: str = "unknown"
    #: Languages found in a mixed-language text, main one first.
    languages: tuple[str, ...] = field(default=())


@runtime_checkable
class Classifier(Protocol):
    """A batch of texts in, a verdict per text out, in the same order."""

    name: str

    def classify(self, texts: Sequence[str]) -> list[Verdict]: ...
