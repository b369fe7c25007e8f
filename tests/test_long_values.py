"""One value longer than its column never stops a source, on SQLite and PostgreSQL.

PostgreSQL refuses a value longer than a VARCHAR (SQLite takes it): the poller rolls the whole
batch back, the batch comes back the same at every poll, and nothing after it is ever heard. So
what comes from outside is bounded where it enters (a platform name, a language tag: see
``tests/sources/test_source_bounds.py``), and what has no sensible bound is text: the
classifier's model names, and the sink's receipt of a case's message.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import select

from alerts.console import ConsoleSink
from classifiers.base import Verdict
from monitor.app import App
from monitor.errors import ConfigError
from monitor.models import Case, Post
from monitor.settings import Settings
from monitor.settings_file import load_settings
from sources.base import Author, SourcePost
from sources.jsonl import JsonlSource
from sources.memory import MemorySource
from tests.fakes import FakeClock, KeywordClassifier
from tests.test_settings import mutate, write

SETTINGS: dict[str, Any] = {
    "brand_accounts": {"x": [{"handle": "NovaBrew", "team": "support"}]},
    "entities": [
        {
            "id": "novabrew",
            "kind": "brand",
            "name": "NovaBrew",
            "terms": ["NovaBrew"],
            "team": "support",
        }
    ],
    "sources": [{"name": "mem", "type": "jsonl", "path": "/dev/null"}],
    "teams": {"support": {"slack_channel": "#support"}},
}

#: The transformers backend's verdict name for two real hub models: past 128 characters.
LONG_MODEL = (
    "cardiffnlp/twitter-xlm-roberta-base-sentiment-multilingual@f2f1202b1bdd"
    "+int8+someorg/xlm-roberta-large-customer-complaints@0123456789ab"
)


@pytest.fixture
def apps() -> Iterator[list[App]]:
    built: list[App] = []
    yield built
    for app in built:
        app.close()


def line(native_id: str, text: str, **kw: object) -> str:
    data: dict[str, object] = {"id": native_id, "text": text, "author": "customer"}
    data |= {"created_at": "2026-11-20T08:00:00Z", **kw}
    return json.dumps(data) + "\n"


def build(apps: list[App], url: str, clock: FakeClock, source: Any, **kw: Any) -> App:
    settings = Settings.model_validate({**SETTINGS, "database_url": url, **kw.pop("extra", {})})
    kw.setdefault("sink", ConsoleSink(Console(file=io.StringIO())))
    kw.setdefault("classifier", KeywordClassifier())
    app = App.build(settings, clock=clock, sources=[source], **kw)
    apps.append(app)
    return app


def stored(app: App) -> dict[str, Post]:
    with app.sessions() as s:
        return {p.native_id: p for p in s.scalars(select(Post))}


def test_a_jsonl_line_whose_platform_is_too_long_is_skipped_and_the_rest_stored(
    database_url: str, tmp_path: Path, clock: FakeClock, apps: list[App]
) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        line("1", "NovaBrew arrived broken", platform="facebook-page-comments-export-2026")
        + line("2", "NovaBrew is broken again, refund please", platform="x")
    )
    source = JsonlSource("feed", feed, platform="x")
    app = build(apps, database_url, clock, source)
    report = app.poll(source)
    assert (report.outcome, report.malformed) == ("ok", 1)
    assert list(stored(app)) == ["2"]
    assert app.poll(source).result.fetched == 0  # the cursor is past both lines


def test_a_brand_post_with_a_long_language_tag_is_stored(
    database_url: str, tmp_path: Path, clock: FakeClock, apps: list[App]
) -> None:
    """Only the brand's own posts store the source's tag (a verdict names the others')."""
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        line("1", "Sorry to hear that, DM us", author="NovaBrew", lang="en-GB-x-twitter-legacy")
        + line("2", "NovaBrew arrived broken", lang="English language")
    )
    source = JsonlSource("feed", feed, platform="x")
    app = build(apps, database_url, clock, source)
    assert app.poll(source).outcome == "ok"
    posts = stored(app)
    assert posts["1"].is_brand_response and posts["1"].language == "en-GB-x-twitter"
    assert posts["2"].language == "en"  # the classifier's


class LongNamed(KeywordClassifier):
    def classify(self, texts: Sequence[str]) -> list[Verdict]:
        return [replace(v, model=LONG_MODEL) for v in super().classify(texts)]


def test_a_long_classifier_name_is_stored_whole(
    database_url: str, tmp_path: Path, clock: FakeClock, apps: list[App]
) -> None:
    assert len(LONG_MODEL) > 128
    feed = tmp_path / "feed.jsonl"
    feed.write_text(line("1", "NovaBrew arrived broken", platform="x"))
    source = JsonlSource("feed", feed, platform="x")
    app = build(apps, database_url, clock, source, classifier=LongNamed())
    assert app.poll(source).outcome == "ok"
    assert stored(app)["1"].classifier == LONG_MODEL  # whole: its end tells models apart


def test_the_console_receipt_of_a_long_id_and_channel_is_kept(
    database_url: str, clock: FakeClock, apps: list[App]
) -> None:
    """The console's receipt is the channel's name (up to 81 characters) and the alert's key,
    which holds the post's native id (a web feed's is a URL): kept, so the alert is shown once
    and the case's updates find their message."""
    channel = "#" + "support-" * 10  # 81 characters, as Slack allows
    native_id = "https://example.com/feeds/" + "news/" * 30 + "#entry-42"
    source = MemorySource("mem", platform="rss")
    source.add(
        SourcePost(
            platform="rss",
            native_id=native_id,
            text="NovaBrew arrived broken",
            author=Author(native_id="feed", handle="feed"),
            created_at=clock.now,
        )
    )
    sink = ConsoleSink(Console(file=io.StringIO(), width=200))
    teams = {"support": {"slack_channel": channel}}
    app = build(apps, database_url, clock, source, sink=sink, extra={"teams": teams})
    app.poll(source)
    app.deliver()
    app.deliver()
    assert [a.kind for a in sink.delivered] == ["alert"]
    with app.sessions() as s:
        case = s.scalars(select(Case)).one()
        assert (case.slack_channel, case.slack_ts) == (channel, f"alert:rss:{native_id}")


@pytest.mark.parametrize(
    ("source", "field"),
    [
        ({"platform": "Facebook page comments"}, "sources.0.platform"),
        ({"platform": "facebook-page-comments-export-2026"}, "sources.0.platform"),
        ({"name": "n" * 65}, "sources.0.name"),
    ],
)
def test_a_source_the_store_cannot_name_is_a_config_error(
    tmp_path: Path, source: dict[str, str], field: str
) -> None:
    """A jsonl source's ``platform`` is every line's without one: as a line's must be, or
    every such line would be skipped. A source's name is stored with each post and cursor."""
    data = mutate(lambda d: d["sources"][0].update(source))
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, data), environ={})
    assert caught.value.field.startswith(field)
