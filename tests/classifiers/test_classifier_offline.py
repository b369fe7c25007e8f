"""The offline default: the Classifier contract, its artifact, training on small data."""

import csv
import json
import math
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from classifiers import (
    Classifier,
    OfflineClassifier,
    Sentiment,
    Severity,
    Verdict,
    load_classifier,
)
from classifiers.cues import N_EXTRA
from classifiers.linear import ARTIFACT_NAME, FORMAT, Artifact, LinearModel
from classifiers.train import (
    Example,
    by_language,
    cross_validate_product,
    default_version,
    main,
    train_artifact,
)
from monitor.errors import ClassifierError

TEXTS = [
    "@acme my order never arrived and nobody answers. Worst service ever!",
    "Loving the new flavour, thank you @acme",
    "غذا سرد بود و هنوز پولم برنگشته",
    "الطلب لم يصل حتى الآن وخدمة العملاء لا ترد",
    "Grabe ang tagal ng delivery ko, wala pa rin hanggang ngayon",
    "",
    "What time does the store open on Sunday?",
]


@pytest.fixture(scope="module")
def clf() -> OfflineClassifier:
    c = load_classifier()
    assert isinstance(c, OfflineClassifier)
    return c


def test_meets_the_protocol(clf: OfflineClassifier) -> None:
    assert isinstance(clf, Classifier)
    assert clf.name.startswith("offline@")


def test_one_verdict_per_text_in_order(clf: OfflineClassifier) -> None:
    verdicts = clf.classify(TEXTS)
    assert len(verdicts) == len(TEXTS)
    reversed_verdicts = clf.classify(TEXTS[::-1])
    assert reversed_verdicts[::-1] == verdicts
    assert clf.classify([]) == []


def test_verdicts_do_not_depend_on_the_batch(clf: OfflineClassifier) -> None:
    together = clf.classify(TEXTS)
    for text, verdict in zip(TEXTS, together, strict=True):
        [alone] = clf.classify([text])
        assert alone.sentiment is verdict.sentiment
        assert alone.complaint == pytest.approx(verdict.complaint, abs=1e-6)


def test_verdict_fields_are_consistent(clf: OfflineClassifier) -> None:
    for v in clf.classify(TEXTS):
        assert isinstance(v, Verdict)
        assert set(v.sentiment_scores) == {"negative", "neutral", "positive"}
        assert math.isclose(sum(v.sentiment_scores.values()), 1.0, abs_tol=1e-6)
        assert v.sentiment.value == max(v.sentiment_scores, key=v.sentiment_scores.__getitem__)
        assert 0.0 <= v.complaint <= 1.0
        assert v.is_complaint == (v.complaint >= clf.complaint_threshold)
        assert v.model == clf.name
        assert v.language == (v.languages[0] if v.languages else "und")


def test_complaints_in_four_languages_and_praise(clf: OfflineClassifier) -> None:
    v = clf.classify(TEXTS)
    for i in range(5):
        expect_complaint = i != 1
        assert v[i].is_complaint is expect_complaint, TEXTS[i]
    assert v[1].sentiment is Sentiment.POSITIVE
    assert v[1].severity is Severity.LOW
    assert [x.language for x in v[:5]] == ["en", "en", "fa", "ar", "tl"]


def test_threshold_moves_the_decision() -> None:
    strict = load_classifier(complaint_threshold=0.99)
    lenient = load_classifier(complaint_threshold=0.01)
    text = ["Still waiting for my refund @acme"]
    [hi], [lo] = strict.classify(text), lenient.classify(text)
    assert hi.complaint == pytest.approx(lo.complaint)
    assert not hi.is_complaint
    assert lo.is_complaint


def test_bad_arguments_are_classifier_errors(tmp_path: Path) -> None:
    with pytest.raises(ClassifierError, match="unknown classifier backend"):
        load_classifier(backend="magic")
    with pytest.raises(ClassifierError, match="complaint_threshold"):
        load_classifier(complaint_threshold=1.5)
    with pytest.raises(ClassifierError, match="not found"):
        load_classifier(model_dir=tmp_path)
    (tmp_path / ARTIFACT_NAME).write_bytes(b"not a zip file")
    with pytest.raises(ClassifierError, match="unreadable"):
        load_classifier(model_dir=tmp_path)


def _toy_data() -> dict[str, list[Example]]:
    complaints = [
        f"@shop{i} my {thing} is {state}, still waiting for a refund"
        for i, (thing, state) in enumerate(
            [
                (t, s)
                for t in ("order", "parcel", "phone", "bag")
                for s in ("late", "broken", "lost")
            ]
        )
    ]
    fine = [
        f"@shop{i} {word} day at the {place} today"
        for i, (word, place) in enumerate(
            [
                (w, p)
                for w in ("lovely", "sunny", "great", "calm")
                for p in ("beach", "park", "lake")
            ]
        )
    ]
    sentiment = [Example(f"I {w} this so much", "positive") for w in ("love", "adore", "like")]
    sentiment += [Example(f"I {w} this so much", "negative") for w in ("hate", "loathe", "detest")]
    sentiment += [Example(f"the {w} opens at nine", "neutral") for w in ("shop", "bank", "mall")]
    return {
        "complaint-en": [Example(t, "complaint") for t in complaints]
        + [Example(t, "not_complaint") for t in fine],
        "sentiment-en": sentiment * 3,
    }


def test_train_save_load_round_trip(tmp_path: Path) -> None:
    artifact = train_artifact(_toy_data(), folds=3, version="test")
    assert set(artifact.models) == {"complaint-en", "sentiment-en"}
    assert set(artifact.meta["cv"]) == {"complaint-en", "sentiment-en"}
    path = artifact.save(tmp_path)
    assert path.name == ARTIFACT_NAME
    loaded = Artifact.load(tmp_path)
    assert loaded.version == "test"
    for name, model in artifact.models.items():
        other = loaded.models[name]
        assert other.labels == model.labels
        np.testing.assert_array_equal(other.cols, model.cols)

    before = OfflineClassifier(artifact)
    after = OfflineClassifier(model_dir=tmp_path)
    assert after.name == "offline@test"
    texts = ["@shop9 my order is lost, still waiting", "lovely day at the lake", "I hate this"]
    for a, b in zip(before.classify(texts), after.classify(texts), strict=True):
        assert b.complaint == pytest.approx(a.complaint, abs=1e-2)
        assert b.sentiment is a.sentiment
    va, vb, vc = after.classify(texts)
    assert va.is_complaint
    assert not vb.is_complaint
    assert vc.sentiment is Sentiment.NEGATIVE


def test_a_refit_is_versioned_by_its_date_and_weights(tmp_path: Path) -> None:
    """Two refits of one day got the same version (the date) and so the same model name in
    their verdicts; now the version ends with the digest of the weights, so verdicts name
    the weights that gave them."""
    data = _toy_data()
    first = train_artifact(data)
    data["sentiment-en"] = data["sentiment-en"][:-3]  # other rows: other weights, same day
    second = train_artifact(data)
    for artifact in (first, second):
        assert re.fullmatch(r"\d{8}-[0-9a-f]{8}", artifact.version)
        stamp = datetime.fromisoformat(artifact.meta["trained_at"])
        assert artifact.version == default_version(stamp, artifact.weights_digest())
    assert first.version[:8] == second.version[:8]
    assert first.version != second.version
    first.save(tmp_path)
    loaded = Artifact.load(tmp_path)
    assert loaded.weights_digest() == first.weights_digest() == loaded.meta["weights_sha256"]


def test_train_command_takes_a_version(tmp_path: Path) -> None:
    for name, rows in _toy_data().items():
        folder = tmp_path / "data" / {"complaint-en": "complaints-en"}.get(name, name)
        folder.mkdir(parents=True)
        with (folder / "train.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["text", "label"])
            writer.writerows((e.text, e.label) for e in rows)
    out = tmp_path / "model"
    args = ["--data", str(tmp_path / "data"), "--out", str(out)]
    assert main([*args, "--version", "20261124-hotfix"]) == 0
    assert OfflineClassifier(model_dir=out).name == "offline@20261124-hotfix"
    assert main(args) == 0
    artifact = Artifact.load(out)
    assert artifact.version.endswith("-" + artifact.weights_digest()[:8])


def test_the_shipped_version_names_its_weights() -> None:
    artifact = Artifact.load()
    assert artifact.version.endswith("-" + artifact.weights_digest()[:8])


def test_artifact_of_an_older_format_asks_for_a_refit(tmp_path: Path) -> None:
    path = train_artifact(_toy_data(), version="test").save(tmp_path)
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(arrays["meta"].tobytes())
    meta["format"] = FORMAT - 1  # fitted on the inputs of an earlier release
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez_compressed(path, **arrays)
    with pytest.raises(ClassifierError, match="refit it with `replywatch classifier train`"):
        load_classifier(model_dir=tmp_path)


def test_artifact_holds_no_text(tmp_path: Path) -> None:
    artifact = train_artifact(_toy_data(), version="test")
    path = artifact.save(tmp_path)
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = arrays.pop("meta").tobytes().decode("utf-8")
    for name, array in arrays.items():
        assert array.dtype.kind in "iuf", name  # numbers only: no strings, no objects
    for fragment in ("refund", "lovely", "still waiting", "shop"):
        assert fragment not in meta


def test_packaged_artifact_is_small_and_complete() -> None:
    path = Path(__file__).resolve().parents[2] / "classifiers" / "models" / ARTIFACT_NAME
    assert path.stat().st_size < 5_000_000
    artifact = Artifact.load(path)
    assert set(artifact.models) == {
        "complaint-en",
        "sentiment-en",
        "sentiment-ar",
        "sentiment-fa",
        "sentiment-tl",
    }


def test_persian_posts_are_negative_or_positive_never_neutral(clf: OfflineClassifier) -> None:
    # the Persian model knows two labels; a neutral band would call a sixth of polar reviews
    # neutral (see the model card), so even a plain question gets one side
    texts = [
        "غذا عالی بود، ممنون",
        "پیک خیلی دیر رسید و غذا سرد بود",
        "ساعت کاری شعبه ونک تا کی است؟",
        "سفارش امروز رسید",
    ]
    verdicts = clf.classify(texts)
    assert [v.language for v in verdicts] == ["fa"] * 4
    assert all(v.sentiment is not Sentiment.NEUTRAL for v in verdicts)
    assert all(v.sentiment_scores["neutral"] == 0.0 for v in verdicts)
    assert verdicts[0].sentiment is Sentiment.POSITIVE
    assert verdicts[1].sentiment is Sentiment.NEGATIVE


def test_persian_on_an_arabic_keyboard_gets_the_same_verdict(clf: OfflineClassifier) -> None:
    # ي and ك for ی and ک: the same post to its reader, so the same verdict
    texts = [
        "سفارشم هنوز نرسیده و پشتیبانی جواب نمیده",
        "کیفیت غذا خیلی بد بود، دیگه سفارش نمیدم",
        "مثل همیشه عالی بود، دستتون درد نکنه",
    ]
    typed = [t.replace("ی", "ي").replace("ک", "ك") for t in texts]
    for persian, arabic_keys in zip(clf.classify(texts), clf.classify(typed), strict=True):
        assert persian.language == arabic_keys.language == "fa"
        assert persian.sentiment_scores == pytest.approx(arabic_keys.sentiment_scores)
        assert persian.complaint == pytest.approx(arabic_keys.complaint)
        assert persian.severity is arabic_keys.severity


def _reviews() -> dict[str, list[Example]]:
    """A Tagalog set with English reviews in it, and an English set."""
    items = ("bag", "shirt", "phone", "mouse", "lamp", "mug")
    tl = [Example(f"Salamat po, ang ganda ng {w}, sulit talaga", "positive") for w in items]
    tl += [Example(f"Ang pangit ng {w}, sira agad, sayang lang", "negative") for w in items]
    english = [Example(f"I love this {w}, great quality", "positive") for w in items]
    english += [Example(f"This {w} is awful, broken on arrival", "negative") for w in items]
    tweets = [Example(f"so happy with the {w} today, love it", "positive") for w in items]
    tweets += [Example(f"the {w} is terrible and I hate it", "negative") for w in items]
    return {"sentiment-tl": tl + english, "sentiment-en": tweets}


def test_each_sentiment_model_also_trains_on_other_sets_rows_in_its_language() -> None:
    data = _reviews()
    data["sentiment-ar"] = [
        Example("الخدمة ممتازة جدا", "positive"),
        Example("غذا سرد بود و دیر رسید", "negative"),  # Persian, in the Arabic set
        Example("سفارش امروز رسید", "neutral"),  # Persian, but fa has no neutral label
    ]
    rows = by_language(data)
    english = [e for e in data["sentiment-tl"] if e.text.startswith(("I love", "This"))]
    assert rows["sentiment-en"] == data["sentiment-en"] + english
    assert rows["sentiment-tl"] == data["sentiment-tl"]  # they stay in their own set too
    assert rows["sentiment-fa"] == [data["sentiment-ar"][1]]
    assert rows["sentiment-ar"] == data["sentiment-ar"]


def test_product_cross_validation_refits_every_model_the_held_out_rows_train() -> None:
    data = _reviews()
    # a base artifact whose English model has learnt the labels the wrong way round
    flipped = {
        "sentiment-tl": [e for e in data["sentiment-tl"] if not e.text.startswith(("I", "This"))],
        "sentiment-en": [
            Example(e.text, {"positive": "negative", "negative": "positive"}[e.label])
            for e in data["sentiment-en"] + data["sentiment-tl"]
            if not e.text.startswith(("Salamat", "Ang"))
        ],
    }
    base = train_artifact(flipped, version="test")
    f1, pred = cross_validate_product(data, "sentiment-tl", base, folds=3)
    truth = [e.label for e in data["sentiment-tl"]]
    assert len(pred) == len(truth)
    # the English reviews are read by the English model, refitted in each fold on the right
    # labels (the flipped base model would get every one of them wrong)
    english = [i for i, e in enumerate(data["sentiment-tl"]) if e.text.startswith(("I", "This"))]
    assert sum(pred[i] == truth[i] for i in english) >= len(english) - 2
    assert f1 >= 0.8
    # a two-way set is scored on its own two labels
    assert set(pred) <= {"negative", "neutral", "positive"}


def test_the_english_complaint_model_scores_english_posts_only(clf: OfflineClassifier) -> None:
    # a complaint model that calls everything a complaint, in place of the shipped one
    always = LinearModel(
        labels=("complaint", "not_complaint"),
        cols=np.zeros(0, dtype=np.int32),
        coef=np.zeros((0, 1), dtype=np.float32),
        extra=np.zeros((N_EXTRA, 1), dtype=np.float32),
        bias=np.array([-20.0], dtype=np.float32),  # P(not_complaint) ~ 0
    )
    models = {**clf.artifact.models, "complaint-en": always}
    swapped = OfflineClassifier(Artifact(models, clf.artifact.version))
    texts = [
        "Thank you, the coffee was lovely",
        "Sobrang ganda ng tela at mabilis dumating, salamat po",
        "خیلی خوشمزه بود، ممنون",
    ]
    english, tagalog, persian = swapped.classify(texts)
    assert english.language == "en" and english.is_complaint
    # Tagalog and Persian praise: their complaint score is the rule's, not the English model's
    for verdict, original in zip((tagalog, persian), clf.classify(texts[1:]), strict=True):
        assert verdict.language in ("tl", "fa")
        assert not verdict.is_complaint
        assert verdict.complaint == pytest.approx(original.complaint)


def test_a_script_no_model_reads_is_neutral(clf: OfflineClassifier) -> None:
    # Russian, Urdu, Japanese: "my order still hasn't come". The English model would read
    # hashes it never saw (it called the Russian one positive); emoji alone it does read.
    texts = ["Заказ до сих пор не пришёл", "میرا آرڈر ابھی تک نہیں پہنچا", "注文がまだ届きません"]
    for v in clf.classify(texts):
        assert v.language == "und"
        assert v.sentiment is Sentiment.NEUTRAL
        assert v.sentiment_scores == {"negative": 0.0, "neutral": 1.0, "positive": 0.0}
        assert not v.is_complaint
    [angry] = clf.classify(["😡😡😡"])
    assert angry.sentiment is Sentiment.NEGATIVE
