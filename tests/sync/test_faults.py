"""Sync through a fault-injecting proxy (cut connections, cuts inside responses, delay): it
completes, nothing is lost, nothing is duplicated. The full 2G-like scenario (50 kbit/s,
500 ms, 30 % resets, 1,000 issues) is bench/sync_faults.py; this one takes seconds."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import pytest

from fieldkit import create_app
from fieldkit.central import queries as central_queries
from fieldkit.db import connect
from fieldkit.server import make_server
from fieldkit.views.sync import open_client
from sync import merge

from .replicas import edit, new_issue, snapshot

pytestmark = pytest.mark.slow

spec = importlib.util.spec_from_file_location(
    "sync_proxy", Path(__file__).resolve().parents[2] / "bench" / "sync_proxy.py"
)
sync_proxy = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sync_proxy)


@pytest.fixture
def central_url(tmp_path):
    app = create_app({"DATA_DIR": tmp_path / "central", "ROLE": "central"})
    server = make_server(app, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    app.config["TEST_PORT"] = server.effective_port
    yield app, server.effective_port
    server.close()
    thread.join(timeout=5)


def device(tmp_path, central_app, name, url):
    app = create_app({"DATA_DIR": tmp_path / name, "COUNTRY": "KE"})
    conn = connect(app.config["DATABASE"])
    hub = connect(central_app.config["DATABASE"])
    code = central_queries.create_code(hub, "kolwa-youth", "KE")
    hub.close()
    # Enrolled over a clean link: a code works once, so an enrolment whose answer a cut lost
    # needs an admin's re-enrolment code; the faults under test are those of syncing.
    direct = f"http://127.0.0.1:{central_app.config['TEST_PORT']}"
    with open_client(app.config, conn, direct) as client:
        client.enroll(code, url)
    return app, conn


def test_sync_through_cuts_and_delays_loses_and_duplicates_nothing(tmp_path, central_url):
    central_app, port = central_url
    with (
        sync_proxy.FaultProxy(("127.0.0.1", port), latency=0.01, reset_share=0.35, seed=7) as flaky,
        sync_proxy.FaultProxy(("127.0.0.1", port), latency=0.01, reset_every=6 * 1024, seed=8) as choppy,
    ):
        app_a, a = device(tmp_path, central_app, "a", flaky.url)
        app_b, b = device(tmp_path, central_app, "b", choppy.url)
        rows = [new_issue(a, f"Issue {n}", description="The pump is broken. " * 8) for n in range(80)]

        def sync(app, conn):
            with open_client(app.config, conn) as client:
                client.sleep = lambda seconds: None  # no back-off waits in a test
                return client.sync()

        assert sync(app_a, a).sent == 80
        assert sync(app_b, b).received == 80
        for row in rows[:8]:
            edit(a, row, title="Edited on A")
            edit(b, row, title="Edited on B")
        sync(app_a, a)
        assert sync(app_b, b).conflicts == 8
        sync(app_a, a)
        assert flaky.resets > 0 and choppy.resets > 0
    hub = connect(central_app.config["DATABASE"])
    states = [snapshot(conn) for conn in (a, b, hub)]
    for state in states[1:]:
        for key in ("issues", "dots", "conflicts", "ops"):
            assert state[key] == states[0][key], key
    assert len(states[0]["issues"]) == 80
    assert len(states[0]["ops"]) == 80 + 16  # every op once: none lost, none duplicated
    assert merge.count_conflicts(hub) == 8
    for conn in (a, b, hub):
        conn.close()
