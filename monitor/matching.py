"""Watchlist matching: which entities a post mentions, and where.

A :class:`Watchlist` is compiled once from the configured :class:`~monitor.settings.Entity`
list; :meth:`Watchlist.match` then costs one translate and one regex scan per post, however
many terms there are. Every decision below is deliberate; change them here and in
``tests/test_matching*.py`` together. This module holds the rules and the public API; the
post's side of them (word boundaries, hashtag joints, handle ends) is
:mod:`monitor.matching_bounds`, and compiling terms into phrases and one scan is
:mod:`monitor.matching_phrases`.

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
      article's lam). After it, optional attached suffixes
      (:data:`monitor.matching_bounds._ARABIC_SUFFIXES`: Persian ``ها های هایی ی ای یی را رو
      و ش م ت اش ام مان تان شان ست ...``, Arabic ``ه ها هم هن کم نا ان ین ون ات``), including
      after a ZWNJ (``نوابرو‌ها``). Anything else attached is another word: ``نوابروخانه``
      does not match. ``_`` is not a letter here: Persian and Arabic hashtags join words
      with it, so ``#تحریم_اسنپ`` and ``#اسنپ_فود`` mention ``اسنپ``
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
      hyphen in such a term is part of it, not a break between words. For a handle the word
      characters are ASCII and Latin letters only, as handles are ASCII on every platform (and
      X reads ``@novaé`` as no mention): text of another script typed straight against it
      (right-to-left typing often leaves out the space) is not part of it, so ``@novaممنون``,
      ``سلام@nova`` and ``@novaさん`` mention ``@nova``. A hashtag takes letters of every
      script, so ``#NovaBrewخراب`` is another tag than ``#NovaBrew``.
    * A ``@handle`` also goes on past an ASCII ``.`` or ``-`` followed by a Latin letter, digit
      or ``_``: Instagram, Threads and TikTok handles have dots, YouTube's dots and hyphens,
      Bluesky's are domain names, so ``@nova.brew``, ``@nova-brew`` and ``@nova.bsky.social``
      are other accounts than ``@nova``. Before anything else (a space, the end, punctuation,
      non-Latin text) the ``.`` or ``-`` is the sentence's: ``thanks @nova.``, ``@nova...``,
      ``@nova.ممنون`` and ``@nova—great`` (a typographic dash, never in a handle) mention
      ``@nova``. The cost: ``@nova.Great``, a missing space after the full stop, does not.
      X handles have neither character, so a post from X (``match(text, platform="x")``)
      ends its handles there, as X does: ``thanks @nova.great service`` and ``@nova-brew``
      mention ``@nova`` on X. A post of any other platform, or of none given, reads them as
      above (an ``@`` on Reddit quotes some other platform's account).
    * A plain term also matches the body of a tag or handle (``#NovaBrew``, ``@NovaBrew``): people
      tag the brand to mean the brand. Handles are read as words like any text:
      ``@NovaBrew_help`` does not match ``novabrew``, ``@BoycottNovaBrew`` does not either (no
      case joints in handles: a handle names an account), but the parts of a dotted handle
      are words: ``novabrew`` matches ``@novabrew.bsky.social`` as it matches ``novabrew.com``.
    * Hashtags join words, which a Latin term may start and end between: at ``_``, where a
      capital follows a lower-case letter or digit, and where a run of capitals meets a
      capitalised word (``#BoycottNovaBrew`` = boycott|nova|brew, ``#KX2Fail`` = kx2|fail,
      ``#KXFail`` = kx|fail, ``#DSBÆrgerlig`` = dsb|ærgerlig: case is read from the letters
      as typed, before ``Æ`` folds to two). The words of a multi-word term may be joined
      there (by ``_`` or nothing: a tag has no spaces). So ``NovaBrew`` and ``nova brew`` match
      ``#boycott_NovaBrew``, ``#NovaBrew_sucks``, ``#BoycottNovaBrew`` and ``#NovaBrewFail``
      (and ``nova brew`` also ``#novabrew``), and ``nova`` matches ``#NovaBrewFail`` as it
      matches ``Nova Brew``; an exclusion is read the same way (``Nova Scotia`` cancels ``nova``
      in ``#NovaScotiaTrip``). A term may go on past the tag's end with its next words, spaced
      as outside a tag: ``Nova Brew fail`` matches ``#NovaBrew fail`` (as ``NovaBrew fail`` and
      ``Brew fail`` do), but words are joined only inside the tag (not ``#NovaBrew failnow``
      for ``nova brew fail now``), and only a tag's words split (not ``NovaBrew fail``). A
      letter then a digit is no joint (``#NovaBrew2026`` is not ``NovaBrew``), and a tag in
      one case has none to find: ``#boycottnovabrew`` and ``#BOYCOTTNOVABREW`` do not match
      ``NovaBrew`` (no dictionary segmentation).

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
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import TypeAlias

from monitor.folding import normalize, trails
from monitor.matching_bounds import Post, left_ok
from monitor.matching_phrases import Phrase, compile_phrase, spellings, trie_regex
from monitor.settings import Entity

__all__ = ["Match", "Watchlist", "normalize"]


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

    Raises :class:`~monitor.errors.ConfigError` for a term or exclusion that normalises to
    nothing (only tatweel or marks, say). Safe to share between threads: matching keeps no
    state.
    """

    def __init__(self, entities: Sequence[Entity]) -> None:
        self._ids = tuple(e.id for e in entities)
        owners: dict[tuple[tuple[str, ...], int], dict[int, tuple[int, str]]] = {}
        phrases: dict[tuple[tuple[str, ...], int], Phrase] = {}
        self._exclusions: dict[int, tuple[Phrase, ...]] = {}
        for i, entity in enumerate(entities):
            for j, raw in enumerate(entity.terms):
                for phrase in spellings(compile_phrase(raw, f"entities.{i}.terms.{j}")):
                    key = (phrase.atoms, phrase.lead)
                    phrases.setdefault(key, phrase)
                    owners.setdefault(key, {}).setdefault(i, (j, raw))  # first spelling
            excludes = [
                spelling
                for j, raw in enumerate(entity.exclude)
                for spelling in spellings(compile_phrase(raw, f"entities.{i}.exclude.{j}"))
            ]
            if excludes:
                self._exclusions[i] = tuple(excludes)
        buckets: dict[str, list[tuple[Phrase, tuple[tuple[int, int, str], ...]]]] = {}
        for key, phrase in phrases.items():
            who = tuple((i, j, raw) for i, (j, raw) in owners[key].items())
            buckets.setdefault(phrase.atoms[0], []).append((phrase, who))
        self._buckets = {first: tuple(terms) for first, terms in buckets.items()}
        self._kinds = {first: terms[0][0].left for first, terms in buckets.items()}
        self._scans = (
            tuple(re.compile(trie_regex(list(phrases.values()), tagged=t)) for t in (False, True))
            if phrases
            else None
        )

    def match(self, text: str, platform: str | None = None) -> list[Match]:
        """Entities mentioned in ``text``: the first occurrence of each, in text order.

        ``platform`` is the post's (``SourcePost.platform``): its handles end as that
        platform's do (``"x"``: at a dot or hyphen); ``None`` reads them as any platform's.
        """
        if self._scans is None:
            return []
        norm = normalize(text)
        scan = self._scans["#" in norm]
        m = scan.search(norm)
        if m is None:
            return []
        post = Post(text, norm, platform)
        found: dict[int, tuple[str, int, int]] = {}
        excluded: _SpanCache = {}
        while m is not None:
            pos = m.start()
            first = norm[pos]
            if left_ok(self._kinds[first], post, pos):
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

    def match_many(
        self, texts: Sequence[str], platforms: Sequence[str | None] | None = None
    ) -> list[list[Match]]:
        """:meth:`match` for each text, in order; ``platforms`` is each text's, if given (as
        many as ``texts``, or ``ValueError``)."""
        match = self.match
        if platforms is None:
            return [match(text) for text in texts]
        return [match(text, platform) for text, platform in zip(texts, platforms, strict=True)]

    def _excluded(self, i: int, post: Post, start: int, end: int, cache: _SpanCache) -> bool:
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

    def _to_matches(self, post: Post, found: dict[int, tuple[str, int, int]]) -> list[Match]:
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
