"""Field types shared by the settings models: durations, secrets, time zones, the frozen base."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, SecretStr, ValidationInfo

__all__ = [
    "PLATFORMS",
    "SEVERITIES",
    "Duration",
    "LanguageCode",
    "Platform",
    "Secret",
    "SecretProblem",
    "SettingsModel",
    "Severity",
    "SlackChannel",
    "TimeZoneName",
    "UnreadSecret",
    "duration_unit",
    "format_duration",
    "parse_duration",
]

PLATFORMS = ("reddit", "x", "rss", "jsonl", "memory")
Platform = Literal["reddit", "x", "rss", "jsonl", "memory"]
Severity = Literal["low", "normal", "high", "critical"]
SEVERITIES: tuple[str, ...] = ("low", "normal", "high", "critical")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_NUMBER = re.compile(r"^\s*\d+(?:\.\d+)?\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: object) -> timedelta:
    """``"90s"``, ``"15m"``, ``"4h"``, ``"3d"`` or ``"1w"``. A bare number is refused: one
    team's ``within: 30`` means minutes, another's seconds, and reading the wrong one pages
    people at once or polls an API every few seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        value = f"{value:g}"  # nan and inf fall through to the general message
    if isinstance(value, str) and _NUMBER.match(value):
        n = value.strip()
        raise ValueError(f"{n} has no unit; write {n}s, {n}m, {n}h or {n}d")
    if isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    else:
        raise ValueError("expected a duration such as 90s, 15m, 4h or 3d")
    if not seconds > 0:  # nan fails this too
        raise ValueError("expected a duration greater than zero, such as 15m")
    try:
        return timedelta(seconds=seconds)
    except OverflowError:  # inf, or more than timedelta's 999,999,999 days
        raise ValueError("expected a duration of at most a few years, such as 4w") from None


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def format_duration(delta: timedelta) -> str:
    """A duration as it would be written in the config (``30m``, ``2h``, ``7d``, ``45s``):
    the largest unit up to days that divides it."""
    seconds = int(delta.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds and seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


def duration_unit(value: object) -> str | None:
    """The unit a duration was written in (``"d"`` for ``"3d"``); ``None`` for anything else."""
    found = _DURATION.match(value) if isinstance(value, str) else None
    return found.group(2) if found else None


def _resolve_secret(value: object, info: ValidationInfo) -> object:
    """``env:NAME`` reads the environment, ``file:/path`` reads a file; literals are refused.

    A relative ``file:`` path is read from the context's ``base`` (the config file's folder,
    as every path in the config is), so a daemon started from ``/`` by systemd finds the same
    file as the CLI run beside it; without a ``base`` (settings not from a file), from the
    current folder.

    With ``read_secrets: False`` in the context (a command that sends nothing), the reference
    is checked for its form only and stands as an :class:`UnreadSecret`: listing cases needs
    the database, not the Slack token. So is a secret of a source written ``enabled: false``
    (``enabled`` is validated before the secrets, as the models declare it first): people park
    a source they have no token for yet, and a disabled source is never built."""
    context = info.context or {}
    environ = context.get("environ", os.environ)
    if isinstance(value, SecretStr) or value is None:
        return value
    if not isinstance(value, str):  # a number pasted in: still a secret, never echoed
        raise SecretProblem("expected env:NAME or file:/path")
    read = context.get("read_secrets", True) and info.data.get("enabled") is not False
    if value.startswith("env:"):
        name = value[4:].strip()
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise SecretProblem("expected env:NAME with a valid variable name")
        if not read:
            return UnreadSecret(value)
        secret = environ.get(name)
        if not secret:
            raise SecretProblem(
                f"environment variable {name} is not set; export it or change the name"
            )
        return SecretStr(secret)
    if value.startswith("file:"):
        if not read:
            return UnreadSecret(value)
        path = Path(value[5:].strip()).expanduser()
        base = context.get("base")
        if base is not None and not path.is_absolute():
            path = Path(base) / path
        try:
            secret = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SecretProblem(f"cannot read secret file {path}: {exc.strerror}") from None
        if not secret:
            raise SecretProblem(f"secret file {path} is empty; write the secret into it")
        return SecretStr(secret)
    raise SecretProblem(
        "secrets must not be written in the file; write env:NAME and export NAME instead"
    )


class SecretProblem(ValueError):
    """A secret that could not be resolved; its value is never echoed back."""


class UnreadSecret(SecretStr):
    """A secret a command did not read (see :func:`_resolve_secret`). Asking for its value is a
    bug in that command, told by where the secret is written, not an empty token sent out."""

    def __init__(self, reference: str) -> None:
        super().__init__("")
        self.reference = reference

    def get_secret_value(self) -> str:
        raise RuntimeError(f"secret {self.reference} was not read for this command")


Secret = Annotated[SecretStr, BeforeValidator(_resolve_secret)]


class SettingsModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            "expected an IANA time zone such as Europe/London or Asia/Tehran"
        ) from None
    return value


TimeZoneName = Annotated[str, BeforeValidator(lambda v: _zone(str(v)))]


def _language(value: object) -> str:
    """An ISO 639-1 code as the classifier names languages (``en``, ``fa``; ``EN`` is read as
    ``en``): a name such as ``english`` would match no post, silently."""
    code = str(value).strip().lower()
    if not re.fullmatch(r"[a-z]{2,3}", code):
        raise ValueError("expected a language code such as en, fa, ar or tl (ISO 639-1)")
    return code


LanguageCode = Annotated[str, BeforeValidator(_language)]


def _channel(value: object) -> str:
    text = str(value).strip()
    if not re.fullmatch(r"#[a-z0-9][a-z0-9._-]{0,79}|[CG][A-Z0-9]{2,}", text):
        raise ValueError(
            "expected a channel name like #support (lower case, no spaces) or an id like C0123ABCD"
        )
    return text


SlackChannel = Annotated[str, BeforeValidator(_channel)]
