"""Bundles (sneakernet, DESIGN §5.6): the same ops and blobs as HTTP, in one signed file.

A bundle is a zip with ``manifest.json`` (ops, blob list, sender, addressee, cursor or acks),
``signature.sha256`` (Ed25519 by the sender's key over the manifest's SHA-256), ``signature``
(over the manifest's bytes, read only by FieldKit before bounded reading) and ``blobs/<sha256>``.
Applying goes through :func:`sync.server.push` and :func:`sync.merge.apply_remote`, exactly the
HTTP path, so importing the same bundle twice changes nothing.

A bundle comes from outside (a USB stick, a file sent by message): it is read streaming, with
hard limits, and nothing in it is parsed before its signature is verified (DESIGN §7).

Algorithm:
1. The zip's end record says how many members and how large a directory it has; more than
   ``MAX_MEMBERS`` is refused before the zip module builds a list of them.
2. From the directory alone, nothing decompressed yet: every name is ``manifest.json``,
   ``signature``, ``signature.sha256`` or ``blobs/<sha256>``, each once; stored or deflated, not
   encrypted; declared sizes within ``MAX_MANIFEST``, ``MAX_SIGNATURE``, ``MAX_BLOB``; no member
   of more than ``RATIO_FROM`` bytes, and not the whole, expanding more than ``MAX_RATIO`` times
   its compressed size (a zip bomb).
3. Every member is read in chunks, its real bytes counted against its declared size.
4. The sender comes from the manifest's fixed opening (its first bytes, never the whole JSON), to
   find the key; the manifest is hashed streaming and the signature over that hash verified.
5. Only then is the manifest read (its hash checked again) and parsed, and each listed file's hash
   checked streaming. Files reach the store streaming, after the ops are applied.
So a tampered bundle is rejected whole, and a bomb is refused in constant memory.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import struct
import zipfile
import zlib
from pathlib import Path

from . import journal, keys, protocol, pulled, server
from .blobs import SHA256, BlobDir
from .errors import BundleError
from .merge import OP_COLUMNS, op_from_row

FORMAT = "fieldkit-bundle"
#: Hard limits on a bundle read from outside (see the module docstring).
MAX_MEMBERS = 50_000
MAX_MANIFEST = 512 * (1 << 20)
MAX_SIGNATURE = 1024
MAX_BLOB = 1 << 30
MAX_RATIO = 100  # a real manifest deflates about 12 times, photos not at all
RATIO_FROM = 1 << 20
CHUNK = 1 << 20
#: What ``signature.sha256`` signs: this prefix, then the manifest's SHA-256.
SIGNED_DIGEST = b"fieldkit-bundle manifest sha256\x00"
#: How every manifest begins (``protocol.encode`` keeps the order it is written in).
OPENING = re.compile(
    rb'^\{"format":"fieldkit-bundle","version":\d{1,9},"kind":"[a-z]{1,16}","from":"([0-9A-Za-z]{1,64})"'
)
#: What reading a damaged zip can raise.
DAMAGED = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    KeyError,
    ValueError,
    OSError,
    EOFError,
    zlib.error,
    struct.error,
    RecursionError,
)


def _write(path: Path, manifest: dict, private_key: str, blobs: BlobDir | None) -> None:
    data = protocol.encode(manifest)
    temp = Path(str(path) + ".part")
    with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", data)
        archive.writestr(
            "signature.sha256", keys.sign(private_key, SIGNED_DIGEST + hashlib.sha256(data).digest())
        )
        archive.writestr("signature", keys.sign(private_key, data))
        for sha in manifest["blobs"]:
            archive.write(blobs.path(sha), f"blobs/{sha}", compress_type=zipfile.ZIP_STORED)
    os.replace(temp, path)


def _refuse(message: str, reason: str = "damaged") -> BundleError:
    return BundleError(message, reason)


def _reading(method):
    """Turn what a damaged zip raises into one BundleError."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except DAMAGED as error:
            raise _refuse(f"this is not a readable FieldKit bundle ({error})") from None

    return wrapper


def _check_end_record(path) -> None:
    """Refuse a zip announcing more members than a bundle may have, before they are listed."""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - (22 + 0xFFFF)))
        tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise _refuse("this is not a readable FieldKit bundle")
    entries, directory = struct.unpack_from("<HI", tail, at + 10)
    if entries > MAX_MEMBERS or directory > MAX_MEMBERS * 512:
        raise _refuse(f"the bundle holds more than {MAX_MEMBERS} files", "limits")


def _limit(name: str) -> int | None:
    if name == "manifest.json":
        return MAX_MANIFEST
    if name in ("signature", "signature.sha256"):
        return MAX_SIGNATURE
    if name.startswith("blobs/") and SHA256.match(name[6:]):
        return MAX_BLOB
    return None


class Bundle:
    """A bundle file opened for reading: members checked on opening, then verified, then copied.

    :raises BundleError: from every method, for anything damaged, over a limit or not signed.
    """

    @_reading
    def __init__(self, path):
        _check_end_record(path)
        self.archive = zipfile.ZipFile(path)
        try:
            self.members = self._check_members()
        except BaseException:
            self.archive.close()
            raise
        self.digest = b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.archive.close()

    def _check_members(self) -> dict[str, zipfile.ZipInfo]:
        infos = self.archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise _refuse(f"the bundle holds more than {MAX_MEMBERS} files", "limits")
        members: dict[str, zipfile.ZipInfo] = {}
        expanded = packed = 0
        for info in infos:
            limit = _limit(info.filename)
            if limit is None or info.filename in members:
                raise _refuse("the bundle holds a file with a name a bundle never has, or one twice")
            if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise _refuse("the bundle holds an encrypted or unusually packed file")
            if info.file_size > limit:
                raise _refuse(f"{info.filename} in the bundle is larger than {limit} bytes", "limits")
            if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * info.compress_size:
                raise _refuse(f"{info.filename} expands more than {MAX_RATIO} times: a zip bomb", "limits")
            expanded += info.file_size
            packed += info.compress_size
            members[info.filename] = info
        if expanded > MAX_RATIO * packed + RATIO_FROM:
            raise _refuse(f"the bundle expands more than {MAX_RATIO} times: a zip bomb", "limits")
        if "manifest.json" not in members or "signature.sha256" not in members:
            raise _refuse("this file is not a FieldKit bundle of a version this FieldKit reads")
        return members

    def _chunks(self, name: str):
        """A member's bytes in chunks, refusing more or fewer than its directory entry declares."""
        info = self.members[name]
        seen = 0
        with self.archive.open(info) as stream:
            while chunk := stream.read(CHUNK):
                seen += len(chunk)
                if seen > info.file_size:
                    raise _refuse(f"{name} in the bundle is longer than it declares", "limits")
                yield chunk
        if seen != info.file_size:
            raise _refuse(f"{name} in the bundle is shorter than it declares")

    def _hash(self, name: str) -> bytes:
        digest = hashlib.sha256()
        for chunk in self._chunks(name):
            digest.update(chunk)
        return digest.digest()

    @_reading
    def sender(self) -> str:
        """Who the bundle says it is from (unverified: only to find the key to verify it with)."""
        with self.archive.open(self.members["manifest.json"]) as stream:
            opening = stream.read(512)
        match = OPENING.match(opening)
        if not match:
            raise _refuse("this file is not a FieldKit bundle of a version this FieldKit reads")
        return match.group(1).decode("ascii")

    @_reading
    def verify(self, public_key: str) -> dict:
        """The manifest, once the signature over its hash and every listed file's hash are checked."""
        self.digest = self._hash("manifest.json")
        signature = b"".join(self._chunks("signature.sha256")).decode("ascii")
        if not keys.verify(public_key, SIGNED_DIGEST + self.digest, signature):
            raise _refuse(
                "the bundle's signature does not match: it was changed or is not from this sender",
                "signature",
            )
        data = bytearray()
        digest = hashlib.sha256()
        for chunk in self._chunks("manifest.json"):
            digest.update(chunk)
            data += chunk
        if digest.digest() != self.digest:
            raise _refuse("the bundle changed while it was read", "signature")
        manifest = json.loads(data)
        if not isinstance(manifest, dict):
            raise _refuse("this file is not a FieldKit bundle of a version this FieldKit reads")
        if manifest.get("format") != FORMAT or manifest.get("version") != protocol.VERSION:
            raise _refuse("this file is not a FieldKit bundle of a version this FieldKit reads")
        blobs = manifest.setdefault("blobs", [])
        if not isinstance(blobs, list) or not all(
            isinstance(sha, str) and SHA256.match(sha) for sha in blobs
        ):
            raise _refuse("the bundle lists a file with a bad name")
        held = {name[6:] for name in self.members if name.startswith("blobs/")}
        if held != set(blobs):
            raise _refuse("the bundle's files are not the ones its manifest lists")
        for sha in blobs:
            if self._hash(f"blobs/{sha}").hex() != sha:
                raise _refuse("a file in the bundle does not match its hash: it was changed", "signature")
        return manifest

    @_reading
    def copy_blob(self, sha: str, store: BlobDir) -> bool:
        """Copy one verified file into ``store``, streaming; False if its hash is wrong."""
        return store.put_chunks(sha, self._chunks(f"blobs/{sha}"))


# -- device side ------------------------------------------------------------------------


def _enrolled_id(conn) -> str:
    return journal.replica_value(conn, "sync_device_id") or journal.device_id(conn)


def export_device(conn, path, blob_root) -> dict:
    """Write every op of this device the server has not acknowledged, with their files.

    A device restored from a backup writes under a new journal id (``journal.fork``): the
    bundle is from the enrolled id, lists every id the device wrote as (central records
    them as this device's, on the strength of the signature) and carries each one's ops.
    """
    current = journal.device_id(conn)
    replicas = journal.replica_ids(conn)
    rows = []
    for replica in replicas:
        key = "pushed_dseq" if replica == current else f"pushed_dseq:{replica}"
        pushed = int(journal.replica_value(conn, key, "0") or 0)
        rows += conn.execute(
            f"SELECT {OP_COLUMNS} FROM sync_ops WHERE device_id = ? AND dseq > ? ORDER BY dseq",
            (replica, pushed),
        ).fetchall()
    blobs = BlobDir(blob_root)
    shas = [
        r[0]
        for r in conn.execute(
            f"SELECT sha256 FROM ({journal.files_sql()}) WHERE sha256 NOT IN (SELECT sha256 FROM sync_blobs_sent)"
        )
        if blobs.has(r[0])
    ][: MAX_MEMBERS - 3]  # the rest travel in the next bundle
    manifest = {
        "format": FORMAT,
        "version": protocol.VERSION,
        "kind": "push",
        "from": _enrolled_id(conn),
        "replicas": replicas,
        "to": journal.replica_value(conn, "sync_server_id", ""),
        "cursor": int(journal.replica_value(conn, "pull_cursor", "0") or 0),
        "ops": journal.outgoing(conn, [protocol.wire_op(op_from_row(r)) for r in rows]),
        "blobs": shas,
    }
    with journal.transaction(conn):
        key = keys.replica_key(conn)
    _write(Path(path), manifest, key, blobs)
    return {"ops": len(rows), "blobs": len(shas)}


def import_reply(conn, path, blob_root) -> dict:
    """Apply central's reply bundle: its acks, the ops in this device's scope and their files."""
    with Bundle(path) as bundle:
        manifest = bundle.verify(journal.replica_value(conn, "sync_server_key", "") or "")
        return _apply_reply(conn, bundle, manifest, BlobDir(blob_root))


def _apply_reply(conn, bundle: Bundle, manifest: dict, store: BlobDir) -> dict:
    if manifest.get("kind") != "reply" or manifest.get("to") != _enrolled_id(conn):
        raise BundleError("this bundle is not a reply addressed to this device")
    ops = manifest.get("ops")
    if not isinstance(ops, list):
        raise BundleError("the bundle's list of changes is damaged")
    with journal.transaction(conn):
        received, aside = pulled.merge_page(conn, ops, [pulled.check(op) for op in ops])
        cursor = int(journal.replica_value(conn, "pull_cursor", "0") or 0)
        journal.set_replica_value(conn, "pull_cursor", str(max(cursor, int(manifest["cursor"]))))
        current = journal.device_id(conn)
        acks = manifest.get("acks") or {current: manifest["acked"]}
        for replica, acked in acks.items():
            if replica not in journal.replica_ids(conn):
                continue
            key = "pushed_dseq" if replica == current else f"pushed_dseq:{replica}"
            pushed = int(journal.replica_value(conn, key, "0") or 0)
            journal.set_replica_value(conn, key, str(max(pushed, int(acked))))
        conn.executemany(
            "INSERT OR IGNORE INTO sync_blobs_sent (sha256) VALUES (?)",
            [(s,) for s in manifest.get("blobs_held", [])],
        )
    refused = 0
    for replica, results in (manifest.get("refused") or {}).items():
        if replica in journal.replica_ids(conn) and isinstance(results, list):
            dseqs = [r.get("dseq") for r in results if isinstance(r, dict) and isinstance(r.get("dseq"), int)]
            rows = conn.execute(
                f"SELECT {OP_COLUMNS} FROM sync_ops WHERE device_id = ? AND dseq IN "
                "(SELECT value FROM json_each(?))",
                (replica, json.dumps(dseqs)),
            ).fetchall()
            refused += pulled.record_refusals(conn, replica, rows, results)
    for sha in manifest["blobs"]:
        bundle.copy_blob(sha, store)
    return {
        "received": received,
        "acked": manifest["acked"],
        "blobs": len(manifest["blobs"]),
        "refused": refused,
        "set_aside": aside,
    }


# -- central side -----------------------------------------------------------------------


def import_at_central(
    conn, path, peer_of, blob_root, reply_path, *, max_reply_blob_bytes=200 * (1 << 20)
) -> dict:
    """Apply a device's bundle at central and write the signed reply for that device.

    ``peer_of(device_id)`` returns ``(Peer, public_key)`` for an enrolled, unrevoked device
    or raises :class:`sync.errors.AuthError`.
    """
    with Bundle(path) as bundle:
        peer, public_key = peer_of(bundle.sender())
        manifest = bundle.verify(public_key)
        return _apply_at_central(
            conn, bundle, manifest, peer, BlobDir(blob_root), reply_path, max_reply_blob_bytes
        )


def _apply_at_central(
    conn, bundle: Bundle, manifest: dict, peer, store: BlobDir, reply_path, max_reply_blob_bytes
):
    if manifest.get("kind") != "push" or manifest.get("from") != peer.device_id:
        raise BundleError("this bundle is not a device's push bundle")
    replicas = manifest.get("replicas") or [peer.device_id]
    if not isinstance(replicas, list) or not all(isinstance(r, str) for r in replicas):
        raise BundleError("the bundle's list of journal ids is damaged")
    for replica in replicas:
        if replica != peer.device_id:
            server.claim_replica(conn, peer, replica)
    by_replica: dict[str, list] = {replica: [] for replica in replicas}
    for op in manifest.get("ops", []):
        by_replica.setdefault(op.get("device_id") if isinstance(op, dict) else None, []).append(op)
    acks, refused = {}, {}
    for replica, ops in by_replica.items():
        acks[replica] = server.acked(conn, server.replica_of(conn, peer, replica))
        for start in range(0, len(ops), protocol.MAX_BATCH_OPS):
            answer = server.push(conn, peer, ops[start : start + protocol.MAX_BATCH_OPS], replica=replica)
            acks[replica] = answer["acked"]
            refused.setdefault(replica, []).extend(r for r in answer["results"] if r["status"] == "refused")
    writer = replicas[-1]
    stored = []
    for sha in manifest["blobs"]:
        if server.blob_in_scope(conn, peer, sha) and bundle.copy_blob(sha, store):
            stored.append(sha)
    cursor = int(manifest.get("cursor", 0))
    reply_ops = []
    while True:
        page = server.pull(conn, peer, cursor, protocol.MAX_PAGE, replica=writer)
        reply_ops.extend(page["ops"])
        cursor = page["cursor"]
        if not page["more"]:
            break
    file_fields = dict(journal.RECORDS.file_tables())
    wanted = {
        op["fields"].get(file_fields[op["tbl"]])
        for op in reply_ops
        if op["tbl"] in file_fields and op["kind"] == "create"
    }
    reply_blobs, size = [], 0
    for sha in sorted(s for s in wanted if s and store.has(s)):
        size += store.path(sha).stat().st_size
        if size > max_reply_blob_bytes or len(reply_blobs) >= MAX_MEMBERS - 3:
            break
        reply_blobs.append(sha)
    reply = {
        "format": FORMAT,
        "version": protocol.VERSION,
        "kind": "reply",
        "from": journal.device_id(conn),
        "to": peer.device_id,
        "acked": acks[writer],
        "acks": acks,
        "cursor": cursor,
        "ops": reply_ops,
        "blobs": reply_blobs,
        "blobs_held": stored,
        "refused": {replica: results for replica, results in refused.items() if results},
    }
    with journal.transaction(conn):
        key = keys.replica_key(conn)
    _write(Path(reply_path), reply, key, store)
    return {
        "applied_up_to": acks[writer],
        "sent_back": len(reply_ops),
        "blobs": len(stored),
        "refused": sum(len(r) for r in refused.values()),
    }
