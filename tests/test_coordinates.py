"""GPS coordinates are shown and exported as plain decimals that the form and the importer read back
exactly (never ``5.6e-05``, which both refuse)."""

from __future__ import annotations

import csv
import io
import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldkit.forms import parse_issue
from fieldkit.import_reader import cell
from fieldkit.transfer import export_text, import_issues
from fieldkit.validation import Invalid, coordinate, coordinate_text

from .conftest import create_issue, issue_form

BOUNDS = {"lat": (-90, 90), "lon": (-180, 180), "gps_accuracy": (0, 100_000)}


@st.composite
def accepted(draw):
    """A field and a text the form accepts for it (typed digits, a float's shortest digits, the
    GPS button's toFixed(6), a decimal comma), with the number the form reads from it."""
    field = draw(st.sampled_from(sorted(BOUNDS)))
    low, high = BOUNDS[field]
    value = draw(
        st.one_of(
            st.floats(min_value=low, max_value=high, allow_nan=False),
            st.floats(min_value=max(low, -1e-3), max_value=1e-3),
        )
    )
    digits = draw(st.decimals(min_value=low, max_value=high, places=draw(st.integers(0, 12))))
    text = draw(
        st.sampled_from(
            [
                format(digits, "f"),
                repr(value) if "e" not in repr(value) else format(digits, "f"),
                f"{value:.6f}",
                format(digits, "f").replace(".", ","),
            ]
        )
    )
    return field, text, coordinate(text, minimum=low, maximum=high)


def with_locale(app, function):
    with app.test_request_context("/"):
        return function()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(accepted())
def test_every_accepted_coordinate_round_trips_through_display_form_and_import(app, case):
    field, text, value = case
    low, high = BOUNDS[field]
    shown = coordinate_text(value)  # the issue page, the edit form's value, the CSV cell
    assert re.fullmatch(r"-?\d+(\.\d+)?", shown), shown
    assert coordinate(shown, minimum=low, maximum=high) == value  # the edit form, saved again
    from_json = cell(json.loads(json.dumps(value)))  # a JSON Lines export, imported
    assert coordinate(from_json, minimum=low, maximum=high) == value
    form = issue_form(**{"lat": "1", "lon": "1", field: shown})
    parsed = with_locale(app, lambda: parse_issue(form))
    assert not parsed.errors and parsed.values[field] == value


def test_a_scientific_notation_coordinate_is_still_refused_when_typed(app):
    with app.test_request_context("/"):
        try:
            coordinate("5.6e-05", minimum=-90, maximum=90)
        except Invalid:
            return
    raise AssertionError("5.6e-05 was accepted")


def test_a_coordinate_near_zero_is_shown_exported_and_imported_as_plain_digits(client, app, db, tmp_path):
    issue_id = create_issue(client, lat="0.000056", lon="-0.0000001", gps_accuracy="0.5")
    page = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert "0.000056, -0.0000001" in page and "5.6e-05" not in page and "1e-07" not in page
    edit = client.get(f"/issues/{issue_id}/edit").get_data(as_text=True)
    assert 'value="0.000056"' in edit and 'value="-0.0000001"' in edit
    saved = client.submit(f"/issues/{issue_id}/edit", issue_form(lat="0.00001", lon="-0.0000001"))
    assert saved.status_code == 303
    history = client.get(f"/issues/{issue_id}/history").get_data(as_text=True)
    assert re.search(r"0\.000056</span>.*0\.00001</span>", history, re.S), "history shows plain digits"
    client.submit(f"/issues/{issue_id}/edit", issue_form(lat="0.000056", lon="-0.0000001"))
    for fmt in ("csv", "jsonl"):
        with app.app_context():
            exported = export_text(db, fmt)
        if fmt == "csv":
            row = next(csv.DictReader(io.StringIO(exported)))
            assert (row["lat"], row["lon"]) == ("0.000056", "-0.0000001")
        source = tmp_path / f"issues.{fmt}"
        source.write_text(exported, encoding="utf-8")
        from fieldkit import create_app
        from fieldkit.db import connect

        other = create_app({"DATA_DIR": tmp_path / f"other-{fmt}", "TESTING": True})
        conn = connect(other.config["DATABASE"])
        try:
            with other.test_request_context("/"):
                report = import_issues(conn, source)
            assert report.problems == [] and report.imported == 1
            assert conn.execute("SELECT lat, lon FROM issues").fetchone()[:] == (0.000056, -0.0000001)
        finally:
            conn.close()
