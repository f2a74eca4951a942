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

from . import checks, consent, journal, merge, protocol
from .errors import Forbidden, ProtocolError, TooLarge
from .journal import snapshot, transaction
from .merge import OP_COLUMNS, op_from_row
from .schema import EVERY_ORG, Refused

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS sync_acks (device_id TEXT PRIMARY KEY, acked INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS sync_held (device_id TEXT NOT NULL, dseq INTEGER NOT NULL, "
    "op TEXT NOT NULL, PRIMARY KEY (device_id, dseq)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS sync_scope (tbl TEXT NOT NULL, row_id TEXT NOT NULL, org TEXT NOT NULL, "
    "country TEXT NOT NULL, PRIMARY KEY (tbl, row_id)) WITHOUT ROWID",
    # On devices: blobs the server confirmed it holds, so "photos waiting" is one query.
    "CREATE TABLE IF NOT EXISTS sync_blobs_sent (sha256 TEXT PRIMARY KEY) WITHOUT ROWID",
    # Ops central refused, with the reason: acknowledged, never applied, answered the same on replay.
    "CREATE TABLE IF NOT EXISTS sync_refused (device_id TEXT NOT NULL, dseq INTEGER NOT NULL, "
    "tbl TEXT NOT NULL, row_id TEXT NOT NULL, kind TEXT NOT NULL, code TEXT NOT NULL, field TEXT, "
    "reason TEXT NOT NULL, op TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (device_id, dseq))",
    "CREATE INDEX IF NOT EXISTS sync_refused_row ON sync_refused (tbl, row_id)",
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


#: An observed time further than this from central's clock is implausible.
PLAUSIBLE_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class Peer:
    """An authenticated device: its id, the scope its enrolment grants ("*" = any), and what
    else it may write (``grants``: names that record types' ``writers`` ask for)."""

    device_id: str
    org: str
    country: str
    grants: frozenset = frozenset()

    def covers(self, org: str, country: str) -> bool:
        """Whether a row of ``org`` and ``country`` is in this scope (org ``*``: every org's row)."""
        return (self.org == "*" or org in (self.org, EVERY_ORG)) and (
            self.country == "*" or self.country == country
        )


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


def _stored(conn, device_id: str, dseq: int) -> tuple[dict | None, dict | None]:
    """The op central holds under this id (applied, refused or held) and its refusal, if any."""
    row = conn.execute(
        f"SELECT {OP_COLUMNS} FROM sync_ops WHERE device_id = ? AND dseq = ?", (device_id, dseq)
    ).fetchone()
    if row:
        return op_from_row(row), None
    row = conn.execute(
        "SELECT op, code, field, reason FROM sync_refused WHERE device_id = ? AND dseq = ?", (device_id, dseq)
    ).fetchone()
    if row:
        return json.loads(row[0]), {"code": row[1], "field": row[2], "reason": row[3]}
    row = conn.execute(
        "SELECT op FROM sync_held WHERE device_id = ? AND dseq = ?", (device_id, dseq)
    ).fetchone()
    return (json.loads(row[0]), None) if row else (None, None)


def _same_op(a: dict, b: dict) -> bool:
    """Whether two ops with one id are the same change (personal fields erased since aside)."""
    if (
        isinstance(a.get("fields"), dict)
        and isinstance(b.get("fields"), dict)
        and isinstance(a.get("tbl"), str)
    ):
        declared = consent.DECLARED.get(a["tbl"])
        if declared:
            a = dict(a, fields=consent._blank(declared, a["fields"]))
            b = dict(b, fields=consent._blank(declared, b["fields"]))
    return all(a.get(key) == b.get(key) for key in IDENTITY) and a.get("author", "") == b.get("author", "")


#: What makes two ops with one id the same op.
IDENTITY = ("tbl", "row_id", "kind", "fields", "base", "hlc")


def _envelope(op, replica: str) -> int:
    """The dseq of an op of ``replica``; a batch with anything else is refused whole."""
    if not isinstance(op, dict) or op.get("device_id") != replica:
        raise Forbidden("an op names another device")
    dseq = op.get("dseq")
    if not (isinstance(dseq, int) and not isinstance(dseq, bool) and 0 < dseq < 1 << 62):
        raise ProtocolError("an op has no valid dseq")
    return dseq


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
    dseq is checked (:func:`sync.checks.check_op`: declaration, parent, scope, files) and
    then either merged and numbered, or refused and recorded with its reason; both move the
    acked dseq on, so one bad op never stops the rest. Ops beyond a gap are held (at most
    :data:`MAX_HELD` per journal; more are answered "later" and sent again); held ops are
    drained as soon as the gap closes. An op id already decided is answered as it was, or
    refused as ``op-id-reused`` if its content differs (nothing changes). The answer depends
    only on the stored state, so a replayed batch gets the same answer and changes nothing.
    ``stats["implausible"]`` counts ops whose observed time is far from central's clock.

    :raises ProtocolError: not a list of ops of one journal, or an oversized batch (nothing applied).
    :raises AuthError: a journal id this device does not own (nothing applied).
    """
    if not isinstance(ops, list):
        raise ProtocolError("ops must be a list")
    if len(ops) > protocol.MAX_BATCH_OPS:
        raise TooLarge(f"a batch may carry at most {protocol.MAX_BATCH_OPS} ops")
    replica = replica_of(conn, peer, replica)
    by_dseq: dict[int, list] = {}
    for op in ops:
        by_dseq.setdefault(_envelope(op, replica), []).append(op)
    now_ms = now_ms if now_ms is not None else time.time_ns() // 1_000_000
    stats = stats if stats is not None else {}
    results: dict[int, dict] = {}
    with transaction(conn):
        high = acked(conn, replica)
        held = conn.execute("SELECT COUNT(*) FROM sync_held WHERE device_id = ?", (replica,)).fetchone()[0]
        ready: list[dict] = []
        scopes = checks.Scopes(conn, [op for group in by_dseq.values() for op in group])
        for dseq in sorted(by_dseq):
            op, *others = by_dseq[dseq]
            if any(not _same_op(op, other) for other in others):
                results[dseq] = _result(dseq, "refused", _reused())
                continue
            if dseq <= high or (held and _is_held(conn, replica, dseq)):
                results[dseq] = _replayed(conn, replica, dseq, op, high)
                continue
            if dseq == high + 1:
                results[dseq] = _decide(conn, scopes, peer, op, ready)
                high += 1
                if held:
                    high, drained = _drain(conn, scopes, peer, replica, high, ready, results)
                    held -= drained
            elif held < MAX_HELD:
                conn.execute(
                    "INSERT INTO sync_held (device_id, dseq, op) VALUES (?, ?, ?)",
                    (replica, dseq, json.dumps(op)),  # ASCII: a lone surrogate stays escaped until checked
                )
                held += 1
                results[dseq] = _result(dseq, "held")
            else:
                results[dseq] = _result(dseq, "later")
        # Checked in dseq order above, merged in that order here (scopes first, so the
        # sequencer's trigger keeps the scope the check gave a create).
        scopes.save()
        merge.apply_batch(conn, ready)
        conn.execute(
            "INSERT INTO sync_acks (device_id, acked) VALUES (?, ?) "
            "ON CONFLICT (device_id) DO UPDATE SET acked = excluded.acked",
            (replica, high),
        )
    implausible = sum(1 for op in ready if abs(int(op["hlc"][:13]) - now_ms) > PLAUSIBLE_MS)
    stats["implausible"] = stats.get("implausible", 0) + implausible
    stats["refused"] = stats.get("refused", 0) + sum(1 for r in results.values() if r["status"] == "refused")
    return {"acked": high, "held": held, "results": [results[d] for d in sorted(results)]}


#: Ops one journal may have waiting behind a gap; more are answered "later".
MAX_HELD = 10_000


def _result(dseq: int, status: str, refusal: dict | None = None) -> dict:
    return {"dseq": dseq, "status": status, **(refusal or {})}


def _reused() -> dict:
    return {
        "code": "op-id-reused",
        "field": None,
        "reason": "this op id was already used for a different change",
    }


def _is_held(conn, replica: str, dseq: int) -> bool:
    return (
        conn.execute("SELECT 1 FROM sync_held WHERE device_id = ? AND dseq = ?", (replica, dseq)).fetchone()
        is not None
    )


def _replayed(conn, replica: str, dseq: int, op: dict, high: int) -> dict:
    """The answer for an op id central has seen: as first decided, or refused if it changed."""
    stored, refusal = _stored(conn, replica, dseq)
    if stored is None:
        return _result(dseq, "ok")  # decided and since compacted: nothing to compare
    if not _same_op(op, stored):
        return _result(dseq, "refused", _reused())
    if refusal:
        return _result(dseq, "refused", refusal)
    return _result(dseq, "ok" if dseq <= high else "held")


def _decide(conn, scopes: checks.Scopes, peer: Peer, op: dict, ready: list[dict]) -> dict:
    """Check the next op in sequence: ready to merge, or refused and recorded.

    A placeholder for an op the device keeps to itself (a record outside its scope the user
    chose to keep on the device) only moves the sequence on: nothing is stored.
    """
    if journal.is_placeholder(op):
        return _result(op["dseq"], "withheld")
    try:
        checked = checks.check_op(conn, scopes, peer, op)
    except Refused as refusal:
        conn.execute(
            "INSERT OR REPLACE INTO sync_refused (device_id, dseq, tbl, row_id, kind, code, field, reason, op, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
            (
                op["device_id"],
                op["dseq"],
                _printable(op.get("tbl"), 80),
                _printable(op.get("row_id"), 80),
                _printable(op.get("kind"), 20),
                refusal.code,
                _printable(refusal.field, 80) if refusal.field else None,
                _printable(refusal.reason, 500),
                json.dumps(op),  # ASCII: a lone surrogate stays escaped
            ),
        )
        return _result(op["dseq"], "refused", refusal.as_dict())
    ready.append(dict(checked, server_seq=None))
    return _result(op["dseq"], "ok")


def _printable(value, limit: int) -> str:
    """Text safe to store and show whatever a sender put in it."""
    return str(value if value is not None else "")[:limit].encode("utf-8", "replace").decode("utf-8")


def _drain(
    conn, scopes, peer: Peer, replica: str, high: int, ready: list[dict], results: dict
) -> tuple[int, int]:
    drained = 0
    while True:
        row = conn.execute(
            "SELECT op FROM sync_held WHERE device_id = ? AND dseq = ?", (replica, high + 1)
        ).fetchone()
        if row is None:
            return high, drained
        conn.execute("DELETE FROM sync_held WHERE device_id = ? AND dseq = ?", (replica, high + 1))
        results[high + 1] = _decide(conn, scopes, peer, json.loads(row[0]), ready)
        high += 1
        drained += 1


def pull(conn, peer: Peer, cursor: int, limit: int = 1000, *, replica: str | None = None) -> dict:
    """One page of ops in the peer's scope after ``cursor`` (by server_seq), not its own.

    "Its own" are the ops of the journal id the replica writes as now (``replica``, default
    the device's id): a replica restored from a backup gets back, from its older ids, the
    ops made after that backup. The answer's ``cursor`` is where the next page starts;
    ``more`` says whether one exists.

    The page and the cursor come from one read transaction: a push that commits while the
    page is read is either wholly in it or wholly after the cursor, never skipped. (Ops are
    numbered inside the push's write transaction, and writes are serial, so every snapshot
    holds a gap-free prefix of server_seq.)
    """
    own = replica_of(conn, peer, replica)
    cursor = max(0, min(int(cursor), protocol.MAX_SEQ))
    limit = max(1, min(int(limit), protocol.MAX_PAGE))
    columns = ", ".join(f"o.{c.strip()}" for c in OP_COLUMNS.split(","))
    everyones = json.dumps(journal.RECORDS.global_tables() if journal.RECORDS else [])
    with snapshot(conn):
        rows = conn.execute(
            f"SELECT {columns} FROM sync_ops o JOIN sync_scope s ON s.tbl = o.tbl AND s.row_id = o.row_id "
            "WHERE o.server_seq > ? AND o.device_id != ? AND (o.tbl IN (SELECT value FROM json_each(?)) "
            "OR ((? = '*' OR s.country = ?) AND (? = '*' OR s.org = ? OR s.org = '*'))) ORDER BY o.server_seq LIMIT ?",
            (cursor, own, everyones, peer.country, peer.country, peer.org, peer.org, limit + 1),
        ).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        if more:
            next_cursor = rows[-1][9]
        else:
            top = conn.execute(
                "SELECT MAX(server_seq) FROM sync_ops WHERE server_seq IS NOT NULL"
            ).fetchone()[0]
            next_cursor = max(cursor, top or 0)
    return {"ops": [protocol.wire_op(op_from_row(r)) for r in rows], "cursor": next_cursor, "more": more}


def blob_in_scope(conn, peer: Peer, sha256: str) -> bool:
    """Whether a record in the peer's scope refers to this stored file."""
    for table, column in journal.RECORDS.file_tables() if journal.RECORDS else ():
        row = conn.execute(
            f"SELECT 1 FROM [{table}] a JOIN sync_scope s ON s.tbl = ? AND s.row_id = a.id "
            f"WHERE a.[{column}] = ? AND (? = '*' OR s.country = ?) AND (? = '*' OR s.org IN (?, '*')) LIMIT 1",
            (table, sha256, peer.country, peer.country, peer.org, peer.org),
        ).fetchone()
        if row is not None:
            return True
    return False
