"""A public acknowledgement comes from the brand account that answers for the case's team.

With several sources able to reply on one platform, each holding another brand account's
credentials, the reply goes through the one whose credentials are the account the reply
names, whichever comes first in the config. An account no source holds is a config error
where the config says whom each source logs in as (Reddit), and otherwise (X) a send given up
for good that names the account and the fix. One source on a platform replies as before.

The real tweepy and praw against the X and Reddit emulators; sources built from settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from typer.testing import CliRunner

from monitor.acknowledge import source_repliers
from monitor.app import App, check_startup
from monitor.cli import app as cli
from monitor.models import Case, CaseEvent, Outbox, Post
from monitor.settings import Settings
from monitor.wiring import build_sources
from sources.base import Source
from sources.x import XSource
from tests.emulators.http import Fault
from tests.emulators.reddit import RedditEmulator
from tests.emulators.x import XEmulator
from tests.fakes import FakeClock, pass_time
from tests.response.response_support import RecordingSink, TaggedClassifier, make_settings

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # London is at work
ACK_DELAY = timedelta(minutes=2)
APP_KEYS = {"consumer_key": "emulator-ck", "consumer_secret": "emulator-cs"}
#: Each brand account's own user-context keys, for the one app.
NOVABREW_KEYS = {"access_token": "emulator-at", "access_token_secret": "emulator-ats"}
PR_KEYS = {"access_token": "pr-at", "access_token_secret": "pr-ats"}
DEVICES_KEYS = {"access_token": "devices-at", "access_token_secret": "devices-ats"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_10)


@pytest.fixture
def x(clock: FakeClock) -> Iterator[XEmulator]:
    em = XEmulator(clock=lambda: clock().timestamp())
    em.add_user("NovaBrew", followers=50_000, me=True)  # the emulator's own keys
    em.add_user("NovaBrewPR", followers=900, **PR_KEYS)
    em.add_user("NovaBrewDevices", followers=300, **DEVICES_KEYS)
    with em:
        yield em


@pytest.fixture
def apps() -> Iterator[list[App]]:
    built: list[App] = []
    yield built
    for app in built:
        for source in app.sources:
            close = getattr(source, "close", None)
            if close is not None:
                close()
        app.close()


def x_source(name: str, x: XEmulator, keys: dict[str, str] | None) -> dict[str, Any]:
    """An X source's settings: reading with the bearer token, replying with ``keys``."""
    secrets = {**APP_KEYS, **keys} if keys else {}
    return {
        "name": name,
        "type": "x",
        "bearer_token": SecretStr("emulator-bearer"),
        "api_url": x.url,
        "timeout": "2s",
        **{k: SecretStr(v) for k, v in secrets.items()},
    }


def x_settings(url: str, x: XEmulator, sources: list[dict[str, Any]]) -> Settings:
    """@NovaBrew answers for support, @NovaBrewPR for pr (critical complaints on X)."""
    return make_settings(
        database_url=url,
        brand_accounts={
            "x": [
                {"handle": "NovaBrew", "team": "support"},
                {"handle": "NovaBrewPR", "team": "pr"},
                {"handle": "NovaBrewDevices", "team": "devices"},
            ]
        },
        sources=sources,
        acknowledgements={"modes": {"x": "auto"}, "delay": "2m"},
    )


def build(apps: list[App], settings: Settings, clock: FakeClock, sink: RecordingSink) -> App:
    """The app as ``poll``/``run`` build it: its sources, and so its repliers, from settings."""
    app = App.build(
        settings,
        clock=clock,
        sink=sink,
        sources=build_sources(settings, clock=clock),
        classifier=TaggedClassifier(),
    )
    apps.append(app)
    return app


def source(app: App, name: str) -> Source:
    return next(s for s in app.sources if s.name == name)


def acknowledge_due(app: App, clock: FakeClock, reader: str) -> None:
    """Poll ``reader``, send the alerts, let the acknowledgement delay pass, send replies."""
    app.poll(source(app, reader))
    app.deliver()
    pass_time(app.sessions, clock, ACK_DELAY)
    app.deliver()


def replier_of(x: XEmulator, tweet_id: str) -> list[str]:
    """Who answered tweet ``tweet_id`` on the emulator."""
    return [
        x.users[t["author_id"]]["username"]
        for t in x.tweets.values()
        if {"type": "replied_to", "id": tweet_id} in (t.get("referenced_tweets") or [])
    ]


def ack_events(app: App, native_id: str, kind: str) -> list[dict[str, Any]]:
    with app.sessions() as s:
        return [
            dict(e.detail or {})
            for e in s.scalars(
                select(CaseEvent)
                .join(Case, CaseEvent.case_id == Case.id)
                .join(Post, Case.post_id == Post.id)
                .where(Post.native_id == native_id, CaseEvent.kind == kind)
                .order_by(CaseEvent.id)
            )
        ]


def outbox_status(app: App, key: str) -> str:
    with app.sessions() as s:
        return str(s.scalars(select(Outbox.status).where(Outbox.key == key)).one())


# ----------------------------------------------------------------------------------- X


def test_each_x_reply_comes_from_its_teams_account(
    database_url: str, clock: FakeClock, x: XEmulator, apps: list[App]
) -> None:
    settings = x_settings(
        database_url,
        x,
        [
            x_source("x-main", x, NOVABREW_KEYS),  # first: it used to send every reply
            x_source("x-pr", x, PR_KEYS),
        ],
    )
    support = x.add_tweet("maria", "NovaBrew grinder arrived broken")
    critical = x.add_tweet("omar", "NovaBrew is the worst, it caught fire [critical]")
    app = build(apps, settings, clock, RecordingSink())
    acknowledge_due(app, clock, "x-main")

    assert replier_of(x, support) == ["NovaBrew"]
    assert replier_of(x, critical) == ["NovaBrewPR"]  # routed to pr: pr's own account
    assert [e["via"] for e in ack_events(app, support, "ack_attempt")] == ["x-main"]
    assert [e["via"] for e in ack_events(app, critical, "ack_attempt")] == ["x-pr"]
    assert outbox_status(app, f"ack:x:{critical}") == "sent"


def test_a_reply_whose_account_no_x_source_holds_is_given_up_naming_it(
    database_url: str, clock: FakeClock, x: XEmulator, apps: list[App]
) -> None:
    # pr's account has no source; which account X keys belong to only X can say, so
    # check-config lets it through and the send tells, once, without posting
    settings = x_settings(
        database_url,
        x,
        [x_source("x-main", x, NOVABREW_KEYS), x_source("x-devices", x, DEVICES_KEYS)],
    )
    check_startup(settings)  # what check-config runs: passes
    critical = x.add_tweet("omar", "NovaBrew is the worst, it caught fire [critical]")
    sink = RecordingSink()
    app = build(apps, settings, clock, sink)
    acknowledge_due(app, clock, "x-main")

    assert replier_of(x, critical) == []
    assert outbox_status(app, f"ack:x:{critical}") == "failed"
    assert ack_events(app, critical, "ack_attempt") == []
    (failed,) = ack_events(app, critical, "ack_failed")
    assert failed["error"] == (
        "no x source has the credentials of @NovaBrewPR, the brand account this reply is to "
        "come from (source 'x-main' posts as @NovaBrew; source 'x-devices' posts as "
        "@NovaBrewDevices); add an x source with @NovaBrewPR's consumer_key, consumer_secret, "
        "access_token and access_token_secret, or set acknowledgements.modes.x to off"
    )
    app.deliver()  # the thread line
    lines = [m.title for m in sink.messages if m.thread_ts and "Acknowledgement" in m.title]
    (line,) = lines  # shortened for the thread
    assert line.startswith(
        "Acknowledgement not sent: no x source has the credentials of @NovaBrewPR"
    )


def test_an_x_source_that_cannot_say_whose_keys_it_holds_yet_sends_nothing(
    database_url: str, clock: FakeClock, x: XEmulator, apps: list[App]
) -> None:
    # X down when asked whose keys the first source holds: not sent through the second
    # meanwhile (that would decide the account by an outage); sent once X answers
    settings = x_settings(
        database_url, x, [x_source("x-pr", x, PR_KEYS), x_source("x-main", x, NOVABREW_KEYS)]
    )
    support = x.add_tweet("maria", "NovaBrew grinder arrived broken")
    app = build(apps, settings, clock, RecordingSink())
    app.poll(source(app, "x-main"))
    app.deliver()
    pass_time(app.sessions, clock, ACK_DELAY)
    x.inject(Fault.server_error(503, path=r"^/2/users/me$"))
    assert app.deliver().failed == 0
    assert replier_of(x, support) == [] and ack_events(app, support, "ack_attempt") == []
    for _ in range(4):  # past the retry's backoff
        pass_time(app.sessions, clock, timedelta(minutes=5))
        app.deliver()
    assert replier_of(x, support) == ["NovaBrew"]
    assert [e["via"] for e in ack_events(app, support, "ack_attempt")] == ["x-main"]


def test_a_resend_the_account_moves_to_another_source_is_not_made(
    database_url: str, clock: FakeClock, x: XEmulator, apps: list[App]
) -> None:
    """The first attempt went through x-main (as every reply did before replies followed
    their account) and failed with the outcome unknown; the restarted daemon would send it
    through x-pr, which cannot see a reply x-main may have posted: given up, "may have gone
    out", never a second reply."""
    settings = x_settings(
        database_url, x, [x_source("x-main", x, NOVABREW_KEYS), x_source("x-pr", x, PR_KEYS)]
    )
    critical = x.add_tweet("omar", "NovaBrew is the worst, it caught fire [critical]")
    sink = RecordingSink()
    sources = build_sources(settings, clock=clock)
    first = App.build(
        settings,
        clock=clock,
        sink=sink,
        sources=sources,
        classifier=TaggedClassifier(),
        repliers={"x": source_repliers(sources, settings)["x"]},  # x-main: the first
    )
    apps.append(first)
    first.poll(source(first, "x-main"))
    first.deliver()
    pass_time(first.sessions, clock, ACK_DELAY)
    x.inject(Fault.server_error(503, path=r"^/2/tweets$"))
    first.deliver()
    assert [e["via"] for e in ack_events(first, critical, "ack_attempt")] == ["x-main"]

    pass_time(first.sessions, clock, timedelta(minutes=5))
    restarted = build(apps, settings, clock, sink)
    assert restarted.deliver().failed == 1
    assert replier_of(x, critical) == []
    (failed,) = ack_events(restarted, critical, "ack_failed")
    assert "'x-main'" in failed["error"] and "'x-pr'" in failed["error"]
    restarted.deliver()
    (line,) = [m.title for m in sink.messages if m.thread_ts and "Acknowledgement" in m.title]
    assert line.startswith("Acknowledgement given up, and it may have gone out")


def test_one_x_source_replies_as_before_whatever_account_the_reply_names(
    database_url: str, clock: FakeClock, x: XEmulator, apps: list[App]
) -> None:
    # pr's account has no keys of its own here: its replies come from the one account
    # that has, as they always did; a bearer-only reader beside it changes nothing
    settings = x_settings(
        database_url, x, [x_source("x-read", x, None), x_source("x-main", x, NOVABREW_KEYS)]
    )
    critical = x.add_tweet("omar", "NovaBrew is the worst, it caught fire [critical]")
    app = build(apps, settings, clock, RecordingSink())
    acknowledge_due(app, clock, "x-read")
    assert replier_of(x, critical) == ["NovaBrew"]
    assert [e["via"] for e in ack_events(app, critical, "ack_attempt")] == ["x-main"]
    assert not [r for r in x.requests if r.path == "/2/users/me"]  # no account to look up


def test_the_x_source_says_whose_keys_it_holds(x: XEmulator, clock: FakeClock) -> None:
    def made(keys: dict[str, str]) -> XSource:
        return XSource(
            "x",
            bearer_token="emulator-bearer",
            terms=["NovaBrew"],
            api_url=x.url,
            timeout_s=2.0,
            clock=clock,
            **APP_KEYS,
            **keys,
        )

    main, pr = made(NOVABREW_KEYS), made(PR_KEYS)
    try:
        assert (main.reply_handle(), pr.reply_handle()) == ("NovaBrew", "NovaBrewPR")
        assert pr.reply_handle() == "NovaBrewPR"
        assert len([r for r in x.requests if r.path == "/2/users/me"]) == 2  # asked once each
    finally:
        main.close()
        pr.close()


# ------------------------------------------------------------------------------ Reddit

REDDIT_ACCOUNTS = {"NovaBrewHQ": "hq-password", "NovaBrewHelp": "help-password"}


def reddit_source(name: str, reddit: RedditEmulator, username: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "reddit",
        "client_id": SecretStr("client-id"),
        "client_secret": SecretStr("client-secret"),
        "username": username,
        "password": SecretStr(REDDIT_ACCOUNTS[username]),
        "subreddits": ["novabrew"],
        "search": False,
        "api_url": reddit.url,
        "auth_url": reddit.url,
        "timeout": "2s",
    }


def test_each_reddit_reply_comes_from_its_teams_account(
    database_url: str, clock: FakeClock, apps: list[App]
) -> None:
    with RedditEmulator(accounts=REDDIT_ACCOUNTS, now=clock.now.timestamp()) as reddit:
        settings = make_settings(
            database_url=database_url,
            brand_accounts={
                "reddit": [
                    {"handle": "NovaBrewHQ", "team": "support"},
                    {"handle": "NovaBrewHelp", "team": "devices"},
                ]
            },
            sources=[
                reddit_source("rd-hq", reddit, "NovaBrewHQ"),  # first: it sent every reply
                reddit_source("rd-help", reddit, "NovaBrewHelp"),
            ],
            acknowledgements={"modes": {"reddit": "auto"}, "delay": "2m"},
        )
        support = reddit.add_submission(
            "novabrew", "NovaBrew grinder arrived broken", author="maria"
        )
        devices = reddit.add_submission("novabrew", "My Pod X2 arrived broken", author="omar")
        app = build(apps, settings, clock, RecordingSink())
        acknowledge_due(app, clock, "rd-hq")

        def authors(parent: str) -> list[str]:
            return [
                str(t["data"]["author"])
                for t in reddit.things
                if t["data"].get("parent_id") == parent
            ]

        assert authors(support) == ["NovaBrewHQ"]
        assert authors(devices) == ["NovaBrewHelp"]
        assert [e["via"] for e in ack_events(app, devices, "ack_attempt")] == ["rd-help"]


REDDIT_CONFIG = """\
database_url: sqlite:///{db}
brand_accounts:
  reddit:
    - {{handle: NovaBrewHQ, team: support}}
    - {{handle: NovaBrewHelp, team: devices}}
    - {{handle: NovaBrewPR, team: pr}}
entities:
  - {{id: novabrew, kind: brand, name: NovaBrew, terms: [NovaBrew], team: support}}
teams:
  support: {{slack_channel: "#support"}}
  devices: {{slack_channel: "#devices"}}
  pr: {{slack_channel: "#pr"}}
sources:
{sources}acknowledgements: {{modes: {{reddit: approval}}}}
"""
REDDIT_SOURCE = (
    "  - {{name: {name}, type: reddit, client_id: env:RW_ID, client_secret: env:RW_SECRET,"
    " username: {user}, password: env:RW_PASSWORD, subreddits: [novabrew],"
    " api_url: 'http://127.0.0.1:9', auth_url: 'http://127.0.0.1:9'}}\n"
)
ENV = {"RW_ID": "id", "RW_SECRET": "secret", "RW_PASSWORD": "password"}


def reddit_config(tmp_path: Path, logins: dict[str, str]) -> Path:
    sources = "".join(REDDIT_SOURCE.format(name=n, user=u) for n, u in logins.items())
    path = tmp_path / "replywatch.yaml"
    path.write_text(REDDIT_CONFIG.format(db=tmp_path / "rw.db", sources=sources), "utf-8")
    return path


def test_a_reddit_account_no_source_logs_in_as_is_refused_by_check_config_and_poll(
    tmp_path: Path,
) -> None:
    path = reddit_config(tmp_path, {"rd-hq": "NovaBrewHQ", "rd-help": "NovaBrewHelp"})
    runner = CliRunner(env=ENV)
    checked = runner.invoke(cli, ["check-config", "-c", str(path)])
    polled = runner.invoke(cli, ["poll", "--once", "-c", str(path)])
    assert checked.exit_code == 2, checked.output
    assert polled.exit_code == 2, polled.output
    (line,) = checked.stderr.splitlines()
    assert " ".join(line.split()) == (
        "config error: brand_accounts.reddit.2 (the 3rd reddit brand account): u/NovaBrewPR "
        "replies for team(s) 'pr' "
        "(acknowledgements.modes.reddit is approval), but no reddit source logs in as it "
        "(sources log in 'rd-hq' as u/NovaBrewHQ, 'rd-help' as u/NovaBrewHelp); add a reddit "
        "source with username: NovaBrewPR and its password, or set "
        "acknowledgements.modes.reddit to off (or dry-run)"
    )
    assert line in polled.stderr.splitlines()


@pytest.mark.parametrize(
    "logins",
    [
        {"rd-hq": "NovaBrewHQ", "rd-help": "NovaBrewHelp", "rd-pr": "novabrewpr"},
        {"rd-hq": "NovaBrewHQ"},  # one source replies for every team, as it always has
    ],
)
def test_reddit_accounts_each_with_a_source_pass(tmp_path: Path, logins: dict[str, str]) -> None:
    checked = CliRunner(env=ENV).invoke(
        cli, ["check-config", "-c", str(reddit_config(tmp_path, logins))]
    )
    assert checked.exit_code == 0, checked.output
