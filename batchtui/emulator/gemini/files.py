"""The Gemini half's Files API: resumable upload sessions and File resources (their bytes on
disk)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from batchtui.emulator.jobs import rfc3339

FILE_TTL_SECONDS = 48 * 3600.0
"""Uploaded files are kept 48 hours (expirationTime) [D: Files API]."""


@dataclass
class Session:
    """One resumable upload: what the start declared and the bytes received so far."""

    upload_id: str
    display_name: str
    mime_type: str
    declared: int | None
    path: Path
    received: int = 0
    file_name: str | None = None  # set once finalized


@dataclass
class GeminiFile:
    """A File resource (``files/{id}``)."""

    name: str
    display_name: str
    mime_type: str
    size: int
    created: float
    path: Path
    sha256: str
    source: str  # UPLOADED or GENERATED
    seq: int = 0

    def to_json(self, base_url: str) -> dict[str, Any]:
        ident = self.name.removeprefix("files/")
        data: dict[str, Any] = {
            "name": self.name,
            "mimeType": self.mime_type,
            "sizeBytes": str(self.size),
            "createTime": rfc3339(self.created),
            "updateTime": rfc3339(self.created),
            "expirationTime": rfc3339(self.created + FILE_TTL_SECONDS),
            "sha256Hash": self.sha256,
            "uri": f"{base_url}/v1beta/files/{ident}",
            "state": "ACTIVE",
            "source": self.source,
        }
        if self.display_name:
            data["displayName"] = self.display_name
        if self.source == "GENERATED":
            data["downloadUri"] = f"{base_url}/download/v1beta/files/{ident}:download?alt=media"
        return data


def sha256_b64(path: Path) -> str:
    """The file's SHA-256, base64 (as the API writes sha256Hash)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return base64.b64encode(h.hexdigest().encode()).decode()


class GeminiFiles:
    """Files and open upload sessions by id; expired files read as absent. Callers hold the
    app lock."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, GeminiFile] = {}
        self.sessions: dict[str, Session] = {}
        self._seq = 0

    def add(self, record: GeminiFile) -> GeminiFile:
        self._seq += 1
        record.seq = self._seq
        self.files[record.name] = record
        return record

    def get(self, name: str, now: float) -> GeminiFile | None:
        record = self.files.get(name)
        if record is None:
            return None
        if now >= record.created + FILE_TTL_SECONDS:
            self.delete(name)
            return None
        return record

    def delete(self, name: str) -> bool:
        record = self.files.pop(name, None)
        if record is None:
            return False
        record.path.unlink(missing_ok=True)
        return True

    def newest_first(self, now: float) -> list[GeminiFile]:
        live = [f for name in list(self.files) if (f := self.get(name, now)) is not None]
        return sorted(live, key=lambda f: (f.created, f.seq), reverse=True)
