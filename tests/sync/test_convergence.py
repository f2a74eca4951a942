"""The sync state machine (DESIGN §5.8): three devices and a server through edits, deletes,
resolutions, partial syncs, duplicated/dropped/reordered/truncated batches, crashes and clock
jumps, and concurrent pushes and pulls: a page fetched now and merged after other pushes and
local edits, a batch read now and delivered later, and a push by another device committing
(on its own connection to central's file) in the middle of a pull's page read. After
everything syncs, every replica is identical, no op is lost, and conflicts only ever hold ops
that were truly concurrent."""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from fieldkit.db import connect, transaction
from sync import journal, merge, server
from sync.ids import dot, uuid7

from .replicas import central, clock, edit, fresh, new_issue, own_ops, peer, snapshot

DEVICES = 3
FIELDS = st.sampled_from(["title", "description", "status", "severity"])
VALUES = {
    "title": st.sampled_from(["Pump", "Clinic", "Road"]),
    "description": st.sampled_from(["", "broken", "fixed"]),
    "status": st.sampled_from(["reported", "verified", "resolved"]),
    "severity": st.integers(1, 4),
}
YEAR_MS = 365 * 24 * 3600 * 1000


class Crash(Exception):
    """The device lost power in the middle of a step."""


class RacingConnection:
    """Central's connection for one pull, running ``race`` (another device's push on another
    connection) right after the pull's page query: the window in which a push once moved a
    device's cursor past ops it never received."""

    def __init__(self, conn, race):
        self._conn = conn
        self._race = race
        self._armed = False

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def execute(self, sql, *args):
        if self._armed:
            self._armed = False
            self._race()
        cursor = self._conn.execute(sql, *args)
        if "FROM sync_ops o" in sql:
            self._armed = True
        return cursor


class SyncMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Central on a file, so another connection can commit a push while a pull reads.
        self.folder = tempfile.mkdtemp(prefix="fieldkit-sync-machine-")
        self.hub = central(os.path.join(self.folder, "central.db"))
        self.other_hub = connect(os.path.join(self.folder, "central.db"))
        self.pending_pulls: dict[int, tuple[int, dict]] = {}  # device -> (cursor asked, page)
        self.pending_pushes: dict[int, list[dict]] = {}  # device -> batch read, not yet delivered
        self.devices = [fresh() for _ in range(DEVICES)]
        self.peers = [peer(d) for d in self.devices]
        self.pushed = [0] * DEVICES  # what each device believes the server acknowledged
        self.offsets = [0] * DEVICES
        self.rows: list[str] = []
        self.seen_before: dict[str, set[str]] = {}  # op dot -> every op its replica had applied

    # -- local changes -------------------------------------------------------------

    def _known(self, conn) -> set[str]:
        return {dot(d, s) for d, s in conn.execute("SELECT device_id, dseq FROM sync_ops")}

    def _record(self, conn, made):
        if made:
            self.seen_before[made] = self._known(conn) - {made}

    def _has(self, conn, row) -> bool:
        return conn.execute("SELECT 1 FROM issues WHERE id = ?", (row,)).fetchone() is not None

    @rule(i=st.integers(0, DEVICES - 1), title=VALUES["title"])
    def create(self, i, title):
        conn = self.devices[i]
        with clock(self.offsets[i]):
            row = new_issue(conn, title)
        self.rows.append(row)
        self._record(conn, dot(journal.device_id(conn), int(journal.replica_value(conn, "dseq"))))

    @precondition(lambda self: self.rows)
    @rule(i=st.integers(0, DEVICES - 1), r=st.integers(0, 50), data=st.data())
    def edit(self, i, r, data):
        conn, row = self.devices[i], self.rows[r % len(self.rows)]
        if not self._has(conn, row):
            return
        field = data.draw(FIELDS)
        with clock(self.offsets[i]):
            made = edit(conn, row, **{field: data.draw(VALUES[field])})
        self._record(conn, made)

    @precondition(lambda self: self.rows)
    @rule(i=st.integers(0, DEVICES - 1), r=st.integers(0, 50), restore=st.booleans())
    def delete_or_restore(self, i, r, restore):
        conn, row = self.devices[i], self.rows[r % len(self.rows)]
        if not self._has(conn, row):
            return
        with clock(self.offsets[i]), transaction(conn):
            made = (journal.restore if restore else journal.delete)(conn, "issues", row)
        self._record(conn, made)

    @precondition(lambda self: self.rows)
    @rule(i=st.integers(0, DEVICES - 1), r=st.integers(0, 50))
    def add_event(self, i, r):
        conn, row = self.devices[i], self.rows[r % len(self.rows)]
        issue = conn.execute("SELECT org, country FROM issues WHERE id = ?", (row,)).fetchone()
        if issue is None:
            return
        with clock(self.offsets[i]), transaction(conn):
            made = journal.create(
                conn,
                "issue_events",
                {
                    "id": uuid7(),
                    "created_at": "2026-03-02T00:00:00Z",
                    "org": issue[0],
                    "country": issue[1],
                    "issue_id": row,
                    "kind": "note",
                    "occurred_on": "2026-03-02",
                    "note": "visited",
                },
            )
        self._record(conn, made)

    @rule(i=st.integers(0, DEVICES), k=st.integers(0, 5), pick=st.integers(0, 3))
    def resolve(self, i, k, pick):
        conn = self.hub if i == DEVICES else self.devices[i]
        conflicts = merge.open_conflicts(conn)
        if not conflicts:
            return
        conflict = conflicts[k % len(conflicts)]
        candidates = conflict["candidates"]
        value = candidates[pick % len(candidates)]["value"] if pick < 3 else "merged by hand"
        if conflict["field"] == "severity" and pick == 3:
            value = 2
        if conflict["field"] == "deleted":
            value = candidates[pick % len(candidates)]["value"]
        offset = self.offsets[i] if i < DEVICES else 0
        with clock(offset), transaction(conn):
            made = merge.resolve(conn, conflict["tbl"], conflict["row_id"], conflict["field"], value)
        self._record(conn, made)

    @rule(i=st.integers(0, DEVICES - 1), jump=st.sampled_from([-YEAR_MS, -3600_000, 0, 3600_000, YEAR_MS]))
    def clock_jump(self, i, jump):
        self.offsets[i] = jump

    # -- the network -----------------------------------------------------------------

    @rule(
        i=st.integers(0, DEVICES - 1),
        size=st.integers(1, 6),
        fault=st.sampled_from(
            ["none", "duplicate", "reorder", "drop_request", "drop_answer", "truncate_front"]
        ),
        seed=st.integers(0, 1000),
    )
    def push(self, i, size, fault, seed):
        conn = self.devices[i]
        batch = own_ops(conn, self.pushed[i])[:size]
        if not batch:
            return
        if fault == "drop_request":
            return
        if fault == "reorder":
            random.Random(seed).shuffle(batch)
        if fault == "truncate_front" and len(batch) > 1:
            batch = batch[1:]  # the first op got lost: later ones must be held, not skipped
        answer = server.push(self.hub, self.peers[i], batch)
        if fault == "duplicate":
            again = server.push(self.hub, self.peers[i], batch)
            assert again == answer
        if fault != "drop_answer":
            self.pushed[i] = max(self.pushed[i], answer["acked"])

    @rule(i=st.integers(0, DEVICES - 1), page=st.integers(1, 8), crash_at=st.integers(-1, 8))
    def pull(self, i, page, crash_at):
        conn = self.devices[i]
        cursor = int(journal.replica_value(conn, "pull_cursor", "0") or 0)
        answer = server.pull(self.hub, self.peers[i], cursor, page)
        try:
            with transaction(conn):
                for n, op in enumerate(answer["ops"]):
                    if n == crash_at:
                        raise Crash()
                    merge.apply_remote(conn, op)
                journal.set_replica_value(conn, "pull_cursor", str(answer["cursor"]))
        except Crash:
            pass

    # -- concurrent pushes and pulls ---------------------------------------------------

    @rule(i=st.integers(0, DEVICES - 1), page=st.integers(1, 8))
    def pull_fetch(self, i, page):
        """A page is fetched now (the client's read-ahead) and merged by a later step."""
        conn = self.devices[i]
        cursor = int(journal.replica_value(conn, "pull_cursor", "0") or 0)
        self.pending_pulls[i] = (cursor, server.pull(self.hub, self.peers[i], cursor, page))

    @precondition(lambda self: self.pending_pulls)
    @rule(k=st.integers(0, DEVICES - 1))
    def pull_merge(self, k):
        """Merge a page fetched earlier, after whatever happened since; a page that no longer
        starts at the device's cursor is dropped, as the client drops a stale read-ahead."""
        i = sorted(self.pending_pulls)[k % len(self.pending_pulls)]
        asked, answer = self.pending_pulls.pop(i)
        conn = self.devices[i]
        if int(journal.replica_value(conn, "pull_cursor", "0") or 0) != asked:
            return
        with transaction(conn):
            for op in answer["ops"]:
                merge.apply_remote(conn, op)
            journal.set_replica_value(conn, "pull_cursor", str(answer["cursor"]))

    @rule(i=st.integers(0, DEVICES - 1), size=st.integers(1, 6))
    def push_read(self, i, size):
        """A batch is read now and delivered by a later step (edits go on meanwhile)."""
        batch = own_ops(self.devices[i], self.pushed[i])[:size]
        if batch:
            self.pending_pushes[i] = batch

    @precondition(lambda self: self.pending_pushes)
    @rule(k=st.integers(0, DEVICES - 1))
    def push_deliver(self, k):
        i = sorted(self.pending_pushes)[k % len(self.pending_pushes)]
        answer = server.push(self.hub, self.peers[i], self.pending_pushes.pop(i))
        self.pushed[i] = max(self.pushed[i], answer["acked"])

    @rule(i=st.integers(0, DEVICES - 1), j=st.integers(0, DEVICES - 1), page=st.integers(1, 8))
    def pull_while_another_push_commits(self, i, j, page):
        """Device j's push commits, on its own connection, between the reads of device i's pull."""
        conn = self.devices[i]
        batch = own_ops(self.devices[j], self.pushed[j])

        def race():
            if batch:
                answer = server.push(self.other_hub, self.peers[j], batch)
                self.pushed[j] = max(self.pushed[j], answer["acked"])

        cursor = int(journal.replica_value(conn, "pull_cursor", "0") or 0)
        answer = server.pull(RacingConnection(self.hub, race), self.peers[i], cursor, page)
        with transaction(conn):
            for op in answer["ops"]:
                merge.apply_remote(conn, op)
            journal.set_replica_value(conn, "pull_cursor", str(answer["cursor"]))

    # -- what must always hold ------------------------------------------------------

    @invariant()
    def sequences_stay_gapless(self):
        for conn in self.devices:
            dseqs = [
                r[0]
                for r in conn.execute(
                    "SELECT dseq FROM sync_ops WHERE device_id = ? ORDER BY dseq", (journal.device_id(conn),)
                )
            ]
            assert dseqs == list(range(1, len(dseqs) + 1))

    def teardown(self):
        try:
            self._quiesce_and_check()
        finally:
            for conn in (self.hub, self.other_hub, *self.devices):
                conn.close()
            shutil.rmtree(self.folder, ignore_errors=True)

    def _quiesce_and_check(self):
        for _round in range(2):
            for i, conn in enumerate(self.devices):
                answer = server.push(
                    self.hub, self.peers[i], own_ops(conn, server.acked(self.hub, self.peers[i].device_id))
                )
                assert answer["held"] == 0
                while True:
                    cursor = int(journal.replica_value(conn, "pull_cursor", "0") or 0)
                    page = server.pull(self.hub, self.peers[i], cursor, 100)
                    with transaction(conn):
                        for op in page["ops"]:
                            merge.apply_remote(conn, op)
                        journal.set_replica_value(conn, "pull_cursor", str(page["cursor"]))
                    if not page["more"]:
                        break
        states = [snapshot(conn) for conn in (self.hub, *self.devices)]
        made = set(self.seen_before)
        for state in states:
            assert {dot(d, s) for d, s in state["ops"]} == made, "an op was lost or invented"
            for key in ("issues", "issue_events", "dots", "conflicts"):
                assert state[key] == states[0][key], key
        writes = {
            dot(device, dseq): set(json.loads(fields))
            for device, dseq, fields in self.hub.execute("SELECT device_id, dseq, fields FROM sync_ops")
        }
        for _table, _row, field, dots in states[0]["conflicts"]:
            for a in dots:
                for b in dots:
                    if a == b:
                        continue
                    if field == "deleted" and "deleted" not in writes[a] and "deleted" not in writes[b]:
                        # A delete racing edits lists every edit it did not see; those edits set
                        # other fields and are not rivals of one another, only of the delete.
                        continue
                    assert a not in self.seen_before[b], f"{a} was known to {b}: not concurrent"


SyncMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("SYNC_MACHINE_EXAMPLES", "25")),
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_replicas_converge_with_no_op_lost = SyncMachine.TestCase
