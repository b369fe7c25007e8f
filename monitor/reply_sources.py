"""Which source posts a public acknowledgement, and whether any can.

A reply comes from the brand account its outbox payload names (``account``: the case team's
account, :func:`reply_account`). A platform may have several sources that can reply, each
with the credentials of another brand account (``@novabrew`` and ``@novabrew_support`` on X,
a source each). Sent through the wrong one, the customer is answered by the wrong brand
account, or the send fails where those credentials cannot post. So:

- :func:`source_repliers` gives each platform's default source (the first that can reply,
  else the first that is a :class:`~sources.base.Replier`) and every source that can reply
  there (:class:`SourceRepliers`);
- :func:`replier_for` picks, for one outbox row, the source that posts as the named account.
  Each source says which account that is (``reply_handle()``: a Reddit source its login, an
  X source the owner of its keys, asked of X once). With one source able to reply on the
  platform, that source replies whatever the payload names, as it always has;
- :func:`check_reply_modes` refuses at start-up (and in ``check-config``) an ``approval`` or
  ``auto`` mode no source could carry out, and, with several sources on a platform where the
  config says whom each logs in as (Reddit's ``username``), an account that replies for a
  team when no source logs in as it. X keys do not say whose they are: there a reply whose
  account no source holds fails for good when sent (an ``ack_failed`` naming the account).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from monitor.errors import AuthError, ConfigError, DeliveryError, Refused, ReplywatchError
from monitor.models import Outbox
from monitor.settings import (
    RedditSourceSettings,
    Settings,
    SourceSettings,
    XSourceSettings,
    bare_handle,
)
from sources.base import Replier

__all__ = [
    "SourceRepliers",
    "check_reply_modes",
    "missing_reply_credentials",
    "replier_for",
    "reply_account",
    "source_name",
    "source_repliers",
]

#: Modes that post on the platform, and so need a source that can reply there.
_SENDING_MODES = ("approval", "auto")
_X_USER_KEYS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
#: What a source of each platform needs to reply, as the fix names it.
_REPLY_NEEDS = {
    "x": "the brand account's consumer_key, consumer_secret, access_token and access_token_secret",
    "reddit": "the brand account's username and password (a script app)",
}


def reply_account(settings: Settings, platform: str, team: str) -> str | None:
    """The handle that replies for ``team`` on ``platform``: the team's account, else the first."""
    accounts = settings.brand_accounts.get(platform, ())  # type: ignore[call-overload]
    for account in accounts:
        if account.team == team:
            return str(account.handle)
    return str(accounts[0].handle) if accounts else None


def missing_reply_credentials(source: SourceSettings, settings: Settings) -> list[str]:
    """The settings ``source`` lacks to post a reply; empty when it can reply.

    X replies with user-context keys (a bearer token only reads); Reddit with the script
    app's password and a username (``username``, else the first ``brand_accounts.reddit``
    handle, as :func:`monitor.wiring.build_source` gives it). Other source types never reply.
    """
    if isinstance(source, XSourceSettings):
        return [name for name in _X_USER_KEYS if getattr(source, name) is None]
    if isinstance(source, RedditSourceSettings):
        missing = []
        if not source.username and not settings.brand_accounts.get("reddit"):
            missing.append("username")
        if source.password is None:
            missing.append("password")
        return missing
    return [f"{source.type} sources never reply"]


def _configured(settings: Settings, replier: Replier) -> tuple[int, SourceSettings] | None:
    """The configured source ``replier`` was built from (same name and platform), with its
    index in ``sources``; ``None`` for one built otherwise (a test's fake)."""
    name = getattr(replier, "name", None)
    for i, cfg in enumerate(settings.sources):
        if cfg.name == name and cfg.type == replier.platform:
            return i, cfg
    return None


def _can_reply(settings: Settings, replier: Replier) -> bool:
    found = _configured(settings, replier)
    return found is None or not missing_reply_credentials(found[1], settings)


class SourceRepliers(Mapping[str, Replier]):
    """Platform -> the source that replies there by default, as any repliers mapping is;
    ``every[platform]`` also lists each source able to reply there, in config order, for
    :func:`replier_for` to pick the one that posts as the reply's account."""

    def __init__(
        self, default: Mapping[str, Replier], every: Mapping[str, Sequence[Replier]]
    ) -> None:
        self._default = dict(default)
        self.every = {platform: tuple(sources) for platform, sources in every.items()}

    def __getitem__(self, platform: str) -> Replier:
        return self._default[platform]

    def __iter__(self) -> Iterator[str]:
        return iter(self._default)

    def __len__(self) -> int:
        return len(self._default)


def source_repliers(sources: Iterable[object], settings: Settings) -> SourceRepliers:
    """The sources that post acknowledgements: by default, of several sources of one
    platform, the first that can reply (by its settings), else the first that is a
    :class:`~sources.base.Replier` (:func:`check_reply_modes` then names what it lacks);
    and every source that can reply, for :func:`replier_for`."""
    default: dict[str, Replier] = {}
    every: dict[str, list[Replier]] = {}
    for source in sources:
        if not isinstance(source, Replier):
            continue
        can = _can_reply(settings, source)
        current = default.get(source.platform)
        if current is None or (can and not _can_reply(settings, current)):
            default[source.platform] = source
        if can:
            every.setdefault(source.platform, []).append(source)
    return SourceRepliers(default, every)


def _shown(platform: str, handle: str) -> str:
    return f"u/{handle}" if platform == "reddit" else f"@{handle}"


def source_name(replier: Replier) -> str:
    """Which source a reply goes through, as each attempt records it (``via``) and a resend
    compares it (a test's fake: its platform)."""
    return str(getattr(replier, "name", None) or replier.platform)


def replier_for(repliers: Mapping[str, Replier], row: Outbox) -> Replier | None:
    """The source that posts ``row``'s reply: of several able to reply on its platform (a
    :class:`SourceRepliers`), the first in config order that posts as the payload's
    ``account``; else the platform's one replier, whatever the account (``None``: none).

    Raises :class:`DeliveryError`: not retryable when no source posts as that account (the
    fix is in the config), retryable when a source cannot say yet whom it posts as (X is
    down): the reply must not go out through another source meanwhile. A source whose keys
    the platform refuses cannot be that account's, and is passed over.
    """
    platform = str(row.payload["platform"])
    default = repliers.get(platform)
    every = repliers.every.get(platform, ()) if isinstance(repliers, SourceRepliers) else ()
    account = row.payload.get("account")
    if default is None or len(every) < 2 or not account:  # no choice to make
        return default
    wanted = _shown(platform, bare_handle(str(account)))
    seen = []
    for source in every:
        name = source_name(source)
        ask: Callable[[], str] | None = getattr(source, "reply_handle", None)
        if ask is None:  # a replier that cannot say (a test's fake): never a guess
            seen.append(f"source {name!r} does not say whom it posts as")
            continue
        try:
            handle = _shown(platform, bare_handle(ask()))
        except (AuthError, Refused) as exc:
            seen.append(str(exc))
            continue
        except ReplywatchError as exc:
            raise DeliveryError(
                row.key,
                f"cannot tell yet which {platform} source posts as {wanted}: {exc}",
                retry_after_s=getattr(exc, "retry_after_s", None),
            ) from exc
        if handle.lower() == wanted.lower():
            return source
        seen.append(f"source {name!r} posts as {handle}")
    needs = _REPLY_NEEDS.get(platform, "the brand account's credentials")
    raise DeliveryError(
        row.key,
        f"no {platform} source has the credentials of {wanted}, the brand account this reply "
        f"is to come from ({'; '.join(seen)}); add {'an' if platform == 'x' else 'a'} {platform} "
        f"source with {needs.replace('the brand account', wanted)}, or set "
        f"acknowledgements.modes.{platform} to off",
        retryable=False,
    )


def _logs_in_as(cfg: SourceSettings, settings: Settings) -> str | None:
    """The account a configured source replies as, where the config says: a Reddit source's
    login (``username``, else the first Reddit brand account, as the source is built). X
    keys do not say whose they are (only X can tell, when asked): ``None``."""
    if isinstance(cfg, RedditSourceSettings):
        handles = [a.handle for a in settings.brand_accounts.get("reddit", ())]
        name = cfg.username or (handles[0] if handles else None)
        return bare_handle(name) if name else None
    return None


def _check_accounts(settings: Settings, platform: str, mode: str, every: Sequence[Replier]) -> None:
    """With several sources able to reply on ``platform``, each account a team replies from
    must be one a source logs in as, where the config says whom each logs in as."""
    if len(every) < 2:
        return
    logins: dict[str, str] = {}
    for source in every:
        found = _configured(settings, source)
        handle = _logs_in_as(found[1], settings) if found else None
        if handle is None:  # a fake, or X keys: only the platform can tell
            return
        logins.setdefault(handle.lower(), f"{source_name(source)!r} as {_shown(platform, handle)}")
    accounts = settings.brand_accounts.get(platform, ())  # type: ignore[call-overload]
    for i, account in enumerate(accounts):
        teams = [
            t for t in settings.teams if reply_account(settings, platform, t) == account.handle
        ]
        if not teams or account.handle.lower() in logins:
            continue
        raise ConfigError(
            f"brand_accounts.{platform}.{i}",
            f"{_shown(platform, account.handle)} replies for team(s) "
            f"{', '.join(repr(t) for t in teams)} (acknowledgements.modes.{platform} is {mode}), "
            f"but no {platform} source logs in as it (sources log in "
            f"{', '.join(logins.values())}); add a {platform} source with username: "
            f"{account.handle} and its password, or set acknowledgements.modes.{platform} to "
            "off (or dry-run)",
            value=account.handle,
        )


def check_reply_modes(settings: Settings, repliers: Mapping[str, Replier]) -> None:
    """Refuse an ``approval`` or ``auto`` mode no replier can carry out: no replier for the
    platform, or one built from a configured source whose settings lack the credentials to
    reply. A replier that is no configured source (a test's fake) is trusted. With several
    sources able to reply on a platform (a :class:`SourceRepliers`), refuse too an account
    a team replies from that none logs in as, where the config says (Reddit).

    Raises :class:`ConfigError` naming ``acknowledgements.modes.<platform>`` (or the
    ``brand_accounts`` entry no source logs in as) and the fix. ``dry-run`` needs no
    replier: it sends nothing.
    """
    for platform, mode in settings.acknowledgements.modes.items():
        if mode not in _SENDING_MODES:
            continue
        field = f"acknowledgements.modes.{platform}"
        off = f"or set {field} to off (or dry-run)"
        replier = repliers.get(platform)
        if replier is None:
            needs = _REPLY_NEEDS.get(platform)
            fix = (
                f"add an enabled {platform} source with {needs}, {off}"
                if needs
                else f"replywatch cannot reply on {platform}: set {field} to off (or dry-run)"
            )
            raise ConfigError(
                field, f"is {mode}, but no enabled {platform} source can reply; {fix}", value=mode
            )
        found = _configured(settings, replier)
        missing = missing_reply_credentials(found[1], settings) if found else []
        if found and missing:
            raise ConfigError(
                field,
                f"is {mode}, but source {found[1].name!r} cannot reply without "
                f"{', '.join(missing)}; add them to sources.{found[0]}, {off}",
                value=mode,
            )
        if isinstance(repliers, SourceRepliers):
            _check_accounts(settings, platform, mode, repliers.every.get(platform, ()))
