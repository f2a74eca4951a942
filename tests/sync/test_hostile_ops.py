"""Ops made from the record declarations, valid and mutated the ways a broken or hostile device
would send them, pushed through the real sync API of central (issue 9): central never answers
5xx, never stores a row or op that breaks its declaration, and an honest device of the same
scope, and one enrolled afterwards, keep syncing to exactly central's state.

In process through Flask's WSGI app here; the same world against a real central process over
HTTP in test_hostile_ops_process.py."""

from __future__ import annotations

import gzip
import json
import os
from collections import Counter

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from fieldkit.records import SCHEMA
from sync import client as sync_client
from sync import journal, protocol, pulled
from sync.ids import uuid7

from .declared import (
    COUNTRY,
    INDEX,
    ORG,
    pick,
    record_fields,
    stored_rows_break_nothing,
    valid_value,
    wrong_value,
)
from .replicas import new_issue
from .test_api import token_of
from .test_boundary import inject, issue_fields

TABLES = [record.table for record in SCHEMA]
ROOTS = [record.table for record in SCHEMA if record.parent is None]
MUTATIONS = (
    "valid",
    "valid",
    "valid",
    "set",
    "delete",
    "wrong-value",
    "missing-parent",
    "foreign-parent",
    "foreign-scope",
    "child-scope",
    "move-out",
    "unknown-field",
    "unknown-table",
    "replay-changed",
    "replay-same",
    "kind",
    "envelope",
    "gap",
)
EXAMPLES = int(os.environ.get("SYNC_HOSTILE_EXAMPLES", "60"))


class Hostile:
    """A device of the KE scope that writes its own ops, and sends them with its own token."""

    def __init__(self, send, hub, device_id: str, token: str):
        self.send = send  # (method, path, body bytes | None, headers) -> (status, json | None)
        self.hub = hub
        self.device_id = device_id
        self.token = token
        self.sent: dict[int, dict] = {}
        self.statuses: list[int] = []
        #: How central answered each op: "ok", "held", "later" or the refusal's code.
        self.outcomes: Counter = Counter()

    def request(self, method, path, body=None):
        headers = {protocol.HEADER_VERSION: "1", "Authorization": f"Bearer {self.token}"}
        content = None
        if body is not None:
            content = json.dumps(body).encode("ascii")  # a lone surrogate travels escaped
            if len(content) > 2000:
                content = gzip.compress(content)
                headers["Content-Encoding"] = "gzip"
            headers["Content-Type"] = "application/json"
        status, answer = self.send(method, protocol.PREFIX + path, content, headers)
        self.statuses.append(status)
        assert status < 500, f"{method} {path} answered {status}: {answer}"
        return status, answer

    def acked(self) -> int:
        status, answer = self.request("GET", "/state")
        assert status == 200
        return answer["acked"]

    def rows(self, country=COUNTRY, org=ORG) -> dict[str, list[str]]:
        """Ids of the rows central holds in a scope, by table."""
        found: dict[str, list[str]] = {}
        for table, row_id in self.hub.execute(
            "SELECT tbl, row_id FROM sync_scope WHERE country = ? AND org = ? ORDER BY tbl, row_id",
            (country, org),
        ):
            found.setdefault(table, []).append(row_id)
        return found

    def op(self, dseq, table, row_id, kind, fields, base=None):
        return {
            "device_id": self.device_id,
            "dseq": dseq,
            "tbl": table,
            "row_id": row_id,
            "kind": kind,
            "fields": fields,
            "base": base or {},
            "hlc": f"1772359200000-{dseq:04d}-{self.device_id}",
            "author": "",
        }

    def draw_op(self, data, dseq: int, ours, theirs) -> dict:
        """One op: valid or broken in one of the ways of MUTATIONS."""
        how = data.draw(st.sampled_from(MUTATIONS), label="mutation")
        table = data.draw(st.sampled_from(TABLES), label="table")
        record = SCHEMA[table]
        fields = record_fields(table, data, ours)
        op = self.op(dseq, table, uuid7(), "create", fields)
        if how in ("set", "move-out", "delete", "kind"):
            row_id = pick(ours.get(table, []) or [op["row_id"]], data.draw(INDEX))
            editable = [
                f.name for f in record.fields if f.name not in ("org", "country") and f.type != "reference"
            ]
            changed = data.draw(st.lists(st.sampled_from(editable), min_size=1, max_size=3, unique=True))
            op.update(
                row_id=row_id, kind="set", fields={f: data.draw(valid_value(record[f])) for f in changed}
            )
            if how == "delete":
                op.update(kind="delete", fields={"deleted": 1})
            elif how == "move-out":
                op["fields"] = {"country": "GH"}
            elif how == "kind":
                op["kind"] = data.draw(st.sampled_from(["link", "resolve"]))
                op["base"] = {
                    f: data.draw(st.sampled_from([f"{self.device_id}:1", ["ab:1", "cd:2"], "ffff:99"]))
                    for f in changed
                }
        elif how == "wrong-value":
            field = data.draw(st.sampled_from(record.fields), label="field")
            fields[field.name] = data.draw(wrong_value(field), label="wrong")
        elif how in ("missing-parent", "foreign-parent") and record.parent:
            parent_table = record.parent.table_of(fields)
            choices = theirs.get(parent_table, []) if how == "foreign-parent" else []
            fields[record.parent.field] = pick(choices, data.draw(INDEX))
        elif how == "foreign-scope":
            fields.update(country="GH", org=data.draw(st.sampled_from(["tamale", ORG, ""])))
        elif how == "child-scope" and record.parent:
            fields.update(data.draw(st.sampled_from([{"country": "GH"}, {"org": "tamale"}])))
        elif how == "unknown-field":
            fields["water_quality"] = "poor"
        elif how == "unknown-table":
            op["tbl"] = data.draw(st.sampled_from(["central_devices", "sync_ops", "secrets", "issues;--"]))
        elif how in ("replay-changed", "replay-same"):
            index = data.draw(INDEX)
            if not self.sent:
                return op
            old = dict(self.sent[pick(sorted(self.sent), index)])
            if how == "replay-changed":
                old["fields"] = dict(old["fields"]) | {"title": "Rewritten", "note": "Rewritten"}
            return old
        elif how == "envelope":
            broken = data.draw(
                st.sampled_from(
                    [
                        {"hlc": "yesterday"},
                        {"row_id": "../../etc"},
                        {"row_id": ""},
                        {"fields": [1, 2]},
                        {"base": "x"},
                        {"author": "x" * 500},
                        {"fields": {"title": {"nested": 1}}},
                        {"tbl": {"issues": 1}},
                        {"tbl": ["issues"]},
                        {"kind": {}},
                        {"kind": ["create"]},
                        {"row_id": {"id": 1}},
                        {"dseq": "7"},
                    ]
                )
            )
            op.update(broken)
        elif how == "gap":
            op["dseq"] = dseq + data.draw(st.integers(1, 3))
        return op

    def push_some(self, data) -> None:
        ours, theirs = self.rows(), self.rows("GH", "tamale")
        start = self.acked() + 1
        count = data.draw(st.integers(1, 5), label="ops")
        ops = [self.draw_op(data, start + n, ours, theirs) for n in range(count)]
        status, answer = self.request("POST", "/push", {"device_id": self.device_id, "ops": ops})
        if status == 200:
            for op in ops:
                self.sent.setdefault(op["dseq"], op)
            # Every op sent is answered (and held ops a sent one released, too).
            decided = {r["dseq"] for r in answer["results"]}
            self.outcomes.update(r.get("code") or r["status"] for r in answer["results"])
            assert decided >= {op["dseq"] for op in ops if isinstance(op.get("dseq"), int)}, answer
        # Whatever came, what central holds still keeps every declaration.
        assert stored_rows_break_nothing(self.hub) == []

    def junk(self, data) -> None:
        """Requests no device should send: every one is a 4xx, never a 5xx."""
        body = data.draw(
            st.sampled_from(
                [
                    None,
                    [],
                    {"device_id": self.device_id},
                    {"device_id": self.device_id, "ops": "all"},
                    {"device_id": self.device_id, "ops": [{"dseq": True}]},
                    {"device_id": "someoneelse", "ops": []},
                    {"device_id": self.device_id, "ops": [self.op(1 << 63, "issues", "x", "create", {})]},
                ]
            )
        )
        self.request("POST", "/push", body)
        self.request("GET", f"/ops?after={data.draw(st.sampled_from(['-1', 'x', '99999999999999999999']))}")


def in_scope(conn, table: str, ids: set[str] | None) -> list:
    rows = conn.execute(f"SELECT * FROM [{table}] ORDER BY id").fetchall()
    return [tuple(r) for r in rows if ids is None or r["id"] in ids]


def assert_same_as_central(hub, conn, who: str) -> None:
    """A device of the KE scope holds exactly central's rows (every value) and conflicts of that scope."""
    scope = {
        (t, r)
        for t, r in hub.execute(
            "SELECT tbl, row_id FROM sync_scope WHERE country = ? AND org = ?", (COUNTRY, ORG)
        )
    }
    for table in TABLES:
        ids = {r for t, r in scope if t == table}
        assert in_scope(conn, table, None) == in_scope(hub, table, ids), (
            f"{who}: {table} differs from central"
        )
    disputes = hub.execute(
        "SELECT tbl, row_id, field, candidates FROM sync_conflicts ORDER BY 1, 2, 3"
    ).fetchall()
    here = conn.execute(
        "SELECT tbl, row_id, field, candidates FROM sync_conflicts ORDER BY 1, 2, 3"
    ).fetchall()
    assert [tuple(r) for r in here] == [tuple(r) for r in disputes if (r[0], r[1]) in scope], who
    assert conn.execute("SELECT COUNT(*) FROM sync_set_aside").fetchone()[0] == 0, f"{who} set ops aside"


def flask_sender(central_app):
    client = central_app.test_client()

    def send(method, path, content, headers):
        response = client.open(path, method=method, data=content, headers=headers)
        try:
            answer = json.loads(response.get_data())
        except ValueError:
            answer = None
        return response.status_code, answer

    return send


def httpx_sender(http: httpx.Client):
    def send(method, path, content, headers):
        response = http.request(method, path, content=content, headers=headers)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        return response.status_code, answer

    return send


def run_hostile(hostile: Hostile, honest_round, examples: int) -> None:
    """Push ``examples`` drawn batches, with the honest device syncing every few."""
    rounds = {"n": 0}

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
        # Central's state carries over from one example to the next (more rows to edit, more
        # op ids to replay), so a replay is never the same world: report, do not shrink.
        phases=[Phase.explicit, Phase.generate],
    )
    @given(data=st.data())
    def push(data):
        hostile.push_some(data)
        if data.draw(st.integers(0, 9), label="junk") == 0:
            hostile.junk(data)
        rounds["n"] += 1
        if rounds["n"] % 8 == 0:
            honest_round()

    push()


def test_hostile_and_broken_ops_through_the_wsgi_api_never_5xx_never_stored_and_others_converge(
    make_device, central_app, hub
):
    ghana, bad, honest = make_device("gh"), make_device("bad"), make_device("honest")
    ghana.enroll(org="tamale", country="GH")
    for device in (bad, honest):
        device.enroll()
    for n in range(3):
        new_issue(ghana.conn, f"Ghana {n}", org="tamale", country="GH")
        new_issue(honest.conn, f"Honest {n}")
    ghana.sync()
    honest.sync()
    hostile = Hostile(flask_sender(central_app), hub, journal.device_id(bad.conn), token_of(bad))
    made = []

    def honest_round():
        made.append(new_issue(honest.conn, f"Honest {len(made)}"))
        summary = honest.sync()
        assert summary.refused == 0 and summary.set_aside == 0

    run_hostile(hostile, honest_round, EXAMPLES)
    for _ in range(2):
        honest.sync()
    assert sync_client.refusals(honest.conn) == []
    assert_same_as_central(hub, honest.conn, "honest")
    late = make_device("late")
    late.enroll()
    late.sync()
    assert_same_as_central(hub, late.conn, "late")
    assert {s for s in hostile.statuses} <= {200, 400, 403, 409, 413, 422}
    # The drawn ops were a mix: central applied some and refused others for many reasons.
    assert hostile.outcomes["ok"] > 0 and len(hostile.outcomes) > 5, hostile.outcomes
    print(dict(hostile.outcomes))


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


def test_an_op_whose_table_kind_or_row_is_not_text_is_refused_as_malformed_not_a_500(
    make_device, central_app, hub
):
    bad = make_device("bad")
    bad.enroll()
    hostile = Hostile(flask_sender(central_app), hub, journal.device_id(bad.conn), token_of(bad))
    row_id, fields = issue_fields()
    broken = [
        {"tbl": {"issues": 1}},
        {"kind": {}},
        {"kind": ["create"]},
        {"row_id": {"id": 1}},
        {"tbl": ["x"]},
    ]
    ops = [hostile.op(n + 1, "issues", uuid7(), "create", fields) | change for n, change in enumerate(broken)]
    ops.append(hostile.op(len(ops) + 1, "issues", row_id, "create", fields))
    status, answer = hostile.request("POST", "/push", {"device_id": hostile.device_id, "ops": ops})
    assert status == 200
    assert [r.get("code") or r["status"] for r in answer["results"]] == ["malformed"] * 5 + ["ok"]
    assert [r[0] for r in hub.execute("SELECT id FROM issues")] == [row_id]


def test_a_pulled_op_whose_table_or_kind_is_not_text_gets_a_reason_to_be_set_aside():
    assert isinstance(pulled.check({"tbl": {"issues": 1}, "kind": {}}), str)
    assert isinstance(pulled.check({"tbl": "issues", "kind": ["create"]}), str)
