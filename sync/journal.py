"""The ops journal: every change to a synced row is an immutable op written with the row.

Local writes go through :func:`create`, :func:`update`, :func:`delete` and :func:`restore`,
which must be called inside the caller's transaction: the op, the row and the field dots
commit together or not at all. Each op is ``(device_id, dseq)`` with a gapless per-device
sequence, the fields it sets with their values, and for each field its *base dot*: the
op that produced the value the user saw when editing (DESIGN §5.1).

Tables owned here:

- ``sync_replica``  key/value facts about this replica (device id, last dseq, last HLC);
- ``sync_ops``      the journal itself; ``server_seq`` is the central sequencer's number;
- ``sync_rows``     per synced row, the dot of every field (``"*"`` for fields still at the
                    create op's value), so a base dot is a single lookup;
- ``sync_conflicts`` disputed fields with every candidate value (filled by the merge);
- ``sync_withheld`` rows kept on this device only: their ops are sent as placeholders.

A base dot may be a list (a field several ops agree on, or every candidate of a resolved
conflict). Base entries for fields an op does not write record what it *saw*: an edit
records the ``deleted`` dot it saw, a delete the dot of every field it saw, so a delete
racing an edit is detected on every replica.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from . import consent
from .errors import UnknownTable
from .ids import dot as make_dot
from .ids import hlc_millis, hlc_now, new_device_id
from .schema import Schema

#: Synced tables by name: name -> frozenset of writable field names. Filled by the app
#: through :func:`use` (or :func:`register`); anything not registered is never journaled or applied.
SYNCED: dict[str, frozenset[str]] = {}

#: The app's record declarations (:class:`sync.schema.Schema`), given through :func:`use`.
RECORDS: Schema | None = None

#: Fields every synced row has that ops never set directly.
DERIVED_FIELDS = ("updated_at",)

SCHEMA = """
CREATE TABLE IF NOT EXISTS sync_replica (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- A rowid table, not WITHOUT ROWID: a create op holds every field (about 1 kB), and rows
-- that large spill into a 4 kB overflow page each in a WITHOUT ROWID b-tree (5x the size).
CREATE TABLE IF NOT EXISTS sync_ops (
    device_id TEXT NOT NULL,
    dseq INTEGER NOT NULL,
    tbl TEXT NOT NULL,
    row_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    fields TEXT NOT NULL,
    base TEXT NOT NULL,
    hlc TEXT NOT NULL,
    author TEXT NOT NULL DEFAULT '',
    server_seq INTEGER,
    PRIMARY KEY (device_id, dseq)
);
CREATE INDEX IF NOT EXISTS sync_ops_row ON sync_ops (tbl, row_id);
CREATE UNIQUE INDEX IF NOT EXISTS sync_ops_server_seq ON sync_ops (server_seq)
    WHERE server_seq IS NOT NULL;
CREATE TABLE IF NOT EXISTS sync_rows (
    tbl TEXT NOT NULL,
    row_id TEXT NOT NULL,
    dots TEXT NOT NULL,
    PRIMARY KEY (tbl, row_id)
) WITHOUT ROWID;
-- Ops of this device that central refused, with its reason (shown on the Sync page).
CREATE TABLE IF NOT EXISTS sync_refusals (
    device_id TEXT NOT NULL,
    dseq INTEGER NOT NULL,
    tbl TEXT NOT NULL,
    row_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    field TEXT,
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (device_id, dseq)
);
-- Pulled ops this replica could not apply (a newer version's field, a broken constraint):
-- kept whole with the reason, tried again at every pull, so a pull never stops for good.
CREATE TABLE IF NOT EXISTS sync_set_aside (
    device_id TEXT NOT NULL,
    dseq INTEGER NOT NULL,
    server_seq INTEGER,
    tbl TEXT NOT NULL,
    row_id TEXT NOT NULL,
    op TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (device_id, dseq)
);
-- Rows this device keeps to itself (outside its enrolled scope, by the user's choice): ops of
-- these rows and of their children never leave the device; a placeholder keeps dseq gapless.
CREATE TABLE IF NOT EXISTS sync_withheld (
    tbl TEXT NOT NULL,
    row_id TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (tbl, row_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sync_conflicts (
    tbl TEXT NOT NULL,
    row_id TEXT NOT NULL,
    field TEXT NOT NULL,
    candidates TEXT NOT NULL,
    PRIMARY KEY (tbl, row_id, field)
) WITHOUT ROWID;
"""


@contextmanager
def transaction(conn):
    """``BEGIN IMMEDIATE`` … ``COMMIT``, or join the caller's transaction if one is open."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def snapshot(conn):
    """A read transaction: every statement inside sees the database as of its first read."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        conn.execute("COMMIT")


def register(table: str, fields: Iterable[str]) -> None:
    """Declare ``table`` as synced, with the fields an op may set (``id`` excluded)."""
    SYNCED[table] = frozenset(fields) | {"deleted"}


def use(schema: Schema) -> None:
    """Sync the record types ``schema`` declares (device-only ones never leave the device)."""
    global RECORDS
    RECORDS = schema
    from . import consent

    for record in schema:
        if record.privacy != "device-only":
            register(record.table, record.names)
        if record.consent:
            consent.declare(record.table, consent=record.consent, personal=record.personal)


def install(conn) -> None:
    """Create the journal's tables and this replica's device id, if missing."""
    statement = ""
    for line in SCHEMA.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)  # not executescript: that would commit the caller's transaction
            statement = ""
    conn.execute(
        "INSERT OR IGNORE INTO sync_replica (key, value) VALUES ('device_id', ?)",
        (new_device_id(),),
    )
    conn.execute("INSERT OR IGNORE INTO sync_replica (key, value) VALUES ('dseq', '0')")
    conn.execute("INSERT OR IGNORE INTO sync_replica (key, value) VALUES ('hlc', '')")


def replica_value(conn, key: str, default: str | None = None) -> str | None:
    """One fact about this replica (``device_id``, ``dseq``, ``hlc`` ...)."""
    row = conn.execute("SELECT value FROM sync_replica WHERE key = ?", (key,)).fetchone()
    return row[0] if row else default


def set_replica_value(conn, key: str, value: str) -> None:
    """Record one fact about this replica."""
    conn.execute(
        "INSERT INTO sync_replica (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def device_id(conn) -> str:
    """This replica's device id."""
    return replica_value(conn, "device_id")


def replica_ids(conn) -> list[str]:
    """Every journal id this replica has written ops as, oldest first; the last is current."""
    history = json.loads(replica_value(conn, "replica_ids", "[]") or "[]")
    current = device_id(conn)
    return [*[i for i in history if i != current], current]


def fork(conn) -> str:
    """Continue this replica's journal under a new device id; returns it.

    For a database restored from a backup: its ``dseq`` is where it was when the backup was
    made, but the device went on writing ops after that (and may have sent them), so the
    next op under the old id would take an ``(device_id, dseq)`` that already names another
    op; central would take it for a duplicate and drop it. Why forking never reuses an op
    id and never loses an op:

    - a new id is 64 random bits no replica has written as, and its ``dseq`` starts at 0,
      so every op written from now on has an id never used before;
    - the old id is never written again (only :func:`_next_op` writes ops, and it uses
      the current id), so its sequence stays exactly the ops it had;
    - ops of the old id in the backup and not yet sent are still in ``sync_ops`` and are
      pushed under the old id (the client pushes every id of :func:`replica_ids`); those
      central already holds are skipped as the duplicates they truly are;
    - ops written after the backup and sent before the restore come back by pull, which
      only leaves out ops of the *current* id;
    - the restored replica keeps its enrolment: the client claims the new id with its
      token before pushing (``sync.server.claim_replica``).

    The id the device enrolled as is remembered (``sync_device_id``) for bundles. Must run
    inside the caller's transaction.
    """
    old = device_id(conn)
    history = replica_ids(conn)
    if replica_value(conn, "sync_token") and not replica_value(conn, "sync_device_id"):
        set_replica_value(conn, "sync_device_id", old)
    new = new_device_id()
    set_replica_value(conn, "replica_ids", json.dumps([*history, new]))
    set_replica_value(conn, "device_id", new)
    set_replica_value(conn, "dseq", "0")
    # What the restored file says was pushed is about the old id.
    set_replica_value(conn, f"pushed_dseq:{old}", replica_value(conn, "pushed_dseq", "0") or "0")
    set_replica_value(conn, "pushed_dseq", "0")
    return new


def files_sql() -> str:
    """SELECT of every distinct file hash live records name (from the declared file fields)."""
    parts = [
        f"SELECT [{column}] AS sha256 FROM [{table}] WHERE deleted = 0"
        for table, column in RECORDS.file_tables()
    ]
    return " UNION ".join(parts) if parts else "SELECT NULL AS sha256 WHERE 0"


def field_dots(conn, table: str, row_id: str) -> dict[str, str]:
    """The dot of every field of a row (the ``"*"`` entry covers fields not listed)."""
    row = conn.execute("SELECT dots FROM sync_rows WHERE tbl = ? AND row_id = ?", (table, row_id)).fetchone()
    return json.loads(row[0]) if row else {}


def dot_of(dots: dict[str, str], field: str) -> str | list[str] | None:
    """The dot of ``field`` given a row's dots (a sorted list while several ops hold it)."""
    return dots.get(field, dots.get("*"))


def live_dots(dots: dict) -> list[str]:
    """Every distinct dot a row's current values come from (the create's ``"*"`` included)."""
    found = set()
    for field, value in dots.items():
        if field == "deleted":
            continue
        found.update(value if isinstance(value, list) else [value])
    return sorted(found)


def iso_from_hlc(stamp: str) -> str:
    """The UTC ISO-8601 time of an HLC stamp, to the second."""
    return _iso_second(hlc_millis(stamp) // 1000)


@lru_cache(maxsize=4096)
def _iso_second(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _next_op(conn) -> tuple[str, int, str]:
    device = device_id(conn)
    dseq = int(
        conn.execute(
            "UPDATE sync_replica SET value = CAST(value AS INTEGER) + 1 WHERE key = 'dseq' RETURNING value"
        ).fetchone()[0]
    )
    hlc = hlc_now(replica_value(conn, "hlc") or None, device)
    set_replica_value(conn, "hlc", hlc)
    return device, dseq, hlc


def _check(table: str, fields: dict[str, Any]) -> None:
    allowed = SYNCED.get(table)
    if allowed is None:
        raise UnknownTable(table)
    unknown = set(fields) - allowed
    if unknown:
        raise UnknownTable(f"{table}: unknown fields {sorted(unknown)}")


def _write_op(conn, table, row_id, kind, fields, base, author) -> str:
    fields = consent.erased(conn, table, row_id, fields)
    device, dseq, hlc = _next_op(conn)
    conn.execute(
        "INSERT INTO sync_ops (device_id, dseq, tbl, row_id, kind, fields, base, hlc, author)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            device,
            dseq,
            table,
            row_id,
            kind,
            json.dumps(fields, ensure_ascii=False, sort_keys=True),
            json.dumps(base, sort_keys=True),
            hlc,
            author,
        ),
    )
    op_dot = make_dot(device, dseq)
    if consent.withdraws(table, fields):
        consent.erase_history(conn, table, row_id)
    apply_fields(conn, table, row_id, kind, fields, hlc)
    dots = field_dots(conn, table, row_id)
    if kind == "create":
        dots = {"*": op_dot}
    else:
        dots.update({field: op_dot for field in fields})
    conn.execute(
        "INSERT INTO sync_rows (tbl, row_id, dots) VALUES (?, ?, ?) "
        "ON CONFLICT (tbl, row_id) DO UPDATE SET dots = excluded.dots",
        (table, row_id, json.dumps(dots, sort_keys=True)),
    )
    if conn.execute(
        "SELECT 1 FROM sync_conflicts WHERE tbl = ? AND row_id = ? LIMIT 1", (table, row_id)
    ).fetchone():
        # A disputed row is rebuilt from all its ops, exactly as a remote op would be merged.
        from .merge import rebuild_row

        rebuild_row(conn, table, row_id)
    return op_dot


def apply_fields(conn, table: str, row_id: str, kind: str, fields: dict, hlc: str) -> bool:
    """Write an op's field values into its row; ``updated_at`` becomes the latest op time.

    Shared by local writes, the merge of remote ops and journal replay, so every replica
    derives rows from ops the same way. Returns False for a create whose row already exists.
    """
    stamp = iso_from_hlc(hlc)
    if kind == "create":
        columns = ["id", *fields, "updated_at"]
        values = [row_id, *fields.values(), stamp]
        cursor = conn.execute(
            f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)}) "
            "ON CONFLICT (id) DO NOTHING",
            values,
        )
        return cursor.rowcount == 1
    if not fields:
        return True
    assignments = ", ".join(f"[{field}] = ?" for field in fields)
    conn.execute(
        f"UPDATE [{table}] SET {assignments}, updated_at = MAX(COALESCE(updated_at, ''), ?) WHERE id = ?",
        [*fields.values(), stamp, row_id],
    )
    return True


def create(conn, table: str, values: dict[str, Any], *, author: str = "") -> str:
    """Insert a new synced row (``values`` holds ``id``) and journal it; returns the op's dot."""
    fields = {k: v for k, v in values.items() if k != "id"}
    fields.setdefault("deleted", 0)
    _check(table, fields)
    return _write_op(conn, table, values["id"], "create", fields, {}, author)


def update(
    conn, table: str, row_id: str, changes: dict[str, Any], *, author: str = "", kind="set"
) -> str | None:
    """Set changed fields of a row and journal them with their base dots.

    Fields whose value is unchanged are left out, so saving an untouched form journals
    nothing and returns None.
    """
    _check(table, changes)
    current = conn.execute(f"SELECT * FROM [{table}] WHERE id = ?", (row_id,)).fetchone()
    if current is None:
        raise KeyError(row_id)
    columns = [d[0] for d in conn.execute(f"SELECT * FROM [{table}] LIMIT 0").description]
    before = dict(zip(columns, current, strict=False))
    changed = {k: v for k, v in changes.items() if before.get(k) != v}
    if not changed:
        return None
    dots = field_dots(conn, table, row_id)
    base = {field: dot_of(dots, field) for field in changed}
    if kind == "delete":
        # A delete records every value it saw, so an edit it did not see is detected (§5.3).
        base.update({field: value for field, value in dots.items() if field != "*"} | base)
    elif "deleted" not in changed:
        # And an edit records the deletion state it saw.
        base["deleted"] = dot_of(dots, "deleted")
    return _write_op(conn, table, row_id, kind, changed, base, author)


def delete(conn, table: str, row_id: str, *, author: str = "") -> str | None:
    """Tombstone a row (``deleted = 1``); the row and its history stay."""
    return update(conn, table, row_id, {"deleted": 1}, author=author, kind="delete")


def restore(conn, table: str, row_id: str, *, author: str = "") -> str | None:
    """Bring a tombstoned row back (``deleted = 0``)."""
    return update(conn, table, row_id, {"deleted": 0}, author=author)


def ops_for_row(conn, table: str, row_id: str) -> list[dict]:
    """Every op of one row, oldest first by observed time (for history pages)."""
    rows = conn.execute(
        "SELECT device_id, dseq, kind, fields, base, hlc, author, server_seq FROM sync_ops "
        "WHERE tbl = ? AND row_id = ? ORDER BY hlc, device_id, dseq",
        (table, row_id),
    ).fetchall()
    return [
        {
            "dot": make_dot(r[0], r[1]),
            "device_id": r[0],
            "dseq": r[1],
            "kind": r[2],
            "fields": json.loads(r[3]),
            "base": json.loads(r[4]),
            "hlc": r[5],
            "observed_at": iso_from_hlc(r[5]),
            "author": r[6],
            "server_seq": r[7],
        }
        for r in rows
    ]


def disputed_fields(conn, table: str, row_id: str) -> dict[str, list[dict]]:
    """Open conflicts of a row: field -> candidate values."""
    rows = conn.execute(
        "SELECT field, candidates FROM sync_conflicts WHERE tbl = ? AND row_id = ?",
        (table, row_id),
    ).fetchall()
    return {field: json.loads(candidates) for field, candidates in rows}


# --- rows kept on this device only ----------------------------------------------------------

#: The row id a placeholder names: no real row has it, so central refuses (and acknowledges) it.
PLACEHOLDER_ROW = "withheld"


def withhold(conn, table: str, row_id: str) -> None:
    """Keep a row, and every child of it, on this device only: their ops are never sent."""
    conn.execute(
        "INSERT OR IGNORE INTO sync_withheld (tbl, row_id, at) "
        "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
        (table, row_id),
    )


def release(conn, table: str, row_id: str) -> None:
    """Let a withheld row's future ops be sent again."""
    conn.execute("DELETE FROM sync_withheld WHERE tbl = ? AND row_id = ?", (table, row_id))


def withheld_rows(conn) -> list[tuple[str, str]]:
    """(table, id) of every row kept on this device only."""
    return [tuple(r) for r in conn.execute("SELECT tbl, row_id FROM sync_withheld ORDER BY at, tbl, row_id")]


def is_withheld(conn, table: str, row_id: str, depth: int = 0) -> bool:
    """Whether a row, or the row it belongs to (by its declared parent), is kept on this device."""
    if conn.execute("SELECT 1 FROM sync_withheld WHERE tbl = ? AND row_id = ?", (table, row_id)).fetchone():
        return True
    record = RECORDS[table] if RECORDS is not None and table in RECORDS else None
    if record is None or record.parent is None or depth > 8:
        return False
    names = [record.parent.field, *([record.parent.table_field] if record.parent.table_field else [])]
    row = conn.execute(
        f"SELECT {', '.join(f'[{n}]' for n in names)} FROM [{table}] WHERE id = ?", (row_id,)
    ).fetchone()
    if row is None or row[0] is None:
        return False
    parent_table = record.parent.table or row[1]
    return isinstance(parent_table, str) and is_withheld(conn, parent_table, row[0], depth + 1)


def placeholder(op: dict) -> dict:
    """What is sent in place of a withheld row's op: its id and time, no table data or row id."""
    return {
        "device_id": op["device_id"],
        "dseq": op["dseq"],
        "tbl": op["tbl"],
        "row_id": PLACEHOLDER_ROW,
        "kind": "set",
        "fields": {},
        "base": {},
        "hlc": op["hlc"],
        "author": "",
    }


def is_placeholder(op: dict) -> bool:
    return op.get("row_id") == PLACEHOLDER_ROW and not op.get("fields")


def outgoing(conn, ops: list[dict]) -> list[dict]:
    """Ops as they may leave this device: a withheld row's op becomes a :func:`placeholder`, and so
    does the op of a country-wide row (``RecordType.scope == "country"``) of another country than
    the one this device is enrolled for (made before enrolment: no device it syncs with needs it).

    Central acknowledges a placeholder without storing anything, so the sequence stays
    gapless and everything else is applied.
    """
    wide = {r.table for r in RECORDS if r.scope == "country"} if RECORDS is not None else set()
    country = replica_value(conn, "sync_country") if wide and any(op["tbl"] in wide for op in ops) else None
    withheld = conn.execute("SELECT 1 FROM sync_withheld LIMIT 1").fetchone() is not None
    if not withheld and country in (None, "", "*"):
        return ops

    def elsewhere(op: dict) -> bool:
        if op["tbl"] not in wide or country in (None, "", "*"):
            return False
        row = conn.execute(f"SELECT country FROM [{op['tbl']}] WHERE id = ?", (op["row_id"],)).fetchone()
        return row is not None and row[0] != country

    return [
        placeholder(op) if elsewhere(op) or (withheld and is_withheld(conn, op["tbl"], op["row_id"])) else op
        for op in ops
    ]
