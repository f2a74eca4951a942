"""One running FieldKit per data folder: a lock file, and where the running one listens."""

from __future__ import annotations

import json
import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt


class AlreadyRunning(RuntimeError):
    """Another FieldKit process serves this data folder; ``url`` says where."""

    def __init__(self, url: str | None):
        super().__init__(url or "")
        self.url = url


class InstanceLock:
    """Holds ``<data>/fieldkit.lock`` for the life of the process."""

    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / "fieldkit.lock"
        self.info_path = Path(data_dir) / "instance.json"
        self.handle = None

    def acquire(self) -> "InstanceLock":
        """Take the lock, or raise :class:`AlreadyRunning` with the running one's address."""
        handle = open(self.path, "a+")
        try:
            if fcntl:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            handle.close()
            raise AlreadyRunning(self.running_url()) from None
        self.handle = handle
        return self

    def running_url(self) -> str | None:
        try:
            return json.loads(self.info_path.read_text()).get("url")
        except (OSError, ValueError):
            return None

    def announce(self, url: str) -> None:
        """Tell later starts where this instance listens."""
        tmp = self.info_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"url": url, "pid": os.getpid()}))
        tmp.replace(self.info_path)

    def release(self) -> None:
        if self.handle:
            self.info_path.unlink(missing_ok=True)
            self.handle.close()
            self.handle = None
