"""Together's Files: the together SDK's three-step upload, the documented one-step upload,
file records in Together's shape, list, content and delete.

The SDK (``together/lib/resources/files.py``, UploadManager) uploads in three steps:

1. ``POST /v1/files`` with a multipart form of ``purpose``, ``file_name``, ``file_type`` and
   ``checksum`` (no bytes), redirects not followed: the answer is ``302`` with ``Location``
   (where to PUT the bytes) and ``X-Together-File-Id``.
2. ``PUT <Location>`` with the bytes and no API key (a storage URL; here
   ``/together/uploads/{file_id}/{secret}``, authorised by the secret in its path): ``200``.
3. ``POST /v1/files/{id}/preprocess``: the File object.

Together's reference also documents ``POST /v1/files/upload`` taking the bytes in one
multipart form (``purpose``, ``file_name``, ``file``, ``file_type``); it is served too.
Only ``purpose`` ``batch-api`` is taken (the brief's batch scope; other purposes are refused),
files up to 100 MB (Together docs). Output files carry ``purpose`` ``batch-api`` too: the
together SDK's FilePurpose has no other batch value, so a stricter one could not be parsed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from batchtui.emulator.config import MB
from batchtui.emulator.errors import ApiError
from batchtui.emulator.files import FileStore, StoredFile
from batchtui.emulator.httpio import BodyReader
from batchtui.emulator.multipart import MultipartError, Part, parse_multipart
from batchtui.emulator.together.errors import invalid

PURPOSE = "batch-api"
FILE_TYPES = ("jsonl", "csv", "parquet")
UPLOAD_PREFIX = "/together/uploads"


def file_json(record: StoredFile) -> dict[str, Any]:
    """Together's File object (FileResponse; ``FileType`` is spelled so on the wire)."""
    return {
        "id": record.id,
        "object": "file",
        "created_at": record.created_at,
        "filename": record.filename,
        "bytes": record.bytes,
        "purpose": record.purpose,
        "FileType": "jsonl",
        "processing_status": "COMPLETED",
    }


@dataclass
class PendingUpload:
    """A file announced by step 1 whose bytes have not been put yet, or not preprocessed."""

    file_id: str
    secret: str
    filename: str
    path: Path | None = None  # the bytes once put


def form_text(parts: dict[str, Part], name: str) -> str | None:
    """A plain form field's text, or None."""
    part = parts.get(name)
    return None if part is None else part.value.decode("utf-8", "replace")


def check_form(parts: dict[str, Part]) -> str:
    """The file name of an upload form, once purpose and file type are acceptable."""
    purpose = form_text(parts, "purpose")
    if purpose is None:
        raise invalid("Missing required field 'purpose'.", "purpose")
    if purpose != PURPOSE:
        raise invalid(f"Invalid purpose '{purpose}'; batch input files use 'batch-api'.", "purpose")
    file_type = form_text(parts, "file_type") or "jsonl"
    if file_type != "jsonl":
        raise invalid(f"Invalid file_type '{file_type}'; batch input files are jsonl.", "file_type")
    name = form_text(parts, "file_name")
    if not name:
        raise invalid("Missing required field 'file_name'.", "file_name")
    return name


def parse_form(body: BodyReader, content_type: str, tmpdir: Path, limit: int) -> dict[str, Part]:
    """The multipart form of an upload; 400 when it cannot be read."""
    try:
        return parse_multipart(body, content_type, tmpdir, file_limit=limit)
    except MultipartError as exc:
        raise invalid(f"Could not parse multipart form: {exc}") from exc


def receive(body: BodyReader, dest: Path, limit: int) -> bool:
    """Stream a PUT body to dest; False (and nothing kept) when it exceeds limit bytes."""
    total = 0
    with open(dest, "wb") as fh:
        while chunk := body.read():
            total += len(chunk)
            if total > limit:
                body.drain()
                break
            fh.write(chunk)
    if total > limit:
        dest.unlink(missing_ok=True)
        return False
    return True


class TogetherFiles:
    """The store and the pending uploads (callers hold the app lock)."""

    max_bytes = 100 * MB

    def __init__(self, root: Path) -> None:
        self.store = FileStore(root)
        self.pending: dict[str, PendingUpload] = {}

    def announce(self, file_id: str, filename: str) -> PendingUpload:
        """Step 1: a pending upload with its secret."""
        upload = PendingUpload(file_id, secrets.token_hex(16), filename)
        self.pending[file_id] = upload
        return upload

    def pending_upload(self, file_id: str, secret: str) -> PendingUpload:
        """The pending upload a PUT names; 403 when the secret does not match."""
        upload = self.pending.get(file_id)
        if upload is None or not secrets.compare_digest(upload.secret, secret):
            raise ApiError(403, "The upload URL is invalid or has been used.")
        return upload

    def finish(self, file_id: str, now: int) -> StoredFile:
        """Step 3: the pending upload's bytes become a file."""
        upload = self.pending.get(file_id)
        if upload is None or upload.path is None:
            existing = self.store.get(file_id, now)
            if existing is not None:
                return existing
            raise ApiError(404, f"File {file_id} not found or not uploaded yet.", param="id")
        del self.pending[file_id]
        return self.add(file_id, upload.filename, upload.path, now)

    def add(self, file_id: str, filename: str, source: Path, now: int) -> StoredFile:
        """Store source's bytes as an input file."""
        record = StoredFile(file_id, filename, PURPOSE, now, 0, source)
        return self.store.add(record, source)

    def get(self, file_id: str, now: float) -> StoredFile:
        """The live file; 404 in Together's shape otherwise."""
        record = self.store.get(file_id, now)
        if record is None:
            raise ApiError(404, f"File {file_id} not found.", param="id", code="not_found")
        return record
