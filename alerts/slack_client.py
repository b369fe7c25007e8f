"""slack-sdk's ``WebClient`` as replywatch sets it up: base URL, timeout and retry handlers.

The only module that imports ``WebClient``. A 429 is retried after the server's
``Retry-After`` (when that wait is at most ``max_retry_after_s``), 5xx and dropped
connections with exponential backoff; a timed-out ``chat.postMessage`` is not retried, since
Slack may have posted it (see :mod:`alerts.slack`). Waits go through the injected ``sleep``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeAlias
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.http_retry import (
    BackoffRetryIntervalCalculator,
    ConnectionErrorRetryHandler,
    HttpRequest,
    HttpResponse,
    RateLimitErrorRetryHandler,
    RetryHandler,
    RetryState,
)
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

__all__ = ["SlackClient", "make_client", "retry_after_s", "retry_handlers"]


class _SleepMixin(RetryHandler):
    """slack-sdk's handlers sleep with ``time.sleep``; ours sleep through the sink's
    injected ``sleep`` so tests (and a fake clock) can see and skip the waits."""

    _sleep: Callable[[float], None]

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        self._sleep(self._wait_s(state, response))
        state.increment_current_attempt()

    def _wait_s(self, state: RetryState, response: HttpResponse | None) -> float:
        calc = self.interval_calculator
        return float(calc.calculate_sleep_duration(state.current_attempt))


def retry_after_s(response: Any) -> float:
    """The ``Retry-After`` seconds of a slack-sdk response: a retry handler's
    ``HttpResponse`` (header values are lists) or an error's ``SlackResponse`` (strings);
    1 when absent or unreadable."""
    headers = getattr(response, "headers", None) or {}
    for name, values in headers.items():
        if name.lower() == "retry-after" and values:
            value = values if isinstance(values, str) else values[0]
            try:
                return max(0.0, float(value))
            except ValueError:
                return 1.0
    return 1.0


class _RateLimitRetry(_SleepMixin, RateLimitErrorRetryHandler):
    def __init__(self, max_retry_count: int, sleep: Callable[[float], None], max_wait_s: float):
        super().__init__(max_retry_count=max_retry_count)
        self._sleep = sleep
        self._max_wait_s = max_wait_s

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        ok = super()._can_retry(state=state, request=request, response=response, error=error)
        return ok and retry_after_s(response) <= self._max_wait_s

    def _wait_s(self, state: RetryState, response: HttpResponse | None) -> float:
        return retry_after_s(response)


class _BackoffMixin(_SleepMixin):
    """Exponential backoff (0.5 s, 1 s, 2 s...) through the injected ``sleep``."""

    def __init__(self, max_retry_count: int, sleep: Callable[[float], None]):
        super().__init__(max_retry_count, BackoffRetryIntervalCalculator(backoff_factor=0.5))
        self._sleep = sleep


class _ServerErrorRetry(_BackoffMixin, ServerErrorRetryHandler):
    """slack-sdk retries 500 and 503; 502 and 504 from a proxy are as transient. Not for
    ``chat.postMessage``: a 5xx can come after Slack posted the message (a gateway timing out
    on a slow answer), so that one surfaces as a retryable ``DeliveryError`` and the resend
    looks for the message first, as after a reset connection."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return (
            response is not None
            and response.status_code in (500, 502, 503, 504)
            and not _is_post_message(request)
        )


class _ConnectionRetry(_BackoffMixin, ConnectionErrorRetryHandler):
    """slack-sdk's connection-error retries, minus one case: a ``chat.postMessage`` whose
    connection was reset or closed *after* it was sent may have been posted, and posting it
    again would post twice. That one surfaces as a retryable ``DeliveryError`` instead, and
    the resend looks for the message first. A failure to connect (``URLError``) is retried:
    nothing was sent."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        sent = not isinstance(error, URLError)
        return not (sent and _is_post_message(request))


def _is_post_message(request: HttpRequest) -> bool:
    return request.url.rstrip("/").endswith("/chat.postMessage")


def retry_handlers(
    *,
    max_retries: int = 3,
    sleep: Callable[[float], None] = time.sleep,
    max_retry_after_s: float = 30.0,
) -> list[RetryHandler]:
    """The retry handlers every replywatch ``WebClient`` uses (the sink's and the bolt app's):
    429 after ``Retry-After``, 5xx and connection errors with backoff."""
    return [
        _RateLimitRetry(max_retries, sleep, max_retry_after_s),
        _ServerErrorRetry(max_retries, sleep),
        _ConnectionRetry(max_retries, sleep),
    ]


#: The Web API client type, for modules that must not import slack-sdk's ``WebClient``.
SlackClient: TypeAlias = WebClient


def make_client(
    token: str,
    *,
    base_url: str | None = None,
    timeout_s: float = 15.0,
    max_retries: int = 3,
    max_retry_after_s: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> WebClient:
    """A ``WebClient`` set up as replywatch uses it everywhere: ``base_url`` (with its
    trailing ``/``), a per-request timeout, and the retry handlers of
    :func:`retry_handlers`."""
    url = base_url or WebClient.BASE_URL
    return WebClient(
        token=token,
        base_url=url if url.endswith("/") else url + "/",
        timeout=timeout_s,  # type: ignore[arg-type]  # urllib takes float seconds
        retry_handlers=retry_handlers(
            max_retries=max_retries, sleep=sleep, max_retry_after_s=max_retry_after_s
        ),
    )
