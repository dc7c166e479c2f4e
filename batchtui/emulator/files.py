"""The OpenAI Files store: file records with their bytes kept on disk."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class StoredFile:
    """One file: its record fields and the path of its bytes."""

    id: str
    filename: str
    purpose: str
    created_at: int
    bytes: int
    path: Path
    expires_at: int | None = None
    seq: int = 0

    def to_json(self) -> dict[str, Any]:
        """The File object."""
        return {
            "id": self.id,
            "object": "file",
            "bytes": self.bytes,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "status_details": None,
        }


class FileStore:
    """Files by id; expired files read as absent. Callers hold the app lock."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[str, StoredFile] = {}
        self._seq = 0

    def add(self, record: StoredFile, source: Path, *, move: bool = True) -> StoredFile:
        """Take ownership of source as the file's bytes."""
        dest = self.root / f"{record.id}.data"
        if move:
            shutil.move(source, dest)
        else:
            shutil.copyfile(source, dest)
        record.path = dest
        record.bytes = dest.stat().st_size
        self._seq += 1
        record.seq = self._seq
        self._files[record.id] = record
        return record

    def get(self, file_id: str, now: float) -> StoredFile | None:
        """The live file with this id, or None."""
        record = self._files.get(file_id)
        if record is None:
            return None
        if record.expires_at is not None and now >= record.expires_at:
            self.delete(file_id)
            return None
        return record

    def delete(self, file_id: str) -> bool:
        """Remove a file; False if it did not exist."""
        record = self._files.pop(file_id, None)
        if record is None:
            return False
        record.path.unlink(missing_ok=True)
        return True

    def all(self, now: float) -> list[StoredFile]:
        """Every live file, oldest first."""
        ids = list(self._files)
        return [f for i in ids if (f := self.get(i, now)) is not None]
