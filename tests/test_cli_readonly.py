"""The commands that send nothing (``cases``, ``case`` and its actions, ``report``, ``outbox``,
``db upgrade``, ``classifier train``) need the database, not the tokens: a team member listing
cases on a laptop has no Slack, X or Reddit secret exported. The secrets are still checked for their
form there, and still required by the commands that use them (``poll``, ``run``,
``check-config``). The real CLI on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from monitor.cli import app
from monitor.settings_file import load_settings
from monitor.settings_types import UnreadSecret
from tests.fakes import COMPLAINT_LINE

#: A daemon's config: every secret it has comes from the environment or a file.
CONFIG = """\
database_url: sqlite:///replywatch.db
entities:
  - {id: novabrew, kind: brand, name: NovaBrew, terms: [NovaBrew], team: support}
teams:
  support: {slack_channel: "#support"}
sources:
  - {name: demo, type: jsonl, path: posts.jsonl}
  - {name: x-mentions, type: x, bearer_token: "env:X_BEARER_TOKEN"}
  - name: reddit
    type: reddit
    client_id: env:REDDIT_CLIENT_ID
    client_secret: file:secrets/reddit_secret
    subreddits: [Coffee]
alerts:
  slack: {bot_token: "env:SLACK_BOT_TOKEN", app_token: "env:SLACK_APP_TOKEN"}
"""

#: The same daemon with only its source that needs no secret, to fill the database once.
FILLER = CONFIG[: CONFIG.index("  - {name: x-mentions")]

READERS = [
    ["cases"],
    ["case", "RW-1"],
    ["case", "RW-1", "resolve", "--as", "ops"],  # enqueues the Slack update, sends nothing
    ["report"],
    ["outbox", "list"],
    ["outbox", "retry"],
    ["db", "upgrade"],
]


@pytest.fixture
def daemon_folder(tmp_path: Path) -> Path:
    """A folder where a daemon has run: its config, its database with one case in it."""
    (tmp_path / "posts.jsonl").write_text(COMPLAINT_LINE, encoding="utf-8")
    (tmp_path / "replywatch.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "filler.yaml").write_text(FILLER, encoding="utf-8")
    filled = CliRunner().invoke(app, ["poll", "--once", "-c", str(tmp_path / "filler.yaml")])
    assert filled.exit_code == 0, filled.output
    return tmp_path


def no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("X_BEARER_TOKEN", "REDDIT_CLIENT_ID", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def invoke(folder: Path, *command: str) -> Result:
    return CliRunner().invoke(app, [*command, "-c", str(folder / "replywatch.yaml")])


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_a_command_that_sends_nothing_runs_without_the_secrets(
    daemon_folder: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    no_secrets(monkeypatch)  # and secrets/reddit_secret does not exist either
    result = invoke(daemon_folder, *command)
    assert result.exit_code == 0, result.output
    assert "config error" not in result.output


def test_the_case_list_and_the_case_are_read_without_the_secrets(
    daemon_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_secrets(monkeypatch)
    listed = invoke(daemon_folder, "cases", "--format", "json")
    assert listed.exit_code == 0, listed.output
    assert '"id": 1' in listed.stdout and '"team": "support"' in listed.stdout
    shown = invoke(daemon_folder, "case", "1")
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith("RW-1 ")


@pytest.mark.parametrize("command", [["check-config"], ["poll", "--once"], ["run"]], ids=" ".join)
def test_the_commands_that_send_still_require_every_secret(
    daemon_folder: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    no_secrets(monkeypatch)
    result = invoke(daemon_folder, *command)
    assert result.exit_code == 2, result.output
    assert "X_BEARER_TOKEN is not set" in result.stderr


def test_a_malformed_secret_is_still_refused_where_it_is_not_read(
    daemon_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not reading a secret is no licence to write one in the file: the daemon would refuse
    it at start, so every command does."""
    no_secrets(monkeypatch)
    config = daemon_folder / "replywatch.yaml"
    config.write_text(
        CONFIG.replace('"env:SLACK_BOT_TOKEN"', "xoxb-1234-written-in-the-file"), encoding="utf-8"
    )
    result = invoke(daemon_folder, "cases")
    assert result.exit_code == 2, result.output
    assert "alerts.slack.bot_token" in result.stderr
    assert "xoxb-1234" not in result.output


def test_an_unread_secret_refuses_to_be_sent(tmp_path: Path) -> None:
    """A command that sends nothing and then asks for a token is a bug, told by the secret's
    reference rather than an empty token sent to Slack."""
    (tmp_path / "replywatch.yaml").write_text(CONFIG, encoding="utf-8")
    settings = load_settings(tmp_path / "replywatch.yaml", environ={}, read_secrets=False)
    assert settings.alerts.slack is not None
    token = settings.alerts.slack.bot_token
    assert isinstance(token, UnreadSecret)
    with pytest.raises(RuntimeError, match="secret env:SLACK_BOT_TOKEN was not read"):
        token.get_secret_value()
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "reddit_secret").write_text("s\n", encoding="utf-8")
    read = load_settings(
        tmp_path / "replywatch.yaml",
        environ={
            "SLACK_BOT_TOKEN": "xoxb-t",
            "SLACK_APP_TOKEN": "xapp-t",
            "X_BEARER_TOKEN": "x",
            "REDDIT_CLIENT_ID": "r",
        },
        read_secrets=True,
    )
    assert read.alerts.slack is not None
    assert read.alerts.slack.bot_token.get_secret_value() == "xoxb-t"
