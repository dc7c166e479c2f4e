"""The shared transport: Retry-After parsing, error mapping and the retry policy (MockTransport)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

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
from batchtui.providers.http import RetryPolicy, Transport, error_from_response, parse_retry_after


class FakeTime:
    """A monotonic clock that only moves when the transport sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


Handler = Callable[[httpx.Request], httpx.Response]


def scripted(*steps: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler answering each call with the next step (the last one repeats)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = steps[min(len(seen) - 1, len(steps) - 1)]
        if isinstance(step, Exception):
            raise step
        return step

    return handler, seen


def make_transport(
    handler: Handler, time: FakeTime, *, budget: float = 60.0, max_retries: int = 10
) -> Transport:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return Transport(
        "openai",
        client=client,
        retry=RetryPolicy(max_retries=max_retries, budget=budget),
        sleep=time.sleep,
        monotonic=time.monotonic,
        rand=lambda: 0.0,
    )


def oa_error(status: int, code: str | None = None, type_: str = "server_error", **headers: str):
    body = {"error": {"message": f"boom {status}", "type": type_, "param": None, "code": code}}
    return httpx.Response(status, json=body, headers={"x-request-id": "req_1", **headers})


URL = "http://provider.test/v1/batches"


# --- Retry-After -----------------------------------------------------------------------------


def test_retry_after_seconds_and_fractions() -> None:
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after": "0.25"}) == 0.25


def test_retry_after_ms_wins_over_seconds() -> None:
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5


def test_retry_after_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=42), usegmt=True)
    assert parse_retry_after({"retry-after": header}, now=now) == pytest.approx(42.0)


def test_retry_after_date_in_the_past_is_zero() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    header = format_datetime(now - timedelta(seconds=42), usegmt=True)
    assert parse_retry_after({"retry-after": header}, now=now) == 0.0


@pytest.mark.parametrize("value", ["soon", "", "-3", "nan", "inf"])
def test_retry_after_unreadable_is_none(value: str) -> None:
    assert parse_retry_after({"retry-after": value}) is None


def test_retry_after_bad_ms_falls_back_to_seconds() -> None:
    assert parse_retry_after({"retry-after-ms": "x", "retry-after": "2"}) == 2.0
    assert parse_retry_after({}) is None


# --- error mapping ---------------------------------------------------------------------------


def test_openai_401_becomes_auth_error_with_details() -> None:
    response = httpx.Response(
        401,
        json={
            "error": {
                "message": "Incorrect API key provided",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            }
        },
        headers={"x-request-id": "req_abc"},
    )
    error = error_from_response("openai", response)
    assert isinstance(error, AuthError)
    assert error.message == "Incorrect API key provided"
    assert (error.error_type, error.code, error.request_id) == (
        "invalid_request_error",
        "invalid_api_key",
        "req_abc",
    )
    assert "req_abc" in str(error) and "HTTP 401" in str(error)


def test_anthropic_404_reads_request_id_header_and_nested_type() -> None:
    response = httpx.Response(
        404,
        json={
            "type": "error",
            "error": {"type": "not_found_error", "message": "no such batch"},
            "request_id": "req_body",
        },
        headers={"request-id": "req_011"},
    )
    error = error_from_response("anthropic", response)
    assert isinstance(error, NotFoundError)
    assert (error.error_type, error.message, error.request_id) == (
        "not_found_error",
        "no such batch",
        "req_011",
    )


def test_anthropic_request_id_from_body_when_no_header() -> None:
    body = {"type": "error", "error": {"type": "api_error", "message": "x"}, "request_id": "r9"}
    assert error_from_response("anthropic", httpx.Response(500, json=body)).request_id == "r9"


def test_400_is_invalid_request_with_param() -> None:
    response = httpx.Response(
        400,
        json={"error": {"message": "bad", "type": "invalid_request_error", "param": "endpoint"}},
    )
    error = error_from_response("openai", response)
    assert isinstance(error, InvalidRequestError)
    assert error.param == "endpoint"


def test_429_rate_limit_carries_retry_after() -> None:
    error = error_from_response(
        "openai", oa_error(429, "rate_limit_exceeded", **{"retry-after": "7"})
    )
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 7.0


def test_429_insufficient_quota_is_quota_error() -> None:
    error = error_from_response("openai", oa_error(429, "insufficient_quota", "insufficient_quota"))
    assert isinstance(error, QuotaError)
    assert not isinstance(error, RateLimitedError)


def test_429_anthropic_spend_limit_is_quota_error() -> None:
    body = {
        "type": "error",
        "error": {
            "type": "rate_limit_error",
            "message": "spend limit",
            "details": {"error_code": "enforced_spend_limit_reached"},
        },
    }
    error = error_from_response("anthropic", httpx.Response(429, json=body))
    assert isinstance(error, QuotaError)
    assert error.code == "enforced_spend_limit_reached"


@pytest.mark.parametrize("status", [500, 502, 503, 504, 529])
def test_server_statuses_are_server_errors(status: int) -> None:
    assert isinstance(error_from_response("openai", oa_error(status)), ServerError)


def test_error_without_json_uses_text() -> None:
    error = error_from_response("openai", httpx.Response(502, text="<html>Bad gateway</html>"))
    assert isinstance(error, ServerError)
    assert "Bad gateway" in error.message


# --- retry policy ----------------------------------------------------------------------------


async def test_idempotent_get_retries_5xx_with_backoff_then_succeeds() -> None:
    time = FakeTime()
    handler, seen = scripted(oa_error(503), oa_error(502), httpx.Response(200, json={"ok": 1}))
    transport = make_transport(handler, time)
    response = await transport.request("GET", URL, headers={}, idempotent=True)
    assert response.json() == {"ok": 1}
    assert len(seen) == 3
    assert time.sleeps == [0.5, 1.0]  # exponential, no jitter with rand=0


async def test_retry_after_is_honoured() -> None:
    time = FakeTime()
    handler, seen = scripted(
        oa_error(429, "rate_limit_exceeded", **{"retry-after": "3"}),
        oa_error(429, "rate_limit_exceeded", **{"retry-after-ms": "250"}),
        httpx.Response(200, json={}),
    )
    await make_transport(handler, time).request("GET", URL, headers={}, idempotent=True)
    assert time.sleeps == [3.0, 0.25]
    assert len(seen) == 3


async def test_budget_exhausted_raises_rate_limited_with_retry_after() -> None:
    time = FakeTime()
    handler, seen = scripted(oa_error(429, "rate_limit_exceeded", **{"retry-after": "25"}))
    transport = make_transport(handler, time, budget=60.0)
    with pytest.raises(RateLimitedError) as info:
        await transport.request("GET", URL, headers={}, idempotent=True)
    assert info.value.retry_after == 25.0
    assert time.sleeps == [25.0, 25.0]
    assert len(seen) == 3


async def test_max_retries_caps_attempts() -> None:
    time = FakeTime()
    handler, seen = scripted(oa_error(500))
    with pytest.raises(ServerError):
        await make_transport(handler, time, max_retries=2).request(
            "GET", URL, headers={}, idempotent=True
        )
    assert len(seen) == 3


async def test_create_is_not_retried_on_500() -> None:
    time = FakeTime()
    handler, seen = scripted(oa_error(500), httpx.Response(200, json={}))
    with pytest.raises(ServerError) as info:
        await make_transport(handler, time).request(
            "POST", URL, headers={}, idempotent=False, json={}
        )
    assert len(seen) == 1
    assert info.value.request_id == "req_1"


async def test_create_is_not_retried_on_read_timeout() -> None:
    time = FakeTime()
    handler, seen = scripted(httpx.ReadTimeout("slow"), httpx.Response(200, json={}))
    with pytest.raises(NetworkError):
        await make_transport(handler, time).request(
            "POST", URL, headers={}, idempotent=False, json={}
        )
    assert len(seen) == 1


async def test_create_is_retried_on_429() -> None:
    time = FakeTime()
    handler, seen = scripted(
        oa_error(429, "rate_limit_exceeded", **{"retry-after": "1"}), httpx.Response(200, json={})
    )
    await make_transport(handler, time).request("POST", URL, headers={}, idempotent=False, json={})
    assert len(seen) == 2
    assert time.sleeps == [1.0]


async def test_create_is_retried_on_connect_error() -> None:
    time = FakeTime()
    handler, seen = scripted(httpx.ConnectError("refused"), httpx.Response(200, json={}))
    await make_transport(handler, time).request("POST", URL, headers={}, idempotent=False, json={})
    assert len(seen) == 2


async def test_create_ignores_x_should_retry_true_on_500() -> None:
    time = FakeTime()
    handler, seen = scripted(oa_error(500, **{"x-should-retry": "true"}))
    with pytest.raises(ServerError):
        await make_transport(handler, time).request("POST", URL, headers={}, idempotent=False)
    assert len(seen) == 1


async def test_x_should_retry_false_stops_retries() -> None:
    time = FakeTime()
    handler, seen = scripted(oa_error(503, **{"x-should-retry": "false"}))
    with pytest.raises(ServerError):
        await make_transport(handler, time).request("GET", URL, headers={}, idempotent=True)
    assert len(seen) == 1


async def test_x_should_retry_true_retries_a_400_get() -> None:
    time = FakeTime()
    handler, seen = scripted(
        oa_error(400, type_="invalid_request_error", **{"x-should-retry": "true"}),
        httpx.Response(200, json={}),
    )
    await make_transport(handler, time).request("GET", URL, headers={}, idempotent=True)
    assert len(seen) == 2


async def test_quota_error_is_never_retried() -> None:
    time = FakeTime()
    handler, seen = scripted(oa_error(429, "insufficient_quota", "insufficient_quota"))
    with pytest.raises(QuotaError):
        await make_transport(handler, time).request("GET", URL, headers={}, idempotent=True)
    assert len(seen) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
async def test_client_errors_are_not_retried(status: int) -> None:
    time = FakeTime()
    handler, seen = scripted(oa_error(status, type_="invalid_request_error"))
    with pytest.raises(Exception) as info:
        await make_transport(handler, time).request("GET", URL, headers={}, idempotent=True)
    assert len(seen) == 1
    assert getattr(info.value, "status_code", None) == status


async def test_idempotent_call_retries_a_cut_connection() -> None:
    time = FakeTime()
    handler, seen = scripted(httpx.RemoteProtocolError("peer closed"), httpx.Response(200))
    await make_transport(handler, time).request("GET", URL, headers={}, idempotent=True)
    assert len(seen) == 2


async def test_streamed_body_is_rebuilt_for_each_attempt() -> None:
    time = FakeTime()
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.read())
        if len(bodies) == 1:
            return oa_error(429, "rate_limit_exceeded", **{"retry-after": "0"})
        return httpx.Response(200, json={})

    async def body() -> AsyncIterator[bytes]:
        yield b"part1-"
        yield b"part2"

    await make_transport(handler, time).request(
        "POST",
        URL,
        headers={"Content-Length": "11"},
        idempotent=False,
        body=body,
    )
    assert bodies == [b"part1-part2", b"part1-part2"]


async def test_network_error_names_the_host_but_not_the_key() -> None:
    time = FakeTime()
    handler, _ = scripted(httpx.ConnectError("connection refused"))
    transport = make_transport(handler, time, max_retries=0)
    with pytest.raises(NetworkError) as info:
        await transport.request(
            "GET", URL, headers={"Authorization": "Bearer sk-secret"}, idempotent=True
        )
    assert "provider.test" in str(info.value)
    assert "sk-secret" not in str(info.value)


async def test_transport_closes_only_its_own_client() -> None:
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    await Transport("openai", client=client).aclose()
    assert not client.is_closed
    own = Transport("openai")
    await own.aclose()
    assert own.client.is_closed
    await client.aclose()


async def test_redirect_is_an_error_not_a_body() -> None:
    time = FakeTime()
    handler, seen = scripted(httpx.Response(302, headers={"location": "https://elsewhere/x"}))
    with pytest.raises(ProviderError, match="redirect to https://elsewhere/x"):
        await make_transport(handler, time).request("GET", URL, headers={}, idempotent=True)
    assert len(seen) == 1
