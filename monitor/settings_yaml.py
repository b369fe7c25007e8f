"""A settings file's YAML slips told in words (:func:`yaml_error`): where the slip is (its
line and column, and the line as written up to its key), what is wrong, and the fix, where
PyYAML says "expected <block end>, but found '<block mapping start>'" at the line after it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from monitor.errors import ConfigError
from monitor.yaml_lines import (
    Line,
    Open,
    alone,
    empty_key_above,
    ended_early,
    first_item_apart,
    first_under,
    is_empty,
    line_text,
    open_columns,
    structure,
    unclosed_quote,
)

__all__ = ["yaml_error"]


def yaml_error(path: Path, text: str, exc: yaml.YAMLError) -> ConfigError:
    """PyYAML's error told as the slip a person made: where (line, column and the line as
    written, its value left out: it may be a secret), what is wrong in words, and the fix.

    PyYAML words it in its parser's terms ("expected <block end>, but found '<block mapping
    start>'") and marks where it gave up, which is sometimes past the slip: a key glued to its
    value (``name:value``) is noticed on the next line, an unclosed quote at the end of the
    file. There the slip's own line is named, and where PyYAML stopped is said after it."""
    lines = _BREAK.split(text)
    if lines[-1] == "":
        lines.pop()  # the break ending the last line starts none
    if isinstance(exc, yaml.reader.ReaderError):  # a control character, pasted or a stray byte
        before = _BREAK.split(text[: exc.position])  # the reader marks no line: count them
        told: _Told | None = _Told(
            len(before) - 1,
            len(before[-1]),
            f"a character YAML does not allow (#x{exc.character:04x}, not shown); delete it "
            "and write the value again",
        )
    else:
        told = _tell(lines, exc)
    if told is None:  # no mark: PyYAML's own words are all there is
        problem = getattr(exc, "problem", None) or "invalid YAML"
        return ConfigError("", f"{path} is not valid YAML: {problem}")
    if told.row >= len(lines):
        where = "at the end of the file"
    else:
        shown = Line.parse(told.row, lines[told.row]).shown
        where = f"at line {told.row + 1}, column {told.column + 1} ({shown})"
    if told.noticed is not None and told.noticed.line != told.row:
        stop = told.noticed.line
        where += (
            " (noticed at the end of the file)"
            if stop >= len(lines)
            else f" (noticed at line {stop + 1})"
        )
    return ConfigError("", f"{path} is not valid YAML {where}: {told.message}")


#: What PyYAML counts as a line break, so its marks' line numbers are these lines'.
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


@dataclass(frozen=True, slots=True)
class _Told:
    """A YAML slip: its line and column (from 0, as PyYAML's marks), what is wrong and the
    fix, and where PyYAML noticed it when that is elsewhere."""

    row: int
    column: int
    message: str
    noticed: yaml.Mark | None = None


_INDENTATION = (
    "this line's indentation does not match the lines above it: keys of one mapping must "
    "start in the same column"
)
_ITEMS_INDENTATION = (
    "this line's indentation does not match the lines above it: the keys of one mapping, and "
    'the "- " items of one list, must start in the same column'
)


def _tell(lines: list[str], exc: yaml.YAMLError) -> _Told | None:
    """The slip behind PyYAML's error. The slips that send PyYAML's mark furthest from them
    (a quote left open, a key glued to its value) are looked for first, above the mark;
    then PyYAML's own problem is told in words. ``None`` for an error with no place."""
    mark: yaml.Mark | None = getattr(exc, "problem_mark", None)
    if mark is None:
        return None
    opened: yaml.Mark | None = getattr(exc, "context_mark", None)
    problem = str(getattr(exc, "problem", None) or "invalid YAML")
    context = str(getattr(exc, "context", None) or "")
    row, column = mark.line, mark.column
    unclosed = unclosed_quote(lines, row)
    if unclosed is not None and not problem.startswith("found unknown escape"):
        quote_row, quote_column = unclosed
        quote = _char_at(lines, quote_row, quote_column)
        return _Told(
            quote_row,
            quote_column,
            f"the quote ({quote}) opened here is not closed on this line, so the lines below are "
            f"read as part of its value until the next {quote}; end the value with {quote}",
            noticed=mark,
        )
    above = structure(lines, row)
    if above and above[-1].glued:  # ``name:value`` is text: the next key finds no mapping
        return _glued(above[-1], mark)
    if "cannot start any token" in problem:
        char = _char_at(lines, row, column)
        if char == "\t":
            return _Told(
                row, column, "a tab: YAML indents with spaces only; replace the tab with spaces"
            )
        return _Told(
            row,
            column,
            f'a value cannot start with {char}; put the value in quotes, like "{char}…"',
        )
    if context.endswith("quoted scalar") and opened is not None:
        if "unknown escape character" in problem:
            return _Told(
                row,
                column,
                "in double quotes a backslash starts an escape such as \\n; put the value in "
                "single quotes, or write the backslash twice",
            )
        quote = _char_at(lines, opened.line, opened.column)
        return _Told(
            opened.line,
            opened.column,
            f"the quote ({quote}) opened here is never closed, so the rest of the file is read "
            f"as part of its value; end the value with {quote}",
            noticed=mark,
        )
    if problem.startswith("expected the node content, but found '-'"):
        return _Told(
            row,
            column,
            'a "- " item inside [ ]: write a list either as [a, b] or as one "- " item per line',
        )
    if problem == "mapping values are not allowed here":
        return _colon(lines, row, mark)
    if problem.startswith(("expected <block end>", "expected '<document start>'")):
        dashes = Line.parse(row, line_text(lines, row)).dashes
        what = _ITEMS_INDENTATION if dashes else _INDENTATION
        return _Told(row, column, f"{what}; {_indentation_fix(lines, row)}".rstrip("; "))
    if problem == "could not find expected ':'" and opened is not None:
        line = Line.parse(opened.line, line_text(lines, opened.line))
        if line.glued:
            return _glued(line, mark)
        return _Told(
            opened.line,
            opened.column,
            'this line has no "key:" but stands among lines that do; add the key and its colon '
            'with a space after it, or start the line with "- " in a list',
            noticed=mark,
        )
    if context in ("while parsing a flow sequence", "while parsing a flow mapping") and opened:
        bracket = _char_at(lines, opened.line, opened.column)
        close = {"[": "]", "{": "}"}.get(bracket, "]")
        return _Told(
            opened.line,
            opened.column,
            f"the {bracket} opened here is not closed where it should be, or its items lack a "
            f'comma between them; close it with {close}, or write the items one per line with "- "',
            noticed=mark,
        )
    if "is written twice" in problem:  # see settings_file._UniqueKeyLoader
        empty = empty_key_above(above, Line.parse(row, line_text(lines, row)))
        if empty is not None:
            problem += f". {_NOTHING_UNDER.format(key=empty.label, line=empty.row + 1)}"
    return _Told(row, column, problem)


_NOTHING_UNDER = (
    '"{key}" on line {line} has nothing indented under it, so the lines after it are read '
    "beside it: if they belong under it, indent them more than it (or it less than them)"
)


def _char_at(lines: list[str], row: int, column: int) -> str:
    return line_text(lines, row)[column : column + 1]


def _colon(lines: list[str], row: int, mark: yaml.Mark) -> _Told:
    """PyYAML's "mapping values are not allowed here": a ``key:`` where YAML is reading a
    value, because the value holds ``": "``, or the line is indented below a key that already
    has its value (a line above with no space after its colon is told before)."""
    above = structure(lines, row)
    here = Line.parse(row, line_text(lines, row))
    previous = above[-1] if above else None
    if here.key is not None and here.value_column is not None and mark.column >= here.value_column:
        return _Told(
            row,
            mark.column,
            f'the value after "{here.label}" holds ": ", which YAML reads as the start of '
            "another key; put the value in quotes",
        )
    if previous is not None and here.column > previous.item_column and previous.has_value:
        return _Told(
            row,
            here.column,
            f"{_INDENTATION}; it is indented more than {previous.described}, which has a "
            "value, so YAML reads this line as more of that value: indent it to column "
            f"{previous.item_column + 1} beside it",
        )
    return _Told(row, mark.column, 'a "key:" cannot stand here; if a value holds ": ", quote it')


def _glued(line: Line, mark: yaml.Mark) -> _Told:
    """``name:value``: YAML reads it as text, running on into the lines below it, and stops
    at the first of them that has a key."""
    return _Told(
        line.row,
        line.key_column + len(line.key or "") + 1,
        f'a colon needs a space after it: write "{line.label}" and a space before the value; '
        "without the space YAML reads the line as text that runs on into the next",
        noticed=mark,
    )


def _indentation_fix(lines: list[str], row: int) -> str:
    """The fix for a line whose indentation matches no block open above it, in the terms of
    the lines around it (PyYAML's "expected <block end>"): the columns it could start in, and
    which key each would put it beside. Where the slip may be a line above (the first key of
    a block sets its column), that line is named too."""
    above = structure(lines, row)
    here = Line.parse(row, line_text(lines, row))
    column = here.column
    opens = open_columns(above)
    deeper = min((o for o in opens if o.column > column), key=lambda o: o.column, default=None)
    shallower = max((o for o in opens if o.column < column), key=lambda o: o.column, default=None)
    same = next((o for o in opens if o.column == column), None)
    items = first_item_apart(above, here) if here.dashes else None
    if items is not None:
        item, under = items
        return (
            f'the first item under "{under.label}" (line {item.row + 1}) starts in column '
            f"{item.column + 1}, and this one in column {column + 1}: indent them alike"
        )
    if same is not None and same.dash and not here.dashes:
        fix = (
            f'it starts in the column of the "- " items of the list above ("{same.name}" on '
            f"line {same.line.row + 1}) but is not one: indent it to column "
            f'{same.line.key_column + 1} to add it to that item, or start it with "- "'
        )
        if shallower is not None:
            fix += f', or indent it to column {shallower.column + 1} beside "{shallower.name}"'
        return fix
    if deeper is not None and shallower is not None:
        between = (
            f'it is indented more than "{shallower.name}" (line {shallower.line.row + 1}, column '
            f'{shallower.column + 1}) and less than "{deeper.name}" (line {deeper.line.row + 1}, '
            f"column {deeper.column + 1})"
        )
        parent = ended_early(above, shallower, column)
        if parent is not None:
            return (
                f'{between}. Column {column + 1} is where the keys under "{parent.label}" (line '
                f'{parent.row + 1}) start: if "{shallower.name}" on line '
                f'{shallower.line.row + 1} belongs under "{parent.label}" too, indent it to '
                f"column {column + 1}, and the lines under it to match"
            )
        fixes = [_move_to(deeper)]
        first = first_under(above, shallower)
        if first is not None and not here.dashes and alone(above, first):
            # the one line the block's column is known by may be the slip
            fixes.append(
                f'if "{first.label}" on line {first.row + 1} is the one out of place, indent '
                f"that line (and the lines under it) to column {column + 1}"
            )
        elif first is not None and first.column != deeper.column:
            between += (
                f'; the keys under "{shallower.name}" start in column {first.column + 1}, '
                f"from {first.described}"
            )
        elif first is not None and is_empty(above, first):
            between += f"; {_NOTHING_UNDER.format(key=first.label, line=first.row + 1)}"
        return f"{between}: {'; or '.join([*fixes, _move_to(shallower)])}"
    if shallower is not None and above and above[-1].has_value:
        previous = above[-1]
        return (
            f"it is indented more than {previous.described}, which has a value, so nothing can "
            f"be nested under it: indent it to column {previous.item_column + 1} beside it"
        )
    if deeper is not None and shallower is None:
        return (
            f'it is indented less than "{deeper.name}" (line {deeper.line.row + 1}, column '
            f"{deeper.column + 1}); the keys at the top of the file must all start in column 1"
        )
    return ""


def _move_to(place: Open) -> str:
    """The fix that puts a line in ``place``'s column: beside its key, or, in the column of a
    list's ``- `` dashes, as a new item of that list."""
    if place.dash:
        return f'start it with "- " in column {place.column + 1} to make it a new item'
    return f'indent it to column {place.column + 1} beside "{place.name}"'
