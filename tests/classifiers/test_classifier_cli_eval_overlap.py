"""`replywatch classifier eval` warns when it scores the shipped model on the rows it was
trained on (the labelled sets in ../shared/data; skipped where absent), and only then."""

import csv
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from classifiers.train import read_labelled_csv

# the repository's parent folder holds shared/data (this file is tests/classifiers/...)
DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
TAGALOG = DATA / "sentiment-tl" / "train.csv"

#: a team's own posts, none of them in any training set
TEAM = [
    ("the delivery guy was so rude to my mother, never again", "negative"),
    ("refund still not here after three weeks", "negative"),
    ("package came today, all good", "positive"),
    ("thanks for the quick reply yesterday", "positive"),
    ("is the shop open on sunday?", "neutral"),
    ("ordered the blue one, will see", "neutral"),
]


def _write_csv(path: Path, rows: list[tuple[str, str]], *, line_end: str = "\n") -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator=line_end)
        writer.writerow(("text", "label"))
        writer.writerows(rows)
    return path


def _eval(app: typer.Typer, data: Path, *args: str) -> Result:
    result = CliRunner().invoke(
        app, ["classifier", "eval", "--data", str(data), "--task", "sentiment", *args]
    )
    assert result.exit_code == 0, result.output
    return result


def _said(result: Result) -> str:
    """stdout on one line: the console wraps the warning at 120 columns."""
    return " ".join(result.stdout.split())


@pytest.fixture(scope="module")
def tagalog() -> list[tuple[str, str]]:
    if not TAGALOG.is_file():
        pytest.skip(f"{TAGALOG} not found (the shared data folder beside the repo)")
    return [(e.text, e.label) for e in read_labelled_csv(TAGALOG)]


def test_eval_on_a_training_set_warns_and_points_to_cross_validation(
    app: typer.Typer, tagalog: list[tuple[str, str]]
) -> None:
    said = _said(_eval(app, TAGALOG))
    n = len(tagalog)
    assert f"warning: {n} of {n} rows (100%) are in the labelled sets under {DATA}" in said
    assert "score on training data" in said
    assert "run again with --cv 5" in said
    # right under the figure it is about
    assert said.index("macro-F1") < said.index("warning:") < said.index("precision")


def test_a_copy_elsewhere_is_found_by_its_rows(
    app: typer.Typer, tagalog: list[tuple[str, str]], tmp_path: Path
) -> None:
    """Re-saved with Windows line ends and stray spaces, mixed with the team's own posts."""
    rows = [(f"  {text} ", label) for text, label in tagalog[:40]] + TEAM
    data = _write_csv(tmp_path / "reviews.csv", rows, line_end="\r\n")
    said = _said(_eval(app, data))
    assert f"warning: 40 of {len(rows)} rows (87%)" in said


def test_a_teams_held_out_file_does_not_warn(
    app: typer.Typer, tagalog: list[tuple[str, str]], tmp_path: Path
) -> None:
    """Nor does one that shares a row or two with a public set (under 5% of its rows)."""
    rows = TEAM * 8 + tagalog[:2]  # 2 of 50 rows: 4%
    result = _eval(app, _write_csv(tmp_path / "ours.csv", rows))
    assert "warning" not in result.stdout
    assert result.stderr == ""
    result = _eval(app, _write_csv(tmp_path / "ours.csv", TEAM))
    assert "warning" not in result.stdout


def test_cross_validation_does_not_warn(
    app: typer.Typer, tagalog: list[tuple[str, str]], tmp_path: Path
) -> None:
    result = _eval(app, TAGALOG, "--cv", "3")
    assert "warning" not in result.stdout
    assert "3-fold cross-validation" in result.stdout
