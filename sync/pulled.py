"""What a device does with what central sends back: ops to merge, ops set aside, refusals.

Shared by the HTTP client and the reply bundle, so both apply central's answers the same way.

A pull never stops for good: an op this replica cannot apply (a field or table of a newer
FieldKit, a constraint it breaks here) is set aside in ``sync_set_aside`` with its reason,
and so is every later op of the same row (order within a row matters); the rest of the page
is merged and the cursor moves on. Set-aside ops are tried again, in server order, at every
pull (:func:`retry_set_aside`): after an upgrade they apply, with nothing lost.
"""

from __future__ import annotations

import json
import sqlite3
import time

from . import journal, protocol
from . import merge as merging
from .errors import ProtocolError

#: What a set-aside op waits for, when an earlier op of its row was set aside.
WAITS = "waits for an earlier change of this record that could not be applied"


def row_key(op: dict) -> tuple[str, str]:
    return (str(op.get("tbl", ""))[:80], str(op.get("row_id", ""))[:80])


def check(op) -> dict | str | None:
    """A pulled op validated; None for a table this version does not sync; else why not."""
    if isinstance(op, dict) and isinstance(op.get("tbl"), str) and op["tbl"] not in journal.SYNCED:
        try:
            protocol.validate_envelope(op)
        except ProtocolError as error:
            return f"it is malformed ({error})"
        return None
    try:
        checked = protocol.validate_op(op)  # every part of the envelope but the sequence number
    except ProtocolError as error:
        return f"it is from a newer FieldKit or malformed ({error})"
    seq = op.get("server_seq")
    if seq is not None and not (type(seq) is int and 0 < seq <= protocol.MAX_SEQ):
        return "it is malformed (bad server_seq)"
    checked["server_seq"] = seq
    return checked


def merge_page(conn, ops: list, checked: list) -> tuple[int, int]:
    """Merge a page of ops (with their :func:`check` results); returns (new, set aside).

    Must run inside the caller's transaction. The page is merged in bulk; if a constraint
    fails, it is merged again op by op, each in a savepoint, setting aside what fails.
    """
    pairs = list(zip(ops, checked, strict=True))
    counts = [0, 0]
    conn.execute("SAVEPOINT page")
    try:
        _apply(conn, pairs, counts)
    except sqlite3.Error:
        conn.execute("ROLLBACK TO page")
        counts = [0, 0]
        for op, result in pairs:
            conn.execute("SAVEPOINT op")
            try:
                _apply(conn, [(op, result)], counts)
            except sqlite3.Error as error:
                conn.execute("ROLLBACK TO op")
                _set_aside(conn, op, f"it cannot be stored here ({error})")
                counts[1] += 1
            conn.execute("RELEASE op")
    conn.execute("RELEASE page")
    return counts[0], counts[1]


def _apply(conn, pairs, counts: list[int]) -> None:
    batch = []
    blocked = {(t, r) for t, r in conn.execute("SELECT DISTINCT tbl, row_id FROM sync_set_aside")}
    for op, result in pairs:
        if isinstance(result, str) or (isinstance(result, dict) and row_key(result) in blocked):
            counts[0] += _merge_batch(conn, batch)
            batch = []
            blocked.add(_set_aside(conn, op, result if isinstance(result, str) else WAITS))
            counts[1] += 1
            continue
        if result is None:
            # A table of a newer FieldKit: keep the op for when this one is updated.
            counts[0] += _merge_batch(conn, batch) + merging.store_op(conn, op)
            batch = []
            continue
        batch.append(result)
    counts[0] += _merge_batch(conn, batch)


def _merge_batch(conn, batch: list[dict]) -> int:
    return merging.apply_batch(conn, batch) if batch else 0


def _set_aside(conn, op, reason: str) -> tuple[str, str]:
    op = op if isinstance(op, dict) else {}
    key = row_key(op)
    conn.execute(
        "INSERT OR IGNORE INTO sync_set_aside (device_id, dseq, server_seq, tbl, row_id, op, reason, at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
        (
            str(op.get("device_id", ""))[:64],
            op.get("dseq") if isinstance(op.get("dseq"), int) else 0,
            op.get("server_seq") if isinstance(op.get("server_seq"), int) else None,
            *key,
            json.dumps(op),
            reason[:500],
        ),
    )
    return key


def retry_set_aside(conn) -> int:
    """Try again every op set aside earlier; returns how many applied.

    In server order, each in its own savepoint: one that applies leaves the table, one that
    still fails stays, and keeps every later op of its row waiting.
    """
    rows = conn.execute(
        "SELECT device_id, dseq, op FROM sync_set_aside ORDER BY server_seq, device_id, dseq"
    ).fetchall()
    if not rows:
        return 0
    applied = 0
    with journal.transaction(conn):
        blocked: set[tuple[str, str]] = set()
        for device_id, dseq, text in rows:
            op = json.loads(text)
            result = check(op)
            key = row_key(op)
            if isinstance(result, str) or key in blocked:
                blocked.add(key)
                continue
            conn.execute("SAVEPOINT retry")
            try:
                if result is None:
                    merging.store_op(conn, op)
                else:
                    merging.apply_remote(conn, result)
            except sqlite3.Error:
                conn.execute("ROLLBACK TO retry")
                blocked.add(key)
            else:
                conn.execute("DELETE FROM sync_set_aside WHERE device_id = ? AND dseq = ?", (device_id, dseq))
                applied += 1
            conn.execute("RELEASE retry")
    return applied


def record_refusals(conn, device: str, rows, results: list) -> int:
    """Keep central's reasons for the ops of ``device`` it refused; returns how many.

    ``rows`` are the sent ops as ``sync_ops`` rows (``OP_COLUMNS``), ``results`` central's
    per-op answers. A refused op counts as sent: central decided it.
    """
    refused = {r["dseq"]: r for r in results if isinstance(r, dict) and r.get("status") == "refused"}
    ops = {row[1]: row for row in rows}
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    kept = 0
    with journal.transaction(conn):
        for dseq, result in refused.items():
            row = ops.get(dseq)
            if row is None:
                continue
            field = result.get("field")
            conn.execute(
                "INSERT OR REPLACE INTO sync_refusals (device_id, dseq, tbl, row_id, kind, code, field, "
                "reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    device,
                    dseq,
                    row[2],
                    row[3],
                    row[4],
                    str(result.get("code", ""))[:40],
                    field[:80] if isinstance(field, str) else None,
                    str(result.get("reason", ""))[:500],
                    now,
                ),
            )
            kept += 1
    return kept
