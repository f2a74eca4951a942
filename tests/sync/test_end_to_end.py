"""End to end with real processes: a central server process and two device data folders driven
through the CLI over HTTP on 127.0.0.1 — enrol, create on both, conflicting edits, sync,
review, resolve, sync, identical. Also a bundle round trip and a cut-off revoked device."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import pytest

from fieldkit import create_app
from fieldkit.db import connect, transaction
from sync import journal, merge

from .replicas import snapshot

pytestmark = pytest.mark.slow

CLI = [sys.executable, "-c", "from fieldkit.cli import main; main()"]


def fieldkit(data, *args, check=True):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    done = subprocess.run(
        [*CLI, "--data", str(data), *args], capture_output=True, text=True, env=env, timeout=120
    )
    if check:
        assert done.returncode == 0, done.stderr + done.stdout
    return done


@pytest.fixture
def central_server(tmp_path):
    data = tmp_path / "central"
    fieldkit(data, "central", "init", "--admin", "admin", "--password", "correct horse")
    log = (tmp_path / "central.log").open("w")
    process = subprocess.Popen(
        [*CLI, "--data", str(data), "central", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    line = process.stdout.readline()
    match = re.search(r"(http://\S+)", line)
    try:
        assert match, line + (tmp_path / "central.log").read_text()
        yield data, match.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
        log.close()


def write_issues(path, titles):
    path.write_text("\n".join(json.dumps({"title": t, "sector": "water", "country": "KE"}) for t in titles))
    return path


def test_two_devices_enrol_conflict_review_resolve_and_end_identical(tmp_path, central_server):
    central, url = central_server
    a, b = tmp_path / "a", tmp_path / "b"
    for device in (a, b):
        code = fieldkit(
            central, "central", "enroll-code", "--org", "kolwa-youth", "--country", "KE"
        ).stdout.strip()
        assert "Enrolled" in fieldkit(device, "enroll", url, code).stdout
    fieldkit(a, "import", str(write_issues(tmp_path / "a.jsonl", ["Borehole broken", "Clinic closed"])))
    fieldkit(b, "import", str(write_issues(tmp_path / "b.jsonl", ["School roof leaking"])))
    assert "Sent 2 changes" in fieldkit(a, "sync").stdout
    out = fieldkit(b, "sync").stdout
    assert "Sent 1 changes and received 2" in out
    fieldkit(a, "sync")

    conns = {name: connect(path / "fieldkit.db") for name, path in (("a", a), ("b", b))}
    row = conns["a"].execute("SELECT id FROM issues WHERE title = 'Borehole broken'").fetchone()[0]
    for name, title in (("a", "Borehole broken since March"), ("b", "Borehole repaired badly")):
        with transaction(conns[name]):
            journal.update(conns[name], "issues", row, {"title": title}, author=name.upper())
    fieldkit(a, "sync")
    assert "1 disputed fields wait for review" in fieldkit(b, "sync").stdout
    fieldkit(a, "sync")
    for conn in conns.values():
        (conflict,) = merge.open_conflicts(conn)
        assert {c["value"] for c in conflict["candidates"]} == {
            "Borehole broken since March",
            "Borehole repaired badly",
        }

    # Review on device B through its own review queue page.
    app = create_app({"DATA_DIR": b, "TESTING": True})
    client = app.test_client()
    page = client.get("/sync/conflicts").get_data(as_text=True)
    assert "Borehole repaired badly" in page and "Borehole broken since March" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post(
        "/sync/conflicts/resolve",
        data={
            "csrf_token": token,
            "tbl": "issues",
            "row_id": row,
            "field": "title",
            "choice": "custom",
            "value": "Borehole broken since March, repaired badly",
        },
    )
    assert answer.status_code == 303
    fieldkit(b, "sync")
    fieldkit(a, "sync")
    hub = connect(central / "fieldkit.db")
    states = [snapshot(conn) for conn in (*conns.values(), hub)]
    for state in states[1:]:
        for key in ("issues", "dots", "conflicts", "ops"):
            assert state[key] == states[0][key], key
    assert hub.execute("SELECT title FROM issues WHERE id = ?", (row,)).fetchone()[0] == (
        "Borehole broken since March, repaired badly"
    )

    # A stolen device is cut off.
    device_b = journal.device_id(conns["b"])
    fieldkit(central, "central", "revoke", device_b)
    refused = fieldkit(b, "sync", check=False)
    assert refused.returncode != 0 and "revoked" in refused.stderr
    for conn in (*conns.values(), hub):
        conn.close()


def test_bundles_carry_sync_without_a_network_and_twice_changes_nothing(tmp_path, central_server):
    central, url = central_server
    a, b = tmp_path / "a", tmp_path / "b"
    for device in (a, b):
        code = fieldkit(
            central, "central", "enroll-code", "--org", "kolwa-youth", "--country", "KE"
        ).stdout.strip()
        fieldkit(device, "enroll", url, code)
    fieldkit(b, "import", str(write_issues(tmp_path / "b.jsonl", ["From B over HTTP"])))
    fieldkit(b, "sync")
    fieldkit(a, "import", str(write_issues(tmp_path / "a.jsonl", ["From A on a USB stick", "Second"])))
    fieldkit(a, "bundle", "export", str(tmp_path / "a.bundle"))
    for _twice in range(2):
        out = fieldkit(
            central,
            "central",
            "bundle",
            "import",
            str(tmp_path / "a.bundle"),
            "--reply",
            str(tmp_path / "reply.bundle"),
        ).stdout
        assert "Applied changes up to 2" in out
    hub = connect(central / "fieldkit.db")
    assert hub.execute("SELECT COUNT(*) FROM issues").fetchone()[0] == 3
    assert "Received 1 changes" in fieldkit(a, "bundle", "import", str(tmp_path / "reply.bundle")).stdout
    assert "Received 0 changes" in fieldkit(a, "bundle", "import", str(tmp_path / "reply.bundle")).stdout
    conn_a = connect(a / "fieldkit.db")
    assert conn_a.execute("SELECT COUNT(*) FROM issues").fetchone()[0] == 3
    # The bundle's acks count: nothing is waiting to be sent over HTTP any more.
    assert "Sent 0 changes" in fieldkit(a, "sync").stdout

    # One changed byte and the whole bundle is refused.
    data = bytearray((tmp_path / "a.bundle").read_bytes())
    at = data.find(b"From A on a USB stick")
    if at < 0:  # the manifest is deflated: flip a byte inside the compressed data instead
        at = len(data) // 3
    data[at] ^= 0x01
    (tmp_path / "bad.bundle").write_bytes(bytes(data))
    before = hub.execute("SELECT COUNT(*) FROM sync_ops").fetchone()[0]
    refused = fieldkit(
        central,
        "central",
        "bundle",
        "import",
        str(tmp_path / "bad.bundle"),
        "--reply",
        str(tmp_path / "reply2.bundle"),
        check=False,
    )
    assert refused.returncode != 0 and "nothing was imported" in refused.stderr
    assert hub.execute("SELECT COUNT(*) FROM sync_ops").fetchone()[0] == before
    hub.close()
    conn_a.close()
    time.sleep(0)


def test_a_wrong_enrolment_code_is_explained_in_the_devices_language(tmp_path, central_server, monkeypatch):
    _, url = central_server
    monkeypatch.setenv("FIELDKIT_LANGUAGE", "fr")
    done = fieldkit(tmp_path / "device", "enroll", url, "WRONG-CODE-1234", check=False)
    assert done.returncode == 1
    assert "échec de l'inscription : Le code d'inscription est erroné, expiré ou déjà utilisé" in done.stderr
    assert "Traceback" not in done.stderr
