"""Sources as the walkthrough found them: the starter's jsonl lines read as platform ``jsonl``
with the brand's accounts listed only under x and reddit (#3), and a parked source,
``enabled: false``, still needing its token exported (#5)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from monitor.cli import app
from monitor.errors import ConfigError
from monitor.models import Case, CaseStatus, Post
from monitor.settings_file import load_settings, settings_warnings
from monitor.settings_types import UnreadSecret
from tests.test_settings import BASE, mutate, write


def squashed(text: str) -> str:
    """Output without the spaces and borders rich folds a table's cells with."""
    return "".join(ch for ch in text if not ch.isspace() and ch not in "│┃")


# ------------------------------------------------- the starter's brand replies (#3)


def post_line(native_id: str, handle: str, text: str, **extra: Any) -> str:
    data = {
        "id": native_id,
        "text": text,
        "author": {"handle": handle},
        "created_at": "2026-11-23T10:00:00Z",
        **extra,
    }
    return json.dumps(data) + "\n"


def test_the_starter_knows_the_brands_replies_in_its_jsonl_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines naming no platform were read as ``jsonl``, where no brand account is listed: the
    brand's reply was stored as a negative mention and the case stayed open."""
    monkeypatch.delenv("REPLYWATCH_DATABASE_URL", raising=False)
    runner = CliRunner()
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    (tmp_path / "posts.jsonl").write_text(
        post_line("c1", "dana", "ExampleCo my order arrived broken and nobody answers, refund me")
        + post_line(
            "r1",
            "ExampleCo",
            "@dana sorry about that, we have sent you a replacement",
            kind="reply",
            in_reply_to="c1",
            conversation_id="c1",
        ),
        encoding="utf-8",
    )
    config = tmp_path / "replywatch.yaml"
    checked = runner.invoke(app, ["check-config", "-c", str(config)])
    assert checked.exit_code == 0 and checked.stderr == "", checked.output

    polled = runner.invoke(app, ["poll", "--once", "-c", str(config)])
    assert polled.exit_code == 0, polled.output
    engine = create_engine(f"sqlite:///{tmp_path / 'replywatch.db'}")
    with Session(engine) as session:
        reply = session.scalars(select(Post).where(Post.native_id == "r1")).one()
        (case,) = session.scalars(select(Case)).all()
        assert (reply.platform, reply.is_brand_response) == ("x", True)
        assert case.first_response_at is not None and case.status != CaseStatus.OPEN
    engine.dispose()


def test_a_jsonl_source_whose_platform_has_no_brand_account_is_warned_of(
    tmp_path: Path,
) -> None:
    (tmp_path / "posts.jsonl").write_text("", encoding="utf-8")
    # BASE: brand accounts under x only, and a jsonl source that gives lines platform jsonl
    (warning,) = settings_warnings(load_settings(write(tmp_path, BASE), environ={}))
    assert warning == (
        "sources.demo: its lines that name no platform are read as platform 'jsonl', which has "
        "no brand account, so the brand's own replies there are stored as mentions and stop no "
        "clocks; set the source's platform: to where the posts come from (such as x), or list "
        "the brand's account under brand_accounts.jsonl"
    )
    as_x = mutate(lambda d: d["sources"][0].update(platform="x"))
    assert settings_warnings(load_settings(write(tmp_path, as_x), environ={})) == []
    listed = mutate(lambda d: d["brand_accounts"].update(jsonl=[{"handle": "NovaBrew"}]))
    assert settings_warnings(load_settings(write(tmp_path, listed), environ={})) == []
    parked = mutate(lambda d: d["sources"][0].update(enabled=False))
    assert settings_warnings(load_settings(write(tmp_path, parked), environ={})) == []
    other = mutate(lambda d: d["sources"][0].update(platform="mastodon"))
    (warning,) = settings_warnings(load_settings(write(tmp_path, other), environ={}))
    assert warning.endswith("(such as x), or brand_accounts cannot list 'mastodon'")


def test_an_x_or_reddit_source_with_no_brand_account_there_is_warned_of(tmp_path: Path) -> None:
    (tmp_path / "posts.jsonl").write_text("", encoding="utf-8")
    reddit = {"name": "rd", "type": "reddit", "client_id": "env:A", "client_secret": "env:B"}
    feeds = {"name": "news", "type": "rss", "urls": ["https://example.com/feed"]}

    def add(d: dict[str, Any]) -> None:
        d["sources"][0]["platform"] = "x"
        d["sources"] += [reddit, feeds]

    settings = load_settings(write(tmp_path, mutate(add)), environ={"A": "a", "B": "b"})
    assert settings_warnings(settings) == [  # none for the feed: feeds carry no replies
        "sources.rd: no brand account is listed under brand_accounts.reddit, so the brand's "
        "own reddit replies are stored as mentions and stop no clocks; list the brand's "
        "account there, with its team"
    ]


def test_check_config_prints_the_brandless_source_warning_and_says_ok(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REPLYWATCH_DATABASE_URL", raising=False)
    (tmp_path / "posts.jsonl").write_text("", encoding="utf-8")
    result = CliRunner().invoke(app, ["check-config", "-c", str(write(tmp_path, BASE))])
    assert result.exit_code == 0, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("warning: sources.demo: its lines that name no platform")
    assert "replywatch.yaml:OK" in squashed(result.stdout)


# ------------------------------------------------------- a parked source's secrets (#5)


def _parked(tmp_path: Path, token: str, *, enabled: bool = False) -> Path:
    (tmp_path / "posts.jsonl").write_text("", encoding="utf-8")
    source = {"name": "x-mentions", "type": "x", "bearer_token": token, "enabled": enabled}
    return write(tmp_path, mutate(lambda d: d["sources"].append(source)))


def test_a_disabled_sources_secret_is_not_read(tmp_path: Path) -> None:
    settings = load_settings(_parked(tmp_path, "env:X_BEARER_TOKEN"), environ={})
    parked = settings.sources[1]
    assert not parked.enabled
    assert isinstance(parked.bearer_token, UnreadSecret)  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match="environment variable X_BEARER_TOKEN is not set"):
        load_settings(_parked(tmp_path, "env:X_BEARER_TOKEN", enabled=True), environ={})


@pytest.mark.parametrize(
    ("token", "words"),
    [
        ("abc123", "secrets must not be written in the file"),
        ("env:1BAD", "expected env:NAME with a valid variable name"),
    ],
)
def test_a_disabled_sources_secret_is_still_checked_for_its_form(
    tmp_path: Path, token: str, words: str
) -> None:
    with pytest.raises(ConfigError, match=words) as caught:
        load_settings(_parked(tmp_path, token), environ={})
    assert caught.value.field == "sources.1.bearer_token" and token not in str(caught.value)


def test_check_config_and_poll_start_with_a_parked_source_and_no_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REPLYWATCH_DATABASE_URL", raising=False)
    monkeypatch.delenv("X_BEARER_TOKEN", raising=False)
    config = _parked(tmp_path, "env:X_BEARER_TOKEN")
    checked = CliRunner().invoke(app, ["check-config", "-c", str(config)])
    assert checked.exit_code == 0, checked.output
    assert "x-mentions(x,disabled)" in squashed(checked.stdout)
    assert "demo(jsonl,every30s)" in squashed(checked.stdout)
    polled = CliRunner().invoke(app, ["poll", "--once", "-c", str(config)])
    assert polled.exit_code == 0, polled.output
