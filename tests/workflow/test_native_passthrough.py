"""`submit` of an input already in the provider's own format: its lines go out as they are
(blanks, CR, BOM and blank lines dropped), the kept copy is exactly what was uploaded and its
sha256, and the same input is still refused the second time."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from workflow_helpers import JOB_SECONDS, MODELS, Env, intents


def openai_lines(count: int) -> list[bytes]:
    """OpenAI batch lines as `json.dumps` spells them by default (spaces, ASCII escapes)."""
    return [
        json.dumps(
            {
                "custom_id": f"r{i}",
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {
                    "model": MODELS["openai"],
                    "messages": [{"role": "user", "content": f"Say something about {i} \u00e9."}],
                    "max_tokens": 20 + i,
                },
            }
        ).encode()
        for i in range(count)
    ]


def test_an_openai_file_goes_out_as_its_lines(env: Env) -> None:
    lines = openai_lines(4)
    source = env.work / "in.jsonl"
    source.write_bytes(
        b"\xef\xbb\xbf" + lines[0] + b"\r\n\r\n" + lines[1] + b"  \n" + b"\n".join(lines[2:])
    )
    job = env.ok("submit", source, "--profile", "openai")
    assert job["request_count"] == 4

    (intent,) = intents(env.home)
    kept = Path(intent["input_path"])
    data = kept.read_bytes()
    assert data == b"".join(line + b"\n" for line in lines)
    assert hashlib.sha256(data).hexdigest() == job["input_sha256"] == intent["sha256"]
    assert kept.name == f"{job['input_sha256']}.jsonl"

    # The same file again is the same input: refused, nothing sent.
    again = env("submit", source, "--profile", "openai")
    assert again.rc == 1 and "--again" in again.err
    assert len(env.batch_ids("openai")) == 1

    # Each result is joined with its request, read back from the kept copy.
    env.advance(JOB_SECONDS * 2)
    run = env("results", job["id"], "--join")
    assert run.rc == 0, run.err
    rows = {r["result"]["custom_id"]: r["request"] for r in map(json.loads, run.out.splitlines())}
    assert rows == {json.loads(line)["custom_id"]: json.loads(line) for line in lines}


def test_a_profile_default_fills_only_the_lines_that_lack_it(env: Env) -> None:
    lines = openai_lines(3)
    bare = json.loads(lines[1])
    del bare["body"]["model"]
    lines[1] = json.dumps(bare).encode()
    source = env.work / "in.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    job = env.ok("submit", source, "--profile", "openai", "--model", MODELS["openai"])
    (intent,) = intents(env.home)
    written = Path(intent["input_path"]).read_bytes().splitlines()
    assert written[0] == lines[0] and written[2] == lines[2]  # copied as they are
    filled = json.loads(written[1])  # encoded again with the model filled in
    assert filled["body"]["model"] == MODELS["openai"]
    assert b", " not in written[1]
    assert job["request_count"] == 3
