"""Lexicon features and severity reasons for a batch.

:func:`extra_features` turns the batch's word hashes into a few dense columns (lexicon hits,
punctuation, shouting) that the linear models use beside the n-grams. Lexicon terms are
looked up by the full hashes of the words and bigrams (:class:`classifiers.features.Lexicon`),
one sorted search for the whole batch.

:func:`find_reasons` runs the per-reason patterns of :mod:`classifiers.lexicons` over the
whole normalised batch joined into one string (``str.find`` per term, not a regex per text).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
import scipy.sparse as sp

from classifiers.base import Reason
from classifiers.features import N_FEATURES, Featurizer, Lexicon, Words, char_column
from classifiers.lexicons import (
    COMPLAINT_CUES,
    HEDGES,
    NEGATIONS,
    NEGATIVE,
    POSITIVE,
    REASON_TERMS,
    Term,
)
from classifiers.text import codepoints

__all__ = ["EXTRA_NAMES", "N_EXTRA", "extra_features", "find_reasons"]

EXTRA_NAMES = (
    "positive_words",
    "negative_words",
    "complaint_cues",
    "negations",
    "exclamations",
    "questions",
    "hedges",
    "uppercase_share",
    "reasons",
)
N_EXTRA = len(EXTRA_NAMES)


_GROUPS = (POSITIVE, NEGATIVE, COMPLAINT_CUES, NEGATIONS, ("!",), ("?",), HEDGES)


@cache
def _lexicon() -> Lexicon:
    return Lexicon(_GROUPS)


_UPPER = np.zeros(0x10000, dtype=np.int8)
_LETTER = np.zeros(0x10000, dtype=np.int8)
for _cp in range(0x10000):
    _ch = chr(_cp)
    if _ch.isalpha():
        _LETTER[_cp] = 1
        if _ch.isupper():
            _UPPER[_cp] = 1


def _uppercase_share(texts: Sequence[str]) -> np.ndarray:
    """Share of letters that are capitals, for texts with at least 8 letters (else 0)."""
    n = len(texts)
    cps, doc = codepoints(texts)
    bmp = np.minimum(cps, 0xFFFF)
    letters = np.bincount(doc, weights=_LETTER[bmp], minlength=n)
    upper = np.bincount(doc, weights=_UPPER[bmp], minlength=n)
    share = np.divide(upper, letters, out=np.zeros(n), where=letters >= 8)
    return share


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_'"


@cache
def _reason_index() -> tuple[np.ndarray, list[list[tuple[Reason, Term]]]]:
    """Column -> group of terms whose first five characters hash to that column."""
    colmap = np.full(N_FEATURES, -1, dtype=np.int32)
    groups: list[list[tuple[Reason, Term]]] = []
    for reason, terms in REASON_TERMS.items():
        for term in terms:
            col = char_column(term.text[:5])
            if colmap[col] < 0:
                colmap[col] = len(groups)
                groups.append([])
            groups[colmap[col]].append((reason, term))
    return colmap, groups


def _has_term(text: str, term: Term) -> bool:
    pos = text.find(term.text)
    size = len(text)
    while pos != -1:
        end = pos + len(term.text)
        if (not term.word_start or pos == 0 or not _is_word_char(text[pos - 1])) and (
            not term.word_end or end == size or not _is_word_char(text[end])
        ):
            return True
        pos = text.find(term.text, pos + 1)
    return False


def find_reasons(
    norm: Sequence[str], counts: sp.csr_matrix | None = None
) -> list[tuple[Reason, ...]]:
    """The severity reasons each (normalised) text mentions, in :class:`Reason` order.

    The hashed character n-grams (``counts``, computed here when not given) tell which
    texts may hold a term: those with the hash of its first five characters. Only those
    few candidates are checked exactly, word boundaries included.
    """
    n = len(norm)
    if n == 0:
        return []
    if counts is None:
        counts = Featurizer().counts(norm)
    colmap, groups = _reason_index()
    group = colmap[counts.indices]
    hit = np.flatnonzero(group >= 0)
    rows = np.repeat(np.arange(n), np.diff(counts.indptr))[hit]
    found: list[set[Reason]] = [set() for _ in range(n)]
    for row, g in zip(rows.tolist(), group[hit].tolist(), strict=True):
        text = norm[row]
        for reason, term in groups[g]:
            if reason not in found[row] and _has_term(text, term):
                found[row].add(reason)
    order = list(Reason)
    return [tuple(sorted(s, key=order.index)) if s else () for s in found]


def extra_features(
    words: Words,
    texts: Sequence[str],
    reasons: Sequence[tuple[Reason, ...]],
) -> np.ndarray:
    """Dense features per text, columns as :data:`EXTRA_NAMES`.

    ``words`` are the word hashes of the normalised texts (:meth:`Featurizer.encode`),
    ``texts`` the raw texts (capitals are counted before lower-casing).
    """
    lex = _lexicon().counts(words, len(texts))
    out = np.empty((len(texts), N_EXTRA), dtype=np.float64)
    out[:, :7] = np.log1p(lex)
    out[:, 7] = _uppercase_share(texts)
    out[:, 8] = np.fromiter((len(r) for r in reasons), dtype=np.float64, count=len(reasons))
    return out
