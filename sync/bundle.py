"""Bundles (sneakernet, DESIGN §5.6): the same ops and blobs as HTTP, in one signed file.

A bundle is a zip with ``manifest.json`` (ops, blob list, sender, addressee, cursor or acks),
``signature`` (Ed25519 over the manifest's bytes, by the sender's key) and ``blobs/<sha256>``.
Everything is verified before anything is applied, so a tampered bundle is rejected whole;
applying goes through :func:`sync.server.push` and :func:`sync.merge.apply_remote`, exactly
the HTTP path, so importing the same bundle twice changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
import zlib
from pathlib import Path

from . import journal, keys, protocol, pulled, server
from .blobs import SHA256, BlobDir
from .errors import BundleError
from .merge import OP_COLUMNS, op_from_row

FORMAT = "fieldkit-bundle"
MAX_MANIFEST = 512 * (1 << 20)
#: What reading a damaged zip can raise.
DAMAGED = (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, ValueError, OSError, EOFError, zlib.error)


def _write(path: Path, manifest: dict, private_key: str, blobs: BlobDir | None) -> None:
    data = protocol.encode(manifest)
    temp = Path(str(path) + ".part")
    with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", data)
        archive.writestr("signature", keys.sign(private_key, data))
        for sha in manifest["blobs"]:
            archive.write(blobs.path(sha), f"blobs/{sha}", compress_type=zipfile.ZIP_STORED)
    os.replace(temp, path)


def read(path, public_key: str) -> tuple[dict, dict[str, bytes]]:
    """Open and verify a bundle: (manifest, blobs by sha256).

    :raises BundleError: unreadable, not a bundle, bad signature or a blob that does not match.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("manifest.json")
            if info.file_size > MAX_MANIFEST:
                raise BundleError("the bundle is too large")
            data = archive.read("manifest.json")
            signature = archive.read("signature").decode("ascii")
            if not keys.verify(public_key, data, signature):
                raise BundleError(
                    "the bundle's signature does not match: it was changed or is not from this sender"
                )
            manifest = json.loads(data)
            blobs = {}
            for sha in manifest.get("blobs", []):
                if not SHA256.match(sha):
                    raise BundleError("the bundle lists a file with a bad name")
                content = archive.read(f"blobs/{sha}")
                if hashlib.sha256(content).hexdigest() != sha:
                    raise BundleError("a file in the bundle does not match its hash: it was changed")
                blobs[sha] = content
    except DAMAGED as error:
        raise BundleError(f"this is not a readable FieldKit bundle ({error})") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != protocol.VERSION:
        raise BundleError("this file is not a FieldKit bundle of a version this FieldKit reads")
    return manifest, blobs


def sender(path) -> str:
    """Who a bundle says it is from (unverified: only to find the key to verify it with)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return str(json.loads(archive.read("manifest.json")).get("from", ""))
    except DAMAGED:
        raise BundleError("this is not a readable FieldKit bundle") from None


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
    ]
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
    manifest, blobs = read(path, journal.replica_value(conn, "sync_server_key", "") or "")
    if manifest.get("kind") != "reply" or manifest.get("to") != _enrolled_id(conn):
        raise BundleError("this bundle is not a reply addressed to this device")
    ops = manifest.get("ops")
    if not isinstance(ops, list):
        raise BundleError("the bundle's list of changes is damaged")
    store = BlobDir(blob_root)
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
    for sha, content in blobs.items():
        store.put(sha, content)
    return {
        "received": received,
        "acked": manifest["acked"],
        "blobs": len(blobs),
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
    peer, public_key = peer_of(sender(path))
    manifest, blobs = read(path, public_key)
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
    store = BlobDir(blob_root)
    stored = []
    for sha, content in blobs.items():
        if server.blob_in_scope(conn, peer, sha) and store.put(sha, content):
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
        if size > max_reply_blob_bytes:
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
