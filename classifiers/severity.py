"""How serious a post is: severity from reasons, complaint probability and tone.

A pure function of numbers already computed for the post, so both backends share it and it
is easy to test:

- A post that is neither a complaint nor negative is ``low``, and its reasons are dropped
  ("love your hospital staff" mentions a hospital but raises nothing).
- Legal threats, safety or health, and data breaches make it ``critical``; so do two or
  more reasons of any kind.
- One other reason (outage, boycott or going viral, staff conduct) makes it ``high``.
- A complaint with no reason is ``normal``, or ``high`` when loud and angry (mostly capitals,
  or three exclamation marks, with strongly negative sentiment).
- Negative posts that are not complaints are ``low``.
"""

from __future__ import annotations

from classifiers.base import Reason, Severity

__all__ = ["CRITICAL_REASONS", "assess_severity"]

CRITICAL_REASONS = frozenset({Reason.LEGAL_THREAT, Reason.SAFETY, Reason.DATA_BREACH})


def assess_severity(
    reasons: tuple[Reason, ...],
    *,
    is_complaint: bool,
    negative: float,
    uppercase_share: float = 0.0,
    exclamations: int = 0,
) -> tuple[Severity, tuple[Reason, ...]]:
    """The severity, and the reasons that raised it (empty when none did)."""
    if not is_complaint and negative < 0.4:
        return Severity.LOW, ()
    if reasons:
        if len(reasons) >= 2 or CRITICAL_REASONS.intersection(reasons):
            return Severity.CRITICAL, reasons
        return Severity.HIGH, reasons
    if is_complaint:
        loud = uppercase_share >= 0.6 or exclamations >= 3
        return (Severity.HIGH if loud and negative >= 0.7 else Severity.NORMAL), ()
    return Severity.LOW, ()
