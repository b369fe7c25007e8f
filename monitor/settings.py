"""Settings: one YAML file, validated once at start-up, passed down frozen.

Precedence: command-line options > ``REPLYWATCH_*`` environment > the file > defaults. Nothing
else reads ``os.environ``: secrets are written ``env:NAME`` (or ``file:/path``) in the file and
resolved here, into :class:`pydantic.SecretStr`, so they never print.

Every validation failure becomes a :class:`monitor.errors.ConfigError` naming the field path,
the bad value and what is expected; the CLI prints it and exits 2.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from monitor.errors import ConfigError

__all__ = [
    "AcknowledgementSettings",
    "AlertsSettings",
    "BrandAccount",
    "BusinessHours",
    "ClassifierSettings",
    "Duration",
    "Entity",
    "JsonlSourceSettings",
    "Member",
    "QuietSettings",
    "RedditSourceSettings",
    "RoutingRule",
    "RssSourceSettings",
    "Settings",
    "SlackSettings",
    "SourceSettings",
    "Standard",
    "StandardsSettings",
    "Team",
    "XSourceSettings",
    "load_settings",
    "parse_duration",
]

PLATFORMS = ("reddit", "x", "rss", "jsonl", "memory")
Platform = Literal["reddit", "x", "rss", "jsonl", "memory"]
Severity = Literal["low", "normal", "high", "critical"]
SEVERITIES: tuple[str, ...] = ("low", "normal", "high", "critical")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: object) -> timedelta:
    """``"90s"``, ``"15m"``, ``"4h"``, ``"3d"``, ``"1w"`` or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 15m, 4h or 3d")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    else:
        raise ValueError("expected a duration such as 90s, 15m, 4h or 3d")
    if seconds <= 0:
        raise ValueError("expected a duration greater than zero, such as 15m")
    return timedelta(seconds=seconds)


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def _resolve_secret(value: object, info: ValidationInfo) -> object:
    """``env:NAME`` reads the environment, ``file:/path`` reads a file; literals are refused."""
    environ = (info.context or {}).get("environ", os.environ)
    if isinstance(value, SecretStr) or value is None:
        return value
    if not isinstance(value, str):
        raise ValueError("expected env:NAME or file:/path")
    if value.startswith("env:"):
        name = value[4:].strip()
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError("expected env:NAME with a valid variable name")
        secret = environ.get(name)
        if not secret:
            raise ValueError(
                f"environment variable {name} is not set; export it or change the name"
            )
        return SecretStr(secret)
    if value.startswith("file:"):
        path = Path(value[5:].strip()).expanduser()
        try:
            return SecretStr(path.read_text(encoding="utf-8").strip())
        except OSError as exc:
            raise _SecretProblem(f"cannot read secret file {path}: {exc.strerror}") from None
    raise _SecretProblem(
        "secrets must not be written in the file; write env:NAME and export NAME instead"
    )


class _SecretProblem(ValueError):
    """A secret that could not be resolved; its value is never echoed back."""


Secret = Annotated[SecretStr, BeforeValidator(_resolve_secret)]


class _Model(BaseModel):
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


# ---------------------------------------------------------------------------------- people


class Member(_Model):
    """A person on a team. ``slack_id`` is their Slack user id (U...)."""

    name: str = Field(min_length=1)
    slack_id: str | None = Field(default=None, pattern=r"^[UW][A-Z0-9]{2,}$")
    on_call: bool = False


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BusinessHours(_Model):
    """When a team works, in its own time zone. Outside these hours clocks in business time stop."""

    timezone: TimeZoneName = "UTC"
    days: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] = (
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
    )
    start: time = time(9, 0)
    end: time = time(17, 0)

    @model_validator(mode="after")
    def _order(self) -> BusinessHours:
        if self.end <= self.start:
            raise ValueError("end must be later than start (for example start 09:00, end 17:00)")
        if not self.days:
            raise ValueError("days must list at least one day, such as [mon, tue, wed, thu, fri]")
        return self

    @property
    def weekday_numbers(self) -> frozenset[int]:
        return frozenset(_DAYS.index(d) for d in self.days)


class Team(_Model):
    slack_channel: str
    members: tuple[Member, ...] = ()
    lead: Member | None = None
    business_hours: BusinessHours = BusinessHours()
    #: Name of an entry under ``service_standards``.
    standards: str = "default"

    @field_validator("slack_channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        if not re.fullmatch(r"#[a-z0-9][a-z0-9._-]{0,79}|[CG][A-Z0-9]{2,}", value):
            raise ValueError(
                "expected a channel name like #support (lower case, no spaces) "
                "or an id like C0123ABCD"
            )
        return value


# ------------------------------------------------------------------------------- standards


class Standard(_Model):
    """A measurable, time-bound standard: ``target_pct`` of cases within ``within``."""

    within: Duration
    target_pct: float = Field(default=90.0, gt=0, le=100)
    time: Literal["business", "calendar"] = "calendar"


class StandardsSettings(_Model):
    acknowledge: Standard = Standard(within=timedelta(minutes=15))
    first_response: dict[Severity, Standard] = Field(
        default_factory=lambda: {
            "low": Standard(within=timedelta(hours=24), time="business"),
            "normal": Standard(within=timedelta(hours=4), time="business"),
            "high": Standard(within=timedelta(hours=1)),
            "critical": Standard(within=timedelta(minutes=15)),
        }
    )
    resolve: Standard = Standard(within=timedelta(days=3), time="business")
    #: Warn the owner this long before a due time.
    warn_before: Duration = timedelta(minutes=5)

    @field_validator("first_response")
    @classmethod
    def _all_severities(cls, value: dict[str, Standard]) -> dict[str, Standard]:
        missing = [s for s in SEVERITIES if s not in value]
        if missing:
            raise ValueError(
                f"missing severities {missing}; give one standard for each of {list(SEVERITIES)}"
            )
        return value


# -------------------------------------------------------------------------------- watchlist


class Entity(_Model):
    """Something the team listens for: the brand, a product, a member of staff."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: Literal["brand", "product", "staff"]
    name: str = Field(min_length=1)
    #: Words and phrases, ``@handles`` and ``#hashtags``; matched as whole words.
    terms: tuple[str, ...] = Field(min_length=1)
    #: Phrases that make a match not count (``"nova scotia"`` for a brand called Nova).
    exclude: tuple[str, ...] = ()
    #: Languages to keep (ISO 639-1); empty keeps every language.
    languages: tuple[str, ...] = ()
    #: Team that owns mentions of this entity (a key under ``teams``); without one, routing
    #: rules decide, then ``fallback_team``.
    team: str | None = None

    @field_validator("terms", "exclude")
    @classmethod
    def _no_blank(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not t.strip() for t in value):
            raise ValueError("terms must not be empty strings")
        return value


class BrandAccount(_Model):
    """One of the brand's own accounts. Its posts are responses, never mentions."""

    handle: str = Field(min_length=1)
    #: The platform's numeric or opaque id, where known (X user id, Reddit t2_ id).
    native_id: str | None = None
    team: str | None = None

    @field_validator("handle")
    @classmethod
    def _strip_sigil(cls, value: str) -> str:
        return value.lstrip("@").removeprefix("u/").removeprefix("/u/")


# ---------------------------------------------------------------------------------- sources


class _SourceBase(_Model):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    poll_interval: Duration = timedelta(minutes=2)
    #: Timeout for every network call this source makes.
    timeout: Duration = timedelta(seconds=30)
    enabled: bool = True


class JsonlSourceSettings(_SourceBase):
    """Posts from a JSON-lines file (see the README for the schema)."""

    type: Literal["jsonl"]
    path: Path
    platform: str = "jsonl"
    batch_size: int = Field(default=500, ge=1, le=100_000)


class RedditSourceSettings(_SourceBase):
    type: Literal["reddit"]
    client_id: Secret
    client_secret: Secret
    user_agent: str = "replywatch/0.1 (by u/replywatch)"
    #: Script-app credentials of the brand account (inbox, own comments, replies).
    username: str | None = None
    password: Secret | None = None
    subreddits: tuple[str, ...] = ()
    search: bool = True
    #: With subreddits set: also search all of Reddit (not only those subreddits).
    search_all: bool = False
    api_url: str | None = None
    auth_url: str | None = None


class XSourceSettings(_SourceBase):
    type: Literal["x"]
    bearer_token: Secret
    #: User-context credentials of the brand account, needed only for posting replies.
    consumer_key: Secret | None = None
    consumer_secret: Secret | None = None
    access_token: Secret | None = None
    access_token_secret: Secret | None = None
    include_retweets: bool = False
    languages: tuple[str, ...] = ()
    #: 512 on Basic (recent search), 1,024 on Pro, 4,096 on Enterprise.
    max_query_length: int = Field(default=512, ge=64, le=4096)
    page_size: int = Field(default=100, ge=10, le=100)
    api_url: str | None = None


class RssSourceSettings(_SourceBase):
    type: Literal["rss"]
    urls: tuple[str, ...] = Field(min_length=1)


SourceSettings = Annotated[
    JsonlSourceSettings | RedditSourceSettings | XSourceSettings | RssSourceSettings,
    Field(discriminator="type"),
]


class ClassifierSettings(_Model):
    #: ``offline`` (built in, no download) or ``transformers``.
    backend: Literal["offline", "transformers"] = "offline"
    #: Hub id or local directory of a sentiment model (transformers backend).
    sentiment_model: str | None = None
    complaint_model: str | None = None
    device: str = "cpu"
    batch_size: int = Field(default=32, ge=1, le=1024)
    complaint_threshold: float = Field(default=0.5, gt=0, lt=1)


class ConsoleAlertSettings(_Model):
    enabled: bool = True


class SlackSettings(_Model):
    """Slack delivery and interactivity. Without this section alerts go to the console."""

    bot_token: Secret
    #: Verifies requests in HTTP mode.
    signing_secret: Secret | None = None
    #: App-level token (xapp-...) for Socket Mode.
    app_token: Secret | None = None
    mode: Literal["socket", "http"] = "socket"
    http_port: int = Field(default=3000, ge=1, le=65535)
    #: Base URL of the Web API (a proxy, or a local emulator in tests).
    api_url: str | None = None
    timeout: Duration = timedelta(seconds=15)
    #: Slack allows about one message per second per channel.
    per_channel_interval: Duration = timedelta(seconds=1)
    #: A channel with more undelivered alerts than this gets one digest message instead.
    digest_after: int = Field(default=10, ge=2, le=1000)


class AlertsSettings(_Model):
    console: ConsoleAlertSettings = ConsoleAlertSettings()
    slack: SlackSettings | None = None
    #: Channel told about critical cases and negative-volume spikes.
    pr_channel: str | None = None


class RoutingRule(_Model):
    """First matching rule wins; an empty condition matches anything."""

    team: str
    entities: tuple[str, ...] = ()
    entity_kinds: tuple[Literal["brand", "product", "staff"], ...] = ()
    platforms: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    severities: tuple[Severity, ...] = ()
    #: Words or phrases in the post (normalised, whole words).
    keywords: tuple[str, ...] = ()


AckMode = Literal["off", "dry-run", "approval", "auto"]


class AcknowledgementSettings(_Model):
    """Templated public replies. Off unless a platform is turned on here."""

    #: Per platform: off (default), dry-run (log what would be sent), approval (send on the
    #: Slack button only), auto (send when the case opens).
    modes: dict[str, AckMode] = Field(default_factory=dict)
    #: Directory of reply templates per language and severity; relative to the config file.
    templates: Path | None = None
    per_author_per_day: int = Field(default=1, ge=1, le=100)
    per_account_per_hour: int = Field(default=30, ge=1, le=10_000)
    #: Wait this long after a case opens before auto-acknowledging (a person may answer first).
    delay: Duration = timedelta(minutes=2)


class QuietSettings(_Model):
    """When a brand account counts as gone quiet while cases wait."""

    #: No reply from the account for this long while its team has open cases.
    no_reply_for: Duration = timedelta(hours=4)
    check_every: Duration = timedelta(minutes=5)


# ------------------------------------------------------------------------------------- root


class Settings(_Model):
    """The whole configuration. Build it with :func:`load_settings`."""

    database_url: str = "sqlite:///replywatch.db"
    brand_accounts: dict[Platform, tuple[BrandAccount, ...]] = Field(default_factory=dict)
    entities: tuple[Entity, ...] = Field(min_length=1)
    sources: tuple[SourceSettings, ...] = Field(min_length=1)
    teams: dict[str, Team] = Field(min_length=1)
    service_standards: dict[str, StandardsSettings] = Field(
        default_factory=lambda: {"default": StandardsSettings()}
    )
    fallback_team: str | None = None
    routing: tuple[RoutingRule, ...] = ()
    acknowledgements: AcknowledgementSettings = AcknowledgementSettings()
    quiet: QuietSettings = QuietSettings()
    classifier: ClassifierSettings = ClassifierSettings()
    alerts: AlertsSettings = AlertsSettings()

    @model_validator(mode="after")
    def _cross_references(self) -> Settings:
        teams = sorted(self.teams)
        for i, entity in enumerate(self.entities):
            if entity.team is not None and entity.team not in self.teams:
                raise _CrossRef(f"entities.{i}.team", entity.team, f"one of the teams {teams}")
        for platform, accounts in self.brand_accounts.items():
            for i, account in enumerate(accounts):
                if account.team is not None and account.team not in self.teams:
                    raise _CrossRef(
                        f"brand_accounts.{platform}.{i}.team", account.team, f"one of {teams}"
                    )
        if self.fallback_team is not None and self.fallback_team not in self.teams:
            raise _CrossRef("fallback_team", self.fallback_team, f"one of the teams {teams}")
        for name, team in self.teams.items():
            if team.standards not in self.service_standards:
                raise _CrossRef(
                    f"teams.{name}.standards",
                    team.standards,
                    f"one of the service_standards {sorted(self.service_standards)}",
                )
        for i, rule in enumerate(self.routing):
            if rule.team not in self.teams:
                raise _CrossRef(f"routing.{i}.team", rule.team, f"one of the teams {teams}")
            known = {e.id for e in self.entities}
            for entity_id in rule.entities:
                if entity_id not in known:
                    raise _CrossRef(f"routing.{i}.entities", entity_id, f"one of {sorted(known)}")
        _unique("entities", [e.id for e in self.entities], "id")
        _unique("sources", [s.name for s in self.sources], "name")
        return self

    @property
    def default_team(self) -> str:
        return self.fallback_team or next(iter(self.teams))

    def entity(self, entity_id: str) -> Entity:
        return next(e for e in self.entities if e.id == entity_id)


class _CrossRef(ValueError):
    """A problem across sections (an undefined name, a repeat); carries its own field path."""

    def __init__(
        self, field: str, value: object, expected: str, *, problem: str = "is not defined"
    ) -> None:
        self.field, self.value = field, value
        self.message = f"{value!r} {problem}; expected {expected}"
        super().__init__(self.message)


def _unique(section: str, names: list[str], key: str) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            raise _CrossRef(
                f"{section}.{i}.{key}",
                name,
                f"a {key} not used earlier in {section}",
                problem="is repeated",
            )
        seen.add(name)


# ------------------------------------------------------------------------------------ loading


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
        data = yaml.safe_load(text)
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
    override = database_url or env.get("REPLYWATCH_DATABASE_URL")
    if override:
        data["database_url"] = override
    data = _relative_paths(data, base=path.parent)
    return _validate(data, env)


def _relative_paths(data: dict[str, Any], *, base: Path) -> dict[str, Any]:
    """File paths inside the config are relative to the config file, not to the caller's cwd."""
    sources = data.get("sources")
    if isinstance(sources, list):
        fixed = []
        for item in sources:
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                p = Path(item["path"]).expanduser()
                item = {**item, "path": str(p if p.is_absolute() else base / p)}
            fixed.append(item)
        data = {**data, "sources": fixed}
    acks = data.get("acknowledgements")
    if isinstance(acks, dict) and isinstance(acks.get("templates"), str):
        p = Path(acks["templates"]).expanduser()
        data = {
            **data,
            "acknowledgements": {**acks, "templates": str(p if p.is_absolute() else base / p)},
        }
    return data


def _validate(data: dict[str, Any], env: Mapping[str, str]) -> Settings:
    try:
        return Settings.model_validate(data, context={"environ": env})
    except ValidationError as exc:
        raise _to_config_error(exc) from None


def _to_config_error(exc: ValidationError) -> ConfigError:
    error = exc.errors(include_url=False)[0]
    ctx = error.get("ctx") or {}
    inner = ctx.get("error")
    if isinstance(inner, _CrossRef):
        return ConfigError(inner.field, inner.message, value=inner.value)
    loc = _path(error["loc"])
    field = ".".join(loc) or "(top level)"
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(exc, loc)
        hint = f"; allowed keys here: {', '.join(allowed)}" if allowed else ""
        return ConfigError(field, f"unknown key{hint}. Remove it or fix its spelling", value=value)
    if kind == "missing":
        return ConfigError(field, "is required but missing; add it", value=None)
    message = str(error["msg"]).removeprefix("Value error, ")
    if isinstance(inner, _SecretProblem):
        return ConfigError(field, message)  # never echo what was written in a secret's place
    if kind == "union_tag_invalid":
        tags = ", ".join(_SOURCE_MODELS)
        return ConfigError(
            field, f"unknown type {ctx.get('tag')!r}; expected one of {tags}", value=value
        )
    shown = _show(value)
    return ConfigError(field, f"{message} (got {shown})", value=value)


def _path(loc: tuple[int | str, ...]) -> list[str]:
    """The field path without pydantic's union tags: ``sources.0.client_id``."""
    parts = [str(p) for p in loc if p != "[key]"]
    if len(parts) >= 3 and parts[0] == "sources" and parts[2] in _SOURCE_MODELS:
        del parts[2]
    return parts


def _allowed_keys(exc: ValidationError, loc: list[str]) -> list[str]:
    model: Any = Settings
    for part in loc[:-1]:
        fields = getattr(model, "model_fields", None)
        if fields is None or part.isdigit():
            continue
        model = _inner_model(fields[part].annotation) if part in fields else None
    if loc[:1] == ["sources"] and len(loc) == 3:
        model = _SOURCE_MODELS.get(str(_tag(exc)), model)
    fields = getattr(model, "model_fields", None)
    return sorted(fields) if fields else []


def _inner_model(annotation: Any) -> Any:
    from typing import get_args

    stack = [annotation]
    while stack:
        current = stack.pop()
        if isinstance(current, type) and issubclass(current, BaseModel):
            return current
        stack.extend(get_args(current))
    return None


def _tag(exc: ValidationError) -> object:
    loc = exc.errors(include_url=False)[0]["loc"]
    return loc[2] if len(loc) > 2 else None


_SOURCE_MODELS: dict[str, type[BaseModel]] = {
    "jsonl": JsonlSourceSettings,
    "reddit": RedditSourceSettings,
    "x": XSourceSettings,
    "rss": RssSourceSettings,
}


def _show(value: object) -> str:
    if isinstance(value, SecretStr):
        return "a secret"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
