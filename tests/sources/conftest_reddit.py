"""Helpers shared by the Reddit source tests (imported explicitly, not a pytest conftest).

:class:`PollerSim` is the poller's contract in a few lines: fetch until ``more`` is False,
keep what each successful batch returned and its cursor (round-tripped through JSON, as the
database stores it), and on a :class:`SourceError` store nothing and keep the old cursor.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from monitor.errors import SourceError
from sources.base import Batch, SourcePost
from sources.reddit import RedditSource
from tests.emulators.reddit import RedditEmulator

CLIENT_ID, CLIENT_SECRET = "client-id", "client-secret"
BRAND, PASSWORD = "acme_support", "hunter2"
TERMS = ("acme", "widget pro")


@pytest.fixture
def emulator() -> Iterator[RedditEmulator]:
    with RedditEmulator(clients={CLIENT_ID: CLIENT_SECRET}, accounts={BRAND: PASSWORD}) as emu:
        yield emu  # type: ignore[misc]


def make_source(emu: RedditEmulator, **overrides: Any) -> RedditSource:
    """A source pointed at ``emu``, on the emulator's clock, with the brand account set."""
    kwargs: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "user_agent": "replywatch-tests/0.1 (by u/acme_support)",
        "terms": TERMS,
        "subreddits": ("acme",),
        "brand_username": BRAND,
        "password": PASSWORD,
        "api_url": emu.url,
        "auth_url": emu.url,
        "timeout_s": 2.0,
        "clock": emu.clock,
    }
    kwargs.update(overrides)
    return RedditSource("reddit-test", **kwargs)


@dataclass
class PollerSim:
    cursor: dict[str, Any] | None = None
    posts: dict[str, SourcePost] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    batches: list[Batch] = field(default_factory=list)

    def fetch_once(self, source: RedditSource) -> Batch:
        """One fetch and, if it succeeds, one "commit" of its posts and cursor."""
        batch = source.fetch(self.cursor)
        for post in batch.posts:
            self.counts[post.native_id] += 1
            self.posts[post.native_id] = post
        self.cursor = json.loads(json.dumps(batch.cursor))
        self.batches.append(batch)
        return batch

    def poll(self, source: RedditSource, *, max_batches: int = 200) -> SourceError | None:
        """Drain one poll cycle; the error that ended it early, if any."""
        for _ in range(max_batches):
            try:
                batch = self.fetch_once(source)
            except SourceError as exc:
                return exc
            if not batch.more:
                return None
        raise AssertionError("the source never said it had no more")

    def duplicates(self) -> dict[str, int]:
        return {k: n for k, n in self.counts.items() if n > 1}
