"""One Slack Web API emulator per test module, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.emulators.slack import SlackEmulator

TOKEN = "xoxb-test-token"


@pytest.fixture(scope="module")
def slack_server() -> Iterator[SlackEmulator]:
    with SlackEmulator(token=TOKEN) as emulator:
        yield emulator


@pytest.fixture
def slack(slack_server: SlackEmulator) -> SlackEmulator:
    slack_server.reset()
    return slack_server
