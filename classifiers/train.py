"""Train, cross-validate and save the offline default models.

Run ``python -m classifiers.train`` (or ``replywatch classifier train``) to refit every
model on the labelled sets in ``../shared/data/`` (beside the repository) and write
``classifiers/models/offline.npz``; ``--cv 5`` also measures macro-F1 by 5-fold
cross-validation and records the figures in the artifact. The artifact's version, which every
verdict names, is the date and a digest of its weights (:func:`default_version`), or what
``--version`` says.

Models (logistic regression over hashed n-grams and lexicon features, class-weighted):

- ``complaint-en`` on ``complaints-en`` (complaint / not_complaint);
- ``sentiment-en``, ``sentiment-ar``, ``sentiment-tl`` (negative / neutral / positive) and
  ``sentiment-fa`` (negative / positive) on the matching sets, train and val together.

Sentiment models are per language, as classification routes posts (see
:func:`classifiers.offline.sentiment_model_name`): each trains on its own set plus the rows of
the other sentiment sets written in its language (the Tagalog reviews in plain English also
train the English model, which reads such posts). Corrected labels from the database
(``monitor.models.Label``) are added to the matching set: sentiment labels by language,
complaint labels to ``complaint-en``.

``--cv K`` measures the whole offline classifier, not one model alone: each fold's rows are
held out of every model they would train, the held-out posts are classified as in production
(language detection, routing, the complaint rule), and macro-F1 is taken over the set's labels.

Nothing from the data is stored: only hashed feature weights and label names.
"""

from __future__ import annotations

import argparse
import csv
import logging
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from classifiers.cues import N_EXTRA
from classifiers.features import Featurizer
from classifiers.inputs import prepare
from classifiers.language import detect_languages
from classifiers.linear import DEFAULT_MODEL_DIR, Artifact, LinearModel
from classifiers.offline import OfflineClassifier, sentiment_model_name
from monitor.errors import ClassifierError

__all__ = [
    "DEFAULT_C",
    "NB_SCALED",
    "SETS",
    "Example",
    "by_language",
    "cross_validate_product",
    "default_data_dir",
    "default_version",
    "design_matrix",
    "fit_model",
    "languages_of",
    "load_base_data",
    "main",
    "read_labelled_csv",
    "refit",
    "train_artifact",
]

log = logging.getLogger(__name__)

#: model name -> (data folder, its label names)
SETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "complaint-en": ("complaints-en", ("complaint", "not_complaint")),
    "sentiment-en": ("sentiment-en", ("negative", "neutral", "positive")),
    "sentiment-ar": ("sentiment-ar", ("negative", "neutral", "positive")),
    "sentiment-fa": ("sentiment-fa", ("negative", "positive")),
    "sentiment-tl": ("sentiment-tl", ("negative", "neutral", "positive")),
}
#: Inverse regularisation per model, chosen by 5-fold CV on the development data
#: (``sentiment-en`` by whole-classifier CV over the English and Tagalog sets, since it also
#: reads the Tagalog set's English reviews: C 1 / 2 / 3 / 5 gave English 57.4 / 57.3 / 57.3 /
#: 57.3 and Tagalog 62.4 / 63.1 / 63.2 / 63.4 over fold seeds 0-4).
DEFAULT_C: dict[str, float] = {
    "complaint-en": 10.0,
    "sentiment-en": 3.0,
    "sentiment-ar": 3.0,
    "sentiment-fa": 3.0,
    "sentiment-tl": 0.5,
}
#: Models whose features are scaled by naive-Bayes log-count ratios (Wang & Manning 2012);
#: it helped the Persian set (+0.7 macro-F1 in 5-fold CV) and hurt the others.
NB_SCALED = frozenset({"sentiment-fa"})
#: How strongly the dense lexicon features count next to the unit-norm n-gram blocks.
EXTRA_SCALE = 0.5


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    label: str


@dataclass
class TrainingSet:
    name: str
    examples: list[Example] = field(default_factory=list)


def default_data_dir() -> Path:
    """``../shared/data`` beside the repository this package sits in."""
    return Path(__file__).resolve().parents[2] / "shared" / "data"


def read_labelled_csv(path: str | Path) -> list[Example]:
    """Rows of a CSV with ``text`` and ``label`` columns.

    Raises :class:`ClassifierError` with a one-line reason when the file is missing,
    unreadable or lacks either column.
    """
    p = Path(path)
    try:
        with p.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            fields = reader.fieldnames or []
            missing = [c for c in ("text", "label") if c not in fields]
            if missing:
                raise ClassifierError(
                    f"{p}: no {' or '.join(missing)} column (found: {', '.join(fields) or 'none'})"
                )
            return [
                Example(row["text"] or "", (row["label"] or "").strip())
                for row in reader
                if (row["label"] or "").strip()
            ]
    except FileNotFoundError:
        raise ClassifierError(f"{p}: file not found") from None
    except IsADirectoryError:
        raise ClassifierError(f"{p}: is a directory, expected a CSV file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ClassifierError(f"{p}: cannot read as UTF-8 CSV ({exc})") from None


def load_base_data(data_dir: str | Path | None = None) -> dict[str, list[Example]]:
    """Every set of :data:`SETS` found under ``data_dir`` (train and val together)."""
    root = Path(data_dir) if data_dir is not None else default_data_dir()
    out: dict[str, list[Example]] = {}
    for name, (folder, labels) in SETS.items():
        rows: list[Example] = []
        for part in ("train.csv", "val.csv"):
            path = root / folder / part
            if path.exists():
                rows.extend(e for e in read_labelled_csv(path) if e.label in labels)
        if rows:
            out[name] = rows
    return out


def design_matrix(texts: Sequence[str]) -> sp.csr_matrix:
    """The input of every linear model: weighted n-grams, then scaled dense extras."""
    inputs = prepare(texts)
    x = Featurizer.weight(inputs.counts)
    return sp.hstack(
        [x, sp.csr_matrix(inputs.extras * EXTRA_SCALE)], format="csr", dtype=np.float32
    )


def _classifier(c: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=1000, class_weight="balanced", tol=1e-3)


def _compress(x: sp.csr_matrix) -> tuple[sp.csr_matrix, np.ndarray]:
    """Only the columns some row uses (hashed space is mostly empty): a far faster fit."""
    used = np.flatnonzero(x.getnnz(axis=0))
    return x[:, used].tocsr(), used


def _nb_ratio(x: sp.csr_matrix, y: np.ndarray) -> np.ndarray:
    """|log-count ratio| per column between the two labels (smoothed)."""
    first = y == np.unique(y)[0]
    p = np.asarray(x[first].sum(axis=0)).ravel() + 1.0
    q = np.asarray(x[~first].sum(axis=0)).ravel() + 1.0
    return np.abs(np.log((p / p.sum()) / (q / q.sum())))


def _fit(x: sp.csr_matrix, y: np.ndarray, c: float, *, nb: bool) -> tuple[Any, np.ndarray]:
    """Fit on the used columns; returns the classifier and the column map for predicting."""
    xc, used = _compress(x)
    scale = _nb_ratio(xc, y) if nb and len(np.unique(y)) == 2 else None
    if scale is not None:
        xc = (xc @ sp.diags(scale)).tocsr()
    clf = _classifier(c).fit(xc, y)
    if scale is not None:  # fold the scaling into the weights: w . (x * r) = (w * r) . x
        clf.coef_ = clf.coef_ * scale
    return clf, used


def fit_model(
    x: sp.csr_matrix, labels: Sequence[str], c: float, *, nb: bool = False
) -> LinearModel:
    """A class-weighted logistic regression over all of ``x``'s columns."""
    clf, used = _fit(x, np.asarray(labels), c, nb=nb)
    full = np.zeros((clf.coef_.shape[0], x.shape[1]), dtype=np.float64)
    full[:, used] = clf.coef_
    clf.coef_ = full
    return LinearModel.from_sklearn(clf, n_extra=N_EXTRA)


def languages_of(data: dict[str, list[Example]]) -> dict[str, str]:
    """The detected main language of every sentiment row's text."""
    texts = sorted({e.text for name, rows in data.items() if name != "complaint-en" for e in rows})
    return {t: g.language for t, g in zip(texts, detect_languages(texts), strict=True)}


def by_language(
    data: dict[str, list[Example]], languages: dict[str, str] | None = None
) -> dict[str, list[Example]]:
    """Each model's training rows: its own set, plus (sentiment models) the rows of the other
    sentiment sets whose language routes to it and whose label it has."""
    lang = languages if languages is not None else languages_of(data)
    out = {name: list(rows) for name, rows in data.items()}
    for name, rows in data.items():
        if name == "complaint-en":
            continue
        for e in rows:
            target = sentiment_model_name(lang[e.text])
            if target != name and target in SETS and e.label in SETS[target][1]:
                out.setdefault(target, []).append(e)
    return out


def _fit_named(name: str, examples: Sequence[Example], cs: dict[str, float]) -> LinearModel:
    x = design_matrix([e.text for e in examples])
    return fit_model(x, [e.label for e in examples], cs[name], nb=name in NB_SCALED)


def refit(
    base: Artifact,
    data: dict[str, list[Example]],
    names: Iterable[str],
    languages: dict[str, str],
    c_values: dict[str, float] | None = None,
) -> Artifact:
    """``base`` with its models ``names`` refitted on ``data`` (each model's rows as
    :func:`by_language` routes them; ``languages`` covers every sentiment text of ``data``)."""
    cs = {**DEFAULT_C, **(c_values or {})}
    rows = by_language(data, languages)
    models = dict(base.models)
    for name in set(names) & set(rows):
        models[name] = _fit_named(name, rows[name], cs)
    return Artifact(models, base.version)


def cross_validate_product(
    data: dict[str, list[Example]],
    name: str,
    base: Artifact,
    *,
    folds: int,
    seed: int = 0,
    c_values: dict[str, float] | None = None,
    languages: dict[str, str] | None = None,
) -> tuple[float, np.ndarray]:
    """Macro-F1 of the whole offline classifier on ``data[name]`` by stratified K-fold CV,
    and the out-of-fold predictions (sentiment labels, or complaint / not_complaint).

    In each fold the held-out rows leave every model they would train (``name``'s own and,
    by language, the others); models they never train come from ``base``. The held-out texts
    are classified by :class:`~classifiers.offline.OfflineClassifier` as in production, and
    macro-F1 is averaged over the labels of the set (a two-way set stays two-way: a post
    called neutral there counts as a miss). ``languages`` (text -> detected language) is
    reused where the caller has it.
    """
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    examples = data[name]
    y = np.asarray([e.label for e in examples])
    counts = Counter(y.tolist())
    if len(counts) < 2 or min(counts.values()) < folds:
        raise ClassifierError(
            f"cannot run {folds}-fold cross-validation: each label needs at least {folds} rows "
            f"(have {dict(counts)})"
        )
    lang = languages if languages is not None else languages_of(data)
    names = {name}
    if name != "complaint-en":  # and the models of the other languages it holds, if trained here
        names |= {sentiment_model_name(lang[e.text]) for e in examples} & set(data)
    texts = [e.text for e in examples]
    pred = np.empty(len(y), dtype=object)
    splits = StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y)
    for tr, te in splits:
        fold = refit(base, {**data, name: [examples[i] for i in tr]}, names, lang, c_values)
        verdicts = OfflineClassifier(fold).classify([texts[i] for i in te])
        if name == "complaint-en":
            pred[te] = ["complaint" if v.is_complaint else "not_complaint" for v in verdicts]
        else:
            pred[te] = [v.sentiment.value for v in verdicts]
    out = pred.astype(str)
    return float(f1_score(y, out, labels=sorted(counts), average="macro")), out


def default_version(stamp: datetime, digest: str) -> str:
    """The version of a refit that names none: its UTC date and the first 8 hex digits of
    its weights' digest (:meth:`Artifact.weights_digest`), ``20261124-1f3a9c0e``.

    Verdicts carry it (``offline@20261124-1f3a9c0e``), so each names the weights that gave
    it: two refits of one day differ unless their weights are the same, and then so are
    their verdicts. (The date alone gave a same-day refit the name of the model it replaced.)
    """
    return f"{stamp:%Y%m%d}-{digest[:8]}"


def train_artifact(
    data: dict[str, list[Example]],
    *,
    folds: int = 0,
    c_values: dict[str, float] | None = None,
    version: str | None = None,
    keep: Artifact | None = None,
) -> Artifact:
    """Fit every model that has data; with ``folds`` also record, per set, the CV macro-F1
    of the whole classifier (:func:`cross_validate_product`). The models of ``keep`` that
    ``data`` does not refit are carried over unchanged, with their row counts and figures."""
    cs = {**DEFAULT_C, **(c_values or {})}
    models: dict[str, LinearModel] = {}
    sizes: dict[str, int] = {}
    lang = languages_of(data)
    for name, examples in by_language(data, lang).items():
        if name not in data:
            continue  # rows other sets route to it are not enough to refit it on
        if len({e.label for e in examples}) < 2:
            log.warning("skipping %s: needs at least two labels", name)
            continue
        started = time.perf_counter()
        models[name] = _fit_named(name, examples, cs)
        sizes[name] = len(examples)
        log.info(
            "trained %s on %d texts in %.1fs", name, len(examples), time.perf_counter() - started
        )
    if not models:
        raise ClassifierError("no training data: none of the labelled sets was found")
    stamp = datetime.now(UTC)
    figures: dict[str, dict[str, float]] = {}
    kept: dict[str, str] = {}  # model name -> version of the artifact it comes from
    if keep is not None:
        for name in sorted(set(keep.models) - set(models)):
            models[name] = keep.models[name]
            kept[name] = keep.meta.get("kept", {}).get(name, keep.version)
            sizes[name] = keep.meta.get("rows", {}).get(name, 0)
            if name in keep.meta.get("cv", {}):
                figures[name] = keep.meta["cv"][name]
    digest = Artifact(models, "").weights_digest()
    version = version or default_version(stamp, digest)
    for name in data:
        if folds and name in models:
            f1, _ = cross_validate_product(
                data, name, Artifact(models, version), folds=folds, c_values=cs, languages=lang
            )
            figures[name] = {"macro_f1": round(100 * f1, 1), "folds": folds}
    return Artifact(
        models=models,
        version=version,
        meta={
            "trained_at": stamp.isoformat(timespec="seconds"),
            "weights_sha256": digest,
            "rows": sizes,
            "cv": figures,
            "kept": kept,
        },
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m classifiers.train", description=__doc__)
    parser.add_argument("--data", type=Path, default=None, help="labelled data folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_DIR, help="artifact folder")
    parser.add_argument("--cv", type=int, default=0, help="also cross-validate with K folds")
    parser.add_argument(
        "--version",
        default=None,
        help="version stamped on the artifact and its verdicts (default: the UTC date and "
        "the first 8 hex digits of the weights' SHA-256, e.g. 20261124-1f3a9c0e)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    data = load_base_data(args.data)
    if not data:
        parser.error(f"no labelled data under {args.data or default_data_dir()}")
    artifact = train_artifact(data, folds=args.cv, version=args.version)
    path = artifact.save(args.out)
    for name, fig in artifact.meta["cv"].items():
        print(f"{name}: macro-F1 {fig['macro_f1']:.1f} ({fig['folds']}-fold CV)")
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB), version {artifact.version}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
