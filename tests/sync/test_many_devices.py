"""Twenty devices of one scope sync at the same time, as separate ``fieldkit sync`` processes
against a real central process, for several rounds while new records keep being made; after a
quiet sync each, every device holds exactly its scope's records, counted (DESIGN §5.4).

A device of another country syncs in the same rounds, so "exactly" also means nothing from
outside the scope arrives."""

from __future__ import annotations

import time

import pytest

from fieldkit.db import connect
from fieldkit.queries.events import add_event
from fieldkit.queries.issues import create_issue, get_issue

from .processes import Central, finish, start

pytestmark = pytest.mark.slow

DEVICES = 20
ROUNDS = 3
#: New issues per device before each round (and one more while its sync runs).
PER_ROUND = 3


def make_issues(data, label: str, n: int, *, org="kolwa-youth", country="KE") -> set[str]:
    """Record ``n`` issues on a device through the app's own query functions; every other one gets
    a timeline event, so children travel with their parents."""
    conn = connect(data / "fieldkit.db")
    made = set()
    try:
        for k in range(n):
            issue_id = create_issue(
                conn, {"title": f"{label} issue {k}", "sector": "water", "country": country}, org=org
            )
            made.add(issue_id)
            if k % 2 == 0:
                add_event(
                    conn,
                    get_issue(conn, issue_id),
                    {"kind": "note", "occurred_on": "2026-03-02", "note": label},
                )
    finally:
        conn.close()
    return made


def ids(conn, table: str, where: str = "1", args=()) -> set[str]:
    return {r[0] for r in conn.execute(f"SELECT id FROM [{table}] WHERE {where}", args)}


def wait_all(processes, what: str) -> None:
    for name, process in processes:
        code, out, err = finish(process)
        assert code == 0, f"{what} of {name} failed: {err}{out}"


def test_twenty_devices_syncing_at_once_each_end_with_exactly_the_scopes_records(tmp_path):
    started = time.monotonic()
    central = Central(tmp_path / "central", tmp_path / "central.log")
    central.start()
    devices = [tmp_path / f"device{n:02}" for n in range(DEVICES)]
    ghana = tmp_path / "ghana"
    try:
        enrolments = [(d.name, start(d, "enroll", central.url, central.code())) for d in devices]
        enrolments.append(("ghana", start(ghana, "enroll", central.url, central.code("tamale", "GH"))))
        wait_all(enrolments, "enrolment")

        made: set[str] = set()
        foreign: set[str] = set()
        for round_ in range(ROUNDS):
            for d in devices:
                made |= make_issues(d, f"{d.name} r{round_}", PER_ROUND)
            foreign |= make_issues(ghana, f"ghana r{round_}", PER_ROUND, org="tamale", country="GH")
            syncs = [(d.name, start(d, "sync", "--quiet")) for d in (*devices, ghana)]
            # People keep recording while their device syncs.
            for d in devices[::3]:
                made |= make_issues(d, f"{d.name} during r{round_}", 1)
            wait_all(syncs, f"round {round_} sync")

        for d in (*devices, ghana):
            wait_all([(d.name, start(d, "sync", "--quiet"))], "quiet sync")

        hub = central.db()
        scope = ids(hub, "issues", "org = ? AND country = ?", ("kolwa-youth", "KE"))
        scope_events = ids(hub, "issue_events", "org = ? AND country = ?", ("kolwa-youth", "KE"))
        assert scope == made, "central lost or invented records"
        assert ids(hub, "issues", "country = 'GH'") == foreign
        hub.close()
        short = {}
        for d in devices:
            conn = connect(d / "fieldkit.db")
            held = ids(conn, "issues")
            count = conn.execute("SELECT COUNT(*) FROM issues").fetchone()[0]
            events = ids(conn, "issue_events")
            pending = conn.execute("SELECT COUNT(*) FROM sync_set_aside").fetchone()[0]
            conn.close()
            if held != scope or count != len(scope) or events != scope_events or pending:
                short[d.name] = (len(scope - held), len(held - scope), len(scope_events - events), pending)
        assert not short, f"devices short or over (missing, extra, missing events, set aside): {short}"
        conn = connect(ghana / "fieldkit.db")
        assert ids(conn, "issues") == foreign
        conn.close()
    finally:
        central.stop()
    print(f"{DEVICES} devices x {ROUNDS} rounds, {len(made)} issues: {time.monotonic() - started:.1f} s")
