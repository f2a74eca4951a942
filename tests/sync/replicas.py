"""In-process replicas for sync tests: devices and a central sequencer on in-memory databases."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time

from fieldkit import records  # noqa: F401 - registers the synced tables
from fieldkit.db import connect, transaction
from fieldkit.migrations import migrate
from sync import ids, journal, merge, server
from sync.ids import uuid7
from sync.merge import OP_COLUMNS, op_from_row
from sync.protocol import wire_op

ORG, COUNTRY = "kolwa-youth", "KE"


def fresh(path=":memory:") -> sqlite3.Connection:
    conn = connect(path)
    migrate(conn)
    return conn


def central(path=":memory:") -> sqlite3.Connection:
    conn = fresh(path)
    with transaction(conn):
        server.install_central(conn)
    return conn


@contextlib.contextmanager
def clock(offset_ms: int):
    """Run with this process's wall clock moved by ``offset_ms`` (as seen by the journal)."""
    real = time.time_ns

    class Shifted:
        @staticmethod
        def time_ns():
            return real() + offset_ms * 1_000_000

    saved = ids.time
    ids.time = Shifted
    try:
        yield
    finally:
        ids.time = saved


def peer(conn, org=ORG, country=COUNTRY) -> server.Peer:
    return server.Peer(journal.device_id(conn), org, country)


def new_issue(conn, title="Borehole broken", *, org=ORG, country=COUNTRY, author="", **extra) -> str:
    row_id = uuid7()
    with transaction(conn):
        journal.create(
            conn,
            "issues",
            {
                "id": row_id,
                "created_at": "2026-03-01T10:00:00Z",
                "org": org,
                "country": country,
                "ref": f"{country}-{row_id[-4:]}",
                "title": title,
                "sector": "water",
                **extra,
            },
            author=author,
        )
    return row_id


def edit(conn, row_id, author="", **changes):
    with transaction(conn):
        return journal.update(conn, "issues", row_id, changes, author=author)


def own_ops(conn, after=0) -> list[dict]:
    device = journal.device_id(conn)
    rows = conn.execute(
        f"SELECT {OP_COLUMNS} FROM sync_ops WHERE device_id = ? AND dseq > ? ORDER BY dseq", (device, after)
    ).fetchall()
    return [wire_op(op_from_row(r)) for r in rows]


def push_all(device, hub, who=None) -> dict:
    return server.push(
        hub, who or peer(device), own_ops(device, server.acked(hub, journal.device_id(device)))
    )


def pull_all(device, hub, who=None, page=50) -> int:
    who = who or peer(device)
    got = 0
    while True:
        cursor = int(journal.replica_value(device, "pull_cursor", "0") or 0)
        answer = server.pull(hub, who, cursor, page)
        with transaction(device):
            for op in answer["ops"]:
                got += merge.apply_remote(device, op)
            journal.set_replica_value(device, "pull_cursor", str(answer["cursor"]))
        if not answer["more"]:
            return got


def sync(device, hub, who=None) -> None:
    push_all(device, hub, who)
    pull_all(device, hub, who)


def snapshot(conn) -> dict:
    """Everything that must be identical on converged replicas."""
    state = {}
    for table in records.SYNCED_TABLES:
        state[table] = conn.execute(f"SELECT * FROM [{table}] ORDER BY id").fetchall()
    state["dots"] = conn.execute("SELECT tbl, row_id, dots FROM sync_rows ORDER BY tbl, row_id").fetchall()
    state["conflicts"] = [
        (t, r, f, sorted(c["dot"] for c in json.loads(cands)))
        for t, r, f, cands in conn.execute("SELECT * FROM sync_conflicts ORDER BY tbl, row_id, field")
    ]
    state["ops"] = conn.execute("SELECT device_id, dseq FROM sync_ops ORDER BY device_id, dseq").fetchall()
    return state
