"""Watchlist matching in English, Persian, Arabic and Tagalog/Taglish.

Most tests are rows of (post, expected mentions); each expected mention is the entity id and
the exact surface ``text[start:end]``, so every row also checks the offsets.
"""

from __future__ import annotations

import dataclasses
import random
import sys
from typing import Literal

import pytest

import monitor.matching
from monitor.errors import ConfigError
from monitor.matching import Match, Watchlist, normalize
from monitor.settings import Entity

ZWNJ, ZWJ, ZWSP, LRM, RLM = "\u200c", "\u200d", "\u200b", "\u200e", "\u200f"


Kind = Literal["brand", "product", "staff"]


def entity(key: str, *terms: str, exclude: tuple[str, ...] = (), kind: Kind = "product") -> Entity:
    return Entity(id=key, kind=kind, name=key, terms=terms, exclude=exclude, team="social")


ENTITIES = [
    entity("novabrew", "NovaBrew", "نوابرو", "نوفابرو", kind="brand"),
    entity("campaign", "#novabrew", "#NovaBrewDay"),
    entity("account", "@novabrew_hq"),
    entity("nova", "Nova", exclude=("Nova Scotia", "bossa nova"), kind="brand"),
    entity("kx", "KX"),
    entity("kx2", "KX2"),
    entity("luna", "Café Luna"),
    entity("gross", "Großbräu"),
    entity("fika", "fika"),
    entity("dana", "Dana Rahimi", "دانا رحیمی", kind="staff"),
    entity("kiko", "کیکو"),
    entity("amwaj", "أمواج"),
    entity("teh", "قهوة نوفا"),
    entity("blue", "ノバブルー", "诺瓦", "โนวา"),
    entity("pro", "Nova Brew Pro"),
    entity("korean", "노바브루"),
]
WATCHLIST = Watchlist(ENTITIES)


def found(text: str) -> list[tuple[str, str]]:
    return [(m.entity_id, text[m.start : m.end]) for m in WATCHLIST.match(text)]


# --------------------------------------------------------------------------- normalisation

NORMALIZE_CASES = [
    ("NovaBrew", "novabrew"),
    ("ＮｏｖａＢｒｅｗ", "novabrew"),  # fullwidth (NFKC)
    ("Café CAFÉ cafe\u0301", "cafe cafe cafe"),  # precomposed and decomposed accents
    ("Straße ﬁka", "strasse fika"),  # expansions
    ("NovaBrew’s – ok", "novabrew's - ok"),  # typographic apostrophe and dash
    ("Ёлка й", "ёлка й"),  # accents folded for Latin only
    ("ي ى ئ", "ی ی ی"),  # Arabic yeh, alef maksura, yeh with hamza -> Persian yeh
    ("ك", "ک"),  # Arabic kaf -> Persian kaf
    ("أ إ آ ٱ ؤ", "ا ا ا ا و"),  # hamza and madda forms
    ("ة ۀ", "ه ه"),  # teh marbuta, heh with yeh above
    ("أَمْوَاجٌ", "امواج"),  # tashkeel
    ("نوابـــرو", "نوابرو"),  # tatweel
    ("هٰذا", "هذا"),  # superscript alef U+0670
    (f"نوا{ZWNJ}برو", "نوابرو"),  # zero-width non-joiner
    (f"Nova{ZWJ}Brew", "novabrew"),  # zero-width joiner
    (f"Nova{ZWSP}Brew\u2060\ufeff", "novabrew"),  # zero-width space, word joiner, BOM
    (f"{LRM}\u202bنوابرو\u202c{RLM}\u2066x\u2069", "نوابروx"),  # bidi marks and isolates
    ("۰۱۲۳۴۵۶۷۸۹", "0123456789"),  # Persian digits
    ("٠١٢٣٤٥٦٧٨٩", "0123456789"),  # Arabic-Indic digits
    ("ﻻ ﷼", "لا ریال"),  # presentation forms
    ("ノバブルー 诺瓦 โนวา", "ノバブルー 诺瓦 โนวา"),  # unchanged
]


@pytest.mark.parametrize(("text", "expected"), NORMALIZE_CASES)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


# ------------------------------------------------------------------------------- matching

ENGLISH = [
    ("I love NovaBrew", [("novabrew", "NovaBrew")]),
    ("NOVABREW is down again", [("novabrew", "NOVABREW")]),
    ("ＮｏｖａＢｒｅｗ fullwidth", [("novabrew", "ＮｏｖａＢｒｅｗ")]),
    ("NovaBrew!!", [("novabrew", "NovaBrew")]),
    ("😡NovaBrew", [("novabrew", "NovaBrew")]),
    ("NovaBrew😡👍🏽", [("novabrew", "NovaBrew")]),
    ("(NovaBrew), «NovaBrew»", [("novabrew", "NovaBrew")]),
    ("NovaBrew's app", [("novabrew", "NovaBrew")]),
    ("NovaBrew’s app", [("novabrew", "NovaBrew")]),
    ("我爱NovaBrew咖啡", [("novabrew", "NovaBrew")]),
    (f"Nova{ZWJ}Brew", [("novabrew", f"Nova{ZWJ}Brew")]),
    ("Café Luna and CAFE LUNA", [("luna", "Café Luna")]),
    ("cafe\u0301  luna", [("luna", "cafe\u0301  luna")]),
    ("GROSSBRÄU", [("gross", "GROSSBRÄU")]),
    ("Großbräu!", [("gross", "Großbräu")]),
    ("ﬁka time", [("fika", "ﬁka")]),
    ("Nova Brew Pro", [("nova", "Nova"), ("pro", "Nova Brew Pro")]),
    ("nova-brew pro", [("nova", "nova"), ("pro", "nova-brew pro")]),
    ("Dana Rahimi replied", [("dana", "Dana Rahimi")]),
]
ENGLISH_MISSES = [
    "NovaBrew2 is out",  # digits are word characters
    "2NovaBrew",
    "novabrewing at home",  # no stemming
    "NovaBrews",
    "Supernova",
    "NovaBrew_fan",
    "I moved to Nova Scotia",
    "NOVA-SCOTIA",
    "nova\u2011scotia",  # non-breaking hyphen
    "bossa nova night",
    "Cafe Lunar",
    "Dana Rahimian",
]

HANDLES_AND_HASHTAGS = [
    ("#NovaBrew", [("campaign", "#NovaBrew"), ("novabrew", "NovaBrew"), ("nova", "Nova")]),
    # A longer tag is another tag, but its capitalised words are words (NovaBrew2026 is not).
    ("#NovaBrew2026", [("nova", "Nova")]),
    ("#NovaBrewDays", [("novabrew", "NovaBrew"), ("nova", "Nova")]),
    ("Happy #novabrewday!", [("campaign", "#novabrewday")]),
    ("@NovaBrew why", [("novabrew", "NovaBrew")]),
    ("@NovaBrew_HQ help", [("account", "@NovaBrew_HQ")]),
    ("cc @novabrew_hq.", [("account", "@novabrew_hq")]),
    ("see novabrew.com", [("novabrew", "novabrew")]),
    ("#Nova #KX", [("nova", "Nova"), ("kx", "KX")]),
    ("#نوابرو", [("novabrew", "نوابرو")]),
]
HANDLE_MISSES = [
    "#novabrew2026",  # a longer hashtag is another hashtag
    "#novabrewdays",
    "novabrew_hq",  # a handle term needs its @
    "mail@novabrew_hq.com",
    "@novabrew_hq2",
    "@novabrew_hq_help",
]

PERSIAN = [
    ("نوابرو خیلی کند است", [("novabrew", "نوابرو")]),
    (f"نوا{ZWNJ}برو", [("novabrew", f"نوا{ZWNJ}برو")]),
    ("نوابروی من", [("novabrew", "نوابرو")]),  # ezafe / indefinite yeh
    (f"نوابرو{ZWNJ}ها", [("novabrew", "نوابرو")]),  # plural after ZWNJ
    (f"کیکو{ZWNJ}هایشان", [("kiko", "کیکو")]),  # plural + possessive
    ("نوابروها", [("novabrew", "نوابرو")]),
    ("نوابرو را خریدم", [("novabrew", "نوابرو")]),
    ("نوابرورا", [("novabrew", "نوابرو")]),
    ("بنوابرو", [("novabrew", "نوابرو")]),
    ("نوابــرو", [("novabrew", "نوابــرو")]),  # tatweel inside
    ("نوابروـ!", [("novabrew", "نوابروـ")]),  # a trailing tatweel belongs to the word
    ("کیکو", [("kiko", "کیکو")]),
    ("كيكو", [("kiko", "كيكو")]),  # Arabic kaf and yeh
    ("دانا رحیمی جواب داد", [("dana", "دانا رحیمی")]),
    ("دانا رحيمي", [("dana", "دانا رحيمي")]),  # Arabic yeh
    (f"دانا{ZWNJ}رحیمی", [("dana", f"دانا{ZWNJ}رحیمی")]),
    ("دانارحیمی", [("dana", "دانارحیمی")]),  # the space between parts is optional
    ("محصول KX۲ خراب شد", [("kx2", "KX۲")]),  # Persian digit
    ("من عاشق NovaBrew هستم", [("novabrew", "NovaBrew")]),  # LTR inside RTL
    (f"سفارشم از {RLM}@novabrew_hq{LRM} نرسید", [("account", "@novabrew_hq")]),
    ("\u202bنوابرو\u202c", [("novabrew", "نوابرو")]),
    ("بNovaBrew", [("novabrew", "NovaBrew")]),
]
PERSIAN_MISSES = [
    "نوابروخانه",  # another word
    "سینوابرو",  # letters before that are not proclitics
    "نوابرو۲",  # digits are word characters
    "دانا",
    "کیکوبان",
]

ARABIC = [
    ("نوفابرو", [("novabrew", "نوفابرو")]),
    ("والنوفابرو", [("novabrew", "نوفابرو")]),  # wa + al
    ("بنوفابرو", [("novabrew", "نوفابرو")]),  # bi
    ("للنوفابرو", [("novabrew", "نوفابرو")]),  # li + al
    ("فالنوفابرو", [("novabrew", "نوفابرو")]),  # fa + al
    ("كالنوفابرو", [("novabrew", "نوفابرو")]),  # ka + al (Arabic kaf)
    ("نوفابروهم", [("novabrew", "نوفابرو")]),  # pronoun suffix
    ("أمواج", [("amwaj", "أمواج")]),
    ("امواج", [("amwaj", "امواج")]),
    ("إمواج", [("amwaj", "إمواج")]),
    ("أَمْوَاجٌ رائعة", [("amwaj", "أَمْوَاجٌ")]),  # tashkeel, the last one kept in the span
    ("أمـــواج", [("amwaj", "أمـــواج")]),
    ("قهوة نوفا", [("teh", "قهوة نوفا")]),
    ("قهوه نوفا", [("teh", "قهوه نوفا")]),  # teh marbuta written as heh
    ("منتج KX٢ ممتاز", [("kx2", "KX٢")]),  # Arabic-Indic digit
    ("أحب NovaBrew كثيرا", [("novabrew", "NovaBrew")]),
]
ARABIC_MISSES = [
    "منوفابرو",
    "نوفابرويات",
    "أمواجيات",
]

TAGALOG = [
    ("Ang sarap ng NovaBrew!", [("novabrew", "NovaBrew")]),
    ("Bumili ako sa NovaBrew kahapon", [("novabrew", "NovaBrew")]),
    ("Yung NovaBrew-ng kape", [("novabrew", "NovaBrew")]),  # hyphenated linker
    ("Mag-NovaBrew tayo mamaya", [("novabrew", "NovaBrew")]),
    ("nag-NovaBrew kami, i-NovaBrew mo rin", [("novabrew", "NovaBrew")]),
    ("pinaka-NovaBrew 😭 grabe", [("novabrew", "NovaBrew")]),
    ("Sobrang bagal ng delivery ng KX2 ninyo", [("kx2", "KX2")]),
    ("Grabe si @NovaBrew_HQ, di sumasagot", [("account", "@NovaBrew_HQ")]),
]
TAGALOG_MISSES = [
    "NovaBrewng kape",  # the linker attached without a hyphen is another word
    "nagnovabrew",
]

MULTI_SCRIPT = [
    ("今日はノバブルーを飲んだ", [("blue", "ノバブルー")]),  # substring in scripts without spaces
    ("我喜欢诺瓦的咖啡", [("blue", "诺瓦")]),
    ("ชอบโนวามาก", [("blue", "โนวา")]),
    ("노바브루가 좋아요", [("korean", "노바브루")]),  # Korean particles attach
]

MATCH_CASES = ENGLISH + HANDLES_AND_HASHTAGS + PERSIAN + ARABIC + TAGALOG + MULTI_SCRIPT
MISS_CASES = ENGLISH_MISSES + HANDLE_MISSES + PERSIAN_MISSES + ARABIC_MISSES + TAGALOG_MISSES


@pytest.mark.parametrize(("text", "expected"), MATCH_CASES)
def test_match(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize("text", MISS_CASES)
def test_near_miss_does_not_match(text: str) -> None:
    assert found(text) == []


PRODUCTS = [
    ("KX", [("kx", "KX")]),
    ("KX2", [("kx2", "KX2")]),
    ("KX۲", [("kx2", "KX۲")]),
    ("KX٢", [("kx2", "KX٢")]),
    ("KX 2", [("kx", "KX")]),
    ("KX22", []),
    ("KX2 vs KX", [("kx2", "KX2"), ("kx", "KX")]),
]


@pytest.mark.parametrize(("text", "expected"), PRODUCTS)
def test_product_digits_in_every_script(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


EXCLUSIONS = [
    ("Nova Scotia is cold", []),
    ("Nova, Scotia", [("nova", "Nova")]),  # not the excluded phrase
    ("Nova Scotia is cold but Nova is warm", [("nova", "Nova")]),
    ("bossa nova and NOVA", [("nova", "NOVA")]),
    ("NOVA  scotia then nova", [("nova", "nova")]),
]


@pytest.mark.parametrize(("text", "expected"), EXCLUSIONS)
def test_exclusion_cancels_only_the_covered_match(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert found(text) == expected
    if expected:
        (match,) = WATCHLIST.match(text)
        assert match.start == text.rindex(expected[0][1])


def test_exclusions_are_whole_word_and_normalised() -> None:
    watchlist = Watchlist([entity("nova", "نوا", "Nova", exclude=("نوا اسکوشیا", "Nova Scotian"))])
    assert watchlist.match("نوا اسكوشيا") == []  # Arabic kaf and yeh in the post
    assert watchlist.match("Nova Scotian") == []
    assert watchlist.match("Nova Scotia") == [Match("nova", "Nova", 0, 4)]  # Scotia != Scotian


def test_exclusion_ending_with_the_match() -> None:
    watchlist = Watchlist([entity("scotia", "Scotia", exclude=("Nova Scotia",))])
    assert watchlist.match("Nova Scotia") == []
    assert watchlist.match("Nova Scotia, Scotia") == [Match("scotia", "Scotia", 13, 19)]


def test_many_repeated_exclusions() -> None:
    text = "Nova Scotia, " * 300 + "nova!"
    assert WATCHLIST.match(text) == [Match("nova", "Nova", len(text) - 5, len(text) - 1)]


def test_offsets_point_into_the_original_text() -> None:
    text = f"{RLM}سلام{ZWNJ} والنوابرو{ZWNJ}ها و ﬁka، 😡ＮｏｖａＢｒｅｗ!"
    matches = WATCHLIST.match(text)
    assert [(m.entity_id, m.term, text[m.start : m.end]) for m in matches] == [
        ("novabrew", "نوابرو", "نوابرو"),
        ("fika", "fika", "ﬁka"),
    ]
    assert matches[0].start == text.index("نوابرو")
    assert matches[1].end == text.index("،")


def test_one_match_per_entity_the_first() -> None:
    text = "نوابرو is NovaBrew, #NovaBrew, والنوفابرو"
    matches = [m for m in WATCHLIST.match(text) if m.entity_id == "novabrew"]
    assert matches == [Match("novabrew", "نوابرو", 0, 6)]


def test_term_reported_as_configured() -> None:
    watchlist = Watchlist([entity("e", "nOVAbREW", "NovaBrew")])
    assert watchlist.match("NOVABREW") == [Match("e", "nOVAbREW", 0, 8)]


@pytest.mark.parametrize("terms", [("Nova", "Nova Brew"), ("Nova Brew", "Nova")])
def test_longest_term_wins_at_the_same_place(terms: tuple[str, str]) -> None:
    watchlist = Watchlist([entity("e", *terms), entity("f", "Brew")])
    assert watchlist.match("nova brew") == [Match("e", "Nova Brew", 0, 9), Match("f", "Brew", 5, 9)]


@pytest.mark.parametrize("terms", [("نوا برو", "نوابرو"), ("نوابرو", "نوا برو")])
def test_first_configured_term_wins_for_the_same_surface(terms: tuple[str, str]) -> None:
    watchlist = Watchlist([entity("e", *terms)])
    assert watchlist.match("نوابرو") == [Match("e", terms[0], 0, 6)]


def test_many_entities_in_text_order() -> None:
    text = "KX2 from @novabrew_hq: Dana Rahimi says قهوة نوفا and كيكو are back #NovaBrewDay"
    assert [m.entity_id for m in WATCHLIST.match(text)] == [
        "kx2",
        "account",
        "dana",
        "teh",
        "kiko",
        "campaign",
        "novabrew",  # NovaBrew and Nova are words of #NovaBrewDay
        "nova",
    ]


def test_entities_sharing_a_term_both_match() -> None:
    watchlist = Watchlist([entity("a", "NovaBrew"), entity("b", "novabrew")])
    assert watchlist.match("NovaBrew") == [
        Match("a", "NovaBrew", 0, 8),
        Match("b", "novabrew", 0, 8),
    ]


def test_match_many_keeps_order() -> None:
    texts = ["nothing here", "NovaBrew", "KX2 and نوابرو"]
    assert WATCHLIST.match_many(texts) == [WATCHLIST.match(t) for t in texts]
    assert [len(r) for r in WATCHLIST.match_many(texts)] == [0, 1, 2]


def test_empty_watchlist_and_empty_text() -> None:
    assert Watchlist([]).match("NovaBrew") == []
    assert WATCHLIST.match("") == []


@pytest.mark.parametrize("term", ["ـــ", "\u064e\u064f", ZWNJ + ZWJ])
def test_term_that_normalises_to_nothing_is_a_config_error(term: str) -> None:
    with pytest.raises(ConfigError) as info:
        Watchlist([entity("ok", "fine"), entity("bad", "x", term)])
    assert info.value.field == "entities.1.terms.1"


def test_match_is_frozen() -> None:
    match = Match("e", "t", 0, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        match.start = 2  # type: ignore[misc]


def test_public_names() -> None:
    assert monitor.matching.__all__ == ["Match", "Watchlist", "normalize"]


# ---------------------------------------------------------------------------- 500 terms

_LATIN = "bcdfgklmnprstvz"
_VOWELS = "aeiou"
_PERSIAN = "بپتجچدرزسشکگلمنو"


def _generated_entities(rng: random.Random) -> list[Entity]:
    """100 entities x 5 terms: Latin words, two-word phrases, hashtags, Persian, handles."""
    entities: list[Entity] = []
    seen: set[str] = set()
    while len(entities) < 100:
        word = "".join(rng.choice(_LATIN) + rng.choice(_VOWELS) for _ in range(4))
        persian = "".join(rng.choice(_PERSIAN) + "ا" for _ in range(3)) + rng.choice(_PERSIAN)
        if word in seen or persian in seen:
            continue
        seen.update((word, persian))
        k = len(entities)
        terms = (word.title(), f"{word} {k}x", f"#{word}{k}", persian, f"@{word}_{k}")
        entities.append(entity(f"g{k}", *terms))
    return entities


def test_five_hundred_terms() -> None:
    rng = random.Random(20261122)
    entities = _generated_entities(rng)
    watchlist = Watchlist(entities)
    assert sum(len(e.terms) for e in entities) == 500
    texts, expected = [], []
    for e in entities:
        for term in e.terms:
            prefix = rng.choice(["Ang sarap ng ", "I think ", "من ", "😡", "(", ""])
            shown = term.upper() if term.isascii() else term
            text = f"{prefix}{shown}! more words"
            texts.append(text)
            expected.append([(e.id, term, len(prefix), len(prefix) + len(shown))])
            texts.append(f"{prefix}{shown}9 more words")  # a digit glued on: no match...
            if term == e.terms[1]:  # ...except the first word of "word 12x9" on its own
                expected.append([(e.id, e.terms[0], len(prefix), len(prefix) + len(e.terms[0]))])
            else:
                expected.append([])
    results = watchlist.match_many(texts)
    for text, want, got in zip(texts, expected, results, strict=True):
        assert [(m.entity_id, m.term, m.start, m.end) for m in got] == want, text


def test_five_hundred_terms_in_one_post() -> None:
    entities = _generated_entities(random.Random(5))
    watchlist = Watchlist(entities)
    text = " ".join(e.terms[3] for e in reversed(entities))
    matches = watchlist.match(text)
    assert [m.entity_id for m in matches] == [e.id for e in reversed(entities)]
    assert all(text[m.start : m.end] == m.term for m in matches)


def _frames() -> int:
    """How deep the stack is here."""
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


def test_long_terms_compile_with_a_shallow_stack() -> None:
    """A term as long as a query allows (X: 512 characters) is one trie path; compiling it
    takes no stack frame per character, so a 2,000-character term and a 300-word phrase
    compile with the recursion limit lowered to 150 frames above this test's."""
    long_term = "".join(random.Random(3).choice("novabrew") for _ in range(2_000))
    phrase = " ".join(f"word{k}" for k in range(300))
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(_frames() + 150)
    try:
        watchlist = Watchlist([entity("long", long_term), entity("phrase", phrase)])
    finally:
        sys.setrecursionlimit(limit)
    posts = [f"so {long_term.upper()}!", f"#ouch {phrase.replace(' ', '  ')} ok", "so novabrew"]
    got = [[(m.entity_id, post[m.start : m.end]) for m in watchlist.match(post)] for post in posts]
    assert got == [
        [("long", long_term.upper())],
        [("phrase", phrase.replace(" ", "  "))],
        [],
    ]
