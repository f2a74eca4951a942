"""Places to pick: datalists of the country's places on the issue and meeting forms, narrowed by
the wider fields and by what is typed (accents and case do not matter), spellings mapped to the
known name, new places learnt from saved records, and the CSV import of a country's places."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldkit import places_import
from fieldkit.db import transaction
from fieldkit.migrations import migrate
from fieldkit.place_names import fold, place_id
from fieldkit.queries import places

from .conftest import issue_form
from .test_meetings import meeting_form

KENYA = """region,district,community,facility,kind
Nairobi,Kibra,Kianda,Kianda Primary,school
Nairobi,Kibra,Gatwekera,,
Nairobi,Embakasi,Mukuru,,
Kisumu,Kisumu East,Kolwa,Kolwa borehole,water_point
"""


def options(page: str, field: str) -> list[str]:
    """The values a page's datalist for ``field`` offers."""
    found = re.search(rf'<datalist id="places-{field}">(.*?)</datalist>', page, re.S)
    assert found, f"no datalist for {field}"
    return re.findall(r'<option value="([^"]*)"', found.group(1))


def import_text(db, tmp_path, text: str, country: str = "KE", name: str = "places.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return places_import.import_places(db, path, country)


@pytest.fixture
def kenya(db, tmp_path):
    report = import_text(db, tmp_path, KENYA)
    assert not report.problems
    return report


def test_the_new_issue_form_offers_the_countrys_places_without_javascript(client, kenya):
    page = client.get("/issues/new").get_data(as_text=True)
    assert options(page, "region") == ["Kisumu", "Nairobi"]
    assert options(page, "district") == ["Embakasi", "Kibra", "Kisumu East"]
    assert 'list="places-district"' in page and 'autocomplete="off"' in page


def test_choosing_a_region_narrows_the_districts_and_a_district_the_communities(client, kenya):
    page = client.get("/places/options?country=KE&region=Nairobi").get_data(as_text=True)
    assert options(page, "district") == ["Embakasi", "Kibra"]
    assert options(page, "community") == ["Gatwekera", "Kianda", "Mukuru"]
    page = client.get("/places/options?country=KE&region=Nairobi&district=Kibra").get_data(as_text=True)
    assert options(page, "community") == ["Gatwekera", "Kianda"]
    assert options(page, "facility") == ["Kianda Primary"]


def test_the_field_being_typed_is_narrowed_to_matching_names_whatever_the_case(client, kenya):
    page = client.get(
        "/places/options?country=KE&region=nai", headers={"HX-Request": "true", "HX-Trigger-Name": "region"}
    ).get_data(as_text=True)
    assert options(page, "region") == ["Nairobi"]
    assert page.lstrip().startswith('<div id="place-options">')  # the fragment alone


def test_matching_ignores_accents_and_offers_the_known_spelling(client, db, tmp_path):
    import_text(db, tmp_path, "region,district\nKédougou,Saraya\nDakar,Pikine\n", country="SN")
    page = client.get("/places/options?country=SN&region=kedou&typing=region").get_data(as_text=True)
    assert options(page, "region") == ["Kédougou"]
    assert 'label="Kédougou (kedougou)"' in page  # so the browser's own filter keeps it
    page = client.get("/places/options?country=SN&region=KEDOUGOU").get_data(as_text=True)
    assert options(page, "district") == ["Saraya"]


def test_a_place_typed_with_another_spelling_is_saved_with_the_known_one(client, db, tmp_path, kenya):
    import_text(
        db, tmp_path, "region,district,community,other_names\nNairobi,Kibra,Kianda,Kiyanda;Kianda B\n"
    )
    response = client.submit(
        "/issues/new",
        issue_form(region="NAIROBI", district="kibra", community="kiyanda", ward="", facility=""),
    )
    assert response.status_code == 303
    row = db.execute("SELECT region, district, community FROM issues").fetchone()
    assert tuple(row) == ("Nairobi", "Kibra", "Kianda")


def test_a_new_place_typed_on_a_form_is_journaled_and_then_offered(client, db, kenya):
    response = client.submit(
        "/issues/new", issue_form(region="Nairobi", district="Kibra", ward="", community="Lindi", facility="")
    )
    assert response.status_code == 303
    lindi = db.execute("SELECT id, kind, parent_id, org FROM places WHERE name = 'Lindi'").fetchone()
    assert lindi["kind"] == "community" and lindi["org"] == "*"
    assert db.execute("SELECT name FROM places WHERE id = ?", (lindi["parent_id"],)).fetchone()[0] == "Kibra"
    assert (
        db.execute(
            "SELECT COUNT(*) FROM sync_ops WHERE tbl = 'places' AND row_id = ?", (lindi["id"],)
        ).fetchone()[0]
        == 1
    )
    page = client.get("/places/options?country=KE&region=Nairobi&district=Kibra").get_data(as_text=True)
    assert "Lindi" in options(page, "community")


def test_a_meeting_place_is_offered_and_learnt(client, db, kenya):
    page = client.get("/meetings/new").get_data(as_text=True)
    assert "Kolwa" in options(page, "place")
    response = client.submit("/meetings/new", meeting_form(place="kolwa"))
    assert response.status_code == 303
    assert db.execute("SELECT place FROM meetings").fetchone()[0] == "Kolwa"
    client.submit("/meetings/new", meeting_form(place="Kolwa chief's camp", title="Second"))
    page = client.get("/places/options?table=meetings&country=KE").get_data(as_text=True)
    assert "Kolwa chief&#39;s camp" in options(page, "place")


def test_a_refused_form_keeps_the_narrowed_lists(client, kenya):
    response = client.submit("/issues/new", issue_form(title="", region="Kisumu"))
    assert response.status_code == 422
    assert options(response.get_data(as_text=True), "district") == ["Kisumu East"]


def test_importing_the_same_file_again_changes_nothing(db, tmp_path, kenya):
    assert kenya.added == 11 and kenya.already == 0
    ops = db.execute("SELECT COUNT(*) FROM sync_ops").fetchone()[0]
    again = import_text(db, tmp_path, KENYA)
    assert (again.added, again.already, again.problems) == (0, 11, [])
    assert db.execute("SELECT COUNT(*) FROM sync_ops").fetchone()[0] == ops


def test_a_broken_file_saves_nothing_and_names_each_bad_line(db, tmp_path):
    report = import_text(
        db,
        tmp_path,
        "region,district,community,facility,kind\nNairobi,Kibra,,,\nNairobi,,,,school\n,,,,\nKisumu,,,Well,rocket\n",
    )
    assert report.problems == [
        (3, "kind", "A kind is given but no facility."),
        (5, "kind", "Unknown kind of facility; use one of: school, clinic, water_point, facility."),
    ]
    assert db.execute("SELECT COUNT(*) FROM places").fetchone()[0] == 0


def test_a_file_with_unknown_columns_or_too_big_is_refused_whole(db, tmp_path, monkeypatch):
    with pytest.raises(places_import.Unreadable, match="county"):
        import_text(db, tmp_path, "region,county\nNairobi,Kibra\n")
    monkeypatch.setattr(places_import, "MAX_BYTES", 10)
    with pytest.raises(places_import.Unreadable, match="larger than"):
        import_text(db, tmp_path, KENYA)


def test_the_cli_imports_places_and_reports_bad_lines(runner, tmp_path, db):
    good = tmp_path / "ke.csv"
    good.write_text(KENYA, encoding="utf-8")
    result = runner("places", "import", str(good), "--country", "KE")
    assert result.exit_code == 0 and "Added 11 places." in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("region,kind\nNairobi,school\n", encoding="utf-8")
    result = runner("places", "import", str(bad), "--country", "KE")
    assert result.exit_code == 1
    assert "line 2, kind: A kind is given but no facility." in result.output


def test_places_are_made_from_the_issues_and_meetings_already_recorded(client, db):
    client.submit("/issues/new", issue_form(region="Kisumu", district="Kisumu East", community="Kolwa"))
    client.submit("/meetings/new", meeting_form(place="Kolwa chief's camp"))
    with transaction(db):
        db.execute("DELETE FROM places")
        db.execute("DELETE FROM _migrations WHERE name = 'm23_places'")
        db.execute("DROP TABLE places")
    migrate(db)
    names = {r[0] for r in db.execute("SELECT name FROM places")}
    assert {"Kisumu", "Kisumu East", "Kolwa", "Kolwa chief's camp"} <= names


def test_two_spellings_of_one_new_place_make_one_row(db):
    with transaction(db):
        first, _ = places.add(db, "KE", "region", "Nyanza")
        second, added = places.add(db, "KE", "region", "NYANZA ")
    assert first == second and not added


@given(st.text(max_size=40))
def test_folding_is_idempotent_and_ignores_case_and_latin_accents(name):
    folded = fold(name)
    assert fold(folded) == folded
    assert fold(name.upper()) == fold(name.lower()) or not name.isascii()
    assert place_id("KE", "community", None, name) == place_id("KE", "community", None, folded)


def test_folding_keeps_the_marks_of_other_scripts():
    assert fold("Kédougou") == fold("KEDOUGOU") == "kedougou"
    assert fold("कोटा") != fold("कटा")  # a Devanagari vowel sign is part of the word


def test_a_ward_narrows_the_communities_below_it(client, db, tmp_path):
    import_text(
        db,
        tmp_path,
        "region,district,ward,community\nKisumu,Kisumu East,Kolwa East,Nyalunya\nKisumu,Kisumu East,Kolwa Central,Kanyakwar\n",
    )
    page = client.get("/places/options?country=KE&district=Kisumu+East&ward=Kolwa+East").get_data(
        as_text=True
    )
    assert options(page, "ward") == ["Kolwa Central", "Kolwa East"]
    assert options(page, "community") == ["Nyalunya"]
