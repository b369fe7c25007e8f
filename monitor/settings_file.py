"""Reading the settings file: YAML in, frozen :class:`~monitor.settings.Settings` out, and
every failure one :class:`~monitor.errors.ConfigError` naming the field, the value and the fix."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from monitor.errors import ConfigError
from monitor.settings import Settings
from monitor.settings_errors import to_config_error
from monitor.settings_sources import JsonlSourceSettings, RssSourceSettings
from monitor.settings_types import PLATFORMS
from monitor.settings_yaml import yaml_error

__all__ = ["load_settings", "settings_warnings"]


def load_settings(
    path: str | Path,
    *,
    environ: Mapping[str, str] | None = None,
    database_url: str | None = None,
    read_secrets: bool = True,
) -> Settings:
    """Read, validate and freeze the settings in ``path``.

    ``environ`` defaults to ``os.environ``; it supplies ``env:NAME`` secrets and the
    ``REPLYWATCH_DATABASE_URL`` override. ``database_url`` (from the command line) wins over both.
    A relative ``file:`` secret, like every path in the file, is relative to the file's folder.
    ``read_secrets=False`` is for commands that send nothing (``cases``, ``report``): secrets
    are checked for their form but not read, so they need no token exported.
    Raises :class:`ConfigError` for every problem, never a library exception; a bad override is
    named as it was given (``--database-url``, ``REPLYWATCH_DATABASE_URL``), not as the file's
    ``database_url``, which may be fine.
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
        raise yaml_error(path, text, exc) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            "", f"{path} must be a mapping of settings (key: value), not {_a(type(data).__name__)}"
        )
    data = _relative_paths(data, base=path.parent)
    given_as, override = _database_override(database_url, env)
    if override:  # a command line's or environment's path is the caller's: not anchored
        data["database_url"] = _anchored_sqlite(override, None)
    try:
        return _validate(data, env, base=path.parent, read_secrets=read_secrets)
    except ConfigError as exc:
        if given_as and exc.field == "database_url":
            message = str(exc).removeprefix("database_url: ")
            raise ConfigError(given_as, message) from None
        raise


def settings_warnings(settings: Settings) -> list[str]:
    """What is wrong in loaded settings but harms nothing yet, one line each, naming the field:
    for ``replywatch check-config`` to print as warnings while it still says OK.

    An ``acknowledgements.templates`` folder that is not there is read only when a platform
    acknowledges (any mode but ``off``): until then it harms nothing, and the start-up checks
    refuse it as soon as a mode would use it (:func:`monitor.acknowledge.load_templates`).
    It is still a mistake, found now rather than the day a mode is turned on.

    An enabled source whose platform has no brand account (a jsonl source's ``platform`` is
    what its lines that name none get) cannot tell the brand's own replies there: they are
    stored as mentions and stop no clocks. An RSS source is left out: feeds carry no replies."""
    warnings = _brandless_sources(settings)
    templates = settings.acknowledgements.templates
    if templates is not None and not settings.acknowledgements.enabled and not templates.is_dir():
        what = "is a file, not a folder" if templates.exists() else "does not exist"
        warnings.append(
            f"acknowledgements.templates: {templates} {what}; it is not read while every "
            "acknowledgements mode is off, but turning one on will fail until it is a folder of "
            "<lang>.yaml templates (or leave templates unset for the shipped ones)"
        )
    return warnings


def _brandless_sources(settings: Settings) -> list[str]:
    """One warning per enabled source whose platform lists no brand account."""
    warnings: list[str] = []
    for source in settings.sources:
        if not source.enabled or isinstance(source, RssSourceSettings):
            continue
        platform = source.platform if isinstance(source, JsonlSourceSettings) else source.type
        if settings.brand_accounts.get(platform):  # type: ignore[call-overload]
            continue
        listed = (
            f"list the brand's account under brand_accounts.{platform}"
            if platform in PLATFORMS
            else f"brand_accounts cannot list {platform!r}"
        )
        if isinstance(source, JsonlSourceSettings):
            warnings.append(
                f"sources.{source.name}: its lines that name no platform are read as platform "
                f"{platform!r}, which has no brand account, so the brand's own replies there are "
                "stored as mentions and stop no clocks; set the source's platform: to where the "
                f"posts come from (such as x), or {listed}"
            )
        else:
            warnings.append(
                f"sources.{source.name}: no brand account is listed under "
                f"brand_accounts.{platform}, so the brand's own {platform} replies are stored as "
                "mentions and stop no clocks; list the brand's account there, with its team"
            )
    return warnings


def _database_override(cli: str | None, env: Mapping[str, str]) -> tuple[str, str | None]:
    """The database URL given outside the file, and where it was given: the command line's
    ``--database-url`` wins over ``REPLYWATCH_DATABASE_URL``. ``("", None)`` when neither is."""
    if cli:
        return "--database-url", cli
    if from_env := env.get("REPLYWATCH_DATABASE_URL"):
        return "REPLYWATCH_DATABASE_URL", from_env
    return "", None


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


def _anchored_sqlite(url: object, base: Path | None) -> object:
    """A SQLite file named by the config (or the default ``replywatch.db``) lies beside the
    config file, wherever the daemon is started from; other URLs are left as written.

    ``base=None`` is for a URL given outside the file (``--database-url``,
    ``REPLYWATCH_DATABASE_URL``): a relative file there is the caller's, relative to its current
    folder, and only ``~`` is expanded. The shell leaves a ``~`` inside a URL alone, and SQLite
    would otherwise make a folder named ``~`` in the current one."""
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
    if not file.is_absolute() and base is not None:
        file = base / file
    if str(file) == database:
        return url  # nothing to expand or anchor: as written
    return parsed.set(database=str(file)).render_as_string(hide_password=False)


def _validate(
    data: dict[str, Any], env: Mapping[str, str], *, base: Path, read_secrets: bool
) -> Settings:
    """``base``: the config file's folder, where a relative ``file:`` secret is read from."""
    context = {"environ": env, "base": base, "read_secrets": read_secrets}
    try:
        return Settings.model_validate(data, context=context)
    except ValidationError as exc:
        raise to_config_error(exc) from None


def _a(noun: str) -> str:
    """``noun`` with its article: ``a list``, ``an int``."""
    return f"{'an' if noun[:1] in tuple('aeiou') else 'a'} {noun}"
