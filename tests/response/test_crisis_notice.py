"""What a negative-spike notice says and to whom: one notice for one crisis however many
entities its posts name, distinct voices, the reasons and languages, an excerpt, and a ping for
the channel's lead. Pure parts first, then the check on SQLite and PostgreSQL through the
pipeline, the outbox, a recording sink and the Slack renderer."""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from alerts.base import Alert
from alerts.blocks import render_alert
from classifiers.base import Reason, Verdict
from monitor.app import App
from monitor.crisis import Spike, group_spikes
from monitor.crisis_notice import EXCERPT_CHARS, excerpt
from sources.memory import MemorySource
from tests.fakes import FakeClock
from tests.response.response_support import BASE, RecordingSink, TaggedClassifier
from tests.response.test_crisis import MONDAY_10, post, yesterday
from tests.response.test_crisis import build as crisis_build
from tests.response.test_crisis import clock as clock  # the fixture, used here

MINUTE = timedelta(minutes=1)


# ------------------------------------------------------------------------ the pure parts


def spikes(**negative: int) -> list[Spike]:
    return [Spike(entity, n, 5, None) for entity, n in negative.items()]


def test_spikes_about_the_same_posts_are_one_group_under_the_one_with_most() -> None:
    brand, pod, other = spikes(brand=10, pod=10, other=5)
    posts = {"brand": set(range(10)), "pod": set(range(2, 12)), "other": set(range(20, 25))}
    # pod shares 8 of its 10 with the brand: one crisis; a tie goes to the one listed first
    assert group_spikes([brand, pod, other], posts) == [[brand, pod], [other]]
    assert group_spikes([pod, brand, other], posts) == [[pod, brand], [other]]
    # 7 of 10 shared: a crisis of its own
    posts["pod"] = set(range(3, 13))
    assert group_spikes([brand, pod, other], posts) == [[brand], [pod], [other]]


def test_a_group_is_told_under_the_entity_with_most_posts() -> None:
    brand, pod = spikes(brand=6, pod=12)
    posts = {"brand": set(range(6)), "pod": set(range(12))}  # every brand post names the pod
    assert group_spikes([brand, pod], posts) == [[pod, brand]]


def test_an_excerpt_is_one_short_line_cut_on_a_word() -> None:
    assert excerpt("Pod X2\n\n  broke   again ") == "Pod X2 broke again"
    long = "NovaBrew " + " ".join(f"word{i}" for i in range(100))
    cut = excerpt(long)
    assert len(cut) <= EXCERPT_CHARS and cut.endswith("…")
    assert long.startswith(cut[:-1]) and long[len(cut) - 1] == " "  # a whole word
    assert excerpt("x" * 500).startswith("x" * 150)  # no space to cut on: cut where it must


# ------------------------------------------------------------------------ the check, for real


class ReasonedClassifier(TaggedClassifier):
    """:class:`TaggedClassifier`, with the severity reasons a text names: ``[safety]``,
    ``[legal_threat]``..."""

    def classify(self, texts: Sequence[str]) -> list[Verdict]:
        verdicts = super().classify(texts)
        return [
            replace(v, reasons=tuple(r for r in Reason if f"[{r}]" in t))
            for v, t in zip(verdicts, texts, strict=True)
        ]


def build(
    database_url: str, clock: FakeClock, apps: list[App], **settings: Any
) -> tuple[App, MemorySource, RecordingSink]:
    return crisis_build(database_url, clock, apps, ReasonedClassifier(), **settings)


def notices(app: App, sink: RecordingSink) -> list[Alert]:
    app.deliver(rounds=5)
    return [m for m in sink.messages if m.title.startswith("Negative spike")]


def test_a_spike_about_the_brand_and_its_product_is_told_once(
    database_url: str, clock: FakeClock, apps: list[App]
) -> None:
    """Every post names "NovaBrew Pod X2": the brand and the product spike on the same posts,
    and #pr hears of it once, with the product named, then once again when it doubles."""
    app, source, sink = build(database_url, clock, apps)
    yesterday(app, source, clock, negatives=0)
    source.add(*(post(MONDAY_10, "NovaBrew Pod X2 broken", f"a{i}") for i in range(6)))
    app.poll(source)
    assert app.check_crisis() == ["crisis:novabrew:1"]  # not crisis:pod:1 as well
    clock.advance(MINUTE)
    assert app.check_crisis() == []
    (notice,) = notices(app, sink)
    assert notice.title == "Negative spike about NovaBrew: 6 posts in 30m"
    assert notice.fields["Also about"] == "Pod X2: 6 of these posts"

    # six more people, two of them about the brand alone: both counts doubled, one notice
    source.add(*(post(clock.now, "NovaBrew Pod X2 broken", f"b{i}") for i in range(4)))
    source.add(*(post(clock.now, "NovaBrew broken", f"c{i}") for i in range(2)))
    app.poll(source)
    assert app.check_crisis() == ["crisis:novabrew:2"]
    second = notices(app, sink)[-1]
    assert second.title == "Negative spike about NovaBrew: 12 posts in 30m"
    assert second.fields["Also about"] == "Pod X2: 10 of these posts"


def test_a_product_mostly_about_the_brands_posts_is_named_with_its_own_count(
    database_url: str, clock: FakeClock, apps: list[App]
) -> None:
    app, source, sink = build(database_url, clock, apps)
    yesterday(app, source, clock, negatives=0)
    source.add(*(post(MONDAY_10, "NovaBrew Pod X2 broken", f"a{i}") for i in range(9)))
    source.add(*(post(MONDAY_10, "NovaBrew broken", f"b{i}") for i in range(3)))
    source.add(post(MONDAY_10, "Pod X2 broken", "c"))  # 9 of the Pod's 10 name the brand
    app.poll(source)
    assert app.check_crisis() == ["crisis:novabrew:1"]
    (notice,) = notices(app, sink)
    assert notice.fields["Also about"] == "Pod X2: 9 of these posts (10 in all)"


def test_a_product_told_in_the_brands_notice_is_not_told_again_as_new(
    database_url: str, clock: FakeClock, apps: list[App]
) -> None:
    app, source, sink = build(database_url, clock, apps)
    yesterday(app, source, clock, negatives=0)
    source.add(*(post(MONDAY_10, "NovaBrew Pod X2 broken", f"a{i}") for i in range(6)))
    app.poll(source)
    assert app.check_crisis() == ["crisis:novabrew:1"]
    # four people about the Pod alone: 10 Pod posts now, holding all 6 of the brand's; the
    # Pod leads the group, but 10 is not double the 6 told of it
    clock.advance(MINUTE)
    source.add(*(post(clock.now, "Pod X2 broken", f"p{i}") for i in range(4)))
    app.poll(source)
    assert app.check_crisis() == []
    # two more: 12, double the 6 told
    clock.advance(MINUTE)
    source.add(*(post(clock.now, "Pod X2 broken", f"q{i}") for i in range(2)))
    app.poll(source)
    assert app.check_crisis() == ["crisis:pod:1"]
    notice = notices(app, sink)[-1]
    assert notice.title == "Negative spike about Pod X2: 12 posts in 30m"
    assert notice.fields["Also about"] == "NovaBrew: 6 of these posts"


def test_spikes_about_different_posts_are_told_apart(
    database_url: str, clock: FakeClock, apps: list[App]
) -> None:
    app, source, sink = build(database_url, clock, apps)
    yesterday(app, source, clock, negatives=0)
    source.add(*(post(MONDAY_10, "NovaBrew broken", f"a{i}") for i in range(5)))
    # the Pod's own complaints, three of seven naming the brand too: not mostly the same posts
    source.add(*(post(MONDAY_10, "Pod X2 broken", f"p{i}") for i in range(4)))
    source.add(*(post(MONDAY_10, "NovaBrew Pod X2 broken", f"b{i}") for i in range(3)))
    app.poll(source)
    assert app.check_crisis() == ["crisis:novabrew:1", "crisis:pod:1"]
    told = {n.title: n for n in notices(app, sink)}
    assert set(told) == {
        "Negative spike about NovaBrew: 8 posts in 30m",
        "Negative spike about Pod X2: 7 posts in 30m",
    }
    assert all("Also about" not in n.fields for n in told.values())


def with_pr_lead() -> dict[str, Any]:
    teams = deepcopy(BASE["teams"])
    teams["pr"]["lead"] = {"name": "pam", "slack_id": "U0PAM0001"}
    return teams


def test_a_notice_names_distinct_voices_reasons_languages_and_pings_the_pr_lead(
    database_url: str, clock: FakeClock, apps: list[App]
) -> None:
    app, source, sink = build(database_url, clock, apps, teams=with_pr_lead())
    yesterday(app, source, clock, negatives=0)
    loud = "NovaBrew broken, it caught fire on my counter [safety] " + "and then " * 40 + "end"
    for i in range(3):  # the biggest voice, three times: one example, its latest post quoted
        at = MONDAY_10 - (10 - i) * MINUTE
        text = loud if i == 2 else f"NovaBrew broken [safety] {i}"
        source.add(post(at, text, "big_influencer", followers=100_000))
    source.add(post(MONDAY_10, "NovaBrew broken, calling a lawyer [legal_threat]", "second", 5000))
    source.add(post(MONDAY_10, "NovaBrew broken [legal_threat]", "third", 400))
    source.add(post(MONDAY_10, "NovaBrew خراب [fa]", "fourth", 30))
    source.add(post(MONDAY_10, "NovaBrew خراب شد [fa]", "fifth", 20))
    app.poll(source)
    assert app.check_crisis() == ["crisis:novabrew:1"]
    (notice,) = notices(app, sink)

    lines = notice.text.splitlines()
    assert lines[0].startswith("@big_influencer (100000 followers, x) https://x.com/")
    quoted = lines[1].strip()
    assert quoted.startswith("“NovaBrew broken, it caught fire") and quoted.endswith("…”")
    assert len(quoted) <= EXCERPT_CHARS + 2
    assert lines[2].startswith("@second (5000 followers, x) ")
    assert lines[3].startswith("@third (400 followers, x) ")
    assert len(lines) == 4 and notice.text.count("@big_influencer") == 1
    assert notice.fields["Severity reasons"] == "safety 3, legal threat 2"
    assert notice.fields["Languages"] == "en 5, fa 2"
    assert notice.fields["People"] == "5"
    assert notice.extra["mentions"] == ["U0PAM0001"]

    # and Slack shows it: the ping first, then the fields, the post quoted as plain text
    rendered = render_alert(notice)
    assert rendered.text.startswith("<@U0PAM0001> Negative spike about NovaBrew")
    assert rendered.blocks[1]["text"]["text"] == "<@U0PAM0001>"
    fields = [f["text"] for b in rendered.blocks for f in b.get("fields", ())]
    assert "*Severity reasons*\nsafety 3, legal threat 2" in fields
    assert "*Languages*\nen 5, fa 2" in fields
    (body,) = [
        b["text"]["text"]
        for b in rendered.blocks
        if b["type"] == "section" and b.get("text", {}).get("type") == "plain_text"
    ]
    assert "“NovaBrew broken, it caught fire on my counter [safety] and then" in body


@pytest.mark.parametrize(
    ("alerts", "teams", "text", "channel", "pinged"),
    [
        # the PR team, which owns #pr, has a lead: they hear of it
        ({"pr_channel": "#pr"}, with_pr_lead(), "NovaBrew broken", "#pr", ["U0PAM0001"]),
        # it has none: the lead of the team owning the brand, as a critical breach in #pr
        ({"pr_channel": "#pr"}, BASE["teams"], "NovaBrew broken", "#pr", ["U0LENA001"]),
        # no PR channel: the brand's team, in its own channel, and its lead
        ({}, BASE["teams"], "NovaBrew broken", "#support", ["U0LENA001"]),
        # the devices team has no lead, nor has the Pod's team: nobody to ping
        ({}, BASE["teams"], "Pod X2 broken", "#devices", []),
    ],
)
def test_a_notice_pings_the_lead_of_the_channel_it_goes_to(
    database_url: str,
    clock: FakeClock,
    apps: list[App],
    alerts: dict[str, Any],
    teams: dict[str, Any],
    text: str,
    channel: str,
    pinged: list[str],
) -> None:
    app, source, sink = build(database_url, clock, apps, alerts=alerts, teams=teams)
    yesterday(app, source, clock, negatives=0)
    source.add(*(post(MONDAY_10, text, f"a{i}") for i in range(5)))
    app.poll(source)
    assert len(app.check_crisis()) == 1
    (notice,) = notices(app, sink)
    assert (notice.channel, notice.extra["mentions"]) == (channel, pinged)
    assert render_alert(notice).text.startswith("".join(f"<@{p}> " for p in pinged) + "Negative")
