"""Watch terms compiled: each term or exclusion as a :class:`Phrase`, all terms as one scan.

:mod:`monitor.matching` documents the matching rules (its module docstring) and owns the
public API; this module turns configured text into what it matches with. A :class:`Phrase`
is a term folded by :func:`~monitor.folding.normalize` and cut into characters and
separators, with one pattern for its words as written and one for them joined in a hashtag
(and maybe going on, spaced, after it).
:func:`trie_regex` merges every phrase into one alternation that finds where some term may
start; each hit is then checked with the exact boundaries of :mod:`monitor.matching_bounds`.
What can go wrong: a scan that accepted less than the exact check would lose a match
silently, so the scan's boundaries and separators only ever loosen the exact ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

from monitor.errors import ConfigError
from monitor.folding import normalize
from monitor.matching_bounds import (
    ARABIC_SCRIPT,
    HANDLE,
    LATIN,
    LOOSE_RIGHT,
    NOSPACE_SCRIPT,
    SIGIL,
    Post,
    left_ok,
    right_ok,
    script,
)

__all__ = ["Phrase", "compile_phrase", "spellings", "trie_regex"]

_SPACED_SEP = r"[\s\-]+"
_TIGHT_SEP = r"[\s_]*"
_SEPARATORS = (_SPACED_SEP, _TIGHT_SEP)
#: What a spaced separator may be in a term that starts in a hashtag: nothing or ``_`` joining
#: two words of the tag (captured: :func:`_joined_in_tag` checks that it is inside the tag), or
#: spaces and hyphens after the tag's end (``#NovaBrew fail``; a tag has neither).
_JOINED_SEP = r"(?:[\s\-]+|(_*))"
#: The combined scan's spaced separator and Latin right boundary in a post with a hashtag,
#: where words may be joined and a term may end before a letter (``#NovaBrewFail``).
_TAGGED_SPACED_SEP = r"[\s\-_]*"
_TAGGED_LATIN_RIGHT = ""
_SPLIT = re.compile(r"\s+|(?<=\w)-+(?=\w)")
_SPLIT_TAG = re.compile(r"\s+")  # a hyphen in a #tag or @handle term is part of it


@dataclass(frozen=True, slots=True)
class Phrase:
    """A normalised term or exclusion: its characters and separators, and its boundaries."""

    atoms: tuple[str, ...]  # single characters, or a separator regex from _SEPARATORS
    left: int  # script class of the first character
    right: int  # script class that decides what may follow
    core: re.Pattern[str]  # the atoms alone (no boundaries: cheap to compile)
    joined: re.Pattern[str] | None  # words joined in a hashtag, then spaced; None for one word
    lead: int = 0  # characters before the term itself (the li of "للراجحي")

    def end_at(self, post: Post, pos: int) -> int:
        """End of this phrase if it occurs at ``pos`` (left boundary already checked), or -1."""
        m = self.core.match(post.norm, pos)
        if m is not None and right_ok(self.right, post, m.end()):
            return m.end()
        if self.joined is None or not post.hashtagged or (tag_end := post.tag_end(pos)) < 0:
            return -1
        m = self.joined.match(post.norm, pos)
        if m is None or not _joined_in_tag(m, tag_end) or not right_ok(self.right, post, m.end()):
            return -1
        return m.end()

    def spans(self, post: Post) -> list[tuple[int, int]]:
        """Every whole-word occurrence, overlapping ones included."""
        norm, out = post.norm, []
        m = self.core.search(norm)
        while m is not None:
            start, end = m.span()
            if left_ok(self.left, post, start) and right_ok(self.right, post, end):
                out.append((start + self.lead, end))
            m = self.core.search(norm, start + 1)
        if self.joined is not None and post.hashtagged:
            out += self._joined_spans(self.joined, post)
        return out

    def _joined_spans(self, joined: re.Pattern[str], post: Post) -> list[tuple[int, int]]:
        """Occurrences that start in a hashtag with words joined there: one pass over the
        post, each search going on from the last hit or the next tag, so a post of thousands
        of tags is not searched to its end once per tag."""
        norm, out = post.norm, []
        starts, ends = post.tags()
        m = joined.search(norm, starts[0]) if starts else None
        for tag_start, tag_end in zip(starts, ends, strict=True):
            if m is not None and m.start() < tag_start:
                m = joined.search(norm, tag_start)
            while m is not None and m.start() < tag_end:
                start, end = m.span()
                if (
                    _joined_in_tag(m, tag_end)
                    and left_ok(self.left, post, start)
                    and right_ok(self.right, post, end)
                ):
                    out.append((start + self.lead, end))
                m = joined.search(norm, start + 1)
            if m is None:
                break
        return out


def _joined_in_tag(m: re.Match[str], tag_end: int) -> bool:
    """Whether every pair of words that ``m`` joined (by nothing or ``_``) meets inside the
    hashtag body ending at ``tag_end``: ``#NovaBrew fail``, not ``#NovaBrew failnow``.

    A word pair joined is a captured separator; one spaced leaves its group unset, whose end
    reads -1 and passes.
    """
    return all(m.end(group) < tag_end for group in range(1, m.re.groups + 1))


def _fold_term(text: str) -> str:
    """``normalize(text)``, but a ZWNJ between two Arabic-script letters becomes a space.

    Persian puts that half-space between the parts of a word (``دیجی‌کالا``), and people type
    a space there as often as nothing at all; :func:`compile_phrase` then makes the space
    optional.
    Not in a ``#tag`` or ``@handle`` term, which a space would end.
    """
    parts = [normalize(part) for part in text.split("\u200c")]
    out = parts[0]
    if out.lstrip()[:1] in ("#", "@"):
        return "".join(parts)
    for part in parts[1:]:
        half = bool(out and part) and script(out[-1]) == script(part[0]) == ARABIC_SCRIPT
        out += " " + part if half else part
    return out


def compile_phrase(text: str, field: str) -> Phrase:
    """Compile one term or exclusion; raises :class:`ConfigError` if nothing is left of it."""
    folded = _fold_term(text).strip()
    split = _SPLIT_TAG if folded[:1] in ("#", "@") else _SPLIT
    words = [w for w in split.split(folded) if w]
    if not words:
        raise ConfigError(field, "is empty once invisible characters and marks are removed")
    atoms: list[str] = []
    for word in words:
        if atoms:
            tight = {script(atoms[-1]), script(word[0])} <= {ARABIC_SCRIPT, NOSPACE_SCRIPT}
            atoms.append(_TIGHT_SEP if tight else _SPACED_SEP)
        atoms.extend(word)
    left = script(atoms[0])
    right = (HANDLE if atoms[0] == "@" else SIGIL) if left == SIGIL else script(atoms[-1])
    return Phrase(tuple(atoms), left, right, *_compile(atoms))


def _compile(atoms: Sequence[str]) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    """The phrase's pattern, and if it has spaced words, the pattern with them joined."""
    core = re.compile("".join(_atom_regex(a) for a in atoms))
    if _SPACED_SEP not in atoms:
        return core, None
    joined = "".join(_JOINED_SEP if a == _SPACED_SEP else _atom_regex(a) for a in atoms)
    return core, re.compile(joined)


def spellings(phrase: Phrase) -> tuple[Phrase, ...]:
    """``phrase``, and for an Arabic term with the article its spelling after the preposition
    li, which drops the article's alef (``ل`` + ``الراجحي`` = ``للراجحي``)."""
    atoms = phrase.atoms
    if phrase.left != ARABIC_SCRIPT or atoms[:2] != ("ا", "ل") or len(atoms) < 4:
        return (phrase,)
    lam = ("ل", *atoms[1:])
    return phrase, Phrase(lam, phrase.left, phrase.right, *_compile(lam), lead=1)


def _atom_regex(atom: str) -> str:
    return atom if atom in _SEPARATORS else re.escape(atom)


_Trie: TypeAlias = "dict[str, _Trie]"


def trie_regex(phrases: Sequence[Phrase], *, tagged: bool) -> str:
    """One alternation shaped like a trie, so the engine branches once per character.

    It finds every position where some term may start;
    :meth:`~monitor.matching.Watchlist.match` then checks the exact boundaries of the few
    terms that begin with that character. The ``tagged`` scan, for posts with a ``#``, also
    finds Latin terms joined or followed by a letter in a hashtag; other posts get the
    tighter one, which stops at fewer places.
    """
    root: _Trie = {}
    for phrase in phrases:
        node = root
        for atom in phrase.atoms:
            node = node.setdefault(atom, {})
        right = LOOSE_RIGHT[phrase.right]
        if tagged and phrase.right == LATIN:
            right = _TAGGED_LATIN_RIGHT
        node[""] = {right: {}}  # "" marks an end; its key is the boundary

    def scan_regex(atom: str) -> str:
        return _TAGGED_SPACED_SEP if tagged and atom == _SPACED_SEP else _atom_regex(atom)

    # Children before parents, without recursion: a trie is as deep as its longest term, and
    # a term of 500 characters (X allows 512) would pass Python's recursion limit.
    order = [root]
    for node in order:  # breadth first: each node comes after its parent
        order.extend(child for atom, child in node.items() if atom)
    done: dict[int, str] = {}  # id of a node rendered, not yet used by its parent
    for node in reversed(order):
        alts = [
            next(iter(child)) if atom == "" else scan_regex(atom) + done.pop(id(child))
            for atom, child in sorted(node.items(), key=lambda kv: kv[0] == "")
        ]
        alts = list(dict.fromkeys(alts))
        done[id(node)] = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    return done[id(root)]
