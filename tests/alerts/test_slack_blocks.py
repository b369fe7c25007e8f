"""Block Kit rendering and text hygiene (pure): escaping, invisible characters, limits."""

from __future__ import annotations

import html
import json
from dataclasses import replace
from typing import Any

import pytest

from alerts.base import Alert
from alerts.blocks import (
    ACTIONS,
    FALLBACK_CHARS,
    LIMITS,
    OPEN_POST_ACTION_ID,
    action_id,
    action_name,
    clean_text,
    escape_text,
    fit,
    render_alert,
    render_digest,
    safe_url,
)
from tests.emulators.slack import validate_blocks

BIDI = [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]
INVISIBLE = ["\u200b", "\u2060", "\ufeff", "\u00ad", "\U000e0041", "\x00", "\x1b", "\u180e"]
ZWNJ = "\u200c"
PERSIAN = "می" + ZWNJ + "خواهم پولم را پس بگیرم"  # "I want my money back"


def texts(blocks: list[dict[str, Any]], kind: str | None = None) -> list[str]:
    """Every string a person could see: text objects anywhere in the blocks (only those of
    type ``kind``, "plain_text" or "mrkdwn", when given)."""
    found: list[str] = []
    kinds = (kind,) if kind else ("plain_text", "mrkdwn")

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in kinds and isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return found


def unescaped(text: str) -> str:
    """``text`` less Slack's three entities: what is left must hold no ``&``, ``<`` or ``>``
    when ``text`` was escaped."""
    return text.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")


def case(text: str = "the widget is broken", **kw: Any) -> Alert:
    base: dict[str, Any] = {
        "key": "alert:x:1",
        "kind": "case",
        "channel": "#support",
        "title": "HIGH complaint about Acme on x",
        "fields": {
            "Entity": "Acme (brand)",
            "Platform": "x",
            "Author": "@dana (12,400 followers)",
            "Language": "en",
            "Sentiment": "negative (complaint 91%)",
            "Severity": "high: refund, public figure",
            "Team": "support",
            "Owner": "unassigned",
        },
        "text": text,
        "url": "https://x.com/dana/status/1",
        "case_id": 42,
        "extra": {
            "history": ["#12 refund (resolved)", "#30 late delivery (open)"],
            "due": {"first_response": "in 40 min (10:40 UTC)", "resolution": "tomorrow 17:00"},
            "actions": list(ACTIONS),
        },
    }
    base.update(kw)
    return Alert(**base)


def test_escape_text_follows_slacks_three_rules() -> None:
    assert escape_text("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    assert escape_text("<!channel> <@U123> <#C1> <https://evil.example|click>") == (
        "&lt;!channel&gt; &lt;@U123&gt; &lt;#C1&gt; &lt;https://evil.example|click&gt;"
    )
    assert html.unescape(escape_text("5 > 3 & 2 < 4")) == "5 > 3 & 2 < 4"


@pytest.mark.parametrize("ch", BIDI + INVISIBLE)
def test_clean_text_drops_disguising_characters(ch: str) -> None:
    assert clean_text(f"pay{ch}pal") == "paypal"


def test_clean_text_keeps_zwnj_marks_emoji_joiners_and_newlines() -> None:
    assert clean_text(PERSIAN) == PERSIAN
    family = "👨\u200d👩\u200d👧"
    assert clean_text(family) == family
    assert clean_text("a\u200db") == "ab"  # a lone ZWJ between letters hides nothing useful
    assert clean_text("شكرا\u200f ok") == "شكرا\u200f ok"  # RLM cannot reverse text
    assert clean_text("one\r\ntwo\rthree\u2028four\tfive") == "one\ntwo\nthree\nfour\tfive"


def test_fit_cuts_within_the_limit_without_splitting_entities() -> None:
    text = "a&b " * 2000
    for limit in (10, 11, 12, 13, 150, 3000):
        out = fit(text, limit)
        assert len(out) <= limit
        assert out.endswith("…")
        body = out[:-1]
        assert "&" not in body.replace("&amp;", "")  # every & starts a whole entity
    assert fit("short", 10) == "short"


def test_fit_counts_astral_characters_as_two_units() -> None:
    out = fit("😀" * 100, 21)
    assert len(out.encode("utf-16-le")) // 2 <= 21


def test_action_ids_round_trip() -> None:
    assert [action_id(a) for a in ACTIONS] == [
        "rw_claim",
        "rw_responded",
        "rw_resolve",
        "rw_not_complaint",
        "rw_escalate",
        "rw_reopen",
        "rw_send_ack",
    ]
    assert all(action_name(action_id(a)) == a for a in ACTIONS)
    assert action_name(OPEN_POST_ACTION_ID) is None
    assert action_name("something_else") is None
    with pytest.raises(KeyError):
        action_id("delete_everything")


def test_safe_url_accepts_http_only_and_encodes_breaking_characters() -> None:
    assert safe_url("https://x.com/dana/status/1") == "https://x.com/dana/status/1"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("ftp://example.com/x") is None
    assert safe_url("https://example.com/a b|c>d<e") == "https://example.com/a%20b%7Cc%3Ed%3Ce"
    assert safe_url("https://example.com/" + "a" * 3000) is None
    assert safe_url(None) is None


def test_render_alert_layout() -> None:
    rendered = render_alert(case())
    assert validate_blocks(rendered.blocks) == []
    kinds = [b["type"] for b in rendered.blocks]
    assert kinds == ["header", "section", "divider", "section", "actions"]
    assert rendered.blocks[0]["text"]["text"] == "HIGH complaint about Acme on x"
    fields = [f["text"] for f in rendered.blocks[1]["fields"]]
    assert len(fields) == 10
    assert fields[2] == "*Author*\n@dana (12,400 followers)"
    assert fields[8] == "*Earlier cases*\n#12 refund (resolved)\n#30 late delivery (open)"
    assert fields[9] == "*Due*\nfirst response: in 40 min (10:40 UTC)\nresolution: tomorrow 17:00"
    post = rendered.blocks[3]["text"]
    assert post == {"type": "plain_text", "text": "the widget is broken", "emoji": False}
    buttons = rendered.blocks[4]["elements"]
    assert buttons[0]["action_id"] == OPEN_POST_ACTION_ID
    assert buttons[0]["url"] == "https://x.com/dana/status/1"
    assert [b["action_id"] for b in buttons[1:]] == [action_id(a) for a in ACTIONS]
    assert {b["value"] for b in buttons[1:]} == {"42"}
    assert "confirm" in buttons[-1]  # send_ack posts publicly: Slack asks first
    assert rendered.text == "HIGH complaint about Acme on x: the widget is broken"


def test_history_empty_and_actions_subset() -> None:
    extra = {"history": [], "actions": ["resolve", "claim", "bogus"]}
    rendered = render_alert(case(extra=extra))
    fields = [f["text"] for f in rendered.blocks[1]["fields"]]
    assert "*Earlier cases*\nnone" in fields
    ids = [b["action_id"] for b in rendered.blocks[-1]["elements"]]
    assert ids == [OPEN_POST_ACTION_ID, "rw_claim", "rw_resolve"]  # display order, no bogus


def test_more_than_ten_fields_spill_into_a_second_section() -> None:
    fields = {f"Field {i}": f"value {i}" for i in range(14)}
    rendered = render_alert(case(fields=fields, extra={}))
    sections = [b for b in rendered.blocks if b["type"] == "section" and "fields" in b]
    assert [len(s["fields"]) for s in sections] == [10, 4]
    assert validate_blocks(rendered.blocks) == []


def test_oversized_values_are_cut_to_slacks_limits() -> None:
    alert = case(
        title="T" * 500,
        fields={"Author": "x" * 5000},
        extra={
            "history": ["h" * 3000] * 9,
            "due": {"resolution": "d" * 3000},
            "status": "s" * 9000,
        },
        text="w " * 30000,
    )
    rendered = render_alert(alert)
    assert validate_blocks(rendered.blocks) == []
    assert len(rendered.blocks[0]["text"]["text"]) == LIMITS["header_text"]
    assert len(rendered.text) <= 300
    assert all(len(t) <= 3000 for t in texts(rendered.blocks))


def test_notice_without_case_or_url_has_no_buttons() -> None:
    notice = Alert(key="n1", kind="notice", channel="#pr", title="Acme went quiet on x")
    rendered = render_alert(notice)
    assert [b["type"] for b in rendered.blocks] == ["header"]
    assert rendered.text == "Acme went quiet on x"
    assert validate_blocks(rendered.blocks) == []


def test_a_notice_pings_member_ids_and_nothing_else() -> None:
    notice = Alert(
        key="breach:1:acknowledge",
        kind="escalation",
        channel="#support",
        title="BREACH: RW-1 acknowledge overdue",
        text="lena: RW-1 missed its acknowledge standard. <!channel> <@U0EVIL>",
        extra={"mentions": ["U0LENA001", "U0LENA001", "U1><!channel", "here", 7, "W0ANA0001"]},
    )
    rendered = render_alert(notice)
    assert rendered.blocks[1] == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "<@U0LENA001> <@W0ANA0001>", "verbatim": True},
    }
    assert rendered.text.startswith("<@U0LENA001> <@W0ANA0001> BREACH: RW-1")
    # the notice's own text stays escaped: it pings nobody
    assert "&lt;!channel&gt; &lt;@U0EVIL&gt;" in rendered.text
    assert rendered.text.count("<") == 2 and len(rendered.text) <= FALLBACK_CHARS
    assert validate_blocks(rendered.blocks) == []
    no_ids = render_alert(Alert(key="w", kind="escalation", channel="#s", title="Due soon"))
    assert all(b["type"] != "section" for b in no_ids.blocks)


def test_status_line_and_unsafe_url() -> None:
    rendered = render_alert(case(url="javascript:alert(1)", extra={"status": "Claimed by @ana"}))
    assert {"type": "context", "elements": [
        {"type": "plain_text", "text": "Claimed by @ana", "emoji": True}
    ]} in rendered.blocks  # fmt: skip
    assert all(b["type"] != "actions" for b in rendered.blocks)


def test_digest_lists_cases_with_links_and_counts_the_rest() -> None:
    items = [
        {"title": f"HIGH complaint <!here> {i}", "url": f"https://x.com/a/status/{i}",
         "case_id": i, "text": f"post {i} <@U1> *x*", "fields": {"Owner": "@ana"}}
        for i in range(30)
    ]  # fmt: skip
    rendered = render_digest("#support", items, limit=15)
    assert validate_blocks(rendered.blocks) == []
    assert len(rendered.blocks) <= LIMITS["blocks"]
    assert rendered.blocks[0]["text"]["text"] == "30 open cases waiting in #support"
    links = [b["text"]["text"] for b in rendered.blocks if b["type"] == "section"]
    assert len(links) == 15
    assert links[0] == "<https://x.com/a/status/0|HIGH complaint &lt;!here&gt; 0>  ·  RW-0  ·  @ana"
    snippets = [b["elements"][0] for b in rendered.blocks if b["type"] == "context"]
    # plain text, which Slack parses for nothing: shown as typed, so not escaped
    assert snippets[0] == {"type": "plain_text", "text": "post 0 <@U1> *x*", "emoji": False}
    assert snippets[-1] == {
        "type": "plain_text",
        "text": "…and 15 more not shown: /replywatch <team> lists them.",
        "emoji": True,
    }
    # a folded case has no message of its own: its line carries the Claim button
    buttons = [b["accessory"] for b in rendered.blocks if b["type"] == "section"]
    assert [(b["action_id"], b["value"]) for b in buttons[:2]] == [
        ("rw_claim", "0"),
        ("rw_claim", "1"),
    ]


def test_a_digest_names_cases_rw_n_and_escapes_its_links() -> None:
    items = [
        {"title": "", "url": "https://x.com/a?b=1&c=<2>", "case_id": 3},
        {"title": "t", "url": None, "case_id": "<!channel>"},  # JSON from elsewhere: data
    ]
    rendered = render_digest("#support", items)
    assert validate_blocks(rendered.blocks) == []
    links = [b["text"]["text"] for b in rendered.blocks if b["type"] == "section"]
    # a title-less case is named by its number, once; the link's "&" is escaped in mrkdwn
    assert links == ["<https://x.com/a?b=1&amp;c=%3C2%3E|RW-3>", "t  ·  RW-&lt;!channel&gt;"]
    assert "case 3" not in json.dumps(rendered.blocks)


def test_plain_text_is_shown_as_typed_and_mrkdwn_is_escaped() -> None:
    """Slack decodes ``&amp;`` ``&lt;`` ``&gt;`` in mrkdwn only: in plain_text an entity is
    shown as typed, and ``<!channel>`` is harmless text."""
    raw = "Q&A <!channel> 5 > 3"
    alert = case(
        text=raw,
        title=raw,
        fields={"Author": raw},
        extra={"status": raw, "history": [raw], "actions": ["claim"]},
    )
    for rendered in (render_alert(alert), render_alert(replace(alert, thread_ts="1.2"))):
        plain = texts(rendered.blocks, "plain_text")
        assert plain.count(raw) == 3  # the title, the post and the status line
        assert not any("&amp;" in t or "&lt;" in t or "&gt;" in t for t in plain)
        for text in [rendered.text, *texts(rendered.blocks, "mrkdwn")]:
            assert not any(ch in unescaped(text) for ch in "&<>")
        assert "Q&amp;A &lt;!channel&gt; 5 &gt; 3" in rendered.text
    digest = render_digest("#support", [alert], title=raw, total=4)
    plain = texts(digest.blocks, "plain_text")
    assert plain[0] == raw and plain.count(raw) == 2  # the header and the post's snippet
    assert "…and 3 more not shown: /replywatch <team> lists them." in plain
    assert not any("&amp;" in t or "&lt;" in t or "&gt;" in t for t in plain)
    (head,) = [b["text"]["text"] for b in digest.blocks if b["type"] == "section"]
    assert head == "<https://x.com/dana/status/1|Q&amp;A &lt;!channel&gt; 5 &gt; 3>  ·  RW-42"
    assert digest.text == "Q&amp;A &lt;!channel&gt; 5 &gt; 3"


def test_plain_text_is_cut_by_its_own_length() -> None:
    """Unescaped, "&" counts one unit: a header of 150 "&"s fits whole."""
    assert fit("&" * 150, 150, escape=False) == "&" * 150
    out = fit("a&b " * 100, 20, escape=False)
    assert len(out) <= 20 and out.endswith("…") and "&amp;" not in out
    header = render_alert(case(title="&" * 150)).blocks[0]["text"]["text"]
    assert header == "&" * 150


def test_a_digest_pings_checked_member_ids_once_and_escapes_the_rest() -> None:
    items = [{"title": "breach <!channel>", "case_id": 1}]
    ping = ["U0LENA001", "U0LENA001", "<!here>", "W0BOB0001", 7]
    rendered = render_digest("#support", items, title="2 clock breaches", ping=ping)
    assert validate_blocks(rendered.blocks) == []
    assert rendered.blocks[1]["text"]["text"] == "<@U0LENA001> <@W0BOB0001>"
    assert rendered.text == "<@U0LENA001> <@W0BOB0001> 2 clock breaches"
    assert "<!" not in json.dumps(rendered.blocks)
    plain = render_digest("#support", items, title="2 clock breaches")
    assert plain.text == "2 clock breaches" and "<@" not in json.dumps(plain.blocks)


def test_digest_never_exceeds_fifty_blocks() -> None:
    items = [case(case_id=i, key=f"k{i}") for i in range(200)]
    rendered = render_digest("C0SUPPORT", items, limit=500, total=1000)
    assert len(rendered.blocks) <= 50
    assert validate_blocks(rendered.blocks) == []
    assert rendered.blocks[0]["text"]["text"].startswith("1000 open cases")


def test_digest_with_a_huge_url_stays_within_the_section_limit() -> None:
    item = {"title": "t" * 1000, "url": "https://x.com/" + "a" * 2900, "case_id": 1}
    rendered = render_digest("#support", [item], limit=5)
    assert validate_blocks(rendered.blocks) == []


NASTY = "<>&*_~`|@#!:\n\t \u202e\u2066\u200b\u200c\u200d\u00ad\ufeff\U000e0041\x00\x85😀👨سلامabc"


@pytest.mark.parametrize("seed", range(40))
def test_random_hostile_alerts_always_render_valid_and_harmless(seed: int) -> None:
    import random

    rng = random.Random(seed)

    def junk(n: int) -> str:
        return "".join(rng.choice(NASTY) for _ in range(rng.randint(0, n)))

    alert = Alert(
        key="k",
        kind="case",
        channel="#support",
        title=junk(400),
        fields={junk(30) or "x": junk(3000) for _ in range(rng.randint(0, 14))},
        text=junk(rng.choice([10, 5000, 45000])),
        url=rng.choice([None, "https://x.com/a/" + junk(50), "javascript:" + junk(5)]),
        case_id=rng.choice([None, seed]),
        extra={
            "history": [junk(100) for _ in range(rng.randint(0, 8))],
            "due": {junk(10) or "c": junk(100)},
            "status": junk(200),
            "actions": list(ACTIONS),
        },
    )
    for rendered in (render_alert(alert), render_digest(junk(20) or "#c", [alert] * 3)):
        assert validate_blocks(rendered.blocks) == [], rendered.blocks
        # what Slack parses is escaped: no markup but the digest's link and checked pings
        for text in [rendered.text, *texts(rendered.blocks, "mrkdwn")]:
            if text.startswith("<https://"):  # the digest's own link markup
                text = text.split(">", 1)[1]
            assert not any(ch in unescaped(text) for ch in "&<>")
        # plain text is shown as typed: never escaped (NASTY spells no entity itself)
        for text in texts(rendered.blocks, "plain_text"):
            assert "&amp;" not in text and "&lt;" not in text and "&gt;" not in text
        for text in [rendered.text, *texts(rendered.blocks)]:
            assert not any(ch in text for ch in BIDI + INVISIBLE)
