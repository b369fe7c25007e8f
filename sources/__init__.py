"""Sources: one module per platform behind the small :class:`Source` protocol.

Platform modules (``reddit``, ``x``, ``rss``) import their client libraries; import them
directly (``from sources.reddit import RedditSource``) so that using one never loads the others.
"""

from sources.base import Author, Batch, Cursor, Replier, Source, SourcePost
from sources.jsonl import JsonlSource
from sources.memory import MemorySource

__all__ = [
    "Author",
    "Batch",
    "Cursor",
    "JsonlSource",
    "MemorySource",
    "Replier",
    "Source",
    "SourcePost",
]
