"""A slow or down Slack under the daemon: listening keeps its schedule, and a stop is prompt.

The poll job used to send the outbox inline after each poll, and a delivery round sent its
whole claimed page (50 rows) one by one, each up to its timeout, never looking at the stop
request. With Slack answering ``chat.postMessage`` after 40 s, 17 polls in a row were skipped
("maximum number of running instances reached"): no new mention heard for as long as Slack
was slow. SIGTERM then waited for the page and exited 1 after six minutes, past systemd's
patience. Delivery is now a job of its own, woken after each poll, and a stop request puts
the claimed rows not yet sent back in line.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from monitor import outbox
from monitor.app import App
from monitor.models import Outbox, OutboxStatus, Post
from monitor.settings import Settings
from sources.memory import MemorySource
from tests.emulators.http import Fault
from tests.emulators.slack import SlackEmulator
from tests.fakes import FakeClock, KeywordClassifier, make_post
from tests.test_daemon_review import SETTINGS, TOKEN, run_until_sigterm
from tests.test_daemon_review import signals as signals  # the fixture, re-exported for use here

#: Slack answers each post after this long, past the sink's timeout (SLACK_TIMEOUT_S).
SLACK_DELAY_S = 3.0
SLACK_TIMEOUT_S = 2.0
#: A send in flight: its timeout, plus the sink's spacing of posts to one channel (1 s).
ONE_SEND_S = SLACK_TIMEOUT_S + 1.0


def test_a_slow_slack_neither_stops_polling_nor_holds_up_the_stop(
    sqlite_url: str, signals: None, monkeypatch: Any
) -> None:
    monkeypatch.setenv("RW_TEST_BOT_TOKEN", TOKEN)
    source = MemorySource("mem", platform="x")
    source.add(*(make_post(f"a{i}", f"NovaBrew is broken {i}", handle=f"c{i}") for i in range(6)))
    with SlackEmulator(token=TOKEN) as slack:
        slack.inject(Fault.timeout(delay_s=SLACK_DELAY_S, path=r"chat\.postMessage"), times=100)
        settings = Settings.model_validate(
            {
                **SETTINGS,
                "database_url": sqlite_url,
                "sources": [
                    {"name": "mem", "type": "jsonl", "path": "/dev/null", "poll_interval": "1s"}
                ],
                "alerts": {
                    "slack": {
                        "bot_token": "env:RW_TEST_BOT_TOKEN",
                        "api_url": slack.api_url,
                        "timeout": f"{SLACK_TIMEOUT_S:g}s",
                    }
                },
            }
        )
        app = App.build(settings, sources=[source], classifier=KeywordClassifier())
        # new mentions while the first alerts are stuck on Slack
        later = [make_post(f"b{i}", f"NovaBrew is broken again {i}", minutes=1) for i in range(2)]
        arrive = threading.Timer(1.5, source.add, later)
        arrive.start()
        try:
            code, ran_s = run_until_sigterm(app, after_s=4.0, give_up_s=40.0)
        finally:
            arrive.cancel()
            try:
                with app.sessions() as s:
                    posts = s.scalar(select(func.count()).select_from(Post))
                    rows = list(s.scalars(select(Outbox)))
            finally:
                app.close()
        posted = sum(r.path.endswith("chat.postMessage") for r in slack.requests)

    # polls kept their 1 s schedule while every alert waited on Slack, and heard the posts
    # that came in meanwhile (on the old code: one poll, then none until the stop)
    assert source.fetches >= 3, f"only {source.fetches} poll(s) in {ran_s:.1f} s"
    assert posts == 8
    # the stop waited for the send in flight only, not for the rest of the page, and exited 0
    assert code == 0
    assert ran_s < 4.0 + ONE_SEND_S + 2.0, f"stopped after {ran_s:.1f} s"
    # nothing lost, nothing twice: no row left claimed; each row tried at most once (one
    # request each), and those never tried are back in line with no attempt counted
    assert len(rows) == 8 and all(r.status == OutboxStatus.PENDING for r in rows)
    assert all(r.claimed_until is None for r in rows)
    assert all(r.attempts <= 1 for r in rows) and posted == sum(r.attempts for r in rows)
    released = [r for r in rows if r.attempts == 0]
    assert released and all(r.claimed_by is None for r in released)  # the stop left these


def enqueue(sessions: sessionmaker[Session], clock: FakeClock, *keys: str) -> None:
    with sessions.begin() as s:
        for key in keys:
            outbox.enqueue(s, key=key, kind="slow", target="#c", payload={}, now=clock())


def test_a_stop_during_a_page_puts_the_rows_not_sent_back_in_line(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    enqueue(sessions, clock, "r1", "r2", "r3", "r4")
    stop = threading.Event()
    sent: list[str] = []

    def send(row: Outbox) -> dict[str, Any]:
        sent.append(row.key)
        if row.key == "r2":
            stop.set()  # SIGTERM while r2 is on its way: r2 finishes, r3 and r4 wait
        return {"ok": True}

    report = outbox.deliver_due(sessions, {"slow": send}, worker="A", clock=clock, stop=stop)
    assert sent == ["r1", "r2"] and report.claimed == 4 and report.sent == 2
    with sessions() as s:
        rows = {r.key: r for r in s.scalars(select(Outbox))}
    assert [str(rows[k].status) for k in ("r1", "r2", "r3", "r4")] == [
        "sent",
        "sent",
        "pending",
        "pending",
    ]
    # as if never claimed: no claimer, no lease, no attempt counted, due as before
    assert all(rows[k].claimed_by is None and rows[k].claimed_until is None for k in ("r3", "r4"))
    assert [rows[k].attempts for k in ("r1", "r2", "r3", "r4")] == [1, 1, 0, 0]
    # the next delivery (this daemon restarted, or another) sends them, once each
    again = outbox.deliver_due(sessions, {"slow": send}, worker="B", clock=clock)
    assert again.claimed == 2 and sent == ["r1", "r2", "r3", "r4"]
