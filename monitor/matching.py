"""Watchlist matching: which entities a post mentions, and where.

A :class:`Watchlist` is compiled once from the configured :class:`~monitor.settings.Entity`
list; :meth:`Watchlist.match` then costs one translate and one regex scan per post, however
many terms there are. Every decision below is deliberate; change them here and in
``tests/test_matching.py`` together.

Normalisation
    :func:`normalize` (:mod:`monitor.folding`) folds terms, exclusions and posts alike: case,
    Latin accents and the letters typed plain (``ı ø đ ł æ œ``), Arabic/Persian letter
    variants, tashkeel, tatweel, ZWNJ/ZWJ and other format characters, digits of every
    script, typographic apostrophes and dashes.

Whole words, by script of the term's first and last letter
    * Latin and other spaced alphabets (Cyrillic, Greek, Devanagari...): the neighbour must
      not be a letter, digit or ``_`` of such a script. Digits are word characters, so
      ``NovaBrew2`` and ``#NovaBrew2026`` do not mention ``NovaBrew`` (``X2`` is not ``X``);
      so is ``_``, except between the words of a hashtag (below): ``NovaBrew_fan`` does not
      match. Punctuation, emoji, spaces, Arabic and CJK letters are boundaries:
      ``NovaBrew!!``, ``😡NovaBrew``, ``NovaBrew's``, ``我爱NovaBrew`` all match. No stemming:
      ``NovaBrews`` and ``novabrewing`` do not match ``NovaBrew``.
    * Tagalog/Taglish needs nothing special: linkers and affixes are separate words or
      hyphenated (``sa NovaBrew``, ``ng NovaBrew``, ``NovaBrew-ng``, ``mag-NovaBrew``); the
      unhyphenated ``NovaBrewng`` does not match.
    * Arabic script: before the term, optional attached proclitics ``و``/``ف``, then
      ``ب``/``ل``/``ک`` and/or the article ``ال`` (``لل`` for ``ل`` + ``ال``): ``والنوابرو``,
      ``بنوابرو``. A term written with the article also matches after ``ل``, which drops the
      article's alef (``الراجحي`` in ``للراجحي``, ``وللراجحي``; the span starts at the
      article's lam). After it, optional attached suffixes (:data:`_ARABIC_SUFFIXES`:
      Persian ``ها های هایی ی ای یی را رو و ش م ت اش ام مان تان شان ست ...``, Arabic ``ه ها هم هن کم
      نا ان ین ون ات``), including after a ZWNJ (``نوابرو‌ها``). Anything else attached is another
      word: ``نوابروخانه`` does not match. ``_`` is not a letter here: Persian and Arabic
      hashtags join words with it, so ``#تحریم_اسنپ`` and ``#اسنپ_فود`` mention ``اسنپ``
      (for Latin, see hashtags below).
    * CJK, kana, Hangul, Thai, Lao, Khmer, Myanmar and Tibetan terms match as substrings
      (no spaces between words, particles attach in Korean).
    * Words of a multi-word term match across any run of spaces or hyphens (``nova brew`` =
      ``Nova-Brew`` = ``nova  brew``); a hyphen between letters in a term separates words
      too. Between two Arabic-script or CJK words the space is optional (and may be ``_``, as
      in hashtags), so the term ``نوا برو`` also matches ``نوابرو``, ``نوا‌برو`` and
      ``#نوا_برو``. A ZWNJ between Arabic-script letters of a term counts as such a space (not
      in a ``#tag`` or ``@handle`` term): ``دیجی‌کالا`` matches ``دیجی کالا`` too. The reverse,
      a one-word term matching a spaced post, is not attempted.

Handles and hashtags
    * A ``#tag`` or ``@handle`` term matches only that tag or handle: not preceded by a word
      character (so ``info@novabrew.com`` is not ``@novabrew``) and not followed by one (so
      ``#NovaBrew2026`` is not ``#novabrew``, ``#NovaBrew_sucks`` is not ``#novabrew``). A
      hyphen in such a term is part of it, not a break between words.
    * A ``@handle`` also goes on past an ASCII ``.`` or ``-`` followed by a Latin letter, digit
      or ``_``: Instagram, Threads and TikTok handles have dots, YouTube's dots and hyphens,
      Bluesky's are domain names, so ``@nova.brew``, ``@nova-brew`` and ``@nova.bsky.social``
      are other accounts than ``@nova``. Before anything else (a space, the end, punctuation,
      non-Latin text) the ``.`` or ``-`` is the sentence's: ``thanks @nova.``, ``@nova...``,
      ``@nova.ممنون`` and ``@nova—great`` (a typographic dash, never in a handle) mention
      ``@nova``. The cost: ``@nova.Great``, a missing space after the full stop, does not.
      X handles have neither character, so for X nothing changes.
    * A plain term also matches the body of a tag or handle (``#NovaBrew``, ``@NovaBrew``): people
      tag the brand to mean the brand. Handles are read as words like any text:
      ``@NovaBrew_help`` does not match ``novabrew``, ``@BoycottNovaBrew`` does not either (no
      case joints in handles: a handle names an account), but the parts of a dotted handle
      are words: ``novabrew`` matches ``@novabrew.bsky.social`` as it matches ``novabrew.com``.
    * Hashtags join words, which a Latin term may start and end between: at ``_``, where a
      capital follows a lower-case letter or digit, and where a run of capitals meets a
      capitalised word (``#BoycottNovaBrew`` = boycott|nova|brew, ``#KX2Fail`` = kx2|fail,
      ``#KXFail`` = kx|fail). The words of a multi-word term may be joined there (by ``_`` or
      nothing: a tag has no spaces). So ``NovaBrew`` and ``nova brew`` match
      ``#boycott_NovaBrew``, ``#NovaBrew_sucks``, ``#BoycottNovaBrew`` and ``#NovaBrewFail``
      (and ``nova brew`` also ``#novabrew``), and ``nova`` matches ``#NovaBrewFail`` as it
      matches ``Nova Brew``; an exclusion is read the same way (``Nova Scotia`` cancels ``nova``
      in ``#NovaScotiaTrip``). A letter then a digit is no joint (``#NovaBrew2026`` is not
      ``NovaBrew``), and a tag in one case has none to find: ``#boycottnovabrew`` and
      ``#BOYCOTTNOVABREW`` do not match ``NovaBrew`` (no dictionary segmentation).

Exclusions
    A phrase in ``exclude`` is matched like a term; a match whose span lies inside an
    exclusion's span is cancelled (``nova`` inside ``Nova Scotia``), and the entity's next
    occurrence is used instead.

Results
    At most one :class:`Match` per entity: its first occurrence in the post (where several of
    its terms start at the same place, the longest, then the first configured). Matches are in
    text order; entities starting at the same place come in configuration order.
    ``start``/``end`` index the original post and cover the term itself: not attached
    proclitics or suffixes, not the ``#``/``@`` of a tag matched by a plain term, but
    including tashkeel, tatweel and ZWNJ inside it (and a ``_`` between hashtag words).
    ``Entity.languages`` is not applied here (that needs language detection).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import TypeAlias

from monitor.errors import ConfigError
from monitor.folding import normalize, offsets, trails
from monitor.settings import Entity

__all__ = ["Match", "Watchlist", "normalize"]

# -------------------------------------------------------------------------- character classes

#: Arabic-script letters left after NFKC (which maps the presentation forms FB50-FEFC away).
_ARABIC = "\u0620-\u064a\u066e-\u06d3\u06d5\u06ee-\u06ff\u0750-\u077f\u08a0-\u08ff"
_NOSPACE = (
    "\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1100-\u11ff\u1780-\u17ff\u3040-\u30ff"
    "\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff"
    "\uf900-\ufaff\U00020000-\U0003134f"
)
#: A letter, digit or ``_`` of a spaced script other than Arabic (Indic marks included).
_LATIN_WORD = f"(?:[^\\W{_ARABIC}{_NOSPACE}]|[\u0900-\u0dff])"
#: A letter of the Arabic script, or a digit. Not ``_``: Persian and Arabic hashtags join their
#: words with it (``#تحریم_اسنپ``), and handles, the other place it joins words, are Latin.
_ARABIC_WORD = f"[{_ARABIC}0-9]"

_IS_LATIN_WORD = re.compile(_LATIN_WORD)
_IS_ARABIC_WORD = re.compile(_ARABIC_WORD)
_IS_WORD = re.compile(r"\w")
_IS_NOSPACE = re.compile(f"[{_NOSPACE}]")

_PROCLITICS = sorted(
    {c + p for c in ("", "و", "ف") for p in ("", "ب", "ل", "ک", "ال", "بال", "کال", "لل")},
    key=len,
)
#: Attached suffixes allowed after an Arabic-script term (normalised spelling).
_ARABIC_SUFFIXES = (
    # Persian: plural, indefinite/ezafe yeh, object marker (spoken "رو", "و" after a
    # consonant: "اسنپو"), possessive clitics (after a vowel "ام اش": "تپسی‌ام"), copula.
    "ها", "های", "هایی", "هایم", "هایت", "هایش", "هایمان", "هایتان", "هایشان",
    "ی", "ای", "یی", "را", "رو", "و", "ست",
    "م", "ت", "ش", "ام", "اش", "مان", "تان", "شان", "مون", "تون", "شون",
    # Arabic: possessive/object pronouns, dual and plural endings.
    "ه", "هم", "هما", "هن", "ک", "کم", "کن", "نا", "ان", "ین", "ون", "ات",
)  # fmt: skip
_SUFFIX = "(?:" + "|".join(sorted(set(_ARABIC_SUFFIXES), key=len, reverse=True)) + ")"

_LATIN, _ARABIC_SCRIPT, _NOSPACE_SCRIPT, _SIGIL, _OTHER, _HANDLE = range(6)


def _script(ch: str) -> int:
    if ch in "#@":
        return _SIGIL
    if _IS_NOSPACE.match(ch):
        return _NOSPACE_SCRIPT
    if _IS_ARABIC_WORD.match(ch) and not ch.isascii():
        return _ARABIC_SCRIPT
    if _IS_LATIN_WORD.match(ch):
        return _LATIN
    return _OTHER


# -------------------------------------------------------------------------------- one post

_HASHTAG = re.compile(r"(?<!\w)#(\w+)")
#: After a handle: an ASCII "." or "-" (checked in the original) and a Latin handle character.
_HANDLE_GOES_ON = re.compile(r"[.\-][a-z0-9_]")


class _Post:
    """One post being matched: the original, its folded text, and where its hashtags' words meet.

    Hashtags and their joints are found on first need, when a Latin boundary fails the plain
    word rule, so most posts never pay for them. Case is read from the original text: folding
    has lowered it.
    """

    __slots__ = ("_index", "_joints", "_tags", "ascii", "hashtagged", "norm", "text")

    def __init__(self, text: str, norm: str) -> None:
        self.text = text
        self.norm = norm
        self.ascii = text.isascii()  # then norm is text.lower(), offsets are the identity
        self.hashtagged = "#" in norm
        self._index: list[int] | None = None
        self._tags: tuple[list[int], list[int]] | None = None
        self._joints: set[int] | None = None

    def source(self, pos: int) -> int:
        """The index in ``text`` of the character that ``norm[pos]`` comes from."""
        if self.ascii:
            return pos
        if self._index is None:
            self._index = offsets(self.text)
        return self._index[pos]

    def tags(self) -> tuple[list[int], list[int]]:
        """Starts and ends in ``norm`` of the hashtag bodies (after the ``#``), in text order."""
        if self._tags is None:
            spans = [m.span(1) for m in _HASHTAG.finditer(self.norm)] if self.hashtagged else []
            self._tags = [s for s, _ in spans], [e for _, e in spans]
        return self._tags

    def tag_end(self, pos: int) -> int:
        """The end of the hashtag body holding ``norm[pos]``, or -1 if it is in none."""
        starts, ends = self.tags()
        k = bisect_right(starts, pos) - 1
        return ends[k] if k >= 0 and pos < ends[k] else -1

    def is_joint(self, pos: int) -> bool:
        """Whether a word of a hashtag starts or ends at ``norm[pos]`` (inside the body)."""
        if self._joints is None:
            self._joints = set()
            for start, end in zip(*self.tags(), strict=True):
                self._joints.update(self._joints_in(start, end))
        return pos in self._joints

    def _joints_in(self, start: int, end: int) -> Iterator[int]:
        """After or at each ``_``, and where case changes: ``novaBrew``, ``kx2Fail``, ``KXFail``."""
        norm, text, source = self.norm, self.text, self.source
        for pos in range(start + 1, end):
            if norm[pos] == "_" or norm[pos - 1] == "_":
                yield pos
                continue
            before, here = source(pos - 1), source(pos)
            if before == here or not text[here].isupper():
                continue  # inside one folded character (ß -> ss), or no capital here
            if text[before].islower() or text[before].isdigit():
                yield pos
            elif text[before].isupper() and pos + 1 < end and text[source(pos + 1)].islower():
                yield pos  # the last capital of a run starts the next word

    def handle_goes_on(self, pos: int) -> bool:
        """Whether a handle ending at ``norm[pos]`` goes on (``@nova.brew``, ``@nova-brew``)."""
        return (
            _HANDLE_GOES_ON.match(self.norm, pos) is not None
            and self.text[self.source(pos)] in ".-"
        )


def _left_ok(kind: int, post: _Post, pos: int) -> bool:
    """Whether a term whose first character is of ``kind`` may start at ``norm[pos]``."""
    if pos == 0 or kind in (_NOSPACE_SCRIPT, _OTHER):
        return True
    norm = post.norm
    if kind == _LATIN:
        return _IS_LATIN_WORD.match(norm, pos - 1) is None or post.is_joint(pos)
    if kind == _SIGIL:
        return _IS_WORD.match(norm, pos - 1) is None
    for clitic in _PROCLITICS:  # Arabic script: "" first, then attached proclitics
        start = pos - len(clitic)
        if start < 0:
            break
        if norm.startswith(clitic, start) and (
            start == 0 or _IS_ARABIC_WORD.match(norm, start - 1) is None
        ):
            return True
    return False


def _right_ok(kind: int, post: _Post, pos: int) -> bool:
    """Whether a term whose boundary is of ``kind`` may end at ``norm[pos]``."""
    if _RIGHT[kind].match(post.norm, pos) is None:
        return kind == _LATIN and post.is_joint(pos)
    return kind != _HANDLE or not post.handle_goes_on(pos)


_RIGHT = {
    _LATIN: re.compile(f"(?!{_LATIN_WORD})"),
    _SIGIL: re.compile(r"(?!\w)"),
    _HANDLE: re.compile(r"(?!\w)"),
    _ARABIC_SCRIPT: re.compile(f"{_SUFFIX}?(?!{_ARABIC_WORD})"),
    _NOSPACE_SCRIPT: re.compile(""),
    _OTHER: re.compile(""),
}
#: Cheaper boundaries for the combined scan, each accepting everything the exact one accepts
#: (big Unicode classes repeated at every leaf would make compiling take seconds).
_LOOSE_RIGHT = {
    _LATIN: "(?![a-z0-9_])",
    _SIGIL: "(?![a-z0-9_])",
    _HANDLE: "(?![a-z0-9_])",
    _ARABIC_SCRIPT: f"{_SUFFIX}?(?![\u0620-\u064a\u066e-\u06d3\u06d5\u06ee-\u06ff0-9])",
    _NOSPACE_SCRIPT: "",
    _OTHER: "",
}
_SPACED_SEP = r"[\s\-]+"
_TIGHT_SEP = r"[\s_]*"
_SEPARATORS = (_SPACED_SEP, _TIGHT_SEP)
#: What a spaced separator may be inside a hashtag body (checked against the body's bounds).
_JOINED_SEP = "_*"
#: The combined scan's spaced separator and Latin right boundary in a post with a hashtag,
#: where words may be joined and a term may end before a letter (``#NovaBrewFail``).
_TAGGED_SPACED_SEP = r"[\s\-_]*"
_TAGGED_LATIN_RIGHT = ""
_SPLIT = re.compile(r"\s+|(?<=\w)-+(?=\w)")
_SPLIT_TAG = re.compile(r"\s+")  # a hyphen in a #tag or @handle term is part of it

# ----------------------------------------------------------------------------------- phrases


@dataclass(frozen=True, slots=True)
class _Phrase:
    """A normalised term or exclusion: its characters and separators, and its boundaries."""

    atoms: tuple[str, ...]  # single characters, or a separator regex from _SEPARATORS
    left: int  # script class of the first character
    right: int  # script class that decides what may follow
    core: re.Pattern[str]  # the atoms alone (no boundaries: cheap to compile)
    joined: re.Pattern[str] | None  # spaced words joined as in a hashtag; None for one word
    lead: int = 0  # characters before the term itself (the li of "للراجحي")

    def end_at(self, post: _Post, pos: int) -> int:
        """End of this phrase if it occurs at ``pos`` (left boundary already checked), or -1."""
        m = self.core.match(post.norm, pos)
        if m is not None and _right_ok(self.right, post, m.end()):
            return m.end()
        if self.joined is None or not post.hashtagged or (tag_end := post.tag_end(pos)) < 0:
            return -1
        m = self.joined.match(post.norm, pos, tag_end)
        return m.end() if m is not None and _right_ok(self.right, post, m.end()) else -1

    def spans(self, post: _Post) -> list[tuple[int, int]]:
        """Every whole-word occurrence, overlapping ones included."""
        searches = [(self.core, 0, len(post.norm))]
        if self.joined is not None:
            searches += [(self.joined, s, e) for s, e in zip(*post.tags(), strict=True)]
        out = []
        for pattern, lo, hi in searches:
            m = pattern.search(post.norm, lo, hi)
            while m is not None:
                start, end = m.span()
                if _left_ok(self.left, post, start) and _right_ok(self.right, post, end):
                    out.append((start + self.lead, end))
                m = pattern.search(post.norm, start + 1, hi)
        return out


def _fold_term(text: str) -> str:
    """``normalize(text)``, but a ZWNJ between two Arabic-script letters becomes a space.

    Persian puts that half-space between the parts of a word (``دیجی‌کالا``), and people type
    a space there as often as nothing at all; ``_phrase`` then makes the space optional.
    Not in a ``#tag`` or ``@handle`` term, which a space would end.
    """
    parts = [normalize(part) for part in text.split("\u200c")]
    out = parts[0]
    if out.lstrip()[:1] in ("#", "@"):
        return "".join(parts)
    for part in parts[1:]:
        half = bool(out and part) and _script(out[-1]) == _script(part[0]) == _ARABIC_SCRIPT
        out += " " + part if half else part
    return out


def _phrase(text: str, field: str) -> _Phrase:
    """Compile one term or exclusion; raises :class:`ConfigError` if nothing is left of it."""
    folded = _fold_term(text).strip()
    split = _SPLIT_TAG if folded[:1] in ("#", "@") else _SPLIT
    words = [w for w in split.split(folded) if w]
    if not words:
        raise ConfigError(field, "is empty once invisible characters and marks are removed")
    atoms: list[str] = []
    for word in words:
        if atoms:
            tight = {_script(atoms[-1]), _script(word[0])} <= {_ARABIC_SCRIPT, _NOSPACE_SCRIPT}
            atoms.append(_TIGHT_SEP if tight else _SPACED_SEP)
        atoms.extend(word)
    left = _script(atoms[0])
    right = (_HANDLE if atoms[0] == "@" else _SIGIL) if left == _SIGIL else _script(atoms[-1])
    return _Phrase(tuple(atoms), left, right, *_compile(atoms))


def _compile(atoms: Sequence[str]) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    """The phrase's pattern, and if it has spaced words, the pattern with them joined."""
    core = re.compile("".join(_atom_regex(a) for a in atoms))
    if _SPACED_SEP not in atoms:
        return core, None
    joined = "".join(_JOINED_SEP if a == _SPACED_SEP else _atom_regex(a) for a in atoms)
    return core, re.compile(joined)


def _spellings(phrase: _Phrase) -> tuple[_Phrase, ...]:
    """``phrase``, and for an Arabic term with the article its spelling after the preposition
    li, which drops the article's alef (``ل`` + ``الراجحي`` = ``للراجحي``)."""
    atoms = phrase.atoms
    if phrase.left != _ARABIC_SCRIPT or atoms[:2] != ("ا", "ل") or len(atoms) < 4:
        return (phrase,)
    lam = ("ل", *atoms[1:])
    return phrase, _Phrase(lam, phrase.left, phrase.right, *_compile(lam), lead=1)


def _atom_regex(atom: str) -> str:
    return atom if atom in _SEPARATORS else re.escape(atom)


_Trie: TypeAlias = "dict[str, _Trie]"


def _trie_regex(phrases: Sequence[_Phrase], *, tagged: bool) -> str:
    """One alternation shaped like a trie, so the engine branches once per character.

    It finds every position where some term may start; :meth:`Watchlist.match` then checks the
    exact boundaries of the few terms that begin with that character. The ``tagged`` scan,
    for posts with a ``#``, also finds Latin terms joined or followed by a letter in a hashtag;
    other posts get the tighter one, which stops at fewer places.
    """
    root: _Trie = {}
    for phrase in phrases:
        node = root
        for atom in phrase.atoms:
            node = node.setdefault(atom, {})
        right = _LOOSE_RIGHT[phrase.right]
        if tagged and phrase.right == _LATIN:
            right = _TAGGED_LATIN_RIGHT
        node[""] = {right: {}}  # "" marks an end; its key is the boundary

    def scan_regex(atom: str) -> str:
        return _TAGGED_SPACED_SEP if tagged and atom == _SPACED_SEP else _atom_regex(atom)

    def render(node: _Trie) -> str:
        alts = [
            next(iter(child)) if atom == "" else scan_regex(atom) + render(child)
            for atom, child in sorted(node.items(), key=lambda kv: kv[0] == "")
        ]
        alts = list(dict.fromkeys(alts))
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return render(root)


@dataclass(frozen=True, slots=True)
class Match:
    """One entity mentioned in one post.

    ``term`` is the configured term as written; ``text[start:end]`` is the matched surface in
    the original post (see the module docstring for what it includes).
    """

    entity_id: str
    term: str
    start: int
    end: int


#: Per post, per entity: exclusion starts (sorted) and the furthest end among those so far.
_SpanCache: TypeAlias = dict[int, tuple[list[int], list[int]]]


class Watchlist:
    """Every entity's terms compiled into one regex; build once, match many posts.

    Raises :class:`ConfigError` for a term or exclusion that normalises to nothing (only
    tatweel or marks, say). Safe to share between threads: matching keeps no state.
    """

    def __init__(self, entities: Sequence[Entity]) -> None:
        self._ids = tuple(e.id for e in entities)
        owners: dict[tuple[tuple[str, ...], int], dict[int, tuple[int, str]]] = {}
        phrases: dict[tuple[tuple[str, ...], int], _Phrase] = {}
        self._exclusions: dict[int, tuple[_Phrase, ...]] = {}
        for i, entity in enumerate(entities):
            for j, raw in enumerate(entity.terms):
                for phrase in _spellings(_phrase(raw, f"entities.{i}.terms.{j}")):
                    key = (phrase.atoms, phrase.lead)
                    phrases.setdefault(key, phrase)
                    owners.setdefault(key, {}).setdefault(i, (j, raw))  # first spelling
            excludes = [
                spelling
                for j, raw in enumerate(entity.exclude)
                for spelling in _spellings(_phrase(raw, f"entities.{i}.exclude.{j}"))
            ]
            if excludes:
                self._exclusions[i] = tuple(excludes)
        buckets: dict[str, list[tuple[_Phrase, tuple[tuple[int, int, str], ...]]]] = {}
        for key, phrase in phrases.items():
            who = tuple((i, j, raw) for i, (j, raw) in owners[key].items())
            buckets.setdefault(phrase.atoms[0], []).append((phrase, who))
        self._buckets = {first: tuple(terms) for first, terms in buckets.items()}
        self._kinds = {first: terms[0][0].left for first, terms in buckets.items()}
        self._scans = (
            tuple(re.compile(_trie_regex(list(phrases.values()), tagged=t)) for t in (False, True))
            if phrases
            else None
        )

    def match(self, text: str) -> list[Match]:
        """Entities mentioned in ``text``: the first occurrence of each, in text order."""
        if self._scans is None:
            return []
        norm = normalize(text)
        scan = self._scans["#" in norm]
        m = scan.search(norm)
        if m is None:
            return []
        post = _Post(text, norm)
        found: dict[int, tuple[str, int, int]] = {}
        excluded: _SpanCache = {}
        while m is not None:
            pos = m.start()
            first = norm[pos]
            if _left_ok(self._kinds[first], post, pos):
                hits: list[tuple[int, int, int, str, int]] = []
                for phrase, who in self._buckets[first]:
                    end = phrase.end_at(post, pos)
                    if end >= 0:
                        start = pos + phrase.lead
                        hits.extend(
                            (start - end, j, i, raw, start) for i, j, raw in who if i not in found
                        )
                hits.sort()  # the longest surface first, then the earliest configured term
                for neg_size, _, i, raw, start in hits:
                    end = start - neg_size
                    if i not in found and not self._excluded(i, post, start, end, excluded):
                        found[i] = (raw, start, end)
            if len(found) == len(self._ids):
                break
            m = scan.search(norm, pos + 1)
        return self._to_matches(post, found) if found else []

    def match_many(self, texts: Sequence[str]) -> list[list[Match]]:
        """:meth:`match` for each text, in order."""
        match = self.match
        return [match(text) for text in texts]

    def _excluded(self, i: int, post: _Post, start: int, end: int, cache: _SpanCache) -> bool:
        """Whether an exclusion of entity ``i`` covers ``norm[start:end]``.

        The exclusions are found once per post; each test is then a binary search, so a post
        repeating an excluded phrase thousands of times stays fast.
        """
        phrases = self._exclusions.get(i)
        if phrases is None:
            return False
        spans = cache.get(i)
        if spans is None:
            found = sorted(span for phrase in phrases for span in phrase.spans(post))
            spans = cache[i] = ([s for s, _ in found], list(accumulate((e for _, e in found), max)))
        starts, furthest_ends = spans
        k = bisect_right(starts, start)  # exclusions starting at or before the match
        return k > 0 and furthest_ends[k - 1] >= end

    def _to_matches(self, post: _Post, found: dict[int, tuple[str, int, int]]) -> list[Match]:
        """Matches in original offsets, in text order."""
        text = post.text
        out: list[tuple[int, int, Match]] = []
        for i, (raw, start, end) in found.items():
            if not post.ascii:
                start, end = post.source(start), post.source(end - 1) + 1
                while end < len(text) and trails(text[end]):
                    end += 1
            out.append((start, i, Match(self._ids[i], raw, start, end)))
        out.sort(key=lambda item: item[:2])  # text order; entities starting together: config order
        return [match for _, _, match in out]
