"""Anthropic's half of the emulator: Message Batches endpoints (/v1/messages/batches)."""

from __future__ import annotations

import random
import re
import uuid
from typing import TYPE_CHECKING, Any

from batchtui.emulator.anthropic import errors as wire
from batchtui.emulator.anthropic.errors import invalid
from batchtui.emulator.anthropic.jobs import AnthropicJob
from batchtui.emulator.anthropic.results import request_facts, result_line, unrun_line
from batchtui.emulator.errors import ApiError
from batchtui.emulator.facts import Facts
from batchtui.emulator.half import ProviderHalf, bearer_token
from batchtui.emulator.httpio import Request, Response
from batchtui.emulator.ids import BASE62
from batchtui.emulator.jobs import rfc3339
from batchtui.emulator.results import time_share
from batchtui.emulator.routing import file_response, int_param, json_body, write_jsonl

if TYPE_CHECKING:
    from batchtui.emulator.app import EmulatorApp

CUSTOM_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}\Z")
ID = r"([A-Za-z0-9_-]+)"
BASE = "/v1/messages/batches"


def _check_request(i: int, item: Any) -> Facts:
    """Validate requests[i]; returns its facts."""
    where = f"requests.{i}"
    if not isinstance(item, dict):
        raise invalid(f"{where}: Input should be a valid dictionary")
    cid = item.get("custom_id")
    if cid is None:
        raise invalid(f"{where}.custom_id: Field required")
    if not isinstance(cid, str) or not CUSTOM_ID.match(cid):
        raise invalid(f"{where}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'")
    params = item.get("params")
    if not isinstance(params, dict):
        raise invalid(f"{where}.params: Field required")
    model = params.get("model")
    if not isinstance(model, str) or not model:
        raise invalid(f"{where}.params.model: Field required")
    max_tokens = params.get("max_tokens")
    if max_tokens is None:
        raise invalid(f"{where}.params.max_tokens: Field required")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
        raise invalid(f"{where}.params.max_tokens: Input should be a valid integer")
    if max_tokens < 1:
        raise invalid(f"{where}.params.max_tokens: Input should be greater than or equal to 1")
    messages = params.get("messages")
    if messages is None:
        raise invalid(f"{where}.params.messages: Field required")
    if not isinstance(messages, list):
        raise invalid(f"{where}.params.messages: Input should be a valid list")
    if params.get("stream"):
        raise invalid(f"{where}.params.stream: streaming is not supported in Message Batches")
    return request_facts(cid, params)


class AnthropicApi(ProviderHalf):
    """Routes under /v1/messages/batches; state lives in the app (callers hold its lock)."""

    name = "anthropic"
    prefix = BASE
    base_path = ""  # the SDK adds /v1 itself

    def __init__(self, app: EmulatorApp) -> None:
        super().__init__(app)
        self.jobs: dict[str, AnthropicJob] = {}
        self.add_route("POST", BASE, self.create, is_create=True, fault_route="create")
        self.add_route("GET", BASE, self.list, fault_route="list")
        self.add_route("GET", f"{BASE}/{ID}", self.retrieve)
        self.add_route("POST", f"{BASE}/{ID}/cancel", self.cancel)
        self.add_route("DELETE", f"{BASE}/{ID}", self.delete)
        self.add_route("GET", f"{BASE}/{ID}/results", self.results, is_download=True)

    # ------------------------------------------------------------ wire

    def request_id(self) -> str:
        n = uuid.uuid4().int
        return "req_011C" + "".join(BASE62[(n >> (6 * i)) % 62] for i in range(20))

    def error_response(self, err: ApiError, request_id: str) -> Response:
        return wire.error_response(err, request_id)

    def stamp(self, resp: Response, request_id: str) -> None:
        resp.headers.setdefault("request-id", request_id)
        resp.headers.setdefault("anthropic-organization-id", "emulator-org")
        reset = rfc3339(self.app.now() + 60).replace(".000000Z", "Z")
        for kind, limit in (("requests", 4000), ("tokens", 2_000_000)):
            resp.headers.setdefault(f"anthropic-ratelimit-{kind}-limit", str(limit))
            resp.headers.setdefault(f"anthropic-ratelimit-{kind}-remaining", str(limit - 1))
            resp.headers.setdefault(f"anthropic-ratelimit-{kind}-reset", reset)

    def check_auth(self, request: Request, key: str) -> None:
        if request.header("x-api-key") != key and bearer_token(request) != key:
            raise ApiError(401, "invalid x-api-key")

    def not_found(self, request: Request) -> ApiError:
        return ApiError(404, "Not found")

    def quota_error(self) -> ApiError:
        return wire.quota_error()

    def status_error(self, status: int, headers: dict[str, str]) -> ApiError:
        return wire.status_error(status, headers)

    # ------------------------------------------------------------ batches

    def create(self, request: Request, _m: re.Match[str]) -> Response:
        """POST /v1/messages/batches: validated synchronously."""
        cfg = self.app.config
        too_large = ApiError(
            413,
            f"Request exceeds the maximum size of {cfg.anthropic_max_body_bytes} bytes.",
            type="request_too_large",
        )
        body = json_body(request, cfg.anthropic_max_body_bytes, too_large=too_large)
        if not isinstance(body, dict):
            raise invalid("The request body must be a JSON object.")
        requests = body.get("requests")
        if requests is None:
            raise invalid("requests: Field required")
        if not isinstance(requests, list):
            raise invalid("requests: Input should be a valid list")
        n = len(requests)
        if n < 1:
            raise invalid("requests: List should have at least 1 item after validation, not 0")
        if n > cfg.anthropic_max_requests:
            raise invalid(
                f"requests: List should have at most {cfg.anthropic_max_requests} items after "
                f"validation, not {n}"
            )
        facts: list[Facts] = []
        seen: dict[str, int] = {}
        for i, item in enumerate(requests):
            f = _check_request(i, item)
            if f.custom_id in seen:
                raise invalid(
                    f"requests.{i}.custom_id: Duplicate custom_id '{f.custom_id}' (also used by "
                    f"requests.{seen[f.custom_id]}); custom_id values must be unique within a "
                    "batch."
                )
            seen[f.custom_id] = i
            facts.append(f)
        with self.app.lock:
            job = self.new_job(
                AnthropicJob,
                "msgbatch_01" + self.app.ids.b62(22),
                facts,
                retention_seconds=cfg.results_retention_seconds,
            )
            self.jobs[job.id] = job
            return Response.json(job.to_json(self.app.now(), self.app.base_url))

    def _job(self, batch_id: str) -> AnthropicJob:
        job = self.jobs.get(batch_id)
        if job is None:
            raise ApiError(404, f"No message batch found with id '{batch_id}'.")
        return job

    def _view(self, job: AnthropicJob) -> Response:
        return Response.json(job.to_json(self.app.now(), self.app.base_url))

    def retrieve(self, _r: Request, m: re.Match[str]) -> Response:
        """GET /v1/messages/batches/{id}."""
        with self.app.lock:
            return self._view(self._job(m.group(1)))

    def list(self, request: Request, _m: re.Match[str]) -> Response:
        """GET /v1/messages/batches: newest first, before_id/after_id, limit 1..1000."""
        limit = int_param(request, "limit", 20, 1, 1000)
        before, after = request.query.get("before_id"), request.query.get("after_id")
        if before and after:
            raise invalid("Only one of before_id and after_id may be given.")
        with self.app.lock:
            jobs = sorted(self.jobs.values(), key=lambda j: (j.created, j.seq), reverse=True)
            ids = [j.id for j in jobs]
            if after:
                rest = jobs[ids.index(after) + 1 :] if after in ids else []
                page, has_more = rest[:limit], len(rest) > limit
            elif before:
                head = jobs[: ids.index(before)] if before in ids else []
                page, has_more = head[-limit:], len(head) > limit
            else:
                page, has_more = jobs[:limit], len(jobs) > limit
            now = self.app.now()
            data = [j.to_json(now, self.app.base_url) for j in page]
        return Response.json(
            {
                "data": data,
                "has_more": has_more,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
            }
        )

    def cancel(self, _r: Request, m: re.Match[str]) -> Response:
        """POST /v1/messages/batches/{id}/cancel: canceling now, ended after the cancel delay."""
        with self.app.lock:
            job = self._job(m.group(1))
            now = self.app.now()
            status = job.status_at(now)
            if status == "ended":
                if self.app.config.cancel_terminal_error:
                    raise invalid(
                        f"Message Batch {job.id} has already ended and cannot be canceled."
                    )
            elif status == "in_progress":
                job.cancel_at = now
            return self._view(job)

    def delete(self, _r: Request, m: re.Match[str]) -> Response:
        """DELETE /v1/messages/batches/{id}: only once ended."""
        with self.app.lock:
            job = self._job(m.group(1))
            if job.status_at(self.app.now()) != "ended":
                raise invalid(
                    f"Message Batch {job.id} is still being processed; cancel it and wait for it "
                    "to end before deleting it."
                )
            del self.jobs[job.id]
            if job.results_path is not None:
                job.results_path.unlink(missing_ok=True)
        return Response.json({"id": job.id, "type": "message_batch_deleted"})

    def results(self, request: Request, m: re.Match[str]) -> Response:
        """GET /v1/messages/batches/{id}/results: JSONL, only once ended."""
        with self.app.lock:
            job = self._job(m.group(1))
            now = self.app.now()
            if job.status_at(now) != "ended":
                raise invalid(
                    f"Message Batch {job.id} has not yet ended; results are available once "
                    "processing_status is 'ended'."
                )
            if job.archived(now):
                raise ApiError(404, f"Results of Message Batch {job.id} have been archived.")
            job.settled = True
            if job.results_path is None:
                job.results_path = self._write_results(job)
            path = job.results_path
        return file_response(request, path, path.stat().st_size, "application/x-jsonl")

    def _write_results(self, job: AnthropicJob) -> Any:
        kind, _ = job.ending()
        share = job.finished_share()
        lines = []
        for facts in job.facts:
            if time_share(job.seed, facts.custom_id) <= share:
                lines.append(result_line(job.seed, facts, job.fail_rate))
            else:
                lines.append(unrun_line(facts.custom_id, kind))
        random.Random(f"{job.seed}:{job.id}:order").shuffle(lines)
        path = self.app.tmpdir / f"{job.id}_results.jsonl"
        write_jsonl(path, lines)
        return path
