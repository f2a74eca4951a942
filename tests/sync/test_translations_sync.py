"""Translations travel with sync, between real processes: a translator at a running central
corrects a Wolof text and a device shows it after its next sync; a broken entry a device pushes
is refused at central and never reaches another device; two offline edits of one entry are one
dispute; a device enrolled without the translate grant cannot push translations."""

from __future__ import annotations

import json

import pytest

from fieldkit import create_app
from fieldkit.central import queries as central_queries
from fieldkit.db import connect
from fieldkit.queries import catalog
from fieldkit.records import TRANSLATE, catalog_entry_id

from . import test_end_to_end
from .test_end_to_end import fieldkit
from .test_roles_processes import add_user, close_browsers, form_token, sign_in  # noqa: F401

central_server = test_end_to_end.central_server

pytestmark = pytest.mark.slow


def enrol(central, url, device, grants=TRANSLATE):
    conn = connect(central / "fieldkit.db")
    try:
        code = central_queries.create_code(conn, "kolwa-youth", "SN", grants=grants)
    finally:
        conn.close()
    assert "Enrolled" in fieldkit(device, "enroll", url, code).stdout


def page(device, path):
    app = create_app({"DATA_DIR": device, "TESTING": True})
    return app.test_client().get(path).get_data(as_text=True)


def write_entry(device, forms, author):
    """A translation written on the device as its own page would, without the page's check."""
    conn = connect(device / "fieldkit.db")
    try:
        catalog.save(conn, "wo", "", "Issues", "", forms, author=author)
    finally:
        conn.close()


def rows(data, sql, *params):
    conn = connect(data / "fieldkit.db")
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_a_correction_at_central_reaches_a_device_broken_ones_never_do(tmp_path, central_server):
    central, url = central_server
    add_user(central, "awa", "translator", "*")
    web = sign_in(url, "awa", "long password")
    answer = web.post(
        "/translate/wo/save",
        data={
            "csrf_token": form_token(web, "/translate/wo?msgid=Issues"),
            "msgid": "Issues",
            "form-0": "Jafe yi",
        },
    )
    assert answer.status_code == 303, answer.text[-800:]
    broken = web.post(
        "/translate/wo/save",
        data={
            "csrf_token": form_token(web, "/translate/wo"),
            "msgid": "Photo: %(name)s",
            "form-0": "Nataal: %(tur)s",
        },
    )
    assert broken.status_code == 422

    a, b, plain = tmp_path / "a", tmp_path / "b", tmp_path / "plain"
    enrol(central, url, a)
    enrol(central, url, b)
    enrol(central, url, plain, grants="")
    assert ">Jafe-jafe</a>" in page(a, "/?lang=wo")
    fieldkit(a, "sync")
    assert ">Jafe yi</a>" in page(a, "/?lang=wo")

    # A broken entry written on device b (an older or tampered FieldKit) is refused at central.
    conn = connect(b / "fieldkit.db")
    try:
        catalog.save(conn, "wo", "", "Photo: %(name)s", "", ["Nataal: %(tur)s"], author="b")
        catalog.save(conn, "wo", "", "Search", "", ["<b>Seet"], author="b")
    finally:
        conn.close()
    fieldkit(b, "sync")
    refused = rows(central, "SELECT code, reason FROM sync_refused WHERE tbl = 'catalog_entries'")
    assert [code for code, _ in refused] == ["translation", "translation"], refused
    fieldkit(a, "sync")
    assert rows(a, "SELECT COUNT(*) FROM catalog_entries")[0][0] == 1
    assert rows(central, "SELECT COUNT(*) FROM catalog_entries")[0][0] == 1

    # A device without the translate grant cannot push a translation, however good.
    conn = connect(plain / "fieldkit.db")
    try:
        catalog.save(conn, "wo", "", "Meetings", "", ["Ndaje yi"], author="plain")
    finally:
        conn.close()
    fieldkit(plain, "sync")
    assert rows(central, "SELECT code FROM sync_refused WHERE device_id != ? AND code = 'forbidden'", "")


def test_two_offline_edits_of_one_entry_are_one_dispute(tmp_path, central_server):
    central, url = central_server
    a, b = tmp_path / "a", tmp_path / "b"
    enrol(central, url, a)
    enrol(central, url, b)
    write_entry(a, ["Jafe yi"], "Awa")
    fieldkit(a, "sync")
    fieldkit(b, "sync")
    write_entry(a, ["Jafe-jafe yi"], "Awa")
    write_entry(b, ["Jafe ya"], "Moussa")
    fieldkit(a, "sync")
    fieldkit(b, "sync")
    fieldkit(a, "sync")
    row_id = catalog_entry_id("wo", "", "Issues")
    for data in (central, a, b):
        disputes = rows(data, "SELECT field, candidates FROM sync_conflicts WHERE row_id = ?", row_id)
        assert [field for field, _ in disputes] == ["msgstr"], data
        values = sorted(json.loads(c["value"])[0] for c in json.loads(disputes[0][1]))
        assert values == ["Jafe ya", "Jafe-jafe yi"]


def test_a_correction_reaches_a_device_with_no_network_by_bundle(tmp_path, central_server):
    central, url = central_server
    device = tmp_path / "device"
    enrol(central, url, device)
    conn = connect(central / "fieldkit.db")
    try:
        catalog.save(conn, "wo", "", "Issues", "", ["Jafe yi"], author="Awa")
    finally:
        conn.close()
    fieldkit(device, "bundle", "export", str(tmp_path / "out.bundle"))
    fieldkit(
        central,
        "central",
        "bundle",
        "import",
        str(tmp_path / "out.bundle"),
        "--reply",
        str(tmp_path / "reply.bundle"),
    )
    assert ">Jafe-jafe</a>" in page(device, "/?lang=wo")
    fieldkit(device, "bundle", "import", str(tmp_path / "reply.bundle"))
    assert ">Jafe yi</a>" in page(device, "/?lang=wo")
