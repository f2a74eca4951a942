"""Ops made from the record declarations, valid and mutated the ways a broken or hostile device
would send them, pushed through the real sync API of central (issue 9)."""

from __future__ import annotations

from sync import client as sync_client

from .replicas import new_issue
from .test_boundary import inject, issue_fields


def test_an_empty_value_a_column_cannot_hold_is_refused_and_the_devices_other_changes_go_on(make_device, hub):
    bad, good = make_device("bad"), make_device("good")
    bad.enroll()
    good.enroll()
    row_id, fields = issue_fields(language=None)
    inject(bad.conn, "issues", row_id, "create", fields)
    ours = new_issue(bad.conn, "Fine issue")
    inject(bad.conn, "issues", ours, "set", {"severity": None})
    later = new_issue(bad.conn, "Later issue")
    assert bad.sync().refused == 2
    codes = {(r["row_id"], r["kind"]): (r["code"], r["field"]) for r in sync_client.refusals(bad.conn)}
    assert codes == {(row_id, "create"): ("required", "language"), (ours, "set"): ("required", "severity")}
    good.sync()
    assert {r[0] for r in good.conn.execute("SELECT id FROM issues")} == {ours, later}
