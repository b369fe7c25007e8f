"""Where a watch term may start and end in one post: the word-boundary rules, by script.

:mod:`monitor.matching` documents the rules (its module docstring) and owns the public API;
this module implements the post's side of them. :class:`Post` is one post being matched: its
folded text, where its hashtags' words meet (``#BoycottNovaBrew``) and where its handles go
on (``@nova.brew``, but not on X). :func:`left_ok` and :func:`right_ok` say whether a term
of a given script kind may start or end at a position; :data:`LOOSE_RIGHT` holds the cheaper
boundaries the combined scan uses, each accepting everything the exact one accepts (if one
accepted less, a match would be lost without a sign).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator

from monitor.folding import offsets

__all__ = [
    "ARABIC_SCRIPT",
    "HANDLE",
    "LATIN",
    "LOOSE_RIGHT",
    "NOSPACE_SCRIPT",
    "OTHER",
    "SIGIL",
    "Post",
    "left_ok",
    "right_ok",
    "script",
]

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

#: A character that would go on a handle: handles are ASCII everywhere (X, Reddit, Instagram,
#: TikTok, Mastodon, Bluesky), and X reads a Latin letter after one (``@novaé``) as no mention.
#: Any other script ends it: ``@novaممنون``, ``@novaさん``, ``سلام@nova`` mention ``@nova``.
_HANDLE_WORD = (
    "[a-z0-9_\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02af\u1e00-\u1eff\u2c60-\u2c7f"
    "\ua720-\ua7ff\uab30-\uab6f]"  # Latin letters: not × or ÷
)

_IS_LATIN_WORD = re.compile(_LATIN_WORD)
_IS_HANDLE_WORD = re.compile(_HANDLE_WORD)
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

#: Script kinds of a term's first and last character, which decide its boundaries. ``SIGIL``
#: is a ``#tag`` term (and the first character of a ``@handle`` one); ``HANDLE`` is the right
#: boundary of a ``@handle`` term, which goes on past ``.`` and ``-`` (``@nova.brew``).
LATIN, ARABIC_SCRIPT, NOSPACE_SCRIPT, SIGIL, OTHER, HANDLE = range(6)


def script(ch: str) -> int:
    """The script kind of one folded character (one of :data:`LATIN`, ... :data:`OTHER`)."""
    if ch in "#@":
        return SIGIL
    if _IS_NOSPACE.match(ch):
        return NOSPACE_SCRIPT
    if _IS_ARABIC_WORD.match(ch) and not ch.isascii():
        return ARABIC_SCRIPT
    if _IS_LATIN_WORD.match(ch):
        return LATIN
    return OTHER


# -------------------------------------------------------------------------------- one post

_HASHTAG = re.compile(r"(?<!\w)#(\w+)")
#: After a handle: an ASCII "." or "-" (checked in the original) and a Latin handle character.
_HANDLE_GOES_ON = re.compile(r"[.\-][a-z0-9_]")
#: Platforms whose handles never go on past a "." or "-": an X handle is letters, digits and
#: ``_``, so X reads ``@nova.great`` as ``@nova``. Reddit names have no dot either, but an
#: ``@`` there quotes another platform's account, so Reddit reads handles as any platform.
_PLAIN_HANDLES = frozenset({"x"})


class Post:
    """One post being matched: the original, its folded text, and where its hashtags' words meet.

    Hashtags and their joints are found on first need, when a Latin boundary fails the plain
    word rule, so most posts never pay for them. Case is read from the original text: folding
    has lowered it. ``platform`` (a source's name, ``"x"``) decides where its handles end;
    ``None`` reads them as any platform might write them.
    """

    __slots__ = ("_index", "_joints", "_tags", "ascii", "hashtagged", "norm", "platform", "text")

    def __init__(self, text: str, norm: str, platform: str | None = None) -> None:
        self.text = text
        self.norm = norm
        self.platform = platform
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
            elif text[before].isupper():
                after = pos + 1  # the next letter as typed: past the rest of "Æ" -> "ae"
                while after < end and source(after) == here:
                    after += 1
                if after < end and text[source(after)].islower():
                    yield pos  # the last capital of a run starts the next word

    def handle_goes_on(self, pos: int) -> bool:
        """Whether a handle ending at ``norm[pos]`` goes on (``@nova.brew``, ``@nova-brew``)."""
        return (
            self.platform not in _PLAIN_HANDLES
            and _HANDLE_GOES_ON.match(self.norm, pos) is not None
            and self.text[self.source(pos)] in ".-"
        )


def left_ok(kind: int, post: Post, pos: int) -> bool:
    """Whether a term whose first character is of ``kind`` may start at ``norm[pos]``."""
    if pos == 0 or kind in (NOSPACE_SCRIPT, OTHER):
        return True
    norm = post.norm
    if kind == LATIN:
        return _IS_LATIN_WORD.match(norm, pos - 1) is None or post.is_joint(pos)
    if kind == SIGIL:
        word = _IS_HANDLE_WORD if norm[pos] == "@" else _IS_WORD
        return word.match(norm, pos - 1) is None
    for clitic in _PROCLITICS:  # Arabic script: "" first, then attached proclitics
        start = pos - len(clitic)
        if start < 0:
            break
        if norm.startswith(clitic, start) and (
            start == 0 or _IS_ARABIC_WORD.match(norm, start - 1) is None
        ):
            return True
    return False


def right_ok(kind: int, post: Post, pos: int) -> bool:
    """Whether a term whose boundary is of ``kind`` may end at ``norm[pos]``."""
    if _RIGHT[kind].match(post.norm, pos) is None:
        return kind == LATIN and post.is_joint(pos)
    return kind != HANDLE or not post.handle_goes_on(pos)


_RIGHT = {
    LATIN: re.compile(f"(?!{_LATIN_WORD})"),
    SIGIL: re.compile(r"(?!\w)"),
    HANDLE: re.compile(f"(?!{_HANDLE_WORD})"),
    ARABIC_SCRIPT: re.compile(f"{_SUFFIX}?(?!{_ARABIC_WORD})"),
    NOSPACE_SCRIPT: re.compile(""),
    OTHER: re.compile(""),
}
#: Cheaper boundaries for the combined scan, each accepting everything the exact one accepts
#: (big Unicode classes repeated at every leaf would make compiling take seconds).
LOOSE_RIGHT = {
    LATIN: "(?![a-z0-9_])",
    SIGIL: "(?![a-z0-9_])",
    HANDLE: "(?![a-z0-9_])",
    ARABIC_SCRIPT: f"{_SUFFIX}?(?![\u0620-\u064a\u066e-\u06d3\u06d5\u06ee-\u06ff0-9])",
    NOSPACE_SCRIPT: "",
    OTHER: "",
}
