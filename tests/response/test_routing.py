"""Routing table and assignment: first match wins, fallbacks, fewest open cases, on-call."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.routing import choose_owner, public_reply_allowed, route
from tests.response.response_support import make_settings

SETTINGS = make_settings()


@pytest.mark.parametrize(
    ("entity", "platform", "language", "severity", "text", "team", "rule"),
    [
        # staff mentions go to the manager's team whatever else the post says
        ("ceo", "x", "en", "critical", "Dana Reyes my lawyer will call", "exec", 0),
        # keywords are whole words after folding case and accents
        ("novabrew", "x", "en", "normal", "NovaBrew, my LAWYER is on it", "legal", 1),
        ("novabrew", "x", "en", "normal", "NovaBrew class   action incoming", "legal", 1),
        ("novabrew", "x", "en", "normal", "NovaBrew lawyers everywhere", "support", None),
        # language
        ("novabrew", "x", "fa", "normal", "نوا برو خراب است", "tehran", 2),
        ("pod", "x", "ar", "normal", "Pod X2 سيء", "tehran", 2),
        # entity AND platform must both hold
        ("pod", "reddit", "en", "normal", "Pod X2 broken", "devices", 3),
        ("pod", "x", "en", "normal", "Pod X2 broken", "devices", None),  # entity's own team
        # severity and platform
        ("novabrew", "x", "en", "critical", "NovaBrew burned me", "pr", 4),
        ("novabrew", "reddit", "en", "critical", "NovaBrew burned me", "support", None),
        ("novabrew", "x", None, "normal", "NovaBrew broken", "support", None),
    ],
)
def test_routing_table(
    entity: str,
    platform: str,
    language: str | None,
    severity: str,
    text: str,
    team: str,
    rule: int | None,
) -> None:
    decision = route(
        SETTINGS,
        entity=SETTINGS.entity(entity),
        platform=platform,
        language=language,
        severity=severity,
        text=text,
    )
    assert (decision.team, decision.rule) == (team, rule)


def test_no_rule_the_entitys_team_then_the_fallback_team() -> None:
    from tests.response.response_support import BASE

    settings = make_settings(fallback_team="pr", routing=[])
    owned = route(
        settings,
        entity=settings.entity("pod"),
        platform="x",
        language="en",
        severity="normal",
        text="Pod X2 broken",
    )
    assert owned.team == settings.entity("pod").team != "pr" and owned.rule is None
    entities = [
        {k: v for k, v in e.items() if k != "team"} if e["id"] == "pod" else e
        for e in BASE["entities"]
    ]
    unowned = make_settings(fallback_team="pr", routing=[], entities=entities)
    decision = route(
        unowned,
        entity=unowned.entity("pod"),
        platform="x",
        language="en",
        severity="normal",
        text="Pod X2 broken",
    )
    assert (decision.team, decision.reason) == ("pr", "fallback team")


def test_staff_mentions_are_never_answered_in_public() -> None:
    assert not public_reply_allowed(SETTINGS.entity("ceo"))
    assert public_reply_allowed(SETTINGS.entity("novabrew"))


def test_in_hours_the_member_with_fewest_open_cases_gets_it() -> None:
    team = SETTINGS.teams["support"]
    monday_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert choose_owner(team, open_cases={}, now=monday_10).owner == "alice"  # tie: first listed
    picked = choose_owner(team, open_cases={"alice": 3, "bob": 1, "carol": 2}, now=monday_10)
    assert (picked.owner, picked.reason) == ("bob", "on_duty")
    # members who own nothing count as zero
    assert choose_owner(team, open_cases={"alice": 1, "bob": 1}, now=monday_10).owner == "carol"


def test_out_of_hours_the_on_call_member_gets_it() -> None:
    team = SETTINGS.teams["support"]
    saturday = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    picked = choose_owner(team, open_cases={"carol": 9}, now=saturday)
    assert (picked.owner, picked.reason) == ("carol", "on_call")


def test_out_of_hours_with_nobody_on_call_waits_for_the_next_opening() -> None:
    team = SETTINGS.teams["tehran"]
    # Thu 2026-11-19 10:00 UTC is a Thursday in Tehran: next opening Sat 08:00 = 04:30 UTC
    picked = choose_owner(team, open_cases={}, now=datetime(2026, 11, 19, 10, 0, tzinfo=UTC))
    assert picked.owner is None and picked.reason == "unassigned"
    assert picked.until == datetime(2026, 11, 21, 4, 30, tzinfo=UTC)


def test_the_trail_numbers_a_rule_from_1_as_config_errors_do() -> None:
    # rule index 1 (the "legal" rule) is "the 2nd routing rule" in a config error
    decision = route(
        SETTINGS,
        entity=SETTINGS.entity("novabrew"),
        platform="x",
        language="en",
        severity="normal",
        text="NovaBrew, my LAWYER is on it",
    )
    assert decision.rule == 1
    assert decision.reason == f"routing rule 2 of {len(SETTINGS.routing)}"
