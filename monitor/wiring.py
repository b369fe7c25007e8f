"""Building the running parts from settings: the one place that knows every implementation.

Sources, classifiers and sinks never import each other or the settings; they take plain values.
This module reads the frozen :class:`~monitor.settings.Settings` and constructs them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from monitor.errors import ConfigError
from monitor.settings import JsonlSourceSettings, Settings, SourceSettings
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
    raise ConfigError(
        f"sources.{cfg.name}", f"source type {cfg.type!r} is not available in this build"
    )


def build_sources(settings: Settings, *, clock: Callable[[], datetime]) -> list[Source]:
    return [build_source(s, settings, clock=clock) for s in settings.sources if s.enabled]
