"""`replywatch classify`: line N of the output answers line N of the input, and the table
shows what people wrote without letting it drive the terminal."""

import json

import typer
from typer.testing import CliRunner

from monitor.cli_classify import _lines

#: a post that clears the screen and turns the terminal red, then reverses the rest of its
#: row (U+202E), then clears it again with the one-character C1 CSI (U+009B)
HOSTILE = "refund \x1b[2J\x1b[31mRED NovaBrew \u202eevil\u202c done\x9b2J ok\u2028next"


def _texts(stdout: str) -> list[str]:
    """The ``text`` of each verdict, one JSON object per ``\\n``-ended line."""
    assert stdout.endswith("\n")
    return [json.loads(line)["text"] for line in stdout[:-1].split("\n")]


def test_output_line_n_answers_input_line_n(app: typer.Typer) -> None:
    """A bare ``\\r`` is text, not a line end; blank lines get a verdict; CRLF is one end."""
    stdin = b"one\rtwo\n\n   \nthree\r\n\r\nfour\rfive\r\nlast"
    result = CliRunner().invoke(app, ["classify"], input=stdin)
    assert result.exit_code == 0, result.output
    assert _texts(result.stdout) == ["one\rtwo", "", "   ", "three", "", "four\rfive", "last"]
    blank = json.loads(result.stdout.split("\n")[1])
    assert blank["language"] == "und"
    assert set(blank) == set(json.loads(result.stdout.split("\n")[0]))  # the same fields


def test_a_final_newline_ends_the_last_line_and_starts_none(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["classify"], input=b"a\r\nb\r\n")
    assert result.exit_code == 0, result.output
    assert _texts(result.stdout) == ["a", "b"]
    result = CliRunner().invoke(app, ["classify"], input=b"a\n\n")
    assert _texts(result.stdout) == ["a", ""]


class _Trickle:
    """A producer that sends its bytes one at a time, so that every line end, ``\\r\\n``
    and UTF-8 character is cut between two reads."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def read1(self, size: int) -> bytes:
        byte, self._data = self._data[:1], self._data[1:]
        return byte

    read = read1


def test_lines_cut_between_reads_come_out_whole() -> None:
    data = "\ufeffغذا\r\n\r\nok\rno\nlast\r".encode()
    chunks = list(_lines(_Trickle(data)))  # type: ignore[arg-type]
    assert [t for chunk in chunks for t in chunk] == ["غذا", "", "ok\rno", "last"]


def test_table_cleans_text_for_the_terminal(app: typer.Typer) -> None:
    """Escape sequences, C1 controls and bidi overrides are removed from the table, as the
    console alerts remove them; the visible text stays, on its one row."""
    result = CliRunner().invoke(app, ["classify", "--format", "table"], input=HOSTILE + "\n")
    assert result.exit_code == 0, result.output
    for ch in ("\x1b", "\x9b", "\u202e", "\u202c", "\u2028"):
        assert ch not in result.stdout
    assert "refund [2J[31mRED NovaBrew evil done2J ok next" in result.stdout


def test_table_has_a_row_per_input_line(app: typer.Typer) -> None:
    stdin = "my order never arrived\rrefund me\n\nrude staff!!\n"
    result = CliRunner().invoke(app, ["classify", "--format", "table"], input=stdin)
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("│")]
    assert len(rows) == 3  # one row per line (the header's bars are heavy: ┃)
    assert "my order never arrived refund me" in rows[0]
    assert "rude staff" in rows[2]


def test_json_keeps_the_text_exact_and_the_terminal_safe(app: typer.Typer) -> None:
    """JSON escapes what a terminal acts on or a line reader splits at (C0 and C1 controls,
    bidi controls, U+2028), and decodes to the text as written."""
    result = CliRunner().invoke(app, ["classify"], input=HOSTILE + "\n")
    assert result.exit_code == 0, result.output
    for ch in ("\x1b", "\x9b", "\u202e", "\u202c", "\u2028"):
        assert ch not in result.stdout
    assert result.stdout.count("\n") == 1
    assert len(result.stdout.splitlines()) == 1  # str.splitlines splits at U+2028 too
    assert _texts(result.stdout) == [HOSTILE]
