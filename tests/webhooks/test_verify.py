"""The Standard Webhooks verifier: good, bad, missing, stale, future, replayed; secret forms."""

from __future__ import annotations

import base64

import pytest

from batchtui.core.clock import FixedClock
from batchtui.core.webhooks import Rejected, SecretError, Verifier, decode_secret, sign

# The published Standard Webhooks test vector (its reference libraries' tests).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TS = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def headers(
    webhook_id: str = VECTOR_ID, ts: int | str = VECTOR_TS, sig: str = VECTOR_SIG
) -> dict[str, str]:
    return {"webhook-id": webhook_id, "webhook-timestamp": str(ts), "webhook-signature": sig}


def verifier(now: float = VECTOR_TS, secret: str = VECTOR_SECRET) -> Verifier:
    return Verifier(secret, clock=FixedClock(now))


def reason(v: Verifier, hdrs: dict[str, str], body: bytes = VECTOR_BODY) -> tuple[int, str]:
    with pytest.raises(Rejected) as caught:
        v.verify(hdrs, body)
    return caught.value.status, caught.value.reason


def test_the_published_vector_verifies() -> None:
    assert verifier().verify(headers(), VECTOR_BODY) == VECTOR_ID
    key = decode_secret(VECTOR_SECRET)
    assert "v1," + sign(key, VECTOR_ID, str(VECTOR_TS), VECTOR_BODY) == VECTOR_SIG


def test_any_one_of_several_signatures_may_match_and_headers_ignore_case() -> None:
    sig = f"v1,bm90IGl0 v2,whatever {VECTOR_SIG}"
    hdrs = {k.title(): v for k, v in headers(sig=sig).items()}
    assert verifier().verify(hdrs, VECTOR_BODY) == VECTOR_ID


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"sig": "v1,AAAA" + VECTOR_SIG[7:]}, (401, "bad_signature")),
        ({"sig": VECTOR_SIG.replace("v1,", "v2,")}, (401, "bad_signature")),
        ({"sig": "v1,"}, (401, "bad_signature")),
        ({"webhook_id": "msg_other"}, (401, "bad_signature")),
        ({"ts": "yesterday"}, (400, "bad_timestamp")),
    ],
)
def test_bad_signatures_and_timestamps_are_refused(
    change: dict[str, str], expected: tuple[int, str]
) -> None:
    assert reason(verifier(), headers(**change)) == expected  # type: ignore[arg-type]


def test_a_changed_body_is_refused() -> None:
    assert reason(verifier(), headers(), VECTOR_BODY + b" ") == (401, "bad_signature")


def test_a_wrong_secret_is_refused() -> None:
    other = "whsec_" + base64.b64encode(b"another key of 24 bytes!").decode()
    assert reason(verifier(secret=other), headers()) == (401, "bad_signature")


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_headers_are_refused_naming_them(missing: str) -> None:
    hdrs = headers()
    del hdrs[missing]
    with pytest.raises(Rejected) as caught:
        verifier().verify(hdrs, VECTOR_BODY)
    assert (caught.value.status, caught.value.reason) == (400, "missing_headers")
    assert missing in str(caught.value)


def test_stale_and_future_timestamps_are_refused_beyond_five_minutes() -> None:
    assert verifier(VECTOR_TS + 299).verify(headers(), VECTOR_BODY) == VECTOR_ID  # within
    assert reason(verifier(VECTOR_TS + 301), headers()) == (401, "stale")
    assert verifier(VECTOR_TS - 299).verify(headers(), VECTOR_BODY) == VECTOR_ID
    assert reason(verifier(VECTOR_TS - 302), headers()) == (401, "future")


def test_a_replayed_id_is_refused_and_remembered_for_the_window() -> None:
    clock = FixedClock(VECTOR_TS)
    v = Verifier(VECTOR_SECRET, clock=clock)
    assert v.verify(headers(), VECTOR_BODY) == VECTOR_ID
    assert reason(v, headers()) == (409, "replayed")
    clock.advance(250)
    assert reason(v, headers()) == (409, "replayed")


def test_check_without_accept_does_not_remember() -> None:
    v = verifier()
    assert v.check(headers(), VECTOR_BODY) == VECTOR_ID
    assert v.check(headers(), VECTOR_BODY) == VECTOR_ID  # not accepted: not a replay yet
    v.accept(VECTOR_ID)
    assert reason(v, headers()) == (409, "replayed")


def test_secret_forms() -> None:
    raw = b"\x00\x01binary key bytes\xff"
    whsec = "whsec_" + base64.b64encode(raw).decode()
    assert decode_secret(whsec) == raw
    assert decode_secret(f"  {whsec}\n") == raw  # as read from a file or a variable
    assert decode_secret("plain-text-secret") == b"plain-text-secret"
    with pytest.raises(SecretError, match="not valid base64"):
        decode_secret("whsec_***not base64***")
    with pytest.raises(SecretError, match="empty"):
        decode_secret("whsec_")
    with pytest.raises(SecretError, match="empty"):
        decode_secret("   ")


def test_the_secret_is_never_in_reprs_or_messages() -> None:
    v = verifier()
    assert "MfKQ9r8" not in repr(v)
    with pytest.raises(Rejected) as caught:
        v.verify(headers(sig="v1,AAAA"), VECTOR_BODY)
    assert "MfKQ9r8" not in str(caught.value)
    with pytest.raises(SecretError) as bad:
        decode_secret("whsec_SeCrEt!!")
    assert "SeCrEt" not in str(bad.value)
