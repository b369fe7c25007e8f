"""A small threaded HTTP server with routes and fault injection, shared by every emulator.

Each platform emulator subclasses :class:`Emulator`, registers routes that speak that
platform's JSON, and keeps the state a test controls (a timeline, a clock). Tests queue
faults with :meth:`Emulator.inject`: the next matching request gets the fault instead of
the real answer (a 429 with reset headers, a 5xx, a stall past the client's timeout, a
truncated or malformed body, or a dropped connection).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["Emulator", "Fault", "Request", "Response"]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    match: re.Match[str] | None = None

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name) or self.form.get(name)
        return values[0] if values else default

    @property
    def form(self) -> dict[str, list[str]]:
        ctype = self.headers.get("content-type", "")
        if "application/x-www-form-urlencoded" in ctype:
            return parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {}

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body).encode("utf-8")


@dataclass
class Fault:
    """What the next matching request gets instead of its real answer."""

    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    #: Sleep this long before answering (longer than the client's timeout = a timeout).
    delay_s: float = 0.0
    #: Send the real answer cut to this many bytes (truncated JSON).
    truncate_to: int | None = None
    #: Close the connection without answering.
    drop: bool = False
    #: Replace the real body with these bytes (malformed JSON) but keep status 200.
    raw_body: bytes | None = None
    #: Only requests whose path matches this regex (None: any).
    path: str | None = None

    @classmethod
    def rate_limited(cls, headers: dict[str, str], body: Any = None, **kw: Any) -> Fault:
        return cls(status=429, headers=headers, body=body, **kw)

    @classmethod
    def server_error(cls, status: int = 503, **kw: Any) -> Fault:
        return cls(status=status, body={"error": "server error"}, **kw)

    @classmethod
    def timeout(cls, delay_s: float = 2.0, **kw: Any) -> Fault:
        return cls(delay_s=delay_s, status=200, **kw)

    @classmethod
    def truncated(cls, keep: int = 20, **kw: Any) -> Fault:
        return cls(truncate_to=keep, status=200, **kw)

    @classmethod
    def malformed(cls, body: bytes = b'{"data": [oops', **kw: Any) -> Fault:
        return cls(raw_body=body, status=200, **kw)


Handler = Callable[[Request], Response]


class Emulator:
    """Subclass, register routes with :meth:`route`, then ``with emulator:`` to serve."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self.requests: list[Request] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- set-up ---------------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method.upper(), re.compile(pattern + r"$"), handler))

    def inject(self, fault: Fault, times: int = 1) -> None:
        with self._lock:
            self._faults.extend([fault] * times)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def url(self) -> str:
        assert self._server is not None, "emulator not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Emulator:
        emulator = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Without this each small answer waits ~40 ms for Nagle's algorithm.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def date_time_string(self, timestamp: float | None = None) -> str:
                return emulator.http_date() or super().date_time_string(timestamp)

            def _serve(self) -> None:
                emulator._handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def http_date(self) -> str | None:
        """The ``Date`` header's value; ``None``: the real time. An emulator with a clock of
        its own overrides this, as a platform's answers carry the platform's time."""
        return None

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving --------------------------------------------------------------------------
    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.path is None or re.search(fault.path, path):
                    del self._faults[i]
                    return fault
        return None

    def _handle(self, http: BaseHTTPRequestHandler) -> None:
        split = urlsplit(http.path)
        length = int(http.headers.get("Content-Length") or 0)
        body = http.rfile.read(length) if length else b""
        request = Request(
            method=http.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in http.headers.items()},
            body=body,
        )
        with self._lock:
            self.requests.append(request)
        fault = self._take_fault(split.path)
        if fault is not None and fault.drop:
            http.close_connection = True
            http.connection.close()
            return
        if fault is not None and fault.delay_s:
            time.sleep(fault.delay_s)
        if fault is not None and fault.raw_body is None and fault.truncate_to is None:
            response = Response(fault.status, fault.body, dict(fault.headers))
        else:
            response = self._dispatch(request)
            if fault is not None and fault.raw_body is not None:
                response = Response(200, fault.raw_body, response.headers)
        payload = response.encode()
        if fault is not None and fault.truncate_to is not None:
            payload = payload[: fault.truncate_to]
        try:
            http.send_response(response.status)
            headers = {"Content-Type": "application/json; charset=utf-8", **response.headers}
            if request.headers.get("connection", "").lower() == "close":
                headers["Connection"] = "close"
                http.close_connection = True
            for name, value in headers.items():
                http.send_header(name, value)
            http.send_header("Content-Length", str(len(payload)))
            http.end_headers()
            http.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _dispatch(self, request: Request) -> Response:
        for method, pattern, handler in self._routes:
            if method == request.method and (m := pattern.match(request.path)):
                request.match = m
                try:
                    return handler(request)
                except Exception as exc:  # an emulator bug should fail loudly in the test
                    return Response(599, {"emulator_error": repr(exc)})
        return Response(404, {"error": "not found", "path": request.path})
