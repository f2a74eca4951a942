"""``fieldkit export --country``: a central data folder (every country) exported one country at a time."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from fieldkit.cli import main
from fieldkit.db import connect
from tests.export_data import seed
from tests.sync.test_exports import text_of


@pytest.fixture
def folder(central_app):
    conn = connect(central_app.config["DATABASE"])
    ids = {"KE": seed(conn, "KE"), "GH": seed(conn, "GH", lat=5.603717, lon=-0.186964)}
    conn.close()
    return central_app.config["DATA_DIR"], ids


def export(data, *args):
    return CliRunner().invoke(main, ["--data", str(data), "export", *args], catch_exceptions=False)


@pytest.mark.parametrize(
    ("fmt", "kind"),
    [
        ("csv", "issues"),
        ("csv", "events"),
        ("jsonl", "meetings"),
        ("jsonl", "actions"),
        ("geojson", "issues"),
        ("open311", "issues"),
    ],
)
def test_export_with_a_country_holds_that_country_only(folder, fmt, kind):
    data, ids = folder
    done = export(data, "--format", fmt, "--kind", kind, "--country", "ke")  # any case
    assert done.exit_code == 0, done.output
    assert "KE-" in done.output or ids["KE"][kind[:-1]] in done.output
    assert not any(ghana in done.output for ghana in ids["GH"].values())
    assert "GH" not in done.output


def test_xlsx_to_a_file_with_a_country_holds_that_country_only(folder, tmp_path):
    data, ids = folder
    out = tmp_path / "kenya.xlsx"
    done = export(data, "--format", "xlsx", "--country", "GH", "--out", str(out))
    assert done.exit_code == 0, done.output
    text = text_of(out.read_bytes(), "xlsx")
    assert ids["GH"]["issue"] in text and ids["GH"]["meeting"] in text
    assert not any(kenya in text for kenya in ids["KE"].values())


def test_without_a_country_every_country_is_exported(folder):
    data, ids = folder
    done = export(data, "--format", "csv")
    assert ids["KE"]["issue"] in done.output and ids["GH"]["issue"] in done.output


def test_an_unknown_country_is_refused_with_a_reason(folder):
    data, _ids = folder
    done = export(data, "--format", "csv", "--country", "XX")
    assert done.exit_code != 0 and "--country" in done.output
