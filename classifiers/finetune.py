"""Fine-tune a transformers encoder into the transformer backend's sentiment or complaint model.

``replywatch classifier finetune --base MODEL --task sentiment --out DIR``, where the team has
a pretrained encoder (a hub id or a local directory: ``intfloat/multilingual-e5-small``,
``xlm-roberta-base``...) and, ideally, a GPU; then set ``classifier.backend: transformers``
and point ``classifier.sentiment_model`` (or ``complaint_model``) at DIR.

- ``sentiment``: one multilingual model (negative / neutral / positive) on every sentiment
  set together (English, Arabic, Persian, Tagalog), as the backend reads every language with
  one model; ``complaint``: complaint / not_complaint on ``complaints-en``.
- ``--cv K`` measures first: one stratified K-fold split over the task's sets (strata: set
  and label), a model fine-tuned per fold, the held-out posts classified as in production
  (the backend's loading and batching, :meth:`OfflineClassifier.verdicts` on the model's
  probabilities), and macro-F1 per set over that set's labels.
- For sentiment, ``--cv`` also refits the offline models on each fold's rows and finds how
  much of their sentiment to mix into the model's (:func:`best_share`; the backend mixes it in
  as ``offline_share``). The two make different mistakes: on ``../shared/data`` with
  multilingual-e5-small the mix (at 0.5) scored higher than either alone on every set but
  Tagalog, where the offline model alone scored 0.3 more. The share is chosen on the other
  folds for each held-out fold, so the figures that count were not tuned on the rows they
  score. Without ``--cv`` the share is 0 (the model alone).

Training: AdamW with linear warm-up and decay, class-balanced cross-entropy (the figure that
counts is macro-F1), dynamic padding, bf16 autocast on a GPU. Each set's rows are repeated
``ceil(sqrt(largest set / set))`` times (:func:`balanced`), so 594 Tagalog reviews are not
drowned by 6,000 Persian ones (e5-small, 5-fold CV: Tagalog +1.9 macro-F1, the rest within
0.2). The folder holds the model, its tokenizer and ``replywatch-finetune.json`` (base, task,
rows, recipe, offline share, CV figures); no training text is stored.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.linear import Artifact
from classifiers.offline import SENTIMENT_LABELS, OfflineClassifier, mix
from classifiers.train import SETS, Example, default_data_dir, languages_of, load_base_data, refit
from classifiers.transformer import (
    FINETUNE_META,
    _import_torch,
    _Model,
    _model_source,
    load_failure,
    map_complaint_labels,
    map_sentiment_labels,
)
from monitor.errors import ClassifierError

__all__ = [
    "SHARES",
    "TASKS",
    "Recipe",
    "balanced",
    "best_share",
    "cross_validate",
    "finetune",
    "run",
    "save",
]

#: task -> (the base sets it trains on, its label names in model order)
TASKS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "sentiment": (
        ("sentiment-en", "sentiment-ar", "sentiment-fa", "sentiment-tl"),
        ("negative", "neutral", "positive"),
    ),
    "complaint": (("complaint-en",), ("not_complaint", "complaint")),
}
META_FILE = FINETUNE_META
#: the shares of the offline model's sentiment ``--cv`` tries mixing into the model's
SHARES = tuple(i / 10 for i in range(11))


@dataclass(frozen=True, slots=True)
class Recipe:
    """Fine-tuning hyperparameters; the defaults suit a base-sized or small encoder."""

    epochs: int = 4
    batch_size: int = 32
    learning_rate: float = 5e-5
    max_length: int = 128
    warmup: float = 0.1
    weight_decay: float = 0.01
    seed: int = 0


def task_data(task: str, root: Path) -> dict[str, list[Example]]:
    """The task's labelled sets found under ``root``; :class:`ClassifierError` if none is."""
    if task not in TASKS:
        raise ClassifierError(f"unknown task {task!r}: use one of {', '.join(TASKS)}")
    data = load_base_data(root)
    found = {name: data[name] for name in TASKS[task][0] if data.get(name)}
    if not found:
        folders = ", ".join(f"{SETS[name][0]}/" for name in TASKS[task][0])
        raise ClassifierError(
            f"no base data for {task} under {root}: it trains on {folders}; pass --data DIR, "
            "the folder that holds them"
        )
    return found


def finetune(
    base: str,
    examples: Sequence[Example],
    task: str,
    *,
    recipe: Recipe = Recipe(),
    device: str = "cpu",
    progress: Callable[[str], None] | None = None,
) -> tuple[Any, Any]:
    """A (model, tokenizer) fine-tuned from ``base`` on ``examples`` for ``task``."""
    torch, transformers = _import_torch()
    labels = TASKS[task][1]
    unknown = sorted({e.label for e in examples} - set(labels))
    if unknown:
        raise ClassifierError(f"labels {unknown} are not {task} labels {list(labels)}")
    tokenizer, model = _load_base(transformers, base, labels)
    try:
        dev = torch.device(device)
        model.to(dev)
    except (RuntimeError, AssertionError) as exc:
        raise ClassifierError(f"cannot use device {device!r}: {exc}") from exc
    torch.manual_seed(recipe.seed)
    y = np.array([labels.index(e.label) for e in examples])
    ids = tokenizer(
        [e.text for e in examples], truncation=True, max_length=recipe.max_length, padding=False
    )["input_ids"]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    counts = np.bincount(y, minlength=len(labels)).astype(float)
    weights = np.where(counts > 0, len(y) / (len(labels) * np.maximum(counts, 1)), 0.0)
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor(weights, dtype=torch.float32).to(dev))
    decay = [p for n, p in model.named_parameters() if not _no_decay(n)]
    rest = [p for n, p in model.named_parameters() if _no_decay(n)]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": recipe.weight_decay}, {"params": rest}],
        lr=recipe.learning_rate,
        weight_decay=0.0,
    )
    steps_per_epoch = math.ceil(len(y) / recipe.batch_size)
    total = steps_per_epoch * recipe.epochs
    schedule = transformers.get_linear_schedule_with_warmup(
        optimizer, int(recipe.warmup * total), total
    )
    rng = np.random.default_rng(recipe.seed)
    autocast = dev.type == "cuda" and torch.cuda.is_bf16_supported()
    model.train()
    for epoch in range(recipe.epochs):
        started, running = time.monotonic(), torch.zeros((), device=dev)
        order = rng.permutation(len(y))
        for step in range(steps_per_epoch):
            rows = order[step * recipe.batch_size : (step + 1) * recipe.batch_size]
            batch = _padded(torch, [ids[int(i)] for i in rows], pad, dev)
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=autocast):
                logits = model(**batch).logits
            loss = loss_fn(logits.float(), torch.as_tensor(y[rows], device=dev))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            running += loss.detach()
        if progress:
            progress(
                f"epoch {epoch + 1}/{recipe.epochs}: loss {float(running) / steps_per_epoch:.3f} "
                f"({time.monotonic() - started:.0f} s)"
            )
    model.eval()
    return model, tokenizer


def _padded(torch: Any, rows: Sequence[Sequence[int]], pad: int, device: Any) -> dict[str, Any]:
    """Token ids padded to the batch's longest row, and the attention mask, on ``device``."""
    width = max(len(r) for r in rows)
    ids = np.full((len(rows), width), pad, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
    return {
        "input_ids": torch.from_numpy(ids).to(device),
        "attention_mask": torch.from_numpy(mask).to(device),
    }


def _no_decay(name: str) -> bool:
    return name.endswith("bias") or "LayerNorm" in name or "layer_norm" in name


def _load_base(transformers: Any, base: str, labels: Sequence[str]) -> tuple[Any, Any]:
    """Tokenizer and model with a new head for ``labels``; a base that is already a
    classifier gets the new head too. Its load report (the head "newly initialized") and
    progress bars are expected here, so they are kept quiet."""
    source = _model_source("--base", base)  # a path that is no folder: said so, not a hub error
    verbosity = transformers.logging.get_verbosity()
    bars = transformers.logging.is_progress_bar_enabled()
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(source)
        model = transformers.AutoModelForSequenceClassification.from_pretrained(
            source,
            num_labels=len(labels),
            id2label=dict(enumerate(labels)),
            label2id={name: i for i, name in enumerate(labels)},
            ignore_mismatched_sizes=True,
        )
    except Exception as exc:  # OSError, ValueError, HTTP errors, corrupt files...
        raise ClassifierError(f"cannot load base model {base!r}: {load_failure(exc)}") from exc
    finally:
        transformers.logging.set_verbosity(verbosity)
        if bars:
            transformers.logging.enable_progress_bar()
    return tokenizer, model


def save(model: Any, tokenizer: Any, out: Path, meta: dict[str, Any]) -> Path:
    """Write the model, its tokenizer and the recipe into ``out``, ready for the backend."""
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    return out


def balanced(data: dict[str, list[Example]]) -> list[Example]:
    """Every set's rows, each set's repeated ``ceil(sqrt(largest / size))`` times."""
    largest = max((len(rows) for rows in data.values()), default=0)
    return [
        e
        for rows in data.values()
        if rows
        for e in rows * math.ceil(math.sqrt(largest / len(rows)))
    ]


def best_share(
    model: np.ndarray, offline: np.ndarray, truth: np.ndarray, sets: np.ndarray
) -> float:
    """The share of :data:`SHARES` whose mix ``(1 - share) * model + share * offline`` (n x 3
    sentiment probabilities) scores the highest macro-F1 averaged over ``sets`` (each row's
    set; each set's macro-F1 over its own labels); the smaller share on a tie."""
    scores = [_mean_f1(mix(model, offline, share), truth, sets) for share in SHARES]
    return SHARES[int(np.argmax(scores))]


def _labels(probs: np.ndarray) -> np.ndarray:
    """Sentiment labels as the verdicts name them (the most probable)."""
    return np.asarray(SENTIMENT_LABELS)[probs.argmax(axis=1)]


def _set_f1(truth: np.ndarray, pred: np.ndarray, sets: np.ndarray) -> dict[str, float]:
    """Macro-F1 (%) per set, over each set's own labels."""
    from sklearn.metrics import f1_score

    out = {}
    for name in dict.fromkeys(sets.tolist()):
        rows = sets == name
        labels = sorted(set(truth[rows].tolist()))
        out[name] = 100 * float(f1_score(truth[rows], pred[rows], labels=labels, average="macro"))
    return out


def _mean_f1(probs: np.ndarray, truth: np.ndarray, sets: np.ndarray) -> float:
    return float(np.mean(list(_set_f1(truth, _labels(probs), sets).values())))


def predict(path: Path, texts: Sequence[str], task: str, *, device: str) -> np.ndarray:
    """What the fine-tuned model in ``path`` makes of ``texts``, through the backend's own
    loading and batching, as in production: for sentiment its probabilities (n x 3), for
    complaints the labels of the offline classifier's verdicts on its probabilities."""
    model = _Model(str(path), device=device, quantize=False, max_length=128, max_batch_tokens=4096)
    probs = model.probabilities(texts, batch_size=64)
    if task == "sentiment":
        return probs @ map_sentiment_labels(model.id2label)
    column = probs[:, map_complaint_labels(model.id2label)]
    verdicts = OfflineClassifier().verdicts(texts, complaint=column)
    return np.array(["complaint" if v.is_complaint else "not_complaint" for v in verdicts])


def _offline_sentiment(artifact: Artifact, texts: Sequence[str]) -> np.ndarray:
    """The offline classifier's sentiment probabilities (n x 3), as the backend mixes them
    in (:meth:`OfflineClassifier.sentiment_probabilities`)."""
    return OfflineClassifier(artifact).sentiment_probabilities(texts)


def cross_validate(
    base: str,
    data: dict[str, list[Example]],
    task: str,
    *,
    folds: int,
    recipe: Recipe = Recipe(),
    device: str = "cpu",
    extra: Sequence[Example] = (),
    progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, dict[str, float]], float]:
    """Figures per set by one stratified ``folds``-fold split over the task's sets, and the
    offline share (:func:`best_share` over all the held-out rows; 0 for complaints).
    ``extra`` rows train every fold and are never scored.

    Each set's ``macro_f1`` (%) is what the backend would score: for sentiment the mix at the
    share chosen on the other folds' held-out rows, with ``model_alone`` and
    ``offline_alone`` beside it (the offline models refitted on the fold's rows)."""
    from sklearn.model_selection import StratifiedKFold

    names = list(data)
    rows = [(name, e) for name in names for e in data[name]]
    sets = np.array([name for name, _ in rows])
    truth = np.array([e.label for _, e in rows])
    strata = np.array([f"{name}:{e.label}" for name, e in rows])
    small = {s: n for s, n in Counter(strata.tolist()).items() if n < folds}
    if small:
        raise ClassifierError(
            f"cannot run {folds}-fold cross-validation: each set's labels need at least "
            f"{folds} rows (have {small})"
        )
    sentiment = task == "sentiment"
    if sentiment:
        shipped, languages = Artifact.load(), languages_of(data)
    out = np.empty(len(rows), dtype=object)  # complaint labels
    model_p, offline_p = np.zeros((len(rows), 3)), np.zeros((len(rows), 3))
    fold_of = np.zeros(len(rows), dtype=int)
    splits = StratifiedKFold(folds, shuffle=True, random_state=recipe.seed)
    for k, (train, test) in enumerate(splits.split(np.zeros(len(rows)), strata)):
        if progress:
            progress(f"fold {k + 1}/{folds}: {len(train)} rows to train, {len(test)} held out")
        fold_of[test] = k
        fold = {name: [rows[i][1] for i in train if sets[i] == name] for name in names}
        model, tokenizer = finetune(
            base,
            balanced(fold) + list(extra),
            task,
            recipe=recipe,
            device=device,
            progress=progress,
        )
        texts = [rows[i][1].text for i in test]
        with tempfile.TemporaryDirectory() as tmp:
            save(model, tokenizer, Path(tmp), {})
            del model
            predicted = predict(Path(tmp), texts, task, device=device)
        if sentiment:
            model_p[test] = predicted
            offline_p[test] = _offline_sentiment(refit(shipped, fold, names, languages), texts)
        else:
            out[test] = predicted
    if not sentiment:
        return {
            name: {"macro_f1": round(f1, 1)}
            for name, f1 in _set_f1(truth, out.astype(str), sets).items()
        }, 0.0
    mixed = np.empty((len(rows), 3))
    for k in range(folds):
        rest, held = fold_of != k, fold_of == k
        share = best_share(model_p[rest], offline_p[rest], truth[rest], sets[rest])
        mixed[held] = mix(model_p[held], offline_p[held], share)
    columns = {
        "macro_f1": _set_f1(truth, _labels(mixed), sets),
        "model_alone": _set_f1(truth, _labels(model_p), sets),
        "offline_alone": _set_f1(truth, _labels(offline_p), sets),
    }
    figures = {name: {c: round(f1[name], 1) for c, f1 in columns.items()} for name in names}
    return figures, best_share(model_p, offline_p, truth, sets)


def run(
    base: str,
    task: str,
    out: Path,
    *,
    data_dir: Path | None = None,
    folds: int = 0,
    recipe: Recipe = Recipe(),
    device: str = "cpu",
    extra: Sequence[Example] = (),
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Cross-validate (with ``folds``), fine-tune on all the task's data plus ``extra`` (the
    team's labels) and save to ``out``; the metadata written beside the model."""
    data = task_data(task, data_dir or default_data_dir())
    figures: dict[str, dict[str, float]] = {}
    share = 0.0
    if folds:
        figures, share = cross_validate(
            base,
            data,
            task,
            folds=folds,
            recipe=recipe,
            device=device,
            extra=extra,
            progress=progress,
        )
        if progress:
            sentiment = task == "sentiment"
            for name, f1 in figures.items():
                alone = (
                    f" (model alone {f1['model_alone']:.1f}, offline alone "
                    f"{f1['offline_alone']:.1f})"
                    if sentiment
                    else ""
                )
                progress(f"{name}: macro-F1 {f1['macro_f1']:.1f}{alone}, {folds}-fold CV")
            if sentiment:
                progress(f"the backend mixes in the offline model's sentiment at {share:g}")
    examples = balanced(data) + list(extra)
    if progress:
        progress(f"fine-tuning on all {len(examples)} rows (small sets repeated)")
    model, tokenizer = finetune(
        base, examples, task, recipe=recipe, device=device, progress=progress
    )
    meta = {
        "base": base,
        "task": task,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": {name: len(rows) for name, rows in data.items()},
        "database_labels": len(extra),
        "recipe": asdict(recipe),
        "offline_share": share,
        "cv": {name: {**f1, "folds": folds} for name, f1 in figures.items()},
    }
    save(model, tokenizer, out, meta)
    return meta
