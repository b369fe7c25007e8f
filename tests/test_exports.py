"""Packages meet only through the names in their ``__init__.__all__``; pin those lists."""

from __future__ import annotations

import monitor
import sources


def test_monitor_public_names() -> None:
    assert sorted(monitor.__all__) == [
        "ConfigError",
        "ReplywatchError",
        "Settings",
        "__version__",
        "load_settings",
    ]
    assert all(hasattr(monitor, name) for name in monitor.__all__)


def test_sources_public_names() -> None:
    assert sorted(sources.__all__) == [
        "Author",
        "Batch",
        "Cursor",
        "JsonlSource",
        "MemorySource",
        "Replier",
        "Source",
        "SourcePost",
    ]
    assert all(hasattr(sources, name) for name in sources.__all__)


def test_platform_clients_load_only_when_used() -> None:
    import subprocess
    import sys

    code = (
        "import sys, sources, monitor.pipeline; "
        "print(sorted({'praw', 'tweepy', 'feedparser'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
