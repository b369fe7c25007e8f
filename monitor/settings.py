"""Settings: one YAML file, validated once at start-up, passed down frozen.

Precedence: command-line options > ``REPLYWATCH_*`` environment > the file > defaults. Nothing
else reads ``os.environ``: secrets are written ``env:NAME`` (or ``file:/path``) in the file and
resolved at load time (:mod:`monitor.settings_types`) into :class:`pydantic.SecretStr`, so they
never print. :func:`monitor.settings_file.load_settings` reads the file and turns every
validation failure into a :class:`~monitor.errors.ConfigError` naming the field.

The models are split by concern: field types and the frozen base (``settings_types``), sources
(``settings_sources``), and everything else here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    field_validator,
    model_validator,
)

from monitor.settings_sources import (
    JsonlSourceSettings,
    RedditSourceSettings,
    RssSourceSettings,
    SourceSettings,
    XSourceSettings,
)
from monitor.settings_types import (
    PLATFORMS,
    SEVERITIES,
    Duration,
    LanguageCode,
    Platform,
    Secret,
    SecretProblem,
    SettingsModel,
    Severity,
    SlackChannel,
    TimeZoneName,
    duration_unit,
    parse_duration,
)

__all__ = [
    "PLATFORMS",
    "AcknowledgementSettings",
    "AlertsSettings",
    "BrandAccount",
    "BusinessHours",
    "ClassifierSettings",
    "CrossRef",
    "Duration",
    "Entity",
    "JsonlSourceSettings",
    "Member",
    "MetricsSettings",
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
    "parse_duration",
]

# ---------------------------------------------------------------------------------- people


class Member(SettingsModel):
    """A person on a team. ``slack_id`` is their Slack user id (U...)."""

    name: str = Field(min_length=1)
    slack_id: str | None = Field(default=None, pattern=r"^[UW][A-Z0-9]{2,}$")
    on_call: bool = False


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BusinessHours(SettingsModel):
    """When a team works, in its own time zone. Outside these hours clocks in business time stop.

    Each day in ``days`` a shift starts at ``start``. It ends at ``end`` the same day when
    ``end`` is later than ``start`` (09:00 to 17:00); when ``end`` is earlier, it ends at
    ``end`` the next day (a night shift, 22:00 to 06:00: ``fri`` is Friday 22:00 to Saturday
    06:00, so a night team working Monday to Friday nights lists ``[mon, tue, wed, thu,
    fri]``); when they are equal, it lasts until ``start`` the next day (a 24-hour day: all
    seven days from 00:00 to 00:00 is a team that never closes). The listed day is always the
    day the shift *starts*; writing ``sat`` for the Friday night shift would move it a day.

    Times are read on the team's wall clock, so a shift across the night the clocks change is
    an hour shorter or longer; see :mod:`monitor.clocks` for a start or end that the clocks
    skip or repeat.
    """

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

    @field_validator("start", "end", mode="before")
    @classmethod
    def _quoted(cls, value: object) -> object:
        # YAML reads an unquoted 8:00 as the number 480 (sexagesimal), which pydantic would
        # take as 480 seconds past midnight: a working day of minutes
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError('write the time in quotes, like "08:00"')
        return value

    @field_validator("start", "end")
    @classmethod
    def _wall_clock(cls, value: time) -> time:
        # the zone is ``timezone``; a second one on a time would disagree with it
        if value.tzinfo is not None:
            raise ValueError('write the time without a zone, like "08:00"; set timezone instead')
        return value

    @field_validator("days")
    @classmethod
    def _days(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError(
                "list at least one day on which a shift starts, such as [mon, tue, wed, thu, "
                "fri]; for a team that never closes, list all seven with start and end both "
                '"00:00"'
            )
        repeated = sorted({d for d in value if value.count(d) > 1}, key=_DAYS.index)
        if repeated:
            # a working week ("1w" in business time) is as many working days as are listed
            raise ValueError(f"{', '.join(repeated)} is listed more than once; list each day once")
        return value

    @property
    def weekday_numbers(self) -> frozenset[int]:
        return frozenset(_DAYS.index(d) for d in self.days)


class Team(SettingsModel):
    slack_channel: SlackChannel
    members: tuple[Member, ...] = ()
    lead: Member | None = None
    business_hours: BusinessHours = BusinessHours()
    #: Name of an entry under ``service_standards``.
    standards: str = "default"


# ------------------------------------------------------------------------------- standards


class Standard(SettingsModel):
    """A measurable, time-bound standard: ``target_pct`` of cases within ``within``.

    In business time, ``within`` written in days or weeks counts working days and weeks (a
    team's "3d" is three working days, not 72 working hours, which is nine 8-hour days);
    written in hours or minutes it counts working hours and minutes. See
    :func:`monitor.clocks.business_span`."""

    within: Duration
    target_pct: float = Field(default=90.0, gt=0, le=100)
    time: Literal["business", "calendar"] = "calendar"
    _unit: str | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _written_unit(cls, data: Any, handler: ModelWrapValidatorHandler[Standard]) -> Standard:
        standard = handler(data)
        if isinstance(data, Mapping):
            standard._unit = duration_unit(data.get("within"))
        return standard

    @property
    def unit(self) -> str | None:
        """``"d"``, ``"w"``, ``"h"``, ``"m"`` or ``"s"`` as ``within`` was written; ``None``
        when it was given as a ``timedelta``."""
        return self._unit


def _first_response_standards() -> dict[Severity, Standard]:
    return {
        "low": Standard(within=timedelta(hours=24), time="business"),
        "normal": Standard(within=timedelta(hours=4), time="business"),
        "high": Standard(within=timedelta(hours=1)),
        "critical": Standard(within=timedelta(minutes=15)),
    }


class StandardsSettings(SettingsModel):
    acknowledge: Standard = Standard(within=timedelta(minutes=15))
    first_response: dict[Severity, Standard] = Field(default_factory=_first_response_standards)
    resolve: Standard = Standard.model_validate({"within": "3d", "time": "business"})
    #: Warn the owner this long before a due time.
    warn_before: Duration = timedelta(minutes=5)

    @field_validator("first_response")
    @classmethod
    def _all_severities(cls, value: dict[Severity, Standard]) -> dict[Severity, Standard]:
        missing = [s for s in SEVERITIES if s not in value]
        if missing:
            raise ValueError(
                f"missing severities {missing}; give one standard for each of {list(SEVERITIES)}"
            )
        return value


# -------------------------------------------------------------------------------- watchlist


class Entity(SettingsModel):
    """Something the team listens for: the brand, a product, a member of staff."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: Literal["brand", "product", "staff"]
    name: str = Field(min_length=1)
    #: Words and phrases, ``@handles`` and ``#hashtags``; matched as whole words.
    terms: tuple[str, ...] = Field(min_length=1)
    #: Phrases that make a match not count (``"nova scotia"`` for a brand called Nova).
    exclude: tuple[str, ...] = ()
    #: Languages to keep (ISO 639-1); empty keeps every language.
    languages: tuple[LanguageCode, ...] = ()
    #: Team that owns mentions of this entity (a key under ``teams``); without one, routing
    #: rules decide, then ``fallback_team``.
    team: str | None = None

    @field_validator("terms", "exclude")
    @classmethod
    def _no_blank(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not t.strip() for t in value):
            raise ValueError("terms must not be empty strings")
        return value


class BrandAccount(SettingsModel):
    """One of the brand's own accounts. Its posts are responses, never mentions."""

    handle: str = Field(min_length=1)
    #: The platform's numeric or opaque id, where known (X user id, Reddit t2_ id).
    native_id: str | None = None
    team: str | None = None

    @field_validator("handle")
    @classmethod
    def _strip_sigil(cls, value: str) -> str:
        return bare_handle(value)


def bare_handle(handle: str) -> str:
    """An account's handle without its sigil: ``@NovaBrew`` and ``u/novabrew`` as written."""
    return handle.lstrip("@").removeprefix("u/").removeprefix("/u/")


class ClassifierSettings(SettingsModel):
    #: ``offline`` (built in, no download) or ``transformers``.
    backend: Literal["offline", "transformers"] = "offline"
    #: Hub id or local directory of a sentiment model (transformers backend); a directory
    #: written "./models/x" (or found beside the config file) is relative to the config file.
    sentiment_model: str | None = None
    complaint_model: str | None = None
    device: str = "cpu"
    batch_size: int = Field(default=32, ge=1, le=1024)
    #: int8 dynamic quantisation of the transformer models (CPU only): about 2.5x faster in
    #: batches, labels within a fraction of a percent of full precision (bench_classifier).
    quantize: bool = False
    complaint_threshold: float = Field(default=0.5, gt=0, lt=1)
    #: Folder of the team's refitted offline model: ``replywatch classifier train -c FILE``
    #: writes it there and the daemon reads it (the shipped model until one is written).
    #: Relative to the config file.
    model_dir: Path | None = None

    @model_validator(mode="after")
    def _quantize_on_cpu(self) -> ClassifierSettings:
        if self.quantize and self.device != "cpu":
            raise ValueError(
                f"quantize (int8) runs on the CPU only: set device: cpu, or quantize: false "
                f"to run on {self.device}"
            )
        return self


class ConsoleAlertSettings(SettingsModel):
    enabled: bool = True


class SlackSettings(SettingsModel):
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

    @model_validator(mode="before")
    @classmethod
    def _digest_after_moved(cls, data: Any) -> Any:
        """``digest_after`` was read here when only Slack got digests; the console gets them
        too now, so it is ``alerts.digest_after``. Refused, naming the new key, rather than
        read from either place: two keys for one threshold would leave which one wins to
        guess (and ``check-config`` showing one while the other applies)."""
        if isinstance(data, Mapping) and "digest_after" in data:
            raise MovedKey(
                "alerts.slack.digest_after",
                "alerts.digest_after",
                why="the console's alerts are folded into digests too",
            )
        return data


class AlertsSettings(SettingsModel):
    console: ConsoleAlertSettings = ConsoleAlertSettings()
    slack: SlackSettings | None = None
    #: Channel told about critical cases and negative-volume spikes.
    pr_channel: SlackChannel | None = None
    #: A channel with more alerts waiting (or clock warnings and breaches) than this gets one
    #: digest of them instead, on whichever sink delivers them: Slack or the console.
    digest_after: int = Field(default=10, ge=2, le=1000)


class RoutingRule(SettingsModel):
    """First matching rule wins; an empty condition matches anything."""

    team: str
    entities: tuple[str, ...] = ()
    entity_kinds: tuple[Literal["brand", "product", "staff"], ...] = ()
    platforms: tuple[Platform, ...] = ()
    languages: tuple[LanguageCode, ...] = ()
    severities: tuple[Severity, ...] = ()
    #: Words or phrases in the post (normalised, whole words).
    keywords: tuple[str, ...] = ()


AckMode = Literal["off", "dry-run", "approval", "auto"]


class AcknowledgementSettings(SettingsModel):
    """Templated public replies. Off unless a platform is turned on here."""

    #: Per platform: off (default), dry-run (log what would be sent), approval (send on the
    #: Slack button only), auto (send when the case opens).
    modes: dict[Platform, AckMode] = Field(default_factory=dict)
    #: Directory of reply templates per language and severity; relative to the config file.
    templates: Path | None = None
    per_author_per_day: int = Field(default=1, ge=1, le=100)
    per_account_per_hour: int = Field(default=30, ge=1, le=10_000)
    #: Wait this long after a case opens before auto-acknowledging (a person may answer first).
    delay: Duration = timedelta(minutes=2)

    def mode(self, platform: str) -> AckMode:
        """How ``platform``'s posts are acknowledged: off unless it is listed."""
        return next((mode for name, mode in self.modes.items() if name == platform), "off")

    @property
    def enabled(self) -> bool:
        """Whether any platform acknowledges at all (otherwise no template is ever read)."""
        return any(mode != "off" for mode in self.modes.values())


class QuietSettings(SettingsModel):
    """When a brand account counts as gone quiet while cases wait."""

    #: No reply from the account for this long while its team has open cases.
    no_reply_for: Duration = timedelta(hours=4)
    check_every: Duration = timedelta(minutes=5)


class CrisisSettings(SettingsModel):
    """When negative volume about an entity is a spike, told to ``alerts.pr_channel``."""

    enabled: bool = True
    #: The recent stretch that is compared with the usual: negative posts created in it.
    window: Duration = timedelta(minutes=30)
    #: The history before the window that says what is usual for a window of that length.
    baseline: Duration = timedelta(days=7)
    #: A spike has at least this many times the usual number of negative posts...
    factor: float = Field(default=3.0, ge=1)
    #: ...from at least this many different people: one angry customer is not a crisis, and
    #: on a quiet entity two posts against a usual 0.1 are not either.
    min_people: int = Field(default=5, ge=1)
    #: While a spike goes on, it is told again after this long, or at once when it doubles.
    remind_every: Duration = timedelta(hours=2)
    check_every: Duration = timedelta(minutes=1)

    @model_validator(mode="after")
    def _baseline_past_window(self) -> CrisisSettings:
        if self.baseline < self.window:
            raise ValueError(
                "baseline is shorter than window: the usual volume is measured over the "
                "baseline in windows' worth, so make it several windows long (say 7d)"
            )
        return self


# ------------------------------------------------------------------------------------- root


class MetricsSettings(SettingsModel):
    """Prometheus metrics from the daemon at ``http://host:port/metrics`` (see
    :mod:`monitor.metrics`). Off until a port is given: daemons sharing a host need one each."""

    port: int | None = Field(default=None, ge=1, le=65535)
    #: The address listened on: the host only by default; ``0.0.0.0`` for a scraper elsewhere.
    host: str = "127.0.0.1"


class Settings(SettingsModel):
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
    crisis: CrisisSettings = CrisisSettings()
    classifier: ClassifierSettings = ClassifierSettings()
    alerts: AlertsSettings = AlertsSettings()
    metrics: MetricsSettings = MetricsSettings()

    @field_validator("database_url")
    @classmethod
    def _a_database_url(cls, value: str) -> str:
        from monitor.db import parse_url, with_driver

        try:
            parse_url(value)
        except ValueError as exc:  # it may hold a password: never echoed, like a secret
            raise SecretProblem(str(exc)) from None
        return with_driver(value)  # the driver as it will be used

    @model_validator(mode="after")
    def _cross_references(self) -> Settings:
        teams = sorted(self.teams)
        for i, entity in enumerate(self.entities):
            if entity.team is not None and entity.team not in self.teams:
                raise CrossRef(f"entities.{i}.team", entity.team, f"one of the teams {teams}")
        for platform, accounts in self.brand_accounts.items():
            for i, account in enumerate(accounts):
                if account.team is not None and account.team not in self.teams:
                    raise CrossRef(
                        f"brand_accounts.{platform}.{i}.team", account.team, f"one of {teams}"
                    )
        if self.fallback_team is not None and self.fallback_team not in self.teams:
            raise CrossRef("fallback_team", self.fallback_team, f"one of the teams {teams}")
        for name, team in self.teams.items():
            if team.standards not in self.service_standards:
                raise CrossRef(
                    f"teams.{name}.standards",
                    team.standards,
                    f"one of the service_standards {sorted(self.service_standards)}",
                )
        for i, rule in enumerate(self.routing):
            if rule.team not in self.teams:
                raise CrossRef(f"routing.{i}.team", rule.team, f"one of the teams {teams}")
            known = {e.id for e in self.entities}
            for entity_id in rule.entities:
                if entity_id not in known:
                    raise CrossRef(f"routing.{i}.entities", entity_id, f"one of {sorted(known)}")
        _unique("entities", [e.id for e in self.entities], "id")
        _unique("sources", [s.name for s in self.sources], "name")
        for i, source in enumerate(self.sources):
            # the source reads this account's comments as the brand's answers; the pipeline
            # knows the brand by brand_accounts, or those answers would open cases
            if (
                isinstance(source, RedditSourceSettings)
                and source.username
                and ("reddit", bare_handle(source.username).lower()) not in self.brand_handles
            ):
                raise CrossRef(
                    f"sources.{i}.username",
                    source.username,
                    "an account listed under brand_accounts.reddit: add it there, with its team",
                    problem="is not a brand account",
                )
        return self

    @property
    def brand_handles(self) -> set[tuple[str, str]]:
        """``(platform, handle)`` of every brand account, the handle lower-cased as the
        database stores it: a post by one of them is the brand's own answer, not a mention."""
        return {
            (platform, account.handle.lower())
            for platform, accounts in self.brand_accounts.items()
            for account in accounts
        }

    @property
    def default_team(self) -> str:
        return self.fallback_team or next(iter(self.teams))

    def entity(self, entity_id: str) -> Entity:
        return next(e for e in self.entities if e.id == entity_id)


class CrossRef(ValueError):
    """A problem across sections (an undefined name, a repeat); carries its own field path."""

    def __init__(
        self, field: str, value: object, expected: str, *, problem: str = "is not defined"
    ) -> None:
        self.field, self.value = field, value
        self.message = f"{value!r} {problem}; expected {expected}"
        super().__init__(self.message)


class MovedKey(CrossRef):
    """A key that was moved to another section: told by its new place, whatever was written
    (``field`` is where it was found)."""

    def __init__(self, field: str, moved_to: str, *, why: str) -> None:
        super().__init__(field, None, moved_to)
        self.message = f"has moved to {moved_to} ({why}); write it there instead"


def _unique(section: str, names: list[str], key: str) -> None:
    seen: set[str] = set()
    article = "an" if key[0] in "aeiou" else "a"  # "an id", "a name"
    for i, name in enumerate(names):
        if name in seen:
            raise CrossRef(
                f"{section}.{i}.{key}",
                name,
                f"{article} {key} not used earlier in {section}",
                problem="is repeated",
            )
        seen.add(name)
