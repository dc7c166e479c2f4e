"""The HTTP transport shared by the adapters: one client, timeouts, retries, typed errors."""

from __future__ import annotations

import asyncio
import email.utils
import functools
import random
import ssl
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from batchtui import __version__
from batchtui.core.provider import (
    AuthError,
    InvalidRequestError,
    NetworkError,
    NotFoundError,
    ProviderError,
    QuotaError,
    RateLimitedError,
    ServerError,
)

# Statuses worth another try for an idempotent call. 409 is left out on purpose: Anthropic uses
# it for real conflicts (e.g. deleting a batch that has not ended), which a retry cannot fix.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 529})

# Error codes that mean "out of money or quota": retrying would only repeat the refusal.
QUOTA_CODES = frozenset({"insufficient_quota", "enforced_spend_limit_reached", "billing_error"})

# Transport failures that prove the request never left this machine: no connection was made.
NOT_SENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
# Uploads and creates carry up to 256 MB and the provider may take long to answer; a timeout
# there is an ambiguous failure (the batch may exist), so they get the SDKs' ten minutes.
SUBMIT_TIMEOUT = httpx.Timeout(600.0, connect=10.0)
USER_AGENT = f"batchtui/{__version__}"

Sleep = Callable[[float], Awaitable[None]]
BodyFactory = Callable[[], AsyncIterable[bytes]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry: a retry count cap and a total time budget in seconds."""

    max_retries: int = 10
    budget: float = 60.0
    base_delay: float = 0.5
    max_delay: float = 8.0

    def backoff(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Exponential delay for retry number ``attempt`` (0-based) with up to 25 % jitter."""
        delay = min(self.base_delay * (2.0**attempt), self.max_delay)
        return float(delay * (1.0 - 0.25 * rand()))


def parse_retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds the server asks us to wait: ``retry-after-ms``, else ``retry-after`` (seconds or
    an HTTP date); None when absent or unreadable."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms is not None:
        try:
            value = float(raw_ms) / 1000.0
        except ValueError:
            value = -1.0
        if value >= 0 and value == value:  # not NaN
            return value
    raw = headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        value = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    if value != value or value < 0 or value == float("inf"):
        return None
    return value


def _request_id(response: httpx.Response, body: Any) -> str | None:
    """The provider's request id from the headers, or from an Anthropic error body."""
    for name in ("x-request-id", "request-id"):
        value: str | None = response.headers.get(name)
        if value:
            return value
    found = body.get("request_id") if isinstance(body, dict) else None
    return found if isinstance(found, str) else None


def error_from_response(provider: str, response: httpx.Response) -> ProviderError:
    """Turn an error response (a redirect or status >= 400) into the matching typed error.

    Reads both error shapes: OpenAI's ``{"error": {message, type, param, code}}`` and
    Anthropic's ``{"type": "error", "error": {type, message, details?}, "request_id"}``.
    """
    status = response.status_code
    if 300 <= status < 400:
        location = response.headers.get("location") or "nowhere"
        return ProviderError(
            f"unexpected redirect to {location}", provider=provider, status_code=status
        )
    try:
        body: Any = response.json()
    except Exception:
        body = None
    message = error_type = code = param = None
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        message = err.get("message")
        error_type = err.get("type")
        code = err.get("code")
        param = err.get("param")
        details = err.get("details")
        if code is None and isinstance(details, dict):
            code = details.get("error_code")
    elif isinstance(err, str):
        message = err
    if not isinstance(message, str) or not message:
        text = response.text.strip() if body is None else ""
        message = text[:300] if text else (response.reason_phrase or f"HTTP {status}")
    kwargs: dict[str, Any] = {
        "provider": provider,
        "status_code": status,
        "request_id": _request_id(response, body),
        "error_type": error_type if isinstance(error_type, str) else None,
        "code": code if isinstance(code, str) else None,
        "param": param if isinstance(param, str) else None,
        "body": body,
    }
    if kwargs["code"] in QUOTA_CODES or kwargs["error_type"] in QUOTA_CODES or status == 402:
        return QuotaError(message, **kwargs)
    if status in (401, 403):
        return AuthError(message, **kwargs)
    if status == 404:
        return NotFoundError(message, **kwargs)
    if status == 429:
        return RateLimitedError(message, retry_after=parse_retry_after(response.headers), **kwargs)
    if status >= 500 or status == 408:
        return ServerError(message, retry_after=parse_retry_after(response.headers), **kwargs)
    return InvalidRequestError(message, **kwargs)


def json_body(provider: str, response: httpx.Response) -> Any:
    """The JSON of a successful response, or a ProviderError saying it was not JSON."""
    try:
        return response.json()
    except ValueError as exc:
        raise ProviderError(
            f"{response.request.method} {response.request.url.path} answered something that "
            "is not JSON",
            provider=provider,
            status_code=response.status_code,
            request_id=response.headers.get("x-request-id") or response.headers.get("request-id"),
        ) from exc


def network_error(provider: str, url: str, exc: Exception) -> NetworkError:
    """Describe a transport failure for a user (no headers, so never a key)."""
    origin = httpx.URL(url).copy_with(path="/", query=None, fragment=None)
    origin_text = str(origin).rstrip("/")
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, NOT_SENT_ERRORS):
        text = f"cannot reach {origin_text}: {detail}"
    elif isinstance(exc, httpx.TimeoutException):
        text = f"timed out talking to {origin_text}: {detail}"
    else:
        text = f"connection to {origin_text} failed: {detail}"
    return NetworkError(text, provider=provider)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context (system CA bundle, as httpx builds it) for every client of the process.

    Loading the CA bundle takes ~0.1 s; without sharing, each adapter paid it again (four at
    the dashboard's start: profiles times the polling and action adapters).
    """
    return httpx.create_ssl_context()


class Transport:
    """One provider's HTTP client with the retry policy; every adapter call goes through it."""

    def __init__(
        self,
        provider: str,
        *,
        client: httpx.AsyncClient | None = None,
        timeout: httpx.Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep | None = None,
        monotonic: Callable[[], float] | None = None,
        rand: Callable[[], float] | None = None,
    ) -> None:
        self.provider = provider
        self.retry = retry or RetryPolicy()
        self._owns_client = client is None
        self.client = client or httpx.AsyncClient(
            timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
            verify=tls_context(),
        )
        self._sleep = sleep or asyncio.sleep
        self._monotonic = monotonic or time.monotonic
        self._rand = rand or random.random

    async def aclose(self) -> None:
        """Close the client if this transport created it."""
        if self._owns_client:
            await self.client.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        idempotent: bool,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        body: BodyFactory | None = None,
        stream: bool = False,
        timeout: httpx.Timeout | None = None,
        on_attempt: Callable[[int], None] | None = None,
    ) -> httpx.Response:
        """Send one call, retrying what is safe to retry, and return its 2xx response.

        ``body`` makes a fresh byte stream for each attempt (a streamed upload cannot be replayed).
        With ``stream=True`` the response body is not read; the caller must close it.
        ``timeout`` overrides the client's timeout for this call. ``on_attempt(n)`` is called
        just before attempt ``n`` (0-based) is sent, so a caller can record each send.

        A non-idempotent call (a create or an upload) is retried only when the provider cannot
        have acted on it: a 429 (refused by the rate limiter before any work) or a connection that
        was never opened. Anything else (5xx, 529, a timeout, a cut connection) may come after
        the provider already created the batch, and sending it again could make a second paid
        batch; the caller settles such a failure by listing the provider's batches instead.
        An upload is sent as idempotent: the worst a repeat leaves is an unused file, which the
        caller records and deletes.
        """
        attempt = 0
        started = self._monotonic()
        while True:
            request = self.client.build_request(
                method,
                url,
                headers=headers,
                params=params,
                json=json,
                content=body() if body is not None else None,
                timeout=timeout if timeout is not None else self.client.timeout,
            )
            delay: float | None = None
            if on_attempt is not None:
                on_attempt(attempt)
            try:
                response = await self.client.send(request, stream=stream)
            except httpx.RequestError as exc:
                error: ProviderError = network_error(self.provider, url, exc)
                retry_ok = idempotent or isinstance(exc, NOT_SENT_ERRORS)
            else:
                if response.status_code < 300:
                    return response
                try:
                    await response.aread()
                except httpx.RequestError as exc:
                    await response.aclose()
                    error = network_error(self.provider, url, exc)
                    retry_ok = idempotent
                else:
                    await response.aclose()
                    error = error_from_response(self.provider, response)
                    retry_ok = self._status_retryable(response, error, idempotent)
                    delay = parse_retry_after(response.headers)
            if not retry_ok or attempt >= self.retry.max_retries:
                raise error
            wait = delay if delay is not None else self.retry.backoff(attempt, self._rand)
            if self._monotonic() - started + wait > self.retry.budget:
                raise error
            await self._sleep(wait)
            attempt += 1

    @staticmethod
    def _status_retryable(response: httpx.Response, error: ProviderError, idempotent: bool) -> bool:
        """Whether an error response may be sent again (see :meth:`request`)."""
        if isinstance(error, QuotaError):
            return False
        should = response.headers.get("x-should-retry", "").strip().lower()
        if should == "false":
            return False
        if not idempotent:
            return response.status_code == 429
        if should == "true":
            return True
        return response.status_code in RETRY_STATUSES or response.status_code >= 500


async def cursor_pages(
    fetch: Callable[[dict[str, Any]], Awaitable[Any]],
    *,
    cursor: str,
    limit: int,
    provider: str,
) -> AsyncIterator[dict[str, Any]]:
    """Every item of a cursor-paged list (``data``, ``has_more``, ``last_id``), page by page.

    ``fetch(params)`` returns one page; ``cursor`` names the query parameter that carries the
    last id seen (OpenAI ``after``, Anthropic ``after_id``). Stops on a page that would repeat.
    """
    after: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if after:
            params[cursor] = after
        page = await fetch(params)
        items = page.get("data") if isinstance(page, dict) else None
        if not isinstance(items, list):
            raise ProviderError("a list call answered without data", provider=provider)
        for item in items:
            yield item
        last = page.get("last_id") or (items[-1].get("id") if items else None)
        if not page.get("has_more") or not items or not last or last == after:
            return
        after = last
