"""Exports and the read API at central: scope, profiles, and each format read back by a real reader."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from fieldkit.central import accounts, read_tokens
from fieldkit.db import connect
from fieldkit.open311 import REQUEST_FIELDS, SERVICE_FIELDS
from tests.export_data import ADDRESS, HIDDEN, INTERNAL, PERSON, PRIVATE, REPORTER, seed

FORMATS = ("csv", "jsonl", "xlsx", "geojson", "open311")
KINDS = ("issues", "events", "meetings", "actions")
#: What each profile must never carry, by marker.
NEVER = {
    "internal": (REPORTER, PRIVATE),
    "officials": (REPORTER, PRIVATE, INTERNAL, HIDDEN),
    "public": (REPORTER, PRIVATE, INTERNAL, HIDDEN, PERSON, ADDRESS),
}


@pytest.fixture
def central(central_app):
    conn = connect(central_app.config["DATABASE"])
    ids = {"KE": seed(conn, "KE"), "GH": seed(conn, "GH", lat=5.603717, lon=-0.186964)}
    accounts.add_user(conn, "amina", "long enough 1", country="KE", role="member")
    accounts.add_user(conn, "victor", "long enough 2", country="KE", role="viewer")
    accounts.add_user(conn, "ada", "long enough 3", country="*", role="admin")
    yield central_app, conn, ids
    conn.close()


def signed_in(app, name, password):
    client = app.test_client()
    page = client.get("/central/login")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post("/central/login", data={"username": name, "password": password, "csrf_token": token})
    assert answer.status_code in (302, 303)
    return client


def text_of(body: bytes, fmt: str) -> str:
    """Everything an export holds, as text to search (an XLSX read back cell by cell)."""
    if fmt != "xlsx":
        return body.decode("utf-8")
    book = load_workbook(io.BytesIO(body), read_only=True)
    try:
        return "\n".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row)
    finally:
        book.close()


def download(client, fmt, kind="issues", profile="internal"):
    answer = client.get(f"/central/exports/download?format={fmt}&kind={kind}&profile={profile}")
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    body = answer.get_data()
    answer.close()  # an XLSX download streams from a temporary file
    return body


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_kenya_account_never_exports_a_ghana_record_in_any_format(central, fmt):
    app, _conn, ids = central
    for name, password in (("amina", "long enough 1"), ("victor", "long enough 2")):
        client = signed_in(app, name, password)
        for kind in KINDS if fmt in ("csv", "jsonl") else ("issues",):
            text = text_of(download(client, fmt, kind), fmt)
            assert ids["KE"][kind[:-1]] in text or "KE-" in text  # its own records (Open311: by ref)
            for ghana in ids["GH"].values():
                assert ghana not in text
            assert "GH" not in text  # no Ghana ref, country, district or title


def test_an_admin_of_every_country_exports_both(central):
    app, _conn, ids = central
    text = download(signed_in(app, "ada", "long enough 3"), "csv").decode()
    assert ids["KE"]["issue"] in text and ids["GH"]["issue"] in text


@pytest.mark.parametrize("profile", NEVER)
@pytest.mark.parametrize("fmt", FORMATS)
def test_each_profile_leaves_out_what_it_must_in_every_format(central, fmt, profile):
    app, _conn, _ids = central
    client = signed_in(app, "ada", "long enough 3")
    for kind in KINDS if fmt in ("csv", "jsonl") else ("issues",):
        text = text_of(download(client, fmt, kind, profile), fmt)
        for marker in NEVER[profile]:
            assert marker not in text, (fmt, kind, profile, marker)
    if profile == "internal":
        everything = "".join(text_of(download(client, "csv", k), "csv") for k in KINDS)
        assert PERSON in everything and INTERNAL in everything and HIDDEN in everything


def test_csv_reads_back_with_formulas_neutralised(central):
    app, _conn, ids = central
    rows = list(
        csv.DictReader(io.StringIO(download(signed_in(app, "amina", "long enough 1"), "csv").decode()))
    )
    issue = next(r for r in rows if r["id"] == ids["KE"]["issue"])
    assert issue["title"].startswith("'=HYPERLINK")
    assert issue["people_affected"] == "1200" and issue["lat"] == "-1.286389"


def test_xlsx_has_a_sheet_per_kind_with_real_dates_and_numbers(central):
    from datetime import date, datetime
    from decimal import Decimal

    app, _conn, _ids = central
    book = load_workbook(io.BytesIO(download(signed_in(app, "amina", "long enough 1"), "xlsx")))
    assert book.sheetnames == ["Issues", "Timeline events", "Meetings", "Action items"]
    sheet = book["Issues"]
    header = [c.value for c in sheet[1]]
    row = {h: c.value for h, c in zip(header, sheet[2], strict=True)}
    assert isinstance(row["created_at"], datetime)
    assert row["observed_on"] in (date(2026, 3, 1), datetime(2026, 3, 1))
    assert row["people_affected"] == 1200 and row["severity"] == 3
    assert Decimal(str(row["budget_allocated"])) == Decimal("1500000.5")
    assert sheet["G2"].data_type != "f" and str(row["title"]).startswith("'=")
    events = book["Timeline events"]
    due = [c.value for c in events[2]][[c.value for c in events[1]].index("due_on")]
    assert due in (date(2026, 4, 30), datetime(2026, 4, 30))


def test_geojson_is_a_feature_collection_with_lon_lat_points(central):
    app, _conn, ids = central
    data = json.loads(download(signed_in(app, "amina", "long enough 1"), "geojson"))
    assert data["type"] == "FeatureCollection"
    assert [f["id"] for f in data["features"]] == [ids["KE"]["issue"]]  # the one with a location
    feature = data["features"][0]
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"
    lon, lat = feature["geometry"]["coordinates"]
    assert (lon, lat) == (36.817223, -1.286389)  # RFC 7946: longitude first
    assert -180 <= lon <= 180 and -90 <= lat <= 90 and isinstance(feature["properties"], dict)
    public = json.loads(download(signed_in(app, "amina", "long enough 1"), "geojson", profile="public"))
    assert public["features"][0]["geometry"]["coordinates"] == [36.82, -1.29]


def test_open311_services_and_requests_carry_the_georeport_v2_fields(central):
    app, _conn, ids = central
    data = json.loads(download(signed_in(app, "amina", "long enough 1"), "open311"))
    assert {s["service_code"] for s in data["services"]} >= {"water", "health"}
    assert all(set(s) == set(SERVICE_FIELDS) for s in data["services"])
    requests = {r["service_request_id"]: r for r in data["requests"]}
    assert all(set(r) == set(REQUEST_FIELDS) for r in requests.values())
    shown = next(r for r in requests.values() if r["service_code"] == "water")
    assert shown["status"] == "open" and shown["status_notes"] == "Commitment made"
    assert (shown["lat"], shown["long"]) == (-1.286389, 36.817223)
    assert shown["requested_datetime"].endswith("Z") and shown["description"].startswith("=HYPERLINK")
    assert {r["status"] for r in requests.values()} <= {"open", "closed"}


def test_the_command_line_exports_every_format_of_the_devices_records(central, tmp_path):
    from click.testing import CliRunner

    from fieldkit.cli import main

    app, _conn, ids = central
    data = str(app.config["DATA_DIR"])
    for fmt in FORMATS:
        out = tmp_path / f"all.{fmt}"
        result = CliRunner().invoke(
            main, ["--data", data, "export", "--format", fmt, "--out", str(out), "--profile", "public"]
        )
        assert result.exit_code == 0, result.output
        text = text_of(out.read_bytes(), fmt)
        assert "District KE" in text and "District GH" in text, fmt  # every country on this machine
        for marker in NEVER["public"]:
            assert marker not in text


# --- the read API --------------------------------------------------------------------------------


def test_a_read_token_reads_only_its_accounts_country_page_by_page(central):
    app, conn, ids = central
    token = read_tokens.create(conn, "victor", "dashboard")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    for kind, key in (
        ("issues", "issue"),
        ("events", "event"),
        ("meetings", "meeting"),
        ("actions", "action"),
    ):
        seen, after = [], ""
        while True:
            page = client.get(f"/api/v1/read/{kind}?limit=1{after}", headers=headers).get_json()
            seen += [item["id"] for item in page["items"]]
            if page["next"] is None:
                break
            after = f"&after={page['next']}"
        assert ids["KE"][key] in seen and not set(seen) & {v for v in ids["GH"].values()}
    asked_for_ghana = client.get("/api/v1/read/issues?country=GH", headers=headers).get_json()
    assert asked_for_ghana["items"] == []
    water = client.get("/api/v1/read/issues?sector=health", headers=headers).get_json()["items"]
    assert [i["id"] for i in water] == [ids["KE"]["hidden"]]


def test_a_session_cookie_reads_the_api_too_and_nobody_else_does(central):
    app, conn, ids = central
    items = signed_in(app, "amina", "long enough 1").get("/api/v1/read/issues").get_json()["items"]
    assert {i["id"] for i in items} == {ids["KE"]["issue"], ids["KE"]["hidden"]}
    anonymous = app.test_client().get("/api/v1/read/issues")
    assert anonymous.status_code == 401 and anonymous.mimetype == "application/problem+json"
    wrong = app.test_client().get("/api/v1/read/issues", headers={"Authorization": "Bearer fkr_nope"})
    assert wrong.status_code == 401
    token = read_tokens.create(conn, "amina", "x")
    accounts.set_disabled(conn, "amina", True)
    assert (
        app.test_client().get("/api/v1/read/issues", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )


def test_bad_parameters_are_json_problems(central):
    app, conn, _ids = central
    headers = {"Authorization": f"Bearer {read_tokens.create(conn, 'ada', 'x')}"}
    client = app.test_client()
    for query in (
        "limit=0",
        "limit=501",
        "after=-1",
        "sector=moon",
        "status=lost",
        "updated_since=yesterday",
    ):
        answer = client.get(f"/api/v1/read/issues?{query}", headers=headers)
        assert answer.status_code == 400 and answer.get_json()["detail"], query


def test_the_token_page_shows_a_new_token_once_and_revokes_it(central):
    app, conn, _ids = central
    client = signed_in(app, "victor", "long enough 2")
    page = client.get("/central/tokens/").get_data(as_text=True)
    csrf_token = page.split('name="csrf_token" value="')[1].split('"')[0]
    made = client.post("/central/tokens/", data={"label": "Power BI", "csrf_token": csrf_token})
    token = made.get_data(as_text=True).split('<code id="new-token">')[1].split("<")[0]
    assert (
        app.test_client().get("/api/v1/read/issues", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    assert token not in client.get("/central/tokens/").get_data(as_text=True)
    assert token not in "".join(str(r) for r in conn.execute("SELECT * FROM central_read_tokens"))
    (token_id,) = conn.execute("SELECT id FROM central_read_tokens").fetchone()
    client.post(f"/central/tokens/{token_id}/revoke", data={"csrf_token": csrf_token})
    assert (
        app.test_client().get("/api/v1/read/issues", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
