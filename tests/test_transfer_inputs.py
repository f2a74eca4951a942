"""Import and export files from outside are checked, not trusted: formula cells, extra cells,
unknown or doubled columns, other encodings, broken or deeply nested JSON. Each refusal is one
clear line, nothing is imported, and a file FieldKit exported imports back to the same text."""

from __future__ import annotations

import codecs
import csv
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldkit.cells import FORMULA_START, NUMBER, neutralise, restore
from tests.conftest import create_issue
from tests.test_meetings import create_meeting

FORMULAS = ['=HYPERLINK("http://x.example","ok")', "+254 700 000", "-2+3", "@SUM(A1)", "'=already quoted"]


def one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def exported_csv(runner, kind="issues") -> list[dict]:
    result = runner("export", "--format", "csv", "--kind", kind)
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.output)))


def test_csv_export_neutralises_formula_cells_but_keeps_numbers(client, runner):
    for title in FORMULAS:
        create_issue(client, title=title, lat="-1.2921", lon="36.8219", community="-5")
    rows = exported_csv(runner)
    assert [r["title"] for r in rows] == ["'" + title for title in FORMULAS]
    for row in rows:
        assert not row["title"].startswith(("=", "+", "-", "@", "\t", "\r"))
        assert row["lat"] == "-1.2921" and row["community"] == "-5"  # numbers stay numbers


def test_meeting_and_action_exports_neutralise_formula_cells(client, runner):
    meeting = create_meeting(client, title="=cmd|' /C calc'!A0", notes="@notes")
    client.submit(
        f"/meetings/{meeting}/actions",
        {"what": "+call the district", "owner_kind": "partner", "due_on": "2026-05-01", "status": "open"},
    )
    [row] = exported_csv(runner, "meetings")
    assert row["title"] == "'=cmd|' /C calc'!A0" and row["notes"] == "'@notes"
    [action] = exported_csv(runner, "actions")
    assert action["what"] == "'+call the district"


def test_jsonl_export_keeps_text_exactly(client, runner):
    create_issue(client, title="=1+1")
    result = runner("export", "--format", "jsonl")
    assert json.loads(result.output)["title"] == "=1+1"


def test_a_neutralised_export_imports_back_to_the_original_text(client, runner, tmp_path):
    from click.testing import CliRunner

    from fieldkit.cli import main

    titles = [*FORMULAS, "''=two apostrophes", "'plain apostrophe", "-5"]
    for title in titles:
        create_issue(client, title=title)
    out = tmp_path / "issues.csv"
    assert runner("export", "--format", "csv", "--out", str(out)).exit_code == 0
    other = tmp_path / "other"
    result = CliRunner().invoke(main, ["--data", str(other), "import", str(out)])
    assert result.exit_code == 0, result.output
    back = CliRunner().invoke(main, ["--data", str(other), "export", "--format", "jsonl"])
    assert sorted(json.loads(line)["title"] for line in back.output.splitlines()) == sorted(titles)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("'=+-@\t\r5.aé "), max_size=8))
def test_neutralise_then_restore_is_the_identity(text):
    written = neutralise(text)
    assert restore(written) == text
    assert not written.startswith(FORMULA_START) or NUMBER.match(written)


def write(path, text: str, encoding="utf-8") -> str:
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_a_row_with_more_cells_than_columns_is_refused_with_its_row(runner, tmp_path):
    source = write(tmp_path / "x.csv", "title,sector\nPump,water\nClinic,health,Kolwa\n")
    result = runner("import", source)
    assert result.exit_code == 1
    assert "row 3: This row has more cells than the first row has column names." in result.output
    assert exported_csv(runner) == []


def test_unknown_and_doubled_columns_are_named(runner, tmp_path):
    unknown = runner("import", write(tmp_path / "a.csv", "title,sector,colour,size\nPump,water,red,L\n"))
    assert one_line_error(unknown) == "Error: Row 1 names columns FieldKit does not read: colour, size."
    twice = runner("import", write(tmp_path / "b.csv", "title,sector,title\nPump,water,Well\n"))
    assert one_line_error(twice) == "Error: Row 1 names a column twice: title."


@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8])
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_utf8_imports_with_or_without_a_byte_order_mark(runner, tmp_path, bom, fmt):
    if fmt == "csv":
        text = "title,sector,language\nÉcole sans toilettes,sanitation,fr\n"
    else:
        text = json.dumps({"title": "École sans toilettes", "sector": "sanitation", "language": "fr"}) + "\n"
    path = tmp_path / f"issues.{fmt}"
    path.write_bytes(bom + text.encode("utf-8"))
    result = runner("import", str(path))
    assert result.exit_code == 0, result.output
    assert exported_csv(runner)[0]["title"] == "École sans toilettes"


@pytest.mark.parametrize(
    ("encoding", "named"),
    [("utf-16", "UTF-16"), ("utf-16-le", "UTF-16"), ("utf-32", "UTF-32")],
)
def test_a_utf16_file_is_named_as_such_in_one_line(runner, tmp_path, encoding, named):
    source = write(tmp_path / "x.csv", "title,sector\nÉcole,sanitation\n", encoding)
    line = one_line_error(runner("import", source))
    assert f"This file is in {named}, not UTF-8; nothing was imported." in line


@pytest.mark.parametrize("kind", ["issues", "meetings"])
def test_a_latin1_file_names_its_line_in_one_line(runner, tmp_path, kind):
    text = "title,sector\nPump,water\nÉcole sans toilettes,sanitation\n"
    if kind == "meetings":
        text = "title,meeting_type,held_on\nA,community,2026-01-01\nRéunion,community,2026-01-02\n"
    line = one_line_error(runner("import", "--kind", kind, write(tmp_path / "x.csv", text, "latin-1")))
    assert "Line 3 of this file is not UTF-8 (it may be Latin-1 or Windows-1252)" in line


def test_deeply_nested_json_is_one_line_not_a_crash(runner, tmp_path):
    first = write(tmp_path / "a.jsonl", "[" * 100_000 + "]" * 100_000 + "\n")
    assert "Line 1 of this file nests lists or objects deeper than any FieldKit record" in one_line_error(
        runner("import", first)
    )
    later = write(
        tmp_path / "b.jsonl",
        json.dumps({"title": "ok", "sector": "water"}) + '\n{"title": ' + "[" * 100_000 + "\n",
    )
    assert "Line 2 of this file nests lists" in one_line_error(runner("import", later))


def test_a_pretty_printed_json_file_is_refused_in_one_line(runner, tmp_path):
    source = write(tmp_path / "issues.json", json.dumps([{"title": "a", "sector": "water"}], indent=2))
    assert "is not JSON Lines" in one_line_error(runner("import", source))


def test_broken_csv_quoting_is_one_line(runner, tmp_path):
    source = write(tmp_path / "x.csv", 'title,sector\n"Pump"broken,water\n')
    assert "Line 2 of this file is not valid CSV" in one_line_error(runner("import", source))


def test_deeply_nested_issue_links_in_a_meetings_csv_are_a_row_problem(runner, tmp_path):
    deep = "[" * 50_000 + "]" * 50_000
    source = tmp_path / "meetings.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(
            [["title", "meeting_type", "held_on", "issues"], ["A", "community", "2026-01-01", deep]]
        )
    result = runner("import", str(source))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "row 2, issues: Write the issues as a JSON list." in result.output
