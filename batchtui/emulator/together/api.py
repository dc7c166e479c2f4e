"""Together's half of the emulator: Files and Batches under /together/v1.

Mount point: the together SDK's base URL is a server root (default ``https://api.together.ai``,
``TOGETHER_BASE_URL``) to which it appends ``/v1/files…`` and ``/v1/batches…``; the issue puts
Together under ``/together/v1``, so ``base_path`` is ``/together`` and
``provider_base_url("together")`` (``http://HOST:PORT/together``) is what a together SDK client
is given. The upload PUTs of the SDK's three-step upload go to ``/together/uploads/…``, a
second prefix of this half (see ``files``).

Wire facts (providers.md §5/§9, together SDK 3.1): create answers ``{"job": {...},
"warning": ...}``, retrieve and cancel the job bare, list a bare JSON array; statuses are
UPPERCASE; times are ISO strings; ``progress`` runs from 0 to 100; ``completion_window`` is
``24h`` only (the SDK may omit it); 50,000 requests and 100 MB per file; cancel is allowed
while VALIDATING or IN_PROGRESS and requests already finished stay in the output file; output
and error lines are keyed by ``custom_id`` and NOT in input order.
"""

from __future__ import annotations

import random
import re
import uuid
from typing import TYPE_CHECKING, Any

from batchtui.emulator.errors import ApiError
from batchtui.emulator.half import ProviderHalf, bearer_token
from batchtui.emulator.httpio import Request, Response
from batchtui.emulator.results import time_share
from batchtui.emulator.routing import file_response, json_body, write_jsonl
from batchtui.emulator.together import errors as wire
from batchtui.emulator.together.errors import invalid
from batchtui.emulator.together.files import (
    PURPOSE,
    UPLOAD_PREFIX,
    TogetherFiles,
    check_form,
    file_json,
    parse_form,
    receive,
)
from batchtui.emulator.together.jobs import TERMINAL, TogetherJob
from batchtui.emulator.together.results import result_line
from batchtui.emulator.together.validate import CHAT, validate_input

if TYPE_CHECKING:
    from batchtui.emulator.app import EmulatorApp

BASE = "/together/v1"
ID = r"([A-Za-z0-9_-]+)"
WINDOW = "24h"
CANCELLABLE = ("VALIDATING", "IN_PROGRESS")


class TogetherApi(ProviderHalf):
    """Routes under /together/v1 (and the upload PUTs); callers hold the app lock for state."""

    name = "together"
    prefix = BASE
    more_prefixes = (UPLOAD_PREFIX,)
    base_path = "/together"  # the together SDK appends /v1/...
    overloaded_status = 503  # Together has no 529: an overloaded fault answers 503
    max_requests = 50_000  # Together docs: up to 50,000 requests per batch

    def __init__(self, app: EmulatorApp) -> None:
        super().__init__(app)
        self.files = TogetherFiles(app.tmpdir)
        self.jobs: dict[str, TogetherJob] = {}
        self.add_route("POST", f"{BASE}/files", self.announce, fault_route="upload")
        self.add_route("POST", f"{BASE}/files/upload", self.upload, fault_route="upload")
        self.add_route("PUT", f"{UPLOAD_PREFIX}/{ID}/{ID}", self.put_bytes)
        self.add_route("POST", f"{BASE}/files/{ID}/preprocess", self.preprocess)
        self.add_route("GET", f"{BASE}/files", self.list_files, fault_route="list")
        self.add_route("GET", f"{BASE}/files/{ID}", self.retrieve_file)
        self.add_route("GET", f"{BASE}/files/{ID}/content", self.content, is_download=True)
        self.add_route("DELETE", f"{BASE}/files/{ID}", self.delete_file)
        self.add_route("POST", f"{BASE}/batches", self.create, is_create=True, fault_route="create")
        self.add_route("GET", f"{BASE}/batches", self.list_batches, fault_route="list")
        self.add_route("GET", f"{BASE}/batches/{ID}", self.retrieve)
        self.add_route("POST", f"{BASE}/batches/{ID}/cancel", self.cancel)

    # ------------------------------------------------------------ wire

    def request_id(self) -> str:
        return uuid.uuid4().hex

    def error_response(self, err: ApiError, request_id: str) -> Response:
        return wire.error_response(err)

    def stamp(self, resp: Response, request_id: str) -> None:
        resp.headers.setdefault("x-request-id", request_id)
        resp.headers.setdefault("x-ratelimit-limit", "100")
        resp.headers.setdefault("x-ratelimit-remaining", "99")
        resp.headers.setdefault("x-ratelimit-reset", "1")

    def check_auth(self, request: Request, key: str) -> None:
        if request.path.startswith(UPLOAD_PREFIX + "/"):
            return  # a storage URL: the secret in its path authorises the PUT, not a key
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
        return "file-" + str(uuid.UUID(self.app.ids.hex(32)))

    # ------------------------------------------------------------ files

    def announce(self, request: Request, _m: re.Match[str]) -> Response:
        """POST /v1/files (SDK step 1): 302 to where the bytes go, with the new file's id."""
        parts = parse_form(
            request.body, request.header("Content-Type"), self.app.tmpdir, self.files.max_bytes
        )
        try:
            filename = check_form(parts)
        finally:
            for part in parts.values():
                if part.path is not None:
                    part.path.unlink(missing_ok=True)  # step 1 carries no bytes
        with self.app.lock:
            upload = self.files.announce(self._file_id(), filename)
        location = f"{request.base_url}{UPLOAD_PREFIX}/{upload.file_id}/{upload.secret}"
        resp = Response(status=302, headers={"Location": location})
        resp.headers["X-Together-File-Id"] = upload.file_id
        return resp

    def put_bytes(self, request: Request, m: re.Match[str]) -> Response:
        """PUT /together/uploads/{id}/{secret} (SDK step 2): the bytes, up to 100 MB."""
        with self.app.lock:
            upload = self.files.pending_upload(m.group(1), m.group(2))
        dest = self.app.tmpdir / f"{upload.file_id}.put"
        if not receive(request.body, dest, self.files.max_bytes):
            raise invalid("File is too large: the limit is 100 MB.", "file")
        with self.app.lock:
            if upload.path is not None:
                upload.path.unlink(missing_ok=True)
            upload.path = dest
        return Response(status=200, content_type="text/plain")

    def preprocess(self, _r: Request, m: re.Match[str]) -> Response:
        """POST /v1/files/{id}/preprocess (SDK step 3): the File object."""
        with self.app.lock:
            record = self.files.finish(m.group(1), int(self.app.now()))
            return Response.json(file_json(record))

    def upload(self, request: Request, _m: re.Match[str]) -> Response:
        """POST /v1/files/upload: the documented one-step multipart upload."""
        parts = parse_form(
            request.body, request.header("Content-Type"), self.app.tmpdir, self.files.max_bytes
        )
        file_part = parts.get("file")
        try:
            filename = check_form(parts)
            if file_part is None or file_part.path is None:
                raise invalid("Missing required field 'file'.", "file")
            if file_part.over_limit:
                raise invalid("File is too large: the limit is 100 MB.", "file")
            with self.app.lock:
                record = self.files.add(
                    self._file_id(), filename, file_part.path, int(self.app.now())
                )
                return Response.json(file_json(record))
        finally:
            for part in parts.values():
                if part.path is not None:
                    part.path.unlink(missing_ok=True)  # the file part was moved on success

    def list_files(self, _r: Request, _m: re.Match[str]) -> Response:
        """GET /v1/files: every file, newest first (no paging in the SDK)."""
        with self.app.lock:
            items = self.files.store.all(self.app.now())
        items.sort(key=lambda f: (f.created_at, f.seq), reverse=True)
        return Response.json({"data": [file_json(f) for f in items]})  # FileList: data only

    def retrieve_file(self, _r: Request, m: re.Match[str]) -> Response:
        """GET /v1/files/{id}."""
        with self.app.lock:
            return Response.json(file_json(self.files.get(m.group(1), self.app.now())))

    def content(self, request: Request, m: re.Match[str]) -> Response:
        """GET /v1/files/{id}/content: the raw bytes (the SDK's download path; Range works)."""
        with self.app.lock:
            record = self.files.get(m.group(1), self.app.now())
        return file_response(request, record.path, record.bytes, "application/octet-stream")

    def delete_file(self, _r: Request, m: re.Match[str]) -> Response:
        """DELETE /v1/files/{id}."""
        with self.app.lock:
            record = self.files.get(m.group(1), self.app.now())
            self.files.store.delete(record.id)
        return Response.json({"id": record.id, "deleted": True})

    # ------------------------------------------------------------ batches

    def create(self, request: Request, _m: re.Match[str]) -> Response:
        """POST /v1/batches: checks the request now; the file's lines fail the job later."""
        body = json_body(request, 1024 * 1024, too_large=invalid("Request body too large."))
        if not isinstance(body, dict):
            raise invalid("The request body must be a JSON object.")
        for name in ("input_file_id", "endpoint"):
            if not isinstance(body.get(name), str) or not body[name]:
                raise invalid(f"Missing required field '{name}'.", name)
        if body["endpoint"] != CHAT:
            # The SDK also names the audio endpoints; the emulator answers chat only.
            raise invalid(f"Unsupported endpoint '{body['endpoint']}'.", "endpoint")
        window = body.get("completion_window", WINDOW)
        if window != WINDOW:
            raise invalid(f"Invalid completion_window '{window}'; only '24h'.", "completion_window")
        _check_optional(body)
        with self.app.lock:
            record = self.files.get(body["input_file_id"], self.app.now())
            if record.purpose != PURPOSE:
                raise invalid(f"File {record.id} is not a batch-api file.", "input_file_id")
            path, size = record.path, record.bytes
        try:
            report = validate_input(path, self.max_requests)
        except FileNotFoundError as exc:  # deleted meanwhile
            raise ApiError(404, f"File {record.id} not found.", param="input_file_id") from exc
        with self.app.lock:
            job = self.new_job(
                TogetherJob,
                str(uuid.UUID(self.app.ids.hex(32))),
                report.facts,
                endpoint=CHAT,
                input_file_id=record.id,
                file_size_bytes=size,
                model_id=report.model or body.get("model_id"),
                error=report.error,
                validate_share=self.app.config.validate_share,
            )
            self.jobs[job.id] = job
            return Response.json({"job": self._view(job), "warning": None})

    def _job(self, batch_id: str) -> TogetherJob:
        job = self.jobs.get(batch_id)
        if job is None:
            raise ApiError(404, f"Batch job {batch_id} not found.", param="id", code="not_found")
        return job

    def _view(self, job: TogetherJob) -> dict[str, Any]:
        now = self.app.now()
        self._materialize(job, now)
        return job.to_json(now)

    def retrieve(self, _r: Request, m: re.Match[str]) -> Response:
        """GET /v1/batches/{id}: the job bare."""
        with self.app.lock:
            return Response.json(self._view(self._job(m.group(1))))

    def list_batches(self, _r: Request, _m: re.Match[str]) -> Response:
        """GET /v1/batches: a bare array, newest first."""
        with self.app.lock:
            jobs = sorted(self.jobs.values(), key=lambda j: (j.created, j.seq), reverse=True)
            return Response.json([self._view(j) for j in jobs])

    def cancel(self, _r: Request, m: re.Match[str]) -> Response:
        """POST /v1/batches/{id}/cancel: CANCELING now, CANCELLED after the cancel delay.

        Allowed while VALIDATING or IN_PROGRESS (Together docs); again while CANCELING it
        answers the job unchanged; a finished job is refused with 400 [U: the wording].
        """
        with self.app.lock:
            job = self._job(m.group(1))
            now = self.app.now()
            status = job.status_at(now)
            if status in TERMINAL:
                raise invalid(f"Cannot cancel a batch job with status {status}.", "id")
            if status in CANCELLABLE:
                job.cancel_at = now
            return Response.json(self._view(job))

    # ------------------------------------------------------------ results

    def _materialize(self, job: TogetherJob, now: float) -> None:
        """Write the output and error files once the job is terminal.

        Finished requests keep their lines after a cancel or expiry (Together docs for
        cancel; expiry is [U] and read the same way). Requests that never ran get no line:
        the sources do not say they are written anywhere [U], so a client must treat a
        custom_id absent from both files as not run.
        """
        kind, end = job.terminal()
        if job.materialized or now < end:
            return
        job.materialized = True
        job.settled = True
        if kind == "FAILED" or not job.started(end):
            return
        share = job.share_at(job.cutoff(end))
        output: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for facts in job.facts:
            if time_share(job.seed, facts.custom_id) <= share:
                finished = int(job.finish_time(facts))
                line, to_output = result_line(job.seed, job.id, facts, job.fail_rate, finished)
                (output if to_output else errors).append(line)
        rng = random.Random(f"{self.app.config.seed}:{job.id}:order")
        rng.shuffle(output)
        rng.shuffle(errors)
        for lines, suffix in ((output, "output"), (errors, "error")):
            if not lines:
                continue
            tmp = self.app.tmpdir / f"{job.id}_{suffix}.tmp"
            write_jsonl(tmp, lines)
            record = self.files.add(self._file_id(), f"{job.id}_{suffix}.jsonl", tmp, int(end))
            if suffix == "output":
                job.output_file_id = record.id
            else:
                job.error_file_id = record.id


def _check_optional(body: dict[str, Any]) -> None:
    """The optional create fields: metadata (string pairs), model_id, priority."""
    metadata = body.get("metadata")
    if metadata is not None and (
        not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values())
    ):
        raise invalid("Invalid 'metadata': expected an object of strings.", "metadata")
    model_id = body.get("model_id")
    if model_id is not None and not isinstance(model_id, str):
        raise invalid("Invalid 'model_id': expected a string.", "model_id")
    priority = body.get("priority")
    if priority is not None and (not isinstance(priority, int) or isinstance(priority, bool)):
        raise invalid("Invalid 'priority': expected an integer.", "priority")
