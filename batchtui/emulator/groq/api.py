"""Groq's half of the emulator: OpenAI's Files + Batches under /openai/v1, with Groq's limits.

Mount point: the groq SDK's base URL is the server root (default ``https://api.groq.com``,
``GROQ_BASE_URL``) and it appends ``/openai/v1/files`` and ``/openai/v1/batches`` itself, so the
half answers the prefix ``/openai/v1`` and its ``base_path`` is ``""``:
``provider_base_url("groq")`` is exactly what a groq SDK client is given as ``base_url``.
A client that keeps an OpenAI-style base (``…/openai/v1``) adds that suffix itself.

Groq's differences from OpenAI (groq SDK 1.7, providers.md §5/§9): ``completion_window`` from
``24h`` to ``7d`` (the job's window scales ``expire_seconds`` by window/24h), only
``/v1/chat/completions``, input files up to 100 MB, upload ``purpose`` ``batch`` only, both lists
without paging (``{object: "list", data}``). Everything else — Bearer auth, the error body,
the timeline on the scaled clock, ``fail_rate`` failures, cancel, expiry, faults — is OpenAI's,
reused from batchtui.emulator.openai.
"""

from __future__ import annotations

import random
import re
from typing import TYPE_CHECKING, Any

from batchtui.emulator.config import MB
from batchtui.emulator.errors import ApiError
from batchtui.emulator.files import StoredFile
from batchtui.emulator.groq.jobs import GroqJob
from batchtui.emulator.groq.results import ENDPOINT, result_line
from batchtui.emulator.groq.window import window_hours
from batchtui.emulator.httpio import Request, Response
from batchtui.emulator.multipart import MultipartError, parse_multipart
from batchtui.emulator.openai.api import ID, OpenAIApi, _check_metadata
from batchtui.emulator.openai.jobs import OpenAIJob
from batchtui.emulator.openai.results import unrun_line
from batchtui.emulator.openai.validate import validate_input
from batchtui.emulator.results import time_share
from batchtui.emulator.routing import json_body, write_jsonl

if TYPE_CHECKING:
    from batchtui.emulator.app import EmulatorApp

BASE = "/openai/v1"


def file_json(record: StoredFile) -> dict[str, Any]:
    """Groq's File object: the fields its SDK models (FileCreateResponse, FileInfoResponse)."""
    return {
        "id": record.id,
        "object": "file",
        "bytes": record.bytes,
        "created_at": record.created_at,
        "filename": record.filename,
        "purpose": record.purpose,
    }


class GroqApi(OpenAIApi):
    """Routes under /openai/v1/files and /openai/v1/batches (callers hold the app lock)."""

    name = "groq"
    prefix = BASE
    base_path = ""  # the groq SDK appends /openai/v1/... to the server root
    overloaded_status = 503  # Groq answers overload with 503, as OpenAI does
    max_file_bytes = 100 * MB  # groq SDK: "The file can be up to 100 MB in size"
    # Requests per batch: Groq's SDK and providers.md are silent [U]; the safe reading keeps
    # OpenAI's 50,000, the smallest cap a client could meet.
    max_tasks = 50_000

    def __init__(self, app: EmulatorApp) -> None:
        super().__init__(app)
        self.jobs: dict[str, GroqJob] = {}  # type: ignore[assignment]  # Groq's jobs only
        self.routes = []  # OpenAI's routes answer /v1; Groq's are under /openai/v1
        self.add_route("POST", f"{BASE}/files", self.upload, fault_route="upload")
        self.add_route("GET", f"{BASE}/files", self.list_files, fault_route="list")
        self.add_route("GET", f"{BASE}/files/{ID}", self.retrieve_file)
        self.add_route("GET", f"{BASE}/files/{ID}/content", self.content, is_download=True)
        self.add_route("DELETE", f"{BASE}/files/{ID}", self.delete_file)
        self.add_route("POST", f"{BASE}/batches", self.create, is_create=True, fault_route="create")
        self.add_route("GET", f"{BASE}/batches", self.list_batches, fault_route="list")
        self.add_route("GET", f"{BASE}/batches/{ID}", self.retrieve)
        self.add_route("POST", f"{BASE}/batches/{ID}/cancel", self.cancel)

    def _file_id(self) -> str:
        return "file_" + self.app.ids.b62(26).lower()  # Groq's ids: a prefix and 26 characters

    def stamp(self, resp: Response, request_id: str) -> None:
        resp.headers.setdefault("x-request-id", request_id)
        for kind, limit, reset in (("requests", 14400, "6s"), ("tokens", 300_000, "7.66s")):
            resp.headers.setdefault(f"x-ratelimit-limit-{kind}", str(limit))
            resp.headers.setdefault(f"x-ratelimit-remaining-{kind}", str(limit - 1))
            resp.headers.setdefault(f"x-ratelimit-reset-{kind}", reset)

    # ------------------------------------------------------------ files

    def upload(self, request: Request, _m: re.Match[str]) -> Response:
        """POST /openai/v1/files: multipart with ``purpose`` ``batch`` and a .jsonl ``file``."""
        try:
            parts = parse_multipart(
                request.body,
                request.header("Content-Type"),
                self.app.tmpdir,
                file_limit=self.max_file_bytes,
            )
        except MultipartError as exc:
            raise ApiError(400, f"Could not parse multipart form: {exc}") from exc
        file_part = parts.get("file")
        try:
            purpose_part = parts.get("purpose")
            if purpose_part is None:
                raise ApiError(400, "Missing required parameter: 'purpose'.", param="purpose")
            purpose = purpose_part.value.decode("utf-8", "replace")
            if purpose != "batch":
                raise ApiError(
                    400, f"'{purpose}' is not one of ['batch'] - 'purpose'", param="purpose"
                )
            if file_part is None or file_part.path is None:
                raise ApiError(400, "Missing required parameter: 'file'.", param="file")
            filename = file_part.filename or "upload"
            if not filename.lower().endswith(".jsonl"):
                raise ApiError(400, "Invalid file format for Batch API. Must be .jsonl")
            if file_part.over_limit:
                raise ApiError(400, "File is too large.")
            with self.app.lock:
                record = StoredFile(
                    id=self._file_id(),
                    filename=filename,
                    purpose=purpose,
                    created_at=int(self.app.now()),
                    bytes=0,
                    path=file_part.path,
                )
                self.files.add(record, file_part.path)
                return Response.json(file_json(record))
        finally:
            for part in parts.values():
                if part.path is not None:
                    part.path.unlink(missing_ok=True)  # the file part was moved on success

    def list_files(self, request: Request, _m: re.Match[str]) -> Response:
        """GET /openai/v1/files: every file, newest first, no paging."""
        with self.app.lock:
            items = self.files.all(self.app.now())
        items.sort(key=lambda f: (f.created_at, f.seq), reverse=True)
        return Response.json({"object": "list", "data": [file_json(f) for f in items]})

    def retrieve_file(self, _r: Request, m: re.Match[str]) -> Response:
        """GET /openai/v1/files/{id}."""
        with self.app.lock:
            return Response.json(file_json(self._file(m.group(1))))

    # ------------------------------------------------------------ batches

    def create(self, request: Request, _m: re.Match[str]) -> Response:
        """POST /openai/v1/batches: checks now; the file's lines are checked as on OpenAI."""
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
        if body["endpoint"] != ENDPOINT:
            raise ApiError(
                400,
                f"Invalid value: '{body['endpoint']}'. Supported values are: '{ENDPOINT}'.",
                param="endpoint",
                code="invalid_value",
            )
        window = str(body["completion_window"])
        hours = window_hours(body["completion_window"])
        metadata = _check_metadata(body.get("metadata"))
        with self.app.lock:
            record = self.files.get(str(body["input_file_id"]), self.app.now())
            if record is None:
                raise ApiError(
                    404,
                    f"No such File object: {body['input_file_id']}",
                    param="input_file_id",
                )
            if record.purpose != "batch":
                raise ApiError(
                    400,
                    f"File {record.id} has purpose '{record.purpose}'; "
                    "the Batch API needs a file uploaded with purpose 'batch'.",
                    param="input_file_id",
                )
            path = record.path
        try:
            report = validate_input(path, ENDPOINT, self.max_tasks)
        except FileNotFoundError as exc:  # deleted meanwhile
            raise ApiError(404, f"No such File object: {record.id}") from exc
        cfg = self.app.config
        with self.app.lock:
            job = self.new_job(
                GroqJob,
                "batch_" + self.app.ids.b62(26).lower(),
                [] if report.errors else report.facts,
                endpoint=ENDPOINT,
                input_file_id=record.id,
                completion_window=window,
                metadata=metadata,
                model=report.model,
                errors=report.errors or None,
                validate_share=cfg.validate_share,
                finalize_share=cfg.finalize_share,
            )
            job.expire_seconds = cfg.expire_seconds * hours / 24  # config's window is 24 h
            self.jobs[job.id] = job
            return Response.json(self._view(job))

    def list_batches(self, request: Request, _m: re.Match[str]) -> Response:
        """GET /openai/v1/batches: every batch, newest first, no paging."""
        with self.app.lock:
            jobs = sorted(self.jobs.values(), key=lambda j: (j.created, j.seq), reverse=True)
            return Response.json({"object": "list", "data": [self._view(j) for j in jobs]})

    # ------------------------------------------------------------ results

    def _materialize(self, job: OpenAIJob, now: float) -> None:
        """Write the output and error files once the job is terminal (Groq's chat bodies).

        Cancel and expiry keep what finished: the finished requests' lines go to the output or
        error file, the never-run ones to the error file (``batch_cancelled`` /
        ``batch_expired``). Groq does not document partial results [U]; this is OpenAI's
        documented behaviour, the safe reading for a client (fetch whatever files exist).
        """
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
                finished = int(job.finish_time(facts))
                line, to_output = result_line(job.seed, job.id, facts, job.fail_rate, finished)
                (output if to_output else errors).append(line)
            elif unrun_code:
                errors.append(unrun_line(job.seed, job.id, facts.custom_id, unrun_code))
        rng = random.Random(f"{cfg.seed}:{job.id}:order")
        rng.shuffle(output)
        rng.shuffle(errors)
        created = int(end)
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
                expires_at=created + int(cfg.file_retention_seconds),
            )
            self.files.add(record, tmp)
            if suffix == "output":
                job.output_file_id = record.id
            else:
                job.error_file_id = record.id
