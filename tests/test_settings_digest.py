"""``alerts.digest_after``: one threshold for the digests of whichever sink delivers, Slack or
the console. It was ``alerts.slack.digest_after`` while only Slack folded backlogs; that key
is refused, naming the new one, rather than read beside it (two keys for one threshold would
leave which one wins to guess)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.errors import ConfigError
from monitor.settings_file import load_settings
from tests.test_settings import BASE, mutate, write

ENVIRON = {"SLACK_BOT_TOKEN": "xoxb-1-2-token"}
SLACK = {"bot_token": "env:SLACK_BOT_TOKEN"}


def test_digest_after_is_read_from_alerts_with_or_without_slack(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, BASE), environ={}).alerts.digest_after == 10
    console_only = mutate(lambda d: d.update(alerts={"digest_after": 4}))
    assert load_settings(write(tmp_path, console_only), environ={}).alerts.digest_after == 4
    with_slack = mutate(lambda d: d.update(alerts={"digest_after": 25, "slack": SLACK}))
    settings = load_settings(write(tmp_path, with_slack), environ=ENVIRON)
    assert settings.alerts.digest_after == 25 and settings.alerts.slack is not None


def test_the_old_slack_key_is_refused_naming_the_new_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = mutate(lambda d: d.update(alerts={"slack": {**SLACK, "digest_after": 5}}))
    path = write(tmp_path, old)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ=ENVIRON)
    assert caught.value.field == "alerts.slack.digest_after"
    assert "has moved to alerts.digest_after" in str(caught.value)

    monkeypatch.setenv("SLACK_BOT_TOKEN", ENVIRON["SLACK_BOT_TOKEN"])
    result = CliRunner().invoke(app, ["check-config", "-c", str(path)])
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())
    assert "alerts.slack.digest_after: has moved to alerts.digest_after" in output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("written", [1, 1001])
def test_a_digest_after_out_of_range_is_refused(tmp_path: Path, written: int) -> None:
    bad = mutate(lambda d: d.update(alerts={"digest_after": written}))
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, bad), environ={})
    assert caught.value.field == "alerts.digest_after"
