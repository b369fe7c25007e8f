"""X (Twitter) API v2 through tweepy: search, brand mentions, the brand's own tweets, replies.

The only module that imports tweepy; the wire format it reads and writes (queries, tweets into
posts, the cursor's shape) is in :mod:`sources.x_format`. One :meth:`XSource.fetch` makes
exactly one API request (one page of one *stream*) and returns it as one batch, so a crash
between pages loses nothing: the poller commits each page's posts with the cursor that
covers them.

Streams, polled round-robin once per poll *cycle*:

* ``search:<hash>``: ``search_recent_tweets`` for one query. The watch terms are OR-combined
  and split into several queries when one would pass X's query length limit (512 characters
  on the Basic tier, 1,024 on Pro, 4,096 on Enterprise: ``max_query_length``).
* ``mentions:<user id>``: ``get_users_mentions`` of each brand account.
* ``tweets:<user id>``: ``get_users_tweets`` of each brand account (its own replies are
  responses that stop the clocks, so they are stored like any post).

Cursor (JSON)::

    {"v": 1,
     "streams": {"search:1a2b3c4d5e6f": {"since_id": "17...", "next_token": "b26v...",
                                         "newest": "17..."}, ...},
     "todo": ["search:1a2b3c4d5e6f", "mentions:783214", ...],
     "recent": ["17...", ...]}

``since_id`` is the committed high-water mark of a stream. X pages a result set newest first,
so while a stream is paging the cursor keeps ``next_token`` and ``newest`` (``meta.newest_id``
of the first page) and ``since_id`` moves to ``newest`` only with the last page. If a page fails,
the saved cursor still holds the committed ``since_id`` and the ``next_token`` of the page that
failed, so the retry resumes at that page. ``todo`` lists the streams left in the current cycle
(``Batch.more`` is true until it is empty). ``recent`` is a bounded ring of ids already returned,
so a tweet that matches a search *and* mentions the brand comes back once; the store's unique
(platform, native id) key absorbs anything older than the ring.

Quirks, where they bite:

* tweepy hard-codes ``https://api.twitter.com`` and passes no timeout to requests; both are
  fixed in :class:`_XSession`, the ``client.session`` tweepy sends every request through.
* tweepy logs request headers, bearer token included, at DEBUG; :class:`_RedactBearer` masks it.
* tweepy's ``wait_on_rate_limit`` would sleep inside ``fetch``; it stays off and a 429 becomes
  :class:`RateLimited` with ``retry_after_s`` from ``x-rate-limit-reset`` (epoch seconds).
  X's limits are per endpoint: while another stream's endpoint can be read, a stream whose
  endpoint is spent waits for the next cycle instead (``RateLimited`` only when every stream
  left is spent), so a spent search budget never leaves the brand's replies unread.
* Each edit of a post is a tweet with an id of its own; the post is the first version's id
  (``edit_history_tweet_ids[0]``), and ``version`` the edit's (:func:`tweet_to_post`).
* A page without ``meta.result_count`` (a 200 of ``{}``) is :class:`MalformedResponse`, not
  the last page: taken for the last, ``since_id`` would jump past the pages not yet read.
* Tweet text comes HTML-escaped (``&amp; &lt; &gt;``); :func:`tweet_to_post` unescapes it.
* A ``next_token`` that X no longer accepts (400) restarts that stream from its committed
  ``since_id``; a ``since_id`` older than the 7-day search window (400) is dropped, and the
  gap is logged as a warning: those tweets can no longer be fetched.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import requests
import tweepy

from monitor.errors import (
    AuthError,
    ConfigError,
    MalformedResponse,
    RateLimited,
    Refused,
    SourceError,
    SourceUnavailable,
)
from sources.base import UNREADABLE, Author, Batch, Cursor, SourcePost
from sources.streams import PAUSE, StreamGuard
from sources.x_format import (
    EXPANSIONS,
    TWEET_FIELDS,
    USER_FIELDS,
    build_queries,
    compact,
    edit_root,
    first_error,
    load_cursor,
    retweeted,
    snowflake_time,
    tweet_to_post,
    tweets_of,
)

__all__ = ["X_API_URL", "XSource", "build_queries", "snowflake_time"]

log = logging.getLogger(__name__)

X_API_URL = "https://api.twitter.com"
#: Ids already returned that the cursor remembers (cross-stream de-duplication).
RECENT_IDS = 1000
#: Pages of the reply account's timeline :meth:`XSource.find_reply` reads at most.
FIND_REPLY_PAGES = 32


def _utc_now() -> datetime:
    return datetime.now(UTC)


# ------------------------------------------------------------------------ tweepy plumbing


class _XSession(requests.Session):
    """The session tweepy sends everything through: rewrites the host, adds the timeout.

    OAuth 1.0a signing happens inside ``super().request`` (at prepare time), so the signature
    covers the rewritten URL, which is the one the server sees.
    """

    def __init__(self, api_url: str, timeout_s: float) -> None:
        super().__init__()
        self.api_url = api_url.rstrip("/")
        self.timeout_s = timeout_s

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if isinstance(url, str) and url.startswith(X_API_URL) and self.api_url != X_API_URL:
            url = self.api_url + url[len(X_API_URL) :]
        kwargs.setdefault("timeout", self.timeout_s)  # tweepy passes none: it would hang
        return super().request(method, url, *args, **kwargs)


class _RedactBearer(logging.Filter):
    """tweepy logs ``Authorization: Bearer <token>`` at DEBUG; mask it before any handler."""

    _pattern = re.compile(r"(Bearer\s+|oauth_signature=\"?)[^'\",\s}]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and ("Bearer" in record.msg or "oauth_" in record.msg):
            record.msg = self._pattern.sub(r"\1***", record.msg)
        return True


if not any(isinstance(f, _RedactBearer) for f in logging.getLogger("tweepy.client").filters):
    logging.getLogger("tweepy.client").addFilter(_RedactBearer())
# OAuth 1.0a signing (replies) logs the consumer key and the access token at DEBUG, in
# several formats and through log arguments: those loggers never go below INFO.
for _name in ("oauthlib", "requests_oauthlib"):
    logging.getLogger(_name).setLevel(logging.INFO)


@dataclass
class _Budget:
    limit: int
    remaining: int
    reset_epoch: float


@dataclass(frozen=True)
class _Stream:
    key: str
    kind: str  # "search" | "mentions" | "tweets"
    arg: str  # the query, or the brand user id


class _Rejected(Refused):
    """HTTP 400: X refused the request itself (bad query, stale paging token, old since_id)."""


# ---------------------------------------------------------------------------------- source


class XSource:
    """Search, mentions and brand timelines from X API v2; also the brand's :class:`Replier`.

    Reads use the app's bearer token; :meth:`reply` and :meth:`find_reply` need the brand
    account's OAuth 1.0a user-context keys. Nothing here reads settings or the environment.
    """

    platform = "x"

    def __init__(
        self,
        name: str,
        *,
        bearer_token: str,
        terms: Sequence[str],
        brand_handles: Sequence[str] = (),
        brand_user_ids: Sequence[str] = (),
        consumer_key: str | None = None,
        consumer_secret: str | None = None,
        access_token: str | None = None,
        access_token_secret: str | None = None,
        include_retweets: bool = False,
        languages: Sequence[str] = (),
        api_url: str | None = None,
        timeout_s: float = 30.0,
        max_query_length: int = 512,
        page_size: int = 100,
        backfill_pages: int = 1,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        if not 10 <= page_size <= 100:
            raise ConfigError("page_size", "X pages hold 10 to 100 tweets")
        self.name = name
        self.queries = build_queries(
            terms,
            include_retweets=include_retweets,
            languages=languages,
            max_length=max_query_length,
        )
        self._handles = [h.strip().lstrip("@") for h in brand_handles if h.strip()]
        self._given_ids = [str(i) for i in brand_user_ids]
        if not self.queries and not self._handles and not self._given_ids:
            raise ConfigError("terms", "an X source needs watch terms or brand accounts")
        self._page_size = page_size
        self._backfill_pages = max(1, backfill_pages)
        self._clock = clock
        self._timeout_s = timeout_s
        self._has_user_auth = all(
            (consumer_key, consumer_secret, access_token, access_token_secret)
        )
        self.client = tweepy.Client(
            bearer_token=bearer_token,
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            access_token=access_token,
            access_token_secret=access_token_secret,
            return_type=requests.Response,  # we parse JSON and read rate-limit headers
            wait_on_rate_limit=False,  # never sleep inside fetch: RateLimited instead
        )
        self.client.session = _XSession(api_url or X_API_URL, timeout_s)
        self._brands: dict[str, str] | None = None  # user id -> handle
        self._resolve_at: datetime | None = None  # when to resolve missing handles again
        self._unresolved: list[str] = []  # handles X did not know, for the next batch
        self._guard = StreamGuard(name, clock)
        self._reply_user: dict[str, str] | None = None  # users/me: id and username
        self._budgets: dict[str, _Budget] = {}

    def close(self) -> None:
        """Close the HTTP connections (the daemon calls this on shutdown)."""
        self.client.session.close()

    def __repr__(self) -> str:  # never the tokens
        return f"XSource({self.name!r}, queries={len(self.queries)}, brands={self._handles!r})"

    # -- Source -----------------------------------------------------------------------------
    def fetch(self, cursor: Cursor | None) -> Batch:
        """Fetch one page of the next stream due; ``more`` until the cycle is done."""
        state = load_cursor(cursor)
        streams = {s.key: s for s in self._streams()}
        errors = list(self._unresolved)
        self._unresolved = []
        todo = self._readable([k for k in state["todo"] if k in streams] or list(streams), streams)
        stream = streams[todo[0]]
        prior = dict(state["streams"].get(stream.key, {}))
        posts: list[SourcePost] = []
        skipped = 0
        if self._guard.paused(stream.key):
            todo = todo[1:]
        else:
            try:
                payload = self._fetch_page(stream, prior)
                # the position first: a page that cannot say where it ends gives no posts
                next_token, newest = self._paging(payload, stream, prior)
                posts, skipped = self._parse(payload, stream)
                self._guard.succeeded(stream.key)
            except RateLimited as exc:
                rest = [k for k in todo[1:] if not self._spent(streams[k].kind)]
                if not rest:
                    raise  # nothing else can be read before a reset: the poller waits
                log.info("%s: %s; %s waits for the next cycle", self.name, exc, stream.key)
                todo = rest
            except SourceError as exc:
                errors.append(self._guard.failed(stream.key, exc))
                todo = todo[1:]  # set aside: its position stays
            else:
                state["streams"][stream.key] = self._position(prior, next_token, newest)
                if "next_token" not in state["streams"][stream.key]:
                    todo = todo[1:]
        recent: list[str] = state["recent"]
        seen = set(recent)
        fresh = []
        for post in posts:  # a retweeted original may come twice in a page, or with itself
            if (key := post.version or post.native_id) not in seen:
                seen.add(key)
                recent.append(key)
                fresh.append(post)
        state["recent"] = recent[-RECENT_IDS:]
        state["todo"] = todo
        state["streams"] = {k: v for k, v in state["streams"].items() if k in streams}
        return Batch(
            posts=fresh,
            cursor=state,
            more=bool(todo),
            skipped=skipped,
            next_poll_after_s=self._plan(streams, todo),
            errors=errors,
            extra={"stream": stream.key, "duplicates": len(posts) - len(fresh)},
        )

    def _position(
        self, prior: Mapping[str, Any], next_token: str | None, newest: str | None
    ) -> dict[str, Any]:
        """A stream's cursor entry after a page: still paging (``next_token``), or done with
        ``since_id`` moved to the newest id of the result set. A stream with no position reads
        ``backfill_pages`` pages back, not 7 days of search (every tweet read counts against
        the plan's monthly cap)."""
        pages = int(prior.get("pages") or 0) + 1
        first_run = not prior.get("since_id")
        if next_token and not (first_run and pages >= self._backfill_pages):
            return compact(
                since_id=prior.get("since_id"),
                next_token=next_token,
                newest=newest,
                pages=pages if first_run else None,
            )
        return compact(since_id=newest or prior.get("since_id"))

    def _paging(
        self, payload: Mapping[str, Any], stream: _Stream, prior: Mapping[str, Any]
    ) -> tuple[str | None, str | None]:
        """The page's ``next_token`` and the stream's pending ``newest`` id. A 200 holding
        only ``errors`` (no data, no meta) is X refusing the stream, a suspended account's
        timeline for one: :class:`Refused`, so it is set aside, not retried as malformed."""
        if not payload.get("data") and payload.get("errors") and "meta" not in payload:
            raise Refused(self.name, f"X {stream.kind}: {first_error(payload)}")
        meta = self._meta(payload, stream.kind)
        next_token = meta.get("next_token")
        newest = prior.get("newest") or meta.get("newest_id")
        return (str(next_token) if next_token else None), newest

    def _meta(self, payload: Mapping[str, Any], endpoint: str) -> Mapping[str, Any]:
        """A list answer's ``meta``. X sends it on every page, empty ones too (``result_count``
        0); without it there is no telling the last page from a broken one, and taking it for
        the last would move ``since_id`` past pages never read (or, in :meth:`find_reply`,
        answer "no reply" without having looked): :class:`MalformedResponse`, cursor kept."""
        meta = payload.get("meta")
        if not isinstance(meta, dict) or "result_count" not in meta:
            raise MalformedResponse(self.name, f"X {endpoint}: no meta.result_count in the answer")
        return meta

    # -- Replier ----------------------------------------------------------------------------
    def reply(self, in_reply_to: str, text: str) -> str:
        """Post ``text`` as a reply to tweet ``in_reply_to``; return the new tweet's id.

        A timeout or 5xx leaves the outcome unknown (the tweet may exist): the caller must ask
        :meth:`find_reply` before trying again.
        """
        self._require_user_auth()
        payload = self._call(
            "create",
            lambda: self.client.create_tweet(
                text=text, in_reply_to_tweet_id=in_reply_to, user_auth=True
            ),
        )
        data = payload.get("data")
        if not isinstance(data, dict) or "id" not in data:
            raise MalformedResponse(self.name, "create_tweet answered without data.id")
        return str(data["id"])

    def reply_handle(self) -> str:
        """The handle :meth:`reply` posts as: the account the user-context keys belong to,
        as X says (``users/me``, asked once). Several X sources may each hold another brand
        account's keys; the sender replies through the one whose handle the reply names.
        Raises :class:`AuthError` without user-context keys, or when X refuses them."""
        self._require_user_auth()
        return self._reply_user_field("username")

    def find_reply(self, in_reply_to: str) -> str | None:
        """Id of the reply account's tweet answering ``in_reply_to``, or ``None``.

        Reads the account's timeline since ``in_reply_to`` (a reply is always newer than the
        tweet it answers). ``None`` is returned only after a complete answer; any failure
        raises, because ``None`` tells the caller that resending is safe. X's timelines are
        eventually consistent: a reply posted seconds ago may not show yet.
        """
        self._require_user_auth()
        account = self._reply_account_id()
        token: str | None = None
        for _ in range(FIND_REPLY_PAGES):
            payload = self._call(
                "tweets",
                partial(
                    self.client.get_users_tweets,
                    account,
                    since_id=in_reply_to,
                    max_results=100,
                    pagination_token=token,
                    tweet_fields=["referenced_tweets", "in_reply_to_user_id"],
                    exclude=["retweets"],
                ),
            )
            for tweet in tweets_of(payload, self.name):
                for ref in tweet.get("referenced_tweets") or []:
                    if ref.get("type") == "replied_to" and str(ref.get("id")) == in_reply_to:
                        return str(tweet["id"])
            token = self._meta(payload, "tweets").get("next_token")
            if not token:
                return None
        raise SourceError(self.name, f"find_reply read {FIND_REPLY_PAGES} pages without an end")

    # -- streams ----------------------------------------------------------------------------
    def _streams(self) -> list[_Stream]:
        streams = [
            _Stream("search:" + hashlib.sha1(q.encode()).hexdigest()[:12], "search", q)
            for q in self.queries
        ]
        for user_id in self._brand_ids():
            streams.append(_Stream(f"mentions:{user_id}", "mentions", user_id))
            streams.append(_Stream(f"tweets:{user_id}", "tweets", user_id))
        return streams

    def _brand_ids(self) -> dict[str, str]:
        """Brand user id -> handle; resolved with ``get_users(usernames=...)``.

        A handle X does not know (renamed, suspended, misspelt) is logged and reported in the
        next batch's ``errors``; the accounts it does know, and the search, are read, and the
        handles are resolved again after :data:`~sources.streams.PAUSE`.
        """
        now = self._clock()
        if self._brands is not None and (self._resolve_at is None or now < self._resolve_at):
            return self._brands
        if self._given_ids:
            handles = self._handles if len(self._handles) == len(self._given_ids) else []
            self._brands = dict(zip(self._given_ids, handles or self._given_ids, strict=True))
            return self._brands
        brands: dict[str, str] = {}
        if self._handles:
            payload = self._call(
                "users",
                lambda: self.client.get_users(usernames=self._handles, user_fields=USER_FIELDS),
            )
            data = payload.get("data") or []
            if not isinstance(data, list):
                raise MalformedResponse(self.name, "users/by answered without a data list")
            found = {
                str(u.get("username", "")).lower(): str(u.get("id"))
                for u in data
                if isinstance(u, dict)
            }
            missing = [h for h in self._handles if h.lower() not in found]
            brands = {found[h.lower()]: h for h in self._handles if h.lower() in found}
            self._resolve_at = now + PAUSE if missing else None
            if missing:
                named = ", ".join(f"@{h}" for h in missing)
                message = (
                    f"source {self.name!r}: X has no account {named} (renamed or suspended?); "
                    "its mentions and replies are not read: fix brand_accounts.x"
                )
                log.error("%s", message)
                self._unresolved.append(message)
        self._brands = brands
        return brands

    def _fetch_page(self, stream: _Stream, prior: dict[str, Any]) -> dict[str, Any]:
        """One page; a rejected paging token, then a too-old since_id, is dropped and the
        request made again (a stream paused for a week may need both)."""
        while True:
            try:
                return self._request_page(stream, prior)
            except _Rejected as exc:
                if prior.get("next_token"):
                    log.warning(
                        "%s: %s rejected its paging token; restarting it", self.name, stream.key
                    )
                    for stale in ("next_token", "newest", "pages"):
                        prior.pop(stale, None)
                elif prior.get("since_id") and "since_id" in str(exc).lower():
                    log.warning(
                        "%s: %s since_id %s is older than X keeps; tweets in between are lost",
                        self.name,
                        stream.key,
                        prior["since_id"],
                    )
                    prior.pop("since_id", None)
                else:
                    raise

    def _request_page(self, stream: _Stream, state: Mapping[str, Any]) -> dict[str, Any]:
        common: dict[str, Any] = {
            "since_id": state.get("since_id"),
            "max_results": self._page_size,
            "expansions": EXPANSIONS,
            "tweet_fields": TWEET_FIELDS,
            "user_fields": USER_FIELDS,
        }
        token = state.get("next_token")
        if stream.kind == "search":
            return self._call(
                "search",
                lambda: self.client.search_recent_tweets(
                    stream.arg, next_token=token, sort_order="recency", **common
                ),
            )
        if stream.kind == "mentions":
            return self._call(
                "mentions",
                lambda: self.client.get_users_mentions(
                    stream.arg, pagination_token=token, **common
                ),
            )
        return self._call(
            "tweets",
            lambda: self.client.get_users_tweets(stream.arg, pagination_token=token, **common),
        )

    def _reply_account_id(self) -> str:
        return self._reply_user_field("id")

    def _reply_user_field(self, name: str) -> str:
        """``id`` or ``username`` of the account the user-context keys belong to."""
        if self._reply_user is None:
            payload = self._call("me", lambda: self.client.get_me(user_auth=True))
            data = payload.get("data")
            if not isinstance(data, dict) or "id" not in data:
                raise MalformedResponse(self.name, "users/me answered without data.id")
            self._reply_user = {k: str(v) for k, v in data.items() if k in ("id", "username")}
        value = self._reply_user.get(name)
        if value is None:
            raise MalformedResponse(self.name, f"users/me answered without data.{name}")
        return value

    def _require_user_auth(self) -> None:
        if not self._has_user_auth:
            raise AuthError(
                self.name,
                "replying needs the brand account's consumer_key, consumer_secret, "
                "access_token and access_token_secret",
            )

    # -- the seam: every request, its budget and its errors ---------------------------------
    def _call(self, endpoint: str, request: Callable[[], Any]) -> dict[str, Any]:
        """Run one tweepy request; translate every failure into a :class:`SourceError`."""
        now = self._clock().timestamp()
        if wait := self._spent(endpoint):
            raise RateLimited(self.name, wait, f"X budget for {endpoint} is spent")
        try:
            response = request()
        except tweepy.TooManyRequests as exc:
            self._note_budget(endpoint, exc.response.headers)
            reset = exc.reset_time if exc.reset_time is not None else now + 60
            if not self._spent(endpoint):  # a 429 without the headers: spent all the same
                self._budgets[endpoint] = _Budget(0, 0, float(reset))
            raise RateLimited(
                self.name, reset - now, f"X rate limit reached on {endpoint}"
            ) from exc
        except (tweepy.Unauthorized, tweepy.Forbidden) as exc:
            self._note_budget(endpoint, exc.response.headers)
            raise AuthError(
                self.name,
                f"X refused the credentials on {endpoint} ({_describe(exc)}); "
                "check the token and the app's access level",
            ) from exc
        except tweepy.TwitterServerError as exc:
            raise SourceUnavailable(self.name, f"X {endpoint}: {_describe(exc)}") from exc
        except tweepy.BadRequest as exc:
            raise _Rejected(self.name, f"X rejected {endpoint}: {_describe(exc)}") from exc
        except tweepy.NotFound as exc:
            raise Refused(self.name, f"X {endpoint}: {_describe(exc)}") from exc
        except tweepy.HTTPException as exc:
            raise SourceError(self.name, f"X {endpoint}: {_describe(exc)}") from exc
        except requests.Timeout as exc:
            raise SourceUnavailable(
                self.name, f"X {endpoint} timed out after {self._timeout_s:g}s"
            ) from exc
        except requests.RequestException as exc:
            raise SourceUnavailable(
                self.name, f"X {endpoint}: connection failed ({type(exc).__name__})"
            ) from exc
        except (AttributeError, TypeError, ValueError) as exc:
            # tweepy reading an error answer of an odd shape (a JSON list or string for a
            # body, "errors": null, a reset header that is not an integer) breaks itself
            raise MalformedResponse(
                self.name, f"X {endpoint}: an error answer of an unknown shape ({exc})"
            ) from exc
        self._note_budget(endpoint, response.headers)
        try:
            payload = response.json()
        except ValueError as exc:  # requests.JSONDecodeError: truncated or not JSON
            raise MalformedResponse(
                self.name, f"X {endpoint}: body is not JSON ({len(response.content)} bytes)"
            ) from exc
        if not isinstance(payload, dict):
            raise MalformedResponse(self.name, f"X {endpoint}: body is not a JSON object")
        return payload

    def _note_budget(self, endpoint: str, headers: Mapping[str, str]) -> None:
        with contextlib.suppress(KeyError, ValueError):  # a response without the headers
            self._budgets[endpoint] = _Budget(
                int(headers["x-rate-limit-limit"]),
                int(headers["x-rate-limit-remaining"]),
                float(headers["x-rate-limit-reset"]),
            )

    def _spent(self, endpoint: str) -> float:
        """Seconds until ``endpoint``'s spent budget resets; 0 while it has requests left."""
        budget = self._budgets.get(endpoint)
        now = self._clock().timestamp()
        if budget is not None and budget.remaining <= 0 and budget.reset_epoch > now:
            return budget.reset_epoch - now
        return 0.0

    def _readable(self, todo: list[str], streams: Mapping[str, _Stream]) -> list[str]:
        """``todo`` without the streams whose endpoint's budget is spent, while another can be
        read: X's limits are per endpoint, and a spent search budget must not keep the brand's
        mentions and replies (which stop the clocks) unread until its reset. The streams left
        out wait for the next cycle, their positions kept. All spent: ``todo`` as it is (its
        first fetch raises :class:`RateLimited` and the poller waits for the reset)."""
        return [k for k in todo if not self._spent(streams[k].kind)] or todo

    def _plan(self, streams: Mapping[str, _Stream], todo: Sequence[str]) -> float | None:
        """Minimum seconds before the next fetch so every endpoint's budget lasts to its reset.

        Mid-cycle: only when every stream left has its endpoint spent (wait for the first
        reset). At the end of a cycle: the pace at which each endpoint's remaining budget
        covers whole cycles until its window resets; an endpoint with less than one cycle left
        sits the next cycles out instead (its streams wait, :meth:`_readable`), unless every
        endpoint is spent. The poller waits ``max(poll_interval, next_poll_after_s)``.
        """
        now = self._clock().timestamp()
        if todo:
            waits = [self._spent(streams[k].kind) for k in todo]
            return min(waits) if all(waits) else None
        per_cycle: dict[str, int] = {}
        for s in streams.values():
            per_cycle[s.kind] = per_cycle.get(s.kind, 0) + 1
        paces: list[float] = []
        resets: list[float] = []
        for kind, needed in per_cycle.items():
            budget = self._budgets.get(kind)
            if budget is None or budget.reset_epoch <= now:
                paces.append(0.0)
                continue
            cycles = budget.remaining // needed
            left = budget.reset_epoch - now
            if cycles < 1:
                resets.append(left)
            else:
                paces.append(left / (cycles + 1))
        return (max(paces) if paces else min(resets)) or None

    # -- parsing ----------------------------------------------------------------------------
    def _parse(self, payload: Mapping[str, Any], stream: _Stream) -> tuple[list[SourcePost], int]:
        tweets = tweets_of(payload, self.name)
        users = {str(u["id"]): u for u in _included(payload, "users")}
        included = {str(t["id"]): t for t in _included(payload, "tweets")}
        roots = {ref_id: edit_root(t) for ref_id, t in included.items()}
        fallback = None
        if stream.kind == "tweets":  # the timeline's owner wrote every tweet in it
            handle = self._brand_ids().get(stream.arg, stream.arg)
            fallback = Author(native_id=stream.arg, handle=handle)
        posts: list[SourcePost] = []
        skipped = 0
        for tweet in tweets:
            items = [(tweet, fallback)]
            if (original := retweeted(tweet, included)) is not None:
                items.insert(0, (original, None))  # heard through a retweet: the original first
            for item, author in items:  # each read on its own: one bad copy loses nothing else
                try:
                    posts.append(tweet_to_post(item, users, author, roots))
                except UNREADABLE as exc:
                    skipped += 1
                    log.info("%s: skipped an unreadable tweet (%s)", self.name, exc)
        return posts, skipped


# --------------------------------------------------------------------------------- helpers


def _included(payload: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    """The objects with an ``id`` in ``includes.<name>`` (users, referenced tweets); none
    where X sent something of another shape."""
    includes = payload.get("includes")
    listed = includes.get(name) if isinstance(includes, dict) else None
    if not isinstance(listed, list):
        return []
    return [item for item in listed if isinstance(item, dict) and "id" in item]


def _describe(exc: tweepy.HTTPException) -> str:
    status = getattr(exc.response, "status_code", "?")
    messages = "; ".join(str(m) for m in exc.api_messages)[:200]
    return f"HTTP {status}" + (f": {messages}" if messages else "")
