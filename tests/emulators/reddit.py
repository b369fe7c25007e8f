"""A local Reddit API emulator, spoken to by the real praw/prawcore.

It speaks the JSON of the recorded traffic in ``../shared/fixtures/reddit``: OAuth token
exchange (client credentials and password grants), ``Listing`` bodies of ``t3``/``t1``
children with ``name``, ``created_utc``, ``permalink``, ``after`` and ``dist``, the brand's
``/message/mentions``, ``/api/comment`` answered as praw expects, and ``x-ratelimit-*``
headers on every API answer from a budget the test sets (429 once it is spent).

The test owns the clock (``now``, epoch seconds; :meth:`advance`) and the timeline
(:meth:`add_submission`, :meth:`add_comment`). Faults come from the shared base class
(:meth:`inject` with :class:`~tests.emulators.http.Fault`); :meth:`rate_limit_fault` builds a
429 shaped like Reddit's. :meth:`serve_recorded` answers one path with a recorded body.
"""

from __future__ import annotations

import base64
import math
import re
import threading
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import formatdate
from typing import Any

from tests.emulators.http import Emulator, Fault, Request, Response

__all__ = ["RedditEmulator"]

_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_SLASH = r"/?"


def _b36(number: int) -> str:
    out = ""
    while number:
        number, rem = divmod(number, 36)
        out = _B36[rem] + out
    return out or "0"


class RedditEmulator(Emulator):
    def __init__(
        self,
        *,
        clients: dict[str, str] | None = None,
        accounts: dict[str, str] | None = None,
        budget: int = 1000,
        window_s: int = 600,
        now: float = 1_700_000_000.0,
    ) -> None:
        super().__init__()
        self.clients = clients if clients is not None else {"client-id": "client-secret"}
        self.accounts = accounts if accounts is not None else {"acme_support": "hunter2"}
        self.budget = budget
        self.window_s = window_s
        self.now = now
        self.used = 0
        self.window_start = now
        self.things: list[dict[str, Any]] = []
        self._by_name: dict[str, dict[str, Any]] = {}
        self._tokens: dict[str, str | None] = {}
        self._recorded: dict[tuple[str, str], Any] = {}
        self._seq = 0
        self._issued = 0
        self._later: list[list[Any]] = []
        #: Post replies but answer without the new comment, as Reddit does in quarantined
        #: subreddits (praw's ``reply`` then returns ``None``).
        self.reply_without_id = False
        #: Subreddits gone private: any listing that names one answers 403, as Reddit does.
        self.private: set[str] = set()
        self._state_lock = threading.RLock()
        api = [
            ("POST", "/api/v1/access_token", self._token, False),
            ("GET", r"/r/(?P<subs>[^/]+)/search", self._search, True),
            ("GET", r"/r/(?P<subs>[^/]+)/new", self._new, True),
            ("GET", r"/r/(?P<subs>[^/]+)/comments", self._comments, True),
            ("GET", r"/message/mentions", self._mentions, True),
            ("GET", r"/user/(?P<user>[^/]+)/comments", self._user_comments, True),
            ("POST", r"/api/comment", self._comment, True),
            ("GET", r"/api/info", self._info, True),
        ]
        for method, pattern, handler, metered in api:
            self.route(method, pattern + _SLASH, self._wrap(handler, metered=metered))

    def start(self) -> RedditEmulator:
        super().start()
        # http.server writes headers and body separately; with Nagle on, each answer waits
        # ~40 ms for the client's delayed ACK. (Worth moving into the shared base class.)
        assert self._server is not None
        self._server.RequestHandlerClass.disable_nagle_algorithm = True  # type: ignore[attr-defined]
        return self

    def __enter__(self) -> RedditEmulator:
        return self.start()

    # -- the test's controls -----------------------------------------------------------------
    def clock(self) -> datetime:
        """The emulator's ``now`` as an aware datetime: hand it to the source as its clock."""
        return datetime.fromtimestamp(self.now, UTC)

    def http_date(self) -> str:
        return formatdate(self.now, usegmt=True)

    def advance(self, seconds: float) -> None:
        with self._state_lock:
            self.now += seconds

    def add_submission(
        self,
        subreddit: str,
        title: str,
        selftext: str = "",
        *,
        author: str = "someone",
        created_utc: float | None = None,
        crosspost_parent: str | None = None,
    ) -> str:
        """Post a submission now (or at ``created_utc``); its fullname (``t3_…``)."""
        with self._state_lock:
            ident = self._next_id()
            permalink = f"/r/{subreddit}/comments/{ident}/{_slug(title)}/"
            data: dict[str, Any] = {
                **self._common(ident, "t3", subreddit, author, created_utc),
                "title": title,
                "selftext": selftext,
                "is_self": True,
                "domain": f"self.{subreddit}",
                "permalink": permalink,
                "url": "https://www.reddit.com" + permalink,
                "num_comments": 0,
                "over_18": False,
            }
            if crosspost_parent:
                data["crosspost_parent"] = crosspost_parent
                data["crosspost_parent_list"] = [self._by_name[crosspost_parent]["data"]]
            return self._add("t3", data)

    def add_comment(
        self, parent: str, body: str, *, author: str = "someone", created_utc: float | None = None
    ) -> str:
        """Comment under ``parent`` (a ``t3_``/``t1_`` fullname); the comment's fullname."""
        with self._state_lock:
            parent_data = self._by_name[parent]["data"]
            link_id = parent if parent.startswith("t3_") else parent_data["link_id"]
            link = self._by_name[link_id]["data"]
            ident = self._next_id()
            sub = link["subreddit"]
            data = {
                **self._common(ident, "t1", sub, author, created_utc),
                "body": body,
                "parent_id": parent,
                "link_id": link_id,
                "link_title": link["title"],
                "link_author": link["author"],
                "permalink": f"/r/{sub}/comments/{link_id[3:]}/{_slug(link['title'])}/{ident}/",
                "replies": "",
            }
            link["num_comments"] += 1
            return self._add("t1", data)

    def remove(self, name: str) -> None:
        """Take ``name`` out of every listing, as a moderator's or the spam filter's removal
        (or its author's deletion) does: a page asked with ``after=<name>`` is then empty."""
        with self._state_lock:
            self.things = [t for t in self.things if t["data"]["name"] != name]

    def revoke_tokens(self) -> None:
        """Forget every access token, as Reddit does when one expires early."""
        with self._state_lock:
            self._tokens.clear()

    def rate_limit_fault(self, reset_s: int, **kw: Any) -> Fault:
        """A 429 as Reddit sends it: budget spent, ``x-ratelimit-reset`` seconds to go."""
        headers = {
            "x-ratelimit-remaining": "0.0",
            "x-ratelimit-used": str(self.budget),
            "x-ratelimit-reset": str(reset_s),
        }
        return Fault.rate_limited(headers, {"message": "Too Many Requests", "error": 429}, **kw)

    def inject_later(self, fault: Fault, *, after: int) -> None:
        """Let ``after`` matching requests through, then answer the next with ``fault``.

        Reaches a page in the middle of a poll, which the base class's queue (the *next*
        matching request) cannot. (A ``skip`` field on the shared ``Fault`` would do the same.)
        """
        with self._state_lock:
            self._later.append([after, fault])

    def _take_fault(self, path: str) -> Fault | None:
        with self._state_lock:
            for entry in self._later:
                remaining, fault = entry
                if fault.path is None or re.search(fault.path, path):
                    if remaining == 0:
                        self._later.remove(entry)
                        return fault
                    entry[0] = remaining - 1
                    break
        return super()._take_fault(path)

    def serve_recorded(self, method: str, path: str, body: Any) -> None:
        """Answer ``method path`` (no trailing slash, no query) with a recorded body."""
        self._recorded[(method.upper(), path.rstrip("/"))] = body

    def api_requests(self, path_regex: str = "") -> list[Request]:
        """Requests other than token exchanges, optionally only those whose path matches."""
        return [
            r
            for r in self.requests
            if "access_token" not in r.path and re.search(path_regex, r.path)
        ]

    # -- the timeline ------------------------------------------------------------------------
    def _next_id(self) -> str:
        self._seq += 1
        return _b36(36**5 + self._seq * 7919)

    def _common(
        self, ident: str, kind: str, subreddit: str, author: str, created: float | None
    ) -> dict[str, Any]:
        created = self.now if created is None else created
        return {
            "id": ident,
            "name": f"{kind}_{ident}",
            "author": author,
            "author_fullname": f"t2_{_b36(zlib.crc32(author.encode()))}",
            "subreddit": subreddit,
            "subreddit_name_prefixed": f"r/{subreddit}",
            "subreddit_id": f"t5_{_b36(zlib.crc32(subreddit.lower().encode()))}",
            "created_utc": created,
            "created": created,
            "score": 1,
            "ups": 1,
            "downs": 0,
            "likes": None,
            "saved": False,
            "archived": False,
            "distinguished": None,
            "edited": False,
            "stickied": False,
            "gilded": 0,
        }

    def _add(self, kind: str, data: dict[str, Any]) -> str:
        thing = {"kind": kind, "data": data, "_seq": self._seq}
        self.things.append(thing)
        self._by_name[data["name"]] = thing
        return str(data["name"])

    def _newest_first(self, keep: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        with self._state_lock:
            items = [t for t in self.things if keep(t)]
        items.sort(key=lambda t: (t["data"]["created_utc"], t["_seq"]), reverse=True)
        return [{"kind": t["kind"], "data": dict(t["data"])} for t in items]

    # -- serving -----------------------------------------------------------------------------
    def _wrap(
        self, handler: Callable[[Request], Response], *, metered: bool
    ) -> Callable[[Request], Response]:
        def serve(request: Request) -> Response:
            user: str | None = None
            limited: dict[str, str] = {}
            if metered:
                auth = request.headers.get("authorization", "")
                token = auth.split(" ", 1)[1] if " " in auth else ""
                if token not in self._tokens:
                    return Response(
                        401,
                        {"message": "Unauthorized", "error": 401},
                        {"www-authenticate": 'Bearer realm="reddit", error="invalid_token"'},
                    )
                user = self._tokens[token]
                metered_headers = self._meter()
                if isinstance(metered_headers, Response):
                    return metered_headers
                limited = metered_headers
            subs = request.match.groupdict().get("subs") if request.match else None
            if subs and self.private & {s.lower() for s in subs.split("+")}:
                forbidden = {"reason": "private", "message": "Forbidden", "error": 403}
                return Response(403, forbidden, limited)
            recorded = self._recorded.get((request.method, request.path.rstrip("/")))
            response = Response(200, recorded) if recorded is not None else None
            if response is None:
                request.user = user  # type: ignore[attr-defined]
                response = handler(request)
            response.headers.update(limited)
            return response

        return serve

    def _meter(self) -> dict[str, str] | Response:
        with self._state_lock:
            if self.now >= self.window_start + self.window_s:
                self.window_start, self.used = self.now, 0
            reset = str(max(0, math.ceil(self.window_start + self.window_s - self.now)))
            if self.used >= self.budget:
                headers = {
                    "x-ratelimit-remaining": "0.0",
                    "x-ratelimit-used": str(self.used),
                    "x-ratelimit-reset": reset,
                }
                return Response(429, {"message": "Too Many Requests", "error": 429}, headers)
            self.used += 1
            return {
                "x-ratelimit-remaining": f"{self.budget - self.used:.1f}",
                "x-ratelimit-used": str(self.used),
                "x-ratelimit-reset": reset,
            }

    def _token(self, request: Request) -> Response:
        response = self._token_answer(request)
        # prawcore sends ``Connection: close`` here; say it back, or requests may reuse a
        # socket the server is closing (RemoteDisconnected on the next call, now and then).
        response.headers["Connection"] = "close"
        return response

    def _token_answer(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        try:
            client_id, secret = base64.b64decode(auth.split(" ", 1)[1]).decode().split(":", 1)
        except (IndexError, ValueError):
            client_id, secret = "", ""
        if self.clients.get(client_id) != secret or not secret:
            return Response(401, {"message": "Unauthorized", "error": 401})
        grant = request.arg("grant_type")
        user: str | None = None
        if grant == "password":
            user = request.arg("username") or ""
            if self.accounts.get(user) != request.arg("password"):
                return Response(200, {"error": "invalid_grant"})
        elif grant != "client_credentials":
            return Response(200, {"error": "unsupported_grant_type"})
        with self._state_lock:
            self._issued += 1
            token = f"tok-{self._issued}"
            self._tokens[token] = user
        return Response(
            200, {"access_token": token, "token_type": "bearer", "expires_in": 3600, "scope": "*"}
        )

    def _listing(self, items: list[dict[str, Any]], request: Request) -> Response:
        limit = max(1, min(int(request.arg("limit") or 25), 100))
        after, before = request.arg("after"), request.arg("before")
        names = [t["data"]["name"] for t in items]
        if after:
            items = items[names.index(after) + 1 :] if after in names else []
        elif before:
            items = items[: names.index(before)][-limit:] if before in names else []
        page = items[:limit]
        more = len(items) > limit
        data = {
            "after": page[-1]["data"]["name"] if more and page else None,
            "dist": len(page),
            "modhash": None,
            "geo_filter": "",
            "children": page,
            "before": None,
        }
        return Response(200, {"kind": "Listing", "data": data})

    @staticmethod
    def _in(subs: str) -> Callable[[dict[str, Any]], bool]:
        wanted = {s.lower() for s in subs.split("+")}
        return lambda t: "all" in wanted or t["data"]["subreddit"].lower() in wanted

    def _search(self, request: Request) -> Response:
        assert request.match is not None
        query = request.arg("q") or ""
        terms = [t.strip().strip('"()').lower() for t in re.split(r"\s+OR\s+", query)]
        terms = [t for t in terms if t]
        in_subs = self._in(request.match["subs"])
        restrict = (request.arg("restrict_sr") or "").lower() in ("on", "1", "true")

        def keep(t: dict[str, Any]) -> bool:
            if t["kind"] != "t3" or (restrict and not in_subs(t)):
                return False
            text = f"{t['data']['title']} {t['data']['selftext']}".lower()
            return any(term in text for term in terms)

        return self._listing(self._newest_first(keep), request)

    def _new(self, request: Request) -> Response:
        assert request.match is not None
        in_subs = self._in(request.match["subs"])
        return self._listing(
            self._newest_first(lambda t: t["kind"] == "t3" and in_subs(t)), request
        )

    def _comments(self, request: Request) -> Response:
        assert request.match is not None
        in_subs = self._in(request.match["subs"])
        return self._listing(
            self._newest_first(lambda t: t["kind"] == "t1" and in_subs(t)), request
        )

    def _user_comments(self, request: Request) -> Response:
        assert request.match is not None
        user = request.match["user"].lower()
        return self._listing(
            self._newest_first(lambda t: t["kind"] == "t1" and t["data"]["author"].lower() == user),
            request,
        )

    def _mentions(self, request: Request) -> Response:
        user = getattr(request, "user", None)
        if not user:
            return Response(403, {"message": "Forbidden", "error": 403})
        mention = re.compile(rf"(^|[^\w])/?u/{re.escape(user)}\b", re.IGNORECASE)

        def keep(t: dict[str, Any]) -> bool:
            return (
                t["kind"] == "t1"
                and t["data"]["author"] != user
                and bool(mention.search(t["data"]["body"]))
            )

        items = self._newest_first(keep)
        for item in items:  # the inbox shape: context instead of permalink
            data = item["data"]
            data["context"] = data.pop("permalink") + "?context=3"
            del data["link_id"]  # the inbox gives parent_id and context, not link_id
            data.update(
                dest=user,
                type="username_mention",
                subject="username mention",
                was_comment=True,
                new=True,
            )
        return self._listing(items, request)

    def _comment(self, request: Request) -> Response:
        user = getattr(request, "user", None)
        if not user:
            return Response(403, {"message": "Forbidden", "error": 403})
        parent, text = request.arg("thing_id") or "", request.arg("text") or ""
        if parent not in self._by_name:
            errors = [["INVALID_THING_ID", "that thing does not exist", "thing_id"]]
            return Response(200, {"json": {"errors": errors}})
        name = self.add_comment(parent, text, author=user)
        data = dict(self._by_name[name]["data"])
        if self.reply_without_id:
            return Response(200, {"json": {"errors": [], "data": {"things": []}}})
        return Response(
            200, {"json": {"errors": [], "data": {"things": [{"kind": "t1", "data": data}]}}}
        )

    def _info(self, request: Request) -> Response:
        wanted = (request.arg("id") or "").split(",")
        items = [
            {"kind": self._by_name[n]["kind"], "data": dict(self._by_name[n]["data"])}
            for n in wanted
            if n in self._by_name
        ]
        return Response(200, {"kind": "Listing", "data": {"after": None, "children": items}})


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:50] or "_"
