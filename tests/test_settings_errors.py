"""Config errors that must not leak or mislead: a secret under a section of the wrong shape is
never echoed, a bad database URL given outside the file is blamed on where it was given, and a
relative ``file:`` secret is read beside the config file, wherever the daemon runs from."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from monitor.cli import app
from monitor.errors import ConfigError, field_items
from monitor.settings import Settings
from monitor.settings_file import load_settings
from monitor.settings_yaml import yaml_error
from tests.test_settings import BASE, mutate, write

SECRET = "hunter2-SuperSecret-9f3a"
NUMBER = 84736291055  # a numeric token pasted in: a secret too

#: Wrong shapes a secret may be written in: the shape is told, never what it holds.
SHAPES: list[tuple[str, object]] = [
    ("list", [SECRET]),
    ("nested-list", [[SECRET]]),
    ("mapping", {"value": SECRET}),
    ("list-of-mappings", [{"token": SECRET}]),
    ("secret-as-key", {SECRET: "x"}),
    ("number", NUMBER),
    ("list-of-numbers", [NUMBER]),
]

X = {"name": "x", "type": "x", "bearer_token": "env:TOKEN"}
REDDIT = {
    "name": "reddit",
    "type": "reddit",
    "client_id": "env:TOKEN",
    "client_secret": "env:TOKEN",
}
SLACK = {"bot_token": "env:TOKEN"}
ENVIRON = {"TOKEN": "resolved-token"}
SECRET_FIX = "expected env:NAME or file:/path"
TEXT_FIX = "Input should be a valid string"  # a URL field: a string, not a list or mapping


def _in_source(source: dict[str, Any], key: str) -> Any:
    return lambda value: mutate(lambda d: d["sources"].append({**source, key: value}))


def _in_slack(key: str) -> Any:
    return lambda value: mutate(lambda d: d.update(alerts={"slack": {**SLACK, key: value}}))


#: (field, how the value is written into a config, words naming the fix)
FIELDS: list[tuple[str, Any, str]] = [
    *[
        (f"sources.1.{key}", _in_source(X, key), SECRET_FIX)
        for key in (
            "bearer_token",
            "consumer_key",
            "consumer_secret",
            "access_token",
            "access_token_secret",
        )
    ],
    *[
        (f"sources.1.{key}", _in_source(REDDIT, key), SECRET_FIX)
        for key in ("client_id", "client_secret", "password")
    ],
    *[
        (f"alerts.slack.{key}", _in_slack(key), SECRET_FIX)
        for key in ("bot_token", "signing_secret", "app_token")
    ],
    (
        "database_url",
        lambda value: mutate(lambda d: d.update(database_url=value)),
        "expected sqlite:///file.db or postgresql+psycopg://user@host:5432/db",
    ),
    ("sources.1.api_url", _in_source(X, "api_url"), TEXT_FIX),
    ("sources.1.api_url", _in_source(REDDIT, "api_url"), TEXT_FIX),
    ("sources.1.auth_url", _in_source(REDDIT, "auth_url"), TEXT_FIX),
    ("alerts.slack.api_url", _in_slack("api_url"), TEXT_FIX),
]


def _as_told(field: str) -> str:
    """``field`` as an error names it: the list index in ``sources.1`` (BASE has one source,
    these configs add the second) with the item it is, as people count."""
    return f"{field} (the 2nd source)" if field.startswith("sources.1") else field


def _assert_hidden(path: Path, field: str, fix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading ``path`` fails on ``field``, says ``fix``, and shows no secret: in the message,
    on the error, or on the screen ``check-config`` prints to."""
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ=ENVIRON)
    message = str(caught.value)
    assert caught.value.field == field, message
    for secret in (SECRET, str(NUMBER)):
        assert secret not in message and secret not in repr(caught.value.value), message
    assert message.startswith(f"{_as_told(field)}: ") and fix in message, message

    monkeypatch.setenv("TOKEN", "resolved-token")
    result = CliRunner().invoke(app, ["check-config", "-c", str(path)])
    assert result.exit_code == 2, result.output
    shown = " ".join(result.output.split())
    assert f"config error: {_as_told(field)}: " in shown and fix in shown
    assert SECRET not in shown and str(NUMBER) not in shown


@pytest.mark.parametrize(("shape", "value"), SHAPES, ids=[s[0] for s in SHAPES])
@pytest.mark.parametrize(
    ("field", "written", "fix"),
    FIELDS,
    ids=[f"{f[0]}-{i}" for i, f in enumerate(FIELDS)],
)
def test_a_secret_in_the_wrong_shape_is_never_echoed(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    field: str,
    written: Any,
    fix: str,
    shape: str,
    value: object,
) -> None:
    monkeypatch.delenv("REPLYWATCH_DATABASE_URL", raising=False)
    _assert_hidden(write(tmp_path, written(value)), field, fix, monkeypatch)


LEAKED_SOURCE = {**X, "bearer_token": SECRET}

#: A section holding secrets written in the wrong shape: (id, config, field, the fix).
SECTIONS: list[tuple[str, object, str, str]] = [
    (
        "sources-without-dashes",
        mutate(lambda d: d.update(sources=LEAKED_SOURCE)),
        "sources",
        'start each item on its own line with "- " (got a mapping with keys',
    ),
    ("sources-as-text", mutate(lambda d: d.update(sources=SECRET)), "sources", '"- "'),
    (
        "source-as-text",
        mutate(lambda d: d["sources"].append(SECRET)),
        "sources.1",
        "expected key: value lines",
    ),
    (
        "source-in-a-list",
        mutate(lambda d: d["sources"].append([LEAKED_SOURCE])),
        "sources.1",
        'remove the "- "',
    ),
    (
        "source-type-holding-it",
        mutate(lambda d: d["sources"].append({**X, "type": [SECRET]})),
        "sources.1",
        "type must be one of jsonl, reddit, x, rss (got a list of 1 item)",
    ),
    (
        "source-type-a-number",
        mutate(lambda d: d["sources"].append({**X, "type": NUMBER})),
        "sources.1",
        "type must be one of jsonl, reddit, x, rss",
    ),
    (
        "slack-with-a-dash",
        mutate(lambda d: d.update(alerts={"slack": [{"bot_token": SECRET}]})),
        "alerts.slack",
        'not a list; remove the "- " before them (got a list of 1 item)',
    ),
    (
        "slack-as-text",
        mutate(lambda d: d.update(alerts={"slack": SECRET})),
        "alerts.slack",
        "expected key: value lines indented below it (got a str)",
    ),
    (
        "slack-as-a-number",
        mutate(lambda d: d.update(alerts={"slack": NUMBER})),
        "alerts.slack",
        "expected key: value lines",
    ),
    (
        "alerts-as-a-list",
        mutate(lambda d: d.update(alerts=[{"slack": {"bot_token": SECRET}}])),
        "alerts",
        'remove the "- "',
    ),
    (
        "a-token-as-a-key-under-a-source-list",
        mutate(lambda d: d.update(sources={SECRET: None, "type": "x"})),
        "sources",
        "(got a mapping with keys type and 1 other)",
    ),
]


@pytest.mark.parametrize(("name", "data", "field", "fix"), SECTIONS, ids=[s[0] for s in SECTIONS])
def test_a_section_holding_secrets_in_the_wrong_shape_is_told_by_its_shape(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    data: object,
    field: str,
    fix: str,
) -> None:
    _assert_hidden(write(tmp_path, data), field, fix, monkeypatch)


@pytest.mark.parametrize(
    ("slip", "field", "message"),
    [
        (
            "sources:\n  type: x\n  name: x\n"
            "  bearer_token: AAAAAAAAAAAAAAAAAAAAAMySuperSecretBearer\n",
            "sources",
            'sources: expected a list: start each item on its own line with "- " '
            "(got a mapping with keys type, name, bearer_token)",
        ),
        (
            "alerts:\n  slack:\n    - bot_token: xoxb-1111-2222-SuperSecretBotToken\n",
            "alerts.slack",
            'alerts.slack: expected key: value lines, not a list; remove the "- " before them '
            "(got a list of 1 item)",
        ),
        (
            "database_url: [postgresql+psycopg://admin:hunter2secret@host/db]\n",
            "database_url",
            "database_url: expected sqlite:///file.db or postgresql+psycopg://user@host:5432/db"
            ", as one line of text (got a list of 1 item)",
        ),
    ],
)
def test_the_common_yaml_slips_name_the_fix_and_not_the_secret(
    tmp_path: Path, slip: str, field: str, message: str
) -> None:
    """As written in the walkthrough: each once printed the token or password in full."""
    kept = {k: v for k, v in BASE.items() if not slip.startswith(f"{k}:")}
    path = write(tmp_path, yaml.safe_dump(kept) + slip)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert (caught.value.field, str(caught.value)) == (field, message)


def test_values_that_cannot_be_secrets_are_still_shown(tmp_path: Path) -> None:
    """Hiding is for secrets and URLs: a bad port or a misspelt team is shown as written."""
    data = mutate(lambda d: d.update(alerts={"slack": {**SLACK, "http_port": "web"}}))
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, data), environ=ENVIRON)
    assert str(caught.value).endswith("(got 'web')")
    data = mutate(lambda d: d["entities"][0].update(terms={"NovaBrew": 1}))
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, data), environ=ENVIRON)
    assert str(caught.value) == (
        "entities.0.terms (the 1st entity): expected a list: start each item on its own line "
        'with "- " (got a mapping with key NovaBrew)'
    )


# ----------------------------------------------------------- a database URL given elsewhere


BAD_URL = "postgresql://u:pw-AAAA-secret@db:port/x"


def test_a_bad_database_url_from_the_environment_is_named_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file's database_url is fine; blaming it sent people to the wrong place."""
    path = write(tmp_path, BASE)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={"REPLYWATCH_DATABASE_URL": BAD_URL})
    assert caught.value.field == "REPLYWATCH_DATABASE_URL"
    assert str(caught.value).startswith("REPLYWATCH_DATABASE_URL: not a database URL")
    assert "pw-AAAA-secret" not in str(caught.value)

    monkeypatch.setenv("REPLYWATCH_DATABASE_URL", "foo")
    result = CliRunner().invoke(app, ["check-config", "-c", str(path)])
    assert result.exit_code == 2
    assert "config error: REPLYWATCH_DATABASE_URL: not a database URL" in result.output


def test_a_bad_database_url_option_is_named_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--database-url`` wins over the environment, and so is the one blamed."""
    path = write(tmp_path, BASE)
    environ = {"REPLYWATCH_DATABASE_URL": "sqlite:///fine.db"}
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ=environ, database_url=BAD_URL)
    assert caught.value.field == "--database-url"
    assert str(caught.value).startswith("--database-url: not a database URL")
    assert "pw-AAAA-secret" not in str(caught.value)

    monkeypatch.setenv("REPLYWATCH_DATABASE_URL", "sqlite:///fine.db")
    result = CliRunner().invoke(
        app, ["check-config", "-c", str(path), "--database-url", "mysql://rw:s3cr3t@db/rw"]
    )
    assert result.exit_code == 2
    shown = " ".join(result.output.split())
    assert "config error: --database-url: no driver for mysql" in shown
    assert "s3cr3t" not in shown


def test_a_bad_database_url_in_the_file_is_still_the_files(tmp_path: Path) -> None:
    path = write(tmp_path, mutate(lambda d: d.update(database_url=BAD_URL)))
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert caught.value.field == "database_url"
    # a good override replaces it: nothing to blame
    fine = load_settings(path, environ={"REPLYWATCH_DATABASE_URL": "sqlite:///fine.db"})
    assert fine.database_url == "sqlite:///fine.db"


# ------------------------------------------------------------------- file: secrets' folder


def _x_with(bearer: str) -> dict[str, Any]:
    return mutate(lambda d: d["sources"].append({**X, "bearer_token": bearer}))


def test_a_relative_secret_file_is_read_beside_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """systemd starts the daemon in ``/``: ``file:secret.txt`` must still be the file next to
    the config, as every other path in it is, not one in the daemon's working folder."""
    config_dir, elsewhere = tmp_path / "etc", tmp_path / "cwd"
    config_dir.mkdir()
    elsewhere.mkdir()
    (config_dir / "secret.txt").write_text("beside-the-config\n", encoding="utf-8")
    (elsewhere / "secret.txt").write_text("in-the-working-folder\n", encoding="utf-8")
    monkeypatch.chdir(elsewhere)
    path = write(config_dir, _x_with("file:secret.txt"))
    bearer = load_settings(path, environ={}).sources[1].bearer_token
    assert bearer.get_secret_value() == "beside-the-config"

    nested = write(config_dir, _x_with("file:secrets/x"))
    with pytest.raises(ConfigError) as caught:
        load_settings(nested, environ={})
    assert caught.value.field == "sources.1.bearer_token"
    assert f"cannot read secret file {config_dir / 'secrets' / 'x'}" in str(caught.value)


def test_an_absolute_secret_file_is_read_where_it_is(tmp_path: Path) -> None:
    config_dir = tmp_path / "etc"
    config_dir.mkdir()
    secret = tmp_path / "run" / "secrets" / "bearer"
    secret.parent.mkdir(parents=True)
    secret.write_text("absolute\n", encoding="utf-8")
    path = write(config_dir, _x_with(f"file:{secret}"))
    bearer = load_settings(path, environ={}).sources[1].bearer_token
    assert bearer.get_secret_value() == "absolute"


def test_settings_not_from_a_file_read_a_relative_secret_from_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built in code (tests, the demo), there is no config folder: the current one is used."""
    (tmp_path / "secret.txt").write_text("from-cwd\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    settings = Settings.model_validate(_x_with("file:secret.txt"), context={"environ": {}})
    bearer = settings.sources[1].bearer_token
    assert bearer.get_secret_value() == "from-cwd"


# ------------------------------------------------------------------ a token written as a key


#: Tokens pasted with a colon after them, so YAML reads each as a key: (id, token).
TOKEN_KEYS: list[tuple[str, str | int]] = [
    ("slack-bot", "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"),
    ("slack-app", "xapp-1-A0123456789-1234567890123-0a1b2c3d4e5f60718293a4b5c6d7e8f9"),
    ("slack-short", "xoxb-1234-abcd"),
    (
        "x-bearer",
        "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI%3DEUifiRBkKG5E2XzM",
    ),
    ("x-consumer-key", "xvz1evFS4wEEPTGEFPHBog"),
    ("reddit-secret", "kX9fQ2bT7wLp0zR4mN8sV1cY3hJ"),
    ("reddit-secret-no-digits", "gKpRwTzqLmVbNxHyJdFcSaWeQtU"),
    ("reddit-secret-dashed", "Zx8-Qw3_Er5Ty7Ui9Op1As2Df4G"),
    ("signing-secret-hex", "8f742231b10e8888abcd99e0f1a285a5"),
    ("number", NUMBER),
]

#: Where a token lands as a key: (id, config with the key, section blamed, a key allowed there).
KEY_PLACES: list[tuple[str, Any, str, str]] = [
    (
        "alerts.slack",
        lambda key: mutate(lambda d: d.update(alerts={"slack": {**SLACK, key: 1}})),
        "alerts.slack",
        "signing_secret",
    ),
    (
        "x-source",
        lambda key: mutate(lambda d: d["sources"].append({**X, key: "x"})),
        "sources.1",
        "bearer_token",
    ),
    (
        "reddit-source",
        lambda key: mutate(lambda d: d["sources"].append({**REDDIT, key: None})),
        "sources.1",
        "client_secret",
    ),
    ("top-level", lambda key: mutate(lambda d: d.update({key: 1})), "(top level)", "alerts"),
]


@pytest.mark.parametrize(("token_id", "token"), TOKEN_KEYS, ids=[t[0] for t in TOKEN_KEYS])
@pytest.mark.parametrize(
    ("place", "written", "section", "allowed"), KEY_PLACES, ids=[p[0] for p in KEY_PLACES]
)
def test_a_token_written_as_an_unknown_key_is_not_shown(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    place: str,
    written: Any,
    section: str,
    allowed: str,
    token_id: str,
    token: str | int,
) -> None:
    """The unknown key once named itself: ``alerts.slack.xoxb-...: unknown key``. A key that
    may be a token is told by its length, blamed on its section, with the keys allowed there."""
    monkeypatch.delenv("REPLYWATCH_DATABASE_URL", raising=False)
    path = write(tmp_path, written(token))
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ=ENVIRON)
    message = str(caught.value)
    assert caught.value.field == section, message
    assert str(token) not in message and caught.value.value is None, message
    size = len(str(token))
    told = _as_told(section)
    assert message.startswith(f"{told}: an unknown key ({size} characters, not shown"), message
    assert "allowed keys here: " in message and allowed in message, message

    monkeypatch.setenv("TOKEN", "resolved-token")
    result = CliRunner().invoke(app, ["check-config", "-c", str(path)])
    assert result.exit_code == 2, result.output
    shown = " ".join(result.output.split())
    assert f"config error: {told}: an unknown key" in shown, shown
    assert str(token) not in result.output and str(token) not in shown


def test_a_token_written_where_a_platform_key_belongs_is_not_shown(tmp_path: Path) -> None:
    """A mapping's key of the wrong kind (``brand_accounts`` wants a platform) was echoed as
    ``(got 'xoxb-...')``: keys were taken for names, never secrets."""
    token = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
    data = mutate(lambda d: d["brand_accounts"].update({token: [{"handle": "a"}]}))
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, data), environ=ENVIRON)
    message = str(caught.value)
    assert caught.value.field == "brand_accounts" and caught.value.value is None, message
    assert token not in message and "'reddit', 'x'" in message, message
    assert message.endswith(f"(got a key of {len(token)} characters, not shown: it may be a token)")


@pytest.mark.parametrize(
    "key", ["bot_tokn", "bot-token", "botToken", "BOT_TOKEN", "per_chanel_interval", "timeout2"]
)
def test_a_misspelt_key_is_still_named(tmp_path: Path, key: str) -> None:
    """Naming the misspelt key is the useful error; hiding is only for what may be a token."""
    data = mutate(lambda d: d.update(alerts={"slack": {**SLACK, key: 1}}))
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, data), environ=ENVIRON)
    assert caught.value.field == f"alerts.slack.{key}"
    assert str(caught.value).startswith(f"alerts.slack.{key}: unknown key; allowed keys here: ")


def test_a_token_written_as_a_key_where_a_value_belongs_is_not_shown(tmp_path: Path) -> None:
    """A mapping in a plain value's place is told by its keys (``got a mapping with key
    port``), except a key that may be a token: ``http_port: {xoxb-…: 1}`` is only counted."""
    token = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
    data = mutate(lambda d: d.update(alerts={"slack": {**SLACK, "http_port": {token: 1}}}))
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, data), environ=ENVIRON)
    message = str(caught.value)
    assert caught.value.field == "alerts.slack.http_port", message
    assert token not in message and message.endswith("(got a mapping with 1 key)"), message
    named = mutate(lambda d: d.update(alerts={"slack": {**SLACK, "http_port": {"port": 1}}}))
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, named), environ=ENVIRON)
    assert str(caught.value).endswith("(got a mapping with key port)")


# ------------------------------------------------------------------- YAML slips in words


STARTER = resources.files("monitor").joinpath("starter.yaml").read_text(encoding="utf-8")
INDENTATION = (
    "this line's indentation does not match the lines above it: keys of one mapping must "
    "start in the same column"
)


def _row(text: str, line: str) -> int:
    """The number (from 1) of the only line in ``text`` that is ``line``."""
    (row,) = [i for i, written in enumerate(text.splitlines(), start=1) if written == line]
    return row


def _starter_with(line: str, instead: str) -> tuple[str, int]:
    """The starter config with its one ``line`` written as ``instead``, and that line's row."""
    return STARTER.replace(f"\n{line}\n", f"\n{instead}\n"), _row(STARTER, line)


def _yaml_slip(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    message = str(caught.value)
    assert caught.value.field == "" and message.startswith(f"{path} is not valid YAML "), message
    return message.removeprefix(f"{path} is not valid YAML ")


def test_a_key_indented_less_than_its_siblings_is_told_in_words(tmp_path: Path) -> None:
    """PyYAML said "expected <block end>, but found '<block mapping start>'" and no fix."""
    text, lead = _starter_with("    lead:", "   lead:")
    told = _yaml_slip(tmp_path, text)
    support, members = _row(STARTER, "  support:"), _row(STARTER, "    members:")
    assert told == (
        f'at line {lead}, column 4 ("   lead:"): {INDENTATION}; it is indented more than '
        f'"support:" (line {support}, column 3) and less than "members:" (line {members}, '
        'column 5): indent it to column 5 beside "members:"; or indent it to column 3 beside '
        '"support:"'
    )


def test_a_key_out_of_its_block_is_named_where_pyyaml_stops_past_it(tmp_path: Path) -> None:
    """``lead:`` written beside ``support:`` is valid YAML: PyYAML stops at the line after
    its block, ``business_hours:``. The message says where it stopped and names ``lead:``."""
    text, lead = _starter_with("    lead:", "  lead:")
    told = _yaml_slip(tmp_path, text)
    hours, support = _row(STARTER, "    business_hours:"), _row(STARTER, "  support:")
    assert told.startswith(f'at line {hours}, column 5 ("    business_hours:"): {INDENTATION}; ')
    assert (
        f'Column 5 is where the keys under "support:" (line {support}) start: if "lead:" on '
        f'line {lead} belongs under "support:" too, indent it to column 5, and the lines under '
        "it to match"
    ) in told


@pytest.mark.parametrize(
    ("line", "instead", "at", "says"),
    [
        (  # indented more than the key above, which has a value: read as more of that value
            "      slack_id: U0000000002",
            "       slack_id: U0000000002",
            'column 8 ("       slack_id: …")',
            f'{INDENTATION}; it is indented more than "name:" on line {{above}} (column 7), '
            "which has a value, so YAML reads this line as more of that value: indent it to "
            "column 7 beside it",
        ),
        (
            "    lead:",
            "\tlead:",
            'column 1 ("\\tlead:")',
            "a tab: YAML indents with spaces only; replace the tab with spaces",
        ),
        (
            '    slack_channel: "#support"',
            '    slack_channel:"#support"',
            'column 19 ("    slack_channel:…") (noticed at line {below})',
            'a colon needs a space after it: write "slack_channel:" and a space before the value;'
            " without the space YAML reads the line as text that runs on into the next",
        ),
        (
            '    slack_channel: "#support"',
            '    slack_channel: "#support',
            'column 20 ("    slack_channel: …") (noticed at line {noticed})',
            'the quote (") opened here is not closed on this line, so the lines below are read '
            'as part of its value until the next "; end the value with "',
        ),
        (
            "    - handle: ExampleCo",
            "    - handle: @ExampleCo",
            'column 15 ("    - handle: …")',
            'a value cannot start with @; put the value in quotes, like "@…"',
        ),
    ],
    ids=["key-too-deep", "tab", "no-space-after-colon", "unclosed-quote", "unquoted-at"],
)
def test_common_yaml_slips_name_the_line_and_the_fix(
    tmp_path: Path, line: str, instead: str, at: str, says: str
) -> None:
    text, row = _starter_with(line, instead)
    noticed = next(  # the next line holding a double quote: where the value ends
        i for i, written in enumerate(text.splitlines(), start=1) if i > row and '"' in written
    )
    where = at.format(below=row + 1, noticed=noticed)
    assert _yaml_slip(tmp_path, text) == f"at line {row}, {where}: {says.format(above=row - 1)}"


def _marked(text: str) -> tuple[str, list[str]]:
    """``text`` with every value written as a marker of its own (``V017X``), and the markers:
    a message that shows one shows a value, which may be a secret."""
    lines, markers = [], []
    for i, line in enumerate(text.splitlines()):
        keyed = re.fullmatch(r"(\s*(?:- )?[A-Za-z_][\w-]*: )([^#|>\s].*)", line)
        item = re.fullmatch(r"(\s*- )([^\s:#]+)", line)
        if found := keyed or item:
            markers.append(f"V{i:03d}X")
            line = found.group(1) + markers[-1]
        lines.append(line)
    return "\n".join(lines) + "\n", markers


def _slips(line: str) -> list[str]:
    """The slips a person makes on ``line``: its indentation one or two columns off, a tab
    before it, the space after its colon left out, and an opening quote not closed."""
    indent = len(line) - len(line.lstrip(" "))
    slips = [" " * (indent + d) + line.lstrip(" ") for d in (-2, -1, 1, 2) if indent + d >= 0]
    slips.append("\t" + line)
    if ": " in line:
        slips += [line.replace(": ", ":", 1), line.replace(": ", ': "', 1)]
    return slips


def test_every_yaml_slip_in_the_starter_names_its_line_in_words() -> None:
    """Each line of the starter config, slipped as people slip: where YAML refuses the file,
    the message names the slipped line (PyYAML often stops lines below it), is in words, not
    the parser's, and shows no value."""
    text, markers = _marked(STARTER)
    assert yaml.safe_load(text)  # the marked starter itself is good YAML
    lines = text.splitlines()
    refused = 0
    for i, line in enumerate(lines):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        for slip in _slips(line):
            slipped = "\n".join([*lines[:i], slip, *lines[i + 1 :]]) + "\n"
            try:
                yaml.safe_load(slipped)
            except yaml.YAMLError as exc:
                refused += 1
                told = str(yaml_error(Path("rw.yaml"), slipped, exc))
                assert f"line {i + 1}" in told, (slip, told)
                assert "<block" not in told and "but found" not in told, (slip, told)
                assert not any(marker in told for marker in markers), (slip, told)
    assert refused > 250  # of some 290: the rest are valid YAML, other checks' work


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (  # no space after the colon: the line is named, its value not
            "alerts:\n  slack:\n    bot_token:xoxb-1111-2222-SuperSecretBotToken\n    mode: http\n",
            "xoxb-1111-2222-SuperSecretBotToken",
        ),
        (  # a literal token under-indented: the line is quoted up to its key
            "alerts:\n  slack:\n    mode: http\n   bot_token: xoxb-1111-2222-SuperSecretBotToken\n",
            "xoxb-1111-2222-SuperSecretBotToken",
        ),
        (  # a token pasted as a key, too deep: told as a key, not shown
            "alerts:\n  slack:\n    bot_token: env:X\n"
            "      xoxb-1111-2222-SuperSecretBotToken: 1\n",
            "xoxb-1111-2222-SuperSecretBotToken",
        ),
        (  # an unclosed quote around a password: where it opens, not what follows
            "database_url: 'postgresql://rw:hunter2secret@db/rw\nentities: []\n",
            "hunter2secret",
        ),
    ],
    ids=["glued", "under-indented", "token-as-key", "unclosed-quote"],
)
def test_a_yaml_slip_never_shows_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, secret: str
) -> None:
    told = _yaml_slip(tmp_path, text)
    assert secret not in told and "at line " in told, told
    monkeypatch.delenv("REPLYWATCH_DATABASE_URL", raising=False)
    result = CliRunner().invoke(app, ["check-config", "-c", str(tmp_path / "replywatch.yaml")])
    assert result.exit_code == 2 and secret not in result.output, result.output


def test_check_config_and_poll_tell_a_yaml_slip_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REPLYWATCH_DATABASE_URL", raising=False)
    text, lead = _starter_with("    lead:", "   lead:")
    path = write(tmp_path, text)
    runner = CliRunner()
    checked = runner.invoke(app, ["check-config", "-c", str(path)])
    polled = runner.invoke(app, ["poll", "--once", "-c", str(path)])
    for result in (checked, polled):
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output and "<block" not in result.output
    (line,) = checked.stderr.splitlines()
    assert line.startswith(f'config error: {path} is not valid YAML at line {lead}, column 4 ("')
    assert f"{INDENTATION}; " in line and line in polled.stderr.splitlines()


# ------------------------------------------------------------ list items as people count


def test_a_list_item_is_named_as_people_count_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``routing.1.team`` is the second rule: the path stays as pydantic writes it (it is what
    people grep for), and the item it is follows it."""
    rules = [{"team": "support"}, {"team": "sales"}]
    path = write(tmp_path, mutate(lambda d: d.update(routing=rules)))
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert caught.value.field == "routing.1.team"
    assert str(caught.value) == (
        "routing.1.team (the 2nd routing rule): 'sales' is not defined; expected one of the "
        "teams ['support']"
    )
    monkeypatch.delenv("REPLYWATCH_DATABASE_URL", raising=False)
    result = CliRunner().invoke(app, ["check-config", "-c", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith("config error: routing.1.team (the 2nd routing rule): ")


@pytest.mark.parametrize(
    ("field", "items"),
    [
        ("sources.0.bearer_token", "the 1st source"),
        ("entities.0.terms.2", "the 1st entity's 3rd term"),
        ("routing.10.platforms.0", "the 11th routing rule's 1st platform"),
        ("brand_accounts.x.0.team", "the 1st x brand account"),
        ("teams.support.members.11.name", "the 12th member"),
        ("sources.1.urls.21", "the 2nd source's 22nd URL"),
        ("entities.111", "the 112th entity"),
        ("teams.1.slack_channel", ""),  # a team named "1" is a name, not an index
        ("sources.reddit", ""),  # a source named by its name
        ("teams.support.lead", ""),
    ],
)
def test_field_items_count_from_one(field: str, items: str) -> None:
    assert field_items(field) == items
    assert str(ConfigError(field, "x")) == (f"{field} ({items}): x" if items else f"{field}: x")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["entities"].append(dict(d["entities"][0])), "expected an id not used"),
        (lambda d: d["sources"].append(dict(d["sources"][0])), "expected a name not used"),
    ],
    ids=["id", "name"],
)
def test_a_repeat_is_told_with_the_right_article(
    tmp_path: Path, change: Any, expected: str
) -> None:
    """It said "expected a id not used earlier in entities"."""
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, mutate(change)), environ={})
    assert expected in str(caught.value) and " a id " not in str(caught.value)


def test_a_file_that_is_not_a_mapping_is_told_with_the_right_article(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, "42\n"), environ={})
    assert str(caught.value).endswith("must be a mapping of settings (key: value), not an int")


def test_a_control_character_is_named_by_its_code_and_place(tmp_path: Path) -> None:
    """PyYAML's reader tells a position in characters, not a line: a pasted control character
    (a bell in a token, CRLF breaks counted as one) is placed by line and column."""
    told = _yaml_slip(tmp_path, "database_url: sqlite:///x.db\r\nfallback_team: sup\x07port\r\n")
    assert told == (
        'at line 2, column 19 ("fallback_team: …"): a character YAML does not allow (#x0007, '
        "not shown); delete it and write the value again"
    )
