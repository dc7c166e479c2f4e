"""Gemini's half of the emulator: Batch Mode of the Developer API at Google's own paths
(``/v1beta/…``, ``/upload/v1beta/files``, ``/download/v1beta/…``), written from providers.md §3
and §9."""

from __future__ import annotations

import base64
import json
import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from batchtui.emulator.errors import ApiError
from batchtui.emulator.facts import Facts
from batchtui.emulator.gemini import errors as wire
from batchtui.emulator.gemini.errors import GoogleError, invalid, not_found
from batchtui.emulator.gemini.files import GeminiFile, GeminiFiles, Session, sha256_b64
from batchtui.emulator.gemini.jobs import GeminiJob
from batchtui.emulator.gemini.results import outcome, request_facts
from batchtui.emulator.half import ProviderHalf
from batchtui.emulator.httpio import Request, Response
from batchtui.emulator.jobs import Job, rfc3339
from batchtui.emulator.results import time_share
from batchtui.emulator.routing import file_response, json_body, write_jsonl

if TYPE_CHECKING:
    from batchtui.emulator.app import EmulatorApp

MB = 1024 * 1024
MAX_FILE_BYTES = 2 * 1024 * MB  # a batch input file of up to 2 GB [D]
MAX_INLINE_BYTES = 20 * MB  # inline requests: the whole create under 20 MB [D]
LIST_DEFAULT, LIST_MAX = 50, 1000  # page sizes [U]
UPLOAD_PATH = "/upload/v1beta/files"
ID = r"([a-z0-9][a-z0-9-]*)"
MODEL = r"((?:models|tunedModels)/[A-Za-z0-9._-]+)"


def _page(request: Request, total: int) -> tuple[int, int]:
    """(offset, size) of a pageSize/pageToken list call; 400 on a bad token or size."""
    text = request.query.get("pageSize") or ""
    try:
        size = int(text) if text else LIST_DEFAULT
    except ValueError:
        raise invalid(f"Invalid value at 'page_size' (TYPE_INT32), \"{text}\"") from None
    if size < 0:
        raise invalid("page_size must not be negative.")
    size = min(size or LIST_DEFAULT, LIST_MAX)
    token = request.query.get("pageToken") or ""
    if not token:
        return 0, size
    try:
        offset = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("o:"))
    except (ValueError, UnicodeDecodeError):
        raise invalid("Invalid page token.") from None
    if not 0 <= offset <= total:
        raise invalid("Invalid page token.")
    return offset, size


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


WEBHOOK_TYPES = {
    "BATCH_STATE_SUCCEEDED": "batch.succeeded",
    "BATCH_STATE_FAILED": "batch.failed",
    "BATCH_STATE_EXPIRED": "batch.expired",
}


class GeminiApi(ProviderHalf):
    """Batches, Files and the resumable upload; state lives in the app (callers hold its lock)."""

    name = "gemini"
    prefix = "/v1beta"
    more_prefixes = ("/upload/v1beta", "/download/v1beta")
    base_path = ""  # clients add /v1beta (the SDK's api_version) themselves
    overloaded_status = 503

    def __init__(self, app: EmulatorApp) -> None:
        super().__init__(app)
        self.jobs: dict[str, GeminiJob] = {}
        root = app.tmpdir / "gemini"
        root.mkdir(exist_ok=True)
        self.store = GeminiFiles(root)
        self.add_route("POST", UPLOAD_PATH, self.upload, fault_route="upload")
        self.add_route("GET", "/v1beta/files", self.list_files)
        self.add_route("GET", f"/v1beta/files/{ID}", self.get_file)
        self.add_route("DELETE", f"/v1beta/files/{ID}", self.delete_file)
        self.add_route("GET", f"/v1beta/files/{ID}:download", self.download, is_download=True)
        self.add_route(
            "GET", f"/download/v1beta/files/{ID}:download", self.download, is_download=True
        )
        self.add_route(
            "POST",
            f"/v1beta/{MODEL}:batchGenerateContent",
            self.create,
            is_create=True,
            fault_route="create",
        )
        self.add_route("GET", "/v1beta/batches", self.list, fault_route="list")
        self.add_route("GET", f"/v1beta/batches/{ID}", self.retrieve)
        self.add_route("POST", f"/v1beta/batches/{ID}:cancel", self.cancel)
        self.add_route("DELETE", f"/v1beta/batches/{ID}", self.delete)

    # ------------------------------------------------------------ wire

    def request_id(self) -> str:
        return uuid.uuid4().hex

    def error_response(self, err: ApiError, request_id: str) -> Response:
        return wire.error_response(err, request_id)

    def stamp(self, resp: Response, request_id: str) -> None:
        resp.headers.setdefault("Server", "scaffolding on HTTPServer2")
        resp.headers.setdefault("Vary", "Origin, X-Origin, Referer")

    def check_auth(self, request: Request, key: str) -> None:
        if request.path == UPLOAD_PATH and request.query.get("upload_id"):
            return  # the session URL authorises the bytes; the SDK sends no key with them [S]
        given = request.header("x-goog-api-key") or request.query.get("key", "")
        if not given:
            raise wire.no_key()
        if given != key:
            raise wire.bad_key()

    def not_found(self, request: Request) -> ApiError:
        return not_found(f"Method not found: {request.method} {request.path}")

    def quota_error(self) -> ApiError:
        return wire.quota_error()

    def status_error(self, status: int, headers: dict[str, str]) -> ApiError:
        return wire.status_error(status, headers)

    # ------------------------------------------------------------ files

    def upload(self, request: Request, _m: re.Match[str]) -> Response:
        """POST /upload/v1beta/files: a session start, or bytes sent to a session."""
        upload_id = request.query.get("upload_id")
        if upload_id:
            return self._upload_bytes(request, upload_id)
        if request.header("X-Goog-Upload-Protocol").lower() != "resumable":
            raise invalid("Only the resumable upload protocol is supported here.")
        if request.header("X-Goog-Upload-Command").lower() != "start":
            raise invalid("A resumable upload begins with X-Goog-Upload-Command: start.")
        body = json_body(request, MB) or {}
        meta = body.get("file") if isinstance(body, dict) else None
        meta = meta if isinstance(meta, dict) else {}
        declared_text = request.header("X-Goog-Upload-Header-Content-Length")
        declared = int(declared_text) if declared_text.isdigit() else None
        if declared is not None and declared > MAX_FILE_BYTES:
            raise invalid(f"File size {declared} exceeds the limit of {MAX_FILE_BYTES} bytes.")
        display = meta.get("displayName") or meta.get("display_name") or ""
        mime = request.header("X-Goog-Upload-Header-Content-Type") or str(
            meta.get("mimeType") or "application/octet-stream"
        )
        with self.app.lock:
            upload_id = self.app.ids.b62(40)
            path = self.store.root / f"upload-{upload_id}"
            path.write_bytes(b"")
            self.store.sessions[upload_id] = Session(upload_id, str(display), mime, declared, path)
        url = f"{self.app.base_url}{UPLOAD_PATH}?upload_id={upload_id}&upload_protocol=resumable"
        return Response(
            status=200,
            body=b"",
            headers={
                "X-Goog-Upload-URL": url,
                "X-Goog-Upload-Status": "active",
                "X-Goog-Upload-Chunk-Granularity": str(8 * MB),
            },
        )

    def _upload_bytes(self, request: Request, upload_id: str) -> Response:
        """Bytes of a session (``upload``, ``upload, finalize`` or ``finalize``)."""
        command = {c.strip() for c in request.header("X-Goog-Upload-Command").lower().split(",")}
        with self.app.lock:
            session = self.store.sessions.get(upload_id)
        if session is None:
            request.body.drain()
            raise not_found("No upload session with this id.")
        if session.file_name is not None:  # already finalized: the same file again
            request.body.drain()
            with self.app.lock:
                record = self.store.get(session.file_name, self.app.now())
            if record is None:
                raise not_found("The uploaded file no longer exists.")
            return self._final(record)
        if not command <= {"upload", "finalize"} or not command:
            request.body.drain()
            raise invalid("X-Goog-Upload-Command must be upload and/or finalize.")
        offset_text = request.header("X-Goog-Upload-Offset") or "0"
        if not offset_text.isdigit() or int(offset_text) != session.received:
            request.body.drain()
            raise invalid(
                f"Upload offset {offset_text} does not match the {session.received} bytes received."
            )
        with open(session.path, "ab") as fh:
            while chunk := request.body.read(1 << 20):
                session.received += len(chunk)
                if session.received > MAX_FILE_BYTES:
                    request.body.drain()
                    raise invalid(f"File exceeds the limit of {MAX_FILE_BYTES} bytes.")
                fh.write(chunk)
        if "finalize" not in command:
            return Response(status=200, body=b"", headers={"X-Goog-Upload-Status": "active"})
        if session.declared is not None and session.received != session.declared:
            raise invalid(
                f"Received {session.received} bytes, but the upload declared {session.declared}."
            )
        with self.app.lock:
            ident = self.app.ids.b62(12).lower()
            name = f"files/{ident}"
            final = self.store.root / f"{ident}.data"
            session.path.replace(final)
            record = self.store.add(
                GeminiFile(
                    name=name,
                    display_name=session.display_name,
                    mime_type=session.mime_type,
                    size=session.received,
                    created=self.app.now(),
                    path=final,
                    sha256=sha256_b64(final),
                    source="UPLOADED",
                )
            )
            session.file_name = name
        return self._final(record)

    def _final(self, record: GeminiFile) -> Response:
        resp = Response.json({"file": record.to_json(self.app.base_url)})
        resp.headers["X-Goog-Upload-Status"] = "final"
        return resp

    def _file(self, ident: str) -> GeminiFile:
        record = self.store.get(f"files/{ident}", self.app.now())
        if record is None:
            raise GoogleError(
                403,
                f"You do not have permission to access the File {ident} or it may not exist.",
                rpc_status="PERMISSION_DENIED",
            )
        return record

    def get_file(self, _r: Request, m: re.Match[str]) -> Response:
        """GET /v1beta/files/{id}."""
        with self.app.lock:
            return Response.json(self._file(m.group(1)).to_json(self.app.base_url))

    def list_files(self, request: Request, _m: re.Match[str]) -> Response:
        """GET /v1beta/files: newest first, pageSize/pageToken."""
        with self.app.lock:
            files = self.store.newest_first(self.app.now())
            offset, size = _page(request, len(files))
            page = files[offset : offset + size]
            data: dict[str, Any] = {"files": [f.to_json(self.app.base_url) for f in page]}
        if offset + size < len(files):
            data["nextPageToken"] = _token(offset + size)
        return Response.json(data)

    def delete_file(self, _r: Request, m: re.Match[str]) -> Response:
        """DELETE /v1beta/files/{id}."""
        with self.app.lock:
            record = self._file(m.group(1))
            self.store.delete(record.name)
        return Response.json({})

    def download(self, request: Request, m: re.Match[str]) -> Response:
        """GET …/files/{id}:download?alt=media: the file's bytes (ranges honoured)."""
        if request.query.get("alt") != "media":
            raise invalid("Downloads take alt=media.")
        with self.app.lock:
            record = self._file(m.group(1))
            path, size = record.path, record.size
        return file_response(request, path, size, "application/octet-stream")

    # ------------------------------------------------------------ batches

    def create(self, request: Request, m: re.Match[str]) -> Response:
        """POST /v1beta/models/{model}:batchGenerateContent (a file, or inline requests)."""
        too_large = invalid(f"Request payload size exceeds the limit: {MAX_INLINE_BYTES} bytes.")
        body = json_body(request, MAX_INLINE_BYTES, too_large=too_large)
        batch = body.get("batch") if isinstance(body, dict) else None
        if not isinstance(batch, dict):
            raise invalid("batch: required field is missing.")
        config = batch.get("inputConfig")
        if not isinstance(config, dict):
            raise invalid("batch.input_config: required field is missing.")
        if "outputConfig" in batch:
            raise invalid("batch.output_config: choosing an output location is not supported.")
        file_name, requests = config.get("fileName"), config.get("requests")
        if (file_name is None) == (requests is None):
            raise invalid("batch.input_config: exactly one of file_name and requests is required.")
        model = m.group(1)
        with self.app.lock:
            if file_name is not None:
                keys, facts, metadata, failure = self._file_facts(str(file_name), model)
            else:
                keys, facts, metadata = self._inline_facts(requests, model)
                failure = None
            job = self.new_job(
                GeminiJob,
                f"batches/{self.app.ids.b62(16).lower()}",
                facts,
                model=model,
                display_name=str(batch.get("displayName") or ""),
                file_name=None if file_name is None else str(file_name),
                keys=keys,
                metadata=metadata or [],
                pending_share=self.app.config.validate_share,
                failure=failure,
            )
            self.jobs[job.id] = job
            return Response.json(job.to_json(self.app.now(), None))

    def _file_facts(
        self, file_name: str, model: str
    ) -> tuple[list[str], list[Facts], list[Any], str | None]:
        """Keys and facts of a JSONL input file; a line that is not ``{"key", "request"}``
        makes the batch fail (the safe reading: the file is read once the batch runs) [U]."""
        record = self.store.get(file_name, self.app.now())
        if record is None:
            raise not_found(f"File {file_name} not found.")
        keys: list[str] = []
        facts: list[Facts] = []
        failure: str | None = None
        with open(record.path, "rb") as fh:
            for number, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                try:
                    line = json.loads(raw)
                except ValueError:
                    failure = failure or f"Line {number} of the input file is not valid JSON."
                    continue
                key = line.get("key") if isinstance(line, dict) else None
                req = line.get("request") if isinstance(line, dict) else None
                if not isinstance(key, str) or not isinstance(req, dict):
                    failure = failure or f"Line {number} is not a {{key, request}} object."
                    continue
                keys.append(key)
                facts.append(request_facts(key, model, req))
        if not facts and failure is None:
            failure = "The input file holds no requests."
        return keys, facts, [], failure

    def _inline_facts(self, requests: Any, model: str) -> tuple[list[str], list[Facts], list[Any]]:
        """Keys (positions), facts and metadata of inline requests; 400 on a bad shape."""
        items = requests.get("requests") if isinstance(requests, dict) else None
        if not isinstance(items, list) or not items:
            raise invalid("batch.input_config.requests.requests: at least one request is required.")
        keys: list[str] = []
        facts: list[Facts] = []
        metadata: list[Any] = []
        for i, item in enumerate(items):
            req = item.get("request") if isinstance(item, dict) else None
            if not isinstance(req, dict):
                raise invalid(f"batch.input_config.requests.requests[{i}].request: required.")
            keys.append(str(i))
            facts.append(request_facts(f"inline-{i}", model, req))
            metadata.append(item.get("metadata") if isinstance(item, dict) else None)
        return keys, facts, metadata

    def _job(self, ident: str) -> GeminiJob:
        job = self.jobs.get(f"batches/{ident}")
        if job is None:
            raise not_found(f"Batch batches/{ident} not found.")
        return job

    def _output(self, job: GeminiJob, now: float) -> dict[str, Any] | None:
        """The output of an ended batch (responses file or inline responses), made on first
        sight; None while it runs and for failed and expired batches (no results [D])."""
        if not job.ended(now):
            return None
        state = job.state_at(now)
        if state in ("BATCH_STATE_FAILED", "BATCH_STATE_EXPIRED"):
            return None
        share = job.finished_share(now)
        ran = [
            (key, facts, meta)
            for key, facts, meta in zip(
                job.keys, job.facts, job.metadata or [None] * len(job.facts), strict=True
            )
            if time_share(job.seed, facts.custom_id) <= share
        ]
        if job.file_name is None:
            responses = []
            for _key, facts, meta in ran:
                entry = outcome(job.seed, facts, job.fail_rate)
                if meta is not None:
                    entry["metadata"] = meta
                responses.append(entry)
            return {"inlinedResponses": {"inlinedResponses": responses}}
        if job.output_file is None:
            job.output_file = self._write_responses(job, ran)
        return {"responsesFile": job.output_file}

    def _write_responses(self, job: GeminiJob, ran: list[tuple[str, Facts, Any]]) -> str:
        ident = "batch-" + job.id.removeprefix("batches/")
        path: Path = self.store.root / f"{ident}.data"
        lines = [{"key": key, **outcome(job.seed, facts, job.fail_rate)} for key, facts, _ in ran]
        size = write_jsonl(path, lines)
        self.store.add(
            GeminiFile(
                name=f"files/{ident}",
                display_name=f"{job.id} responses",
                mime_type="application/jsonl",
                size=size,
                created=job.ending()[1],
                path=path,
                sha256=sha256_b64(path),
                source="GENERATED",
            )
        )
        return f"files/{ident}"

    def webhook_event(self, job: Job, now: float) -> dict[str, Any] | None:
        """``batch.succeeded|failed|expired`` once the batch has ended; none for a cancel (the
        SDK's subscribable events name no cancelled batch [S]). The body's shape is not
        documented [U]; the reading chosen (docs/webhooks.md) is Standard Webhooks' own:
        ``{type, timestamp, data: {name: "batches/<id>"}}``."""
        if not isinstance(job, GeminiJob):
            return None
        state, end = job.ending()
        if now < end:
            return None
        kind = WEBHOOK_TYPES.get(state)
        if kind is None:
            return None
        job.settled = True
        return {"type": kind, "timestamp": rfc3339(end), "data": {"name": job.id}}

    def _view(self, job: GeminiJob) -> dict[str, Any]:
        now = self.app.now()
        return job.to_json(now, self._output(job, now))

    def retrieve(self, _r: Request, m: re.Match[str]) -> Response:
        """GET /v1beta/batches/{id}."""
        with self.app.lock:
            return Response.json(self._view(self._job(m.group(1))))

    def list(self, request: Request, _m: re.Match[str]) -> Response:
        """GET /v1beta/batches: newest first, pageSize/pageToken → {operations, nextPageToken}."""
        with self.app.lock:
            jobs = sorted(self.jobs.values(), key=lambda j: (j.created, j.seq), reverse=True)
            offset, size = _page(request, len(jobs))
            data: dict[str, Any] = {
                "operations": [self._view(j) for j in jobs[offset : offset + size]]
            }
        if offset + size < len(jobs):
            data["nextPageToken"] = _token(offset + size)
        return Response.json(data)

    def cancel(self, _r: Request, m: re.Match[str]) -> Response:
        """POST /v1beta/batches/{id}:cancel: CANCELLED at once, keeping what finished [U]."""
        with self.app.lock:
            job = self._job(m.group(1))
            now = self.app.now()
            if job.ended(now):
                if self.app.config.cancel_terminal_error:
                    raise GoogleError(
                        400,
                        f"Batch {job.id} has already ended and cannot be cancelled.",
                        rpc_status="FAILED_PRECONDITION",
                    )
            else:
                job.cancel_at = now
        return Response.json({})

    def delete(self, _r: Request, m: re.Match[str]) -> Response:
        """DELETE /v1beta/batches/{id}: the batch is forgotten (its responses file stays)."""
        with self.app.lock:
            job = self._job(m.group(1))
            del self.jobs[job.id]
        return Response.json({})
