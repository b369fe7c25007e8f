"""Reddit through praw: watch-term search, subreddit listings, the brand's inbox and comments.

This and :mod:`sources.reddit_session` are the only modules that import praw and prawcore;
their quirks stay there. The wire format (queries, parsing) is in :mod:`sources.reddit_format`.

**What one poll reads** (each a *stream*, one listing sorted newest first):

* ``search``: the watch terms OR-combined into as few queries as Reddit's 512-character
  ``q`` limit allows, over ``r/a+b`` (``restrict_sr``) or ``r/all``; submissions only.
  With subreddits set, a restricted search only repeats what ``new`` returns (the watchlist
  filters anyway): ``search_all=True`` searches all of Reddit while listing the subreddits;
* ``new`` and ``comments`` of the configured subreddits (everything posted there);
* ``mentions``: ``/message/mentions`` of the brand account (needs its password: script auth);
* ``own``: ``/user/<brand>/comments`` of each brand account, the brand's replies. They come
  back like any post, with ``author.handle`` the brand's; the pipeline makes them responses.

Reads use app-only auth (client credentials); the brand's inbox and replies use a second
praw instance with script (password) auth.

**One HTTP request per fetch.** A poll cycle visits each stream in turn; every ``fetch``
reads one page of one stream and returns it as its own :class:`Batch` with ``more=True``
until the cycle is through, so each page is committed with the cursor that covers it and a
failure costs at most the one request that failed.

**Cursor** (JSON, versioned)::

    {"v": 1,
     "pending": ["search:1f3a…", "comments:acme"],   # streams left in this cycle
     "streams": {key: {"hwm": 1700000000.0,          # newest created_utc covered
                       "scan": {"after": "t3_x",     # paging in progress, if any
                                "hwm": 1700000300.0, "started": …, "pages": 2}}},
     "seen": {"t3_x": 1700000300.0, …}}              # recently returned fullnames

A stream pages back (``after``) from the newest item until it meets an item older than
``hwm - overlap_s``; each page is returned as it arrives and the in-progress ``scan`` (the
``after`` token and the pending high-water mark) rides in the cursor, so a failure mid-paging
leaves a valid cursor and the next fetch continues from the last committed page. The new
``hwm`` (the newest item seen, or the time the scan began if that is later: the first page
showed everything visible then; that time is Reddit's, from its ``Date`` header, not ours)
is committed only with the page that ends the scan. Items inside the overlap window (search
results indexed late, equal timestamps) are checked against ``seen``, which keeps every
fullname some stream could still meet (above the lowest ``hwm - overlap_s``), so nothing is
returned twice, across polls or across streams, and ``seen`` stays as small as the overlap
window. We do not use Reddit's ``before=`` anchor:
if the anchor item is deleted, Reddit answers an empty page forever. An ``after=`` anchor
deleted mid-scan gives one empty page too, which looks like the listing's end: the scan then
starts again from the newest item, its old mark kept (:meth:`RedditSource._anchor_lost`).
A stream with no cursor reads ``backfill_pages`` pages (default one page of ``page_size``)
and starts from there.
Reddit serves at most about 1000 items of a listing; a longer gap is logged, not recoverable.

**One failing stream does not silence the others** (:mod:`sources.streams`): a stream Reddit
refuses (403 or 404: a subreddit gone private, banned or misspelt; a suspended account),
one failing 3 times in a row, or the ``mentions`` stream after a failed brand login
(``invalid_grant``, a changed password) is set aside for 15 minutes, logged as an error and
named in ``Batch.errors``; the cycle goes on, and the stream catches up from its position
once fixed. App credentials that fail, and rate limits, stop the whole source.

**Rate limits.** Reddit allows 100 queries per minute per OAuth client id, averaged over a
10-minute window, reported as ``x-ratelimit-remaining``/``-used``/``-reset``. prawcore would
*sleep* inside the call (up to 10 s per request to pace, or the whole reset when exhausted)
and retry 5xx and timeouts twice with sleeps, which also means re-POSTing a reply whose
outcome is unknown: the double-reply risk. Both are switched off here: the rate limiter never
sleeps; before each request we raise :class:`RateLimited` when the budget is spent (keeping
``reserve_requests`` for replies) so the poller's controllable clock does the waiting, and a
429 becomes :class:`RateLimited` with the reset header. When the budget runs low the last
batch of a cycle sets ``next_poll_after_s`` to pace the rest of the window.

**Native ids** are fullnames (``t3_abc`` submissions, ``t1_def`` comments) so the two never
collide; ``in_reply_to`` is the parent's fullname, ``conversation_id`` the submission's,
``repost_of`` the crosspost parent's. Reddit gives no follower count: ``followers`` is None.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import praw
import praw.exceptions
import prawcore

from monitor.errors import (
    AuthError,
    MalformedResponse,
    RateLimited,
    Refused,
    SourceError,
    SourceUnavailable,
)
from sources.base import UNREADABLE, Batch, Cursor, SourcePost
from sources.reddit_format import (
    MAX_QUERY_CHARS,
    PLATFORM,
    build_queries,
    crossposted,
    fullname,
    listing_children,
    parse_thing,
)
from sources.reddit_session import (
    Budget,
    NoRetry,
    PlannedRateLimiter,
    Requestor,
    ratelimit_message_s,
    retry_after_s,
)
from sources.streams import StreamGuard

__all__ = ["MAX_QUERY_CHARS", "RedditSource", "build_queries", "parse_thing"]

log = logging.getLogger(__name__)

CURSOR_VERSION = 1
#: Upper bound on remembered fullnames; past it the oldest go (the store still dedups).
MAX_SEEN = 5000
#: Reddit serves about this many items of a listing; paging past it returns nothing.
LISTING_CAP = 1000
#: Comments per page :meth:`RedditSource.find_reply` reads (Reddit's most).
FIND_REPLY_PAGE = 100
#: Cycles in a row whose page-through ends early (an empty page) before that end is believed.
ANCHOR_RETRIES = 3


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _refusal_hint(stream: str) -> str:
    """What to check when Reddit refuses one stream (its key names what it reads)."""
    kind, _, what = stream.partition(":")
    if kind in ("new", "comments"):
        subs = ", ".join(f"r/{s}" for s in what.split("+"))
        return f"one of {subs} is private, banned or misspelt; fix the source's subreddits"
    if kind == "own":
        return f"u/{what} is suspended or misspelt; fix brand_accounts.reddit"
    if kind == "mentions":
        return "the brand account may not read its inbox; check its username and password"
    if kind == "reply":
        return "the thread is locked, archived or deleted, or the brand is banned there"
    return "a subreddit searched is private, banned or misspelt: fix the source's subreddits"


# ------------------------------------------------------------------------------ the source


@dataclass(frozen=True)
class _Stream:
    key: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    #: Read with the brand's script auth instead of app-only.
    as_brand: bool = False
    #: How far below the high-water mark to keep looking (late indexing, equal timestamps).
    overlap_s: float = 60.0


class RedditSource:
    """Reddit as a :class:`~sources.base.Source` and :class:`~sources.base.Replier`.

    ``api_url`` and ``auth_url`` point praw at another host (praw's ``oauth_url`` and
    ``reddit_url``); praw 8 takes them as keyword arguments without complaint and only warns
    when a ``praw.ini`` in the working directory overrides them. Every credential is passed
    explicitly so ``praw_*`` environment variables and ``praw.ini`` cannot change who we are.

    ``brand_username`` alone reads the brand's public comments (responses); with ``password``
    it also reads its inbox and can reply. ``brand_accounts`` names the brand's other
    accounts, whose public comments are read as responses too. ``page_size`` is Reddit's
    ``limit`` (at most 100); ``search_lag_s`` is how far back search keeps looking for
    late-indexed posts;
    ``reserve_requests`` are kept back from reads for replies. The constructor makes no
    request. Changing the terms re-chunks the queries: new search streams start afresh.
    """

    platform = PLATFORM

    def __init__(
        self,
        name: str,
        *,
        client_id: str,
        client_secret: str,
        user_agent: str,
        terms: Sequence[str],
        subreddits: Sequence[str] = (),
        search: bool = True,
        search_all: bool = False,
        brand_username: str | None = None,
        brand_accounts: Sequence[str] = (),
        password: str | None = None,
        api_url: str | None = None,
        auth_url: str | None = None,
        timeout_s: float = 30.0,
        page_size: int = 100,
        backfill_pages: int = 1,
        search_lag_s: float = 600.0,
        reserve_requests: int = 5,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        if not 1 <= page_size <= 100:
            raise ValueError("page_size must be between 1 and 100 (Reddit's limit)")
        self.name = name
        self.brand_username = brand_username.removeprefix("u/") if brand_username else None
        #: Every brand account whose public comments are read as responses.
        named = (self.brand_username, *brand_accounts)
        self.brand_accounts = list(
            dict.fromkeys(a.removeprefix("u/") for a in named if a and a.strip())
        )
        self.page_size = page_size
        self.backfill_pages = max(1, backfill_pages)
        self.reserve_requests = reserve_requests
        self.clock = clock
        self._budget = Budget(clock)
        self._guard_streams = StreamGuard(name, clock)
        #: The poller and the reply sender may share this object from two threads.
        self._lock = threading.RLock()
        common: dict[str, Any] = {
            "client_id": client_id,
            "client_secret": client_secret,
            "user_agent": user_agent,
            "check_for_updates": False,
            "ratelimit_seconds": 0,
            "redirect_uri": None,
            "refresh_token": None,
            "requestor_class": Requestor,
            "requestor_kwargs": {"timeout": timeout_s},
        }
        if api_url:
            common["oauth_url"] = api_url.rstrip("/")
        if auth_url:
            common["reddit_url"] = auth_url.rstrip("/")
        self._reader = praw.Reddit(username=None, password=None, **common)
        self._brand: praw.Reddit | None = None
        if self.brand_username and password:
            self._brand = praw.Reddit(username=self.brand_username, password=password, **common)
        for reddit in (self._reader, self._brand):
            for core in (reddit._read_only_core, reddit._authorized_core) if reddit else ():
                if core is not None:  # private: prawcore offers no hook for these two
                    core._rate_limiter = PlannedRateLimiter(self._budget)
                    core._retry_strategy_class = NoRetry
        self._streams = {
            s.key: s
            for s in self._plan_streams(terms, subreddits, search, search_all, search_lag_s)
        }
        if not self._streams:
            raise ValueError(f"reddit source {name!r} has nothing to read: no terms or subreddits")

    def _plan_streams(
        self,
        terms: Sequence[str],
        subreddits: Sequence[str],
        search: bool,
        search_all: bool,
        search_lag_s: float,
    ) -> list[_Stream]:
        subs = "+".join(s.removeprefix("r/") for s in subreddits)
        scope = "" if search_all else subs
        streams: list[_Stream] = []
        if search:
            for query in build_queries(terms):
                digest = hashlib.sha1(f"{scope}|{query}".encode()).hexdigest()[:12]
                params = {"q": query, "sort": "new", "t": "all", "type": "link"}
                params["restrict_sr"] = "on" if scope else "off"
                path = f"r/{scope or 'all'}/search/"
                streams.append(_Stream(f"search:{digest}", path, params, overlap_s=search_lag_s))
        if subs:
            streams.append(_Stream(f"new:{subs}", f"r/{subs}/new/"))
            streams.append(_Stream(f"comments:{subs}", f"r/{subs}/comments/"))
        if self._brand is not None:
            streams.append(_Stream("mentions", "message/mentions/", as_brand=True))
        for account in self.brand_accounts:
            path = f"user/{account}/comments/"
            streams.append(_Stream(f"own:{account}", path, {"sort": "new"}))
        return streams

    @property
    def stream_keys(self) -> list[str]:
        return list(self._streams)

    def close(self) -> None:
        for reddit in (self._reader, self._brand):
            if reddit is not None and reddit._core is not None:
                reddit._core.close()

    # -- fetching ---------------------------------------------------------------------------
    def fetch(self, cursor: Cursor | None) -> Batch:
        """One page of one stream (see the module docstring). Raises SourceError only."""
        with self._lock:
            return self._fetch(cursor)

    def _fetch(self, cursor: Cursor | None) -> Batch:
        state = self._load(cursor)
        pending = [k for k in state["pending"] if k in self._streams] or list(self._streams)
        key = pending[0]
        stream = self._streams[key]
        extra: dict[str, Any] = {"stream": key, "requests": 0}
        posts: list[SourcePost] = []
        errors: list[str] = []
        skipped = 0
        if self._guard_streams.paused(key):
            extra["paused"] = "set aside after failing; retried later"
            done = True
        else:
            try:
                posts, skipped, done = self._read_page(stream, state)
                extra["requests"] = 1
                self._guard_streams.succeeded(key)
            except SourceError as exc:
                # A bad brand password concerns only the brand's inbox: listening goes on.
                errors.append(self._guard_streams.failed(key, exc, credentials=not stream.as_brand))
                done = True
        if done:
            pending = pending[1:]
        state["pending"] = pending
        self._prune(state)
        more = bool(pending)
        extra["ratelimit_remaining"] = self._budget.remaining
        return Batch(
            posts=posts,
            cursor=state,
            more=more,
            skipped=skipped,
            next_poll_after_s=None if more else self._pace_s(),
            errors=errors,
            extra=extra,
        )

    def _read_page(
        self, stream: _Stream, state: dict[str, Any]
    ) -> tuple[list[SourcePost], int, bool]:
        """Read the stream's next page into ``state``: (new posts, skipped, stream done)."""
        st = dict(state["streams"].get(stream.key) or {})
        hwm = st.get("hwm")
        scan = dict(st.get("scan") or {"after": None, "hwm": hwm, "pages": 0})
        params = {**stream.params, "limit": str(self.page_size)}
        if scan["after"]:
            params["after"] = scan["after"]
        payload = self._request(stream, params)
        # on Reddit's clock (its Date header), as created_utc is: a local clock minutes ahead
        # would put the mark past posts Reddit had not yet listed, and they would be missed
        scan.setdefault("started", self._budget.server_now().timestamp())
        children, after = self._children(payload, stream.key)

        seen: dict[str, float] = state["seen"]
        floor = None if hwm is None else float(hwm) - stream.overlap_s
        posts: list[SourcePost] = []
        skipped, reached = 0, False
        for child in children:
            try:
                post = parse_thing(child)
            except UNREADABLE:
                skipped += 1
                log.warning("%s: skipped an unparseable item in %s", self.name, stream.key)
                continue
            if post is None:
                continue
            created = post.created_at.timestamp()
            if floor is not None and created < floor:
                reached = True
                break
            scan["hwm"] = created if scan["hwm"] is None else max(float(scan["hwm"]), created)
            # a crosspost brings in what it shares, ahead of it: the original may be in a
            # subreddit not watched, or older than any scan, and be heard only this way. It
            # is remembered as seen when it was heard, so it is kept as long as the crosspost.
            for found in (crossposted(child), post):
                if found is not None and found.native_id not in seen:
                    seen[found.native_id] = created
                    posts.append(found)
        scan["pages"] = int(scan["pages"]) + 1
        first_run = hwm is None
        below_cap = (scan["pages"] - 1) * self.page_size < LISTING_CAP
        lost = None
        if scan["after"] and not children and not first_run and below_cap:
            lost = self._anchor_lost(stream.key, scan)
        done = reached or not after or (first_run and scan["pages"] >= self.backfill_pages)
        if lost is not None:
            st["scan"], done = lost
        elif not done:
            st["scan"] = {**scan, "after": after}
        else:
            if not reached and not first_run and scan["pages"] * self.page_size >= LISTING_CAP:
                log.warning("%s: %s ran out before the last position: gap", self.name, stream.key)
            # The first page showed everything visible when the scan started: that much is
            # covered even if nothing newer came (so quiet streams do not hold ``seen`` back).
            newest = float(scan["hwm"]) if scan["hwm"] is not None else 0.0
            st = {"hwm": max(newest, float(scan["started"]))}
        state["streams"][stream.key] = st
        return posts, skipped, done

    def _anchor_lost(self, key: str, scan: dict[str, Any]) -> tuple[dict[str, Any], bool] | None:
        """The scan to go on with, and whether the stream is done this cycle, after a page
        asked with ``after`` came back empty before the old high-water mark was reached.

        Reddit answers an empty listing when the ``after`` item is gone (removed by a moderator
        or the spam filter, deleted by its author), as it does at the end: taken for the end,
        the new mark would be committed over every item not read yet. So the page-through starts
        again from the newest item with the old mark (``seen`` drops the repeats), once per
        cycle; when that ends early too, the stream waits for the next cycle with its position
        kept. After :data:`ANCHOR_RETRIES` such cycles the listing is taken to end there (it may:
        Reddit can hand out ``after`` on a full last page): ``None``, a gap logged.
        """
        top = {**scan, "after": None, "pages": 0}  # pages since the top: the cap counts them
        if not scan.get("restarted"):
            log.warning(
                "%s: %s: the item paged from (%s) is gone; reading again from the newest",
                self.name,
                key,
                scan["after"],
            )
            return {**top, "restarted": True}, False
        retries = int(scan.get("retries") or 0) + 1
        if retries < ANCHOR_RETRIES:
            log.warning(
                "%s: %s ended early again; its position is kept for the next poll",
                self.name,
                key,
            )
            return {**top, "restarted": False, "retries": retries}, True
        log.warning(
            "%s: %s ended early %d polls in a row: taken as its end; a gap is possible",
            self.name,
            key,
            retries,
        )
        return None

    def _load(self, cursor: Cursor | None) -> dict[str, Any]:
        fresh: dict[str, Any] = {"v": CURSOR_VERSION, "pending": [], "streams": {}, "seen": {}}
        if not cursor:
            return fresh
        if cursor.get("v") != CURSOR_VERSION:
            log.warning("%s: cursor version %r unknown; starting over", self.name, cursor.get("v"))
            return fresh
        try:
            streams = {str(k): dict(v) for k, v in cursor["streams"].items() if k in self._streams}
            seen = {str(k): float(v) for k, v in cursor.get("seen", {}).items()}
            pending = [str(k) for k in cursor.get("pending", [])]
        except (AttributeError, KeyError, TypeError, ValueError):
            log.warning("%s: unreadable cursor; starting over", self.name)
            return fresh
        return {"v": CURSOR_VERSION, "pending": pending, "streams": streams, "seen": seen}

    def _prune(self, state: dict[str, Any]) -> None:
        """Keep only fullnames some stream could still return (above the lowest floor)."""
        floors = [
            float(st["hwm"]) - self._streams[k].overlap_s
            for k, st in state["streams"].items()
            if st.get("hwm") is not None
        ]
        seen: dict[str, float] = state["seen"]
        if floors:
            lowest = min(floors)
            seen = {k: v for k, v in seen.items() if v >= lowest}
        if len(seen) > MAX_SEEN:
            seen = dict(sorted(seen.items(), key=lambda kv: kv[1])[-MAX_SEEN:])
        state["seen"] = seen

    def _pace_s(self) -> float | None:
        """Seconds until the next cycle when the budget would not last the window at full speed.

        ``None`` while more than a quarter of the window's budget is left.
        """
        remaining, used = self._budget.remaining, self._budget.used or 0
        reset_s = self._budget.reset_in_s()
        if remaining is None or reset_s <= 0 or remaining > 0.25 * (remaining + used):
            return None
        usable = remaining - self.reserve_requests
        cycles = usable / max(1, len(self._streams))
        return reset_s if cycles < 1 else reset_s / cycles

    # -- replying ---------------------------------------------------------------------------
    def reply(self, in_reply_to: str, text: str) -> str:
        """Post ``text`` under ``in_reply_to`` (a ``t1_``/``t3_`` fullname); its fullname back.

        praw's ``reply`` can return ``None`` although the comment was posted (quarantined
        subreddits): then we look for it in the brand's recent comments, and if it is not
        there yet raise :class:`SourceUnavailable`; the sender must call :meth:`find_reply`
        before any retry. prawcore's own retries are off, so one call is one POST.
        """
        brand = self._need_brand("reply")
        kind, _, ident = in_reply_to.partition("_")
        if kind not in ("t1", "t3") or not ident:
            raise ValueError(f"not a comment or submission fullname: {in_reply_to!r}")
        thing = brand.comment(ident) if kind == "t1" else brand.submission(ident)
        self._check_budget(reserve=0)
        created = self._guard("reply", lambda: thing.reply(text))
        if created is not None:
            return str(created.fullname)
        found = self.find_reply(in_reply_to)
        if found is None:
            raise SourceUnavailable(self.name, f"reply to {in_reply_to} returned no id; unseen")
        return found

    def reply_handle(self) -> str:
        """The account :meth:`reply` posts as: the script app's ``brand_username``, which the
        password grant logs in as. Several Reddit sources may each log in as another brand
        account; the sender replies through the one whose handle the reply names. Makes no
        request; raises :class:`AuthError` where this source cannot reply (no password)."""
        if self._brand is None or not self.brand_username:
            raise AuthError(self.name, "replying needs the brand account's username and password")
        return self.brand_username

    def find_reply(self, in_reply_to: str) -> str | None:
        """The brand's comment answering ``in_reply_to``, or ``None`` when there is none.

        ``None`` tells the sender that replying again is safe, so it is returned only after a
        complete answer: the brand's comments are paged back (newest first) until one older
        than ``in_reply_to`` (a reply is never older than what it answers) or the listing's
        end; a busy support account's reply can be hundreds of comments down. Any failed
        request raises, and so does a listing that cannot be read far enough: past the ~1000
        comments Reddit lists, or an empty page after ``after`` (its anchor was deleted, or
        the end: no telling which) is :class:`SourceError`, for the sender to retry.
        """
        if not self.brand_username:
            raise AuthError(self.name, "find_reply needs the brand account's username")
        as_brand = self._brand is not None
        since = self._created_utc(in_reply_to, as_brand=as_brand)
        path = f"user/{self.brand_username}/comments/"
        stream = _Stream("find_reply", path, as_brand=as_brand)
        after: str | None = None
        listed = 0
        for _ in range(LISTING_CAP // FIND_REPLY_PAGE):
            params = {"sort": "new", "limit": str(FIND_REPLY_PAGE)}
            if after:
                params["after"] = after
            self._check_budget(reserve=0)
            children, next_after = self._children(self._raw(stream, params), "find_reply")
            if after and not children:
                raise SourceError(self.name, f"find_reply: the comments after {after} are gone")
            listed += len(children)
            for child in children:
                data = child.get("data") if isinstance(child, Mapping) else None
                if not isinstance(data, Mapping):
                    continue
                if data.get("parent_id") == in_reply_to:
                    return fullname("t1", data)
                created = data.get("created_utc")
                if since is not None and isinstance(created, int | float) and created < since:
                    return None  # older than the post: no reply further down
            if not next_after:  # the listing's end, unless it is Reddit's cap
                if listed < LISTING_CAP:
                    return None
                break
            after = next_after
        raise SourceError(self.name, f"find_reply: no end within the {LISTING_CAP} listed")

    def _created_utc(self, name: str, *, as_brand: bool) -> float | None:
        """When Reddit says ``name`` was posted; ``None`` where it does not list it."""
        stream = _Stream("find_reply", "api/info/", as_brand=as_brand)
        self._check_budget(reserve=0)
        children, _ = self._children(self._raw(stream, {"id": name}), "find_reply")
        for child in children:
            data = child.get("data") if isinstance(child, Mapping) else None
            if isinstance(data, Mapping) and data.get("name") == name:
                created = data.get("created_utc")
                return float(created) if isinstance(created, int | float) else None
        return None

    def _children(self, payload: Any, where: str) -> tuple[list[Any], str | None]:
        """A listing's items and its ``after``; a body that is no listing is malformed."""
        try:
            return listing_children(payload)
        except ValueError as exc:
            raise MalformedResponse(self.name, f"{where}: {exc}") from exc

    def _need_brand(self, doing: str) -> praw.Reddit:
        if self._brand is None:
            raise AuthError(self.name, f"{doing} needs the brand account's username and password")
        return self._brand

    # -- the seam ---------------------------------------------------------------------------
    def _check_budget(self, *, reserve: int) -> None:
        if self._budget.exhausted(reserve):
            wait_s = self._budget.reset_in_s()
            raise RateLimited(self.name, wait_s, f"request budget spent ({self._budget.used} used)")

    def _request(self, stream: _Stream, params: dict[str, str]) -> object:
        self._check_budget(reserve=self.reserve_requests)
        return self._raw(stream, params)

    def _raw(self, stream: _Stream, params: dict[str, str]) -> object:
        reddit = self._need_brand(stream.key) if stream.as_brand else self._reader

        def get() -> object:
            return reddit.request(method="GET", path=stream.path, params=dict(params))

        try:
            return self._guard(stream.key, get)
        except AuthError as exc:
            # prawcore has dropped the token after a 401; one fresh token, then give up.
            if isinstance(exc.__cause__, prawcore.InvalidToken):
                return self._guard(stream.key, get)
            raise

    def _guard(self, doing: str, call: Callable[[], Any]) -> Any:
        try:
            with self._lock:
                return call()
        except (praw.exceptions.PRAWException, prawcore.PrawcoreException) as exc:
            raise self._translate(exc, doing) from exc
        except (KeyError, ValueError, TypeError) as exc:  # token JSON praw did not check
            raise MalformedResponse(self.name, f"{doing}: {type(exc).__name__}") from exc

    def _translate(self, exc: Exception, doing: str) -> SourceError:
        """One praw/prawcore exception as our error tree. Messages carry no secrets."""
        name = self.name
        if isinstance(exc, prawcore.ResponseException):
            status = exc.response.status_code
            token = "access_token" in (exc.response.url or "")
            where = "token exchange" if token else doing
            if status == 429:
                return RateLimited(name, retry_after_s(exc.response.headers), f"{where}: 429")
            if isinstance(exc, prawcore.BadJSON):
                return MalformedResponse(name, f"{where}: body is not JSON")
            if status == 401 or (status == 403 and token):
                return AuthError(name, f"{where}: credentials rejected (HTTP {status})")
            if status >= 500:
                return SourceUnavailable(name, f"{where}: HTTP {status}")
            if status == 403:  # a private or quarantined subreddit, a suspended account
                return Refused(name, f"{where}: forbidden (HTTP 403): {_refusal_hint(where)}")
            if isinstance(exc, prawcore.NotFound | prawcore.Redirect):
                return Refused(name, f"{where}: not found (HTTP {status}): {_refusal_hint(where)}")
            return SourceError(name, f"{where}: HTTP {status}")
        if isinstance(exc, prawcore.OAuthException):
            return AuthError(name, f"token exchange refused: {exc.error}")
        if isinstance(exc, prawcore.RequestException):
            original = type(exc.original_exception).__name__
            return SourceUnavailable(name, f"{doing}: {original}")
        if isinstance(exc, praw.exceptions.RedditAPIException):
            for item in exc.items:
                if item.error_type == "RATELIMIT":
                    return RateLimited(name, ratelimit_message_s(item.message), f"{doing}")
            kinds = ", ".join(str(item.error_type) for item in exc.items)
            return Refused(name, f"{doing}: Reddit refused ({kinds})")
        return SourceError(name, f"{doing}: {type(exc).__name__}")
