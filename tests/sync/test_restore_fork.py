"""Restoring an older backup of the same install never loses an edit: the restored replica
writes under a new journal id (its old op sequence was rewound), claims it with its own token,
and no token can claim or write as another device's id."""

from __future__ import annotations

import pytest

from fieldkit import backup
from fieldkit.db import connect
from sync import journal
from sync.errors import Forbidden

from .replicas import edit, new_issue


def central_ops(hub, device_ids) -> dict[tuple[str, int], str]:
    marks = ", ".join("?" for _ in device_ids)
    return {
        (r[0], r[1]): r[2]
        for r in hub.execute(
            f"SELECT device_id, dseq, fields FROM sync_ops WHERE device_id IN ({marks})", list(device_ids)
        )
    }


def local_ops(conn) -> dict[tuple[str, int], str]:
    return {(r[0], r[1]): r[2] for r in conn.execute("SELECT device_id, dseq, fields FROM sync_ops")}


def titles(conn) -> dict[str, str]:
    return {r[0]: r[1] for r in conn.execute("SELECT id, title FROM issues")}


def test_restoring_an_older_backup_then_editing_loses_nothing(make_device, hub, tmp_path):
    device = make_device("field")
    device.enroll()
    data_dir = device.app.config["DATA_DIR"]
    first = new_issue(device.conn, "Borehole broken")
    device.sync()
    unsent = new_issue(device.conn, "Recorded before the backup, never sent")
    made_before = local_ops(device.conn)
    folder = backup.make_backup(data_dir, tmp_path / "usb")

    after_backup = new_issue(device.conn, "Recorded after the backup")
    edit(device.conn, first, title="Borehole broken since March")
    device.sync()
    made_after = local_ops(device.conn)
    old_id = journal.device_id(device.conn)

    device.conn.close()
    backup.restore(folder, data_dir)
    device.conn = connect(device.app.config["DATABASE"])
    new_id = journal.device_id(device.conn)
    assert new_id != old_id
    assert journal.replica_ids(device.conn) == [old_id, new_id]
    assert local_ops(device.conn) == made_before  # the rewound journal

    after_restore = new_issue(device.conn, "Recorded after the restore")
    edit(device.conn, first, status="verified")
    assert {d for d, _ in local_ops(device.conn)} == {old_id, new_id}
    summary = device.sync()
    assert summary.sent == 2

    # Central holds every op ever made, each id naming one op only.
    every = made_after | local_ops(device.conn)
    assert central_ops(hub, {old_id, new_id}) == every
    assert len(every) == len(made_after) + 2
    on_central = titles(hub)
    for row in (first, unsent, after_backup, after_restore):
        assert row in on_central
    assert on_central[first] == "Borehole broken since March"
    assert hub.execute("SELECT status FROM issues WHERE id = ?", (first,)).fetchone()[0] == "verified"
    # The edits made after the backup came back to the restored device.
    assert titles(device.conn) == on_central

    # A second restore of the same (older) backup is still this install's, and forks again.
    device.conn.close()
    backup.restore(folder, data_dir)
    device.conn = connect(device.app.config["DATABASE"])
    third_id = journal.device_id(device.conn)
    assert third_id not in (old_id, new_id)
    again = new_issue(device.conn, "Recorded after the second restore")
    device.sync()
    assert again in titles(hub)
    assert len(central_ops(hub, {old_id, new_id, third_id})) == len(every) + 1

    # Another device sees everything.
    other = make_device("other")
    other.enroll()
    other.sync()
    assert titles(other.conn) == titles(hub)


def test_a_token_cannot_claim_or_write_as_another_devices_id(make_device, hub):
    a, b = make_device("a"), make_device("b")
    a.enroll()
    b.enroll()
    new_issue(b.conn, "B's record")
    b.sync()
    b_id = journal.device_id(b.conn)
    client = a.client()

    with pytest.raises(Forbidden):
        client.claim(b_id)  # an enrolled device's id
    with pytest.raises(Forbidden):
        client.claim(journal.device_id(hub))  # central's own journal id
    client.claim("00aa11bb22cc33dd")
    client.claim("00aa11bb22cc33dd")  # idempotent for its owner
    with pytest.raises(Forbidden):
        b.client().claim("00aa11bb22cc33dd")  # already a's
    assert hub.execute(
        "SELECT device_id FROM sync_replica_owners WHERE replica_id = '00aa11bb22cc33dd'"
    ).fetchone()[0] == journal.device_id(a.conn)

    ops_of_b = [
        {k: v for k, v in dict(zip(("device_id", "dseq", "tbl", "row_id", "kind", "hlc"), r)).items()}
        | {"fields": {"title": "forged"}, "base": {}, "author": "", "kind": "set"}
        for r in b.conn.execute("SELECT device_id, dseq + 100, tbl, row_id, kind, hlc FROM sync_ops")
    ]
    with pytest.raises(Forbidden):
        client.call("POST", "/push", body={"device_id": b_id, "ops": ops_of_b})
    with pytest.raises(Forbidden):  # a's own id on the body, b's on the ops
        client.call("POST", "/push", body={"device_id": journal.device_id(a.conn), "ops": ops_of_b})
    with pytest.raises(Forbidden):
        client.call("GET", "/state", params={"replica": b_id})
    with pytest.raises(Forbidden):
        client.call("GET", "/ops", params={"after": 0, "replica": b_id})
    assert hub.execute("SELECT COUNT(*) FROM sync_ops WHERE fields LIKE '%forged%'").fetchone()[0] == 0
