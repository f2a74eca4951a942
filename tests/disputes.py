"""Disputes made the way sync makes them, fast enough for hundreds: another device (an in-memory
replica) receives the records, both sides change the same fields from the same starting value,
and the other side's ops are merged here with the sync merge."""

from __future__ import annotations

import sqlite3

from fieldkit.db import connect, transaction
from fieldkit.migrations import migrate
from sync import journal, merge
from sync.ids import uuid7


def new_issues(conn, count: int, *, title: str = "Borehole broken", **extra) -> list[str]:
    """``count`` issues recorded on this device (no author: the laptop's owner)."""
    made = []
    with transaction(conn):
        for n in range(count):
            row_id = uuid7()
            journal.create(
                conn,
                "issues",
                {
                    "id": row_id,
                    "created_at": "2026-03-01T10:00:00Z",
                    "org": "kolwa-youth",
                    "country": "KE",
                    "ref": f"KE-{n:04d}",
                    "title": f"{title} {n}",
                    "sector": "water",
                    **extra,
                },
                author="",
            )
            made.append(row_id)
    return made


def other_device(conn, row_ids) -> sqlite3.Connection:
    """Another device that has received these records from this one."""
    other = connect(":memory:")
    migrate(other)
    send(conn, other, row_ids, every_device=True)
    return other


def _ops(conn, row_ids, device: str | None) -> list[dict]:
    wanted = set(row_ids)
    rows = conn.execute(f"SELECT {merge.OP_COLUMNS} FROM sync_ops ORDER BY device_id, dseq").fetchall()
    ops = [merge.op_from_row(row) for row in rows]
    return [op for op in ops if op["row_id"] in wanted and (device is None or op["device_id"] == device)]


def send(source, target, row_ids, *, every_device: bool = False) -> None:
    """Merge ``source``'s ops on these records into ``target`` (only its own unless ``every_device``)."""
    device = None if every_device else journal.device_id(source)
    with transaction(target):
        for op in _ops(source, row_ids, device):
            merge.apply_remote(target, op)


def edit(conn, changes_by_row: dict[str, dict], author: str = "") -> None:
    """Change records on one device, one op per record."""
    with transaction(conn):
        for row_id, changes in changes_by_row.items():
            journal.update(conn, "issues", row_id, changes, author=author)


def dispute(conn, row_ids, mine: dict, theirs: dict, *, their_author: str = "Otieno Odhiambo") -> None:
    """Each record gets ``mine`` here and ``theirs`` on another device, then meets: one dispute per field."""
    other = other_device(conn, row_ids)
    try:
        edit(other, {row_id: theirs for row_id in row_ids}, author=their_author)
        edit(conn, {row_id: mine for row_id in row_ids})
        send(other, conn, row_ids)
    finally:
        other.close()
