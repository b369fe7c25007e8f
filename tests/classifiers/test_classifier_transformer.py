"""The transformers backend on tiny random models built here (no download)."""

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from classifiers import OfflineClassifier, load_classifier  # noqa: E402
from classifiers.transformer import TransformerClassifier  # noqa: E402
from monitor.errors import ClassifierError  # noqa: E402
from tests.classifiers.tiny_models import save_tiny_model  # noqa: E402

TEXTS = [
    "my order is late",
    "thank you",
    "the app is down and my order never arrived still waiting for refund thank you",
    "غذا سرد بود",
    "ang tagal wala pa",
    "love it",
    "الطلب لم يصل",
]
WORDS = sorted({word for text in TEXTS for word in text.split()})


def _save_tiny_model(
    path: Path, id2label: dict[int, str] | None, num_labels: int, **kwargs: Any
) -> Path:
    return save_tiny_model(path, id2label, num_labels, words=WORDS, **kwargs)


@pytest.fixture(scope="module")
def sentiment_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("models")
    return _save_tiny_model(root / "sentiment", {0: "Negative", 1: "Neutral", 2: "Positive"}, 3)


@pytest.fixture(scope="module")
def complaint_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("models")
    return _save_tiny_model(root / "complaint", {0: "not_complaint", 1: "complaint"}, 2)


def _reference(path: Path, texts: list[str]) -> np.ndarray:
    """Softmax of the model run one text at a time, no padding at all."""
    tok = transformers.AutoTokenizer.from_pretrained(path)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(path).eval()
    out = []
    with torch.inference_mode():
        for text in texts:
            logits = model(**tok(text, return_tensors="pt")).logits
            out.append(torch.softmax(logits, dim=-1)[0].numpy())
    return np.array(out)


def test_sentiment_matches_one_at_a_time(sentiment_dir: Path) -> None:
    clf = load_classifier(backend="transformers", sentiment_model=str(sentiment_dir), batch_size=3)
    assert isinstance(clf, TransformerClassifier)
    verdicts = clf.classify(TEXTS)
    expected = _reference(sentiment_dir, TEXTS)
    got = np.array(
        [[v.sentiment_scores[k] for k in ("negative", "neutral", "positive")] for v in verdicts]
    )
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert [v.sentiment.value for v in verdicts] == [
        ("negative", "neutral", "positive")[i] for i in expected.argmax(axis=1)
    ]
    assert all(v.model == clf.name for v in verdicts)
    assert clf.name.startswith("sentiment@")
    # language and reasons still come from the offline rules
    assert [v.language for v in verdicts] == ["en", "en", "en", "fa", "tl", "en", "ar"]
    assert verdicts[2].reasons or verdicts[2].severity.value == "low"


def test_generic_label_names_use_their_index(tmp_path: Path) -> None:
    path = _save_tiny_model(tmp_path / "generic", None, 3)  # LABEL_0..LABEL_2
    clf = load_classifier(backend="transformers", sentiment_model=str(path), batch_size=2)
    got = np.array(
        [
            [v.sentiment_scores[k] for k in ("negative", "neutral", "positive")]
            for v in clf.classify(TEXTS[:4])
        ]
    )
    np.testing.assert_allclose(got, _reference(path, TEXTS[:4]), atol=1e-5)


def test_complaint_model(sentiment_dir: Path, complaint_dir: Path) -> None:
    clf = load_classifier(
        backend="transformers",
        sentiment_model=str(sentiment_dir),
        complaint_model=str(complaint_dir),
        batch_size=4,
        complaint_threshold=0.5,
    )
    verdicts = clf.classify(TEXTS)
    model = _reference(complaint_dir, TEXTS)[:, 1]
    assert [v.language for v in verdicts] == ["en", "en", "en", "fa", "tl", "en", "ar"]
    # English posts: the complaint model's probability...
    np.testing.assert_allclose(
        [verdicts[i].complaint for i in (0, 1, 5)], model[[0, 1, 5]], atol=1e-5
    )
    # ...and a severity reason ("the app is down") counts even where the model shrugs
    assert verdicts[2].reasons and verdicts[2].complaint >= model[2] - 1e-6
    # the other languages: the complaint rule on the model's sentiment, as with no complaint
    # model (one fine-tuned on English complaints transfers poorly)
    rule = load_classifier(backend="transformers", sentiment_model=str(sentiment_dir))
    np.testing.assert_allclose(
        [verdicts[i].complaint for i in (3, 4, 6)],
        [v.complaint for v in rule.classify([TEXTS[i] for i in (3, 4, 6)])],
        atol=1e-9,
    )
    assert [v.is_complaint for v in verdicts] == [v.complaint >= 0.5 for v in verdicts]
    assert "complaint@" in clf.name


def test_batch_size_and_order_do_not_change_results(sentiment_dir: Path) -> None:
    one = TransformerClassifier(sentiment_model=str(sentiment_dir), batch_size=1)
    many = TransformerClassifier(sentiment_model=str(sentiment_dir), batch_size=32)
    a = one.sentiment_probabilities(TEXTS)
    b = many.sentiment_probabilities(TEXTS[::-1])[::-1]
    np.testing.assert_allclose(a, b, atol=1e-5)
    assert one.sentiment_probabilities([]).shape == (0, 3)


def test_half_a_surrogate_pair_reads_as_the_replacement_character(sentiment_dir: Path) -> None:
    # a tokenizer refuses a lone surrogate (JSON keeps an emoji cut in two as one)
    clf = TransformerClassifier(sentiment_model=str(sentiment_dir))
    np.testing.assert_allclose(
        clf.sentiment_probabilities(["my order is late \ud83d"]),
        clf.sentiment_probabilities(["my order is late \ufffd"]),
    )
    assert clf.classify(["thank you \udc00"])[0].language == "en"


@pytest.mark.parametrize("arch", ["bert", "xlm-roberta"])
def test_last_layer_runs_on_the_first_token_only_with_the_same_results(
    tmp_path: Path, arch: str
) -> None:
    path = _save_tiny_model(tmp_path / arch, None, 3, arch=arch, layers=2)
    clf = TransformerClassifier(sentiment_model=str(path), batch_size=4)
    last = clf._sentiment.model.base_model.encoder.layer[-1]
    assert type(last).__name__ == "FirstTokenLayer"  # the shortcut is on for BERT-style models
    # padded batches of mixed lengths give what the untouched model gives one text at a time
    np.testing.assert_allclose(
        clf.sentiment_probabilities(TEXTS), _reference(path, TEXTS), atol=1e-5
    )


def test_int8_quantisation_runs(sentiment_dir: Path) -> None:
    clf = TransformerClassifier(sentiment_model=str(sentiment_dir), quantize=True)
    probs = clf.sentiment_probabilities(TEXTS)
    assert probs.shape == (len(TEXTS), 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert "+int8" in clf.name


def test_unloadable_model_falls_back_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "no-such-model"
    with caplog.at_level(logging.WARNING, logger="classifiers"):
        clf = load_classifier(backend="transformers", sentiment_model=str(missing))
    assert isinstance(clf, OfflineClassifier)
    [record] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert str(missing) in record.getMessage()
    assert "offline" in record.getMessage()


NO_FOLDER = "(a local model is a folder with config.json; a hub id looks like org/name)"


def test_a_model_written_as_a_path_that_is_no_folder_is_named_as_such(
    sentiment_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """transformers reads a missing folder as a hub id and answers with the hub's rules for
    one ("Repo id must use alphanumeric chars"); the setting and the folder are named instead,
    and the offline default still takes over."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    with caplog.at_level(logging.WARNING, logger="classifiers"):
        clf = load_classifier(backend="transformers", sentiment_model="./nope")
    assert isinstance(clf, OfflineClassifier)
    [record] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert f"(sentiment_model: no folder ./nope {NO_FOLDER}); using the offline default" in (
        record.getMessage()
    )
    assert "Repo id" not in caplog.text
    for path in ("../nope", str(tmp_path / "nope"), "~/nope"):
        with pytest.raises(ClassifierError, match=r"^complaint_model: no folder .*nope \("):
            TransformerClassifier(sentiment_model=str(sentiment_dir), complaint_model=path)


def test_a_model_folder_under_home_is_read(
    sentiment_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``~`` is expanded (transformers would take ``~/models/x`` for a hub id)."""
    import shutil

    shutil.copytree(sentiment_dir, tmp_path / "models" / "mine")
    monkeypatch.setenv("HOME", str(tmp_path))
    clf = TransformerClassifier(sentiment_model="~/models/mine")
    assert clf.name.startswith("mine@local+")
    np.testing.assert_allclose(
        clf.sentiment_probabilities(TEXTS[:2]), _reference(sentiment_dir, TEXTS[:2]), atol=1e-5
    )


def test_a_hub_id_goes_to_the_hub_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """An id is no path, whatever folders there are: the hub's own failure is reported (no
    network in tests: offline mode, the answer it gives without one, at once)."""
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    with pytest.raises(ClassifierError) as caught:
        TransformerClassifier(sentiment_model="replywatch-tests/no-such-model")
    message = str(caught.value)
    assert message.startswith("cannot load model 'replywatch-tests/no-such-model': ")
    assert "no folder" not in message


def test_the_command_line_names_a_missing_model_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer
    from typer.testing import CliRunner

    from monitor.cli_classify import register

    app = typer.Typer()
    register(app)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.csv").write_text("text,label\nbad,complaint\ngood,not_complaint\n")
    args = ["--backend", "transformers", "--sentiment-model", "./nope"]
    result = CliRunner().invoke(app, ["classifier", "eval", "--data", "c.csv", *args])
    assert result.exit_code == 2
    assert result.stderr == f"error: sentiment_model: no folder ./nope {NO_FOLDER}\n"
    result = CliRunner().invoke(app, ["classify", *args], input="my order is late\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["model"].startswith("offline@")


def test_a_finetuned_models_sentiment_is_mixed_with_the_offline_models(
    sentiment_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import shutil

    from classifiers.transformer import FINETUNE_META

    alone = load_classifier(backend="transformers", sentiment_model=str(sentiment_dir))
    model = alone.sentiment_probabilities(TEXTS)
    order = ("negative", "neutral", "positive")
    # the offline models' own sentiment, before the rule that rules out positive for a
    # complaint naming harm (TEXTS[2], "the app is down"): it applies to their verdicts only
    offline = OfflineClassifier().sentiment_probabilities(TEXTS)
    mixed_dir = tmp_path / "mixed"
    shutil.copytree(sentiment_dir, mixed_dir)
    meta = {"trained_at": "2026-11-22T19:00:00+00:00", "offline_share": 0.25}
    (mixed_dir / FINETUNE_META).write_text(json.dumps(meta))

    clf = load_classifier(backend="transformers", sentiment_model=str(mixed_dir))
    verdicts = clf.classify(TEXTS)
    got = np.array([[v.sentiment_scores[k] for k in order] for v in verdicts])
    np.testing.assert_allclose(got, 0.75 * model + 0.25 * offline, atol=1e-6)
    assert not np.allclose(got, model, atol=1e-3)  # the offline share changed the scores
    assert [v.sentiment.value for v in verdicts] == [order[i] for i in got.argmax(axis=1)]
    assert clf.name.startswith("mixed@ft-20261122T190000~offline0.25+offline@")

    # a share outside 0..1 is refused by name, and the offline default takes over
    meta["offline_share"] = 1.5
    (mixed_dir / FINETUNE_META).write_text(json.dumps(meta))
    with caplog.at_level(logging.WARNING, logger="classifiers"):
        clf = load_classifier(backend="transformers", sentiment_model=str(mixed_dir))
    assert isinstance(clf, OfflineClassifier)
    assert "offline_share in its replywatch-finetune.json must be a number from 0 to 1" in (
        caplog.text
    )


def test_labels_we_cannot_map_fall_back(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _save_tiny_model(tmp_path / "emotion", {0: "joy", 1: "anger"}, 2)
    with caplog.at_level(logging.WARNING, logger="classifiers"):
        clf = load_classifier(backend="transformers", sentiment_model=str(path))
    assert isinstance(clf, OfflineClassifier)
    assert "cannot map sentiment label" in caplog.text


def test_quantize_from_the_command_line_and_the_settings(sentiment_dir: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from monitor.app import _default_classifier
    from monitor.cli_classify import register
    from monitor.settings import ClassifierSettings
    from monitor.settings_file import load_settings

    app = typer.Typer()
    register(app)
    args = ["classify", "--backend", "transformers", "--sentiment-model", str(sentiment_dir)]
    result = CliRunner().invoke(app, [*args, "--quantize"], input="my order is late\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["model"].startswith("sentiment@local+int8")
    # int8 is CPU-only: asking for it on a GPU is an error, not a silent offline fallback
    result = CliRunner().invoke(app, [*args, "--quantize", "--device", "cuda"], input="x\n")
    assert result.exit_code == 2
    assert "quantize (int8) runs on the CPU only" in result.output
    assert "Traceback" not in result.output

    demo = load_settings(Path(__file__).resolve().parents[2] / "config" / "demo.yaml")
    classifier = ClassifierSettings(
        backend="transformers", sentiment_model=str(sentiment_dir), quantize=True
    )
    settings = demo.model_copy(update={"classifier": classifier})
    assert "+int8" in _default_classifier(settings).name
