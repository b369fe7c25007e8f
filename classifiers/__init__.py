"""Language detection, sentiment, complaint and severity classifiers behind one interface.

``load_classifier()`` gives the offline default (shipped linear models and multilingual
rules: no download, no GPU). ``load_classifier(backend="transformers", sentiment_model=...)``
runs a transformers sequence-classification model (a hub id or a local directory) for
sentiment, and optionally a complaint model; if it cannot be loaded, a warning naming the
model and the reason is logged and the offline default is returned instead.
"""

from __future__ import annotations

import logging
from pathlib import Path

from classifiers.base import Classifier, Reason, Sentiment, Severity, Verdict
from classifiers.language import LanguageGuess, detect_languages
from classifiers.offline import OfflineClassifier
from monitor.errors import ClassifierError

__all__ = [
    "BACKENDS",
    "DEFAULT_SENTIMENT_MODEL",
    "Classifier",
    "LanguageGuess",
    "OfflineClassifier",
    "Reason",
    "Sentiment",
    "Severity",
    "Verdict",
    "detect_languages",
    "load_classifier",
]

log = logging.getLogger(__name__)

BACKENDS = ("offline", "transformers")
#: Used by the transformers backend when no sentiment model is configured.
DEFAULT_SENTIMENT_MODEL = "cardiffnlp/twitter-xlm-roberta-base-sentiment"


def load_classifier(
    *,
    backend: str = "offline",
    sentiment_model: str | None = None,
    complaint_model: str | None = None,
    device: str = "cpu",
    batch_size: int = 32,
    complaint_threshold: float = 0.5,
    quantize: bool = False,
    model_dir: str | Path | None = None,
) -> Classifier:
    """The classifier the configuration asks for.

    ``backend`` is ``offline`` or ``transformers``. For ``transformers``, ``sentiment_model``
    and ``complaint_model`` are hub ids or local directories, ``device`` is ``cpu``,
    ``cuda``, ``cuda:N`` or ``mps``, and ``quantize`` applies int8 dynamic quantisation on
    CPU. ``model_dir`` points the offline default at another artifact folder (one written
    by ``replywatch classifier train --out DIR``).

    Raises :class:`ClassifierError` for an unknown backend, ``quantize`` off the CPU or an
    unusable offline artifact; a transformer model that fails to load falls back to the
    offline default with a warning.
    """
    if backend not in BACKENDS:
        raise ClassifierError(f"unknown classifier backend {backend!r}; use one of {BACKENDS}")
    if not 0.0 <= complaint_threshold <= 1.0:
        raise ClassifierError(f"complaint_threshold must be in [0, 1], got {complaint_threshold}")
    if backend == "transformers" and quantize and device != "cpu":
        # a configuration mistake, not a model that failed to load: no silent fallback
        raise ClassifierError(
            f"quantize (int8) runs on the CPU only: use device cpu, or leave quantize off "
            f"to run on {device}"
        )
    offline = OfflineClassifier(model_dir=model_dir, complaint_threshold=complaint_threshold)
    if backend == "offline":
        return offline
    model = sentiment_model or DEFAULT_SENTIMENT_MODEL
    try:
        from classifiers.transformer import TransformerClassifier

        return TransformerClassifier(
            sentiment_model=model,
            complaint_model=complaint_model,
            device=device,
            batch_size=batch_size,
            quantize=quantize,
            fallback=offline,
        )
    except ClassifierError as exc:
        log.warning(
            "transformer classifier %s unavailable (%s); using the offline default %s",
            model,
            exc,
            offline.name,
        )
        return offline
