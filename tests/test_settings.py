"""Settings: a good file loads; each bad one gives one clear line naming the field, exit 2."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from monitor.cli import app
from monitor.errors import ConfigError
from monitor.settings import parse_duration
from monitor.settings_file import load_settings

BASE: dict[str, Any] = {
    "database_url": "sqlite:///x.db",
    "brand_accounts": {"x": [{"handle": "@NovaBrew", "team": "support"}]},
    "entities": [
        {
            "id": "novabrew",
            "kind": "brand",
            "name": "NovaBrew",
            "terms": ["NovaBrew"],
            "team": "support",
        }
    ],
    "sources": [{"name": "demo", "type": "jsonl", "path": "posts.jsonl", "poll_interval": "30s"}],
    "teams": {"support": {"slack_channel": "#support"}},
}


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "replywatch.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path


def mutate(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    change(data)
    return data


def test_good_config_loads_with_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, BASE), environ={})
    assert settings.brand_accounts["x"][0].handle == "NovaBrew"  # "@" stripped
    assert settings.sources[0].path == tmp_path / "posts.jsonl"  # relative to the file
    assert settings.sources[0].poll_interval.total_seconds() == 30
    assert (
        settings.service_standards["default"].first_response["critical"].within.total_seconds()
        == 900
    )
    assert settings.default_team == "support"


def test_file_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    def paths(data: dict[str, Any]) -> None:
        data["acknowledgements"] = {"templates": "replies"}
        data["classifier"] = {"model_dir": "model"}

    settings = load_settings(write(tmp_path, mutate(paths)), environ={})
    assert settings.acknowledgements.templates == tmp_path / "replies"
    assert settings.classifier.model_dir == tmp_path / "model"


@pytest.mark.parametrize(
    ("written", "beside", "expected"),
    [
        ("./models/sentiment", False, "{base}/models/sentiment"),  # a path, made or not
        ("models/sentiment", True, "{base}/models/sentiment"),  # a folder the config has
        ("cardiffnlp/twitter-xlm-roberta-base-sentiment", False, "{written}"),  # a hub id
        ("/srv/models/sentiment", False, "{written}"),
    ],
)
def test_transformer_models_in_folders_are_relative_to_the_config_file(
    tmp_path: Path, written: str, beside: bool, expected: str
) -> None:
    """`classifier finetune --out models/sentiment` beside the config, then the daemon runs
    from another working directory: the config still finds the folder."""
    if beside:
        (tmp_path / written).mkdir(parents=True)

    def models(data: dict[str, Any]) -> None:
        data["classifier"] = {
            "backend": "transformers",
            "sentiment_model": written,
            "complaint_model": written,
        }

    c = load_settings(write(tmp_path, mutate(models)), environ={}).classifier
    want = expected.format(base=tmp_path, written=written)
    assert (c.sentiment_model, c.complaint_model) == (want, want)


def test_database_url_precedence(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    env = {"REPLYWATCH_DATABASE_URL": "sqlite:///from-env.db"}
    assert load_settings(path, environ=env).database_url == "sqlite:///from-env.db"
    chosen = load_settings(path, environ=env, database_url="sqlite:///cli.db")
    assert chosen.database_url == "sqlite:///cli.db"


def test_a_sqlite_file_lies_beside_the_config_wherever_it_runs_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A daemon started by systemd (cwd /) and the CLI run from a home folder must open the
    same database; only the file's own value is anchored, a command line's is the caller's."""
    config_dir = tmp_path / "etc"
    config_dir.mkdir()
    monkeypatch.chdir(tmp_path)
    written = write(config_dir, mutate(lambda d: d.update(database_url="sqlite:///data/rw.db")))
    assert load_settings(written, environ={}).database_url == f"sqlite:///{config_dir}/data/rw.db"
    default = write(config_dir, mutate(lambda d: d.pop("database_url")))
    assert (
        load_settings(default, environ={}).database_url == f"sqlite:///{config_dir}/replywatch.db"
    )
    home = write(config_dir, mutate(lambda d: d.update(database_url="sqlite:///~/rw.db")))
    assert load_settings(home, environ={}).database_url == f"sqlite:///{Path.home()}/rw.db"
    kept = ["sqlite://", "sqlite:///:memory:", f"sqlite:///{tmp_path}/abs.db"]
    for url in kept:
        path = write(config_dir, {**BASE, "database_url": url})
        assert load_settings(path, environ={}).database_url == url
    cli = load_settings(written, environ={}, database_url="sqlite:///cli.db")
    assert cli.database_url == "sqlite:///cli.db"


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_a_postgres_url_without_a_driver_uses_psycopg(tmp_path: Path, scheme: str) -> None:
    """Hosts hand out ``postgres://``; SQLAlchemy has no such dialect and reads a bare
    ``postgresql://`` as psycopg2, which is not installed. Both mean the psycopg we ship."""
    url = f"{scheme}://rw:pw@db.example:5432/rw"
    path = write(tmp_path, mutate(lambda d: d.update(database_url=url)))
    settings = load_settings(path, environ={})
    assert settings.database_url == "postgresql+psycopg://rw:pw@db.example:5432/rw"


def test_a_database_driver_that_is_not_installed_is_refused_by_check_config(
    tmp_path: Path,
) -> None:
    url = "mysql://rw:s3cr3t@db/rw"
    path = write(tmp_path, mutate(lambda d: d.update(database_url=url)))
    result = CliRunner().invoke(app, ["check-config", "-c", str(path)])
    assert result.exit_code == 2
    assert "database_url" in result.output and "no driver for mysql" in result.output
    assert "s3cr3t" not in result.output


def test_a_key_written_twice_is_refused(tmp_path: Path) -> None:
    """PyYAML keeps the last of two equal keys; a second ``teams:`` pasted lower down would
    silently drop the first block's teams."""
    text = yaml.safe_dump(BASE) + "teams:\n  other: {slack_channel: '#other'}\n"
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text), environ={})
    line = text.splitlines().index("teams:") + 1
    assert f"key 'teams' is written twice (first at line {line}); keep one" in str(caught.value)
    # a merge may override the keys it brings in: that is what merges are for
    two = yaml.safe_dump({**BASE, "sources": []}).replace(
        "sources: []",
        "sources:\n- &one {name: a, type: jsonl, path: a.jsonl, poll_interval: 30s}\n"
        "- {<<: *one, name: b, poll_interval: 1m}",
    )
    settings = load_settings(write(tmp_path, two), environ={})
    assert [(s.name, s.poll_interval.total_seconds()) for s in settings.sources] == [
        ("a", 30),
        ("b", 60),
    ]


def test_secrets_come_from_the_environment_and_never_print(tmp_path: Path) -> None:
    data = mutate(
        lambda d: d["sources"].append({"name": "x", "type": "x", "bearer_token": "env:XTOK"})
    )
    settings = load_settings(write(tmp_path, data), environ={"XTOK": "s3cr3t-token"})
    source = settings.sources[1]
    assert source.bearer_token.get_secret_value() == "s3cr3t-token"
    assert "s3cr3t" not in repr(settings) and "s3cr3t" not in str(source)


BAD = [
    # (id, config or mutation, field named, words the message must contain)
    ("not-yaml", "entities: [\n  - id: x\n  bad", "", "not valid YAML at line"),
    ("not-a-mapping", "- just\n- a list\n", "", "must be a mapping"),
    ("empty", "", "entities", "required"),
    ("unknown-top-key", mutate(lambda d: d.update(databse_url="x")), "databse_url", "unknown key"),
    (
        "unknown-entity-key",
        mutate(lambda d: d["entities"][0].update(term=["x"])),
        "entities.0.term",
        "allowed keys here",
    ),
    (
        "bad-entity-kind",
        mutate(lambda d: d["entities"][0].update(kind="company")),
        "entities.0.kind",
        "'brand', 'product' or 'staff'",
    ),
    (
        "no-terms",
        mutate(lambda d: d["entities"][0].update(terms=[])),
        "entities.0.terms",
        "at least 1",
    ),
    (
        "entity-team-undefined",
        mutate(lambda d: d["entities"][0].update(team="sales")),
        "entities.0.team",
        "one of the teams ['support']",
    ),
    (
        "quantize-on-gpu",
        mutate(
            lambda d: d.update(
                classifier={"backend": "transformers", "device": "cuda", "quantize": True}
            )
        ),
        "classifier",
        "set device: cpu, or quantize: false",
    ),
    (
        "bad-duration",
        mutate(lambda d: d["sources"][0].update(poll_interval="soon")),
        "sources.0.poll_interval",
        "duration such as",
    ),
    (
        "zero-duration",
        mutate(lambda d: d["sources"][0].update(poll_interval="0m")),
        "sources.0.poll_interval",
        "greater than zero",
    ),
    (
        "endless-duration",
        mutate(lambda d: d["sources"][0].update(poll_interval="99999999999w")),
        "sources.0.poll_interval",
        "at most a few years",
    ),
    (
        "endless-duration",
        mutate(lambda d: d["sources"][0].update(poll_interval="9999999999w")),
        "sources.0.poll_interval",
        "at most a few years",
    ),
    (
        "database-url-bad-port",
        mutate(lambda d: d.update(database_url="postgresql://u:AAAA-literal@db:port/x")),
        "database_url",
        "not a database URL",
    ),
    (
        "number-for-a-secret",
        mutate(
            lambda d: d["sources"].append({"name": "x", "type": "x", "bearer_token": 84736291055})
        ),
        "sources.1.bearer_token",
        "expected env:NAME or file:/path",
    ),
    (
        "token-for-a-section",
        mutate(lambda d: d.update(alerts={"slack": "xoxb-AAAA-literal"})),
        "alerts.slack",
        "(got a str)",
    ),
    (
        "unknown-source-type",
        mutate(lambda d: d["sources"][0].update(type="myspace")),
        "sources.0",
        "unknown type 'myspace'; expected one of jsonl, reddit, x, rss",
    ),
    (
        "literal-secret",
        mutate(
            lambda d: d["sources"].append(
                {"name": "x", "type": "x", "bearer_token": "AAAA-literal"}
            )
        ),
        "sources.1.bearer_token",
        "write env:NAME",
    ),
    (
        "missing-env-secret",
        mutate(
            lambda d: d["sources"].append(
                {"name": "x", "type": "x", "bearer_token": "env:NOPE_TOKEN"}
            )
        ),
        "sources.1.bearer_token",
        "NOPE_TOKEN is not set",
    ),
    (
        "bad-timezone",
        mutate(lambda d: d["teams"]["support"].update(business_hours={"timezone": "Mars/Olympus"})),
        "teams.support.business_hours.timezone",
        "IANA time zone",
    ),
    (
        "hours-without-days",
        mutate(lambda d: d["teams"]["support"].update(business_hours={"days": []})),
        "teams.support.business_hours.days",
        "list at least one day on which a shift starts, such as [mon, tue, wed, thu, fri]",
    ),
    (
        "hours-day-twice",  # "1w" in business time is as many working days as are listed
        mutate(
            lambda d: d["teams"]["support"].update(
                business_hours={"days": ["mon", "tue", "mon", "sat", "sat"]}
            )
        ),
        "teams.support.business_hours.days",
        "mon, sat is listed more than once; list each day once",
    ),
    (
        "hours-with-a-zone",  # the zone is business_hours.timezone; a second would disagree
        mutate(
            lambda d: d["teams"]["support"].update(
                business_hours={"timezone": "Europe/London", "start": "09:00Z"}
            )
        ),
        "teams.support.business_hours.start",
        'without a zone, like "08:00"; set timezone instead',
    ),
    (
        "bad-slack-channel",
        mutate(lambda d: d["teams"]["support"].update(slack_channel="support team")),
        "teams.support.slack_channel",
        "like #support",
    ),
    (
        "duplicate-source-name",
        mutate(lambda d: d["sources"].append(dict(d["sources"][0]))),
        "sources.1.name",
        "'demo' is repeated",
    ),
    (
        "standards-undefined",
        mutate(lambda d: d["teams"]["support"].update(standards="gold")),
        "teams.support.standards",
        "one of the service_standards ['default']",
    ),
    (
        "language-name-not-code",
        mutate(lambda d: d["entities"][0].update(languages=["english"])),
        "entities.0.languages.0",
        "a language code such as en",
    ),
    (
        "platform-typo-in-acknowledgements",
        mutate(lambda d: d.update(acknowledgements={"modes": {"twitter": "auto"}})),
        "acknowledgements.modes.twitter",
        "'reddit', 'x'",
    ),
    (
        "platform-typo-in-routing",
        mutate(lambda d: d.update(routing=[{"team": "support", "platforms": ["twitter"]}])),
        "routing.0.platforms.0",
        "'reddit', 'x'",
    ),
    (
        "bad-pr-channel",
        mutate(lambda d: d.update(alerts={"pr_channel": "pr team"})),
        "alerts.pr_channel",
        "like #support",
    ),
    (
        "unquoted-hours",  # YAML 1.1 reads 8:00 as 480
        yaml.safe_dump(BASE).replace(
            "slack_channel: '#support'",
            "slack_channel: '#support'\n    business_hours: {start: 8:00, end: '20:00'}",
        ),
        "teams.support.business_hours.start",
        'in quotes, like "08:00"',
    ),
    (
        "source-without-type",
        mutate(lambda d: d["sources"].append({"name": "x", "bearer_token": "AAAA-literal"})),
        "sources.1",
        "has no type; add type: with one of jsonl, reddit, x, rss",
    ),
    (
        "bad-platform-for-accounts",
        mutate(lambda d: d["brand_accounts"].update(myspace=[{"handle": "x"}])),
        "brand_accounts.myspace",
        "'reddit', 'x'",
    ),
    (
        "crisis-baseline-shorter-than-window",
        mutate(lambda d: d.update(crisis={"window": "2h", "baseline": "1h"})),
        "crisis",
        "baseline is shorter than window",
    ),
]


@pytest.mark.parametrize(("name", "data", "field", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_config_is_one_clear_line_and_exit_2(
    tmp_path: Path, name: str, data: Any, field: str, words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOPE_TOKEN", raising=False)
    monkeypatch.delenv("REPLYWATCH_DATABASE_URL", raising=False)
    path = write(tmp_path, data)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert caught.value.field == field
    assert words in str(caught.value)
    # a secret written in the file is never echoed
    assert "AAAA-literal" not in str(caught.value) and "84736291055" not in str(caught.value)

    result = CliRunner().invoke(app, ["check-config", "-c", str(path)])
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())
    assert "config error:" in output
    assert words in output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("22:00", "06:00"),  # a night shift: each listed day's shift ends the next morning
        ("00:00", "00:00"),  # a 24-hour day; with all seven days, a team that never closes
        ("09:00", "09:00"),  # a 24-hour day that hands over at 09:00
    ],
)
def test_a_shift_may_end_the_next_day(tmp_path: Path, start: str, end: str) -> None:
    """A night or follow-the-sun team writes its hours as it works them; refusing an end at or
    before the start left it no way to be configured (and a 24/7 team none at all). What the
    hours mean is in tests/response/test_clocks.py."""
    hours = {"timezone": "Europe/London", "start": start, "end": end}
    data = mutate(lambda d: d["teams"]["support"].update(business_hours=hours))
    loaded = load_settings(write(tmp_path, data), environ={}).teams["support"].business_hours
    assert (loaded.start.isoformat("minutes"), loaded.end.isoformat("minutes")) == (start, end)
    result = CliRunner().invoke(app, ["check-config", "-c", str(write(tmp_path, data))])
    assert result.exit_code == 0, result.output


def test_a_reddit_login_must_be_a_brand_account(tmp_path: Path) -> None:
    # its comments are read as the brand's answers: unknown to brand_accounts, each one
    # would open a case instead of stopping a clock
    reddit = {
        "name": "reddit",
        "type": "reddit",
        "client_id": "env:R_ID",
        "client_secret": "env:R_SECRET",
        "user_agent": "replywatch test",
        "username": "NovaBrew_Support",
        "password": "env:R_PASSWORD",
    }
    environ = {"R_ID": "id", "R_SECRET": "secret", "R_PASSWORD": "hunter2"}
    path = write(tmp_path, mutate(lambda d: d["sources"].append(reddit)))
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ=environ)
    assert caught.value.field == "sources.1.username"
    assert "add it there" in str(caught.value) and "hunter2" not in str(caught.value)
    listed = mutate(lambda d: d["sources"].append(reddit))
    listed["brand_accounts"]["reddit"] = [{"handle": "novabrew_support", "team": "support"}]
    assert load_settings(write(tmp_path, listed), environ=environ).sources[1].name == "reddit"


def test_language_codes_are_read_in_any_case(tmp_path: Path) -> None:
    data = mutate(lambda d: d["entities"][0].update(languages=["EN", "Fa"]))
    assert load_settings(write(tmp_path, data), environ={}).entities[0].languages == ("en", "fa")


def test_an_empty_secret_file_is_refused_by_name(tmp_path: Path) -> None:
    empty = tmp_path / "bearer"
    empty.write_text("\n", encoding="utf-8")
    source = {"name": "x", "type": "x", "bearer_token": f"file:{empty}"}
    path = write(tmp_path, mutate(lambda d: d["sources"].append(source)))
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert caught.value.field == "sources.1.bearer_token"
    assert f"secret file {empty} is empty" in str(caught.value)


def test_missing_file_names_the_fix(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["check-config", "-c", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "replywatch init" in result.output


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("15m", 900), ("4h", 14400), ("3d", 259200), ("1w", 604800), ("1.5h", 5400)],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize(("written", "shown"), [(30, "30"), (2.5, "2.5"), ("45", "45")])
def test_a_duration_without_a_unit_is_refused(tmp_path: Path, written: object, shown: str) -> None:
    """``poll_interval: 30`` may mean seconds or minutes; reading one when the team meant the
    other polls an API every 30 seconds or pages people at once, so the unit is asked for."""
    path = write(tmp_path, mutate(lambda d: d["sources"][0].update(poll_interval=written)))
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert caught.value.field == "sources.0.poll_interval"
    # days too: a report's --since 7 (one week) is as likely as 7 hours
    fix = f"{shown} has no unit; write {shown}s, {shown}m, {shown}h or {shown}d"
    assert fix in str(caught.value)


def test_init_writes_a_config_that_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    (tmp_path / "posts.jsonl").write_text("", encoding="utf-8")
    result = runner.invoke(app, ["check-config", "-c", "replywatch.yaml"])
    assert result.exit_code == 0, result.output
    # the starter keeps the team's refit model beside the config; none is written yet
    squashed = "".join(ch for ch in result.output if not ch.isspace() and ch != "│")
    assert "offline,theshippedmodel(noneinclassifier-modelyet" in squashed
    again = runner.invoke(app, ["init"])
    assert again.exit_code == 2 and "--force" in again.output
