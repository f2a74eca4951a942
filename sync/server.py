"""The central sequencer: exactly-once push, scoped resumable pull (DESIGN §5.2, §5.4).

Transport-free: the central blueprint and the bundle importer both call :func:`push` and
:func:`pull` with a database connection and the authenticated :class:`Peer`.

Tables (on every replica; only central fills them):

- ``sync_acks``   per device, the highest dseq applied without a gap;
- ``sync_held``   ops that arrived after a gap, waiting for the missing ones;
- ``sync_scope``  per synced row, the org and country it belongs to (fixed at create);
- ``sync_replica_owners``  journal ids an enrolled device writes as besides its own (forks).

A device's journal writes ops as ``(device_id, dseq)``. Restoring an older backup rewinds
``dseq``, so the restored replica must never write under that id again: it *forks*, taking a
new journal id (:func:`sync.journal.fork`), and claims it here with its own token
(:func:`claim_replica`). From then on the token may push ops of, and read acks for, either
id; an id that is another device's (enrolled, claimed, or already written here) is refused,
so no token can push ops in another device's name.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from . import merge, protocol
from .errors import Forbidden, ProtocolError, TooLarge
from .journal import transaction
from .merge import OP_COLUMNS, op_from_row

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS sync_acks (device_id TEXT PRIMARY KEY, acked INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS sync_held (device_id TEXT NOT NULL, dseq INTEGER NOT NULL, "
    "op TEXT NOT NULL, PRIMARY KEY (device_id, dseq)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS sync_scope (tbl TEXT NOT NULL, row_id TEXT NOT NULL, org TEXT NOT NULL, "
    "country TEXT NOT NULL, PRIMARY KEY (tbl, row_id)) WITHOUT ROWID",
    # On devices: blobs the server confirmed it holds, so "photos waiting" is one query.
    "CREATE TABLE IF NOT EXISTS sync_blobs_sent (sha256 TEXT PRIMARY KEY) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS sync_replica_owners (replica_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, "
    "claimed_at TEXT NOT NULL) WITHOUT ROWID",
)

#: Only central numbers ops: every op it stores, pushed or written there, gets the next
#: server_seq, and every new row its scope.
CENTRAL_TRIGGERS = (
    "DROP TRIGGER IF EXISTS sync_sequencer",
    """CREATE TRIGGER sync_sequencer AFTER INSERT ON sync_ops
    WHEN NEW.server_seq IS NULL BEGIN
        UPDATE sync_replica SET value = CAST(value AS INTEGER) + 1 WHERE key = 'server_seq';
        UPDATE sync_ops SET server_seq = (SELECT CAST(value AS INTEGER) FROM sync_replica WHERE key = 'server_seq')
        WHERE rowid = NEW.rowid;
    END""",
    "DROP TRIGGER IF EXISTS sync_scope_of_create",
    """CREATE TRIGGER sync_scope_of_create AFTER INSERT ON sync_ops
    WHEN NEW.kind = 'create' BEGIN
        INSERT OR IGNORE INTO sync_scope (tbl, row_id, org, country) VALUES (
            NEW.tbl, NEW.row_id, COALESCE(json_extract(NEW.fields, '$.org'), ''),
            COALESCE(json_extract(NEW.fields, '$.country'), ''));
    END""",
)

#: Orgs a device may create rows for before it was enrolled; they join the device's org.
UNASSIGNED_ORGS = ("", "local")

#: An observed time further than this from central's clock is implausible.
PLAUSIBLE_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class Peer:
    """An authenticated device: its id and the scope its enrolment grants ("*" = any)."""

    device_id: str
    org: str
    country: str

    def covers(self, org: str, country: str) -> bool:
        return (self.org == "*" or self.org == org) and (self.country == "*" or self.country == country)


def install(conn) -> None:
    """Create the sequencer's tables (harmless on devices)."""
    for statement in SCHEMA:
        conn.execute(statement)


def install_central(conn) -> None:
    """Make this replica the sequencer: number ops and record row scopes on insert."""
    install(conn)
    top = conn.execute("SELECT MAX(server_seq) FROM sync_ops WHERE server_seq IS NOT NULL").fetchone()[0] or 0
    conn.execute("INSERT OR IGNORE INTO sync_replica (key, value) VALUES ('server_seq', ?)", (str(top),))
    for statement in CENTRAL_TRIGGERS:
        conn.execute(statement)
    # Ops written before this replica became central get numbers now, in journal order.
    for (rowid,) in conn.execute(
        "SELECT rowid FROM sync_ops WHERE server_seq IS NULL ORDER BY hlc, device_id, dseq"
    ).fetchall():
        conn.execute("UPDATE sync_replica SET value = CAST(value AS INTEGER) + 1 WHERE key = 'server_seq'")
        conn.execute(
            "UPDATE sync_ops SET server_seq = (SELECT CAST(value AS INTEGER) FROM sync_replica "
            "WHERE key = 'server_seq') WHERE rowid = ?",
            (rowid,),
        )
    conn.execute(
        "INSERT OR IGNORE INTO sync_scope (tbl, row_id, org, country) "
        "SELECT tbl, row_id, COALESCE(json_extract(fields, '$.org'), ''), "
        "COALESCE(json_extract(fields, '$.country'), '') FROM sync_ops WHERE kind = 'create'"
    )


def acked(conn, device_id: str) -> int:
    """The highest dseq of ``device_id`` applied with no gap before it."""
    row = conn.execute("SELECT acked FROM sync_acks WHERE device_id = ?", (device_id,)).fetchone()
    return row[0] if row else 0


def owns(conn, peer: Peer, replica_id: str) -> bool:
    """Whether the enrolled device ``peer`` writes ops as ``replica_id`` (its own id or a fork)."""
    if replica_id == peer.device_id:
        return True
    row = conn.execute(
        "SELECT device_id FROM sync_replica_owners WHERE replica_id = ?", (replica_id,)
    ).fetchone()
    return row is not None and row[0] == peer.device_id


def replica_of(conn, peer: Peer, replica_id: str | None) -> str:
    """The journal id a request speaks for: ``replica_id`` if ``peer`` owns it, else refused.

    :raises Forbidden: the id is not this device's.
    """
    if replica_id is None or replica_id == "":
        return peer.device_id
    if not owns(conn, peer, replica_id):
        raise Forbidden("this device does not write as that journal id")
    return replica_id


def claim_replica(conn, peer: Peer, replica_id: str) -> None:
    """Record that ``peer`` also writes as ``replica_id`` (a fork of its journal); idempotent.

    Refused for an id that is, or ever was, anyone else's: an enrolled device, another
    device's fork, or an id with ops, acks or held ops here. Fork ids are 64 random bits
    made on the device, so only a forger ever meets the refusal.

    :raises Forbidden: the id belongs to someone else.
    :raises ProtocolError: not a device id.
    """
    if not isinstance(replica_id, str) or not protocol.DEVICE.match(replica_id):
        raise ProtocolError("bad replica id")
    with transaction(conn):
        if owns(conn, peer, replica_id):
            return
        taken = conn.execute(
            "SELECT 1 FROM sync_replica_owners WHERE replica_id = ?1 "
            "UNION ALL SELECT 1 FROM central_devices WHERE device_id = ?1 "
            "UNION ALL SELECT 1 FROM sync_acks WHERE device_id = ?1 "
            "UNION ALL SELECT 1 FROM sync_held WHERE device_id = ?1 "
            "UNION ALL SELECT 1 FROM sync_ops WHERE device_id = ?1 "
            "UNION ALL SELECT 1 FROM sync_replica WHERE key = 'device_id' AND value = ?1 LIMIT 1",
            (replica_id,),
        ).fetchone()
        if taken:
            raise Forbidden("that journal id belongs to another device")
        conn.execute(
            "INSERT INTO sync_replica_owners (replica_id, device_id, claimed_at) "
            "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
            (replica_id, peer.device_id),
        )


class _Scopes:
    """The org and country of the rows a batch names, read in one query, kept as it goes.

    A create's scope is recorded as it is authorised (written to ``sync_scope`` before the
    batch is merged), so a later edit of the row in the same batch finds it.
    """

    def __init__(self, conn, ops: list[dict]):
        self.conn = conn
        self.known: dict[tuple[str, str], tuple[str, str] | None] = {}
        self.new: list[tuple[str, str, str, str]] = []
        keys = json.dumps([[op["tbl"], op["row_id"]] for op in ops])
        for table, row_id in {(op["tbl"], op["row_id"]) for op in ops}:
            self.known[(table, row_id)] = None
        for table, row_id, org, country in conn.execute(
            "SELECT s.tbl, s.row_id, s.org, s.country FROM json_each(?) AS j JOIN sync_scope AS s "
            "ON s.tbl = json_extract(j.value, '$[0]') AND s.row_id = json_extract(j.value, '$[1]')",
            (keys,),
        ):
            self.known[(table, row_id)] = (org, country)

    def get(self, table: str, row_id: str) -> tuple[str, str] | None:
        key = (table, row_id)
        if key not in self.known:  # a held op's row
            row = self.conn.execute(
                "SELECT org, country FROM sync_scope WHERE tbl = ? AND row_id = ?", key
            ).fetchone()
            self.known[key] = tuple(row) if row else None
        return self.known[key]

    def add(self, table: str, row_id: str, org: str, country: str) -> None:
        if self.get(table, row_id) is None:
            self.known[(table, row_id)] = (org, country)
            self.new.append((table, row_id, org, country))

    def save(self) -> None:
        self.conn.executemany(
            "INSERT OR IGNORE INTO sync_scope (tbl, row_id, org, country) VALUES (?, ?, ?, ?)", self.new
        )
        self.new = []


def _authorise(scopes: _Scopes, peer: Peer, op: dict) -> None:
    fields = op["fields"]
    if op["kind"] == "create":
        org = fields.get("org", "")
        country = fields.get("country", "")
        if org in UNASSIGNED_ORGS and peer.org != "*":
            org = peer.org
        if not peer.covers(org, country):
            raise Forbidden(f"{op['tbl']} {op['row_id']}: outside this device's scope")
        existing = scopes.get(op["tbl"], op["row_id"])
        if existing and not peer.covers(*existing):
            raise Forbidden(f"{op['tbl']} {op['row_id']}: outside this device's scope")
        scopes.add(op["tbl"], op["row_id"], org, country)
        return
    existing = scopes.get(op["tbl"], op["row_id"])
    if existing is None or not peer.covers(*existing):
        raise Forbidden(f"{op['tbl']} {op['row_id']}: unknown or outside this device's scope")
    new_org = fields.get("org", existing[0])
    if new_org in UNASSIGNED_ORGS:
        new_org = existing[0]
    if not peer.covers(new_org, fields.get("country", existing[1])):
        raise Forbidden(f"{op['tbl']} {op['row_id']}: cannot move a record out of this device's scope")


def push(
    conn,
    peer: Peer,
    ops: list,
    *,
    now_ms: int | None = None,
    stats: dict | None = None,
    replica: str | None = None,
) -> dict:
    """Apply a batch of a device's ops exactly once, in dseq order, holding gaps.

    Every op must be of one journal id, ``replica`` (default: the device's own id), which
    the device must own (its id or a fork it claimed).

    Algorithm: in one transaction, each op whose dseq is the next after the device's acked
    dseq is authorised, merged and numbered; ops beyond a gap are held; held ops are drained
    as soon as the gap closes; ops already applied are skipped. The answer depends only on
    the stored state, so a replayed batch gets the same answer and changes nothing.
    ``stats["implausible"]`` counts ops whose observed time is far from central's clock.

    :raises ProtocolError: a malformed op or an oversized batch (nothing applied).
    :raises AuthError: an op of another device or outside the scope (nothing applied).
    """
    if not isinstance(ops, list):
        raise ProtocolError("ops must be a list")
    if len(ops) > protocol.MAX_BATCH_OPS:
        raise TooLarge(f"a batch may carry at most {protocol.MAX_BATCH_OPS} ops")
    checked = [protocol.validate_op(op) for op in ops]
    replica = replica_of(conn, peer, replica)
    for op in checked:
        if op["device_id"] != replica:
            raise Forbidden("an op names another device")
    now_ms = now_ms if now_ms is not None else time.time_ns() // 1_000_000
    implausible = 0
    stats = stats if stats is not None else {}
    with transaction(conn):
        high = acked(conn, replica)
        holding = _holding(conn, replica)
        ready: list[dict] = []
        scopes = _Scopes(conn, checked)
        for op in sorted({op["dseq"]: op for op in checked}.values(), key=lambda o: o["dseq"]):
            if op["dseq"] <= high:
                continue
            if op["dseq"] == high + 1:
                ready.append(_authorised(scopes, peer, op))
                high += 1
                if holding:
                    high = _drain(conn, scopes, peer, replica, high, ready)
                    holding = _holding(conn, replica)
            else:
                holding = True
                conn.execute(
                    "INSERT OR IGNORE INTO sync_held (device_id, dseq, op) VALUES (?, ?, ?)",
                    (op["device_id"], op["dseq"], json.dumps(op, ensure_ascii=False)),
                )
        # Authorised in dseq order above, merged in that order here (scopes first, so the
        # sequencer's trigger keeps the scope the authorisation gave a create).
        scopes.save()
        merge.apply_batch(conn, ready)
        implausible += sum(1 for op in ready if abs(int(op["hlc"][:13]) - now_ms) > PLAUSIBLE_MS)
        conn.execute(
            "INSERT INTO sync_acks (device_id, acked) VALUES (?, ?) "
            "ON CONFLICT (device_id) DO UPDATE SET acked = excluded.acked",
            (replica, high),
        )
        held = conn.execute("SELECT COUNT(*) FROM sync_held WHERE device_id = ?", (replica,)).fetchone()[0]
    stats["implausible"] = stats.get("implausible", 0) + implausible
    return {
        "acked": high,
        "held": held,
        "results": [{"dseq": op["dseq"], "status": "ok" if op["dseq"] <= high else "held"} for op in checked],
    }


def _holding(conn, device_id: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM sync_held WHERE device_id = ? LIMIT 1", (device_id,)).fetchone()
        is not None
    )


def _authorised(scopes: _Scopes, peer: Peer, op: dict) -> dict:
    _authorise(scopes, peer, op)
    return dict(op, server_seq=None)


def _drain(conn, scopes: _Scopes, peer: Peer, replica: str, high: int, ready: list[dict]) -> int:
    while True:
        row = conn.execute(
            "SELECT op FROM sync_held WHERE device_id = ? AND dseq = ?", (replica, high + 1)
        ).fetchone()
        if row is None:
            return high
        ready.append(_authorised(scopes, peer, json.loads(row[0])))
        conn.execute("DELETE FROM sync_held WHERE device_id = ? AND dseq = ?", (replica, high + 1))
        high += 1


def pull(conn, peer: Peer, cursor: int, limit: int = 1000, *, replica: str | None = None) -> dict:
    """One page of ops in the peer's scope after ``cursor`` (by server_seq), not its own.

    "Its own" are the ops of the journal id the replica writes as now (``replica``, default
    the device's id): a replica restored from a backup gets back, from its older ids, the
    ops made after that backup. The answer's ``cursor`` is where the next page starts;
    ``more`` says whether one exists.
    """
    own = replica_of(conn, peer, replica)
    limit = max(1, min(int(limit), protocol.MAX_PAGE))
    columns = ", ".join(f"o.{c.strip()}" for c in OP_COLUMNS.split(","))
    rows = conn.execute(
        f"SELECT {columns} FROM sync_ops o JOIN sync_scope s ON s.tbl = o.tbl AND s.row_id = o.row_id "
        "WHERE o.server_seq > ? AND o.device_id != ? AND (? = '*' OR s.country = ?) "
        "AND (? = '*' OR s.org = ?) ORDER BY o.server_seq LIMIT ?",
        (cursor, own, peer.country, peer.country, peer.org, peer.org, limit + 1),
    ).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    if more:
        next_cursor = rows[-1][9]
    else:
        top = (
            conn.execute("SELECT MAX(server_seq) FROM sync_ops WHERE server_seq IS NOT NULL").fetchone()[0]
            or 0
        )
        next_cursor = max(cursor, top)
    return {"ops": [protocol.wire_op(op_from_row(r)) for r in rows], "cursor": next_cursor, "more": more}


def blob_in_scope(conn, peer: Peer, sha256: str) -> bool:
    """Whether an attachment in the peer's scope refers to this blob."""
    row = conn.execute(
        "SELECT 1 FROM attachments a JOIN sync_scope s ON s.tbl = 'attachments' AND s.row_id = a.id "
        "WHERE a.sha256 = ? AND (? = '*' OR s.country = ?) AND (? = '*' OR s.org = ?) LIMIT 1",
        (sha256, peer.country, peer.country, peer.org, peer.org),
    ).fetchone()
    return row is not None
