"""The fieldkit command line: import, export and demo, as a user would run them."""

from __future__ import annotations

import csv
import io
import json

from fieldkit.transfer import COLUMNS


def write_csv(path, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=sorted({k for r in rows for k in r}))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_import_csv_then_export_round_trips(runner, tmp_path):
    source = write_csv(
        tmp_path / "issues.csv",
        [
            {
                "title": "Borehole broken",
                "sector": "water",
                "country": "KE",
                "community": "Kolwa",
                "tags": "water, urgent",
                "budget_allocated": "1500000",
                "budget_currency": "KES",
            },
            {"title": "École sans toilettes", "sector": "sanitation", "country": "SN", "language": "fr"},
            {"title": "पानी की टंकी टूटी", "sector": "water", "country": "IN", "language": "hi"},
        ],
    )
    result = runner("import", str(source))
    assert result.exit_code == 0, result.output
    assert "Imported 3 issues." in result.output
    out = tmp_path / "out.jsonl"
    assert runner("export", "--format", "jsonl", "--out", str(out)).exit_code == 0
    exported = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {e["title"] for e in exported} == {"Borehole broken", "École sans toilettes", "पानी की टंकी टूटी"}
    kolwa = next(e for e in exported if e["community"] == "Kolwa")
    assert kolwa["tags"] == ["water", "urgent"] and kolwa["budget_allocated"] == "1500000"
    assert set(exported[0]) == set(COLUMNS)
    # Importing the export again changes nothing: every id is already here.
    again = runner("import", str(out))
    assert "Imported 0 issues. 3 were already present." in again.output


def test_a_bad_row_names_its_row_and_nothing_is_imported(runner, tmp_path):
    source = write_csv(
        tmp_path / "issues.csv",
        [
            {"title": "Fine", "sector": "water", "people_affected": "10"},
            {"title": "", "sector": "water", "people_affected": "10"},
            {"title": "Negative", "sector": "water", "people_affected": "-5"},
        ],
    )
    result = runner("import", str(source))
    assert result.exit_code == 1
    assert "row 3, title: This field is required." in result.output
    assert "row 4, people_affected: This cannot be negative." in result.output
    assert "nothing was imported" in result.output
    export = runner("export", "--format", "csv")
    assert list(csv.DictReader(io.StringIO(export.output))) == []


def test_jsonl_with_a_broken_line_is_refused_whole(runner, tmp_path):
    source = tmp_path / "issues.jsonl"
    source.write_text('{"title": "ok", "sector": "water"}\n{not json\n', encoding="utf-8")
    result = runner("import", str(source))
    assert result.exit_code == 1 and "row 2" in result.output


def test_unknown_columns_are_reported(runner, tmp_path):
    source = write_csv(tmp_path / "x.csv", [{"title": "a", "sector": "water", "colour": "red"}])
    result = runner("import", str(source))
    assert result.exit_code == 1 and "colour" in result.output


def test_every_command_has_help(runner):
    from fieldkit.cli import main

    def walk(group, prefix):
        for name, command in group.commands.items():
            yield [*prefix, name], command
            if hasattr(command, "commands"):
                yield from walk(command, [*prefix, name])

    for words, command in walk(main, []):
        result = runner(*words, "--help")
        assert result.exit_code == 0, words
        assert command.help, f"{' '.join(words)} has no help text"


def test_demo_fills_a_separate_folder(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from fieldkit.cli import main

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    result = CliRunner().invoke(main, ["demo", "--no-start"])
    assert result.exit_code == 0, result.output
    from fieldkit import create_app
    from fieldkit.datadir import demo_dir
    from fieldkit.db import connect

    app = create_app({"DATA_DIR": demo_dir()})
    conn = connect(app.config["DATABASE"])
    countries = {r[0] for r in conn.execute("SELECT DISTINCT country FROM issues")}
    total = conn.execute("SELECT COUNT(*) FROM issues").fetchone()[0]
    languages = {r[0] for r in conn.execute("SELECT DISTINCT language FROM issues")}
    conn.close()
    assert total >= 200 and countries == {"GH", "IN", "ID", "KE", "SN", "ZA"}
    assert {"hi", "fr", "sw"} <= languages


def test_a_setting_out_of_range_is_a_one_line_error(runner, monkeypatch):
    monkeypatch.setenv("FIELDKIT_NO_RESPONSE_DAYS", "1000000")
    result = runner("export", "--format", "csv")
    assert result.exit_code == 1
    assert "FIELDKIT_NO_RESPONSE_DAYS must be between 1 and 3650" in result.output
    assert "Traceback" not in result.output


def test_jsonl_with_nested_values_is_reported_not_a_crash(runner, tmp_path):
    source = tmp_path / "wrong-kind.jsonl"
    source.write_text(
        '{"title": "Budget hearing", "issues": [{"issue_id": "x", "outcome": "raised"}]}\n', encoding="utf-8"
    )
    result = runner("import", "--kind", "issues", str(source))
    assert result.exit_code == 1 and "row 1" in result.output and "Traceback" not in result.output
