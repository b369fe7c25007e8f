"""Reading the settings file: YAML in, frozen :class:`~monitor.settings.Settings` out, and
every failure one :class:`~monitor.errors.ConfigError` naming the field, the value and the fix."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, SecretStr, ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from monitor.errors import ConfigError
from monitor.settings import CrossRef, Settings
from monitor.settings_sources import SOURCE_MODELS
from monitor.settings_types import SecretProblem

__all__ = ["load_settings"]


def load_settings(
    path: str | Path,
    *,
    environ: Mapping[str, str] | None = None,
    database_url: str | None = None,
) -> Settings:
    """Read, validate and freeze the settings in ``path``.

    ``environ`` defaults to ``os.environ``; it supplies ``env:NAME`` secrets and the
    ``REPLYWATCH_DATABASE_URL`` override. ``database_url`` (from the command line) wins over both.
    Raises :class:`ConfigError` for every problem, never a library exception.
    """
    path = Path(path)
    env = os.environ if environ is None else environ
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            "", f"config file {path} not found; create one with `replywatch init`"
        ) from None
    except OSError as exc:
        raise ConfigError("", f"cannot read config file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError("", f"config file {path} is not UTF-8 text") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader: no Python objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError("", f"{path} is not valid YAML{where}: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            "", f"{path} must be a mapping of settings (key: value), not a {type(data).__name__}"
        )
    data = _relative_paths(data, base=path.parent)
    override = database_url or env.get("REPLYWATCH_DATABASE_URL")
    if override:  # a command line's or environment's path is the caller's: left as written
        data["database_url"] = override
    return _validate(data, env)


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key written twice in one mapping. PyYAML keeps the last
    silently, so a second ``teams:`` block pasted below the first would drop the first. Keys
    brought in by a ``<<`` merge may be overridden, as YAML intends."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            key = self.construct_object(key_node)
            if key in seen:
                first = seen[key].line + 1
                raise yaml.constructor.ConstructorError(
                    problem=f"key {key!r} is written twice (first at line {first}); keep one",
                    problem_mark=key_node.start_mark,
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def _relative_paths(data: dict[str, Any], *, base: Path) -> dict[str, Any]:
    """File paths inside the config are relative to the config file, not to the caller's cwd."""

    def anchored(value: object) -> object:
        if not isinstance(value, str):
            return value
        p = Path(value).expanduser()
        return str(p if p.is_absolute() else base / p)

    data = {**data, "database_url": _anchored_sqlite(data.get("database_url"), base)}
    sources = data.get("sources")
    if isinstance(sources, list):
        data = {
            **data,
            "sources": [
                {**item, "path": anchored(item["path"])}
                if isinstance(item, dict) and "path" in item
                else item
                for item in sources
            ],
        }

    def model_source(value: object) -> object:
        """A transformer model is a hub id ("org/name") or a folder: a folder when it starts
        with "." or "~", or when the config's own folder has it."""
        if not isinstance(value, str) or Path(value).expanduser().is_absolute():
            return value
        if value.startswith((".", "~")) or (base / value).is_dir():
            return anchored(value)
        return value

    fixes = (
        ("acknowledgements", "templates", anchored),
        ("classifier", "model_dir", anchored),
        ("classifier", "sentiment_model", model_source),
        ("classifier", "complaint_model", model_source),
    )
    for section, key, fix in fixes:
        part = data.get(section)
        if isinstance(part, dict) and key in part:
            data = {**data, section: {**part, key: fix(part[key])}}
    return data


def _anchored_sqlite(url: object, base: Path) -> object:
    """A SQLite file named by the config (or the default ``replywatch.db``) lies beside the
    config file, wherever the daemon is started from; other URLs are left as written."""
    if url is None:
        url = Settings.model_fields["database_url"].default
    if not isinstance(url, str):
        return url
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return url  # the validator says what is wrong, without echoing it
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return url
    if database.startswith("file:") or parsed.query.get("uri"):
        return url  # a SQLite URI: its own rules
    file = Path(database).expanduser()
    if not file.is_absolute():
        file = base / file
    return parsed.set(database=str(file)).render_as_string(hide_password=False)


def _validate(data: dict[str, Any], env: Mapping[str, str]) -> Settings:
    try:
        return Settings.model_validate(data, context={"environ": env})
    except ValidationError as exc:
        raise _to_config_error(exc) from None


def _to_config_error(exc: ValidationError) -> ConfigError:
    error = exc.errors(include_url=False)[0]
    ctx = error.get("ctx") or {}
    inner = ctx.get("error")
    if isinstance(inner, CrossRef):
        return ConfigError(inner.field, inner.message, value=inner.value)
    loc = _path(error["loc"])
    field = ".".join(loc) or "(top level)"
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(error["loc"])
        hint = f"; allowed keys here: {', '.join(allowed)}" if allowed else ""
        return ConfigError(field, f"unknown key{hint}. Remove it or fix its spelling", value=value)
    if kind == "missing":
        return ConfigError(field, "is required but missing; add it", value=None)
    message = str(error["msg"]).removeprefix("Value error, ")
    if isinstance(inner, SecretProblem):
        return ConfigError(field, message)  # never echo what was written in a secret's place
    if kind == "union_tag_invalid":
        tags = ", ".join(SOURCE_MODELS)
        return ConfigError(
            field, f"unknown type {ctx.get('tag')!r}; expected one of {tags}", value=value
        )
    if kind == "union_tag_not_found":  # the source is not echoed: it may hold a secret
        tags = ", ".join(SOURCE_MODELS)
        return ConfigError(field, f"has no type; add type: with one of {tags}")
    if kind in ("model_type", "dict_type") and not isinstance(value, list):
        # a value where a section belongs: say what it is, not what it says (a token pasted
        # under alerts.slack would be echoed otherwise)
        return ConfigError(field, f"{message} (got a {type(value).__name__})")
    shown = _show(value)
    return ConfigError(field, f"{message} (got {shown})", value=value)


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


def _show(value: object) -> str:
    if isinstance(value, SecretStr):
        return "a secret"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
