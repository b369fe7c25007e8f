"""Settings of each source type; ``type`` picks the model (a discriminated union)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from monitor.settings_types import Duration, LanguageCode, Secret, SettingsModel

__all__ = [
    "SOURCE_MODELS",
    "JsonlSourceSettings",
    "RedditSourceSettings",
    "RssSourceSettings",
    "SourceSettings",
    "XSourceSettings",
]


class _SourceBase(SettingsModel):
    #: At most 64 characters: the width of ``posts.source`` and ``source_cursors.source``.
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)
    poll_interval: Duration = timedelta(minutes=2)
    #: Timeout for every network call this source makes.
    timeout: Duration = timedelta(seconds=30)
    #: Declared before every subclass's secrets: a disabled source's secrets are checked for
    #: their form but not read (:func:`monitor.settings_types._resolve_secret` looks here).
    enabled: bool = True


class JsonlSourceSettings(_SourceBase):
    """Posts from a JSON-lines file (see the README for the schema)."""

    type: Literal["jsonl"]
    path: Path
    #: As a line's ``platform`` must be (:class:`sources.base.SourcePost`), or every line
    #: without one would be skipped as malformed.
    platform: str = Field(default="jsonl", pattern=r"^[a-z0-9][a-z0-9._-]{0,31}$")
    batch_size: int = Field(default=500, ge=1, le=100_000)


class RedditSourceSettings(_SourceBase):
    type: Literal["reddit"]
    client_id: Secret
    client_secret: Secret
    user_agent: str = "replywatch/0.1 (by u/replywatch)"
    #: Script-app credentials of the brand account (inbox, own comments, replies).
    username: str | None = None
    password: Secret | None = None
    subreddits: tuple[str, ...] = ()
    search: bool = True
    #: With subreddits set: also search all of Reddit (not only those subreddits).
    search_all: bool = False
    api_url: str | None = None
    auth_url: str | None = None


class XSourceSettings(_SourceBase):
    type: Literal["x"]
    bearer_token: Secret
    #: User-context credentials of the brand account, needed only for posting replies.
    consumer_key: Secret | None = None
    consumer_secret: Secret | None = None
    access_token: Secret | None = None
    access_token_secret: Secret | None = None
    include_retweets: bool = False
    languages: tuple[LanguageCode, ...] = ()
    #: 512 on Basic (recent search), 1,024 on Pro, 4,096 on Enterprise.
    max_query_length: int = Field(default=512, ge=64, le=4096)
    page_size: int = Field(default=100, ge=10, le=100)
    api_url: str | None = None


class RssSourceSettings(_SourceBase):
    type: Literal["rss"]
    urls: tuple[str, ...] = Field(min_length=1)


SourceSettings = Annotated[
    JsonlSourceSettings | RedditSourceSettings | XSourceSettings | RssSourceSettings,
    Field(discriminator="type"),
]


SOURCE_MODELS: dict[str, type[BaseModel]] = {
    "jsonl": JsonlSourceSettings,
    "reddit": RedditSourceSettings,
    "x": XSourceSettings,
    "rss": RssSourceSettings,
}
