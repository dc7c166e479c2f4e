"""Kept copies of exactly what was submitted, named by their sha256 under the data dir.

`hashlib` is imported when a file is hashed: loading it (OpenSSL) is a cost every command that
opens the store would otherwise pay, `list` and the dashboard's start included.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from batchtui.core.paths import data_dir, ensure_private_dir

INPUTS_DIR = "inputs"
_CHUNK = 1 << 20


def sha256_file(path: Path | str) -> str:
    """The hex sha256 of a file, read in chunks."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def keep_input(src_path: Path | str, root: Path | str | None = None) -> Path:
    """Copy `src_path` to `<root>/inputs/<sha256>.jsonl` (root: the data dir); return that path.

    The copy is hashed while it is written to a temporary file, flushed to disk, then renamed
    into place, so a kept input is always whole. An existing copy with the same hash is reused.
    """
    import hashlib

    inputs = ensure_private_dir(Path(root if root is not None else data_dir()) / INPUTS_DIR)
    src = Path(src_path)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=inputs, prefix=".keep-", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, src.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        target = inputs / f"{digest.hexdigest()}.jsonl"
        if target.exists() and target.stat().st_size == tmp.stat().st_size:
            return target
        os.replace(tmp, target)
        return target
    finally:
        tmp.unlink(missing_ok=True)
