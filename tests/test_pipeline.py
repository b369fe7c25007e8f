"""The pipeline and poller on the in-memory source, against SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from alerts.console import ConsoleSink
from classifiers.base import Verdict
from monitor.app import App
from monitor.errors import MalformedResponse, RateLimited, SourceUnavailable
from monitor.models import Case, CaseEvent, CaseStatus, EntityMatch, Outbox, Post, SourceCursor
from monitor.outbox import LEASE
from monitor.pipeline import BatchResult
from monitor.settings import Settings
from sources.memory import MemorySource
from tests.fakes import FakeClock, KeywordClassifier, make_post, pass_time

SETTINGS = {
    "brand_accounts": {"x": [{"handle": "NovaBrew", "team": "support"}]},
    "entities": [
        {
            "id": "novabrew",
            "kind": "brand",
            "name": "NovaBrew",
            "terms": ["NovaBrew"],
            "team": "support",
        },
        {"id": "pod", "kind": "product", "name": "Pod X2", "terms": ["Pod X2"], "team": "devices"},
    ],
    "sources": [{"name": "mem", "type": "jsonl", "path": "/dev/null"}],
    "teams": {"support": {"slack_channel": "#support"}, "devices": {"slack_channel": "#devices"}},
}


@pytest.fixture
def source() -> MemorySource:
    return MemorySource("mem", platform="x", page_size=3)


@pytest.fixture
def app(database_url: str, clock: FakeClock, source: MemorySource) -> Iterator[App]:
    settings = Settings.model_validate({**SETTINGS, "database_url": database_url})
    application = App.build(
        settings, clock=clock, sink=ConsoleSink(), sources=[source], classifier=KeywordClassifier()
    )
    yield application
    application.close()


def count(app: App, model: type, *where: object) -> int:
    with app.sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_matched_posts_stored_once_unmatched_dropped(app: App, source: MemorySource) -> None:
    source.add(
        make_post("1", "my NovaBrew machine is broken", minutes=1),
        make_post("2", "lovely weather today", minutes=2),
        make_post("3", "the Pod X2 is great", minutes=3),
        make_post("1", "my NovaBrew machine is broken", minutes=1),  # repeated in the feed
        make_post("4", "NovaBrew Pod X2 arrived broken", minutes=4),
    )
    report = app.poll(source)
    assert report.batches == 2  # page size 3: two pages drained in one poll
    assert count(app, Post) == 3
    assert report.result.unmatched == 1 and report.result.repeats == 1
    assert count(app, Case) == 2
    with app.sessions() as s:
        product_case = s.scalar(select(Case).join(Case.post).where(Post.native_id == "4"))
        assert product_case is not None
        assert (product_case.entity_id, product_case.team) == ("pod", "devices")  # most specific
        assert {
            m.entity_id
            for m in s.scalars(
                select(EntityMatch).where(EntityMatch.post_id == product_case.post_id)
            )
        } == {"novabrew", "pod"}
    # a second poll adds nothing
    again = app.poll(source)
    assert again.result.stored == 0 and count(app, Post) == 3 and count(app, Outbox) == 2


def test_brand_replies_are_responses_that_stop_clocks(
    app: App, source: MemorySource, clock: FakeClock
) -> None:
    source.add(make_post("10", "NovaBrew refund please, it's broken", minutes=1))
    app.poll(source)
    source.add(
        make_post(
            "11", "Sorry! DM us", handle="NovaBrew", minutes=9, in_reply_to="10", kind="reply"
        ),
        make_post("12", "NovaBrew is the worst", handle="novabrew", minutes=10),  # brand, any case
    )
    clock.advance(600)
    report = app.poll(source)
    assert report.result.responses == 2 and report.result.cases_opened == 0
    with app.sessions() as s:
        case = s.scalars(select(Case)).one()
        assert case.status == CaseStatus.RESPONDED
        assert case.first_response_at == make_post("x", "", minutes=9).created_at
        kinds = [e.kind for e in s.scalars(select(CaseEvent).order_by(CaseEvent.id))]
        assert kinds == ["opened", "responded"]
        assert s.scalar(select(func.count()).select_from(Post).where(Post.is_brand_response)) == 2


def test_reply_seen_before_its_complaint_still_stops_the_clock(
    app: App, source: MemorySource
) -> None:
    source.add(make_post("21", "We're on it", handle="NovaBrew", minutes=5, in_reply_to="20"))
    app.poll(source)
    source.add(make_post("20", "NovaBrew broken again", minutes=1))
    app.poll(source)
    with app.sessions() as s:
        case = s.scalars(select(Case)).one()
        assert case.first_response_at is not None and case.status == CaseStatus.RESPONDED


def test_reposts_are_stored_but_never_cases(app: App, source: MemorySource) -> None:
    source.add(
        make_post("30", "NovaBrew broken", minutes=1),
        make_post("31", "RT @customer: NovaBrew broken", handle="fan", minutes=2, repost_of="30"),
    )
    report = app.poll(source)
    assert report.result.reposts == 1 and count(app, Case) == 1 and count(app, Post) == 2


def test_versions_of_one_post_in_one_batch_store_the_last_edit(
    app: App, source: MemorySource
) -> None:
    source.add(
        make_post("40", "NovaBrew arrived", minutes=1),
        make_post("40", "NovaBrew arrived broken", minutes=2, version="42"),
        make_post("40", "NovaBrew arrived brken", minutes=2, version="41"),
        make_post("50", "NovaBrew is fine", minutes=3, version="51"),  # first version unseen
    )
    report = app.poll(source)
    assert report.result.stored == 2 and report.result.repeats == 2
    with app.sessions() as s:
        texts = {p.native_id: p.text for p in s.scalars(select(Post))}
        assert texts == {"40": "NovaBrew arrived broken", "50": "NovaBrew is fine"}
        assert [c.post.native_id for c in s.scalars(select(Case))] == ["40"]
    source.add(make_post("50", "NovaBrew is fine", minutes=3, version="51"))  # seen again
    again = app.poll(source)
    assert (again.result.edits, again.result.repeats) == (0, 1)
    source.add(make_post("40", "NovaBrew arrived broken!", minutes=3, version="43"))
    edited = app.poll(source)
    assert (edited.result.edits, edited.result.cases_opened, count(app, Post)) == (1, 0, 2)
    with app.sessions() as s:
        (case,) = s.scalars(select(Case))
        assert [e.kind for e in case.events] == ["opened", "edited"]
        assert case.post.text == "NovaBrew arrived broken!"


def test_an_edit_that_drops_the_brand_name_still_rewrites_the_post(
    app: App, source: MemorySource
) -> None:
    # the case must show what the author says now, not what they took back
    source.add(
        make_post("60", "NovaBrew arrived broken", minutes=1),
        make_post("70", "NovaBrew arrived today", minutes=1),
    )
    app.poll(source)
    source.add(
        make_post("60", "It arrived broken, the shop sorted it out", minutes=2, version="61"),
        make_post("70", "It arrived broken", minutes=2, version="71"),
    )
    edited = app.poll(source)
    assert (edited.result.edits, edited.result.unmatched) == (2, 0)
    assert edited.result.cases_opened == 0  # 70 no longer names the brand: no case for it
    with app.sessions() as s:
        texts = {p.native_id: p.text for p in s.scalars(select(Post))}
        assert texts == {
            "60": "It arrived broken, the shop sorted it out",
            "70": "It arrived broken",
        }
        (case,) = s.scalars(select(Case))
        assert case.post.native_id == "60"
        assert [e.kind for e in case.events] == ["opened", "edited"]


def test_an_edit_of_a_post_not_stored_is_kept_only_if_it_names_an_entity(app: App) -> None:
    # prepared as edits of stored posts (seen), recorded where they are not: as new posts,
    # and one that no longer names the brand is not stored at all (it would have no entity)
    posts = [
        make_post("80", "It arrived broken", minutes=1, version="81"),
        make_post("90", "NovaBrew arrived broken", minutes=1, version="91"),
    ]
    prepared = app.pipeline.prepare(posts, seen={("x", "80"), ("x", "90")})
    assert len(prepared.edits) == 2
    with app.sessions.begin() as s:
        result = app.pipeline.record(s, "mem", prepared, now=app.clock())
    assert (result.stored, result.unmatched, result.cases_opened) == (1, 1, 1)
    with app.sessions() as s:
        assert [p.native_id for p in s.scalars(select(Post))] == ["90"]


def test_a_failing_batch_stores_nothing_and_keeps_the_cursor(
    app: App, source: MemorySource
) -> None:
    source.add(*(make_post(str(i), f"NovaBrew broken {i}", minutes=i) for i in range(5)))
    source.fail_next(SourceUnavailable("mem", "503"))
    report = app.poll(source)
    assert report.error and count(app, Post) == 0 and count(app, SourceCursor) == 0

    # the pipeline crashes after writing the second page, before its commit: that page
    # rolls back whole
    app.poller.states.clear()
    original = app.pipeline.record
    calls = {"n": 0}

    def crashing(*args: Any, **kwargs: Any) -> BatchResult:
        result = original(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("crashed before the commit")
        return result

    app.pipeline.record = crashing  # type: ignore[method-assign]
    report = app.poll(source)  # logged and backed off like a fetch failure, never raised
    assert report.error and "crashed before the commit" in report.error
    assert count(app, Post) == 3 and count(app, Case) == 3 and count(app, Outbox) == 3
    with app.sessions() as s:
        assert s.get(SourceCursor, "mem").cursor == {"index": 3}
    app.poller.states.clear()  # past its backoff
    app.poll(source)
    assert count(app, Post) == 5 and count(app, Case) == 5 and count(app, Outbox) == 5


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("x" * 5000 + "\n[SQL: INSERT INTO posts ...]\n[parameters: ('secret',)]"),
        KeyError(),
    ],
)
def test_a_batch_not_stored_is_reported_in_one_short_line(
    app: App, source: MemorySource, error: Exception
) -> None:
    source.add(make_post("1", "NovaBrew broken", minutes=1))

    def crashing(*args: Any, **kwargs: Any) -> BatchResult:
        raise error

    app.pipeline.record = crashing  # type: ignore[method-assign]
    report = app.poll(source)
    assert report.error is not None
    assert f"{type(error).__name__}:" in report.error  # even an exception with no text says what
    assert len(report.error) < 400 and "\n" not in report.error and "secret" not in report.error


def test_a_post_the_classifier_fails_on_opens_a_case_and_the_source_goes_on(
    app: App, source: MemorySource, caplog: pytest.LogCaptureFixture
) -> None:
    source.add(
        make_post("1", "NovaBrew broken", minutes=1),
        make_post("2", "NovaBrew \u2620 trips a classifier bug", minutes=2),
        make_post("3", "NovaBrew is lovely", minutes=3),
    )
    original = app.pipeline.classifier.classify

    def buggy(texts: list[str]) -> list[Verdict]:
        if any("\u2620" in t for t in texts):
            raise RuntimeError("model crashed")
        return original(texts)

    app.pipeline.classifier.classify = buggy  # type: ignore[method-assign]
    report = app.poll(source)
    assert report.error is None and report.result.stored == 3
    with app.sessions() as s:
        assert s.get(SourceCursor, "mem").cursor == {"index": 3}  # the cursor passed it
        model = {n: c for n, c in s.execute(select(Post.native_id, Post.classifier))}
        opened = set(s.scalars(select(Post.native_id).join(Case, Case.post_id == Post.id)))
    assert model == {"1": "keyword-fake@1", "2": "unclassified", "3": "keyword-fake@1"}
    assert opened == {"1", "2"}  # a person reads the post no model could
    assert "x post 2" in caplog.text and "model crashed" in caplog.text


def test_rate_limit_waits_for_the_reset_then_resumes(
    app: App, source: MemorySource, clock: FakeClock
) -> None:
    source.add(make_post("40", "NovaBrew broken", minutes=1))
    source.fail_next(RateLimited("mem", retry_after_s=120))
    first = app.poll(source)
    assert first.waiting_until == clock.now + timedelta(seconds=120)
    clock.advance(60)
    assert app.poll(source).waiting_until is not None and source.fetches == 1  # still waiting
    clock.advance(61)
    assert app.poll(source).result.stored == 1 and source.fetches == 2


def test_transient_failures_back_off_and_malformed_keeps_cursor(
    app: App, source: MemorySource, clock: FakeClock
) -> None:
    source.add(make_post("50", "NovaBrew broken", minutes=1))
    source.fail_next(SourceUnavailable("mem", "timeout"))
    source.fail_next(MalformedResponse("mem", "truncated JSON"))
    first = app.poll(source)
    assert first.waiting_until is not None and first.waiting_until > clock.now
    clock.now = first.waiting_until
    second = app.poll(source)
    assert second.error and "truncated" in second.error and count(app, SourceCursor) == 0
    clock.now = second.waiting_until
    assert app.poll(source).result.stored == 1


def test_alerts_delivered_once_and_retried_after_failure(
    app: App, source: MemorySource, clock: FakeClock
) -> None:
    source.add(make_post("60", "NovaBrew broken <!channel> [bold]x[/bold]", minutes=1))
    app.poll(source)
    sent: list[str] = []

    def failing(row: Outbox) -> None:
        raise ConnectionError("slack down")

    app.senders = {"alert": failing}
    report = app.deliver()
    assert report.retried == 1
    with app.sessions() as s:
        row = s.scalars(select(Outbox)).one()
        assert (
            row.status == "pending" and row.attempts == 1 and "slack down" in (row.last_error or "")
        )
        due = row.due_at
    app.senders = {"alert": lambda row: sent.append(row.key) or {"ts": "1.0"}}
    assert app.deliver().sent == 0  # not due yet
    clock.now = due
    assert app.deliver().sent == 1 and app.deliver().sent == 0
    assert sent == ["alert:x:60"]


def test_an_expired_claim_is_sent_again(app: App, source: MemorySource, clock: FakeClock) -> None:
    from monitor.outbox import claim

    source.add(make_post("70", "NovaBrew broken", minutes=1))
    app.poll(source)
    with app.sessions.begin() as s:
        assert len(claim(s, worker="dead-worker", now=clock.now)) == 1
    assert app.deliver().sent == 0  # leased to a worker that died
    pass_time(app.sessions, clock, LEASE + timedelta(minutes=1))
    assert app.deliver().sent == 1


def test_one_leader_at_a_time(app: App, clock: FakeClock) -> None:
    from monitor.leader import try_lead

    ttl = timedelta(minutes=5)
    with app.sessions.begin() as s:
        assert try_lead(s, name="scheduler", holder="a", now=clock.now, ttl=ttl)
    with app.sessions.begin() as s:
        assert not try_lead(s, name="scheduler", holder="b", now=clock.now, ttl=ttl)
    clock.advance(timedelta(minutes=6))
    with app.sessions.begin() as s:
        assert try_lead(s, name="scheduler", holder="b", now=clock.now, ttl=ttl)


def test_a_released_lease_is_taken_at_once(app: App, clock: FakeClock) -> None:
    from monitor.leader import release, try_lead

    ttl = timedelta(seconds=20)
    with app.sessions.begin() as s:
        assert try_lead(s, name="scheduler", holder="a", now=clock.now, ttl=ttl)
    with app.sessions.begin() as s:
        release(s, name="scheduler", holder="b", now=clock.now)  # not b's to give up
        assert not try_lead(s, name="scheduler", holder="b", now=clock.now, ttl=ttl)
    with app.sessions.begin() as s:
        release(s, name="scheduler", holder="a", now=clock.now)
    clock.advance(0.001)
    with app.sessions.begin() as s:
        assert try_lead(s, name="scheduler", holder="b", now=clock.now, ttl=ttl)


def test_classifying_holds_no_write_lock_on_sqlite(
    sqlite_url: str, clock: FakeClock, source: MemorySource
) -> None:
    """A slow classifier (a transformer on a CPU) must not make a Slack click wait: on SQLite
    a write transaction holds the database's one write lock."""
    settings = Settings.model_validate({**SETTINGS, "database_url": sqlite_url})
    path = sqlite_url.removeprefix("sqlite:///")
    classifier = KeywordClassifier()
    writes: list[str] = []

    class ClickWhileClassifying:
        name = classifier.name

        def classify(self, texts: list[str]) -> list[Verdict]:
            other = sqlite3.connect(path, timeout=2, isolation_level=None)
            try:  # another connection writes meanwhile, as the Slack handler's would
                other.execute("BEGIN IMMEDIATE")
                other.execute("UPDATE cases SET status = status")
                other.execute("COMMIT")
                writes.append("ok")
            except sqlite3.OperationalError as exc:
                writes.append(str(exc))
            finally:
                other.close()
            return classifier.classify(texts)

    app = App.build(
        settings,
        clock=clock,
        sink=ConsoleSink(),
        sources=[source],
        classifier=ClickWhileClassifying(),
    )
    try:
        source.add(make_post("1", "my NovaBrew machine is broken", minutes=1))
        assert app.poll(source).result.cases_opened == 1
    finally:
        app.close()
    assert writes == ["ok"]


def test_each_post_is_matched_as_its_platform_reads_handles(
    database_url: str, clock: FakeClock
) -> None:
    """On X a handle ends at a dot, so ``@novabrew.great`` is @novabrew followed by a word; on
    Reddit (as on Instagram or Bluesky) a dotted handle is another account."""
    handle_only = {"id": "hq", "kind": "brand", "name": "NovaBrew HQ", "terms": ["@novabrew"]}
    settings = Settings.model_validate(
        {**SETTINGS, "entities": [handle_only], "database_url": database_url}
    )
    x, reddit = MemorySource("x", platform="x"), MemorySource("reddit", platform="reddit")
    application = App.build(
        settings,
        clock=clock,
        sink=ConsoleSink(),
        sources=[x, reddit],
        classifier=KeywordClassifier(),
    )
    try:
        x.add(make_post("1", "thanks @novabrew.great service", minutes=1))
        reddit.add(make_post("2", "thanks @novabrew.great service", platform="reddit", minutes=1))
        assert application.poll(x).result.stored == 1
        assert application.poll(reddit).result.unmatched == 1
        with application.sessions() as s:
            assert s.scalars(select(EntityMatch.entity_id)).all() == ["hq"]
    finally:
        application.close()
