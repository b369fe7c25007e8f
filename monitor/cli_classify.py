"""``replywatch classify`` and ``replywatch classifier eval|train|finetune``.

- ``classify`` reads texts one per line on stdin and writes one JSON verdict per line
  (``--format json``, the default) or a table (``--format table``): line N of the output
  answers line N of the input, a blank line included.
- ``classifier eval --data CSV`` scores the shipped model (or, ``--backend transformers``,
  the transformer models named) on a ``text,label`` CSV; with ``--cv K`` it cross-validates
  the offline classifier on that CSV instead (the CSV's rows refit the models they train,
  fold by fold). Prints macro-F1 over the CSV's labels, per-class precision and recall, and
  the confusion matrix. A CSV of one label only (a recall check: every post a complaint) is
  scored too, with a note that the figure is that label's F1. Without ``--cv``, a CSV whose
  rows the offline models were trained on (the labelled sets under ``../shared/data``) gets a
  warning that the figure is a training-set score, pointing to ``--cv 5``.
- ``classifier train`` refits the offline models on ``../shared/data`` (or ``--data``) plus
  the corrected labels in the database of ``-c CONFIG``, and writes the artifact into that
  config's ``classifier.model_dir`` (the daemon reads it there; a config without one is an
  error), ``--out``, or, with neither ``-c`` nor ``--out``, the package.
- ``classifier finetune --base MODEL --out DIR`` fine-tunes a transformer into the transformers
  backend's sentiment (or, ``--task complaint``, complaint) model (:mod:`classifiers.finetune`).

Bad input (a missing file, a CSV without ``text``/``label``, labels the task does not know,
a bad config) prints one ``error:`` line and exits with code 2.
"""

from __future__ import annotations

import codecs
import json
import re
import statistics
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer
from rich.table import Table

from monitor.cli_common import data_console
from monitor.errors import ReplywatchError

if TYPE_CHECKING:
    from classifiers import Classifier
    from classifiers.linear import Artifact
    from classifiers.train import Example
    from monitor.settings import Settings

__all__ = ["register"]

_CHUNK = 1000
_READ_SIZE = 1 << 16


class OutputFormat(StrEnum):
    json = "json"
    table = "table"


class Task(StrEnum):
    complaint = "complaint"
    sentiment = "sentiment"


#: the options that pick a classifier, shared by ``classify`` and ``classifier eval``
BackendOption = Annotated[str, typer.Option(help="offline or transformers")]
ModelOption = Annotated[str | None, typer.Option(help="transformers: hub id or local directory")]
DeviceOption = Annotated[str, typer.Option(help="transformers: cpu, cuda, cuda:N, mps")]
ModelDirOption = Annotated[
    Path | None, typer.Option(help="offline artifact folder (from `classifier train --out`)")
]

_TASK_LABELS = {
    Task.complaint: ("complaint", "not_complaint"),
    Task.sentiment: ("negative", "neutral", "positive"),
}


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def _lines(stream: BinaryIO) -> Iterator[list[str]]:
    """Every line of ``stream``, blank ones included, in chunks of at most ``_CHUNK``, each
    chunk as soon as it is read: a read returns what is there (a file's next block, every line
    a producer has sent so far), so a verdict never waits for lines that have not come yet.

    A line ends at ``\\n`` only, one ``\\r`` before it dropped (a Windows file's ``\\r\\n``);
    a ``\\r`` anywhere else is part of the text. Splitting at a bare ``\\r`` too (universal
    newlines), or skipping blank lines, answered some line twice or not at all, and every
    verdict after it sat beside the wrong row of the spreadsheet it was pasted next to.

    UTF-8 whatever the locale, a leading byte order mark dropped (Windows tools write one),
    bytes that are not UTF-8 read as U+FFFD."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    read = getattr(stream, "read1", stream.read)  # read1: no waiting for a full block
    partial: list[str] = []  # a line's start, read before its end
    while True:
        data = read(_READ_SIZE)
        *lines, rest = decoder.decode(data, final=not data).split("\n")
        if lines:
            lines[0] = "".join(partial) + lines[0]
            partial = []
        partial.append(rest)
        if not data and (last := "".join(partial)):
            lines.append(last)  # a last line with no newline; after a final "\n" there is none
        texts = [line.removesuffix("\r") for line in lines]
        for start in range(0, len(texts), _CHUNK):
            yield texts[start : start + _CHUNK]
        if not data:
            return


#: What ``json.dumps(ensure_ascii=False)`` writes raw that a terminal or a line reader acts
#: on: DEL and the C1 controls (U+009B alone is a CSI, as ``ESC [`` is, and can clear the
#: screen), the bidi embeddings, overrides and isolates (they reorder what follows on the
#: screen), and the line and paragraph separators (``str.splitlines`` and JavaScript end a
#: line there, cutting a verdict in two). Written as ``\uXXXX`` they decode to the same text.
#: C0 controls, ``ESC`` among them, ``json`` escapes itself.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _escape_unsafe(line: str) -> str:
    """``line`` of JSON with :data:`_JSON_UNSAFE` characters escaped; only strings hold them."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", line)


def _cell(text: str) -> str:
    """``text`` for the table's text column: cleaned as the console alerts are
    (:func:`~alerts.blocks.clean_text`: a post's escape sequence cannot clear the screen or
    colour the terminal, a bidi override cannot reverse the row), on one line (a row per input
    line), and cut to 60 characters."""
    from alerts.blocks import clean_text

    flat = " ".join(clean_text(text).split())
    return flat if len(flat) <= 60 else flat[:57] + "..."


def _verdict_json(text: str, v: object) -> str:
    from classifiers import Verdict

    assert isinstance(v, Verdict)
    return _escape_unsafe(
        json.dumps(
            {
                "text": text,
                "language": v.language,
                "languages": list(v.languages),
                "sentiment": v.sentiment.value,
                "sentiment_scores": {k: round(float(p), 4) for k, p in v.sentiment_scores.items()},
                "complaint": round(v.complaint, 4),
                "is_complaint": v.is_complaint,
                "severity": v.severity.value,
                "reasons": [r.value for r in v.reasons],
                "model": v.model,
            },
            ensure_ascii=False,
        )
    )


def _classify(
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="json lines or a table")] = (
        OutputFormat.json
    ),
    backend: BackendOption = "offline",
    sentiment_model: ModelOption = None,
    complaint_model: ModelOption = None,
    device: DeviceOption = "cpu",
    batch_size: Annotated[int, typer.Option(min=1)] = 32,
    quantize: Annotated[bool, typer.Option(help="transformers: int8 weights (CPU)")] = False,
    threshold: Annotated[float, typer.Option(min=0.0, max=1.0, help="complaint threshold")] = 0.5,
    model_dir: ModelDirOption = None,
) -> None:
    """Classify texts read one per line on stdin.

    Line N of the output answers line N of the input, so results line up beside the input
    and join on line number: a blank line gets a verdict too, with the same fields as any
    (what the classifier makes of that text: language und), and a line ends at a newline only
    (the carriage return of a Windows line end dropped; a lone one is text). JSON keeps each
    text exact; the table shows it cleaned for the terminal (escape sequences and bidi
    overrides removed) and on one line."""
    from classifiers import load_classifier

    try:
        clf = load_classifier(
            backend=backend,
            sentiment_model=sentiment_model,
            complaint_model=complaint_model,
            device=device,
            batch_size=batch_size,
            quantize=quantize,
            complaint_threshold=threshold,
            model_dir=model_dir,
        )
    except ReplywatchError as exc:
        raise _fail(str(exc)) from None
    table: Table | None = None
    if fmt is OutputFormat.table:
        table = Table("text", "lang", "sentiment", "complaint", "severity", "reasons")
    for chunk in _lines(sys.stdin.buffer):
        verdicts = clf.classify(chunk)
        if table is None:
            sys.stdout.write(
                "".join(_verdict_json(t, v) + "\n" for t, v in zip(chunk, verdicts, strict=True))
            )
            sys.stdout.flush()
            continue
        for text, v in zip(chunk, verdicts, strict=True):
            table.add_row(
                _cell(text),
                "+".join(v.languages) or v.language,
                f"{v.sentiment.value} {v.sentiment_scores[v.sentiment.value]:.2f}",
                f"{v.complaint:.2f}" + (" yes" if v.is_complaint else ""),
                v.severity.value,
                ", ".join(r.value for r in v.reasons),
            )
    if table is not None:
        data_console(140).print(table)


#: Share of an evaluated CSV's rows found in the training data from which ``eval`` warns that
#: its figure is a training-set score. Not 0: a team's own posts can repeat a short common
#: text that some public set holds too ("thank you!"), and a few such rows move the figure
#: little.
_SEEN_SHARE = 0.05


def _text_key(text: str) -> str:
    """``text`` with case and runs of spacing folded: a set re-saved by a spreadsheet or an
    editor (line ends, trailing spaces) still matches the rows it came from."""
    return " ".join(text.split()).casefold()


def _rows_in_training_data(texts: Sequence[str], data_dir: Path) -> int:
    """How many of ``texts`` are rows of the labelled sets under ``data_dir``, the sets the
    shipped model (and a ``classifier train`` refit, by default) was trained on.

    Compared by text, not by the CSV's path, so a copy of a set elsewhere is found too. The
    sets are read here rather than their rows' hashes kept in the artifact, which holds no
    text (MODEL_CARD.md): a hash of each row would let anyone holding a guess of a post test
    whether it was in the training data. Without the sets (an install without
    ``../shared/data``) nothing can be compared, and 0 is returned; a set that cannot be read
    is likewise left out, as the evaluation itself does not need it."""
    from classifiers.train import load_base_data

    try:
        sets = load_base_data(data_dir)
    except ReplywatchError:
        return 0
    seen = {_text_key(e.text) for rows in sets.values() for e in rows}
    return sum(_text_key(t) in seen for t in texts)


def _training_data_warning(texts: Sequence[str], data_dir: Path, *, offline: bool) -> str | None:
    """A warning when :data:`_SEEN_SHARE` or more of ``texts`` are training rows, else None.

    ``offline``: the offline models score the CSV; else a transformer does, which
    ``classifier finetune`` trains on the same sets by default (and which leaves complaints
    to the offline model unless it was given a complaint model)."""
    seen = _rows_in_training_data(texts, data_dir)
    if not texts or seen / len(texts) < _SEEN_SHARE:
        return None
    head = (
        f"warning: {seen} of {len(texts)} rows ({100 * seen / len(texts):.0f}%) are in the "
        f"labelled sets under {data_dir}, "
    )
    if offline:
        return head + (
            "which the offline models were trained on: this figure is a score on training "
            "data and overstates what the model does on new posts. For a held-out figure, "
            "run again with --cv 5."
        )
    return head + (
        "which the offline models (complaints, unless --complaint-model) and `classifier "
        "finetune` train on: this figure may overstate what the models do on new posts. For "
        "held-out figures, cross-validate: --cv 5 for the offline default, `replywatch "
        "classifier finetune --cv 5` for a transformer."
    )


def _report(
    labels: Sequence[str],
    truth: Sequence[str],
    pred: Sequence[str],
    title: str,
    *,
    warning: str | None = None,
) -> None:
    """Print macro-F1, per-class figures and the confusion matrix; ``warning`` right under
    the figure it is about, in the same output, so a saved report keeps it."""
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    gold = [lab for lab in labels if lab in set(truth)]
    present = [lab for lab in labels if lab in set(truth) | set(pred)]
    macro = f1_score(truth, pred, labels=gold, average="macro", zero_division=0)
    p, r, f, s = precision_recall_fscore_support(truth, pred, labels=present, zero_division=0)
    console = data_console(120)  # the title names the CSV, and labels are the CSV's own
    console.print(f"{title}: {len(truth)} texts, macro-F1 {100 * macro:.1f}")
    if warning:
        console.print(warning)
    if len(gold) == 1:  # a recall check (these are all complaints): worth running, say so
        console.print(f"(the CSV holds one label only, {gold[0]}: macro-F1 is that label's F1)")
    if len(gold) < len(present):
        extra = Counter(lab for lab in pred if lab not in gold)
        console.print(
            f"(macro-F1 over the CSV's labels, {', '.join(gold)}; "
            + ", ".join(f"{n} predicted {lab}" for lab, n in extra.items())
            + " count as misses)"
        )
    per_class = Table("label", "precision", "recall", "F1", "support")
    for i, lab in enumerate(present):
        per_class.add_row(
            lab, f"{100 * p[i]:.1f}", f"{100 * r[i]:.1f}", f"{100 * f[i]:.1f}", str(s[i])
        )
    console.print(per_class)
    # counted here: sklearn's confusion_matrix warns (a raw UserWarning) on a single label
    pairs = Counter(zip(truth, pred, strict=True))
    matrix = Table("true \\ predicted", *present)
    for lab in present:
        matrix.add_row(lab, *(str(pairs[lab, other]) for other in present))
    console.print(matrix)


def _eval(
    data: Annotated[Path, typer.Option("--data", help="CSV with text and label columns")],
    task: Annotated[Task, typer.Option(help="which labels the CSV holds")] = Task.complaint,
    cv: Annotated[
        int | None, typer.Option(min=2, help="K-fold cross-validate the trainable default")
    ] = None,
    seeds: Annotated[
        int,
        typer.Option(min=1, help="with --cv: repeat over fold seeds 0..N-1, print mean and sd"),
    ] = 1,
    model_dir: ModelDirOption = None,
    backend: BackendOption = "offline",
    sentiment_model: ModelOption = None,
    complaint_model: ModelOption = None,
    device: DeviceOption = "cpu",
) -> None:
    """Score a classifier on a labelled CSV (the shipped model, or ``--backend transformers``
    with its models), or with --cv the offline one refit per fold.

    On a small set the cross-validated figure moves with the fold split: ``--seeds 5`` runs
    it on five splits; the tables are the first split's. A transformer model that cannot be
    loaded is an error here, not a fall back to the offline default."""
    from classifiers import BACKENDS, DEFAULT_SENTIMENT_MODEL, OfflineClassifier
    from classifiers.linear import Artifact
    from classifiers.offline import sentiment_model_name
    from classifiers.train import (
        cross_validate_product,
        default_data_dir,
        languages_of,
        load_base_data,
        read_labelled_csv,
    )

    if seeds > 1 and not cv:
        raise _fail("--seeds repeats cross-validation: give --cv K as well")
    if backend not in BACKENDS:
        raise _fail(f"unknown backend {backend!r}: use one of {', '.join(BACKENDS)}")
    if cv and backend != "offline":
        raise _fail(
            "--cv refits the offline default fold by fold; a transformer is cross-validated "
            "by `replywatch classifier finetune --cv K`"
        )
    spread: list[float] = []
    warning: str | None = None
    try:
        rows = read_labelled_csv(data)
        if not rows:
            raise _fail(f"{data}: no labelled rows")
        labels = _TASK_LABELS[task]
        unknown = sorted({e.label for e in rows} - set(labels))
        if unknown:
            raise _fail(
                f"{data}: labels {', '.join(unknown)} are not {task.value} labels "
                f"({', '.join(labels)})"
            )
        texts = [e.text for e in rows]
        truth = [e.label for e in rows]
        if cv:
            # the other sets train the models this CSV's other languages route to
            sets = load_base_data(default_data_dir())
            if task is Task.complaint:
                name = "complaint-en"
                lang = languages_of(sets)
            else:  # one detection for the CSV's rows and every set's
                lang = languages_of({**sets, "csv": rows})
                main = Counter(lang[t] for t in texts).most_common(1)[0][0]
                name = sentiment_model_name(main)
            sets[name] = rows
            base = Artifact.load(model_dir)
            runs = [
                cross_validate_product(sets, name, base, folds=cv, seed=s, languages=lang)
                for s in range(seeds)
            ]
            spread = [100 * f1 for f1, _ in runs]
            pred = runs[0][1].tolist()
            title = f"{cv}-fold cross-validation of the offline default ({task.value})"
        else:
            offline = OfflineClassifier(model_dir=model_dir)
            clf: Classifier = offline
            if backend == "transformers":
                from classifiers.transformer import TransformerClassifier

                clf = TransformerClassifier(
                    sentiment_model=sentiment_model or DEFAULT_SENTIMENT_MODEL,
                    complaint_model=complaint_model,
                    device=device,
                    fallback=offline,
                )
            verdicts = clf.classify(texts)
            if task is Task.complaint:
                pred = ["complaint" if v.is_complaint else "not_complaint" for v in verdicts]
            else:
                pred = [v.sentiment.value for v in verdicts]
            title = f"{clf.name} on {data.name} ({task.value})"
            # scoring the rows a model learnt (a set under ../shared/data) reads like a
            # held-out figure, 88 where cross-validation gives 63-65: say so
            warning = _training_data_warning(
                texts, default_data_dir(), offline=backend == "offline"
            )
    except ReplywatchError as exc:
        raise _fail(str(exc)) from None
    _report(labels, truth, pred, title, warning=warning)
    if len(spread) > 1:
        figures = ", ".join(f"{f:.1f}" for f in spread)
        data_console(120).print(
            f"macro-F1 over fold seeds 0-{len(spread) - 1}: {statistics.fmean(spread):.1f} ± "
            f"{statistics.pstdev(spread):.1f} ({figures})"
        )


def _train(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="settings file: adds its database's labels, writes to its classifier.model_dir",
        ),
    ] = None,
    data: Annotated[
        Path | None, typer.Option(help="base labelled data (default ../shared/data)")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="artifact folder (default: classifier.model_dir, else the packaged one)"),
    ] = None,
    cv: Annotated[int, typer.Option(min=0, help="also report K-fold CV macro-F1")] = 0,
) -> None:
    """Refit the offline models on the base data plus the team's corrected labels.

    A model is refit only where its base set is found (a few corrections alone would replace
    a model trained on thousands of posts); the others are kept from the current model, and
    their database labels wait until ``--data`` names a folder that has the set."""
    from classifiers.linear import DEFAULT_MODEL_DIR
    from classifiers.train import default_data_dir, load_base_data, train_artifact
    from monitor.cli_common import readonly_settings

    try:
        base_dir = data if data is not None else default_data_dir()
        if data is not None and not data.is_dir():
            raise _fail(f"{data}: no such data folder")
        settings = readonly_settings(config) if config is not None else None
        if settings is not None and out is None and settings.classifier.model_dir is None:
            # the daemon would never read a refit written into the package, and an upgrade
            # would silently replace it: the team's model lives where its config says
            raise _fail(
                f"{config}: classifier.model_dir is not set; set it (e.g. model_dir: "
                "classifier-model) so the daemon reads the refit model, or pass --out DIR"
            )
        target = out or (settings.classifier.model_dir if settings else None) or DEFAULT_MODEL_DIR
        sets = load_base_data(base_dir)
        added, waiting, skipped = Counter[str](), Counter[str](), 0
        if settings is not None:
            extra, skipped = _database_labels(settings)
            for name, examples in extra.items():
                if name in sets:
                    sets[name].extend(examples)
                    added[name] += len(examples)
                else:
                    waiting[name] += len(examples)
        if not sets:
            raise _fail(
                f"no base data under {base_dir}: the offline models are refit on the labelled "
                "sets (complaints-en/, sentiment-en/, ...) plus the team's labels; pass --data "
                "DIR, the folder that holds them"
            )
        current = _current_model(target)
        # a refit is told apart from the shipped model in every verdict's model name
        version = datetime.now(UTC).strftime("team-%Y%m%dT%H%M%S")
        artifact = train_artifact(sets, folds=cv, keep=current, version=version)
        artifact.meta["database_labels"] = dict(added)
        path = artifact.save(target)
    except ReplywatchError as exc:
        raise _fail(str(exc)) from None
    for name, n in sorted(artifact.meta["rows"].items()):
        if name in artifact.meta["kept"]:
            note = f"kept from model {artifact.meta['kept'][name]} (no base set under {base_dir})"
            if waiting[name]:
                note += f"; its {waiting[name]} database labels wait for --data"
            typer.echo(f"{name}: {note}")
            continue
        extra_note = f" ({added[name]} from the database)" if added[name] else ""
        fig = artifact.meta["cv"].get(name)
        cv_note = f", CV macro-F1 {fig['macro_f1']:.1f}" if fig else ""
        typer.echo(f"{name}: {n} texts{extra_note}{cv_note}")
    if skipped:
        typer.echo(
            f"skipped {skipped} database labels with no model to learn them (an unknown task or "
            "label; complaints outside English, which a rule scores)"
        )
    typer.echo(f"wrote {path}")


def _finetune(
    base: Annotated[str, typer.Option(help="pretrained encoder: hub id or local directory")],
    out: Annotated[Path, typer.Option(help="folder to write the fine-tuned model to")],
    task: Annotated[Task, typer.Option(help="which model to make")] = Task.sentiment,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="settings file: also learn its database's labels"),
    ] = None,
    data: Annotated[
        Path | None, typer.Option(help="base labelled data (default ../shared/data)")
    ] = None,
    cv: Annotated[int, typer.Option(min=0, help="first measure K-fold CV macro-F1")] = 0,
    device: Annotated[str, typer.Option(help="cpu, cuda, cuda:N, mps")] = "cpu",
    epochs: Annotated[int, typer.Option(min=1)] = 4,
    learning_rate: Annotated[float, typer.Option(min=0.0)] = 5e-5,
    batch_size: Annotated[int, typer.Option(min=1)] = 32,
    seed: Annotated[int, typer.Option(min=0, help="seeds the folds and the training")] = 0,
) -> None:
    """Fine-tune a transformer into the transformers backend's sentiment or complaint model.

    Needs the ``transformers`` extra and the base model (downloaded once from the hub, or a
    local directory); a GPU makes it minutes instead of hours. With ``-c``, the team's
    corrected labels of this task train it too (complaint labels on posts routed to English
    only: the complaint model reads no others); ``--cv`` still scores the base sets alone."""
    from classifiers.finetune import Recipe, run
    from classifiers.offline import sentiment_model_name
    from classifiers.train import Example
    from monitor.cli_common import readonly_settings

    if data is not None and not data.is_dir():
        raise _fail(f"{data}: no such data folder")
    recipe = Recipe(epochs=epochs, learning_rate=learning_rate, batch_size=batch_size, seed=seed)
    try:
        extra = []
        if config is not None:
            stored = [
                (label, lang, text)
                for t, label, lang, text in _stored_labels(readonly_settings(config))
                if t == task and label in _TASK_LABELS[task]
            ]
            extra = [
                Example(text, label)
                for label, lang, text in stored
                if task is Task.sentiment or sentiment_model_name(lang) == "sentiment-en"
            ]
            skipped = len(stored) - len(extra)
            note = f" ({skipped} outside English skipped)" if skipped else ""
            typer.echo(f"{len(extra)} {task.value} labels from the database{note}")
        run(  # the CV figures and the epochs are reported as they come
            base,
            task.value,
            out,
            data_dir=data,
            folds=cv,
            recipe=recipe,
            device=device,
            extra=extra,
            progress=typer.echo,
        )
    except ReplywatchError as exc:
        raise _fail(str(exc)) from None
    setting = "sentiment_model" if task is Task.sentiment else "complaint_model"
    typer.echo(
        f"wrote {out}: use it with classifier.backend: transformers, classifier.{setting}: {out}"
    )


def _current_model(target: Path) -> Artifact:
    """The model whose models a refit keeps where it has no base data: the one in ``target``,
    else (none yet, or unreadable, an older format say) the shipped one."""
    from classifiers.linear import ARTIFACT_NAME, Artifact
    from monitor.errors import ClassifierError

    if (target / ARTIFACT_NAME).is_file():
        try:
            return Artifact.load(target)
        except ClassifierError as exc:
            typer.echo(f"note: {exc}; the models not refit come from the shipped model", err=True)
    return Artifact.load()


def _stored_labels(settings: Settings) -> list[tuple[str, str, str, str]]:
    """(task, label, language, text) of every corrected label in the database, lower-cased,
    the language detected where none was stored."""
    from sqlalchemy import select

    from classifiers import detect_languages
    from monitor.db import make_engine, make_sessionmaker, upgrade
    from monitor.models import Label

    # the corrections are in the daemon's database: a path that is not there is a typo, not
    # an empty database to make and train on nothing from
    engine = make_engine(settings.database_url, create=False)
    try:
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            rows = session.execute(
                select(Label.text, Label.language, Label.task, Label.label)
            ).all()
    finally:
        engine.dispose()
    unknown_lang = [i for i, r in enumerate(rows) if not r.language]
    guessed = detect_languages([rows[i].text for i in unknown_lang])
    languages = {i: g.language for i, g in zip(unknown_lang, guessed, strict=True)}
    return [
        (
            (r.task or "").strip().lower(),
            (r.label or "").strip().lower(),
            (r.language or languages.get(i, "und")).strip().lower()[:2],
            r.text,
        )
        for i, r in enumerate(rows)
    ]


def _database_labels(settings: Settings) -> tuple[dict[str, list[Example]], int]:
    """Corrected labels from the database, grouped by the offline model they train."""
    from classifiers.offline import sentiment_model_name
    from classifiers.train import SETS, Example

    out: dict[str, list] = {}
    skipped = 0
    for task, label, lang, text in _stored_labels(settings):
        if task == "complaint":
            # only posts routed to English have a complaint model; a rule scores the others
            english = sentiment_model_name(lang) == "sentiment-en"
            name = "complaint-en" if english else f"complaint-{lang}"
        elif task == "sentiment":
            name = f"sentiment-{lang}"
        else:
            skipped += 1
            continue
        if name not in SETS or label not in SETS[name][1]:
            skipped += 1
            continue
        out.setdefault(name, []).append(Example(text, label))
    return out, skipped


def register(app: typer.Typer) -> None:
    """Add ``classify`` and the ``classifier`` group (``eval``, ``train``, ``finetune``)."""
    app.command("classify")(_classify)
    group = typer.Typer(help="Evaluate and retrain the classifiers.", no_args_is_help=True)
    group.command("eval")(_eval)
    group.command("train")(_train)
    group.command("finetune")(_finetune)
    app.add_typer(group, name="classifier")
