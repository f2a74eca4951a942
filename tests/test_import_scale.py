"""The fast import path: new issues are searchable, search keeps working afterwards, and a
refused file leaves the search triggers exactly as they were."""

from __future__ import annotations

import csv

from fieldkit.queries.issues import create_issue, list_issues

ROWS = [
    {
        "title": "Forage en panne à l'école",
        "sector": "water",
        "language": "fr",
        "district": "Mbour",
        "community": "Joal",
        "country": "SN",
    },
    {
        "title": "पानी की टंकी टूटी हुई है",
        "sector": "water",
        "language": "hi",
        "district": "Lucknow",
        "community": "Malihabad",
        "country": "IN",
    },
    {
        "title": "Zahanati haina dawa",
        "sector": "health",
        "language": "sw",
        "district": "Nyando",
        "community": "Ahero",
        "country": "KE",
    },
]


def write_csv(path, rows):
    columns = sorted({key for row in rows for key in row} | {"id"})
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def triggers(db):
    return sorted(
        tuple(r)
        for r in db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'issues'"
        )
    )


def titles(db, q):
    rows, _ = list_issues(db, {"q": q})
    return {r["title"] for r in rows}


def test_imported_issues_without_ids_are_all_imported_and_searchable(runner, db, tmp_path):
    before = triggers(db)
    result = runner("import", str(write_csv(tmp_path / "issues.csv", ROWS)))
    assert result.exit_code == 0, result.output
    assert "Imported 3 issues." in result.output
    assert titles(db, "ecole") == {"Forage en panne à l'école"}
    assert titles(db, "पानी") == {"पानी की टंकी टूटी हुई है"}
    assert titles(db, "dawa Nyando") == {"Zahanati haina dawa"}
    assert titles(db, "alihaba") == {"पानी की टंकी टूटी हुई है"}  # part of a community name
    assert triggers(db) == before
    # Issues recorded afterwards are indexed by the triggers, as before the import.
    create_issue(db, {"title": "Borehole broken", "sector": "water", "country": "KE"})
    assert titles(db, "borehole") == {"Borehole broken"}


def test_a_refused_file_imports_nothing_and_keeps_the_search_triggers(runner, db, tmp_path):
    before = triggers(db)
    bad = [*ROWS, {"title": "", "sector": "water"}]
    result = runner("import", str(write_csv(tmp_path / "bad.csv", bad)))
    assert result.exit_code != 0
    assert "row 5" in result.output
    assert db.execute("SELECT COUNT(*) FROM issues").fetchone()[0] == 0
    assert triggers(db) == before


def test_importing_the_same_file_twice_adds_nothing(runner, db, tmp_path):
    runner("import", str(write_csv(tmp_path / "issues.csv", ROWS)))
    exported = tmp_path / "export.csv"
    assert runner("export", "--format", "csv", "--out", str(exported)).exit_code == 0
    result = runner("import", str(exported))
    assert "Imported 0 issues. 3 were already present." in result.output
    assert db.execute("SELECT COUNT(*) FROM issues").fetchone()[0] == 3
    assert titles(db, "Joal") == {"Forage en panne à l'école"}
