"""Backups of a data folder, and restoring one.

A backup is a folder ``FieldKit-backup-<time>-<device>/`` holding ``fieldkit.db`` (copied
with SQLite's online backup API, so the app may keep running), the attachments under
``blobs/``, ``settings.json`` and ``manifest.json``: this install's identity (the journal's
``device_id``), the time, the database's SHA-256 and every file with its size. It is written
under a ``.partial`` name and renamed only when complete, so a pulled USB stick never leaves
something that looks like a finished backup.

Restoring needs the app stopped (the instance lock), checks every hash first, keeps the
current database aside under ``before-restore/``, and refuses a backup made by another
install (two devices with one ``device_id`` would corrupt sync) unless told otherwise.
The restored database then continues its sync journal under a new journal id
(``sync.journal.fork``): its per-device op sequence is where it was when the backup was
made, and writing on under the old id would reuse op ids central already holds, which it
would drop as duplicates. It keeps its enrolment and claims the new id at its next sync.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from . import datadir
from .i18n import gettext as _

log = logging.getLogger(__name__)

FORMAT = 1
PREFIX = "FieldKit-backup-"
MANIFEST = "manifest.json"
STATE_FILE = "backup-state.json"


class BackupError(Exception):
    """A backup could not be made or restored; the message says why, for the user."""


class ForeignBackup(BackupError):
    """The backup was made by another FieldKit install."""


@dataclass(frozen=True)
class Manifest:
    device_id: str
    created_at: str
    version: str
    database_sha256: str
    files: dict[str, int]

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        """:raises BackupError: if the folder holds no readable manifest."""
        try:
            raw = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            if raw.get("format") != FORMAT:
                raise BackupError(_("This backup was made by a newer FieldKit; update FieldKit first."))
            return cls(
                raw["device_id"],
                raw["created_at"],
                raw.get("version", ""),
                raw["database_sha256"],
                dict(raw["files"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            raise BackupError(
                _("%(folder)s is not a FieldKit backup (no readable manifest.json).", folder=str(folder))
            ) from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def device_id_of(database: Path) -> str | None:
    """The journal's device id stored in a database file, or None if it has none."""
    if not database.is_file():
        return None
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT value FROM sync_replica WHERE key = 'device_id'").fetchone()
        return row[0] if row else None
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()


def replica_ids_of(database: Path) -> set[str]:
    """Every journal id a database's install has written as (its current one included)."""
    current = device_id_of(database)
    if current is None:
        return set()
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT value FROM sync_replica WHERE key = 'replica_ids'").fetchone()
        return {current, *json.loads(row[0])} if row else {current}
    except (sqlite3.DatabaseError, ValueError, TypeError):
        return {current}
    finally:
        conn.close()


def _fork_journal(database: Path) -> None:
    """Give the restored database a new journal id so it never reuses an op id (see above)."""
    from sync import journal

    conn = sqlite3.connect(str(database), isolation_level=None)
    try:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sync_replica'").fetchone() is None:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            journal.fork(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()


def _fsync_dir(folder: Path) -> None:
    if os.name == "posix":
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _copy_file(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
        dst.flush()
        os.fsync(dst.fileno())


def make_backup(data_dir: Path, dest: Path, *, now: datetime | None = None) -> Path:
    """Write a complete backup of ``data_dir`` into a new folder under ``dest``; returns it.

    :raises BackupError: if ``dest`` cannot be written (missing USB stick, full disk ...).
    """
    from . import __version__

    data_dir, dest = Path(data_dir), Path(dest)
    now = now or datetime.now(UTC)
    database = datadir.database_path(data_dir)
    if not database.is_file():
        raise BackupError(_("There is nothing to back up yet in %(folder)s.", folder=str(data_dir)))
    device = device_id_of(database) or "unknown"
    name = f"{PREFIX}{now.strftime('%Y%m%d-%H%M%S')}-{device[:8]}"
    try:
        dest.mkdir(parents=True, exist_ok=True)
        partial = dest / f".{name}.partial"
        if partial.exists():
            shutil.rmtree(partial)
        partial.mkdir()
        _copy_database(database, partial / "fieldkit.db")
        files = {"fieldkit.db": (partial / "fieldkit.db").stat().st_size}
        blobs = datadir.blobs_dir(data_dir)
        if blobs.is_dir():
            for blob in sorted(blobs.glob("*/*")):
                if blob.is_file() and not blob.name.startswith("."):
                    relative = f"blobs/{blob.parent.name}/{blob.name}"
                    _copy_file(blob, partial / relative)
                    files[relative] = blob.stat().st_size
        settings_file = data_dir / "settings.json"
        if settings_file.is_file():
            _copy_file(settings_file, partial / "settings.json")
            files["settings.json"] = settings_file.stat().st_size
        manifest = {
            "format": FORMAT,
            "device_id": device,
            "created_at": now.isoformat(timespec="seconds"),
            "version": __version__,
            "database_sha256": _sha256(partial / "fieldkit.db"),
            "files": files,
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        _fsync_dir(partial)
        final, number = dest / name, 1
        while final.exists():  # two backups within one second
            number += 1
            final = dest / f"{name}-{number}"
        os.replace(partial, final)
        _fsync_dir(dest)
    except OSError as error:
        raise BackupError(
            _(
                "Could not write the backup to %(folder)s: %(reason)s",
                folder=str(dest),
                reason=error.strerror or str(error),
            )
        ) from None
    log.info("backup written to %s", final)
    return final


def _copy_database(source: Path, target: Path) -> None:
    """Copy a live database consistently with SQLite's online backup API."""
    src = sqlite3.connect(str(source), timeout=30)
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst, pages=1024)
        dst.execute("PRAGMA journal_mode = DELETE")
    finally:
        dst.close()
        src.close()
    with target.open("rb+") as handle:
        os.fsync(handle.fileno())


def verify(folder: Path) -> Manifest:
    """Check a backup is complete and intact; returns its manifest.

    :raises BackupError: if a file is missing, of the wrong size, or altered.
    """
    folder = Path(folder)
    manifest = Manifest.read(folder)
    for relative, size in manifest.files.items():
        path = folder / relative
        if ".." in Path(relative).parts or not path.is_file() or path.stat().st_size != size:
            raise BackupError(
                _("This backup is incomplete: %(file)s is missing or cut short.", file=relative)
            )
        if relative.startswith("blobs/") and _sha256(path) != path.name:
            raise BackupError(
                _("This backup is damaged: %(file)s does not match its content.", file=relative)
            )
    if _sha256(folder / "fieldkit.db") != manifest.database_sha256:
        raise BackupError(_("This backup is damaged: its database does not match the manifest."))
    return manifest


def restore(source: Path, data_dir: Path, *, other_install: bool = False) -> Manifest:
    """Replace the data folder's database (and add attachments) from a backup.

    The caller must hold the data folder's instance lock. The database being replaced is
    kept under ``<data>/before-restore/``.

    :raises ForeignBackup: the backup comes from another install and ``other_install`` is False.
    :raises BackupError: the backup is incomplete or damaged; nothing was changed.
    """
    source, data_dir = Path(source), Path(data_dir)
    manifest = verify(source)
    database = datadir.database_path(data_dir)
    current = device_id_of(database)
    # The same install: the two databases share a journal id (restores fork new ones).
    ours = replica_ids_of(database)
    if (
        current
        and not ({manifest.device_id} | replica_ids_of(source / "fieldkit.db")) & ours
        and not other_install
    ):
        raise ForeignBackup(
            _(
                "This backup was made by another FieldKit install (device %(theirs)s; this one is "
                "%(ours)s). Restoring it here would give two devices the same identity. Use "
                "--other-install if this laptop replaces that one.",
                theirs=manifest.device_id[:8],
                ours=current[:8],
            )
        )
    blobs = datadir.blobs_dir(data_dir)
    for relative in manifest.files:
        if relative.startswith("blobs/"):
            target = blobs / Path(relative).relative_to("blobs")
            if not target.exists():
                temp = target.with_name(f".{target.name}.restoring")
                _copy_file(source / relative, temp)
                os.replace(temp, target)
    incoming = database.with_name("fieldkit.db.restoring")
    _copy_file(source / "fieldkit.db", incoming)
    _fork_journal(incoming)
    if database.exists():
        keep = data_dir / "before-restore" / datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        keep.mkdir(parents=True, exist_ok=True)
        _copy_database(database, keep / "fieldkit.db")
    # A stale write-ahead log would be replayed onto the restored file: remove it first.
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    os.replace(incoming, database)
    _fsync_dir(data_dir)
    settings_copy = source / "settings.json"
    if settings_copy.is_file() and not (data_dir / "settings.json").exists():
        _copy_file(settings_copy, data_dir / "settings.json")
    log.info("restored backup %s (made %s)", source, manifest.created_at)
    return manifest


# --- automatic daily backups -----------------------------------------------------------------------


def last_state(data_dir: Path) -> dict:
    """What the automatic backup did last: ``{"at", "folder"}`` or ``{"error", "at"}``."""
    try:
        return json.loads((Path(data_dir) / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _save_state(data_dir: Path, state: dict) -> None:
    path = Path(data_dir) / STATE_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state), encoding="utf-8")
    tmp.replace(path)


def prune(dest: Path, keep: int) -> None:
    """Delete all but the newest ``keep`` backups in ``dest`` (only folders this module made)."""
    made = sorted(p for p in Path(dest).glob(f"{PREFIX}*") if (p / MANIFEST).is_file())
    for old in made[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)
    for unfinished in Path(dest).glob(f".{PREFIX}*.partial"):  # left by a pulled stick or a power cut
        shutil.rmtree(unfinished, ignore_errors=True)


def backup_now(data_dir: Path, dest: Path, keep: int = 7) -> Path:
    """A backup into ``dest`` (the Settings button and the daily job), recorded in the state file.

    :raises BackupError: as :func:`make_backup`.
    """
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        folder = make_backup(data_dir, dest)
    except BackupError as error:
        _save_state(data_dir, {"at": stamp, "error": str(error), "folder": str(dest)})
        log.warning("backup failed: %s", error)
        raise
    prune(dest, keep)
    _save_state(data_dir, {"at": stamp, "folder": str(folder)})
    return folder


def due(data_dir: Path, now: datetime | None = None) -> bool:
    """Whether a day has passed since the last successful automatic backup."""
    state = last_state(data_dir)
    if not state.get("at") or state.get("error"):
        return True
    try:
        last = datetime.fromisoformat(state["at"])
    except ValueError:
        return True
    return (now or datetime.now(UTC)) - last >= timedelta(days=1)


class DailyBackup:
    """A background thread that backs up once a day to the chosen folder while the app runs."""

    def __init__(self, app, interval: float = 600.0):
        self.app = app
        self.interval = interval
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="fieldkit-backup", daemon=True)

    def start(self) -> DailyBackup:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        if self.thread.is_alive():
            self.thread.join(timeout=30)

    def run_once(self) -> Path | None:
        """Back up if a folder is chosen and one is due; a missing USB stick is only logged."""
        from . import settings

        data_dir = Path(self.app.config["DATA_DIR"])
        values = settings.load(data_dir)
        dest = values.get("BACKUP_DIR")
        if not dest or not due(data_dir):
            return None
        try:
            return backup_now(data_dir, Path(dest), keep=values.get("BACKUP_KEEP", 7))
        except BackupError:
            return None

    def _run(self) -> None:
        # Start-up first: the first check waits a little so it never slows the first page.
        if self.stopped.wait(5.0):
            return
        while not self.stopped.is_set():
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - the daily job must never stop the app
                log.exception("automatic backup failed")
            self.stopped.wait(self.interval)
