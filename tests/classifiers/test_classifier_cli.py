"""`replywatch classify` and `replywatch classifier eval|train`, through a Typer app of our own."""

import csv
import json
import queue
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner, Result

from classifiers import OfflineClassifier, load_classifier
from classifiers.linear import Artifact
from tests.classifiers.label_support import store_labels, write_config

REPO = Path(__file__).resolve().parents[2]


def _write_csv(
    path: Path, rows: list[tuple[str, str]], header: tuple[str, ...] = ("text", "label")
) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


COMPLAINTS = [
    "@acme my order never arrived, still waiting for a refund",
    "@acme the app is down again, fix it",
    "worst customer service ever, three weeks and no reply",
    "my parcel arrived broken and nobody answers the phone",
    "charged twice for one order, unacceptable",
    "@acme why is my delivery late again?? so disappointed",
]
NOT_COMPLAINTS = [
    "lovely sunny day at the beach today",
    "thank you @acme, the coffee was great",
    "watching the match tonight with friends",
    "happy birthday to my sister!",
    "just finished a great book",
    "the new album is amazing",
]


def test_classify_json_lines(app: typer.Typer) -> None:
    stdin = "I'll sue you, my refund never came\n\n  \nغذا عالی بود، ممنون\n"
    result = CliRunner().invoke(app, ["classify"], input=stdin)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 4  # blank lines are answered too, so that line N answers line N
    first, second = (json.loads(line) for line in (lines[0], lines[3]))
    assert first["text"] == "I'll sue you, my refund never came"
    assert first["reasons"] == ["legal_threat"]
    assert first["severity"] == "critical"
    assert second["language"] == "fa"
    assert second["sentiment"] == "positive"
    assert set(first) >= {"sentiment_scores", "complaint", "is_complaint", "model", "languages"}


def test_classify_reads_bytes_that_are_not_utf8_as_replacement_characters(
    app: typer.Typer,
) -> None:
    result = CliRunner().invoke(
        app, ["classify"], input=b"\xff\xfe still waiting for my refund, worst service ever\n"
    )
    assert result.exit_code == 0, result.output
    (verdict,) = (json.loads(line) for line in result.stdout.splitlines())
    assert verdict["text"] == "\ufffd\ufffd still waiting for my refund, worst service ever"
    assert verdict["is_complaint"]


def test_classify_drops_a_leading_byte_order_mark(app: typer.Typer) -> None:
    stdin = "\ufeffmy order never arrived\n\ufeffsecond line keeps it\n".encode()
    result = CliRunner().invoke(app, ["classify"], input=stdin)
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line)["text"] for line in result.stdout.splitlines())
    assert first == "my order never arrived"
    assert second == "\ufeffsecond line keeps it"  # only the stream's first bytes are a BOM


def test_classify_writes_each_verdict_before_the_next_line_comes() -> None:
    """A producer that sends one post and waits for its verdict gets it (stdin still open)."""
    lines: queue.Queue[bytes] = queue.Queue()
    with subprocess.Popen(
        [sys.executable, "-m", "monitor", "classify"],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        stdout = proc.stdout

        def read() -> None:  # a thread, so that a verdict that never comes fails, not hangs
            for line in stdout:
                lines.put(line)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            for text in ("my order never arrived, refund me", "lovely sunny day at the beach"):
                proc.stdin.write(text.encode() + b"\n")
                proc.stdin.flush()
                try:
                    verdict = json.loads(lines.get(timeout=60))
                except queue.Empty:
                    pytest.fail(f"no verdict for {text!r} while stdin stayed open")
                assert verdict["text"] == text
            proc.stdin.close()
            assert proc.wait(timeout=60) == 0
        finally:
            proc.kill()
            proc.wait()
            reader.join(timeout=10)
    assert lines.empty()


def test_classify_table(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["classify", "--format", "table"], input="rude staff!!\n")
    assert result.exit_code == 0, result.output
    assert "severity" in result.stdout
    assert "rude staff" in result.stdout
    assert "staff_conduct" in result.stdout


def test_classify_table_shows_post_text_as_written(app: typer.Typer) -> None:
    text = "rude staff [/red] [quote]why[/quote] :x:\n"
    result = CliRunner().invoke(app, ["classify", "--format", "table"], input=text)
    assert result.exit_code == 0, result.output
    assert "[/red] [quote]why[/quote] :x:" in result.stdout


def test_classify_bad_backend_is_one_line_error(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["classify", "--backend", "magic"], input="hi\n")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.output


def test_eval_shipped_model(app: typer.Typer, tmp_path: Path) -> None:
    rows = [(t, "complaint") for t in COMPLAINTS] + [(t, "not_complaint") for t in NOT_COMPLAINTS]
    data = _write_csv(tmp_path / "c.csv", rows)
    result = CliRunner().invoke(app, ["classifier", "eval", "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.stdout
    assert "precision" in result.stdout
    assert "true \\ predicted" in result.stdout
    # the shipped model gets these plain cases right
    clf = load_classifier()
    assert isinstance(clf, OfflineClassifier)
    got = [v.is_complaint for v in clf.classify([t for t, _ in rows])]
    assert sum(got[:6]) >= 5
    assert sum(got[6:]) <= 1


def test_eval_prints_the_csv_name_as_written(app: typer.Typer, tmp_path: Path) -> None:
    """The report's title names the CSV: brackets in a file name are text, not markup
    (``[v2]`` and ``[bold]`` vanished)."""
    rows = [(t, "complaint") for t in COMPLAINTS] + [(t, "not_complaint") for t in NOT_COMPLAINTS]
    for name in ("run[v2].csv", "run[bold]x.csv"):
        data = _write_csv(tmp_path / name, rows)
        result = CliRunner().invoke(app, ["classifier", "eval", "--data", str(data)])
        assert result.exit_code == 0, result.output
        assert f"on {name} (complaint): 12 texts" in result.stdout


def test_eval_cross_validation(app: typer.Typer, tmp_path: Path) -> None:
    rows = [(t, "complaint") for t in COMPLAINTS] + [(t, "not_complaint") for t in NOT_COMPLAINTS]
    data = _write_csv(tmp_path / "c.csv", rows)
    result = CliRunner().invoke(app, ["classifier", "eval", "--data", str(data), "--cv", "3"])
    assert result.exit_code == 0, result.output
    assert "3-fold cross-validation" in result.stdout


def test_eval_cross_validation_over_several_fold_seeds(app: typer.Typer, tmp_path: Path) -> None:
    rows = [(t, "complaint") for t in COMPLAINTS] + [(t, "not_complaint") for t in NOT_COMPLAINTS]
    data = _write_csv(tmp_path / "c.csv", rows)
    args = ["classifier", "eval", "--data", str(data), "--cv", "3"]
    result = CliRunner().invoke(app, [*args, "--seeds", "3"])
    assert result.exit_code == 0, result.output
    (line,) = [ln for ln in result.stdout.splitlines() if "over fold seeds 0-2" in ln]
    mean, rest = line.split(": ")[1].split(" ± ")
    runs = [float(f) for f in rest.split("(")[1].rstrip(")").split(", ")]
    assert len(runs) == 3
    assert float(mean) == pytest.approx(sum(runs) / 3, abs=0.051)
    # the first split is the one --seeds 1 reports
    single = CliRunner().invoke(app, args).stdout
    assert f"macro-F1 {runs[0]:.1f}" in single
    # without --cv there is nothing to repeat
    result = CliRunner().invoke(app, ["classifier", "eval", "--data", str(data), "--seeds", "3"])
    assert result.exit_code == 2
    assert "--cv" in result.stderr


def test_eval_scores_a_two_way_set_on_its_own_labels(app: typer.Typer, tmp_path: Path) -> None:
    from sklearn.metrics import f1_score

    rows = [
        ("I love this, thank you so much", "positive"),
        ("great coffee and lovely staff", "positive"),
        ("the store opens at nine on Sunday", "positive"),  # reads as neutral
        ("worst service ever, I hate it", "negative"),
        ("my order is late again, so disappointed", "negative"),
        ("the train leaves at ten", "negative"),  # reads as neutral
    ]
    data = _write_csv(tmp_path / "two.csv", rows)
    pred = [v.sentiment.value for v in load_classifier().classify([t for t, _ in rows])]
    assert "neutral" in pred  # else this test proves nothing
    expected = f1_score(
        [lab for _, lab in rows], pred, labels=["negative", "positive"], average="macro"
    )
    args = ["classifier", "eval", "--data", str(data), "--task", "sentiment"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"macro-F1 {100 * expected:.1f}" in result.stdout
    assert f"{pred.count('neutral')} predicted neutral count as misses" in result.stdout


def _matrix_rows(stdout: str) -> dict[str, list[str]]:
    """The confusion matrix's rows, by true label, as printed."""
    table = stdout[stdout.index("true \\ predicted") :]
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in table.splitlines()]
    return {row[0]: row[1:] for row in cells if row}


def test_eval_on_a_csv_of_one_label_notes_it_and_warns_nothing(
    app: typer.Typer, tmp_path: Path
) -> None:
    """A CSV of complaints only is a recall check: it is scored, with one line saying the
    figure is that label's F1, and no library warning (sklearn warns when every text and
    every verdict has the same label)."""
    texts = [*COMPLAINTS, NOT_COMPLAINTS[0]]  # all labelled complaint below
    found = [v.is_complaint for v in load_classifier().classify(texts)]
    caught = [t for t, hit in zip(texts, found, strict=True) if hit]
    missed = [t for t, hit in zip(texts, found, strict=True) if not hit]
    assert len(caught) >= 2 and missed  # else this test proves nothing
    data = _write_csv(tmp_path / "all.csv", [(t, "complaint") for t in caught])
    result = CliRunner().invoke(app, ["classifier", "eval", "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert "(the CSV holds one label only, complaint: macro-F1 is that label's F1)" in (
        result.stdout
    )
    assert _matrix_rows(result.stdout) == {"complaint": [str(len(caught))]}
    rows = [(t, "complaint") for t in texts]
    result = CliRunner().invoke(
        app, ["classifier", "eval", "--data", str(_write_csv(tmp_path / "some.csv", rows))]
    )
    assert result.exit_code == 0, result.output
    assert "one label only, complaint" in result.stdout
    assert _matrix_rows(result.stdout) == {
        "complaint": [str(len(caught)), str(len(missed))],
        "not_complaint": ["0", "0"],
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "file not found"),
        ("text,rating\nhello,5\n", "no label column"),
        ("body,label\nhello,complaint\n", "no text column"),
        ("text,label\nhello,angry\n", "not complaint labels"),
        ("text,label\n", "no labelled rows"),
    ],
)
def test_eval_bad_input(
    app: typer.Typer, tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(app, ["classifier", "eval", "--data", str(path)])
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_eval_cv_with_too_few_rows(app: typer.Typer, tmp_path: Path) -> None:
    data = _write_csv(tmp_path / "s.csv", [("good", "positive"), ("bad", "negative")])
    result = CliRunner().invoke(
        app, ["classifier", "eval", "--data", str(data), "--task", "sentiment", "--cv", "5"]
    )
    assert result.exit_code == 2
    assert "cross-validation" in result.stderr


def _labels_in_database(config: Path) -> None:
    from monitor.models import Label

    store_labels(
        config,
        [
            Label(
                text="پیک خیلی دیر آمد",
                language="fa",
                task="sentiment",
                label="negative",
                actor="ana",
            ),
            Label(text="عالی بود", language=None, task="sentiment", label="positive", actor="ana"),
            Label(
                text="still no refund",
                language="en",
                task="complaint",
                label="complaint",
                actor="ana",
            ),
            Label(text="whatever", language="en", task="topic", label="x", actor="ana"),
            # no model learns Persian complaints (a rule scores them)
            Label(
                text="سفارشم هنوز نرسیده",
                language=None,
                task="complaint",
                label="complaint",
                actor="ana",
            ),
        ],
    )


def _complaint_data(tmp_path: Path) -> Path:
    """A base-data folder that holds complaints-en only."""
    data = tmp_path / "data"
    (data / "complaints-en").mkdir(parents=True)
    rows = [(t, "complaint") for t in COMPLAINTS] + [(t, "not_complaint") for t in NOT_COMPLAINTS]
    _write_csv(data / "complaints-en" / "train.csv", rows)
    return data


def _config_with_labels(tmp_path: Path) -> Path:
    config = write_config(tmp_path)
    _labels_in_database(config)
    return config


def _train(app: typer.Typer, *args: str | Path) -> Result:
    """``replywatch classifier train ARGS``, which must succeed."""
    result = CliRunner().invoke(app, ["classifier", "train", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result


def test_train_with_database_labels(app: typer.Typer, tmp_path: Path) -> None:
    data = _complaint_data(tmp_path)
    (data / "sentiment-fa").mkdir()
    _write_csv(
        data / "sentiment-fa" / "train.csv",
        [
            ("غذا عالی بود", "positive"),
            ("خیلی خوشمزه بود", "positive"),
            ("غذا سرد بود", "negative"),
            ("خیلی دیر رسید", "negative"),
        ],
    )
    config = _config_with_labels(tmp_path)
    out = tmp_path / "model"

    result = _train(app, "-c", config, "--data", data, "--out", out)
    assert "complaint-en: 13 texts (1 from the database)" in result.stdout
    assert "sentiment-fa: 6 texts (2 from the database)" in result.stdout
    assert "skipped 2 database labels" in result.stdout
    clf = load_classifier(model_dir=out)
    [v] = clf.classify(["@acme my parcel never arrived, still waiting for a refund"])
    assert v.is_complaint


def test_train_refits_only_models_with_base_data(app: typer.Typer, tmp_path: Path) -> None:
    """A few corrections alone never replace a model trained on thousands of posts: models
    whose base set is absent are kept as they were, and their labels wait."""
    data = _complaint_data(tmp_path)
    config = _config_with_labels(tmp_path)
    out = tmp_path / "model"

    result = _train(app, "-c", config, "--data", data, "--out", out)
    assert "complaint-en: 13 texts (1 from the database)" in result.stdout
    shipped = Artifact.load()
    assert f"sentiment-fa: kept from model {shipped.version}" in result.stdout
    assert "its 2 database labels wait for --data" in result.stdout
    refit = Artifact.load(out)
    assert refit.version.startswith("team-")
    assert set(refit.models) == set(shipped.models)
    for name in ("sentiment-en", "sentiment-ar", "sentiment-fa", "sentiment-tl"):
        np.testing.assert_array_equal(refit.models[name].coef, shipped.models[name].coef)
    assert refit.models["complaint-en"].cols.shape != shipped.models["complaint-en"].cols.shape

    # a second refit keeps them again, still naming the model they came from
    _train(app, "--data", data, "--out", out)
    assert Artifact.load(out).meta["kept"]["sentiment-fa"] == shipped.version


def test_train_with_a_config_without_model_dir_refuses_to_touch_the_shipped_model(
    app: typer.Typer, tmp_path: Path
) -> None:
    from classifiers.linear import ARTIFACT_NAME, DEFAULT_MODEL_DIR

    shipped = (DEFAULT_MODEL_DIR / ARTIFACT_NAME).read_bytes()
    config = write_config(tmp_path)
    assert "model_dir" not in config.read_text(encoding="utf-8")
    data = _complaint_data(tmp_path)
    result = CliRunner().invoke(
        app, ["classifier", "train", "-c", str(config), "--data", str(data)]
    )
    assert result.exit_code == 2
    assert "classifier.model_dir is not set" in result.stderr and "--out" in result.stderr
    assert (DEFAULT_MODEL_DIR / ARTIFACT_NAME).read_bytes() == shipped


def test_train_without_base_data_refuses(app: typer.Typer, tmp_path: Path) -> None:
    config = _config_with_labels(tmp_path)
    empty, out = tmp_path / "empty", tmp_path / "model"
    empty.mkdir()
    args = ["-c", str(config), "--data", str(empty), "--out", str(out)]
    result = CliRunner().invoke(app, ["classifier", "train", *args])
    assert result.exit_code == 2
    assert "no base data under" in result.stderr
    assert "--data" in result.stderr
    assert not out.exists()


def test_the_daemon_reads_the_model_train_writes(
    app: typer.Typer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from monitor.app import App
    from monitor.settings_file import load_settings

    config = write_config(tmp_path, "classifier:\n  model_dir: model\n")
    settings = load_settings(config)
    shipped = f"offline@{Artifact.load().version}"

    def classifier_name() -> str:
        application = App.build(settings, sources=[])
        try:
            return application.pipeline.classifier.name
        finally:
            application.close()

    assert classifier_name() == shipped  # nothing trained yet
    data = _complaint_data(tmp_path)
    result = _train(app, "-c", config, "--data", data)
    written = tmp_path / "model" / "offline.npz"  # relative to the config file
    assert f"wrote {written}" in result.stdout
    assert classifier_name() == f"offline@{Artifact.load(written).version}"

    # an unreadable refit (say, of an older format after an upgrade) does not stop the daemon
    written.write_bytes(b"not a model")
    with caplog.at_level("WARNING"):
        assert classifier_name() == shipped
    assert "classifier.model_dir" in caplog.text
    assert "using the shipped model" in caplog.text
    # and a refit over it starts again from the shipped models
    result = _train(app, "-c", config, "--data", data)
    assert "the models not refit come from the shipped model" in result.stderr
    assert classifier_name() == f"offline@{Artifact.load(written).version}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-c", "missing.yaml"], "not found"),
        (["--data", "no/such/folder"], "no such data folder"),
    ],
)
def test_train_bad_input(app: typer.Typer, tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["classifier", "train", "--out", str(tmp_path), *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_train_refuses_a_database_that_is_not_there(app: typer.Typer, tmp_path: Path) -> None:
    # a typo in database_url made an empty database (and its folders), and trained the team's
    # model on none of its corrections without a word
    config = write_config(tmp_path)
    typo = tmp_path / "nodir" / "rw.db"
    config.write_text(
        config.read_text(encoding="utf-8").replace(str(tmp_path / "rw.db"), str(typo)),
        encoding="utf-8",
    )
    data = _complaint_data(tmp_path)
    result = CliRunner().invoke(
        app,
        [
            "classifier",
            "train",
            "-c",
            str(config),
            "--data",
            str(data),
            "--out",
            str(tmp_path / "m"),
        ],
    )
    assert result.exit_code == 2, result.output  # as every refusal of the classifier commands
    assert f"no database at {typo}" in result.stderr and "Traceback" not in result.output
    assert not typo.parent.exists()
