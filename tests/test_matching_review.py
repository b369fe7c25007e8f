"""Watchlist matching: Persian and Arabic spellings found in review.

Each row is (terms, post, expected surfaces ``text[start:end]``); an empty list is a miss.
"""

from __future__ import annotations

import pytest

from monitor.matching import Match, Watchlist
from monitor.settings import Entity

ZWNJ = "\u200c"


def entity(key: str, *terms: str, exclude: tuple[str, ...] = ()) -> Entity:
    return Entity(id=key, kind="brand", name=key, terms=terms, exclude=exclude, team="social")


def surfaces(terms: tuple[str, ...], text: str, exclude: tuple[str, ...] = ()) -> list[str]:
    watchlist = Watchlist([entity("e", *terms, exclude=exclude)])
    return [text[m.start : m.end] for m in watchlist.match(text)]


# Persian and Arabic hashtags join their words with "_" (no spaces in a tag): a boycott
# campaign naming the brand is the mention a social team most needs to hear.
HASHTAG_WORDS: list[tuple[tuple[str, ...], str, list[str], tuple[str, ...]]] = [
    (("اسنپ",), "#تحریم_اسنپ", ["اسنپ"], ()),
    (("اسنپ",), "#تحریم_اسنپ_فوری", ["اسنپ"], ()),
    (("الاتصالات",), "#مقاطعة_الاتصالات", ["الاتصالات"], ()),
    (("اتصالات",), "#مقاطعه_الاتصالات_السعودية", ["اتصالات"], ()),
    (("دیجی کالا",), "#دیجی_کالا", ["دیجی_کالا"], ()),
    (("اسنپ",), "#اسنپ_1402", ["اسنپ"], ()),
    (("اسنپ",), "#اسنپ_فود", ["اسنپ"], ()),  # as "اسنپ فود" with a space...
    (("اسنپ",), "#اسنپ_فود", [], ("اسنپ فود",)),  # ...which an exclusion cancels
    (("NovaBrew",), "NovaBrew_fan", [], ()),  # Latin: "_" still joins (handles, identifiers)
    (("#اسنپ",), "#اسنپ_فود", [], ()),  # a tag term matches only that tag
    (("اسنپ",), "#اسنپها", ["اسنپ"], ()),  # suffixes attach as ever
    (("اسنپ",), "#سیاسنپ", [], ()),
]


@pytest.mark.parametrize(("terms", "text", "expected", "exclude"), HASHTAG_WORDS)
def test_arabic_script_hashtag_words_joined_by_underscore(
    terms: tuple[str, ...], text: str, expected: list[str], exclude: tuple[str, ...]
) -> None:
    assert surfaces(terms, text, exclude) == expected


# A ZWNJ (half-space) in a configured Persian term is where people also type a full space,
# or nothing at all: "دیجی‌کالا", "دیجی کالا" and "دیجیکالا" are one brand.
ZWNJ_TERMS = [
    ((f"دیجی{ZWNJ}کالا",), "دیجی کالا خیلی بد شده", ["دیجی کالا"]),
    ((f"دیجی{ZWNJ}کالا",), f"دیجی{ZWNJ}کالا", [f"دیجی{ZWNJ}کالا"]),
    ((f"دیجی{ZWNJ}کالا",), "دیجیکالا", ["دیجیکالا"]),
    ((f"اسنپ{ZWNJ}فود",), "سفارشم از اسنپ فود نرسید", ["اسنپ فود"]),
    ((f"اسنپ{ZWNJ}فود",), "اسنپ\u00a0فود", ["اسنپ\u00a0فود"]),  # no-break space
    ((f"اسنپ{ZWNJ}فود",), "اسنپ فودی", ["اسنپ فود"]),  # suffix kept out of the span
    ((f"اسنپ{ZWNJ}فود",), "اسنپ", []),
    ((f"اسنپ{ZWNJ}فود",), "اسنپ تریپ", []),
    ((f"می{ZWNJ}خواهم",), "می خواهم", ["می خواهم"]),
    ((f"#اسنپ{ZWNJ}فود",), "#اسنپ فود", []),  # a tag ends at the space
    ((f"#اسنپ{ZWNJ}فود",), "#اسنپفود", ["#اسنپفود"]),
    ((f"Nova{ZWNJ}Brew",), "NovaBrew", ["NovaBrew"]),  # Latin: a ZWNJ is just dropped
    ((f"Nova{ZWNJ}Brew",), "Nova Brew", []),
]


@pytest.mark.parametrize(("terms", "text", "expected"), ZWNJ_TERMS)
def test_zwnj_in_a_term_also_matches_a_space(
    terms: tuple[str, ...], text: str, expected: list[str]
) -> None:
    assert surfaces(terms, text) == expected


def test_zwnj_in_an_exclusion_also_matches_a_space() -> None:
    watchlist = Watchlist([entity("snapp", "اسنپ", exclude=(f"اسنپ{ZWNJ}فود",))])
    assert watchlist.match("اسنپ فود دیر کرد") == []
    assert watchlist.match("اسنپ فود دیر کرد، اسنپ هم") == [Match("snapp", "اسنپ", 18, 22)]


# Arabic writes the preposition li + the article al- as "لل" (the alef drops): "للراجحي",
# "to Al Rajhi". A term written with its article must still be found there.
LAM_ALEF = [
    (("الراجحي",), "شكوى للراجحي", ["لراجحي"]),  # the span starts at the article's lam
    (("الراجحي",), "وللراجحي", ["لراجحي"]),
    (("الراجحي",), "فللراجحي!", ["لراجحي"]),
    (("الراجحي",), "للراجحيين", ["لراجحي"]),
    (("الخطوط السعودية",), "تبا للخطوط السعوديه", ["لخطوط السعوديه"]),
    (("الراجحي",), "بالراجحي", ["الراجحي"]),  # unchanged: bi + al keeps the alef
    (("الراجحي",), "لراجحي", []),  # one lam is not the article
    (("الراجحي",), "مللراجحي", []),
    (("راجحي",), "للراجحي", ["راجحي"]),  # a term without article, as before
]


@pytest.mark.parametrize(("terms", "text", "expected"), LAM_ALEF)
def test_arabic_li_plus_article(terms: tuple[str, ...], text: str, expected: list[str]) -> None:
    assert surfaces(terms, text) == expected


def test_li_plus_article_in_exclusions_and_order() -> None:
    watchlist = Watchlist(
        [
            entity("rajhi", "الراجحي", exclude=("الراجحي كابيتال",)),
            entity("shop", "لل"),
        ]
    )
    assert watchlist.match("للراجحي كابيتال") == []
    text = "شكوى للراجحي"
    assert watchlist.match(text) == [Match("rajhi", "الراجحي", 6, 12)]
    assert text[6:12] == "لراجحي"


def test_li_plus_article_term_configured_literally() -> None:
    watchlist = Watchlist([entity("a", "الراجحي"), entity("b", "للراجحي")])
    assert watchlist.match("للراجحي") == [Match("b", "للراجحي", 0, 7), Match("a", "الراجحي", 1, 7)]


# Spoken Persian marks the object with "رو" (after a consonant, just "و") and puts "ام"/"اش"
# (my, its) after a vowel: "اسنپو پاک کردم", I deleted Snapp.
PERSIAN_SUFFIXES = [
    (("اسنپ",), "اسنپو پاک کردم", ["اسنپ"]),
    (("اسنپ",), f"اسنپ{ZWNJ}رو پاک کردم", ["اسنپ"]),
    (("اسنپ",), "اسنپرو", ["اسنپ"]),
    ((f"دیجی{ZWNJ}کالا",), f"دیجی{ZWNJ}کالارو نصب نکنید", [f"دیجی{ZWNJ}کالا"]),
    (("تپسی",), f"تپسی{ZWNJ}ام نیومد", ["تپسی"]),
    (("تپسی",), "تپسیاش", ["تپسی"]),
    (("اسنپ",), "اسنپور", []),
    (("اسنپ",), "اسنپوها", []),  # one suffix, not two
]


@pytest.mark.parametrize(("terms", "text", "expected"), PERSIAN_SUFFIXES)
def test_spoken_persian_suffixes(terms: tuple[str, ...], text: str, expected: list[str]) -> None:
    assert surfaces(terms, text) == expected
