"""Enrolment: a code works once for one new device; lifetimes, partners and countries are checked
against the registry; enrolling a known device again is an admin's decision (page and CLI)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from fieldkit.central import queries as central_queries
from fieldkit.cli import main
from fieldkit.db import connect
from sync import journal
from sync.errors import AuthError, Forbidden

from .test_accounts import signed_in

URL = "http://central.test"


def enrol_with(device, code):
    return device.client(server_url=URL).enroll(code, URL)


def cli(data, *args):
    return CliRunner().invoke(main, ["--data", str(data), "central", *args])


def test_a_new_code_cannot_take_over_a_device_that_is_already_enrolled(make_device, hub):
    a = make_device("a")
    a.enroll()
    fresh = central_queries.create_code(hub, "other-partner", "GH")
    with pytest.raises(Forbidden, match="re-enrol"):
        enrol_with(a, fresh)
    assert central_queries.device(hub, journal.device_id(a.conn))["org"] == "kolwa-youth"
    a.sync()


def test_a_re_enrolment_code_enrols_only_its_device_and_only_once(make_device, hub):
    a, b = make_device("a"), make_device("b")
    a.enroll()
    old_token = journal.replica_value(a.conn, "sync_token")
    a_id = journal.device_id(a.conn)
    code = central_queries.create_code(hub, "kolwa-youth", "KE", for_device=a_id)
    with pytest.raises(Forbidden):
        enrol_with(b, code)  # another device cannot use it
    assert enrol_with(a, code)["org"] == "kolwa-youth"
    with pytest.raises(Forbidden):
        enrol_with(a, code)
    a.sync()
    stale = a.client()
    with journal.transaction(a.conn):
        journal.set_replica_value(a.conn, "sync_token", old_token)
    with pytest.raises(AuthError):
        stale.sync()


def test_a_revoked_device_comes_back_only_with_an_admins_code(make_device, hub):
    a = make_device("a")
    a.enroll()
    a_id = journal.device_id(a.conn)
    central_queries.revoke(hub, a_id)
    with pytest.raises(Forbidden):
        enrol_with(a, central_queries.create_code(hub, "kolwa-youth", "KE"))
    enrol_with(a, central_queries.create_code(hub, "kolwa-youth", "KE", for_device=a_id))
    assert central_queries.device(hub, a_id)["revoked_at"] is None
    a.sync()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hours", "-1"], "between 1 and 720 hours"),
        (["--hours", "0"], "between 1 and 720 hours"),
        (["--hours", "721"], "between 1 and 720 hours"),
        (["--org", "*"], "lower-case letters"),
        (["--org", "Kolwa Youth"], "lower-case letters"),
        (["--org", "<script>"], "lower-case letters"),
        (["--country", "XX"], "programme's countries"),
        (["--country", "*"], "programme's countries"),
    ],
)
def test_enroll_code_refuses_bad_lifetimes_partners_and_countries(tmp_path, args, message):
    options = {"--org": "kolwa-youth", "--country": "KE", "--hours": "72"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        options[flag] = value
    done = cli(tmp_path / "central", "enroll-code", *[x for pair in options.items() for x in pair])
    assert done.exit_code == 1 and message in done.output, done.output
    assert not (tmp_path / "central").exists()  # refused before anything was made


def test_a_country_office_device_is_asked_for_explicitly_with_all_orgs(tmp_path):
    done = cli(tmp_path / "central", "enroll-code", "--all-orgs", "--country", "ke", "--hours", "1")
    assert done.exit_code == 0, done.output
    conn = connect(tmp_path / "central" / "fieldkit.db")
    assert tuple(conn.execute("SELECT org, country FROM central_codes").fetchone()) == ("*", "KE")
    conn.close()


def test_reenroll_on_the_command_line_makes_a_code_for_that_device_only(
    tmp_path, make_device, central_app, hub
):
    a = make_device("a")
    a.enroll()
    a_id = journal.device_id(a.conn)
    data = central_app.config["DATA_DIR"]
    unknown = cli(data, "reenroll", "no-such-device")
    assert unknown.exit_code == 1 and "no device no-such-device" in unknown.output
    done = cli(data, "reenroll", a_id, "--hours", "2")
    assert done.exit_code == 0, done.output
    code = done.output.split()[0]
    assert enrol_with(a, code)["org"] == "kolwa-youth"


def test_the_codes_page_checks_partner_country_and_lifetime_and_a_member_stays_in_its_country(
    central_app, hub
):
    member = signed_in(central_app, hub)
    for form, message in [
        ({"org": "Kolwa Youth!", "country": "KE", "hours": "72"}, "lower-case letters"),
        ({"org": "kolwa-youth", "country": "GH", "hours": "72"}, "countries you manage"),
        ({"org": "kolwa-youth", "country": "KE", "hours": "0"}, "between 1 and 720 hours"),
        ({"org": "kolwa-youth", "country": "KE", "hours": "9" * 40}, "between 1 and 720 hours"),
    ]:
        answer = member.submit("/central/codes", form)
        assert answer.status_code == 422 and message in answer.get_data(as_text=True), form
    # Only an admin may ask for a device that reads every partner: a member's box is ignored.
    made = member.submit(
        "/central/codes", {"org": "kolwa-youth", "country": "KE", "hours": "1", "all_orgs": "1"}
    )
    assert made.status_code == 200
    assert [row[0] for row in hub.execute("SELECT org FROM central_codes")] == ["kolwa-youth"]


def test_re_enrolling_from_the_device_list_is_for_admins(make_device, central_app, hub):
    a = make_device("a")
    a.enroll()
    a_id = journal.device_id(a.conn)
    member = signed_in(central_app, hub)
    assert "Re-enrol" not in member.web.get("/central/").get_data(as_text=True)
    assert member.submit(f"/central/devices/{a_id}/reenroll").status_code == 403
    admin = signed_in(central_app, hub, "ada", "admin", "*")
    assert "Re-enrol" in admin.web.get("/central/").get_data(as_text=True)
    page = admin.submit(f"/central/devices/{a_id}/reenroll")
    assert page.status_code == 200
    code = re.search(r'<p class="code"><code>([A-Z0-9-]+)</code>', page.get_data(as_text=True)).group(1)
    assert enrol_with(a, code)["country"] == "KE"
    assert admin.submit("/central/devices/unknown/reenroll").status_code == 404
