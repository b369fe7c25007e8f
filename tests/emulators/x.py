"""A local X API v2 emulator, driven by the real tweepy client.

Shaped on the recorded traffic in ``../shared/fixtures/x-api-v2`` (field names, ``meta`` with
``newest_id``/``oldest_id``/``result_count``/``next_token``, ``x-rate-limit-*`` headers) and on
X's documentation for what the recordings lack (``includes`` for expansions, replies,
``reply.in_reply_to_tweet_id``, 429 bodies, 400 for invalid paging tokens and stale since_id).

The test owns the state: users, a timeline (:meth:`XEmulator.add_tweet`), per-endpoint request
budgets (:meth:`XEmulator.set_budget`) and the clock. Faults come from the base class.
Bearer tokens are checked (401 when wrong) and OAuth 1.0a signatures are verified for real.
"""

from __future__ import annotations

import functools
import itertools
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from oauthlib.oauth1.rfc5849 import signature

from tests.emulators.http import Emulator, Fault, Request, Response

__all__ = ["XEmulator", "snowflake"]

_EPOCH_MS = 1288834974657
#: Characters of a long post X sends in ``text``; the rest only in ``note_tweet.text``.
_SHORT_TEXT = 280
WINDOW_S = 900.0
#: Per-endpoint limits per 15-minute window (app auth), as X documents and the recordings show.
DEFAULT_LIMITS = {
    "search": 450,
    "mentions": 450,
    "tweets": 1500,
    "users": 300,
    "me": 75,
    "create": 200,
}


def snowflake(ms: int, sequence: int = 0) -> int:
    return ((ms - _EPOCH_MS) << 22) | (sequence & 0xFFF)


@dataclass
class _Budget:
    limit: int
    remaining: int
    reset: float


class XEmulator(Emulator):
    def __init__(
        self,
        *,
        bearer_token: str = "emulator-bearer",
        consumer_key: str = "emulator-ck",
        consumer_secret: str = "emulator-cs",
        access_token: str = "emulator-at",
        access_token_secret: str = "emulator-ats",
        clock: Callable[[], float] = time.time,
        max_query_length: int = 512,
        search_window_s: float = 7 * 86400,
    ) -> None:
        super().__init__()
        self.bearer_token = bearer_token
        self.consumer_key, self.consumer_secret = consumer_key, consumer_secret
        self.access_token, self.access_token_secret = access_token, access_token_secret
        self.clock = clock
        self.max_query_length = max_query_length
        self.search_window_s = search_window_s
        self.users: dict[str, dict[str, Any]] = {}
        self.tweets: dict[int, dict[str, Any]] = {}
        #: The account the OAuth 1.0a keys belong to (``/2/users/me``, ``POST /2/tweets``).
        self.me: str | None = None
        #: Access tokens of other accounts (:meth:`add_user` with ``access_token``), for the
        #: same app: token -> (its secret, the user id it acts as).
        self.user_keys: dict[str, tuple[str, str]] = {}
        self._tokens: dict[str, int] = {}
        self._budgets: dict[str, _Budget] = {}
        self._replay: dict[tuple[str, str], deque[Response]] = {}
        self._ids = itertools.count(1)
        self._last_id = 0
        self._state = threading.RLock()
        for method, pattern, endpoint, handler in [
            ("GET", r"/2/tweets/search/recent", "search", self._search),
            ("GET", r"/2/users/(?P<id>\d+)/mentions", "mentions", self._mentions),
            ("GET", r"/2/users/(?P<id>\d+)/tweets", "tweets", self._user_tweets),
            ("GET", r"/2/users/by", "users", self._users_by),
            ("GET", r"/2/users/me", "me", self._me),
            ("POST", r"/2/tweets", "create", self._create),
        ]:
            self.route(method, pattern, self._wrap(endpoint, handler))

    # -- test controls ---------------------------------------------------------------------
    def add_user(
        self,
        username: str,
        *,
        name: str | None = None,
        followers: int = 0,
        me: bool = False,
        user_id: str | None = None,
        access_token: str | None = None,
        access_token_secret: str = "",
    ) -> str:
        """Add an account; its id. ``me``: the emulator's own keys act as it. With
        ``access_token`` (and its secret) the account has keys of its own, as each brand
        account of one app does: requests signed with them act as this account."""
        user_id = user_id or str(1000 + next(self._ids))
        self.users[user_id] = {
            "id": user_id,
            "username": username,
            "name": name or username.title(),
            "public_metrics": {
                "followers_count": followers,
                "following_count": 0,
                "tweet_count": 0,
                "listed_count": 0,
            },
        }
        if me:
            self.me = user_id
        if access_token is not None:
            self.user_keys[access_token] = (access_token_secret, user_id)
        return user_id

    def user_id(self, username: str) -> str:
        return next(u for u, v in self.users.items() if v["username"].lower() == username.lower())

    def add_tweet(
        self,
        author: str,
        text: str = "",
        *,
        reply_to: str | None = None,
        retweet_of: str | None = None,
        lang: str = "en",
        created_at: datetime | None = None,
    ) -> str:
        """Add a tweet by ``author`` (a username, created if new); returns its id."""
        if not any(u["username"] == author for u in self.users.values()):
            self.add_user(author)
        author_id = self.user_id(author)
        when = created_at or datetime.fromtimestamp(self.clock(), UTC)
        with self._state:
            tweet_id = max(snowflake(int(when.timestamp() * 1000)), self._last_id + 1)
            self._last_id = tweet_id
        tweet: dict[str, Any] = {
            "id": str(tweet_id),
            "text": text,
            "edit_history_tweet_ids": [str(tweet_id)],
            "author_id": author_id,
            "created_at": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "lang": lang,
            "conversation_id": str(tweet_id),
            "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 0},
        }
        if retweet_of is not None:
            original = self.tweets[int(retweet_of)]
            by = self.users[original["author_id"]]["username"]
            tweet["text"] = f"RT @{by}: {original['text']}"[:140]
            tweet["referenced_tweets"] = [{"type": "retweeted", "id": retweet_of}]
            tweet["conversation_id"] = str(tweet_id)
        elif reply_to is not None:
            parent = self.tweets[int(reply_to)]
            parent_handle = self.users[parent["author_id"]]["username"]
            if not text.lower().startswith(f"@{parent_handle.lower()}"):
                tweet["text"] = f"@{parent_handle} {text}"  # X prefixes the reply's mention
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": reply_to}]
            tweet["in_reply_to_user_id"] = parent["author_id"]
            tweet["conversation_id"] = parent["conversation_id"]
        if len(tweet["text"]) > _SHORT_TEXT:  # a long post: X sends its full text on request
            tweet["note_tweet"] = {"text": tweet["text"]}
            tweet["text"] = tweet["text"][: _SHORT_TEXT - 1] + "…"
        self.tweets[tweet_id] = tweet
        return str(tweet_id)

    def edit_tweet(self, tweet_id: str, text: str) -> str:
        """Edit a post as X does; returns the edit's id. The edit is a tweet of its own, with
        the original's author, thread and references; every version lists the whole history
        (oldest first), and search and timelines return only the latest version."""
        original = self.tweets[int(tweet_id)]
        author = self.users[original["author_id"]]["username"]
        new_id = self.add_tweet(author, text, lang=original["lang"])
        edit = self.tweets[int(new_id)]
        for name in ("referenced_tweets", "in_reply_to_user_id", "conversation_id"):
            if name in original:
                edit[name] = original[name]
        history = [*original["edit_history_tweet_ids"], new_id]
        for version in history:
            self.tweets[int(version)]["edit_history_tweet_ids"] = list(history)
        return new_id

    def set_budget(
        self,
        endpoint: str,
        *,
        limit: int | None = None,
        remaining: int | None = None,
        reset_in_s: float | None = None,
    ) -> None:
        budget = self._budget(endpoint)
        if limit is not None:
            budget.limit = limit
        if remaining is not None:
            budget.remaining = remaining
        if reset_in_s is not None:
            budget.reset = self.clock() + reset_in_s

    def rate_limit_fault(self, reset_in_s: float = 60.0, path: str | None = None) -> Fault:
        """A 429 as X sends it: ``x-rate-limit-reset`` in epoch seconds."""
        reset = int(self.clock() + reset_in_s)
        headers = {
            "x-rate-limit-limit": "450",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(reset),
        }
        body = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank"}
        return Fault.rate_limited(headers, {**body, "status": 429}, path=path)

    def forget_paging_tokens(self) -> None:
        """Make every ``next_token`` handed out so far invalid (X's tokens do expire)."""
        self._tokens.clear()

    def replay(self, entries: Iterable[Mapping[str, Any]]) -> None:
        """Queue recorded ``{request, response}`` pairs; matching requests get them verbatim."""
        for entry in entries:
            req, resp = entry["request"], entry["response"]
            path = re.sub(r"^https?://[^/]+", "", req["uri"]).split("?")[0]
            headers = {
                k: v
                for k, v in resp["headers"].items()
                if k.startswith("x-rate-limit") or k == "location"
            }
            key = (req["method"].upper(), path)
            self._replay.setdefault(key, deque()).append(
                Response(resp["status"], resp["body"], headers)
            )

    # -- plumbing --------------------------------------------------------------------------
    def _budget(self, endpoint: str) -> _Budget:
        now = self.clock()
        budget = self._budgets.get(endpoint)
        if budget is None:
            limit = DEFAULT_LIMITS.get(endpoint, 300)
            budget = self._budgets[endpoint] = _Budget(limit, limit, now + WINDOW_S)
        elif now >= budget.reset:
            budget.remaining, budget.reset = budget.limit, now + WINDOW_S
        return budget

    def _wrap(self, endpoint: str, handler: Callable[[Request], Response]) -> Callable:
        def serve(request: Request) -> Response:
            recorded = self._replay.get((request.method, request.path))
            if recorded:
                return recorded.popleft()
            user_context = endpoint in ("me", "create")
            if not self._authorized(request, user_context=user_context):
                return Response(
                    401,
                    {
                        "title": "Unauthorized",
                        "type": "about:blank",
                        "status": 401,
                        "detail": "Unauthorized",
                    },
                )
            with self._state:
                budget = self._budget(endpoint)
                headers = {
                    "x-rate-limit-limit": str(budget.limit),
                    "x-rate-limit-reset": str(int(budget.reset)),
                }
                if budget.remaining <= 0:
                    headers["x-rate-limit-remaining"] = "0"
                    body = {
                        "title": "Too Many Requests",
                        "detail": "Too Many Requests",
                        "type": "about:blank",
                        "status": 429,
                    }
                    return Response(429, body, headers)
                budget.remaining -= 1
                headers["x-rate-limit-remaining"] = str(budget.remaining)
                response = handler(request)
            response.headers = {**headers, **response.headers}
            return response

        return serve

    def _authorized(self, request: Request, *, user_context: bool) -> bool:
        header = request.headers.get("authorization", "")
        if header.startswith("Bearer "):
            return not user_context and secrets.compare_digest(header[7:], self.bearer_token)
        if header.startswith("OAuth "):
            return self._oauth1_valid(request)
        return False

    def _oauth1_valid(self, request: Request) -> bool:
        """Check the HMAC-SHA1 signature the way X does (over the URL the server received)."""
        host = request.headers.get("host", "")
        query = urlencode(request.query, doseq=True)
        params = signature.collect_parameters(
            uri_query=query,
            headers={"Authorization": request.headers["authorization"]},
            exclude_oauth_signature=True,
            with_realm=False,
        )
        oauth = dict(params)
        if oauth.get("oauth_consumer_key") != self.consumer_key:
            return False
        token = oauth.get("oauth_token")
        if token == self.access_token:
            token_secret = self.access_token_secret
        elif token in self.user_keys:
            token_secret = self.user_keys[token][0]
        else:
            return False
        given = dict(
            signature.collect_parameters(
                headers={"Authorization": request.headers["authorization"]},
                exclude_oauth_signature=False,
            )
        ).get("oauth_signature", "")
        base = signature.signature_base_string(
            request.method,
            signature.base_string_uri(f"http://{host}{request.path}"),
            signature.normalize_parameters(params),
        )
        keys = SimpleNamespace(
            client_secret=self.consumer_secret, resource_owner_secret=token_secret
        )
        expected = signature.sign_hmac_sha1_with_client(base, keys)
        return secrets.compare_digest(given, expected)

    def _acting(self, request: Request) -> str | None:
        """The user id a user-context request acts as (its signature already checked): the
        account whose access token signed it."""
        params = signature.collect_parameters(
            headers={"Authorization": request.headers.get("authorization", "")},
            exclude_oauth_signature=True,
            with_realm=False,
        )
        token = dict(params).get("oauth_token")
        if token is not None and token in self.user_keys:
            return self.user_keys[token][1]
        return self.me

    # -- endpoints -------------------------------------------------------------------------
    def _search(self, request: Request) -> Response:
        query = request.arg("query") or ""
        if not query or len(query) > self.max_query_length:
            return _invalid(
                f"There were errors processing your request: Query is {len(query)} characters "
                f"long, the maximum is {self.max_query_length}",
                "query",
            )
        try:
            matcher = _compile(query)
        except ValueError as exc:
            return _invalid(f"There were errors processing your request: {exc}", "query")
        floor = self.clock() - self.search_window_s
        candidates = [t for t in self.tweets.values() if _epoch(t) >= floor and matcher(t, self)]
        return self._page(request, candidates, token_param="next_token", low=10, window=True)

    def _mentions(self, request: Request) -> Response:
        user = self.users.get(request.match["id"]) if request.match else None
        if user is None:
            return _not_found("user", request.match["id"] if request.match else "")
        mention = re.compile(rf"(?<![\w@])@{re.escape(user['username'])}\b", re.IGNORECASE)
        candidates = [t for t in self.tweets.values() if mention.search(_full_text(t))]
        return self._page(request, candidates, token_param="pagination_token", low=5)

    def _user_tweets(self, request: Request) -> Response:
        user_id = request.match["id"] if request.match else ""
        if user_id not in self.users:
            return _not_found("user", user_id)
        exclude = set((request.arg("exclude") or "").split(","))
        candidates = [
            t
            for t in self.tweets.values()
            if t["author_id"] == user_id
            and not ("retweets" in exclude and _ref(t, "retweeted"))
            and not ("replies" in exclude and _ref(t, "replied_to"))
        ]
        return self._page(request, candidates, token_param="pagination_token", low=5)

    def _users_by(self, request: Request) -> Response:
        names = [n for n in (request.arg("usernames") or "").split(",") if n]
        fields = set((request.arg("user.fields") or "").split(","))
        data, errors = [], []
        for name in names:
            match = [u for u in self.users.values() if u["username"].lower() == name.lower()]
            if match:
                data.append(_user_view(match[0], fields))
            else:
                errors.append(
                    {
                        "value": name,
                        "detail": f"Could not find user with usernames: [{name}].",
                        "title": "Not Found Error",
                        "resource_type": "user",
                        "parameter": "usernames",
                        "resource_id": name,
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                )
        body: dict[str, Any] = {}
        if data:
            body["data"] = data
        if errors:
            body["errors"] = errors
        return Response(200, body)

    def _me(self, request: Request) -> Response:
        me = self._acting(request)
        if me is None:
            return Response(403, {"title": "Forbidden", "detail": "no user context", "status": 403})
        user = self.users[me]
        return Response(200, {"data": {k: user[k] for k in ("id", "name", "username")}})

    def _create(self, request: Request) -> Response:
        body = request.json() or {}
        me = self._acting(request)
        if me is None or not isinstance(body.get("text"), str):
            return _invalid("text is required", "text")
        reply = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if reply is not None and int(reply) not in self.tweets:
            return _invalid(
                "The tweet you are replying to has been deleted or is not visible", "reply"
            )
        author = self.users[me]["username"]
        tweet_id = self.add_tweet(author, body["text"], reply_to=reply)
        tweet = self.tweets[int(tweet_id)]
        data = {
            "id": tweet_id,
            "text": _escape(tweet["text"]),
            "edit_history_tweet_ids": [tweet_id],
        }
        return Response(
            201, {"data": data}, {"location": f"https://api.twitter.com/2/tweets/{tweet_id}"}
        )

    def _page(
        self,
        request: Request,
        candidates: list[dict[str, Any]],
        *,
        token_param: str,
        low: int,
        window: bool = False,
    ) -> Response:
        try:
            max_results = int(request.arg("max_results") or 10)
        except ValueError:
            max_results = -1
        if not low <= max_results <= 100:
            return _invalid(f"max_results must be between {low} and 100", "max_results")
        candidates = [t for t in candidates if t["id"] == t["edit_history_tweet_ids"][-1]]
        since = request.arg("since_id")
        if since is not None:
            if not since.isdigit():
                return _invalid(f"Invalid 'since_id':'{since}'.", "since_id")
            oldest_ok = self.clock() - self.search_window_s
            if window and (int(since) >> 22) / 1000 + _EPOCH_MS / 1000 < oldest_ok:
                when = datetime.fromtimestamp(oldest_ok, UTC).strftime("%Y-%m-%dT%H:%MZ")
                return _invalid(
                    f"Invalid 'since_id':'{since}'. 'since_id' must be a tweet id created "
                    f"after {when}. Please use a 'since_id' that is larger than the "
                    "current value",
                    "since_id",
                )
        token = request.arg(token_param)
        until = None
        if token is not None:
            until = self._tokens.get(token)
            if until is None:
                return _invalid(
                    f"The `{token_param}` query parameter value [{token}] is not valid", token_param
                )
        rows = sorted(
            (
                t
                for t in candidates
                if (since is None or int(t["id"]) > int(since))
                and (until is None or int(t["id"]) < until)
            ),
            key=lambda t: int(t["id"]),
            reverse=True,
        )
        page, rest = rows[:max_results], rows[max_results:]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta["newest_id"], meta["oldest_id"] = page[0]["id"], page[-1]["id"]
        if rest:
            next_token = secrets.token_hex(12)
            self._tokens[next_token] = int(page[-1]["id"])
            meta["next_token"] = next_token
        body: dict[str, Any] = {}
        if page:
            tweet_fields = set((request.arg("tweet.fields") or "").split(","))
            user_fields = set((request.arg("user.fields") or "").split(","))
            expansions = set((request.arg("expansions") or "").split(","))
            body["data"] = [_tweet_view(t, tweet_fields) for t in page]
            includes = self._includes(page, expansions, tweet_fields, user_fields)
            if includes:
                body["includes"] = includes
        body["meta"] = meta
        return Response(200, body)

    def _includes(
        self,
        page: list[dict[str, Any]],
        expansions: set[str],
        tweet_fields: set[str],
        user_fields: set[str],
    ) -> dict[str, Any]:
        user_ids: list[str] = []
        tweets: list[dict[str, Any]] = []
        for t in page:
            if "author_id" in expansions:
                user_ids.append(t["author_id"])
            if "in_reply_to_user_id" in expansions and t.get("in_reply_to_user_id"):
                user_ids.append(t["in_reply_to_user_id"])
            if "referenced_tweets.id" in expansions:
                for ref in t.get("referenced_tweets", []):
                    if int(ref["id"]) in self.tweets:
                        referenced = self.tweets[int(ref["id"])]
                        tweets.append(_tweet_view(referenced, tweet_fields))
                        if "referenced_tweets.id.author_id" in expansions:
                            user_ids.append(referenced["author_id"])
        includes: dict[str, Any] = {}
        if user_ids:
            unique = list(dict.fromkeys(user_ids))
            includes["users"] = [_user_view(self.users[u], user_fields) for u in unique]
        if tweets:
            includes["tweets"] = list({t["id"]: t for t in tweets}.values())
        return includes


# ------------------------------------------------------------------------ query matching


_TOKEN = re.compile(r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<q>"(?:[^"\\]|\\.)*")|(?P<w>[^\s()"]+))')


@functools.lru_cache(maxsize=256)
def _compile(query: str) -> Callable[[dict[str, Any], XEmulator], bool]:
    """X's query grammar, enough of it: implicit AND, OR, -negation, groups, phrases,
    keywords, @mentions, #hashtags, ``is:retweet``, ``is:reply``, ``lang:``, ``from:``."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(query):
        m = _TOKEN.match(query, pos)
        if not m or m.end() == pos:
            if query[pos:].strip():
                raise ValueError(f"cannot parse query at {pos}")
            break
        pos = m.end()
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
    items = iter(tokens)
    peeked: list[tuple[str, str] | None] = [next(items, None)]

    def peek() -> tuple[str, str] | None:
        return peeked[0]

    def take() -> tuple[str, str] | None:
        current = peeked[0]
        peeked[0] = next(items, None)
        return current

    def parse_or() -> Callable[..., bool]:
        parts = [parse_and()]
        while peek() == ("w", "OR"):
            take()
            parts.append(parse_and())
        return lambda t, e: any(p(t, e) for p in parts)

    def parse_and() -> Callable[..., bool]:
        parts = []
        while (tok := peek()) is not None and tok[0] != "rp" and tok != ("w", "OR"):
            parts.append(parse_unary())
        if not parts:
            raise ValueError("empty group")
        return lambda t, e: all(p(t, e) for p in parts)

    def parse_unary() -> Callable[..., bool]:
        tok = take()
        assert tok is not None
        kind, value = tok
        if kind == "lp":
            inner = parse_or()
            if take() != ("rp", ")"):
                raise ValueError("unbalanced parentheses")
            return inner
        if kind == "w" and value.startswith("-") and len(value) > 1:
            atom = _atom("w", value[1:])
            return lambda t, e: not atom(t, e)
        return _atom(kind, value)

    matcher = parse_or()
    if peek() is not None:
        raise ValueError("unbalanced parentheses")
    return matcher


def _atom(kind: str, value: str) -> Callable[[dict[str, Any], XEmulator], bool]:
    if kind == "q":
        phrase = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        words = [re.escape(w) for w in phrase.split()]
        pattern = re.compile(r"(?<!\w)" + r"\W+".join(words) + r"(?!\w)", re.IGNORECASE)
        return lambda t, e: bool(pattern.search(_full_text(t)))
    low = value.lower()
    if low == "is:retweet":
        return lambda t, e: _ref(t, "retweeted")
    if low == "is:reply":
        return lambda t, e: _ref(t, "replied_to")
    if low.startswith("lang:"):
        return lambda t, e: t.get("lang") == low[5:]
    if low.startswith("from:"):
        return lambda t, e: e.users[t["author_id"]]["username"].lower() == low[5:]
    if value[0] in "@#$":
        pattern = re.compile(rf"(?<![\w@#$]){re.escape(value)}(?!\w)", re.IGNORECASE)
    else:
        pattern = re.compile(rf"(?<![\w]){re.escape(value)}(?!\w)", re.IGNORECASE)
    return lambda t, e: bool(pattern.search(_full_text(t)))


# ---------------------------------------------------------------------------------- views


def _ref(tweet: Mapping[str, Any], kind: str) -> bool:
    return any(r["type"] == kind for r in tweet.get("referenced_tweets", []))


def _epoch(tweet: Mapping[str, Any]) -> float:
    return ((int(tweet["id"]) >> 22) + _EPOCH_MS) / 1000


def _full_text(tweet: Mapping[str, Any]) -> str:
    """What X searches: a long post's whole text, not the first 280 characters in ``text``."""
    return str(tweet.get("note_tweet", tweet)["text"])


def _escape(text: str) -> str:
    """Tweet text as X v2 sends it: ``&``, ``<`` and ``>`` HTML-escaped, quotes as they are
    (the recorded ``get_home_timeline.json`` has ``&amp;``, ``&lt;`` and ``-&gt;``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _tweet_view(tweet: Mapping[str, Any], fields: set[str]) -> dict[str, Any]:
    view = {k: tweet[k] for k in ("id", "text", "edit_history_tweet_ids")}
    for name in fields:
        if name in tweet:
            view[name] = tweet[name]
    view["text"] = _escape(tweet["text"])
    if "note_tweet" in view:
        view["note_tweet"] = {**tweet["note_tweet"], "text": _escape(tweet["note_tweet"]["text"])}
    return view


def _user_view(user: Mapping[str, Any], fields: set[str]) -> dict[str, Any]:
    view = {k: user[k] for k in ("id", "name", "username")}
    if "public_metrics" in fields:
        view["public_metrics"] = user["public_metrics"]
    return view


def _invalid(message: str, parameter: str) -> Response:
    return Response(
        400,
        {
            "errors": [{"parameters": {parameter: []}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
    )


def _not_found(kind: str, value: str) -> Response:
    return Response(
        404,
        {
            "title": "Not Found Error",
            "detail": f"Could not find {kind} with id: [{value}].",
            "type": "https://api.twitter.com/2/problems/resource-not-found",
        },
    )
