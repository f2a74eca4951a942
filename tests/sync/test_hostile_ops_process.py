"""The hostile-ops world of test_hostile_ops.py against a real central process over HTTP
(httpx), with honest devices that sync through ``fieldkit sync`` processes: central never
answers 5xx, never stores a row or op that breaks its declaration, and the honest device and
one enrolled afterwards end with exactly central's state of their scope."""

from __future__ import annotations

import os

import httpx
import pytest

from fieldkit.db import connect
from fieldkit.queries.issues import create_issue
from sync import journal

from .processes import Central, fieldkit
from .test_hostile_ops import Hostile, assert_same_as_central, httpx_sender, run_hostile

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("SYNC_HOSTILE_PROCESS_EXAMPLES", "40"))


def record(data, title, org="kolwa-youth", country="KE"):
    conn = connect(data / "fieldkit.db")
    try:
        return create_issue(conn, {"title": title, "sector": "roads", "country": country}, org=org)
    finally:
        conn.close()


def test_hostile_and_broken_ops_over_http_to_a_real_central_never_5xx_and_others_converge(tmp_path):
    central = Central(tmp_path / "central", tmp_path / "central.log")
    central.start()
    ghana, bad, honest, late = (tmp_path / name for name in ("ghana", "bad", "honest", "late"))
    try:
        central.enroll(ghana, "tamale", "GH")
        central.enroll(bad)
        central.enroll(honest)
        for n in range(3):
            record(ghana, f"Ghana {n}", "tamale", "GH")
            record(honest, f"Honest {n}")
        fieldkit(ghana, "sync")
        fieldkit(honest, "sync")
        conn = connect(bad / "fieldkit.db")
        device_id, token = journal.device_id(conn), journal.replica_value(conn, "sync_token")
        conn.close()
        hub = central.db()
        made = []

        def honest_round():
            made.append(record(honest, f"Honest later {len(made)}"))
            out = fieldkit(honest, "sync").stdout
            assert "refused" not in out.lower() and "could not be applied" not in out, out

        with httpx.Client(base_url=central.url, timeout=60) as http:
            hostile = Hostile(httpx_sender(http), hub, device_id, token)
            run_hostile(hostile, honest_round, EXAMPLES)
        for _ in range(2):
            fieldkit(honest, "sync")
        central.enroll(late)
        fieldkit(late, "sync")
        for who in (honest, late):
            conn = connect(who / "fieldkit.db")
            assert conn.execute("SELECT COUNT(*) FROM sync_refusals").fetchone()[0] == 0
            assert_same_as_central(hub, conn, who.name)
            conn.close()
        hub.close()
        assert hostile.outcomes["ok"] > 0 and len(hostile.outcomes) > 4, hostile.outcomes
        assert "Traceback" not in central.log()
    finally:
        central.stop()
