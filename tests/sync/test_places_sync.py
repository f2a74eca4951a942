"""Places are every org's rows in their country: a place imported at central, or learnt on one
device, reaches every device of that country through a real sync, and never another country's."""

from __future__ import annotations

import re

import pytest

from fieldkit import places_import
from fieldkit.queries import places
from sync import checks, journal, server
from sync.schema import Refused

from ..conftest import FormClient, issue_form
from .test_central_scope import sign_in


def import_at_central(hub, tmp_path, text: str, country: str):
    path = tmp_path / f"{country}.csv"
    path.write_text(text, encoding="utf-8")
    report = places_import.import_places(hub, path, country)
    assert not report.problems
    return report


def names(conn) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM places WHERE deleted = 0")}


def test_a_place_imported_at_central_reaches_a_device_of_its_country_only(make_device, hub, tmp_path):
    import_at_central(hub, tmp_path, "region,district,community\nNairobi,Kibra,Kianda\n", "KE")
    import_at_central(hub, tmp_path, "region,district\nNorthern,Tamale\n", "GH")
    kenya = make_device("kenya")
    kenya.enroll(org="kolwa-youth", country="KE")
    kenya.sync()
    assert names(kenya.conn) == {"Nairobi", "Kibra", "Kianda"}
    page = kenya.app.test_client().get("/places/options?country=KE&region=Nairobi").get_data(as_text=True)
    assert '<option value="Kibra">' in page


def test_a_place_learnt_on_one_device_is_offered_on_another_orgs_device(make_device, hub):
    a, b, ghana = make_device("a"), make_device("b"), make_device("ghana")
    a.enroll(org="kolwa-youth", country="KE")
    b.enroll(org="kibra-voices", country="KE")
    ghana.enroll(org="tamale-watch", country="GH")
    response = FormClient(a.app.test_client()).submit(
        "/issues/new",
        issue_form(region="Kisumu", district="Kisumu East", ward="", community="Kolwa", facility=""),
    )
    assert response.status_code == 303
    a.sync()
    b.sync()
    ghana.sync()
    assert not hub.execute("SELECT COUNT(*) FROM sync_refused").fetchone()[0]
    assert names(b.conn) == {"Kisumu", "Kisumu East", "Kolwa"}
    assert names(ghana.conn) == set()
    scope = hub.execute("SELECT DISTINCT org, country FROM sync_scope WHERE tbl = 'places'").fetchall()
    assert [tuple(r) for r in scope] == [("*", "KE")]


def test_the_same_place_added_on_two_devices_offline_is_one_place(make_device, hub):
    a, b = make_device("a"), make_device("b")
    a.enroll()
    b.enroll(org="kibra-voices")
    for device, spelling in ((a, "Kolwa"), (b, "Kolwa")):
        with journal.transaction(device.conn):
            places.add(device.conn, "KE", "community", spelling)
    a.sync()
    b.sync()
    a.sync()
    for conn in (a.conn, b.conn, hub):
        assert conn.execute("SELECT COUNT(*) FROM places").fetchone()[0] == 1


def test_a_ghana_place_made_on_a_kenya_device_is_not_sent_and_central_refuses_one_pushed(make_device, hub):
    kenya = make_device("kenya")
    kenya.enroll()
    with journal.transaction(kenya.conn):
        places.add(kenya.conn, "GH", "region", "Northern")  # e.g. learnt from a record made before enrolment
    kenya.sync()
    assert hub.execute("SELECT COUNT(*) FROM sync_refused").fetchone()[0] == 0
    assert names(hub) == set()
    # A device that sends one anyway is refused, and so is a place claimed by one org only.
    peer = server.Peer(journal.device_id(kenya.conn), "kolwa-youth", "KE")
    for org, country in (("*", "GH"), ("kolwa-youth", "KE")):
        op = {
            "device_id": peer.device_id,
            "dseq": 99,
            "tbl": "places",
            "row_id": f"pl-{org}-{country}",
            "kind": "create",
            "fields": {
                "created_at": "2026-03-01T10:00:00Z",
                "org": org,
                "country": country,
                "name": "Northern",
                "kind": "region",
                "deleted": 0,
            },
            "base": {},
            "hlc": "0000000000001-0000-" + peer.device_id,
            "author": "",
        }
        with pytest.raises(Refused):
            checks.check_op(hub, checks.Scopes(hub, [op]), peer, op)


def test_a_kenya_account_at_central_is_offered_no_ghana_places(central_app, hub, tmp_path):
    import_at_central(hub, tmp_path, "region\nGreater Accra\n", "GH")
    import_at_central(hub, tmp_path, "region\nNairobi\n", "KE")
    web = sign_in(central_app, hub, "wanjiru", "KE")
    page = web.get("/places/options?country=GH").get_data(as_text=True)
    assert re.findall(r'<option value="([^"]*)"', page) == ["Nairobi"]


def test_a_country_team_imports_places_on_the_central_page(central_app, hub):
    import io

    web = sign_in(central_app, hub, "wanjiru", "KE")
    page = web.get("/central/places/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def upload(text: str):
        data = {"csrf_token": token, "file": (io.BytesIO(text.encode()), "places.csv", "text/csv")}
        return web.post("/central/places/", data=data, content_type="multipart/form-data")

    bad = upload("region,district,facility,kind\nNairobi,,,clinic\n")
    assert bad.status_code == 422
    assert "line 2, kind: A kind is given but no facility." in bad.get_data(as_text=True)
    good = upload("region,district,facility,kind\nNairobi,Kibra,Kibra clinic,clinic\n")
    assert good.status_code == 303
    assert "Added 3 places." in web.get(good.headers["Location"]).get_data(as_text=True)
    assert hub.execute("SELECT DISTINCT country FROM places").fetchall()[0][0] == "KE"
    again = web.get(
        upload("region,district,facility,kind\nNairobi,Kibra,Kibra clinic,clinic\n").headers["Location"]
    )
    assert "Added 0 places. 3 were already there." in again.get_data(as_text=True)


def test_a_refused_create_leaves_no_scope_for_later_changes_of_its_row(make_device, hub):
    """A create refused for a missing linked row (here a place's parent) must not leave its row's
    scope behind: later changes of that row are refused too, not merged into a row with no create."""
    from .test_boundary import inject

    kenya = make_device("kenya")
    kenya.enroll()
    fields = {
        "created_at": "2026-03-01T10:00:00Z",
        "org": "*",
        "country": "KE",
        "name": "Kolwa",
        "kind": "community",
        "parent_id": "no-such-place",
        "deleted": 0,
    }
    inject(kenya.conn, "places", "pl-orphan", "create", fields)
    inject(kenya.conn, "places", "pl-orphan", "set", {"name": "Kolwa B"})
    inject(kenya.conn, "places", "pl-orphan", "delete", {"deleted": 1})
    kenya.sync()
    codes = [r[0] for r in hub.execute("SELECT code FROM sync_refused ORDER BY dseq")]
    assert codes == ["unknown-record", "depends-on-refused", "depends-on-refused"]
    assert hub.execute("SELECT COUNT(*) FROM sync_scope WHERE row_id = 'pl-orphan'").fetchone()[0] == 0
