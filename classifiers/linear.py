"""Compact linear models over hashed features, and the artifact file that holds them.

A model is a logistic regression over the :mod:`classifiers.features` columns plus a few
dense lexicon features (:mod:`classifiers.cues`). Only the columns that received weight in
training are stored, as float16, so each model is a few hundred kilobytes; the artifact
holds weights and label names only, never text.

Artifact layout (``classifiers/models/offline.npz``): for each model ``NAME``, arrays
``NAME.cols`` (int32 feature columns), ``NAME.coef`` (float16, columns x classes),
``NAME.extra`` (float32, dense features x classes), ``NAME.bias`` (float32), plus one
``meta`` array holding a JSON document: format version, model version, label names, and
the cross-validated figures measured when it was trained.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from classifiers.features import N_FEATURES
from monitor.errors import ClassifierError

__all__ = ["ARTIFACT_NAME", "DEFAULT_MODEL_DIR", "FORMAT", "Artifact", "LinearModel"]

#: Bumped whenever the model inputs change (2: a ninth dense feature, hedges).
FORMAT = 2
ARTIFACT_NAME = "offline.npz"
DEFAULT_MODEL_DIR = Path(__file__).parent / "models"


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class LinearModel:
    """Logistic regression weights; ``labels`` in output order."""

    labels: tuple[str, ...]
    cols: np.ndarray  # int32, sorted feature columns with weight
    coef: np.ndarray  # (len(cols), k) float16/float32; k = 1 for two labels
    extra: np.ndarray  # (n_extra, k) float32
    bias: np.ndarray  # (k,) float32
    _w: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def from_sklearn(
        cls, clf: Any, *, n_extra: int, labels: tuple[str, ...] | None = None
    ) -> LinearModel:
        """Keep the non-zero columns of a fitted ``LogisticRegression``."""
        coef = np.asarray(clf.coef_, dtype=np.float32).T  # (features + extras, k)
        hashed, extra = coef[:N_FEATURES], coef[N_FEATURES:]
        if extra.shape[0] != n_extra:
            raise ValueError(f"expected {n_extra} extra features, got {extra.shape[0]}")
        cols = np.flatnonzero(np.any(hashed != 0, axis=1)).astype(np.int32)
        return cls(
            labels=tuple(labels or (str(c) for c in clf.classes_)),
            cols=cols,
            coef=hashed[cols].astype(np.float16),
            extra=extra.astype(np.float32),
            bias=np.asarray(clf.intercept_, dtype=np.float32),
        )

    def _weights(self) -> np.ndarray:
        # Dense (N_FEATURES x k) float32: 4 MB per output column, but a sparse-times-dense
        # product is several times faster than sparse-times-sparse.
        if self._w is None:
            w = np.zeros((N_FEATURES, self.coef.shape[1]), dtype=np.float32)
            w[self.cols] = self.coef
            self._w = w
        return self._w

    def predict_proba(self, x: sp.csr_matrix, extras: np.ndarray) -> np.ndarray:
        """Probabilities, one column per label in :attr:`labels` order."""
        z = np.asarray(x @ self._weights(), dtype=np.float64) + extras @ self.extra + self.bias
        if z.shape[1] == 1:
            p = 1.0 / (1.0 + np.exp(-z[:, 0]))
            return np.column_stack([1.0 - p, p])
        return _softmax(z)

    def to_arrays(self, name: str) -> dict[str, np.ndarray]:
        return {
            f"{name}.cols": self.cols,
            f"{name}.coef": self.coef.astype(np.float16),
            f"{name}.extra": self.extra,
            f"{name}.bias": self.bias,
        }

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, np.ndarray], name: str, labels: tuple[str, ...]
    ) -> LinearModel:
        return cls(
            labels=labels,
            cols=np.asarray(arrays[f"{name}.cols"], dtype=np.int32),
            coef=np.asarray(arrays[f"{name}.coef"]),
            extra=np.asarray(arrays[f"{name}.extra"], dtype=np.float32),
            bias=np.asarray(arrays[f"{name}.bias"], dtype=np.float32),
        )


@dataclass
class Artifact:
    """Every offline model, keyed by name (``complaint-en``, ``sentiment-fa``...)."""

    models: dict[str, LinearModel]
    version: str
    meta: dict[str, Any] = field(default_factory=dict)

    def weights_digest(self) -> str:
        """SHA-256 (hex) of every model's name, labels and stored arrays: two artifacts with
        one digest hold the same weights (so give the same verdicts), whatever their version
        or figures say."""
        digest = hashlib.sha256()
        for name in sorted(self.models):
            model = self.models[name]
            digest.update(json.dumps([name, list(model.labels)]).encode("utf-8"))
            for key, array in sorted(model.to_arrays(name).items()):
                digest.update(key.encode("utf-8"))
                digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()

    def save(self, directory: str | Path) -> Path:
        """Write ``offline.npz`` into ``directory`` (created if missing); returns its path."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        for name, model in self.models.items():
            arrays.update(model.to_arrays(name))
        meta = {
            **self.meta,
            "format": FORMAT,
            "version": self.version,
            "labels": {name: list(m.labels) for name, m in self.models.items()},
        }
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
        path = directory / ARTIFACT_NAME
        tmp = path.with_suffix(".tmp.npz")
        # numpy's stub objects that a key of ``arrays`` could be named ``allow_pickle``
        np.savez_compressed(tmp, **arrays)  # type: ignore[arg-type]
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path | None = None) -> Artifact:
        """Read an artifact (a file, or a directory holding ``offline.npz``).

        Raises :class:`ClassifierError` naming the path when it is missing, unreadable or
        of another format version.
        """
        p = Path(path) if path is not None else DEFAULT_MODEL_DIR
        if p.is_dir():
            p = p / ARTIFACT_NAME
        try:
            with np.load(p, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except FileNotFoundError:
            raise ClassifierError(
                f"offline model {p} not found; run `replywatch classifier train`"
            ) from None
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            raise ClassifierError(f"offline model {p} is unreadable: {exc}") from None
        try:
            meta = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
            if meta.get("format") != FORMAT:
                raise ClassifierError(
                    f"offline model {p} has format {meta.get('format')}, expected {FORMAT}; "
                    "refit it with `replywatch classifier train`"
                )
            models = {
                name: LinearModel.from_arrays(arrays, name, tuple(labels))
                for name, labels in meta["labels"].items()
            }
        except (KeyError, ValueError, UnicodeDecodeError) as exc:
            raise ClassifierError(f"offline model {p} is incomplete: {exc}") from None
        return cls(models=models, version=str(meta["version"]), meta=meta)
