"""Lexicon features and severity reasons for a batch.

:func:`lexicon_counts` counts the lexicon words of each text: they are looked up by the full
hashes of the words and bigrams (:class:`classifiers.features.Lexicon`), one sorted search for
the whole batch, and the words of a phrase that reports a problem solved ("got my money back",
:data:`~classifiers.lexicons.RESOLVED`) or of a compliment by comparison ("nobody answers
faster than", :mod:`classifiers.praise`) count as one positive word instead.
:func:`extra_features` turns those counts into a few dense columns (lexicon hits,
punctuation, shouting) that the linear models use beside the n-grams.

:func:`find_reasons` finds the per-reason terms of :mod:`classifiers.lexicons` in the
normalised texts (``str.find`` per term, only in the texts that may hold it, not a regex per
text).
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
    DEMANDS,
    HEDGES,
    NEGATIONS,
    NEGATIVE,
    POSITIVE,
    REASON_TERMS,
    RESOLVED,
    Term,
)
from classifiers.praise import praise_spans
from classifiers.text import codepoints

__all__ = [
    "DEMAND_COLUMN",
    "EXTRA_NAMES",
    "N_EXTRA",
    "extra_features",
    "find_reasons",
    "lexicon_counts",
]

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


#: The lexicon groups counted per text: the first seven become the columns of
#: :data:`EXTRA_NAMES` of the same names; the demands are read by the complaint rule only.
_GROUPS = (POSITIVE, NEGATIVE, COMPLAINT_CUES, NEGATIONS, ("!",), ("?",), HEDGES, DEMANDS)
_N_MODEL_GROUPS = 7
_POSITIVE = 0
#: Column of :func:`lexicon_counts` that counts :data:`~classifiers.lexicons.DEMANDS`.
DEMAND_COLUMN = len(_GROUPS) - 1


@cache
def _lexicon() -> Lexicon:
    return Lexicon(_GROUPS)


@cache
def _resolved_counts() -> np.ndarray:
    """Per :data:`RESOLVED` phrase, the lexicon words it holds itself (one row each)."""
    phrases = [term.text for term in RESOLVED]
    words = Featurizer().encode(phrases)[1]
    return _lexicon().counts(words, len(phrases))


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


#: Term lists searched by :func:`_find`, by name: the terms of each severity reason (in
#: :class:`Reason` order), and each resolution phrase alone.
_TABLES: dict[str, tuple[tuple[Term, ...], ...]] = {
    "reasons": tuple(REASON_TERMS[reason] for reason in Reason),
    "resolved": tuple((term,) for term in RESOLVED),
}


@cache
def _term_index(table: str) -> tuple[np.ndarray, list[list[tuple[int, Term]]]]:
    """Column -> group of (entry of ``table``, term) whose first five characters hash to
    that column."""
    colmap = np.full(N_FEATURES, -1, dtype=np.int32)
    groups: list[list[tuple[int, Term]]] = []
    for entry, terms in enumerate(_TABLES[table]):
        for term in terms:
            col = char_column(term.text[:5])
            if colmap[col] < 0:
                colmap[col] = len(groups)
                groups.append([])
            groups[colmap[col]].append((entry, term))
    return colmap, groups


def _has_term(text: str, term: Term) -> bool:
    pos = text.find(term.text)
    size = len(text)
    while pos != -1:
        end = pos + len(term.text)
        if (
            (not term.word_start or pos == 0 or not _is_word_char(text[pos - 1]))
            and (not term.word_end or end == size or not _is_word_char(text[end]))
            and not any(
                at <= pos and text.startswith(phrase, pos - at) for at, phrase in term.unless
            )
            and not (term.not_after and term.not_after.intersection(text[:pos].split()[-2:]))
        ):
            return True
        pos = text.find(term.text, pos + 1)
    return False


def _find(norm: Sequence[str], counts: sp.csr_matrix, table: str) -> list[set[int]]:
    """The entries of ``table`` (their indices) that each (normalised) text holds a term of.

    The hashed character n-grams (``counts``) tell which texts may hold a term: those with
    the hash of its first five characters. Only those few candidates are checked exactly,
    word boundaries and exceptions included.
    """
    n = len(norm)
    colmap, groups = _term_index(table)
    group = colmap[counts.indices]
    hit = np.flatnonzero(group >= 0)
    rows = np.repeat(np.arange(n), np.diff(counts.indptr))[hit]
    found: list[set[int]] = [set() for _ in range(n)]
    for row, g in zip(rows.tolist(), group[hit].tolist(), strict=True):
        text = norm[row]
        for entry, term in groups[g]:
            if entry not in found[row] and _has_term(text, term):
                found[row].add(entry)
    return found


def find_reasons(
    norm: Sequence[str], counts: sp.csr_matrix | None = None
) -> list[tuple[Reason, ...]]:
    """The severity reasons each (normalised) text mentions, in :class:`Reason` order
    (``counts``: the texts' raw n-gram counts, computed here when not given)."""
    if not norm:
        return []
    if counts is None:
        counts = Featurizer().counts(norm)
    reasons = list(Reason)
    return [tuple(reasons[i] for i in sorted(s)) for s in _find(norm, counts, "reasons")]


def lexicon_counts(words: Words, norm: Sequence[str], counts: sp.csr_matrix) -> np.ndarray:
    """How many words and bigrams of each lexicon group every text holds (columns in
    ``_GROUPS`` order; :data:`DEMAND_COLUMN` the demands).

    ``words`` are the word hashes of the normalised texts ``norm`` and ``counts`` their raw
    n-gram counts (:meth:`Featurizer.encode`). The words of a phrase that reports a problem
    solved (:data:`RESOLVED`, "got my money back") are taken off their groups, and the phrase
    counts as one positive word; so are those of a compliment by comparison
    (:func:`~classifiers.praise.praise_spans`, "nobody answers faster than"), whose "nobody
    answers" is no demand, cue, negation or negative word there.
    """
    lex = _lexicon().counts(words, len(norm))
    own = _resolved_counts()
    for row, phrases in enumerate(_find(norm, counts, "resolved")):
        for i in phrases:
            lex[row] -= own[i]
            lex[row, _POSITIVE] += 1
    praise = praise_spans(norm, words)
    if praise:  # rare: count the words of each span on their own, and take them off
        spans = [span for _, span in praise]
        inside = _lexicon().counts(Featurizer().encode(spans)[1], len(spans))
        for k, (row, _) in enumerate(praise):
            lex[row] -= inside[k]
            lex[row, _POSITIVE] += 1
    return np.maximum(lex, 0.0, out=lex)


def extra_features(
    lex: np.ndarray,
    texts: Sequence[str],
    reasons: Sequence[tuple[Reason, ...]],
) -> np.ndarray:
    """Dense features per text, columns as :data:`EXTRA_NAMES`.

    ``lex`` are the texts' :func:`lexicon_counts`, ``texts`` the raw texts (capitals are
    counted before lower-casing).
    """
    out = np.empty((len(texts), N_EXTRA), dtype=np.float64)
    out[:, :_N_MODEL_GROUPS] = np.log1p(lex[:, :_N_MODEL_GROUPS])
    out[:, 7] = _uppercase_share(texts)
    out[:, 8] = np.fromiter((len(r) for r in reasons), dtype=np.float64, count=len(reasons))
    return out
