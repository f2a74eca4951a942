"""The data folder: where the database, attachments, secret key and lock live."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import platformdirs

ENV_VAR = "FIELDKIT_DATA"


def resolve(explicit: str | os.PathLike | None = None) -> Path:
    """The data folder: ``--data`` if given, else ``$FIELDKIT_DATA``, else the per-user folder."""
    if explicit:
        path = Path(explicit)
    elif os.environ.get(ENV_VAR):
        path = Path(os.environ[ENV_VAR])
    else:
        path = Path(platformdirs.user_data_dir("FieldKit", appauthor=False))
    path = path.expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def demo_dir() -> Path:
    """A separate folder for sample data, so trying FieldKit never mixes with real records."""
    return resolve(Path(platformdirs.user_data_dir("FieldKit", appauthor=False)).parent / "FieldKit-demo")


def secret_key(data_dir: Path) -> str:
    """This install's session-signing key, created once with owner-only permissions."""
    path = data_dir / "secret.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def database_path(data_dir: Path) -> Path:
    return data_dir / "fieldkit.db"


def blobs_dir(data_dir: Path) -> Path:
    return data_dir / "blobs"
