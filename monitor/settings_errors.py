"""Pydantic's validation errors told in a settings file's terms: one
:class:`~monitor.errors.ConfigError` naming the field, what is wrong and the fix, and what was
written only where it cannot be a secret (:func:`to_config_error`)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from types import UnionType
from typing import Annotated, Any, TypeGuard, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr, ValidationError

from monitor.errors import ConfigError
from monitor.settings import CrossRef, Settings
from monitor.settings_sources import SOURCE_MODELS
from monitor.settings_types import SecretProblem

__all__ = ["looks_like_a_name", "to_config_error"]


def to_config_error(exc: ValidationError) -> ConfigError:
    """The first error as one line: the field, what is wrong and the fix, and what was written
    only where it cannot be a secret. A list or mapping is told by its shape (a ``sources:``
    block without its ``-`` is a mapping holding the token); a scalar is told by its type where
    a section belongs or where a secret or URL may be written (see :func:`_may_hold_secret`)."""
    error = exc.errors(include_url=False)[0]
    ctx = error.get("ctx") or {}
    inner = ctx.get("error")
    if isinstance(inner, CrossRef):
        return ConfigError(inner.field, inner.message, value=inner.value)
    kind = error["type"]
    key = _wrong_key(error["loc"], kind)
    if key is not None and not looks_like_a_name(key):
        return _hidden_key_error(error["loc"], kind, str(error["msg"]), key)
    loc = _path(error["loc"])
    field = ".".join(loc) or "(top level)"
    expected = _expected_at(error["loc"])
    written = error.get("input")
    private = kind in _SECTION_TYPES or _may_hold_secret(expected)
    value = None if private else written  # kept on the error: never a secret there either
    if kind == "extra_forbidden":
        allowed = _allowed_keys(error["loc"])
        hint = f"; allowed keys here: {', '.join(allowed)}" if allowed else ""
        return ConfigError(field, f"unknown key{hint}. Remove it or fix its spelling", value=value)
    if kind == "missing":
        return ConfigError(field, "is required but missing; add it", value=None)
    message = _in_yaml_terms(kind, written) or str(error["msg"]).removeprefix("Value error, ")
    if isinstance(inner, SecretProblem):
        return ConfigError(field, message)  # never echo what was written in a secret's place
    if field == "database_url" and kind == "string_type":
        from monitor.db import EXPECTED  # lazily, as settings.py: alembic is not needed here

        message = f"{EXPECTED}, as one line of text"
    if kind == "union_tag_invalid":
        tags = ", ".join(SOURCE_MODELS)
        tag = written.get("type") if isinstance(written, dict) else None
        if not isinstance(tag, str):  # a list or mapping in type's place: told by its shape
            shown = _show(tag, private=True, keys=frozenset())
            return ConfigError(field, f"type must be one of {tags} (got {shown})")
        return ConfigError(field, f"unknown type {tag!r}; expected one of {tags}", value=value)
    if kind == "union_tag_not_found":  # the source is not echoed: it may hold a secret
        tags = ", ".join(SOURCE_MODELS)
        return ConfigError(field, f"has no type; add type: with one of {tags}")
    shown = _show(written, private=private, keys=_field_names(expected))
    return ConfigError(field, f"{message} (got {shown})", value=value)


def _wrong_key(loc: tuple[int | str, ...], kind: str) -> str | None:
    """The key at fault when the error is about a key itself: one the section does not know
    (``extra_forbidden``, or ``invalid_key`` for a number), or a mapping's key of the wrong kind
    (``brand_accounts.<key>``, where a platform belongs). ``None`` for an error about a value."""
    if kind in _UNKNOWN_KEY and loc:
        return str(loc[-1])
    if len(loc) >= 2 and loc[-1] == "[key]":
        return str(loc[-2])
    return None


#: Error kinds for a key a section does not have: a name, or a number (never a setting's key).
_UNKNOWN_KEY = frozenset({"extra_forbidden", "invalid_key"})

#: A settings key as it may be misspelt: a word of letters, digits, "_" or "-".
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,31}")
#: Two capitals in a row inside a mixed-case key: a token's, not camelCase's.
_CAPITALS = re.compile(r"[A-Z]{2}")


def looks_like_a_name(key: str) -> bool:
    """Whether a wrong key is a misspelt setting (``bot_tokn``, ``pollInterval``, ``BOT_TOKEN``),
    named in the error because that is the fix, rather than a token written with a colon after
    it (``xoxb-1-2-abc: 1``, an X bearer, a Reddit secret), which must not be shown.

    Settings keys are short snake_case words, so a key is taken for a token when it has a
    character no name has (``%``, ``/``, ``.``, ``=``), is over 32 characters, has more than two
    digits or digits and a dash, or mixes cases with capitals side by side. This errs towards
    hiding: a hidden typo still gets its section and the keys allowed there. A YAML slip's
    line is shown up to its key by the same rule (:mod:`monitor.settings_yaml`)."""
    if not _NAME.fullmatch(key):
        return False
    digits = sum(c.isdigit() for c in key)
    if digits > 2 or (digits and "-" in key):
        return False
    mixed = key not in (key.lower(), key.upper())
    return not (mixed and (len(key) > 24 or _CAPITALS.search(key)))


def _hidden_key_error(loc: tuple[int | str, ...], kind: str, message: str, key: str) -> ConfigError:
    """A wrong ``key`` that may be a token (see :func:`_wrong_key`), told by its length and
    blamed on its section, with the keys allowed there."""
    section = ".".join(_path(loc[: -1 if kind in _UNKNOWN_KEY else -2]))
    field = section or "(top level)"
    shown = f"{len(key)} character{'' if len(key) == 1 else 's'}, not shown: it may be a token"
    if kind in _UNKNOWN_KEY:
        allowed = _allowed_keys(loc)
        hint = f"; allowed keys here: {', '.join(allowed)}" if allowed else ""
        return ConfigError(field, f"an unknown key ({shown}){hint}. Remove it or fix its spelling")
    message = message.removeprefix("Value error, ")
    return ConfigError(field, f"{message} (got a key of {shown})")


#: Error kinds meaning a section (a mapping of settings) belongs here: a scalar in its place
#: is told by its type only, as a token pasted under ``alerts.slack`` would be echoed otherwise.
_SECTION_TYPES = frozenset({"model_type", "model_attributes_type", "dict_type"})


def _in_yaml_terms(kind: str, written: object) -> str | None:
    """pydantic's words for a wrong shape ("a valid tuple", "instance of SlackSettings") as
    the YAML to write instead; ``None`` for every other kind of error."""
    if kind in ("tuple_type", "list_type"):
        return 'expected a list: start each item on its own line with "- "'
    if kind in _SECTION_TYPES and isinstance(written, list):
        return 'expected key: value lines, not a list; remove the "- " before them'
    if kind in _SECTION_TYPES:
        return "expected key: value lines indented below it"
    return None


def _path(loc: tuple[int | str, ...]) -> list[str]:
    """The field path without pydantic's union tags: ``sources.0.client_id``."""
    parts = [str(p) for p in loc if p != "[key]"]
    if len(parts) >= 3 and parts[0] == "sources" and parts[2] in SOURCE_MODELS:
        del parts[2]
    return parts


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    """The keys accepted where an unknown key was found, walking pydantic's raw location
    (list indices, dict keys and the source type's union tag included)."""
    model: type[BaseModel] = Settings
    for part in loc[:-1]:
        if part in model.model_fields:
            model = _inner_model(model.model_fields[str(part)].annotation) or model
        elif part in SOURCE_MODELS and model in SOURCE_MODELS.values():
            model = SOURCE_MODELS[str(part)]  # the union tag picks the source's model
    return sorted(model.model_fields)


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    """The first settings model inside an annotation (``tuple[Entity, ...]`` -> ``Entity``)."""
    stack = [annotation]
    while stack:
        current = stack.pop()
        if isinstance(current, type) and issubclass(current, BaseModel):
            return current
        stack.extend(get_args(current))
    return None


def _show(value: object, *, private: bool, keys: frozenset[str]) -> str:
    """What was written, as far as it can be told without showing a secret: a list by its
    length and a mapping by its keys (only the settings' own ``keys`` where it is ``private``:
    a key may be a token written with a colon after it), and a ``private`` scalar by its type."""
    if isinstance(value, SecretStr):
        return "a secret"
    if isinstance(value, Mapping):
        return _mapping_shape(value, keys if private else None)
    if isinstance(value, list | tuple):
        return f"a list of {len(value)} item{'' if len(value) == 1 else 's'}"
    if private and not (value is None or isinstance(value, bool)):
        name = type(value).__name__
        return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _mapping_shape(value: Mapping[Any, Any], known: frozenset[str] | None) -> str:
    """``a mapping with keys type, bearer_token``; keys not in ``known`` (when ``None``, keys
    that do not look like a name: a token written with a colon after it) are only counted."""
    names = [
        str(k) for k in value if (looks_like_a_name(str(k)) if known is None else str(k) in known)
    ]
    others = len(value) - len(names)
    if not names:
        return f"a mapping with {others} key{'' if others == 1 else 's'}"
    text = ", ".join(names)
    text = text if len(text) <= 80 else text[:77] + "..."
    if others:
        text += f" and {others} other{'' if others == 1 else 's'}"
    return f"a mapping with key{'' if len(value) == 1 else 's'} {text}"


def _expected_at(loc: tuple[int | str, ...]) -> tuple[Any, str] | None:
    """What the settings expect at pydantic's raw ``loc``: the annotation, and the name of the
    field it is (or is inside: ``urls`` for ``sources.0.rss.urls.1``). ``None`` where the walk
    gets lost, which :func:`_may_hold_secret` reads as "may"."""
    if loc and loc[-1] == "[key]":
        return str, ""  # a mapping's key: a name (one that may be a token is hidden before)
    annotation: Any = Settings
    name = ""
    for part in loc:
        step = _step(annotation, part)
        if step is None:
            return None
        annotation, name = step[0], step[1] or name
    return annotation, name


def _step(annotation: Any, part: int | str) -> tuple[Any, str] | None:
    """One step of :func:`_expected_at`: into a model's field, a source's union tag, a list's
    item or a mapping's value."""
    for option in _options(annotation):
        if isinstance(option, type) and issubclass(option, BaseModel):
            if isinstance(part, str) and part in option.model_fields:
                return option.model_fields[part].annotation, part
            if part in SOURCE_MODELS and option in SOURCE_MODELS.values():
                return SOURCE_MODELS[str(part)], ""
        origin, args = get_origin(option), get_args(option)
        if origin in (tuple, list) and args and isinstance(part, int):
            return args[0], ""
        if origin is dict and len(args) == 2:
            return args[1], ""
    return None


def _options(annotation: Any) -> list[Any]:
    """The types an annotation allows: ``Annotated`` and unions (``X | None``) unwrapped."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _options(get_args(annotation)[0])
    if origin in (Union, UnionType):
        return [option for arg in get_args(annotation) for option in _options(arg)]
    return [annotation]


def _may_hold_secret(expected: tuple[Any, str] | None) -> bool:
    """Whether what belongs here is, or holds, a secret or a URL (a URL may carry a password
    or a token): ``database_url``, a source, ``alerts.slack``, ``alerts`` itself."""
    if expected is None:
        return True
    annotation, name = expected
    for inner in _inside(annotation):
        if inner is SecretStr or (_is_model(inner) and any(map(_is_url, inner.model_fields))):
            return True
    return _is_url(name)


def _field_names(expected: tuple[Any, str] | None) -> frozenset[str]:
    """Every settings key that may be written at or below ``expected``."""
    if expected is None:
        return frozenset()
    return frozenset(f for t in _inside(expected[0]) if _is_model(t) for f in t.model_fields)


def _inside(annotation: Any) -> Iterator[Any]:
    """Every type inside ``annotation``: through unions, lists, mappings and models' fields."""
    seen: set[type[BaseModel]] = set()
    stack = [annotation]
    while stack:
        current = stack.pop()
        yield current
        if _is_model(current):
            if current in seen:
                continue
            seen.add(current)
            stack.extend(f.annotation for f in current.model_fields.values())
        stack.extend(get_args(current))


def _is_model(value: object) -> TypeGuard[type[BaseModel]]:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _is_url(name: str) -> bool:
    return name.endswith(("url", "urls"))
