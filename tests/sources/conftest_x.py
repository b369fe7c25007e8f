"""X fixtures shared by the X test modules (imported explicitly, like conftest_reddit)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.emulators.x import XEmulator
from tests.fakes import FakeClock

__all__ = ["emulator", "xclock"]


@pytest.fixture
def xclock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator(xclock: FakeClock) -> Iterator[XEmulator]:
    em = XEmulator(clock=lambda: xclock().timestamp())
    em.add_user("acmehelp", name="Acme Help", followers=12000, me=True)
    with em:
        yield em
