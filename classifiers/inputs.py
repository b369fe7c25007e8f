"""What every linear model and rule reads, computed once per batch.

:func:`prepare` normalises the texts, hashes their n-grams, detects their languages, spells
Finglish posts in Persian script (:mod:`classifiers.finglish`, so the Persian model and cues
read them), and finds severity reasons and the dense lexicon features. Classification and
training both go through it, so a model is fitted on exactly what it will later read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from classifiers.base import Reason
from classifiers.cues import DEMAND_COLUMN, extra_features, find_reasons, lexicon_counts
from classifiers.features import Featurizer
from classifiers.finglish import to_persian
from classifiers.language import LanguageGuess, detect_languages
from classifiers.text import normalise_batch

__all__ = ["Inputs", "prepare"]


@dataclass(frozen=True, slots=True)
class Inputs:
    """One batch, ready for the models: normalised texts, raw n-gram counts (see
    :meth:`Featurizer.counts`), languages, severity reasons, dense extras, and how many
    complaint demands (:data:`~classifiers.lexicons.DEMANDS`, read by the complaint rule
    only) each text holds."""

    norm: list[str]
    counts: sp.csr_matrix
    guesses: list[LanguageGuess]
    reasons: list[tuple[Reason, ...]]
    extras: np.ndarray
    demands: np.ndarray


def prepare(texts: Sequence[str], featurizer: Featurizer | None = None) -> Inputs:
    """The :class:`Inputs` of a batch of raw texts."""
    featurizer = featurizer or Featurizer()
    norm = normalise_batch(texts)
    counts, words = featurizer.encode(norm)
    guesses = detect_languages(texts, norm=norm, words=words)
    romanised = [i for i, g in enumerate(guesses) if g.romanised]
    if romanised:  # rare: hash the batch again with those posts in Persian script
        for i in romanised:
            norm[i] = to_persian(norm[i])
        counts, words = featurizer.encode(norm)
    reasons = find_reasons(norm, counts)
    lex = lexicon_counts(words, norm, counts)
    extras = extra_features(lex, texts, reasons)
    return Inputs(norm, counts, guesses, reasons, extras, lex[:, DEMAND_COLUMN])
