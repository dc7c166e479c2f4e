"""OpenAI's half of the emulator: Files and Batches endpoints (/v1/files, /v1/batches).

It also answers, in OpenAI's shape, every path no other half claims (prefix ``""``).
"""

from __future__ import annotations

import random
import re
import uuid
from typing import TYPE_CHECKING, Any

from batchtui.emulator.errors import ApiError
from batchtui.emulator.files import FileStore, StoredFile
from batchtui.emulator.half import ProviderHalf, bearer_token
from batchtui.emulator.httpio import Request, Response
from batchtui.emulator.ids import digest
from batchtui.emulator.jobs import Job
from batchtui.emulator.multipart import MultipartError, parse_multipart
from batchtui.emulator.openai import errors as wire
from batchtui.emulator.openai.jobs import OpenAIJob
from batchtui.emulator.openai.results import result_line, unrun_line
from batchtui.emulator.openai.validate import validate_input
from batchtui.emulator.results import time_share
from batchtui.emulator.routing import file_response, int_param, json_body, write_jsonl

if TYPE_CHECKING:
    from batchtui.emulator.app import EmulatorApp

UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
ENDPOINTS = (
    "/v1/responses",
    "/v1/chat/completions",
    "/v1/embeddings",
    "/v1/completions",
    "/v1/moderations",
    "/v1/images/generations",
    "/v1/images/edits",
    "/v1/videos",
)
TERMINAL = ("completed", "failed", "expired", "cancelled")
MIN_EXPIRY, MAX_EXPIRY = 3600, 2_592_000
ID = r"([A-Za-z0-9_-]+)"


def _not_found(kind: str, object_id: str, param: str = "id") -> ApiError:
    return ApiError(404, f"No such {kind} object: {object_id}", param=param)


def _expires_after(anchor: Any, seconds: Any, param: str) -> int:
    if anchor != "created_at":
        raise ApiError(400, f"Invalid '{param}.anchor': must be 'created_at'.", param=param)
    try:
        value = int(seconds)
    except (TypeError, ValueError):
        value = -1
    if not MIN_EXPIRY <= value <= MAX_EXPIRY:
        raise ApiError(
            400,
            f"Invalid '{param}.seconds': must be between {MIN_EXPIRY} and {MAX_EXPIRY}.",
            param=f"{param}.seconds",
        )
    return value


class OpenAIApi(ProviderHalf):
    """Routes under /v1/files and /v1/batches; state lives in the app (callers hold its lock)."""

    name = "openai"
    prefix = ""
    base_path = "/v1"
    overloaded_status = 503  # OpenAI has no 529: an overloaded fault answers 503

    def __init__(self, app: EmulatorApp) -> None:
        super().__init__(app)
        self.files = FileStore(app.tmpdir)
        self.jobs: dict[str, OpenAIJob] = {}
        self.add_route("POST", "/v1/files", self.upload, fault_route="upload")
        self.add_route("GET", "/v1/files", self.list_files, fault_route="list")
        self.add_route("GET", f"/v1/files/{ID}", self.retrieve_file)
        self.add_route("GET", f"/v1/files/{ID}/content", self.content, is_download=True)
        self.add_route("DELETE", f"/v1/files/{ID}", self.delete_file)
        self.add_route("POST", "/v1/batches", self.create, is_create=True, fault_route="create")
        self.add_route("GET", "/v1/batches", self.list_batches, fault_route="list")
        self.add_route("GET", f"/v1/batches/{ID}", self.retrieve)
        self.add_route("POST", f"/v1/batches/{ID}/cancel", self.cancel)

    # ------------------------------------------------------------ wire

    def request_id(self) -> str:
        return "req_" + uuid.uuid4().hex

    def error_response(self, err: ApiError, request_id: str) -> Response:
        return wire.error_response(err)

    def stamp(self, resp: Response, request_id: str) -> None:
        resp.headers.setdefault("x-request-id", request_id)
        resp.headers.setdefault("openai-version", "2020-10-01")
        resp.headers.setdefault("openai-organization", "emulator-org")
        resp.headers.setdefault("openai-processing-ms", "1")
        for kind, limit, reset in (("requests", 5000, "12ms"), ("tokens", 2_000_000, "6m0s")):
            resp.headers.setdefault(f"x-ratelimit-limit-{kind}", str(limit))
            resp.headers.setdefault(f"x-ratelimit-remaining-{kind}", str(limit - 1))
            resp.headers.setdefault(f"x-ratelimit-reset-{kind}", reset)

    def check_auth(self, request: Request, key: str) -> None:
        given = bearer_token(request)
        if given != key:
            raise wire.auth_error(given)

    def not_found(self, request: Request) -> ApiError:
        return wire.not_found(request)

    def quota_error(self) -> ApiError:
        return wire.quota_error()

    def status_error(self, status: int, headers: dict[str, str]) -> ApiError:
        return wire.status_error(status, headers)

    def _file_id(self) -> str:
        return "file-" + self.app.ids.b62(22)

    # ------------------------------------------------------------ files

    def upload(self, request: Request, _m: re.Match[str]) -> Response:
        """POST /v1/files: multipart upload streamed to disk."""
        cfg = self.app.config
        try:
            parts = parse_multipart(
                request.body,
                request.header("Content-Type"),
                self.app.tmpdir,
                file_limit=cfg.openai_max_file_bytes,
            )
        except MultipartError as exc:
            raise ApiError(400, f"Could not parse multipart form: {exc}") from exc
        file_part = parts.get("file")
        try:
            purpose_part = parts.get("purpose")
            if purpose_part is None:
                raise ApiError(400, "Missing required parameter: 'purpose'.", param="purpose")
            purpose = purpose_part.value.decode("utf-8", "replace")
            if purpose not in UPLOAD_PURPOSES:
                raise ApiError(
                    400,
                    f"'{purpose}' is not one of {list(UPLOAD_PURPOSES)} - 'purpose'",
                    param="purpose",
                )
            if file_part is None or file_part.path is None:
                raise ApiError(400, "Missing required parameter: 'file'.", param="file")
            filename = file_part.filename or "upload"
            if purpose == "batch" and not filename.lower().endswith(".jsonl"):
                raise ApiError(400, "Invalid file format for Batch API. Must be .jsonl")
            if file_part.over_limit:
                raise ApiError(400, "File is too large.")
            expires_after = None
            if "expires_after[anchor]" in parts or "expires_after[seconds]" in parts:
                anchor = parts.get("expires_after[anchor]")
                secs = parts.get("expires_after[seconds]")
                expires_after = _expires_after(
                    anchor.value.decode() if anchor else None,
                    secs.value.decode() if secs else None,
                    "expires_after",
                )
            with self.app.lock:
                now = int(self.app.now())
                if expires_after is None and purpose == "batch":
                    expires_after = int(cfg.file_retention_seconds)
                record = StoredFile(
                    id=self._file_id(),
                    filename=filename,
                    purpose=purpose,
                    created_at=now,
                    bytes=0,
                    path=file_part.path,
                    expires_at=now + expires_after if expires_after is not None else None,
                )
                self.files.add(record, file_part.path)
                return Response.json(record.to_json())
        finally:
            for part in parts.values():
                if part.path is not None and part is not file_part:
                    part.path.unlink(missing_ok=True)
            if file_part is not None and file_part.path is not None:
                file_part.path.unlink(missing_ok=True)  # moved on success; stale on failure

    def _file(self, file_id: str) -> StoredFile:
        record = self.files.get(file_id, self.app.now())
        if record is None:
            raise _not_found("File", file_id)
        return record

    def list_files(self, request: Request, _m: re.Match[str]) -> Response:
        """GET /v1/files: after/limit/order/purpose."""
        limit = int_param(request, "limit", 10_000, 1, 10_000)
        order = request.query.get("order", "desc")
        if order not in ("asc", "desc"):
            raise ApiError(400, "Invalid 'order': must be 'asc' or 'desc'.", param="order")
        purpose = request.query.get("purpose")
        with self.app.lock:
            items = self.files.all(self.app.now())
        items.sort(key=lambda f: (f.created_at, f.seq), reverse=order == "desc")
        if purpose:
            items = [f for f in items if f.purpose == purpose]
        page, has_more = _page_after(items, request.query.get("after"), limit)
        return Response.json(_list_body([f.to_json() for f in page], has_more))

    def retrieve_file(self, _r: Request, m: re.Match[str]) -> Response:
        """GET /v1/files/{id}."""
        with self.app.lock:
            return Response.json(self._file(m.group(1)).to_json())

    def content(self, request: Request, m: re.Match[str]) -> Response:
        """GET /v1/files/{id}/content: the raw bytes, streamed from disk (Range supported)."""
        with self.app.lock:
            record = self._file(m.group(1))
        return file_response(request, record.path, record.bytes, "application/octet-stream")

    def delete_file(self, _r: Request, m: re.Match[str]) -> Response:
        """DELETE /v1/files/{id}."""
        with self.app.lock:
            record = self._file(m.group(1))
            self.files.delete(record.id)
        return Response.json({"id": record.id, "object": "file", "deleted": True})

    # ------------------------------------------------------------ batches

    def create(self, request: Request, _m: re.Match[str]) -> Response:
        """POST /v1/batches: checks the request now; validates the file's lines asynchronously."""
        body = json_body(request, 1024 * 1024)
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        for name in ("input_file_id", "endpoint", "completion_window"):
            if body.get(name) in (None, ""):
                raise ApiError(
                    400,
                    f"Missing required parameter: '{name}'.",
                    param=name,
                    code="missing_required_parameter",
                )
        endpoint = body["endpoint"]
        if endpoint not in ENDPOINTS:
            raise ApiError(
                400,
                f"Invalid value: '{endpoint}'. Supported values are: {', '.join(ENDPOINTS)}.",
                param="endpoint",
                code="invalid_value",
            )
        if body["completion_window"] != "24h":
            raise ApiError(
                400,
                f"Invalid value: '{body['completion_window']}'. Supported values are: '24h'.",
                param="completion_window",
                code="invalid_value",
            )
        metadata = _check_metadata(body.get("metadata"))
        output_expiry = None
        oea = body.get("output_expires_after")
        if oea is not None:
            if not isinstance(oea, dict):
                raise ApiError(400, "Invalid 'output_expires_after'.", param="output_expires_after")
            output_expiry = _expires_after(
                oea.get("anchor"), oea.get("seconds"), "output_expires_after"
            )
        cfg = self.app.config
        with self.app.lock:
            record = self.files.get(str(body["input_file_id"]), self.app.now())
            if record is None:
                raise _not_found("File", str(body["input_file_id"]), "input_file_id")
            path = record.path
            if record.purpose != "batch":
                raise ApiError(
                    400,
                    f"File {record.id} has purpose '{record.purpose}'; "
                    "the Batch API needs a file uploaded with purpose 'batch'.",
                    param="input_file_id",
                )
        try:
            report = validate_input(path, endpoint, cfg.openai_max_tasks)
        except FileNotFoundError as exc:  # deleted meanwhile
            raise _not_found("File", record.id, "input_file_id") from exc
        tokens = sum(f.prompt_tokens for f in report.facts)
        with self.app.lock:
            errors = report.errors or self._over_enqueued_limit(report.model, tokens)
            job = self.new_job(
                OpenAIJob,
                "batch_" + self.app.ids.hex(32),
                [] if errors else report.facts,
                endpoint=endpoint,
                input_file_id=record.id,
                metadata=metadata,
                model=report.model,
                errors=errors or None,
                output_expires_after=output_expiry,
                validate_share=cfg.validate_share,
                finalize_share=cfg.finalize_share,
                enqueued_tokens=0 if errors else tokens,
            )
            self.jobs[job.id] = job
            return Response.json(self._view(job))

    def _over_enqueued_limit(self, model: str | None, tokens: int) -> list[dict[str, Any]]:
        """The `token_limit_exceeded` error when this batch would overflow the org's
        per-model enqueued-token limit (callers hold the app lock); else no error."""
        limit = self.app.config.enqueued_token_limit
        if limit is None:
            return []
        now = self.app.now()
        enqueued = sum(
            job.enqueued_tokens
            for job in self.jobs.values()
            if job.model == model and job.status_at(now) not in TERMINAL
        )
        if enqueued + tokens <= limit:
            return []
        org = self.app.config.organization
        return [
            {
                "code": "token_limit_exceeded",
                "message": f"Enqueued token limit reached for {model} in organization {org}. "
                f"Limit: {limit:,} enqueued tokens. Please try again once some in_progress "
                "batches have been completed.",
                "param": None,
                "line": None,
            }
        ]

    def webhook_event(self, job: Job, now: float) -> dict[str, Any] | None:
        """``batch.completed|failed|expired|cancelled`` once the batch has ended (providers.md
        §1.10, §9): ``{id, object: "event", created_at, type, data: {id: <batch id>}}``."""
        if not isinstance(job, OpenAIJob):
            return None
        kind, end = job.terminal()
        if now < end:
            return None
        self._materialize(job, now)  # the batch a receiver fetches next is the ended one
        return {
            "id": "evt_" + digest(self.app.config.seed, "webhook", job.id).hex()[:32],
            "object": "event",
            "created_at": int(end),
            "type": f"batch.{kind}",
            "data": {"id": job.id},
        }

    def _job(self, batch_id: str) -> OpenAIJob:
        job = self.jobs.get(batch_id)
        if job is None:
            raise ApiError(404, f"No batch found with id '{batch_id}'.", param="batch_id")
        return job

    def _view(self, job: OpenAIJob) -> dict[str, Any]:
        now = self.app.now()
        self._materialize(job, now)
        return job.to_json(now)

    def retrieve(self, _r: Request, m: re.Match[str]) -> Response:
        """GET /v1/batches/{id}."""
        with self.app.lock:
            return Response.json(self._view(self._job(m.group(1))))

    def list_batches(self, request: Request, _m: re.Match[str]) -> Response:
        """GET /v1/batches: newest first, `after` cursor, limit 1..100 (default 20)."""
        limit = int_param(request, "limit", 20, 1, 100)
        with self.app.lock:
            jobs = sorted(self.jobs.values(), key=lambda j: (j.created, j.seq), reverse=True)
            page, has_more = _page_after(jobs, request.query.get("after"), limit)
            return Response.json(_list_body([self._view(j) for j in page], has_more))

    def cancel(self, _r: Request, m: re.Match[str]) -> Response:
        """POST /v1/batches/{id}/cancel: cancelling now, cancelled after the cancel delay."""
        with self.app.lock:
            job = self._job(m.group(1))
            now = self.app.now()
            status = job.status_at(now)
            if status in TERMINAL:
                if self.app.config.cancel_terminal_error:
                    raise ApiError(
                        400,
                        f"Cannot cancel a batch with status '{status}'.",
                        code="invalid_state",
                    )
            elif status != "cancelling":
                job.cancel_at = now
            return Response.json(self._view(job))

    # ------------------------------------------------------------ results

    def _materialize(self, job: OpenAIJob, now: float) -> None:
        """Write the output and error files once the job is terminal."""
        kind, end = job.terminal()
        if job.materialized or now < end:
            return
        job.materialized = True
        job.settled = True
        if kind == "failed" or not job.started(end):
            return
        cfg = self.app.config
        share = job.share_at(job.cutoff(end))
        output: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        unrun_code = {"cancelled": "batch_cancelled", "expired": "batch_expired"}.get(kind)
        for facts in job.facts:
            if time_share(job.seed, facts.custom_id) <= share:
                line, to_output = result_line(
                    job.seed,
                    job.id,
                    facts,
                    job.endpoint,
                    job.fail_rate,
                    int(job.finish_time(facts)),
                )
                (output if to_output else errors).append(line)
            elif unrun_code:
                errors.append(unrun_line(job.seed, job.id, facts.custom_id, unrun_code))
        rng = random.Random(f"{cfg.seed}:{job.id}:order")
        rng.shuffle(output)
        rng.shuffle(errors)
        created = int(end)
        retention = job.output_expires_after or int(cfg.file_retention_seconds)
        for lines, suffix in ((output, "output"), (errors, "error")):
            if not lines:
                continue
            tmp = self.app.tmpdir / f"{job.id}_{suffix}.tmp"
            write_jsonl(tmp, lines)
            record = StoredFile(
                id=self._file_id(),
                filename=f"{job.id}_{suffix}.jsonl",
                purpose="batch_output",
                created_at=created,
                bytes=0,
                path=tmp,
                expires_at=created + retention,
            )
            self.files.add(record, tmp)
            if suffix == "output":
                job.output_file_id = record.id
            else:
                job.error_file_id = record.id


def _check_metadata(metadata: Any) -> dict[str, str] | None:
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise ApiError(400, "Invalid 'metadata': expected an object.", param="metadata")
    if len(metadata) > 16:
        raise ApiError(
            400, "Invalid 'metadata': too many properties (at most 16).", param="metadata"
        )
    for key, value in metadata.items():
        if len(key) > 64:
            raise ApiError(
                400, "Invalid 'metadata': keys can be at most 64 characters.", param="metadata"
            )
        if not isinstance(value, str):
            raise ApiError(
                400, f"Invalid 'metadata.{key}': expected a string.", param=f"metadata.{key}"
            )
        if len(value) > 512:
            raise ApiError(
                400,
                f"Invalid 'metadata.{key}': values can be at most 512 characters.",
                param=f"metadata.{key}",
            )
    return dict(metadata)


def _page_after(items: list[Any], after: str | None, limit: int) -> tuple[list[Any], bool]:
    if after:
        ids = [i.id for i in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    return items[:limit], len(items) > limit


def _list_body(data: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": has_more,
    }
