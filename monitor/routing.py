"""Routing: which team gets a complaint, and who on that team owns it.

Both decisions are pure. :func:`route` walks ``Settings.routing`` (first match wins) and falls
back to the entity's own team, else to the fallback team (``fallback_team``, or the first team
listed). The trail names a rule as the config errors do, from 1 ("the 2nd routing rule").
:func:`choose_owner` picks, inside business hours, the member with the fewest open cases;
outside them the on-call member; with nobody on call the case stays unassigned until the
team's next opening, and the decision says when that is so the case trail can record it.

Mentions of staff (entity kind ``staff``) are routed like anything else (a rule with
``entity_kinds: [staff]`` sends them to the manager's team), but :func:`public_reply_allowed`
is ``False`` for them: a person's name is never answered in public by a template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from monitor.clocks import is_open, next_opening
from monitor.matching import normalize
from monitor.settings import Entity, RoutingRule, Settings, Team

__all__ = [
    "Assignment",
    "Route",
    "choose_owner",
    "public_reply_allowed",
    "route",
    "rule_matches",
]


@dataclass(frozen=True, slots=True)
class Route:
    """The team a case goes to; ``rule`` is the index of the rule that matched, if any."""

    team: str
    rule: int | None
    reason: str


@lru_cache(maxsize=1024)
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    words = normalize(keyword).split()
    body = r"\s+".join(re.escape(w) for w in words)
    return re.compile(rf"(?<!\w){body}(?!\w)")


def _has_keyword(normalized_text: str, keywords: tuple[str, ...]) -> bool:
    return any(
        _keyword_pattern(k).search(normalized_text) for k in keywords if normalize(k).strip()
    )


def rule_matches(
    rule: RoutingRule,
    *,
    entity: Entity,
    platform: str,
    language: str | None,
    severity: str,
    normalized_text: str,
) -> bool:
    """Every non-empty condition of ``rule`` holds (an empty condition matches anything)."""
    if rule.entities and entity.id not in rule.entities:
        return False
    if rule.entity_kinds and entity.kind not in rule.entity_kinds:
        return False
    if rule.platforms and platform not in rule.platforms:
        return False
    if rule.languages and (language or "und") not in rule.languages:
        return False
    if rule.severities and severity not in rule.severities:
        return False
    return not rule.keywords or _has_keyword(normalized_text, rule.keywords)


def route(
    settings: Settings,
    *,
    entity: Entity,
    platform: str,
    language: str | None,
    severity: str,
    text: str,
) -> Route:
    """The team for a complaint about ``entity``: the first matching rule, else the entity's
    owning team, else the fallback team (``fallback_team``, or the first team listed)."""
    normalized = normalize(text)
    for i, rule in enumerate(settings.routing):
        if rule_matches(
            rule,
            entity=entity,
            platform=platform,
            language=language,
            severity=severity,
            normalized_text=normalized,
        ):
            # numbered from 1, as config errors name it ("the 2nd routing rule")
            return Route(rule.team, i, f"routing rule {i + 1} of {len(settings.routing)}")
    if entity.team is not None:
        return Route(entity.team, None, "entity's team")
    return Route(settings.default_team, None, "fallback team")


def public_reply_allowed(entity: Entity) -> bool:
    """Staff mentions never get a public acknowledgement."""
    return entity.kind != "staff"


@dataclass(frozen=True, slots=True)
class Assignment:
    """Who owns a new case. ``owner`` is a member's name, or ``None`` until ``until``."""

    owner: str | None
    #: ``on_duty`` (in hours, fewest open cases), ``on_call`` (out of hours), ``unassigned``.
    reason: str
    #: For an unassigned case, the team's next opening, when it will be assigned.
    until: datetime | None = None


def choose_owner(team: Team, *, open_cases: Mapping[str, int], now: datetime) -> Assignment:
    """The owner of a new case for ``team`` at ``now``.

    ``open_cases`` counts the open cases each member owns (by name; missing means zero). Ties
    go to the member listed first, so the choice is stable.
    """
    members = list(team.members)
    if is_open(team.business_hours, now):
        if members:
            best = min(members, key=lambda m: (open_cases.get(m.name, 0), members.index(m)))
            return Assignment(best.name, "on_duty")
        return Assignment(None, "unassigned", None)
    on_call = [m for m in members if m.on_call]
    if on_call:
        best = min(on_call, key=lambda m: (open_cases.get(m.name, 0), on_call.index(m)))
        return Assignment(best.name, "on_call")
    return Assignment(None, "unassigned", next_opening(team.business_hours, now))
