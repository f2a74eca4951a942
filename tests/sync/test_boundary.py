"""Central checks every pushed change against the declarations; one bad change never stops the rest.

A hostile or broken device is played by writing ops straight into its journal (as a device
with other code would), then syncing it through the real sync API.
"""

from __future__ import annotations

import json

import pytest

import sync.client as client_module
from fieldkit import records
from fieldkit.db import transaction
from sync import journal
from sync.ids import uuid7

from .replicas import new_issue

STAMP = "2026-03-01T10:00:00Z"


def inject(conn, table, row_id, kind, fields, base=None):
    """Write an op into a device's journal as it is, without the app's checks; returns its dseq."""
    with transaction(conn):
        device, dseq, hlc = journal._next_op(conn)
        conn.execute(
            "INSERT INTO sync_ops (device_id, dseq, tbl, row_id, kind, fields, base, hlc, author) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, '')",
            (device, dseq, table, row_id, kind, json.dumps(fields), json.dumps(base or {}), hlc),
        )
    return dseq


def issue_fields(**extra):
    row_id = uuid7()
    return row_id, {
        "created_at": STAMP,
        "org": "kolwa-youth",
        "country": "KE",
        "ref": f"KE-{row_id[-4:]}",
        "title": "Broken pump",
        "sector": "water",
        "deleted": 0,
        **extra,
    }


def event_fields(issue_id, **extra):
    return {
        "created_at": STAMP,
        "org": "kolwa-youth",
        "country": "KE",
        "issue_id": issue_id,
        "kind": "note",
        "occurred_on": "2026-03-01",
        "note": "Visited",
        "deleted": 0,
        **extra,
    }


def refusal_codes(device) -> dict[str, str]:
    return {r["row_id"]: (r["code"], r["field"]) for r in client_module.refusals(device.conn)}


def count(conn, table, where="1", args=()):
    return conn.execute(f"SELECT COUNT(*) FROM [{table}] WHERE {where}", args).fetchone()[0]


@pytest.fixture
def kenya(make_device):
    """Three Kenyan devices of one partner; ``bad`` will send what it should not."""
    devices = [make_device(name) for name in ("bad", "good", "late")]
    for device in devices[:2]:
        device.enroll()
    return devices


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"title": "Pump\u202e3gp.exe"}, "text", "title"),
        ({"title": "Nul\x00here"}, "text", "title"),
        ({"title": "lone \ud800 surrogate"}, "text", "title"),
        ({"title": "x" * 201}, "length", "title"),
        ({"description": "y" * (10 << 20)}, "length", "description"),
        ({"severity": 9}, "choice", "severity"),
        ({"people_affected": "many"}, "type", "people_affected"),
        ({"lat": 91.0, "lon": 0.0}, "range", "lat"),
        ({"observed_on": "yesterday"}, "type", "observed_on"),
        ({"budget_allocated": "1e9"}, "type", "budget_allocated"),
        ({"tags": "not json"}, "type", "tags"),
        ({"sector": ""}, "required", "sector"),
    ],
)
def test_a_value_a_form_would_refuse_is_refused_and_never_stored(kenya, hub, change, code, field):
    bad, good, _ = kenya
    row_id, fields = issue_fields(**change)
    inject(bad.conn, "issues", row_id, "create", fields)
    fine = new_issue(bad.conn, "Fine issue", org="kolwa-youth")
    summary = bad.sync()
    assert summary.refused == 1
    assert refusal_codes(bad) == {row_id: (code, field)}
    assert count(hub, "issues", "id = ?", (row_id,)) == 0
    assert count(hub, "sync_ops", "row_id = ?", (row_id,)) == 0
    good.sync()
    assert count(good.conn, "issues", "id = ?", (fine,)) == 1


def test_a_child_of_another_countrys_record_is_refused_and_other_devices_keep_syncing(make_device, hub):
    ghana, kenya_bad, kenya_good = make_device("gh"), make_device("bad"), make_device("good")
    ghana.enroll(org="tamale-voices", country="GH")
    kenya_bad.enroll()
    kenya_good.enroll()
    foreign = new_issue(ghana.conn, "Ghana pump", org="tamale-voices", country="GH")
    ghana.sync()
    event_id = uuid7()
    inject(kenya_bad.conn, "issue_events", event_id, "create", event_fields(foreign, country="GH"))
    inject(kenya_bad.conn, "issue_events", uuid7(), "create", event_fields(foreign))
    ours = new_issue(kenya_bad.conn, "Kenya pump", org="kolwa-youth")
    assert kenya_bad.sync().refused == 2
    assert {code for code, _ in refusal_codes(kenya_bad).values()} == {"unknown-record"}
    assert count(hub, "issue_events") == 0
    # Every other device of both scopes syncs on, now and when newly enrolled.
    assert kenya_good.sync().received >= 1
    assert count(kenya_good.conn, "issues", "id = ?", (ours,)) == 1
    late = make_device("late")
    late.enroll()
    late.sync()
    assert count(late.conn, "issues") == 1
    ghana.sync()
    assert count(ghana.conn, "issue_events") == 0


def test_a_child_takes_its_parents_scope_never_its_own_claim(kenya, hub):
    bad, good, _ = kenya
    parent = new_issue(bad.conn, "Ours", org="kolwa-youth")
    bad.sync()
    child = uuid7()
    inject(bad.conn, "issue_events", child, "create", event_fields(parent, country="GH"))
    other_org = uuid7()
    inject(bad.conn, "issue_events", other_org, "create", event_fields(parent, org="other-partner"))
    assert bad.sync().refused == 2
    assert refusal_codes(bad) == {child: ("scope", "country"), other_org: ("scope", "org")}


def test_a_child_whose_parent_does_not_exist_is_refused(kenya, hub):
    bad, _, _ = kenya
    orphan = uuid7()
    inject(bad.conn, "issue_events", orphan, "create", event_fields(uuid7()))
    assert bad.sync().refused == 1
    assert refusal_codes(bad)[orphan][0] == "unknown-record"


def test_changes_that_depend_on_a_refused_create_are_refused_with_it(kenya, hub):
    bad, good, _ = kenya
    row_id, fields = issue_fields(title="Bad\x07bell")
    inject(bad.conn, "issues", row_id, "create", fields)
    inject(bad.conn, "issues", row_id, "set", {"title": "Fixed"})
    inject(bad.conn, "issue_events", uuid7(), "create", event_fields(row_id))
    summary = bad.sync()
    assert summary.refused == 3
    codes = sorted(r["code"] for r in client_module.refusals(bad.conn))
    assert codes == ["depends-on-refused", "depends-on-refused", "text"]
    assert count(hub, "sync_ops", "row_id = ?", (row_id,)) == 0


def test_the_same_op_id_with_other_content_is_refused_and_the_first_stays(kenya, central_app, hub):
    from .test_api import api, token_of

    bad, _, _ = kenya
    issue = new_issue(bad.conn, "Original title", org="kolwa-youth")
    bad.sync()
    (op,) = [r for r in hub.execute("SELECT dseq, fields FROM sync_ops WHERE row_id = ?", (issue,))]
    fields = json.loads(op[1]) | {"title": "Rewritten later"}
    forged = {
        "device_id": journal.device_id(bad.conn),
        "dseq": op[0],
        "tbl": "issues",
        "row_id": issue,
        "kind": "create",
        "fields": fields,
        "base": {},
        "hlc": "1772359200000-0000-" + journal.device_id(bad.conn),
        "author": "",
    }
    answer = api(
        central_app,
        "POST",
        "/push",
        token=token_of(bad),
        body={"device_id": forged["device_id"], "ops": [forged]},
    )
    assert answer.status_code == 200
    (result,) = answer.json()["results"]
    assert result["status"] == "refused" and result["code"] == "op-id-reused"
    assert hub.execute("SELECT title FROM issues WHERE id = ?", (issue,)).fetchone()[0] == "Original title"

    # The same op id again with a table that is not a name (Hypothesis found this 500).
    odd = dict(forged, tbl=["issues"], fields=json.loads(op[1]))
    answer = api(
        central_app, "POST", "/push", token=token_of(bad), body={"device_id": odd["device_id"], "ops": [odd]}
    )
    assert answer.status_code == 200
    assert answer.json()["results"][0]["code"] == "op-id-reused"


def test_a_file_only_another_scope_may_read_cannot_be_claimed(make_device, hub):
    from fieldkit.queries import attachments

    ghana, kenya = make_device("gh"), make_device("ke")
    ghana.enroll(org="tamale-voices", country="GH")
    kenya.enroll()
    theirs = new_issue(ghana.conn, "Ghana clinic", org="tamale-voices", country="GH")
    sha = "ab" * 32
    issue = dict(ghana.conn.execute("SELECT * FROM issues WHERE id = ?", (theirs,)).fetchone())
    attachments.add_attachments(
        ghana.conn, issue, [{"sha256": sha, "filename": "a.jpg", "media_type": "image/jpeg", "size": 10}]
    )
    ghana.client().push()
    ours = new_issue(kenya.conn, "Kenya clinic", org="kolwa-youth")
    stolen = uuid7()
    inject(
        kenya.conn,
        "attachments",
        stolen,
        "create",
        {
            "created_at": STAMP,
            "org": "kolwa-youth",
            "country": "KE",
            "issue_id": ours,
            "sha256": sha,
            "filename": "x.jpg",
            "media_type": "image/jpeg",
            "size": 10,
            "deleted": 0,
        },
    )
    assert kenya.sync().refused == 1
    assert refusal_codes(kenya) == {stolen: ("file-scope", "sha256")}


def test_refusals_are_listed_on_the_sync_page_in_words(kenya):
    bad, _, _ = kenya
    row_id, fields = issue_fields(title="Tab\there")
    inject(bad.conn, "issues", row_id, "create", fields)
    bad.sync()
    page = bad.app.test_client().get("/sync/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "could not be accepted" in text or "refused" in text.lower()


def test_a_pulled_change_this_device_cannot_apply_is_set_aside_and_the_pull_goes_on(kenya, hub):
    bad, good, late = kenya
    first = new_issue(good.conn, "Before", org="kolwa-youth")
    good.sync()
    # A newer FieldKit at central: an op with a field this version does not know.
    newer = uuid7()
    _, fields = issue_fields(title="From a newer version")
    with transaction(hub):  # the sequencer's triggers number it and record its scope
        hub.execute(
            "INSERT INTO sync_ops (device_id, dseq, tbl, row_id, kind, fields, base, hlc, author) "
            "VALUES ('feedfacecafe0001', 1, 'issues', ?, 'create', ?, '{}', ?, '')",
            (newer, json.dumps(fields | {"water_quality": "poor"}), "1772359200000-0000-feedfacecafe0001"),
        )
    after = new_issue(good.conn, "After", org="kolwa-youth")
    good.sync()
    late.enroll()
    summary = late.sync()
    assert summary.set_aside == 1
    assert count(late.conn, "issues", "id IN (?, ?)", (first, after)) == 2
    (kept,) = client_module.set_aside(late.conn)
    assert kept["row_id"] == newer and "newer" in kept["reason"]
    # After an upgrade that knows the field, the op applies at the next pull.
    journal.SYNCED["issues"] = journal.SYNCED["issues"] | {"water_quality"}
    try:
        late.conn.execute("ALTER TABLE issues ADD COLUMN water_quality TEXT")
        late.sync()
        assert client_module.set_aside(late.conn) == []
        assert (
            late.conn.execute("SELECT water_quality FROM issues WHERE id = ?", (newer,)).fetchone()[0]
            == "poor"
        )
    finally:
        journal.SYNCED["issues"] = frozenset(records.ISSUE.names)


def test_a_bundle_carries_refusals_back_and_the_good_changes_through(kenya, central_app, hub, tmp_path):
    from fieldkit.central import queries as central_queries
    from sync import bundle
    from sync.server import Peer

    bad, good, _ = kenya
    row_id, fields = issue_fields(title="Bell\x07")
    inject(bad.conn, "issues", row_id, "create", fields)
    fine = new_issue(bad.conn, "Carried on a stick", org="kolwa-youth")

    def peer_of(device_id):
        device = central_queries.device(hub, device_id)
        return Peer(device["device_id"], device["org"], device["country"]), device["public_key"]

    blobs = tmp_path / "blobs"
    bundle.export_device(bad.conn, tmp_path / "out.bundle", blobs)
    done = bundle.import_at_central(hub, tmp_path / "out.bundle", peer_of, blobs, tmp_path / "reply.bundle")
    assert done["refused"] == 1
    back = bundle.import_reply(bad.conn, tmp_path / "reply.bundle", blobs)
    assert back["refused"] == 1
    assert refusal_codes(bad) == {row_id: ("text", "title")}
    assert count(hub, "issues", "id = ?", (fine,)) == 1
    assert bad.sync().sent == 0  # nothing left waiting after the bundle


def test_ops_held_behind_a_gap_are_bounded_and_the_rest_answered_later(kenya, central_app, hub, monkeypatch):
    from sync import server

    from .replicas import own_ops
    from .test_api import api, token_of

    monkeypatch.setattr(server, "MAX_HELD", 3)
    bad, _, _ = kenya
    for n in range(8):
        new_issue(bad.conn, f"Issue {n}", org="kolwa-youth")
    ops = own_ops(bad.conn)
    device = journal.device_id(bad.conn)
    answer = api(
        central_app, "POST", "/push", token=token_of(bad), body={"device_id": device, "ops": ops[1:]}
    )
    statuses = [r["status"] for r in answer.json()["results"]]
    assert statuses == ["held"] * 3 + ["later"] * 4
    assert count(hub, "sync_held") == 3
    # The device's own sync closes the gap and sends the rest: everything arrives once.
    bad.sync()
    assert count(hub, "issues") == 8 and count(hub, "sync_held") == 0


def test_an_op_held_behind_a_gap_may_hold_a_lone_surrogate_and_is_refused_when_its_turn_comes(
    kenya, central_app, hub
):
    from .replicas import own_ops
    from .test_api import api, token_of

    bad, _, _ = kenya
    first = new_issue(bad.conn, "First", org="kolwa-youth")
    row_id, fields = issue_fields(title="lone \udc00 surrogate")
    inject(bad.conn, "issues", row_id, "create", fields)
    ops = own_ops(bad.conn)
    device = journal.device_id(bad.conn)
    held = api(central_app, "POST", "/push", token=token_of(bad), body={"device_id": device, "ops": ops[1:]})
    assert held.status_code == 200 and held.json()["results"][0]["status"] == "held"
    answer = api(
        central_app, "POST", "/push", token=token_of(bad), body={"device_id": device, "ops": ops[:1]}
    )
    assert answer.status_code == 200
    assert [r["status"] for r in answer.json()["results"]] == ["ok", "refused"]
    assert count(hub, "issues", "id IN (?, ?)", (first, row_id)) == 1
