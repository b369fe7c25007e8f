"""`replywatch classifier finetune` on tiny models and toy data built here (no download)."""

import csv
import json
import random
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
import typer
from sklearn.metrics import f1_score
from typer.testing import CliRunner

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from classifiers import load_classifier  # noqa: E402
from classifiers.finetune import (  # noqa: E402
    META_FILE,
    SHARES,
    Recipe,
    balanced,
    best_share,
    run,
)
from classifiers.offline import mix  # noqa: E402
from classifiers.train import Example  # noqa: E402
from monitor.models import Label  # noqa: E402
from tests.classifiers.label_support import store_labels, write_config  # noqa: E402
from tests.classifiers.tiny_models import save_tiny_model  # noqa: E402

# one word carries the label; the others are noise the model must learn to ignore
SIGNAL = {
    "negative": ["awful", "broken", "hate"],
    "neutral": ["parcel", "today", "tuesday"],
    "positive": ["great", "love", "perfect"],
    "complaint": ["refund", "late", "missing"],
    "not_complaint": ["thanks", "nice", "fine"],
    # words only the team's labels in the database teach
    "team_complaint": ["ignored"],
    "team_not_complaint": ["lovely"],
}
NOISE = ["the", "my", "app", "is", "was", "so", "really", "it", "order", "acme"]
WORDS = sorted({w for words in SIGNAL.values() for w in words} | set(NOISE))
SENTIMENT_SETS = {
    "sentiment-en": ("negative", "neutral", "positive"),
    "sentiment-ar": ("negative", "neutral", "positive"),
    "sentiment-fa": ("negative", "positive"),
    "sentiment-tl": ("negative", "neutral", "positive"),
}
# a tiny model needs a bold recipe to learn this in a few seconds on a CPU; with it, six
# different initialisations all scored 100 in the cross-validation below
RECIPE = Recipe(epochs=20, batch_size=8, learning_rate=2e-3, warmup=0.0)


def _texts(label: str, n: int, rng: random.Random) -> list[str]:
    out = []
    for _ in range(n):
        words = rng.sample(NOISE, 4)
        words.insert(rng.randrange(5), rng.choice(SIGNAL[label]))
        out.append(" ".join(words))
    return out


def _write_set(root: Path, folder: str, labels: tuple[str, ...], n: int, seed: int) -> None:
    rng = random.Random(seed)
    (root / folder).mkdir(parents=True)
    with (root / folder / "train.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        for label in labels:
            writer.writerows((text, label) for text in _texts(label, n, rng))


@pytest.fixture
def toy_data(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    for seed, (folder, labels) in enumerate(SENTIMENT_SETS.items()):
        _write_set(root, folder, labels, 12, seed)
    _write_set(root, "complaints-en", ("complaint", "not_complaint"), 16, 9)
    return root


@pytest.fixture
def base(tmp_path: Path) -> Path:
    # a two-label classifier as the base of a three-label model: the head is replaced
    return save_tiny_model(
        tmp_path / "base", {0: "no", 1: "yes"}, 2, words=WORDS, hidden=64, dropout=0.0
    )


def test_a_finetuned_sentiment_model_learns_and_runs_in_the_backend(
    app: typer.Typer, toy_data: Path, base: Path, tmp_path: Path
) -> None:
    out = tmp_path / "sentiment-model"
    meta = run(str(base), "sentiment", out, data_dir=toy_data, folds=2, recipe=RECIPE)

    # the cross-validation figures are per set, and far above chance on separable data:
    # the model's, the offline models' refitted on the folds, and their mix as the backend
    # would mix them
    assert set(meta["cv"]) == set(SENTIMENT_SETS)
    assert all(fig["macro_f1"] >= 80 and fig["folds"] == 2 for fig in meta["cv"].values())
    assert all(fig["model_alone"] >= 80 for fig in meta["cv"].values())
    assert all(0 <= fig["offline_alone"] <= 100 for fig in meta["cv"].values())
    assert meta["offline_share"] in SHARES
    saved = json.loads((out / META_FILE).read_text())
    assert saved["task"] == "sentiment" and saved["base"] == str(base)
    assert saved["rows"] == {
        "sentiment-en": 36,
        "sentiment-ar": 36,
        "sentiment-fa": 24,
        "sentiment-tl": 36,
    }
    assert "awful" not in (out / META_FILE).read_text()  # no training text kept

    # the folder is a model the transformers backend loads, and it has learnt the task;
    # its verdicts name it and when it was trained
    clf = load_classifier(backend="transformers", sentiment_model=str(out))
    trained = datetime.fromisoformat(saved["trained_at"]).strftime("ft-%Y%m%dT%H%M%S")
    assert clf.name.startswith(f"sentiment-model@{trained}+offline@")
    rng = random.Random(100)
    cases = [
        (text, label) for label in SENTIMENT_SETS["sentiment-en"] for text in _texts(label, 10, rng)
    ]
    verdicts = clf.classify([text for text, _ in cases])
    right = sum(v.sentiment.value == label for v, (_, label) in zip(verdicts, cases, strict=True))
    assert right >= 27, f"{right} of 30 held-out texts right"

    # and `classifier eval` scores it on a CSV, by the same verdicts
    held_out = tmp_path / "held-out.csv"
    with held_out.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([("text", "label"), *cases])
    args = ["classifier", "eval", "--data", str(held_out), "--task", "sentiment"]
    result = CliRunner().invoke(
        app, [*args, "--backend", "transformers", "--sentiment-model", str(out)]
    )
    assert result.exit_code == 0, result.output
    macro = float(
        re.search(
            rf"sentiment-model@{trained}\S* on held-out.csv \(sentiment\): 30 texts, "
            r"macro-F1 ([\d.]+)",
            result.output,
        )[1]
    )
    assert macro == pytest.approx(
        100
        * f1_score(
            [label for _, label in cases], [v.sentiment.value for v in verdicts], average="macro"
        ),
        abs=0.05,
    )


def test_eval_refuses_a_transformer_it_cannot_load_or_cross_validate(
    app: typer.Typer, tmp_path: Path
) -> None:
    held_out = tmp_path / "held-out.csv"
    held_out.write_text("text,label\nthe parcel is late,negative\n", encoding="utf-8")
    args = ["classifier", "eval", "--data", str(held_out), "--task", "sentiment"]
    args += ["--backend", "transformers"]
    missing = CliRunner().invoke(app, [*args, "--sentiment-model", str(tmp_path / "nothing")])
    assert missing.exit_code == 2 and "sentiment_model: no folder" in missing.output  # no fall back
    cv = CliRunner().invoke(app, [*args, "--cv", "2"])
    assert cv.exit_code == 2 and "classifier finetune --cv" in cv.output


def test_finetune_command_makes_a_complaint_model(
    app: typer.Typer, toy_data: Path, base: Path, tmp_path: Path
) -> None:
    out = tmp_path / "complaint-model"
    args = ["classifier", "finetune", "--base", str(base), "--task", "complaint"]
    args += ["--out", str(out), "--data", str(toy_data), "--epochs", "20"]
    args += ["--learning-rate", "2e-3", "--batch-size", "8"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "epoch 20/20" in result.output
    assert f"classifier.complaint_model: {out}" in result.output

    sentiment = save_tiny_model(tmp_path / "sentiment", None, 3, words=WORDS)
    clf = load_classifier(
        backend="transformers", sentiment_model=str(sentiment), complaint_model=str(out)
    )
    rng = random.Random(7)
    complaints, others = _texts("complaint", 10, rng), _texts("not_complaint", 10, rng)
    verdicts = clf.classify(complaints + others)
    flagged = [v.is_complaint for v in verdicts]
    assert sum(flagged[:10]) >= 9 and sum(flagged[10:]) <= 1


def test_finetune_learns_the_teams_labels(
    app: typer.Typer, toy_data: Path, base: Path, tmp_path: Path
) -> None:
    config = write_config(tmp_path)
    rng = random.Random(3)
    store_labels(
        config,
        [
            Label(text=text, language=language, task=task, label=label, actor="ana")
            for task, label, key, language in [
                ("complaint", "complaint", "team_complaint", "en"),
                ("complaint", "complaint", "team_complaint", "fa"),  # not read by the model
                ("complaint", "not_complaint", "team_not_complaint", "en"),
                ("sentiment", "negative", "team_complaint", "en"),  # another task's: not used
            ]
            for text in _texts(key, 6, rng)
        ],
    )

    out = tmp_path / "complaint-model"
    args = ["classifier", "finetune", "--base", str(base), "--task", "complaint", "-c", str(config)]
    args += ["--out", str(out), "--data", str(toy_data), "--epochs", "20"]
    args += ["--learning-rate", "2e-3", "--batch-size", "8", "--cv", "2"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "12 complaint labels from the database (6 outside English skipped)" in result.output
    meta = json.loads((out / META_FILE).read_text())
    assert meta["database_labels"] == 12
    assert set(meta["cv"]) == {"complaint-en"}  # the team's labels train, never score

    sentiment = save_tiny_model(tmp_path / "sentiment", None, 3, words=WORDS)
    clf = load_classifier(
        backend="transformers", sentiment_model=str(sentiment), complaint_model=str(out)
    )
    rng = random.Random(8)
    verdicts = clf.classify(
        _texts("team_complaint", 10, rng) + _texts("team_not_complaint", 10, rng)
    )
    flagged = [v.is_complaint for v in verdicts]
    assert sum(flagged[:10]) >= 9 and sum(flagged[10:]) <= 1, flagged


@pytest.mark.parametrize(
    ("base_arg", "data_arg", "message"),
    [
        ("missing", "toy", "--base: no folder "),
        ("tiny", "empty", "no base data for sentiment under"),
        ("tiny", "absent", "no such data folder"),
    ],
)
def test_finetune_command_refuses_bad_input_in_one_line(
    app: typer.Typer,
    toy_data: Path,
    base: Path,
    tmp_path: Path,
    base_arg: str,
    data_arg: str,
    message: str,
) -> None:
    (tmp_path / "empty").mkdir()
    data = {"toy": toy_data, "empty": tmp_path / "empty", "absent": tmp_path / "absent"}
    base_path = base if base_arg == "tiny" else tmp_path / "no-such-model"
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "classifier",
            "finetune",
            "--base",
            str(base_path),
            "--out",
            str(out),
            "--data",
            str(data[data_arg]),
        ],
    )
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_small_sets_are_repeated_towards_the_largest() -> None:
    data = {
        name: [Example(f"{name} {i}", "negative") for i in range(n)]
        for name, n in (("big", 100), ("tenth", 10), ("third", 30), ("empty", 0))
    }
    got = Counter(e.text.split()[0] for e in balanced(data))
    # ceil(sqrt(largest / size)) copies of each row: 1, ceil(3.16) = 4, ceil(1.83) = 2
    assert got == {"big": 100, "tenth": 40, "third": 60}


def _onehot(labels: np.ndarray, p: float) -> np.ndarray:
    """Probability ``p`` on each row's label, the rest shared by the other two."""
    out = np.full((len(labels), 3), (1 - p) / 2)
    out[np.arange(len(labels)), labels] = p
    return out


def test_the_offline_share_is_the_mix_that_scores_best() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 60)
    truth = np.array(["negative", "neutral", "positive"])[y]
    sets = np.array(["sentiment-en"] * 30 + ["sentiment-tl"] * 30)
    right, wrong = _onehot(y, 0.9), _onehot((y + 1) % 3, 0.4)
    noise = rng.dirichlet([1, 1, 1], 60)

    assert best_share(right, noise, truth, sets) == 0.0  # the model alone is right
    # a model confidently wrong everywhere: only a share past a half outvotes it
    assert best_share(_onehot((y + 1) % 3, 0.9), right, truth, sets) == 0.6
    # each is confidently right where the other is only mildly wrong: a mix beats both;
    # shares 0.2 to 0.8 all get every row right, and the smallest wins the tie
    half = np.arange(60) < 30
    model = np.where(half[:, None], right, wrong)
    offline = np.where(half[:, None], wrong, right)
    share = best_share(model, offline, truth, sets)
    assert share == 0.2
    assert (mix(model, offline, share).argmax(axis=1) == y).all()
    assert (model.argmax(axis=1) == y).mean() == 0.5
