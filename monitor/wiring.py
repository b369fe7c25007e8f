"""Building the running parts from settings: the one place that knows every implementation.

Sources, classifiers and sinks never import each other or the settings; they take plain values.
This module reads the frozen :class:`~monitor.settings.Settings` and constructs them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pydantic import SecretStr

from monitor.errors import ConfigError
from monitor.settings import (
    JsonlSourceSettings,
    RedditSourceSettings,
    RssSourceSettings,
    Settings,
    SourceSettings,
    XSourceSettings,
)
from sources.base import Source

__all__ = ["brand_handles", "build_source", "build_sources", "watch_terms"]


def watch_terms(settings: Settings) -> list[str]:
    """Every term of every entity, in config order, without repeats (for platform queries)."""
    return list(dict.fromkeys(t for e in settings.entities for t in e.terms))


def brand_handles(settings: Settings, platform: str) -> list[str]:
    return [a.handle for a in settings.brand_accounts.get(platform, ())]  # type: ignore[call-overload]


def build_source(
    cfg: SourceSettings, settings: Settings, *, clock: Callable[[], datetime]
) -> Source:
    """The source described by ``cfg``. Platform modules are imported only when configured."""
    if isinstance(cfg, JsonlSourceSettings):
        from sources.jsonl import JsonlSource

        return JsonlSource(cfg.name, cfg.path, platform=cfg.platform, batch_size=cfg.batch_size)
    if isinstance(cfg, XSourceSettings):
        from sources.x import XSource

        accounts = settings.brand_accounts.get("x", ())
        ids = [a.native_id for a in accounts if a.native_id]

        def secret(value: SecretStr | None) -> str | None:
            return value.get_secret_value() if value is not None else None

        return XSource(
            cfg.name,
            bearer_token=cfg.bearer_token.get_secret_value(),
            terms=watch_terms(settings),
            brand_handles=[a.handle for a in accounts],
            # ids only when every account has one; otherwise resolved once from the handles
            brand_user_ids=ids if len(ids) == len(accounts) else (),
            consumer_key=secret(cfg.consumer_key),
            consumer_secret=secret(cfg.consumer_secret),
            access_token=secret(cfg.access_token),
            access_token_secret=secret(cfg.access_token_secret),
            include_retweets=cfg.include_retweets,
            languages=cfg.languages,
            max_query_length=cfg.max_query_length,
            page_size=cfg.page_size,
            api_url=cfg.api_url,
            timeout_s=cfg.timeout.total_seconds(),
            clock=clock,
        )
    if isinstance(cfg, RedditSourceSettings):
        from sources.reddit import RedditSource

        handles = brand_handles(settings, "reddit")
        try:
            return RedditSource(
                cfg.name,
                client_id=cfg.client_id.get_secret_value(),
                client_secret=cfg.client_secret.get_secret_value(),
                user_agent=cfg.user_agent,
                terms=watch_terms(settings),
                subreddits=cfg.subreddits,
                search=cfg.search,
                search_all=cfg.search_all,
                # the script account replies and reads the inbox; without a password its
                # public comments are still read as responses, as are every brand account's
                brand_username=cfg.username or (handles[0] if handles else None),
                brand_accounts=handles,
                password=cfg.password.get_secret_value() if cfg.password is not None else None,
                api_url=cfg.api_url,
                auth_url=cfg.auth_url,
                timeout_s=cfg.timeout.total_seconds(),
                clock=clock,
            )
        except ValueError as exc:  # a watch term past 512 characters, nothing to read
            raise ConfigError(f"sources.{cfg.name}", str(exc)) from exc
    if isinstance(cfg, RssSourceSettings):
        from sources.rss import RssSource

        # No term pre-filter: the pipeline's watchlist is the one matcher for every source.
        return RssSource(
            cfg.name, urls=cfg.urls, timeout_s=cfg.timeout.total_seconds(), clock=clock
        )
    raise ConfigError(
        f"sources.{cfg.name}", f"source type {cfg.type!r} is not available in this build"
    )


def build_sources(settings: Settings, *, clock: Callable[[], datetime]) -> list[Source]:
    return [build_source(s, settings, clock=clock) for s in settings.sources if s.enabled]
