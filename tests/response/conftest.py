"""Fixtures shared by the response-loop tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from monitor.app import App


@pytest.fixture
def apps() -> Iterator[list[App]]:
    """Apps a test builds, closed when it ends."""
    built: list[App] = []
    yield built
    for app in built:
        app.close()
