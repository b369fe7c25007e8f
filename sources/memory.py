"""An in-memory source: the fake beside the :class:`~sources.base.Source` protocol.

Tests and demos append posts and fetch them in pages; the cursor is the index of the next
post, so it behaves like a real paging source (``more`` while posts remain). It can also be
told to fail the next fetch, to exercise the poller's error handling without a network.
"""

from __future__ import annotations

from collections import deque

from sources.base import Batch, Cursor, SourcePost

__all__ = ["MemorySource"]


class MemorySource:
    def __init__(
        self, name: str = "memory", *, platform: str = "memory", page_size: int = 100
    ) -> None:
        self.name = name
        self.platform = platform
        self.page_size = page_size
        self.posts: list[SourcePost] = []
        self.failures: deque[Exception] = deque()
        self.fetches = 0

    def add(self, *posts: SourcePost) -> None:
        self.posts.extend(posts)

    def fail_next(self, error: Exception) -> None:
        self.failures.append(error)

    def fetch(self, cursor: Cursor | None) -> Batch:
        self.fetches += 1
        if self.failures:
            raise self.failures.popleft()
        start = int(cursor["index"]) if cursor else 0
        page = self.posts[start : start + self.page_size]
        end = start + len(page)
        return Batch(posts=list(page), cursor={"index": end}, more=end < len(self.posts))
