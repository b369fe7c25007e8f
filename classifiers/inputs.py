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
from classifiers.cues import extra_features, find_reasons
from classifiers.features import Featurizer
from classifiers.finglish import to_persian
from classifiers.language import LanguageGuess, detect_languages
from classifiers.text import normalise_batch

__all__ = ["Inputs", "prepare"]


@dataclass(frozen=True, slots=True)
class Inputs:
    """One batch, ready for the models: normalised texts, raw n-gram counts (see
    :meth:`Featurizer.counts`), languages, severity reasons and dense extras."""

    norm: list[str]
    counts: sp.csr_matrix
    guesses: list[LanguageGuess]
    reasons: list[tuple[Reason, ...]]
    extras: np.ndarray


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
    return Inputs(norm, counts, guesses, reasons, extra_features(words, texts, reasons))
