"""Mistral's half of the emulator: Files (``/v1/files``) and Batch jobs (``/v1/batch/jobs``)
under the mount point ``/mistral`` (base URL ``http://HOST:PORT/mistral``).

Written from providers.md §4 and §9 (the mistralai SDK's models): ids are uuids, times Unix
seconds, lists page-numbered (``page`` from 0, ``page_size``; ``{data, object, total}``), file
content is served as ``application/octet-stream`` (the SDK refuses anything else), errors are
Mistral's flat objects (errors.py).
"""

from __future__ import annotations

import json
import random
import re
import uuid
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from batchtui.emulator.errors import ApiError
from batchtui.emulator.facts import Facts
from batchtui.emulator.files import FileStore, StoredFile
from batchtui.emulator.half import ProviderHalf, bearer_token
from batchtui.emulator.httpio import Request, Response
from batchtui.emulator.mistral import errors as wire
from batchtui.emulator.mistral.jobs import TERMINAL, MistralJob
from batchtui.emulator.mistral.results import line_facts, result_line
from batchtui.emulator.multipart import MultipartError, parse_multipart
from batchtui.emulator.results import time_share
from batchtui.emulator.routing import file_response, int_param, json_body, write_jsonl

if TYPE_CHECKING:
    from batchtui.emulator.app import EmulatorApp

MB = 1_000_000
PURPOSES = ("fine-tune", "batch", "ocr")
ENDPOINTS = (
    "/v1/chat/completions",
    "/v1/embeddings",
    "/v1/fim/completions",
    "/v1/moderations",
    "/v1/chat/moderations",
    "/v1/ocr",
    "/v1/classifications",
    "/v1/chat/classifications",
    "/v1/conversations",
    "/v1/audio/transcriptions",
)
MAX_FILE_BYTES = 512 * MB  # §9: 512 MB per file (known-limitations page) [D]
MAX_REQUESTS = 1_000_000  # §4: up to 1M requests per batch [D]
MAX_PAGE_SIZE = 1000  # not documented [U]
MAX_CREATE_BODY = 64 * MB  # inline requests; not documented [U]
ID = r"([A-Za-z0-9_-]+)"


def _file_json(record: StoredFile, sample_type: str, source: str, lines: int | None) -> Any:
    return {
        "id": record.id,
        "object": "file",
        "bytes": record.bytes,
        "created_at": record.created_at,
        "filename": record.filename,
        "purpose": record.purpose,
        "sample_type": sample_type,
        "source": source,
        "num_lines": lines,
        "mimetype": "application/jsonl",
        "signature": None,
    }


class MistralApi(ProviderHalf):
    """Routes under /mistral/v1/files and /mistral/v1/batch/jobs (callers hold the app lock
    around state)."""

    name = "mistral"
    prefix = "/mistral"
    base_path = "/mistral"
    overloaded_status = 503  # Mistral has no 529

    def __init__(self, app: EmulatorApp) -> None:
        super().__init__(app)
        self.files = FileStore(app.tmpdir)
        self.file_kinds: dict[str, tuple[str, str, int | None]] = {}  # sample_type, source, lines
        self.jobs: dict[str, MistralJob] = {}
        v1 = "/mistral/v1"
        self.add_route("POST", f"{v1}/files", self.upload, fault_route="upload")
        self.add_route("GET", f"{v1}/files", self.list_files, fault_route="list")
        self.add_route("GET", f"{v1}/files/{ID}", self.retrieve_file)
        self.add_route("GET", f"{v1}/files/{ID}/content", self.content, is_download=True)
        self.add_route("GET", f"{v1}/files/{ID}/url", self.signed_url)
        self.add_route("DELETE", f"{v1}/files/{ID}", self.delete_file)
        self.add_route(
            "POST", f"{v1}/batch/jobs", self.create, is_create=True, fault_route="create"
        )
        self.add_route("GET", f"{v1}/batch/jobs", self.list_jobs, fault_route="list")
        self.add_route("GET", f"{v1}/batch/jobs/{ID}", self.retrieve)
        self.add_route("POST", f"{v1}/batch/jobs/{ID}/cancel", self.cancel)
        self.add_route("DELETE", f"{v1}/batch/jobs/{ID}", self.delete_job)

    # ------------------------------------------------------------ wire

    def request_id(self) -> str:
        return uuid.uuid4().hex

    def error_response(self, err: ApiError, request_id: str) -> Response:
        return wire.error_response(err, request_id)

    def stamp(self, resp: Response, request_id: str) -> None:
        # Mistral's request-id header is not documented [U]; x-request-id is what clients read.
        resp.headers.setdefault("x-request-id", request_id)

    def check_auth(self, request: Request, key: str) -> None:
        if bearer_token(request) != key:
            raise wire.auth_error()

    def not_found(self, request: Request) -> ApiError:
        return wire.not_found(request)

    def quota_error(self) -> ApiError:
        return wire.quota_error()

    def status_error(self, status: int, headers: dict[str, str]) -> ApiError:
        return wire.status_error(status, headers)

    def _uuid(self) -> str:
        return str(uuid.UUID(self.app.ids.hex(32), version=4))

    # ------------------------------------------------------------ files

    def _add_file(
        self, record: StoredFile, source: Path, sample_type: str, origin: str, lines: int | None
    ) -> StoredFile:
        self.files.add(record, source)
        self.file_kinds[record.id] = (sample_type, origin, lines)
        return record

    def _view_file(self, record: StoredFile) -> Any:
        sample_type, origin, lines = self.file_kinds.get(record.id, ("batch_request", "upload", 0))
        return _file_json(record, sample_type, origin, lines)

    def upload(self, request: Request, _m: re.Match[str]) -> Response:
        """POST /v1/files: multipart ``file`` and ``purpose``, streamed to disk."""
        try:
            parts = parse_multipart(
                request.body,
                request.header("Content-Type"),
                self.app.tmpdir,
                file_limit=MAX_FILE_BYTES,
            )
        except MultipartError as exc:
            raise ApiError(400, f"Could not parse multipart form: {exc}") from exc
        file_part = parts.get("file")
        try:
            purpose_part = parts.get("purpose")
            purpose = purpose_part.value.decode("utf-8", "replace") if purpose_part else "fine-tune"
            if purpose not in PURPOSES:
                raise wire.invalid(["purpose"], f"Input should be one of {list(PURPOSES)}", purpose)
            if file_part is None or file_part.path is None:
                raise wire.missing(["file"])
            if file_part.over_limit:
                raise ApiError(413, f"File is too large (at most {MAX_FILE_BYTES} bytes).")
            lines = _count_lines(file_part.path)
            with self.app.lock:
                record = StoredFile(
                    id=self._uuid(),
                    filename=file_part.filename or "upload.jsonl",
                    purpose=purpose,
                    created_at=int(self.app.now()),
                    bytes=0,
                    path=file_part.path,
                )
                kind = "batch_request" if purpose == "batch" else "instruct"
                self._add_file(record, file_part.path, kind, "upload", lines)
                return Response.json(self._view_file(record))
        finally:
            for part in parts.values():
                if part.path is not None:
                    part.path.unlink(missing_ok=True)  # moved on success; stale otherwise

    def _file(self, file_id: str) -> StoredFile:
        record = self.files.get(file_id, self.app.now())
        if record is None:
            raise ApiError(404, f"File {file_id} not found.", type="not_found")
        return record

    def list_files(self, request: Request, _m: re.Match[str]) -> Response:
        """GET /v1/files: newest first, page/page_size, purpose/search filters, total."""
        page = int_param(request, "page", 0, 0, 10**9)
        size = int_param(request, "page_size", 100, 1, MAX_PAGE_SIZE)
        purpose = request.query.get("purpose")
        search = request.query.get("search")
        with self.app.lock:
            items = self.files.all(self.app.now())
            items.sort(key=lambda f: (f.created_at, f.seq), reverse=True)
            if purpose:
                items = [f for f in items if f.purpose == purpose]
            if search:
                items = [f for f in items if search in f.filename]
            chunk = items[page * size : (page + 1) * size]
            data = [self._view_file(f) for f in chunk]
        total = len(items) if request.query.get("include_total", "true") != "false" else None
        return Response.json({"data": data, "object": "list", "total": total})

    def retrieve_file(self, _r: Request, m: re.Match[str]) -> Response:
        """GET /v1/files/{id}."""
        with self.app.lock:
            return Response.json({**self._view_file(self._file(m.group(1))), "deleted": False})

    def content(self, request: Request, m: re.Match[str]) -> Response:
        """GET /v1/files/{id}/content: the bytes as application/octet-stream (Range honoured)."""
        with self.app.lock:
            record = self._file(m.group(1))
        return file_response(request, record.path, record.bytes, "application/octet-stream")

    def signed_url(self, request: Request, m: re.Match[str]) -> Response:
        """GET /v1/files/{id}/url: a URL of the content (here: the content route itself)."""
        with self.app.lock:
            record = self._file(m.group(1))
        return Response.json({"url": f"{request.base_url}/mistral/v1/files/{record.id}/content"})

    def delete_file(self, _r: Request, m: re.Match[str]) -> Response:
        """DELETE /v1/files/{id}."""
        with self.app.lock:
            record = self._file(m.group(1))
            self.files.delete(record.id)
            self.file_kinds.pop(record.id, None)
        return Response.json({"id": record.id, "object": "file", "deleted": True})

    # ------------------------------------------------------------ jobs

    def create(self, request: Request, _m: re.Match[str]) -> Response:
        """POST /v1/batch/jobs: ``input_files`` or inline ``requests``, ``endpoint``,
        ``model``, ``metadata``, ``timeout_hours`` (default 24)."""
        body = json_body(request, MAX_CREATE_BODY)
        if not isinstance(body, dict):
            raise wire.ValidationFailed(["body"], "Input should be a valid dictionary", "dict_type")
        endpoint = body.get("endpoint")
        if endpoint is None:
            raise wire.missing(["endpoint"])
        if endpoint not in ENDPOINTS:
            raise wire.invalid(["endpoint"], f"Input should be one of {list(ENDPOINTS)}", endpoint)
        model = body.get("model")
        if model is not None and (not isinstance(model, str) or not model):
            raise wire.invalid(["model"], "Input should be a valid string", model)
        metadata = _metadata(body.get("metadata"))
        hours = body.get("timeout_hours", 24)
        if isinstance(hours, bool) or not isinstance(hours, int) or hours < 1:
            raise wire.invalid(["timeout_hours"], "Input should be a positive integer", hours)
        files = body.get("input_files")
        requests = body.get("requests")
        if not files and not requests:
            raise wire.invalid([], "Give either input_files or requests.")
        if files and requests:
            raise wire.invalid([], "Give input_files or requests, not both.")
        if files:
            if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
                raise wire.invalid(["input_files"], "Input should be a list of file ids", files)
            records = []
            with self.app.lock:
                for file_id in files:
                    record = self._file(file_id)
                    if record.purpose != "batch":
                        raise ApiError(
                            400, f"File {file_id} was not uploaded with purpose 'batch'."
                        )
                    records.append(record)
            facts, errors = _read_files([r.path for r in records], endpoint, model)
        else:
            if not isinstance(requests, list):
                raise wire.invalid(["requests"], "Input should be a valid list", requests)
            facts, errors = _read_records(requests, endpoint, model)
        cfg = self.app.config
        with self.app.lock:
            job = self.new_job(
                MistralJob,
                self._uuid(),
                [] if errors else facts,
                endpoint=endpoint,
                model=model,
                input_files=list(files or []),
                metadata=metadata,
                errors=errors,
                queue_share=cfg.validate_share,
            )
            # timeout_hours scales like the emulator's 24 h window (expire_seconds).
            job.expire_seconds = cfg.expire_seconds * hours / 24
            self.jobs[job.id] = job
            return Response.json(self._view(job, inline=False))

    def _job(self, job_id: str) -> MistralJob:
        job = self.jobs.get(job_id)
        if job is None:
            raise ApiError(404, f"Batch job {job_id} not found.", type="not_found")
        return job

    def _view(self, job: MistralJob, *, inline: bool) -> dict[str, Any]:
        now = self.app.now()
        self._materialize(job, now)
        view = job.to_json(now)
        if inline:
            view["outputs"] = _read_lines(job.outputs_path) if job.outputs_path else None
        return view

    def retrieve(self, request: Request, m: re.Match[str]) -> Response:
        """GET /v1/batch/jobs/{id}[?inline=true]."""
        inline = request.query.get("inline", "").lower() == "true"
        with self.app.lock:
            return Response.json(self._view(self._job(m.group(1)), inline=inline))

    def list_jobs(self, request: Request, _m: re.Match[str]) -> Response:
        """GET /v1/batch/jobs: page/page_size, order_by (-created default), status, model."""
        page = int_param(request, "page", 0, 0, 10**9)
        size = int_param(request, "page_size", 100, 1, MAX_PAGE_SIZE)
        order = request.query.get("order_by", "-created")
        if order not in ("created", "-created"):
            raise ApiError(400, "order_by must be 'created' or '-created'.", param="order_by")
        status = request.query.get("status")
        model = request.query.get("model")
        with self.app.lock:
            now = self.app.now()
            jobs = sorted(self.jobs.values(), key=lambda j: (j.created, j.seq))
            if order == "-created":
                jobs.reverse()
            if status:
                jobs = [j for j in jobs if j.status_at(now) == status]
            if model:
                jobs = [j for j in jobs if j.model == model]
            chunk = jobs[page * size : (page + 1) * size]
            data = [self._view(j, inline=False) for j in chunk]
        return Response.json({"data": data, "object": "list", "total": len(jobs)})

    def cancel(self, _r: Request, m: re.Match[str]) -> Response:
        """POST /v1/batch/jobs/{id}/cancel: CANCELLATION_REQUESTED, CANCELLED after the
        cancel delay; an ended job is answered unchanged [U]."""
        with self.app.lock:
            job = self._job(m.group(1))
            now = self.app.now()
            if job.status_at(now) not in (*TERMINAL, "CANCELLATION_REQUESTED"):
                job.cancel_at = now
            return Response.json(self._view(job, inline=False))

    def delete_job(self, _r: Request, m: re.Match[str]) -> Response:
        """DELETE /v1/batch/jobs/{id}: only an ended job [U]."""
        with self.app.lock:
            job = self._job(m.group(1))
            status = job.status_at(self.app.now())
            if status not in TERMINAL:
                raise ApiError(400, f"Batch job {job.id} is {status}; cancel it first.")
            self._materialize(job, self.app.now())
            del self.jobs[job.id]
        return Response.json({"id": job.id, "object": "batch", "deleted": True})

    # ------------------------------------------------------------ results

    def _materialize(self, job: MistralJob, now: float) -> None:
        """Write the output and error files once the job has ended (whatever finished before
        a cancel or a timeout is kept)."""
        _, end = job.terminal()
        if job.materialized or now < end:
            return
        job.materialized = True
        job.settled = True
        if not job.running_since(end):
            return
        share = job.share_at(job.cutoff(end))
        output: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        for facts in job.facts:
            if time_share(job.seed, facts.custom_id) <= share:
                line, good = result_line(
                    job.seed,
                    job.id,
                    facts,
                    job.endpoint,
                    job.fail_rate,
                    int(job.finish_time(facts)),
                )
                (output if good else failed).append(line)
        rng = random.Random(f"{self.app.config.seed}:{job.id}:order")
        rng.shuffle(output)  # result order is not guaranteed (§0)
        rng.shuffle(failed)
        created = int(end)
        for lines, suffix, sample_type in (
            (output, "output", "batch_result"),
            (failed, "error", "batch_error"),
        ):
            if not lines:
                continue
            tmp = self.app.tmpdir / f"{job.id}_{suffix}.tmp"
            write_jsonl(tmp, lines)
            record = StoredFile(
                id=self._uuid(),
                filename=f"{job.id}_{suffix}.jsonl",
                purpose="batch",
                created_at=created,
                bytes=0,
                path=tmp,
            )
            self._add_file(record, tmp, sample_type, "mistral", len(lines))
            if suffix == "output":
                job.output_file = record.id
            else:
                job.error_file = record.id
        every = self.app.tmpdir / f"{job.id}_inline.jsonl"
        write_jsonl(every, output + failed)
        job.outputs_path = every


def _metadata(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise wire.invalid(["metadata"], "Input should be an object of strings", value)
    return dict(value)


def _count_lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(1 for line in fh if line.strip())


def _read_lines(path: Path) -> list[Any]:
    with open(path, "rb") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _record_facts(
    record: Any, index: int, endpoint: str, model: str | None
) -> tuple[Facts | None, str | None]:
    """(facts, None) of one request, or (None, what is wrong with it)."""
    if not isinstance(record, dict):
        return None, "a request must be a JSON object"
    body = record.get("body")
    if not isinstance(body, dict):
        return None, "a request must have a 'body' object"
    custom_id = record.get("custom_id")
    if custom_id is None:
        custom_id = str(index)  # custom_id is optional [S]; the line number stands in [U]
    if not isinstance(custom_id, str):
        return None, "custom_id must be a string"
    return line_facts(custom_id, endpoint, body, model), None


def _summary(problems: Counter[str], count: int) -> tuple[list[Facts], list[dict[str, Any]]]:
    errors = [{"message": m, "count": n} for m, n in problems.items()]
    if count > MAX_REQUESTS:
        errors.append({"message": f"A batch takes at most {MAX_REQUESTS} requests.", "count": 1})
    return [], errors


def _read_records(
    records: list[Any], endpoint: str, model: str | None
) -> tuple[list[Facts], list[dict[str, Any]]]:
    facts: list[Facts] = []
    problems: Counter[str] = Counter()
    for index, record in enumerate(records):
        found, problem = _record_facts(record, index, endpoint, model)
        if found is None:
            problems[str(problem)] += 1
        else:
            facts.append(found)
    if problems or len(facts) > MAX_REQUESTS:
        return _summary(problems, len(facts))
    return facts, []


def _read_files(
    paths: list[Path], endpoint: str, model: str | None
) -> tuple[list[Facts], list[dict[str, Any]]]:
    """Facts of every line of the input files, or the errors that fail the job."""
    facts: list[Facts] = []
    problems: Counter[str] = Counter()
    index = 0
    for path in paths:
        with open(path, "rb") as fh:
            for raw in fh:
                if not raw.strip():
                    continue
                try:
                    record = json.loads(raw)
                except (ValueError, UnicodeDecodeError):
                    problems["a line is not valid JSON"] += 1
                    index += 1
                    continue
                found, problem = _record_facts(record, index, endpoint, model)
                index += 1
                if found is None:
                    problems[str(problem)] += 1
                else:
                    facts.append(found)
    if problems or len(facts) > MAX_REQUESTS:
        return _summary(problems, len(facts))
    return facts, []
