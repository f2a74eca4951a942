"""The data folder: where the database, attachments, secret key and lock live.

Everything in it is the owner's only (folders 0700, files 0600): it holds reporters' names,
photos and the key that signs sessions, on laptops other people also log in to. FieldKit
creates files with a umask of 077 (so the database, its WAL and SHM files, attachments, logs
and backups are born owner-only) and, the first time it opens a folder made by an older
version or by hand, takes group and other permissions off what is already there.
"""

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
    owner_only_from_now()
    path.mkdir(parents=True, exist_ok=True)
    make_owner_only(path)
    return path


#: Permissions FieldKit never gives to group or others.
NOT_OURS = 0o077


def owner_only_from_now() -> None:
    """Every file and folder this process creates from now on is its owner's only (POSIX)."""
    if os.name == "posix":
        os.umask(NOT_OURS)


def make_owner_only(path: Path) -> int:
    """Take group and other permissions off the data folder and everything in it; returns how
    many entries changed.

    Cheap when nothing is to do: a folder already 0700 was made (or fixed) by this version,
    and everything in it was created under the umask, so it is not walked again.
    """
    if os.name != "posix" or not path.stat().st_mode & NOT_OURS:
        return 0
    changed = 0
    for root, folders, files in os.walk(path):
        for name in [*folders, *files, None]:
            entry = Path(root) if name is None else Path(root) / name
            try:
                mode = entry.lstat().st_mode
                if mode & NOT_OURS and not entry.is_symlink():
                    entry.chmod(mode & ~NOT_OURS & 0o7777)
                    changed += 1
            except OSError:
                pass  # vanished, or not ours to change: the folder itself is closed anyway
    return changed


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
