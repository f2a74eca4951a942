"""Client and central API together in one process: enrol, push exactly once, resumable pull,
protocol versioning, compression, and every refusal as a JSON problem with nothing applied."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest

import sync.client as client_module
from fieldkit.db import transaction
from sync import journal, merge, protocol
from sync.errors import AuthError, Forbidden, Incompatible, ProtocolError

from .replicas import edit, new_issue, own_ops


def api(central_app, method, path, *, token=None, body=None, headers=None):
    http = httpx.Client(transport=httpx.WSGITransport(app=central_app), base_url="http://central.test")
    all_headers = {protocol.HEADER_VERSION: "1", **(headers or {})}
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    content = None
    if body is not None:
        content = gzip.compress(json.dumps(body).encode())
        all_headers.update({"Content-Encoding": "gzip", "Content-Type": "application/json"})
    return http.request(method, protocol.PREFIX + path, content=content, headers=all_headers)


def token_of(device):
    return journal.replica_value(device.conn, "sync_token")


def test_enrol_push_pull_makes_two_devices_identical(make_device, hub):
    a, b = make_device("a"), make_device("b")
    granted = a.enroll()
    b.enroll()
    assert granted["org"] == "kolwa-youth" and granted["country"] == "KE"
    # The token is stored hashed at central, never in clear.
    assert (
        hub.execute(
            "SELECT COUNT(*) FROM central_devices WHERE token_hash = ?", (granted["token"],)
        ).fetchone()[0]
        == 0
    )
    rows = [new_issue(a.conn, f"Issue {n}") for n in range(30)]
    summary = a.sync()
    assert summary.sent == 30
    assert b.sync().received == 30
    assert b.conn.execute("SELECT COUNT(*) FROM issues").fetchone()[0] == 30
    edit(b.conn, rows[0], title="Edited on B")
    b.sync()
    a.sync()
    assert a.conn.execute("SELECT title FROM issues WHERE id = ?", (rows[0],)).fetchone()[0] == "Edited on B"


def test_conflicting_edits_are_disputed_on_both_devices_and_at_central(make_device, hub):
    a, b = make_device("a"), make_device("b")
    a.enroll()
    b.enroll()
    row = new_issue(a.conn)
    a.sync()
    b.sync()
    edit(a.conn, row, title="From A")
    edit(b.conn, row, title="From B")
    a.sync()
    assert b.sync().conflicts == 1
    a.sync()
    for conn in (a.conn, b.conn, hub):
        (conflict,) = merge.open_conflicts(conn)
        assert {c["value"] for c in conflict["candidates"]} == {"From A", "From B"}


def test_replayed_batch_changes_nothing_and_gets_the_same_answer(make_device, central_app, hub):
    a = make_device("a")
    a.enroll()
    for n in range(5):
        new_issue(a.conn, f"Issue {n}")
    body = {"device_id": journal.device_id(a.conn), "ops": own_ops(a.conn)}
    first = api(central_app, "POST", "/push", token=token_of(a), body=body)
    count = hub.execute("SELECT COUNT(*) FROM sync_ops").fetchone()[0]
    second = api(central_app, "POST", "/push", token=token_of(a), body=body)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert first.json()["acked"] == 5
    assert hub.execute("SELECT COUNT(*) FROM sync_ops").fetchone()[0] == count


def test_a_gap_is_held_never_skipped(make_device, central_app, hub):
    a = make_device("a")
    a.enroll()
    for n in range(4):
        new_issue(a.conn, f"Issue {n}")
    ops = own_ops(a.conn)
    device = journal.device_id(a.conn)
    answer = api(
        central_app, "POST", "/push", token=token_of(a), body={"device_id": device, "ops": ops[2:]}
    ).json()
    assert answer["acked"] == 0 and answer["held"] == 2
    assert hub.execute("SELECT COUNT(*) FROM issues").fetchone()[0] == 0
    answer = api(
        central_app, "POST", "/push", token=token_of(a), body={"device_id": device, "ops": ops[:2]}
    ).json()
    assert answer["acked"] == 4 and answer["held"] == 0
    assert hub.execute("SELECT COUNT(*) FROM issues").fetchone()[0] == 4


def test_pull_is_resumable_a_lost_page_is_fetched_again(make_device):
    a, b = make_device("a"), make_device("b")
    a.enroll()
    b.enroll()
    for n in range(25):
        new_issue(a.conn, f"Issue {n}")
    a.sync()
    client = b.client()
    answer = client.call("GET", "/ops", params={"after": 0, "limit": 10})
    assert len(answer["ops"]) == 10 and answer["more"]
    # The device "crashed" before committing that page: its cursor did not move.
    assert client.pull(page=10) == 25
    assert client.pull(page=10) == 0
    assert b.conn.execute("SELECT COUNT(*) FROM issues").fetchone()[0] == 25


def test_responses_are_compressed_on_the_wire(make_device, central_app):
    a, b = make_device("a"), make_device("b")
    a.enroll()
    b.enroll()
    for n in range(50):
        new_issue(a.conn, f"Issue {n}", description="The hand pump no longer works. " * 5)
    a.sync()
    response = api(
        central_app, "GET", "/ops?after=0&limit=100", token=token_of(b), headers={"Accept-Encoding": "gzip"}
    )
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.num_bytes_downloaded < len(response.content) / 3


def test_every_refusal_is_a_json_problem(make_device, central_app):
    answer = api(central_app, "GET", "/state", token="not-a-token")
    assert answer.status_code == 401
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json()["code"] == "auth" and answer.json()["detail"]
    assert (
        api(central_app, "GET", "/no-such-thing")
        .headers["Content-Type"]
        .startswith("application/problem+json")
    )
    bad = api(central_app, "POST", "/enroll", body={"code": "nope", "device_id": "abc", "public_key": "k"})
    assert bad.status_code == 403 and bad.json()["detail"]


def test_a_device_speaking_another_protocol_gets_a_clear_message(make_device, central_app):
    answer = api(central_app, "GET", "/info", headers={protocol.HEADER_VERSION: "2"})
    assert answer.status_code == 400 and answer.json()["code"] == "protocol-version"
    assert "protocol 1" in answer.json()["detail"]
    a = make_device("a")
    a.enroll()
    client = a.client()
    client.request  # noqa: B018
    with pytest.raises(Incompatible):
        client.call("GET", "/state", headers={protocol.HEADER_VERSION: "2"})


def test_a_revoked_device_is_refused_and_nothing_applied(make_device, central_app, hub):
    from fieldkit.central import queries

    a = make_device("a")
    a.enroll()
    new_issue(a.conn)
    queries.revoke(hub, journal.device_id(a.conn))
    with pytest.raises(AuthError, match="revoked"):
        a.sync()
    assert hub.execute("SELECT COUNT(*) FROM issues").fetchone()[0] == 0


def test_a_record_outside_the_devices_scope_is_refused_and_the_rest_arrives(make_device, hub):
    a = make_device("a")
    a.enroll(org="kolwa-youth")
    new_issue(a.conn, "Theirs", org="other-partner")
    new_issue(a.conn, "Ours")
    summary = a.sync()
    assert summary.refused == 1
    assert [r[0] for r in hub.execute("SELECT title FROM issues")] == ["Ours"]
    (refusal,) = client_module.refusals(a.conn)
    assert refusal["code"] == "scope" and refusal["tbl"] == "issues"
    # Nothing is left waiting: the next sync sends nothing again and refuses nothing new.
    again = a.sync()
    assert again.sent == 0 and again.refused == 0


def test_a_device_never_receives_records_outside_its_scope(make_device, hub):
    a, b, c = make_device("a"), make_device("b"), make_device("c")
    a.enroll(org="kolwa-youth")
    b.enroll(org="other-partner")
    c.enroll(org="kolwa-youth", country="GH")
    new_issue(a.conn, "Kolwa only")
    a.sync()
    assert b.sync().received == 0
    assert c.sync().received == 0
    assert b.conn.execute("SELECT COUNT(*) FROM issues").fetchone()[0] == 0


def test_a_forged_op_for_another_device_is_refused(make_device, central_app, hub):
    a, b = make_device("a"), make_device("b")
    a.enroll()
    b.enroll()
    new_issue(b.conn)
    forged = own_ops(b.conn)
    answer = api(
        central_app,
        "POST",
        "/push",
        token=token_of(a),
        body={"device_id": journal.device_id(a.conn), "ops": forged},
    )
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden"
    assert (
        hub.execute(
            "SELECT COUNT(*) FROM sync_ops WHERE device_id = ?", (journal.device_id(b.conn),)
        ).fetchone()[0]
        == 0
    )


def test_an_oversized_batch_is_refused_whole(make_device, central_app, hub):
    a = make_device("a")
    a.enroll()
    new_issue(a.conn)
    op = own_ops(a.conn)[0]
    ops = [dict(op, dseq=n + 1) for n in range(protocol.MAX_BATCH_OPS + 1)]
    answer = api(
        central_app,
        "POST",
        "/push",
        token=token_of(a),
        body={"device_id": journal.device_id(a.conn), "ops": ops},
    )
    assert answer.status_code == 413 and answer.json()["code"] == "too-large"
    assert hub.execute("SELECT COUNT(*) FROM issues").fetchone()[0] == 0


def test_a_malformed_op_is_refused_with_the_reason(make_device, central_app, hub):
    a = make_device("a")
    a.enroll()
    new_issue(a.conn)
    op = dict(own_ops(a.conn)[0], tbl="private_reporters")
    answer = api(
        central_app,
        "POST",
        "/push",
        token=token_of(a),
        body={"device_id": journal.device_id(a.conn), "ops": [op]},
    )
    assert answer.status_code == 200
    (result,) = answer.json()["results"]
    assert result["status"] == "refused" and result["code"] == "malformed"
    assert "not synced" in result["reason"]
    assert hub.execute("SELECT COUNT(*) FROM sync_ops").fetchone()[0] == 0


def test_private_reporter_details_never_leave_the_device(make_device, hub):
    from fieldkit.queries import issues

    a = make_device("a")
    a.enroll()
    conn = a.conn
    with transaction(conn):
        pass
    issues.create_issue(
        conn,
        {"title": "Anonymous", "sector": "water", "country": "KE"},
        org="kolwa-youth",
        reporter={"name": "Secret Name", "contact": "0700 000 000", "consent": False},
    )
    issues.create_issue(
        conn,
        {"title": "Consented", "sector": "water", "country": "KE"},
        org="kolwa-youth",
        reporter={"name": "Open Name", "contact": "0711", "consent": True},
    )
    a.sync()
    dump = "\n".join(hub.iterdump())
    assert "Secret Name" not in dump and "0700 000 000" not in dump
    assert "Open Name" in dump


def test_the_token_travels_only_in_a_header(make_device, central_app):
    a = make_device("a")
    a.enroll()
    seen = []
    client = a.client()
    original = client.http.request

    def spy(method, url, **kwargs):
        seen.append((str(url), kwargs.get("params"), kwargs.get("content")))
        return original(method, url, **kwargs)

    client.http.request = spy
    new_issue(a.conn)
    client.push()
    client.pull()
    token = token_of(a)
    for url, params, content in seen:
        assert token not in url and token not in json.dumps(params or {})
        assert token.encode() not in gzip.decompress(content) if content else True


def test_an_unknown_server_gives_a_clear_message(make_device):
    a = make_device("a")
    with pytest.raises(ProtocolError, match="does not speak"):
        a.client(server_url="http://central.test/not-fieldkit").enroll(
            "x", "http://central.test/not-fieldkit"
        )


def test_central_records_clock_offset_and_flags_implausible_times(make_device, central_app, hub):
    from .replicas import clock

    a = make_device("a")
    a.enroll()
    with clock(365 * 24 * 3600 * 1000):
        new_issue(a.conn, "Typed on a device whose clock is a year ahead")
    ahead = str(int(__import__("time").time() * 1000) + 3_600_000)
    answer = api(central_app, "GET", "/state", token=token_of(a), headers={protocol.HEADER_CLOCK: ahead})
    assert answer.status_code == 200
    a.sync()
    offset, implausible = hub.execute(
        "SELECT clock_offset_ms, implausible_times FROM central_devices WHERE device_id = ?",
        (journal.device_id(a.conn),),
    ).fetchone()
    assert implausible == 1
    assert abs(offset) < 600_000  # the last visit, made with a correct clock, is what counts
    # The edit was kept and wins nothing because of its clock.
    assert hub.execute("SELECT COUNT(*) FROM issues").fetchone()[0] == 1


def test_an_enrolment_code_works_once_even_for_the_device_that_used_it(make_device, hub):
    a, b = make_device("a"), make_device("b")
    code = central_queries_code(hub)
    a.client(server_url="http://central.test").enroll(code, "http://central.test")
    with pytest.raises(Forbidden, match="already used"):
        b.client(server_url="http://central.test").enroll(code, "http://central.test")
    # Replaying the spent code with the device's own id and public key (both easy to learn)
    # would issue a new token and lock the real device out: it is refused, and nothing changes.
    token = token_of(a)
    hashes = hub.execute("SELECT token_hash FROM central_devices").fetchall()
    with pytest.raises(Forbidden, match="re-enrol"):
        a.client(server_url="http://central.test").enroll(code, "http://central.test")
    assert hub.execute("SELECT token_hash FROM central_devices").fetchall() == hashes
    assert token_of(a) == token
    a.sync()  # the real device still syncs with its token


def central_queries_code(hub):
    from fieldkit.central import queries

    return queries.create_code(hub, "kolwa-youth", "KE")
