"""Watchlist matching: Latin letters folding cannot see, hashtags that join words, dotted handles.

Each row is (terms, post, expected surfaces ``text[start:end]``); an empty list is a miss.
Comparing surfaces checks the offsets too: folding ``æ`` into two letters, or reading case
from the original post, must still point at the right characters.
"""

from __future__ import annotations

import pytest

from monitor.matching import Watchlist, normalize
from monitor.settings import Entity


def entity(key: str, *terms: str, exclude: tuple[str, ...] = ()) -> Entity:
    return Entity(id=key, kind="brand", name=key, terms=terms, exclude=exclude, team="social")


def surfaces(
    terms: tuple[str, ...], text: str, exclude: tuple[str, ...] = (), platform: str | None = None
) -> list[str]:
    watchlist = Watchlist([entity("e", *terms, exclude=exclude)])
    found = watchlist.match(text) if platform is None else watchlist.match(text, platform=platform)
    return [text[m.start : m.end] for m in found]


# ------------------------------------------------------------------------ Latin letters

# Letters that are not an accent on a plain letter, so NFKD and the accent drop leave them,
# but that people type as the plain letter: a Turkish keyboard's dotless ı (and İ, which
# casefolds to i + a dot), Danish ø, Croatian đ, Icelandic ð, Polish ł, the æ and œ ligatures.
FOLDED = [
    ("NİKE nıke NIKE", "nike nike nike"),
    ("MİGROS", "migros"),
    ("Ørsted ØRSTED", "orsted orsted"),
    ("Đorđe Ðorðe", "dorde dorde"),
    ("Łódź", "lodz"),
    ("Æble cœur", "aeble coeur"),
    ("þ ħ ŋ", "þ ħ ŋ"),  # not folded: no one-letter spelling people agree on
]


@pytest.mark.parametrize(("text", "expected"), FOLDED)
def test_latin_letters_folded(text: str, expected: str) -> None:
    assert normalize(text) == expected


LATIN_LETTERS = [
    (("Nike",), "NİKE satışları düştü", ["NİKE"]),
    (("Nike",), "nıke ayakkabım yırtıldı", ["nıke"]),
    (("Migros",), "MİGROS kasada bekletiyor", ["MİGROS"]),
    (("Migros",), "Mıgros", ["Mıgros"]),
    (("İşbank",), "isbank uygulaması çöktü", ["isbank"]),  # the term in Turkish capitals
    (("Ørsted",), "Orsted bills doubled", ["Orsted"]),
    (("Orsted",), "ØRSTED bills doubled", ["ØRSTED"]),
    (("Łódź Kaliska",), "lodz kaliska station", ["lodz kaliska"]),
    (("Caesar Bar",), "Cæsar Bar", ["Cæsar Bar"]),  # one letter in the post, two in the term
    (("NovaBrew",), "Cæsar and Œuvre hate NovaBrew", ["NovaBrew"]),  # offsets after æ and œ
    (("aero",), "ÆRØ ferry", ["ÆRØ"]),
    (("Nike",), "nıkes", []),  # still whole words
]


@pytest.mark.parametrize(("terms", "text", "expected"), LATIN_LETTERS)
def test_latin_letters_match_their_plain_spelling(
    terms: tuple[str, ...], text: str, expected: list[str]
) -> None:
    assert surfaces(terms, text) == expected


# ---------------------------------------------------------------------------- hashtags

# A boycott or complaint tag is the mention a social team most needs to hear, and Latin tags
# join their words with "_" or capitals: #BoycottNovaBrew is about NovaBrew.
HASHTAG_WORDS: list[tuple[tuple[str, ...], str, list[str], tuple[str, ...]]] = [
    (("NovaBrew",), "#boycott_NovaBrew", ["NovaBrew"], ()),
    (("NovaBrew",), "#NovaBrew_sucks", ["NovaBrew"], ()),
    (("NovaBrew",), "#Boycott_NovaBrew_Now", ["NovaBrew"], ()),
    (("NovaBrew",), "Enough. #BoycottNovaBrew!", ["NovaBrew"], ()),
    (("NovaBrew",), "#NovaBrewFail", ["NovaBrew"], ()),
    (("NovaBrew",), "#2026NovaBrew", ["NovaBrew"], ()),  # a digit then a capital
    (("NovaBrew",), "#تحریم_NovaBrew", ["NovaBrew"], ()),
    (("NovaBrew",), "😡 #ÆrøBoycottNovaBrew", ["NovaBrew"], ()),  # case read through offsets
    (("nova brew",), "#BoycottNovaBrew", ["NovaBrew"], ()),
    (("nova brew",), "#nova_brew", ["nova_brew"], ()),
    (("nova brew",), "#novabrew", ["novabrew"], ()),
    (("nova brew",), "#NovaBrewFail", ["NovaBrew"], ()),
    (("nova brew",), "#BoycottNovaBrew #nova_brew", ["NovaBrew"], ()),
    (("brew",), "#novaBREW", ["BREW"], ()),
    (("KX",), "#KXFail", ["KX"], ()),  # a run of capitals ends before a capitalised word
    (("KX2",), "#KX2Fail", ["KX2"], ()),
    (("KX",), "#BoycottKX", ["KX"], ()),
    # A capital that folds to two letters (Æ -> ae, Œ -> oe) still starts the word after a
    # run of capitals: #DSBÆrgerlig is DSB|Ærgerlig ("DSB, annoying"), #SNCFŒuvre SNCF|Œuvre.
    (("DSB",), "#DSBÆrgerlig", ["DSB"], ()),
    (("ærgerlig",), "#DSBÆrgerlig", ["Ærgerlig"], ()),
    (("SNCF",), "#SNCFŒuvre", ["SNCF"], ()),
    (("DSB",), "#DSBÆRGERLIG", [], ()),  # all capitals: still no joint to find
    (("Nova",), "#NovaBrewFail", ["Nova"], ()),  # as "Nova Brew" mentions Nova
    (("Nova",), "#SuperNova", ["Nova"], ()),  # the cost of reading capitals...
    (("Nova",), "#SuperNova", [], ("super nova",)),  # ...which an exclusion takes back
    (("Nova",), "#NovaScotiaTrip", [], ("Nova Scotia",)),
    (("Nova",), "#Nova_Scotia", [], ("Nova Scotia",)),
    (("Nova",), "#NovaScotiaTrip but #NovaFail", ["Nova"], ("Nova Scotia",)),
    # A tag's words, then the term's next words after it: #NovaBrew is "Nova Brew", so
    # "#NovaBrew fail" says "Nova Brew fail" as "#NovaBrewFail" and "#Nova Brew fail" do.
    (("Nova Brew fail",), "#NovaBrew fail", ["NovaBrew fail"], ()),
    (("Nova Brew fail",), "so #NovaBrew  fail!!", ["NovaBrew  fail"], ()),
    (("Nova Brew fail",), "#NovaBrew-fail", ["NovaBrew-fail"], ()),
    (("Nova Brew fail",), "#nova_brew fail", ["nova_brew fail"], ()),
    (("Nova Brew fail",), "#novabrew fail", ["novabrew fail"], ()),  # as "nova brew" = #novabrew
    (("Nova Brew fail",), "#BoycottNovaBrew fail", ["NovaBrew fail"], ()),
    (("Boycott Nova Brew now",), "#BoycottNovaBrew now", ["BoycottNovaBrew now"], ()),
    (("Boycott Nova Brew now",), "#BoycottNova Brew now", ["BoycottNova Brew now"], ()),
    (("Nova",), "#NovaScotia trip", [], ("Nova Scotia trip",)),  # an exclusion too
    (("Nova",), "#NovaScotia trip, #NovaFail", ["Nova"], ("Nova Scotia trip",)),
]
HASHTAG_MISSES: list[tuple[tuple[str, ...], str]] = [
    (("NovaBrew",), "#boycottnovabrew"),  # one case: no joints to find
    (("NovaBrew",), "#BOYCOTTNOVABREW"),
    (("NovaBrew",), "#NovaBrew2026"),  # a letter then a digit is no joint
    (("NovaBrew",), "#NovaBrewing"),
    (("NovaBrew",), "#SupernovaBrew"),
    (("NovaBrew",), "NovaBrew_fan"),  # not a hashtag: "_" joins an identifier
    (("NovaBrew",), "@NovaBrew_help"),  # a handle names another account
    (("NovaBrew",), "@BoycottNovaBrew"),
    (("NovaBrew",), "x#BoycottNovaBrew"),  # not a hashtag either
    (("nova brew",), "nova_brew"),
    (("nova brew",), "@nova_brew"),
    (("#novabrew",), "#NovaBrewFail"),  # a tag term still matches only that tag
    (("#novabrew",), "#NovaBrew_sucks"),
    (("Nova Brew fail",), "#NovaBrew failed"),  # the words after the tag are whole words
    (("Nova Brew fail now",), "#NovaBrew failnow"),  # and joined only inside the tag
    (("Nova Brew fail",), "#NovaBrew2026 fail"),
    (("Nova Brew fail",), "#SupernovaBrew fail"),
    (("Nova Brew fail",), "NovaBrew fail"),  # not a hashtag: no words to split
    (("Nova Brew fail",), "@NovaBrew fail"),  # nor a handle
    (("Nova Brew fail",), "x#NovaBrew fail"),
]


@pytest.mark.parametrize(("terms", "text", "expected", "exclude"), HASHTAG_WORDS)
def test_latin_hashtag_words(
    terms: tuple[str, ...], text: str, expected: list[str], exclude: tuple[str, ...]
) -> None:
    assert surfaces(terms, text, exclude) == expected


@pytest.mark.parametrize(("terms", "text"), HASHTAG_MISSES)
def test_latin_hashtag_near_misses(terms: tuple[str, ...], text: str) -> None:
    assert surfaces(terms, text) == []


def test_hashtag_words_in_a_long_post() -> None:
    """Thousands of excluded tags, then the real one: each candidate is checked against the
    exclusions and joints found once for the post, and the match is in the last tag."""
    text = "#NovaScotiaTrip " * 2000 + "#BoycottNovaBrew"
    watchlist = Watchlist([entity("nova", "Nova", exclude=("Nova Scotia",)), entity("b", "Brew")])
    assert [(m.entity_id, text[m.start : m.end]) for m in watchlist.match(text)] == [
        ("nova", "Nova"),
        ("b", "Brew"),
    ]
    assert watchlist.match(text)[0].start == len(text) - len("NovaBrew")


# ----------------------------------------------------------------------------- handles

# Instagram, Threads and TikTok handles have dots, YouTube's dots and hyphens, Bluesky's are
# domain names: @nova.brew is another account than @nova. A dot or dash that the sentence
# puts after the handle is not part of it.
HANDLES = [
    (("@nova",), "@nova.brew", []),
    (("@nova",), "@nova-brew", []),
    (("@nova",), "@Nova.bsky.social", []),
    (("@nova",), "@nova._brew", []),
    (("@nova",), "thanks @nova.", ["@nova"]),
    (("@nova",), "@nova... again", ["@nova"]),
    (("@nova",), "@nova. Great", ["@nova"]),
    (("@nova",), "cc @nova-", ["@nova"]),
    (("@nova",), "@nova—great", ["@nova"]),  # an em dash is never in a handle
    (("@nova",), "@nova–2", ["@nova"]),  # nor an en dash
    (("@nova",), "@nova.ممنون", ["@nova"]),
    (("@nova",), "(@nova), @nova's", ["@nova"]),
    (("@nova",), "@nova.Great", []),  # the documented cost of a missing space
    # handles are ASCII: another script typed against one (no space in RTL typing) ends it
    (("@nova",), "@novaممنون", ["@nova"]),
    (("@nova",), "ممنون@nova", ["@nova"]),
    (("@nova",), "@nova\u200cخیلی بده", ["@nova"]),
    (("@nova",), "@novaさん、助けて", ["@nova"]),
    (("@nova",), "@novaспасибо", ["@nova"]),
    (("@nova",), "@novaé", []),  # X: a Latin letter after a handle makes it no mention
    (("@nova",), "@novaɐ @novaⱥ", []),  # Latin letters outside Latin-1 and Extended-A/B
    (("@nova",), "@nova×2", ["@nova"]),  # a sign, not a letter
    (("@nova",), "@nova_x @nova2", []),
    (("@nova",), "info@nova.com", []),
    (("#nova",), "#novaخراب", []),  # a hashtag takes letters of every script
    (("#nova",), "سلام#nova", []),
    (("@nova.brew",), "@NOVA.BREW.", ["@NOVA.BREW"]),
    (("@nova.brew",), "@nova.brew.x", []),
    (("@nova-brew",), "@nova-brew!", ["@nova-brew"]),
    (("@nova-brew",), "@nova brew", []),  # a hyphen in a handle term is part of it
    (("@nova-brew",), "@nova-brew-x", []),
    (("#nova-brew",), "#nova brew", []),
    (("novabrew",), "@novabrew.bsky.social", ["novabrew"]),  # a plain term reads words
    (("nova",), "@nova.brew", ["nova"]),
    # "thanks @novabrew.great service": a missing space, read as a dotted handle when the
    # platform is not known (Instagram, Threads, TikTok, Bluesky)...
    (("@novabrew",), "thanks @novabrew.great service", []),
    (("NovaBrew",), "thanks @novabrew.great service", ["novabrew"]),  # a plain term reads words
]


@pytest.mark.parametrize(("terms", "text", "expected"), HANDLES)
def test_dotted_and_hyphenated_handles(
    terms: tuple[str, ...], text: str, expected: list[str]
) -> None:
    assert surfaces(terms, text) == expected


# ...but an X handle is letters, digits and "_" only: on X, "@novabrew." ends the handle
# whatever follows, as X itself reads it. What is not a handle stays none.
X_HANDLES = [
    (("@novabrew",), "thanks @novabrew.great service", ["@novabrew"]),
    (("NovaBrew",), "thanks @novabrew.great service", ["novabrew"]),
    (("@novabrew",), "@NovaBrew.Great!", ["@NovaBrew"]),
    (("@novabrew",), "@novabrew-great", ["@novabrew"]),
    (("@novabrew",), "thanks @novabrew.", ["@novabrew"]),
    (("@novabrew",), "@novabrew_great @novabrew2 @novabrewé", []),
    (("@novabrew",), "info@novabrew.com", []),  # an address, not a handle
    (("@novabrew",), "novabrew.com", []),
    (("NovaBrew",), "nova.brew", []),  # two words, on every platform
    (("nova brew",), "nova.brew", []),
    (("#novabrew",), "#novabrew.great", ["#novabrew"]),  # a tag ended there already
]


@pytest.mark.parametrize(("terms", "text", "expected"), X_HANDLES)
def test_x_handles_end_at_a_dot_or_hyphen(
    terms: tuple[str, ...], text: str, expected: list[str]
) -> None:
    assert surfaces(terms, text, platform="x") == expected


@pytest.mark.parametrize("platform", [None, "reddit", "jsonl", "rss"])
def test_other_platforms_read_dotted_handles(platform: str | None) -> None:
    assert surfaces(("@nova",), "@nova.brew @nova-brew @nova.Great", platform=platform) == []


def test_match_many_reads_each_post_as_its_platform() -> None:
    watchlist = Watchlist([entity("e", "@novabrew")])
    texts = ["@novabrew.great", "@novabrew.great", "@novabrew!"]
    platforms = ["x", "reddit", None]
    assert watchlist.match_many(texts, platforms) == [
        watchlist.match(text, platform) for text, platform in zip(texts, platforms, strict=True)
    ]
    assert [len(found) for found in watchlist.match_many(texts, platforms)] == [1, 0, 1]
    assert watchlist.match_many(texts) == [watchlist.match(text) for text in texts]
    with pytest.raises(ValueError):
        watchlist.match_many(texts, platforms[:2])
