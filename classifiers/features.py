"""Hashed word and character n-gram features, computed for a whole batch with numpy.

scikit-learn's ``HashingVectorizer`` builds n-grams in Python, one text at a time (about
2,000 tweets per second on one core for character 2-5-grams). Here the batch is encoded once
as an array of code points and every n-gram hash is a vectorised polynomial hash over that
array, so featurising runs at tens of thousands of texts per second.

Features (only hashes and weights are ever stored, never the n-grams themselves):

- word unigrams and bigrams (a word is a run of letters, digits and marks; every other
  non-space character, punctuation or emoji, is a one-character word), in ``2**WORD_BITS``
  buckets;
- character 1- to 5-grams of the normalised text padded with a space each side, in
  ``2**CHAR_BITS`` buckets after the word ones;
- each block gets sublinear term frequency (``1 + log tf``) and unit L2 norm, so word and
  character evidence weigh alike whatever the text length.

Hash collisions (two n-grams sharing a bucket) cost a little accuracy and nothing else.
Lexicons (:class:`Lexicon`) are looked up by the full 64-bit hashes of the words and bigrams
(:class:`Words`), not by bucket: at 2**19 buckets about one lexicon term in ten shares its
bucket with some other word of a few thousand tweets, which counted as a hit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from classifiers.text import SEP, normalise_batch

__all__ = [
    "CHAR_BITS",
    "N_FEATURES",
    "WORD_BITS",
    "Featurizer",
    "Lexicon",
    "Words",
    "char_column",
    "term_columns",
    "term_hashes",
]

WORD_BITS = 19
CHAR_BITS = 19  # WORD_BITS + 1 bits of column must fit the 21 bits of a sort key
N_WORD = 1 << WORD_BITS
N_FEATURES = N_WORD + (1 << CHAR_BITS)
_CHAR_ORDERS = (1, 2, 3, 4, 5)
#: Code point positions per character n-gram pass (arrays that stay in cache).
_PASS_POSITIONS = 1 << 15

_U = np.uint64
_B = _U(0x100000001B3)  # odd multiplier (FNV prime)
_B_INV = _U(pow(int(_B), -1, 1 << 64))
_SEP = ord(SEP)
_SPACE = ord(" ")


def _mix(h: np.ndarray) -> np.ndarray:
    """Scramble the bits of 64-bit hashes (splitmix64 finaliser)."""
    h = h ^ (h >> _U(30))
    h = h * _U(0xBF58476D1CE4E5B9)
    h = h ^ (h >> _U(27))
    h = h * _U(0x94D049BB133111EB)
    return h ^ (h >> _U(31))


# character classes: 0 space/separator, 1 word character, 2 one-character token
_CLASS = np.full(0x110000, 2, dtype=np.int8)
for _cp in range(0x10000):
    _ch = chr(_cp)
    if _ch.isalnum() or _ch == "_" or _ch == "'":
        _CLASS[_cp] = 1
    elif _ch.isspace():
        _CLASS[_cp] = 0
_CLASS[0x0610:0x061B] = 1  # Arabic marks
_CLASS[0x064B:0x0660] = 1
_CLASS[0x0670] = 1
_CLASS[0x0300:0x0370] = 1  # combining marks
_CLASS[_SEP] = 0
_CLASS[0xFE0F] = 0  # variation selector
_CLASS[0x200C:0x200E] = 1  # ZWNJ / ZWJ inside words


def _segment_hashes(
    cps: np.ndarray, prefix: np.ndarray, inv_pow: np.ndarray, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    """Hashes of the code point segments ``[start, end)`` from the prefix sums."""
    return (prefix[end] - prefix[start]) * inv_pow[start]


_POWERS = (np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64))


def _powers(length: int) -> tuple[np.ndarray, np.ndarray]:
    """``B**i`` and ``B**-i`` (mod 2**64) for ``i < length``, from tables grown on demand
    (replaced as one tuple, so a thread never sees one table grown and not the other)."""
    global _POWERS
    pw, inv = _POWERS
    if len(pw) < length:
        size = max(length, 2 * len(pw), 4096)
        with np.errstate(over="ignore"):
            pw = np.concatenate(([_U(1)], np.cumprod(np.full(size - 1, _B, dtype=np.uint64))))
            inv = np.concatenate(([_U(1)], np.cumprod(np.full(size - 1, _B_INV, dtype=np.uint64))))
        _POWERS = (pw, inv)
    return pw[:length], inv[:length]


@dataclass(frozen=True, slots=True)
class Words:
    """The word unigrams, then the word bigrams, of a batch as full 64-bit hashes (before
    they are folded into feature columns), each with the index of its text."""

    docs: np.ndarray  # int64
    hashes: np.ndarray  # uint64
    n_unigrams: int


_NO_WORDS = Words(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64), 0)


class Featurizer:
    """Texts in, a CSR matrix of ``N_FEATURES`` hashed, weighted n-gram features out."""

    def transform(self, texts: Sequence[str], *, normalised: bool = False) -> sp.csr_matrix:
        norm = list(texts) if normalised else normalise_batch(texts)
        return self.weight(self.counts(norm))

    def counts(self, norm: Sequence[str]) -> sp.csr_matrix:
        """Raw n-gram counts of already normalised texts."""
        return self.encode(norm)[0]

    def encode(self, norm: Sequence[str]) -> tuple[sp.csr_matrix, Words]:
        """Raw n-gram counts of already normalised texts, and their words' full hashes."""
        n = len(norm)
        if n == 0:
            return sp.csr_matrix((0, N_FEATURES), dtype=np.float32), _NO_WORDS
        joined = SEP + SEP.join(f" {t} " for t in norm) + SEP
        cps = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        is_sep = cps == _U(_SEP)
        doc = np.cumsum(is_sep) - 1  # text index of each position (separators: the next)
        length = len(cps)
        pw, inv_pw = _powers(length)
        with np.errstate(over="ignore"):
            prefix = np.concatenate(([_U(0)], np.cumsum((cps + _U(1)) * pw, dtype=np.uint64)))

            rows: list[np.ndarray] = []
            cols: list[np.ndarray] = []

            # character n-grams that lie within one text, several orders per pass: one pass
            # for a short batch (fewer numpy calls), one order per pass for a long one
            per_pass = max(1, min(len(_CHAR_ORDERS), _PASS_POSITIONS // length))
            for k in range(0, len(_CHAR_ORDERS), per_pass):
                orders = _CHAR_ORDERS[k : k + per_pass]
                starts = np.concatenate([np.arange(length - o + 1) for o in orders])
                ends = starts + np.repeat(orders, [length - o + 1 for o in orders])
                ok = (doc[starts] == doc[ends - 1]) & ~is_sep[starts]
                starts, ends = starts[ok], ends[ok]
                order = (ends - starts).astype(np.uint64)
                h = _mix(_segment_hashes(cps, prefix, inv_pw, starts, ends) + order)
                rows.append(doc[starts])
                cols.append(N_WORD + (h & _U((1 << CHAR_BITS) - 1)).astype(np.int64))

            # words: runs of word characters, and single other characters
            cls = _CLASS[cps.astype(np.int64)]
            prev = np.concatenate(([0], cls[:-1]))
            tok_start = np.flatnonzero((cls == 2) | ((cls == 1) & (prev != 1)))
            word_end_mask = (cls == 1) & (np.concatenate((cls[1:], [0])) != 1)
            word_ends = np.flatnonzero(word_end_mask) + 1
            tok_end = tok_start + 1
            is_word = cls[tok_start] == 1
            tok_end[is_word] = word_ends  # runs start and end in the same order
            th = _mix(_segment_hashes(cps, prefix, inv_pw, tok_start, tok_end))
            tdoc = doc[tok_start]
            rows.append(tdoc)
            cols.append((th & _U(N_WORD - 1)).astype(np.int64))
            same = tdoc[1:] == tdoc[:-1]
            bh = _mix(th[:-1][same] * _U(0x9E3779B97F4A7C15) + th[1:][same] + _U(7))
            bdoc = tdoc[:-1][same]
            rows.append(bdoc)
            cols.append((bh & _U(N_WORD - 1)).astype(np.int64))
            words = Words(np.concatenate((tdoc, bdoc)), np.concatenate((th, bh)), len(th))

        r = np.concatenate(rows).astype(np.uint64)
        c = np.concatenate(cols).astype(np.uint64)
        # sort (text, column) keys once and count runs: cheaper than scipy's COO -> CSR
        key = np.sort((r << _U(21)) | c)
        first = np.concatenate(([True], key[1:] != key[:-1]))
        starts = np.flatnonzero(first)
        data = np.diff(np.append(starts, len(key))).astype(np.float32)
        uniq = key[starts]
        row_of = (uniq >> _U(21)).astype(np.int64)
        indices = (uniq & _U((1 << 21) - 1)).astype(np.int32)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(row_of, minlength=n), out=indptr[1:])
        return sp.csr_matrix((data, indices, indptr), shape=(n, N_FEATURES)), words

    @staticmethod
    def weight(counts: sp.csr_matrix) -> sp.csr_matrix:
        """Sublinear tf and unit L2 norm per block (word, character)."""
        m = counts.copy()
        m.data = 1.0 + np.log(m.data)
        n = m.shape[0]
        row = np.repeat(np.arange(n), np.diff(m.indptr))
        is_char = m.indices >= N_WORD
        sq = m.data.astype(np.float64) ** 2
        word_norm = np.sqrt(np.bincount(row[~is_char], weights=sq[~is_char], minlength=n))
        char_norm = np.sqrt(np.bincount(row[is_char], weights=sq[is_char], minlength=n))
        word_norm[word_norm == 0] = 1.0
        char_norm[char_norm == 0] = 1.0
        scale = np.where(is_char, char_norm[row], word_norm[row])
        m.data = (m.data / scale).astype(np.float32)
        return m


def char_column(piece: str) -> int:
    """The feature column of the character n-gram ``piece`` (1 to 5 characters)."""
    if not 1 <= len(piece) <= max(_CHAR_ORDERS):
        raise ValueError(f"character n-grams have 1 to {max(_CHAR_ORDERS)} characters")
    h = 0
    for k, ch in enumerate(piece):
        h = (h + (ord(ch) + 1) * pow(int(_B), k, 1 << 64)) % (1 << 64)
    with np.errstate(over="ignore"):
        mixed = _mix(np.array([h], dtype=np.uint64) + _U(len(piece)))
    return N_WORD + int(mixed[0] & _U((1 << CHAR_BITS) - 1))


def term_hashes(terms: Iterable[str]) -> list[int]:
    """The full word hash of each lexicon term: its unigram's, or for a term of two or more
    words (tokens), each of its bigrams'. Terms must already be normalised."""
    feat = Featurizer()
    out: list[int] = []
    for term in terms:
        if not term.split():
            continue
        words = feat.encode([term])[1]
        hashes = words.hashes.tolist()
        out.extend(hashes if words.n_unigrams == 1 else hashes[words.n_unigrams :])
    return out


def term_columns(terms: Iterable[str]) -> list[int]:
    """The word-feature column of each lexicon term (see :func:`term_hashes`)."""
    return [h & (N_WORD - 1) for h in term_hashes(terms)]


class Lexicon:
    """At most 8 groups of (normalised) terms, counted per text by exact word hash."""

    def __init__(self, groups: Sequence[Iterable[str]]) -> None:
        if len(groups) > 8:
            raise ValueError("at most 8 term groups fit in a uint8 bit mask")
        bits: dict[int, int] = {}
        for j, terms in enumerate(groups):
            for h in term_hashes(terms):
                bits[h] = bits.get(h, 0) | (1 << j)
        keys = sorted(bits)
        self._keys = np.array(keys, dtype=np.uint64)
        self._bits = np.array([bits[k] for k in keys], dtype=np.uint8)
        self.size = len(groups)

    def counts(self, words: Words, n: int) -> np.ndarray:
        """Per text (``n`` of them), how many of its words and bigrams are in each group."""
        k = self.size
        if not len(self._keys):
            return np.zeros((n, k))
        at = np.minimum(np.searchsorted(self._keys, words.hashes), len(self._keys) - 1)
        hit = np.flatnonzero(self._keys[at] == words.hashes)
        # one (word, group) pair per set bit, counted in a single pass
        pairs = np.unpackbits(self._bits[at[hit], None], axis=1, bitorder="little")[:, :k]
        word, group = np.nonzero(pairs)
        flat = np.bincount(words.docs[hit][word] * k + group, minlength=n * k)
        return flat.reshape(n, k).astype(np.float64)
