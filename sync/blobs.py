"""Blobs as the sync library sees them: files named by SHA-256, with resumable partial copies.

Same layout as the app's store (``blobs/ab/abcdef…``). A transfer in progress lives in
``blobs/.partial/<sha256>``; it becomes the blob only once its hash is verified.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BlobDir:
    """Content-addressed files under ``root`` with resumable partial transfers."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if not SHA256.match(sha256 or ""):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256

    def partial(self, sha256: str) -> Path:
        self.path(sha256)
        return self.root / ".partial" / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def offset(self, sha256: str) -> int:
        """How many bytes of an unfinished transfer are already here."""
        partial = self.partial(sha256)
        return partial.stat().st_size if partial.exists() else 0

    def append(self, sha256: str, offset: int, data: bytes) -> int:
        """Append ``data`` at ``offset`` of the partial copy; returns the new size.

        :raises ValueError: if ``offset`` is not where the partial copy ends.
        """
        partial = self.partial(sha256)
        partial.parent.mkdir(parents=True, exist_ok=True)
        current = self.offset(sha256)
        if offset != current:
            raise ValueError(current)
        with partial.open("ab") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        return current + len(data)

    def finish(self, sha256: str) -> bool:
        """Verify the partial copy's hash and move it into place; False (and discard) if wrong."""
        partial = self.partial(sha256)
        digest = hashlib.sha256()
        with partial.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        if digest.hexdigest() != sha256:
            partial.unlink(missing_ok=True)
            return False
        target = self.path(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(partial, target)
        return True

    def put(self, sha256: str, data: bytes) -> bool:
        """Store a whole blob after checking its hash (bundles); False if the hash is wrong."""
        if hashlib.sha256(data).hexdigest() != sha256:
            return False
        if not self.has(sha256):
            target = self.path(sha256)
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = target.with_name(f".{sha256}.tmp")
            temp.write_bytes(data)
            os.replace(temp, target)
        return True

    def put_chunks(self, sha256: str, chunks) -> bool:
        """Store a blob from an iterable of byte chunks, never whole in memory; False if its hash is wrong."""
        if self.has(sha256):
            return True
        target = self.path(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{sha256}.tmp")
        digest = hashlib.sha256()
        with temp.open("wb") as handle:
            for chunk in chunks:
                digest.update(chunk)
                handle.write(chunk)
        if digest.hexdigest() != sha256:
            temp.unlink(missing_ok=True)
            return False
        os.replace(temp, target)
        return True
