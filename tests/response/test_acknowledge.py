"""Acknowledgement templates and the pure send/skip decision."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from monitor.acknowledge import decide, load_templates
from monitor.errors import ConfigError

OK: dict[str, Any] = {
    "mode": "auto",
    "approved": False,
    "public_allowed": True,
    "author_is_brand": False,
    "answered": False,
    "closed": False,
    "already": False,
    "has_account": True,
    "author_recent": 0,
    "per_author_per_day": 1,
    "account_recent": 0,
    "per_account_per_hour": 30,
}


@pytest.mark.parametrize(
    ("change", "action", "reason"),
    [
        ({}, "send", "automatic"),
        ({"mode": "off"}, "skip", "off"),
        ({"mode": "dry-run"}, "dry_run", "dry-run"),
        ({"mode": "approval"}, "skip", "waiting for approval"),
        ({"mode": "approval", "approved": True}, "send", "approved"),
        ({"already": True, "approved": True}, "skip", "one per case"),
        ({"public_allowed": False}, "skip", "staff"),
        ({"author_is_brand": True}, "skip", "brand's own"),
        ({"answered": True}, "skip", "already answered"),
        ({"closed": True}, "skip", "closed"),
        ({"has_account": False}, "skip", "no brand account"),
        ({"author_recent": 1}, "skip", "author limit"),
        ({"account_recent": 30}, "skip", "account limit"),
        ({"account_recent": 29}, "send", "automatic"),
        # a dry run still says when it would have been refused
        ({"mode": "dry-run", "author_recent": 1}, "skip", "author limit"),
    ],
)
def test_decision_table(change: dict[str, Any], action: str, reason: str) -> None:
    decision = decide(**{**OK, **change})
    assert decision.action == action and reason in decision.reason


def test_shipped_templates_cover_four_languages_and_three_severities() -> None:
    templates = load_templates()
    assert set(templates.by_language) >= {"en", "fa", "ar", "tl"}
    for language in ("en", "fa", "ar", "tl"):
        texts = {
            templates.render(language, s, brand="NovaBrew", ref="RW-7")
            for s in ("normal", "high", "critical")
        }
        assert len(texts) == 3  # one text per severity level
        assert all("RW-7" in t and "{" not in t and len(t) <= 280 for t in texts)
    # an unknown language falls back to English; low and normal share the default text
    assert templates.pick("de", "low") == ("en", "default", templates.by_language["en"]["default"])
    assert "NovaBrew" in templates.render("en", "critical", brand="NovaBrew", ref="RW-1")


@pytest.mark.parametrize(
    "text",
    ["Thanks {author}", "Re: {text}", "{brand.__class__}", "{case_ref!r}", "{brand:>30}"],
)
def test_templates_may_not_ask_for_anything_but_safe_variables(tmp_path: Path, text: str) -> None:
    (tmp_path / "en.yaml").write_text(f"default: '{text}'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="templates may use only"):
        load_templates(tmp_path)


def test_templates_need_english_and_a_default(tmp_path: Path) -> None:
    (tmp_path / "fa.yaml").write_text("default: 'سلام {case_ref}'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"en\.yaml"):
        load_templates(tmp_path)
    (tmp_path / "en.yaml").write_text("high: 'Hi'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="default"):
        load_templates(tmp_path)


def test_a_templates_folder_that_is_not_there_is_named_as_such(tmp_path: Path) -> None:
    # glob finds nothing in a missing folder: "no *.yaml templates in x" sent people looking
    # for files in a folder that was never made
    with pytest.raises(ConfigError, match=r"replies does not exist; make it a folder"):
        load_templates(tmp_path / "replies")
    (tmp_path / "replies.yaml").write_text("default: 'Hi'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"replies\.yaml is a file, not a folder"):
        load_templates(tmp_path / "replies.yaml")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"^acknowledgements\.templates: no \*\.yaml templates"):
        load_templates(tmp_path / "empty")
