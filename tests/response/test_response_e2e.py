"""End to end on the emulators: the real X client (tweepy) against the X emulator, the real
Slack sink and bolt app (slack-sdk) against the Slack emulator, SQLite and PostgreSQL.

One story: complaints arrive on X and are routed to the right teams, one Slack message each;
a person claims one with the button; acknowledgements go out once each although the X API
loses one answer after posting and refuses another, and the daemon restarts in between; a
brand reply stops a clock; escalations fire at the right moments; a quiet account is flagged.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from alerts.blocks import action_id
from alerts.interactive import build_app
from alerts.slack import SlackSink
from monitor.app import App, build_sink
from monitor.models import Case, CaseStatus, Outbox, Post
from monitor.wiring import watch_terms
from sources.x import XSource
from tests.emulators.http import Fault
from tests.emulators.slack import SlackEmulator
from tests.emulators.slack_requests import (
    block_action_payload,
    dispatch_signed,
    interaction_body,
    slash_command_body,
)
from tests.emulators.x import XEmulator
from tests.fakes import FakeClock, pass_time
from tests.response.response_support import ENVIRON, TaggedClassifier, make_settings

CHANNELS = {
    "support": "C0SUPPORT",
    "devices": "C0DEVICES",
    "support-fa": "C0SUPPORTFA",
    "exec-office": "C0EXEC",
    "legal": "C0LEGAL",
    "pr": "C0PR",
}
CREDS = {
    "consumer_key": "emulator-ck",
    "consumer_secret": "emulator-cs",
    "access_token": "emulator-at",
    "access_token_secret": "emulator-ats",
}
SECRET = ENVIRON["SLACK_SIGNING_SECRET"]


class MonotonicPair:
    """A fake monotonic clock and sleep for the Slack sink's per-channel spacing."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))  # Monday, London at work


@pytest.fixture
def x(clock: FakeClock) -> Iterator[XEmulator]:
    em = XEmulator(clock=lambda: clock().timestamp())
    em.add_user("NovaBrew", followers=50_000, me=True)
    with em:
        yield em


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator(channels=CHANNELS) as em:
        yield em


class Daemon:
    """One replywatch process: its own X client, Slack sink and App on the shared database."""

    def __init__(self, settings: Any, x: XEmulator, slack: SlackEmulator, clock: FakeClock):
        self.source = XSource(
            "x",
            bearer_token="emulator-bearer",
            terms=watch_terms(settings),
            brand_handles=["NovaBrew"],
            api_url=x.url,
            timeout_s=2.0,
            page_size=10,
            clock=clock,
            **CREDS,
        )
        self.spacing = MonotonicPair()
        self.sink = SlackSink(
            ENVIRON["SLACK_BOT_TOKEN"],
            base_url=slack.api_url,
            timeout_s=2.0,
            per_channel_interval_s=1.0,
            clock=self.spacing.clock,
            sleep=self.spacing.sleep,
        )
        self.app = App.build(
            settings,
            clock=clock,
            sink=self.sink,
            sources=[self.source],
            classifier=TaggedClassifier(),
        )

    def close(self) -> None:
        self.source.close()
        self.app.close()


def case_for(app: App, native_id: str) -> Case:
    with app.sessions() as s:
        case = s.scalar(select(Case).join(Case.post).where(Post.native_id == native_id))
        assert case is not None
        return case


def replies_to(x: XEmulator, tweet_id: str, by: str = "NovaBrew") -> list[dict[str, Any]]:
    me = x.user_id(by)
    return [
        t
        for t in x.tweets.values()
        if t["author_id"] == me
        and {"type": "replied_to", "id": tweet_id} in (t.get("referenced_tweets") or [])
    ]


def drain(app: App, clock: FakeClock, rounds: int = 4) -> None:
    """Deliver until nothing is due, moving past retry backoffs (at most a few minutes)."""
    for _ in range(rounds):
        app.deliver()
        clock.advance(timedelta(seconds=30))


def test_the_response_loop_end_to_end(
    database_url: str, clock: FakeClock, x: XEmulator, slack: SlackEmulator
) -> None:
    settings = make_settings(
        database_url=database_url,
        # one X account answers for every team, so the quiet check looks at all X cases
        brand_accounts={"x": [{"handle": "NovaBrew"}]},
        acknowledgements={"modes": {"x": "auto"}, "delay": "2m"},
        quiet={"no_reply_for": "2h"},
        alerts={
            "pr_channel": "#pr",
            "slack": {
                "bot_token": "env:SLACK_BOT_TOKEN",
                "signing_secret": "env:SLACK_SIGNING_SECRET",
                "api_url": slack.api_url,
            },
        },
    )
    assert isinstance(build_sink(settings), SlackSink)  # Slack is used when configured

    maria = x.add_tweet("maria", "My NovaBrew machine is broken again", lang="en")
    ali = x.add_tweet("ali", "NovaBrew خراب شد [fa]", lang="fa")
    tom = x.add_tweet("tom", "NovaBrew broken, my lawyer will hear of this")
    staff = x.add_tweet("sam", "Dana Reyes is the worst boss")
    x.add_tweet("fan", "I love NovaBrew")  # praise: stored, no case
    # a complaint the classifier misses: stored, no case, until someone opens one from Slack
    missed = x.add_tweet("lena", "NovaBrew, three weeks and nobody answers me")

    daemon = Daemon(settings, x, slack, clock)
    try:
        report = daemon.app.poll(daemon.source)
        assert report.result.cases_opened == 4
        teams = {n: case_for(daemon.app, n).team for n in (maria, ali, tom, staff)}
        assert teams == {maria: "support", ali: "tehran", tom: "legal", staff: "exec"}
        drain(daemon.app, clock, rounds=1)

        # one message per case, in its team's channel, carrying its outbox key
        for native_id, channel in (
            (maria, "support"),
            (ali, "support-fa"),
            (tom, "legal"),
            (staff, "exec-office"),
        ):
            case = case_for(daemon.app, native_id)
            top = [m for m in slack.in_channel(channel) if m.thread_ts is None]
            assert len(top) == 1 and case.slack_ts == top[0].ts
            assert top[0].metadata is not None
            assert top[0].metadata["event_payload"]["key"] == f"alert:x:{native_id}"
        assert slack.rejected == []

        # Bob clicks Claim twice; the audit trail and the message change once
        bolt = build_app(
            token=ENVIRON["SLACK_BOT_TOKEN"],
            signing_secret=SECRET,
            handler=daemon.app.actions(),
            base_url=slack.api_url,
        )
        maria_case = case_for(daemon.app, maria)
        for tag in ("c1", "c2"):
            click = block_action_payload(
                action_id("claim"),
                str(maria_case.id),
                user_id="U0BOB0001",
                user_name="bob",
                channel="C0SUPPORT",
                message_ts=str(maria_case.slack_ts),
                response_url=slack.response_url(tag),
            )
            assert dispatch_signed(bolt, interaction_body(click), SECRET).status == 200
            answered(slack, tag)  # Bob's second click comes after the first's answer
        assert (
            "is yours" in slack.responses["c1"][0]["text"]
            or "You own" in slack.responses["c1"][0]["text"]
        )
        assert "already yours" in slack.responses["c2"][0]["text"]
        drain(daemon.app, clock, rounds=1)
        assert len(slack.updates) == 1 and slack.updates[0].ts == maria_case.slack_ts
        thread = [m for m in slack.in_channel("support") if m.thread_ts == maria_case.slack_ts]
        # routed to alice, who is told in the thread
        assert [m.text.endswith("Claimed by bob, from alice") for m in thread] == [True]

        # acknowledgements are due two minutes after opening; X loses the first answer after
        # posting the reply, and refuses the second one outright
        clock.advance(timedelta(minutes=2))
        x.inject(Fault.truncated(keep=5, path=r"^/2/tweets$"))
        x.inject(Fault.server_error(503, path=r"^/2/tweets$"))
        first_round = daemon.app.deliver()
        assert first_round.retried == 2
    finally:
        daemon.close()  # the process dies

    daemon = Daemon(settings, x, slack, clock)  # and a new one starts on the same database
    try:
        pass_time(daemon.app.sessions, clock, timedelta(minutes=5))
        drain(daemon.app, clock)
        for native_id in (maria, ali, tom):
            assert len(replies_to(x, native_id)) == 1, native_id  # exactly once each
        assert replies_to(x, staff) == []  # a staff mention is never answered in public
        fa_reply = replies_to(x, ali)[0]["text"]
        assert "در جریان موضوع هستیم" in fa_reply and "خراب" not in fa_reply
        for native_id in (ali, tom):
            case = case_for(daemon.app, native_id)
            assert case.acknowledged_at is not None and case.status == CaseStatus.ACKNOWLEDGED

        # Maria gets a personal answer; the acknowledgements come back through the feed too
        clock.advance(timedelta(minutes=10))
        x.add_tweet("NovaBrew", "So sorry Maria, please DM us your order number", reply_to=maria)
        daemon.app.poll(daemon.source)
        assert case_for(daemon.app, maria).status == CaseStatus.RESPONDED
        for native_id in (ali, tom):  # our own acknowledgements are not answers
            assert case_for(daemon.app, native_id).first_response_at is None
        answered_at = case_for(daemon.app, maria).first_response_at
        assert answered_at is not None and answered_at.astimezone(UTC) == clock.now.replace(
            microsecond=0
        )

        # escalations: Tom's (legal, normal severity) first response is due after 4 business
        # hours, at 14:00 London = UTC; the warning comes 5 minutes before
        tom_case = case_for(daemon.app, tom)
        clock.now = datetime(2026, 11, 23, 13, 54, tzinfo=UTC)
        assert f"warn:{tom_case.id}:first_response" not in daemon.app.check_clocks().keys
        clock.now = datetime(2026, 11, 23, 13, 56, tzinfo=UTC)
        assert f"warn:{tom_case.id}:first_response" in daemon.app.check_clocks().keys
        clock.now = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
        keys = daemon.app.check_clocks().keys
        assert f"breach:{tom_case.id}:first_response" in keys
        assert not any(k.startswith(f"breach:{maria_case.id}:first") for k in keys)  # answered
        assert daemon.app.check_clocks().keys == []

        # the account last answered at 10:17; complaints have waited since; 2h later: quiet
        quiet = daemon.app.check_quiet()
        assert len(quiet) == 1 and quiet[0].startswith("quiet:x:novabrew:")
        assert daemon.app.check_quiet() == []
        drain(daemon.app, clock, rounds=2)
        legal = slack.in_channel("legal")
        assert any("BREACH" in m.text and m.thread_ts is None for m in legal)
        notices = [m for m in slack.all_messages() if "Quiet account" in m.text]
        assert len(notices) == 1

        # /replywatch lists a team's open cases and clocks
        command = slash_command_body(
            "legal", user_id="U0BOB0001", response_url=slack.response_url("cmd")
        )
        assert dispatch_signed(bolt_for(daemon), command, SECRET).status == 200
        listing = answered(slack, "cmd")
        assert f"RW-{tom_case.id}" in listing and "OVERDUE" in listing
        # typed without a team in the legal channel (Slack sends its id): the legal team
        here = slash_command_body(
            "", user_id="U0BOB0001", channel_id="C0LEGAL", response_url=slack.response_url("here")
        )
        assert dispatch_signed(bolt_for(daemon), here, SECRET).status == 200
        assert answered(slack, "here").startswith("legal: 1 open case(s)")

        # /replywatch case <link>: the missed complaint becomes a case, alerted like the rest
        link = f"<https://x.com/lena/status/{missed}|x.com/lena/status/{missed}>"
        opened = slash_command_body(
            f"case {link}", user_id="U0BOB0001", response_url=slack.response_url("case")
        )
        assert dispatch_signed(bolt_for(daemon), opened, SECRET).status == 200
        opened_text = answered(slack, "case")
        missed_case = case_for(daemon.app, missed)
        assert opened_text.startswith(f"RW-{missed_case.id} opened")
        drain(daemon.app, clock, rounds=1)
        top = [m for m in slack.in_channel("support") if m.thread_ts is None]
        assert top[-1].ts == case_for(daemon.app, missed).slack_ts
        # and X's auto acknowledgement applies to it as to any case, once, after its delay
        clock.advance(timedelta(minutes=2))
        drain(daemon.app, clock)
        assert len(replies_to(x, missed)) == 1

        # still exactly one top-level alert per case, and the sink kept one message a second
        for native_id in (maria, ali, tom, staff, missed):
            key = f"alert:x:{native_id}"
            alerts = [
                m
                for m in slack.all_messages()
                if m.metadata and m.metadata["event_payload"]["key"] == key
            ]
            assert len(alerts) == 1
        assert all(s <= 1.0 for s in daemon.spacing.sleeps)
        with daemon.app.sessions() as s:
            pending = s.scalars(select(Outbox).where(Outbox.status != "sent")).all()
            assert pending == []
    finally:
        daemon.close()


def answered(slack: SlackEmulator, tag: str) -> str:
    """The text of the one ephemeral answer to ``tag``, once the lazy listener has sent it."""
    assert slack.wait_for(lambda: bool(slack.responses.get(tag))), f"no answer to {tag}"
    [answer] = slack.responses[tag]
    return str(answer["text"])


def bolt_for(daemon: Daemon) -> Any:
    return build_app(
        token=ENVIRON["SLACK_BOT_TOKEN"],
        signing_secret=SECRET,
        handler=daemon.app.actions(),
        base_url=daemon.sink.client.base_url,
    )


def test_the_daemon_serves_buttons_and_commands_over_http(
    sqlite_url: str, clock: FakeClock, slack: SlackEmulator
) -> None:
    import requests

    from monitor.daemon import SlackListener
    from tests.emulators.slack_requests import sign_request

    settings = make_settings(
        database_url=sqlite_url,
        alerts={
            "slack": {
                "bot_token": "env:SLACK_BOT_TOKEN",
                "signing_secret": "env:SLACK_SIGNING_SECRET",
                "mode": "http",
                "api_url": slack.api_url,
            }
        },
    )
    app = App.build(settings, clock=clock, sources=[], classifier=TaggedClassifier())
    with socket.socket() as taken:  # the port is still held (a restart, say) at start
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        listener = SlackListener(app, port=taken.getsockname()[1])
        assert listener.ensure() is False and app.slack_url is None
    try:
        assert listener.ensure() is True  # the daemon's next try: the port is free now
        assert app.slack_url is not None
        body = slash_command_body("support", response_url=slack.response_url("http"))
        answer = requests.post(
            app.slack_url, data=body, headers=sign_request(body, SECRET), timeout=5
        )
        assert answer.status_code == 200
        assert slack.wait_for(lambda: bool(slack.responses.get("http")))
        assert slack.responses["http"][0]["text"] == "support: no open cases."
        forged = requests.post(
            app.slack_url, data=body, headers=sign_request(body, "not-the-secret"), timeout=5
        )
        assert forged.status_code == 401
    finally:
        listener.close()
        app.close()
