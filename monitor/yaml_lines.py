"""A YAML file's lines as far as indentation goes (:class:`Line`): where each starts, its
``- `` dashes, its key and whether a value follows, never the value itself (it may be a
secret). :mod:`monitor.settings_yaml` reads them to tell where an indentation slip is; these
helpers answer its questions about the lines above the one PyYAML stopped at."""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.settings_errors import looks_like_a_name

__all__ = [
    "Line",
    "Open",
    "alone",
    "empty_key_above",
    "ended_early",
    "first_item_apart",
    "first_under",
    "is_empty",
    "line_text",
    "open_columns",
    "structure",
    "unclosed_quote",
]


#: A line's ``- `` list dashes, after its indentation (``- - a`` has two).
_DASHES = re.compile(r"(?:-(?:[ \t]+|$))*")
#: A key and its colon, then a space and the value or nothing: ``lead:``, ``name: Sam``.
_KEYED = re.compile(
    r"""(?P<key>'[^']*'|"[^"]*"|[^\s#'"\[\]{}|>][^:#]*?)[ \t]*:(?:[ \t]+(?P<value>.*))?$"""
)
#: A key glued to its value, ``name:Sam`` (not a URL's ``http://``).
_GLUED = re.compile(r"(?P<key>[A-Za-z_][\w-]*):(?!//)[^\s:]")
#: A block scalar's indicator as a key's value: ``text: |``, ``text: >-``.
_BLOCK_SCALAR = re.compile(r"[|>][-+0-9]*(\s+#.*)?")


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the file as far as indentation goes: where its content starts, its ``- ``
    list dashes, its key and whether a value follows. A value is never kept: it may be a
    secret, and where the line starts is what a YAML slip is about."""

    row: int
    indent: str
    dashes: str
    key: str | None
    has_value: bool
    value_column: int | None
    glued: bool  # a key glued to its value, ``name:value``: YAML reads it as text

    @classmethod
    def parse(cls, row: int, text: str) -> Line:
        indent = text[: len(text) - len(text.lstrip(" \t"))]
        rest = text[len(indent) :]
        found = _DASHES.match(rest)
        dashes = found.group() if found else ""
        rest = rest[len(dashes) :]
        start = len(indent) + len(dashes)
        keyed = _KEYED.match(rest)
        if keyed is not None:
            value = (keyed.group("value") or "").strip()
            has_value = bool(value) and not value.startswith("#")
            where = start + keyed.start("value") if keyed.group("value") is not None else None
            return cls(row, indent, dashes, keyed.group("key"), has_value, where, glued=False)
        glued = _GLUED.match(rest)
        if glued is not None and glued.group("key") not in ("env", "file"):  # secrets' forms
            return cls(row, indent, dashes, glued.group("key"), True, None, glued=True)
        return cls(row, indent, dashes, None, bool(rest.strip()), None, glued=False)

    @property
    def column(self) -> int:
        return len(self.indent)

    @property
    def key_column(self) -> int:
        return len(self.indent) + len(self.dashes)

    @property
    def label(self) -> str:
        """The key and its colon, as written (``slack_channel:``), or ``…`` for a key that may
        be a token (``xoxb-…: 1`` is shown ``…:``) and for a line with no key."""
        if self.key is None:
            return "…"
        return f"{self.key}:" if looks_like_a_name(self.key.strip("'\"")) else "…:"

    @property
    def item_column(self) -> int:
        """Where what the line holds starts: its key, or a list item's value after ``- ``."""
        return self.key_column if self.key is not None else self.column

    @property
    def described(self) -> str:
        """``"name:" on line 53 (column 7)``; a list item as ``"- …"``."""
        name = self.label if self.key is not None else f"{self.dashes.strip()} …".lstrip()
        return f'"{name}" on line {self.row + 1} (column {self.item_column + 1})'

    @property
    def shown(self) -> str:
        """The line quoted as written up to its key, the value left out: ``"    lead: …"``."""
        indent = self.indent.replace("\t", "\\t")
        if self.key is None:
            body = "…" if self.has_value else ""
        elif self.glued:
            body = f"{self.label}…"
        else:
            body = f"{self.label} …" if self.has_value else self.label
        return f'"{indent}{self.dashes}{body}"'


@dataclass(frozen=True, slots=True)
class Open:
    """A column a line below ``line`` may start in: beside ``line``'s key, or, with ``dash``,
    as another item of its list."""

    column: int
    line: Line
    dash: bool

    @property
    def name(self) -> str:
        return f"- {self.line.label}" if self.dash else self.line.label


def structure(lines: list[str], row: int) -> list[Line]:
    """The lines above ``row`` that say something about indentation: not blank, not a
    comment, not inside a block scalar (``text: |`` and the lines indented under it)."""
    found: list[Line] = []
    scalar_below: int | None = None  # in a block scalar: its lines are indented past this
    for i, text in enumerate(lines[:row]):
        stripped = text.strip()
        if not stripped or stripped.startswith("#") or stripped in ("---", "..."):
            continue
        line = Line.parse(i, text)
        if scalar_below is not None and line.column > scalar_below:
            continue
        scalar_below = None
        found.append(line)
        value = text[line.value_column :].strip() if line.value_column is not None else ""
        if _BLOCK_SCALAR.fullmatch(value):
            scalar_below = line.key_column
    return found


def open_columns(above: list[Line]) -> list[Open]:
    """The columns still open at the line after ``above``, deepest first: each with the
    nearest line above starting there (a key, or a ``- `` item of a list)."""
    opens: list[Open] = []
    limit = None
    for line in reversed(above):
        columns = [(line.key_column, False)] if line.key is not None or not line.dashes else []
        if line.dashes:
            columns.append((line.column, True))
        for column, dash in columns:
            if limit is None or column < limit:
                opens.append(Open(column, line, dash))
                limit = column
    return opens


def first_under(above: list[Line], shallower: Open) -> Line | None:
    """The first key under ``shallower``'s key, which sets the column of the keys there."""
    if shallower.dash:
        return None
    index = above.index(shallower.line)
    first = above[index + 1] if index + 1 < len(above) else None
    if first is None or first.dashes or first.column <= shallower.column:
        return None
    return first


def alone(above: list[Line], first: Line) -> bool:
    """Whether ``first`` is the only key in its column in its block so far: then the block's
    column is known from that line alone, and it may be the one indented wrongly rather than
    the line below it that fails."""
    index = above.index(first)
    for line in above[index + 1 :]:
        if line.column < first.column:
            return True
        if line.column == first.column and not line.dashes:
            return False
    return True


def first_item_apart(above: list[Line], here: Line) -> tuple[Line, Line] | None:
    """The first ``- `` item of the list ``here`` is in, when it starts in another column than
    ``here``, and the key the list is under. YAML reads an item indented more than the first
    as more of the item before it, and stops lines later."""
    for i in range(len(above) - 1, -1, -1):
        line = above[i]
        if line.key is not None and not line.has_value and not line.dashes:
            first = above[i + 1] if i + 1 < len(above) else None
            if first is None or not first.dashes or first.column == here.column:
                return None
            return first, line
        if not line.dashes or line.key is not None:
            return None  # a key's value or an item holding keys: not one list of values
    return None


def ended_early(above: list[Line], shallower: Open, column: int) -> Line | None:
    """The key whose block ``shallower``'s key seems to have ended by mistake: the key before
    it in its own column, when the keys under that one start in ``column``, where the line
    that failed starts. So ``lead:`` written beside ``support:`` instead of under it ends
    ``support:``'s block, and the next line, indented as ``support:``'s keys, fails; the slip
    is ``lead:``'s, lines above the one PyYAML names. ``None`` when it does not look so."""
    index = above.index(shallower.line)
    for i in range(index - 1, -1, -1):
        line = above[i]
        start = line.column if shallower.dash else line.key_column
        if start < shallower.column:
            return None
        if start == shallower.column and line.key is not None and not line.has_value:
            first = above[i + 1] if i + 1 < index else None
            ok = first is not None and first.column == column and not first.dashes
            return line if ok else None
    return None


def is_empty(above: list[Line], line: Line) -> bool:
    """Whether ``line`` is a key with no value and nothing indented under it."""
    index = above.index(line)
    after = above[index + 1] if index + 1 < len(above) else None
    return (
        line.key is not None
        and not line.has_value
        and (after is None or after.key_column <= line.key_column)
    )


def empty_key_above(above: list[Line], here: Line) -> Line | None:
    """A key above ``here``, in its column and its block, with no value and nothing indented
    under it: a team's name indented as far as its settings, which then land beside it, in
    the team before it, where a key written twice is noticed."""
    for i in range(len(above) - 1, -1, -1):
        line = above[i]
        if line.key_column < here.key_column:
            return None
        if line.key_column == here.key_column and is_empty([*above, here], line):
            return line
    return None


def unclosed_quote(lines: list[str], row: int) -> tuple[int, int] | None:
    """Where a quoted value that is not closed on its own line starts, on ``row`` or above:
    YAML lets a quoted value run on over lines until its closing quote, so a quote left open
    makes PyYAML stumble far below it, on whatever follows the next quote in the file."""
    for line in structure(lines, row + 1):
        if line.value_column is not None:
            start = line.value_column
        elif line.key is None:
            start = line.key_column  # a list item: ``- "text``
        else:
            continue
        text = line_text(lines, line.row)
        quote = text[start : start + 1]
        if quote == '"' and not re.match(r'"(?:[^"\\]|\\.)*"', text[start:]):
            return line.row, start
        if quote == "'" and not re.match(r"'(?:[^']|'')*'", text[start:]):
            return line.row, start
    return None


def line_text(lines: list[str], row: int) -> str:
    """Line ``row`` of the file; ``""`` past its end, where PyYAML marks an unexpected end."""
    return lines[row] if row < len(lines) else ""
