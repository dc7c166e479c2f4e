"""Seeded benchmark data: a results file in the emulator's OpenAI output-line shape, an OpenAI
batch input, an Anthropic batch input and a small OpenAI input for the download benchmark.

Files are written once per (kind, size, seed) under the data directory and reused while their
sidecar ``.meta.json`` matches.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
GEN_VERSION = 1

_WORDS = (  # noqa: SIM905 - one readable block of words
    "the batch result window queue answer model prompt token refund parcel invoice account "
    "delivery password upgrade export billing address support reply draft summary customer "
    "order payment shipping tracking request error retry limit cost usage report team plan "
    "data review quality label score short long clear polite thanks sorry please update"
).split()

OPENAI_MODEL = "gpt-4o-mini"
ANTHROPIC_MODEL = "claude-haiku-4-5"
ERROR_SHARE = 0.03  # non-2xx lines in the B1 results file
TRUNCATED_SHARE = 0.01


class Corpus:
    """A seeded block of words; ``take`` slices a pseudo-random stretch of it."""

    def __init__(self, rng: random.Random, size: int = 1 << 20) -> None:
        words: list[str] = []
        total = 0
        while total < size:
            word = rng.choice(_WORDS)
            words.append(word)
            total += len(word) + 1
        self.text = " ".join(words)
        self.rng = rng

    def take(self, length: int) -> str:
        start = self.rng.randrange(0, len(self.text) - length - 1)
        return self.text[start : start + length].strip()


def _hex(rng: random.Random, n: int = 32) -> str:
    return f"{rng.getrandbits(n * 4):0{n}x}"


def _write(path: Path, lines: Iterator[str], meta: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as out:
        buffer: list[str] = []
        for line in lines:
            buffer.append(line)
            if len(buffer) >= 2000:
                out.write("\n".join(buffer) + "\n")
                buffer.clear()
        if buffer:
            out.write("\n".join(buffer) + "\n")
    os.replace(tmp, path)
    meta = {**meta, "bytes": path.stat().st_size}
    _meta_path(path).write_text(json.dumps(meta, indent=1))
    return path


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".meta.json")


def _cached(path: Path, meta: dict) -> bool:
    try:
        stored = json.loads(_meta_path(path).read_text())
    except (OSError, ValueError):
        return False
    same = {k: stored.get(k) for k in meta} == meta
    return same and path.exists() and path.stat().st_size == stored.get("bytes")


def ensure(
    kind: str, count: int, seed: int, data_dir: Path, make: Callable[[int, int], Iterator[str]]
) -> Path:
    """The path of a generated file, generating it when missing or stale."""
    path = data_dir / f"{kind}-{count}-s{seed}.jsonl"
    meta = {"kind": kind, "count": count, "seed": seed, "version": GEN_VERSION}
    if not _cached(path, meta):
        _write(path, make(count, seed), meta)
    return path


# ------------------------------------------------------------------ B1 results file


def results_lines(count: int, seed: int, line_bytes: int = 1800) -> Iterator[str]:
    """OpenAI output-file lines (emulator shape): chat completions, a few % non-2xx lines."""
    rng = random.Random(f"{seed}:results")
    corpus = Corpus(rng)
    dumps = json.JSONEncoder(separators=(", ", ": ")).encode
    for i in range(count):
        custom_id = f"req-{i:07d}"
        draw = rng.random()
        if draw < ERROR_SHARE:
            status = rng.choice((400, 500, 404))
            error = {
                "message": corpus.take(120),
                "type": "invalid_request_error" if status != 500 else "server_error",
                "param": None,
                "code": "context_length_exceeded" if status == 400 else None,
            }
            line = {
                "id": "batch_req_" + _hex(rng),
                "custom_id": custom_id,
                "response": {
                    "status_code": status,
                    "request_id": "req_" + _hex(rng),
                    "body": {"error": error},
                },
                "error": None,
            }
            yield dumps(line)
            continue
        finish = "length" if draw < ERROR_SHARE + TRUNCATED_SHARE else "stop"
        body = {
            "id": "chatcmpl-" + _hex(rng, 29),
            "object": "chat.completion",
            "created": 1_760_000_000 + i,
            "model": OPENAI_MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": "",
                        "refusal": None,
                        "annotations": [],
                    },
                    "logprobs": None,
                    "finish_reason": finish,
                }
            ],
            "usage": {
                "prompt_tokens": 120 + rng.randrange(400),
                "completion_tokens": 200 + rng.randrange(200),
                "total_tokens": 0,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {
                    "reasoning_tokens": 0,
                    "audio_tokens": 0,
                    "accepted_prediction_tokens": 0,
                    "rejected_prediction_tokens": 0,
                },
            },
            "service_tier": "default",
            "system_fingerprint": "fp_" + _hex(rng, 10),
        }
        line = {
            "id": "batch_req_" + _hex(rng),
            "custom_id": custom_id,
            "response": {"status_code": 200, "request_id": "req_" + _hex(rng), "body": body},
            "error": None,
        }
        frame = len(dumps(line))
        body["choices"][0]["message"]["content"] = corpus.take(max(40, line_bytes - frame))
        yield dumps(line)


# ------------------------------------------------------------------ inputs


def openai_input_lines(count: int, seed: int, line_bytes: int = 3800) -> Iterator[str]:
    """OpenAI batch input lines for /v1/chat/completions, one model, unique custom_ids."""
    rng = random.Random(f"{seed}:openai-input")
    corpus = Corpus(rng)
    system = "You are a concise, friendly support agent. Answer in the customer's language."
    for i in range(count):
        frame = 200 + len(system)
        line = {
            "custom_id": f"task-{i:07d}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {
                "model": OPENAI_MODEL,
                "messages": [
                    {"role": "system", "content": system},
                    {"role": "user", "content": corpus.take(max(20, line_bytes - frame))},
                ],
                "max_tokens": 256,
            },
        }
        yield json.dumps(line, separators=(",", ":"))


def anthropic_input_lines(count: int, seed: int, line_bytes: int = 1200) -> Iterator[str]:
    """Anthropic batch request lines (``{custom_id, params}``), unique custom_ids."""
    rng = random.Random(f"{seed}:anthropic-input")
    corpus = Corpus(rng)
    for i in range(count):
        line = {
            "custom_id": f"req-{i:07d}",
            "params": {
                "model": ANTHROPIC_MODEL,
                "max_tokens": 256,
                "messages": [{"role": "user", "content": corpus.take(max(20, line_bytes - 140))}],
            },
        }
        yield json.dumps(line, separators=(",", ":"))


def small_openai_lines(count: int, seed: int) -> Iterator[str]:
    """Short OpenAI input lines (~250 bytes) for the batch whose results B4 downloads."""
    yield from openai_input_lines(count, seed, line_bytes=250)


def results_file(count: int, seed: int, data_dir: Path = DATA_DIR) -> Path:
    return ensure("results-openai", count, seed, data_dir, results_lines)


def openai_input(count: int, seed: int, data_dir: Path = DATA_DIR) -> Path:
    return ensure("input-openai", count, seed, data_dir, openai_input_lines)


def anthropic_input(count: int, seed: int, data_dir: Path = DATA_DIR) -> Path:
    return ensure("input-anthropic", count, seed, data_dir, anthropic_input_lines)


def small_openai_input(count: int, seed: int, data_dir: Path = DATA_DIR) -> Path:
    return ensure("input-openai-small", count, seed, data_dir, small_openai_lines)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
