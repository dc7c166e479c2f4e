"""Provider event parsers, reached through the registry spec; the emulator's events for both
halves read back by them; the emulator's signature checked by batchtui's verifier."""

from __future__ import annotations

import json
from typing import Any

import pytest

from batchtui.core.clock import FixedClock
from batchtui.core.registry import provider_spec
from batchtui.core.webhooks import Verifier
from batchtui.emulator import EmulatorServer
from batchtui.emulator.webhooks import WebhookSender, secret_key, signed_headers


def parser(provider: str) -> Any:
    spec = provider_spec(provider)
    assert spec.webhook_event is not None
    return spec.load(spec.webhook_event)


@pytest.mark.parametrize("kind", ["completed", "failed", "expired", "cancelled"])
def test_openai_batch_events_name_their_batch(kind: str) -> None:
    event = {"id": "evt_1", "object": "event", "created_at": 1, "type": f"batch.{kind}"}
    assert parser("openai")(event | {"data": {"id": "batch_abc"}}) == "batch_abc"


def test_openai_other_and_malformed_events() -> None:
    parse = parser("openai")
    other = {"object": "event", "type": "response.completed", "data": {"id": "resp_1"}}
    assert parse(other) is None
    with pytest.raises(ValueError, match=r"data\.id"):
        parse({"object": "event", "type": "batch.completed", "data": {}})
    with pytest.raises(ValueError, match="not an OpenAI event"):
        parse({"type": "batch.completed"})
    assert provider_spec("openai").webhook_secret_env == "OPENAI_WEBHOOK_SECRET"


def test_gemini_batch_events_name_their_batch() -> None:
    parse = parser("gemini")
    assert parse({"type": "batch.succeeded", "data": {"name": "batches/x1"}}) == "batches/x1"
    assert parse({"type": "batch.failed", "data": {"id": "x2"}}) == "batches/x2"
    assert parse({"type": "batch.expired", "data": {"batch": "batches/x3"}}) == "batches/x3"
    assert parse({"type": "interaction.completed", "data": {}}) is None
    with pytest.raises(ValueError, match="names no batch"):
        parse({"type": "batch.succeeded", "data": {}})
    assert provider_spec("gemini").webhook_secret_env is None


def test_providers_without_webhooks_have_no_parser() -> None:
    assert provider_spec("anthropic").webhook_event is None


def test_emulator_events_are_verified_by_batchtui_and_parsed(
    make_emulator: Any,
) -> None:
    """The emulator's sender (FixedClock, stepped by hand) against batchtui's verifier."""
    clock = FixedClock()
    server: EmulatorServer = make_emulator(clock=clock, job_seconds=10.0)
    secret = "whsec_" + "c2VjcmV0IGJ5dGVzIGZvciB0aGUgdGVzdCE="
    sender = WebhookSender(server.app, "http://127.0.0.1:9/unused", secret)
    import httpx

    with httpx.Client(base_url=server.openai_base_url, timeout=10) as oa:
        line = {
            "custom_id": "a",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        }
        up = oa.post(
            "/files",
            files={"file": ("in.jsonl", json.dumps(line).encode())},
            data={"purpose": "batch"},
        )
        batch = oa.post(
            "/batches",
            json={
                "input_file_id": up.json()["id"],
                "endpoint": "/v1/chat/completions",
                "completion_window": "24h",
            },
        ).json()
    assert sender.check() == 0  # still running: nothing to announce
    clock.advance(11)
    assert sender.check() == 1
    assert sender.check() == 0  # announced once
    provider, webhook_id, body = sender._queue.get_nowait()  # type: ignore[misc]
    assert provider == "openai"
    event = json.loads(body)
    assert event["type"] == "batch.completed" and event["data"] == {"id": batch["id"]}
    headers = signed_headers(secret_key(secret), webhook_id, int(clock.time()), body)
    verifier = Verifier(secret, clock=clock)
    assert verifier.verify(headers, body) == webhook_id
    assert parser("openai")(event) == batch["id"]


def test_a_failed_delivery_is_counted_and_the_emulator_keeps_serving(
    make_emulator: Any,
) -> None:
    from batchtui.core.clock import SystemClock

    server: EmulatorServer = make_emulator(clock=SystemClock())
    secret = "whsec_" + "c2VjcmV0IGJ5dGVzIGZvciB0aGUgdGVzdCE="
    sender = WebhookSender(server.app, "http://127.0.0.1:9/webhooks/{provider}", secret)
    assert sender.deliver("openai", "evt_x", b"{}") is False
    assert (sender.stats.sent, sender.stats.failed) == (0, 1)
    assert sender.stats.last_error is not None and secret[6:] not in sender.stats.last_error
    import httpx

    assert httpx.get(server.openai_base_url + "/batches", timeout=5).status_code == 200


def test_bad_secrets_are_refused_by_the_emulator() -> None:
    with pytest.raises(ValueError, match="not base64"):
        secret_key("whsec_!!!")
    with pytest.raises(ValueError, match="empty"):
        secret_key("")


def test_emulator_gemini_events_are_read_by_the_gemini_parser(make_emulator: Any) -> None:
    import httpx

    clock = FixedClock()
    server: EmulatorServer = make_emulator(clock=clock, job_seconds=10.0)
    sender = WebhookSender(server.app, "http://127.0.0.1:9/x", "plain-secret")
    request = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    body = {
        "batch": {
            "displayName": "t",
            "inputConfig": {
                "requests": {"requests": [{"request": request, "metadata": {"key": "a"}}]}
            },
        }
    }
    with httpx.Client(base_url=server.url, timeout=10) as client:
        made = client.post(
            "/v1beta/models/gemini-2.5-flash:batchGenerateContent",
            json=body,
            headers={"x-goog-api-key": "k"},
        )
    assert made.status_code == 200, made.text
    name = made.json()["name"]
    clock.advance(11)
    assert sender.check() == 1
    provider, _, raw = sender._queue.get_nowait()  # type: ignore[misc]
    event = json.loads(raw)
    assert provider == "gemini" and event["type"] == "batch.succeeded"
    assert parser("gemini")(event) == name


def test_emulator_cli_webhook_flags_need_a_usable_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from batchtui.emulator.cli import build_parser, main

    url = "http://127.0.0.1:9/webhooks/{provider}"
    monkeypatch.delenv("OPENAI_WEBHOOK_SECRET", raising=False)
    assert main(["--port", "0", "--webhook-url", url]) == 1
    assert "needs a secret in $OPENAI_WEBHOOK_SECRET" in capsys.readouterr().err
    monkeypatch.setenv("MY_HOOK", "whsec_%%%")
    assert main(["--port", "0", "--webhook-url", url, "--webhook-secret-env", "MY_HOOK"]) == 1
    err = capsys.readouterr().err
    assert "not base64" in err and "%%%" not in err
    args = build_parser().parse_args(["--webhook-url", url])
    assert args.webhook_secret_env == "OPENAI_WEBHOOK_SECRET"


def test_the_emulator_keeps_its_secret_out_of_reprs() -> None:
    from batchtui.emulator import EmulatorConfig

    config = EmulatorConfig(webhook_url="http://x/", webhook_secret="whsec_c2VjcmV0c2VjcmV0")
    assert "c2VjcmV0" not in repr(config)
