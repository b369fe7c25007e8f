"""How terms, exclusions and posts are folded before they are compared (:func:`normalize`).

* Per character: NFKC, then case folding (``ß`` -> ``ss``, fullwidth -> ASCII).
* Accents on Latin letters are folded (``café`` = ``cafe``); other scripts keep theirs
  (Cyrillic ``й`` stays ``й``). A lone combining accent U+0300-U+036F is dropped.
* Latin letters that carry their difference in the letter itself, not in an accent, and
  that people type as the plain letter (:data:`_LATIN_LETTERS`): Turkish dotless ``ı`` ->
  ``i`` (dotted ``İ`` already casefolds to ``i`` + a dot, which goes), ``ø`` -> ``o``,
  ``đ ð`` -> ``d``, ``ł`` -> ``l``, ``æ`` -> ``ae``, ``œ`` -> ``oe``. So ``NİKE``, ``nıke``
  and ``NIKE`` are one word, as are ``Ørsted`` and ``Orsted``; ``æ`` maps back to its one
  character like ``ß``. Nothing else: ``þ ħ ŋ`` and the like stay (no one-letter spelling
  people agree on). What can go wrong: Turkish words told apart only by ``ı``/``i``
  (``sık``, ``sik``) become one; a brand name is rarely half of such a pair.
* Arabic script: ``ي ى ئ`` -> ``ی``, ``ك`` -> ``ک``, ``أ إ آ ٱ`` -> ``ا``, ``ؤ`` -> ``و``,
  ``ة ۀ ە ہ`` -> ``ه``. Tashkeel (U+064B-U+065F, U+0670 and the other Arabic-block
  combining marks) and tatweel (U+0640) are removed.
* Every format character (category Cf: ZWNJ, ZWJ, U+200B, U+2060, U+FEFF, LRM/RLM,
  U+202A-E, U+2066-9, soft hyphen) and variation selectors are removed, so ``نوا‌برو``
  (with ZWNJ) and ``نوابرو`` are the same word.
* Any decimal digit (Persian ``۲``, Arabic-Indic ``٢``, Devanagari...) becomes ASCII.
* Typographic apostrophes become ``'`` and Unicode dashes become ``-``.

Normalisation is per character, so a post's offsets map back exactly: the quirk is that
decomposed input (``e`` + U+0301) is folded like precomposed input only for Latin.
"""

from __future__ import annotations

import unicodedata

__all__ = ["normalize", "offsets", "trails"]

_ARABIC_LETTERS = {
    "ي": "ی",  # U+064A Arabic yeh
    "ى": "ی",  # U+0649 alef maksura
    "ئ": "ی",  # U+0626 yeh with hamza (usually decomposed away first)
    "ك": "ک",  # U+0643 Arabic kaf
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",  # U+0671 alef wasla
    "ؤ": "و",
    "ة": "ه",  # U+0629 teh marbuta
    "ۀ": "ه",  # U+06C0 heh with yeh above (Persian ezafe)
    "ە": "ه",  # U+06D5 ae
    "ہ": "ه",  # U+06C1 heh goal
    "ے": "ی",  # U+06D2 yeh barree
}
#: Lower-case Latin letters with no decomposition that casefold leaves apart from their
#: plain spelling (upper case reaches here already folded: ``Ø`` -> ``ø``).
_LATIN_LETTERS = {
    "ı": "i",  # U+0131 Turkish/Azerbaijani dotless i (NİKE casefolds to i + U+0307)
    "ø": "o",  # U+00F8 Danish/Norwegian (Ørsted = Orsted)
    "đ": "d",  # U+0111 Croatian, Vietnamese
    "ð": "d",  # U+00F0 Icelandic eth (its capital Ð looks like Đ)
    "ł": "l",  # U+0142 Polish (Łódź = Lodz)
    "æ": "ae",  # U+00E6 ligature, spelled out as ß is (Cæsar = Caesar)
    "œ": "oe",  # U+0153 (cœur = coeur)
}
_PUNCTUATION = {
    "\u2018": "'",
    "\u2019": "'",
    "\u02bc": "'",
    "\u2032": "'",
    **{chr(cp): "-" for cp in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212)},
}


def _is_arabic_block(cp: int) -> bool:
    return 0x0600 <= cp <= 0x06FF or 0x0750 <= cp <= 0x077F or 0x08A0 <= cp <= 0x08FF


def _dropped(ch: str) -> bool:
    """Characters that vanish: format characters, tatweel, Arabic marks, variation selectors."""
    cp = ord(ch)
    category = unicodedata.category(ch)
    if category == "Cf" or cp == 0x0640:
        return True
    return category == "Mn" and (_is_arabic_block(cp) or 0xFE00 <= cp <= 0xFE0F)


def _is_latin(cp: int) -> bool:
    return cp < 0x0250 or 0x1E00 <= cp <= 0x1EFF


def _fold_char(ch: str) -> str:
    """What one character of a post becomes (possibly nothing, possibly several characters)."""
    if _dropped(ch) or 0x0300 <= ord(ch) <= 0x036F:  # a lone accent goes too
        return ""
    kept: list[str] = []
    base_latin = False
    for c in unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", ch).casefold()):
        if not unicodedata.combining(c):
            base_latin = _is_latin(ord(c))
        elif _dropped(c) or (base_latin and 0x0300 <= ord(c) <= 0x036F):
            continue
        kept.append(c)
    out = []
    for c in unicodedata.normalize("NFKC", "".join(kept)):
        if _dropped(c):
            continue
        if c in _ARABIC_LETTERS:
            c = _ARABIC_LETTERS[c]
        elif c in _LATIN_LETTERS:
            c = _LATIN_LETTERS[c]
        elif c in _PUNCTUATION:
            c = _PUNCTUATION[c]
        elif unicodedata.category(c) == "Nd":
            c = str(unicodedata.decimal(c))
        out.append(c)
    return "".join(out)


class _FoldTable(dict[int, str]):
    """``str.translate`` table filled on first sight of each code point (at most ~150k)."""

    def __missing__(self, cp: int) -> str:
        value = _fold_char(chr(cp))
        self[cp] = value
        return value


_TABLE = _FoldTable()


def normalize(text: str) -> str:
    """Fold ``text`` the way terms and posts are compared (see the module docstring)."""
    if text.isascii():
        return text.lower()
    return text.translate(_TABLE)


def offsets(text: str) -> list[int]:
    """For each character of ``normalize(text)``, the index of the original character."""
    index: list[int] = []
    for i, ch in enumerate(text):
        n = len(_TABLE[ord(ch)])
        if n == 1:
            index.append(i)
        elif n:
            index.extend([i] * n)
    return index


def trails(ch: str) -> bool:
    """A removed character that belongs to the letter before it (a mark or tatweel)."""
    return ch == "\u0640" or (unicodedata.combining(ch) != 0 and not _TABLE[ord(ch)])
