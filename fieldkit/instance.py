"""One running FieldKit per data folder: a lock file, and where the running one listens."""

from __future__ import annotations

import hmac
import json
import os
from pathlib import Path

from flask import Blueprint, abort, current_app, request

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt


class AlreadyRunning(RuntimeError):
    """Another FieldKit process serves this data folder; ``url`` says where."""

    def __init__(self, url: str | None, token: str | None = None):
        super().__init__(url or "")
        self.url = url
        self.token = token


class InstanceLock:
    """Holds ``<data>/fieldkit.lock`` for the life of the process."""

    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / "fieldkit.lock"
        self.info_path = Path(data_dir) / "instance.json"
        self.handle = None

    def acquire(self) -> InstanceLock:
        """Take the lock, or raise :class:`AlreadyRunning` with the running one's address."""
        handle = open(self.path, "a+")
        try:
            if fcntl:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            handle.close()
            info = self.running_info()
            raise AlreadyRunning(info.get("url"), info.get("token")) from None
        self.handle = handle
        return self

    def running_info(self) -> dict:
        """What the running instance announced: ``url``, ``pid`` and the window ``token``."""
        try:
            info = json.loads(self.info_path.read_text())
            return info if isinstance(info, dict) else {}
        except (OSError, ValueError):
            return {}

    def running_url(self) -> str | None:
        return self.running_info().get("url")

    def announce(self, url: str, token: str | None = None) -> None:
        """Tell later starts where this instance listens (and the token to raise its window)."""
        tmp = self.info_path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(json.dumps({"url": url, "pid": os.getpid(), "token": token}))
        tmp.replace(self.info_path)

    def release(self) -> None:
        if self.handle:
            self.info_path.unlink(missing_ok=True)
            self.handle.close()
            self.handle = None


# --- raising the running window --------------------------------------------------------------------

bp = Blueprint("instance", __name__, url_prefix="/instance")


@bp.post("/focus")
def focus():
    """Bring this instance's window to the front (asked by a second ``fieldkit start``)."""
    token = current_app.extensions.get("fieldkit_window_token")
    raise_window = current_app.extensions.get("fieldkit_window")
    given = request.headers.get("X-FieldKit-Token", "")
    if not token or not hmac.compare_digest(given.encode(), token.encode()):
        abort(403)
    if raise_window is None:
        abort(404)
    raise_window()
    return "", 204


def init_app(app) -> None:
    app.register_blueprint(bp)
    from . import csrf

    csrf.exempt(focus)  # a local process, authenticated by the token in instance.json
