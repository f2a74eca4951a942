"""``fieldkit translations status | add | update | check``: the translators' workflow."""

from __future__ import annotations

import os
import shutil
from configparser import ConfigParser

import pytest

from fieldkit import catalogs
from fieldkit.languages import LANGUAGES
from fieldkit.resources import PACKAGE_DIR
from tests.conftest import create_issue
from tests.i18n_helpers import write_catalog

REPO = PACKAGE_DIR.parent

#: CI fails when a string in the code is missing from the catalogs (or a catalog has a fuzzy or
#: untranslated entry). Fix it with `fieldkit translations update`, translate, commit translations/.
#: FIELDKIT_CHECK_STALE=0 skips only the staleness part, for work in progress.
ENFORCE_STALE = os.environ.get("FIELDKIT_CHECK_STALE", "1") != "0"


@pytest.fixture
def shipped_copy(tmp_path):
    """A copy of the shipped translations folder to change freely."""
    target = tmp_path / "translations"
    shutil.copytree(catalogs.TRANSLATIONS_DIR, target)
    return target


def test_shipped_catalogs_pass_the_check(runner):
    args = ["translations", "check"] + ([] if ENFORCE_STALE else ["--no-stale"])
    result = runner(*args)
    assert result.exit_code == 0, result.output


def test_every_registered_language_has_a_catalog_with_the_right_plural_forms():
    for language in LANGUAGES[1:]:
        catalog = catalogs.read(catalogs.po_path(language.code))
        assert catalog.num_plurals == {"fr": 3, "wo": 1, "id": 1}.get(language.code, 2), language.code


def test_status_counts_every_language(runner):
    result = runner("translations", "status")
    assert result.exit_code == 0
    for language in LANGUAGES:
        assert f"\n{language.code} " in "\n" + result.output
    assert "draft" in result.output and "reviewed" in result.output


def test_status_markdown_is_a_table_for_the_readme(runner):
    result = runner("translations", "status", "--markdown")
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("| Language | English name | Code | Translated |")
    assert len(lines) == 2 + len(LANGUAGES)
    assert any("| Wolof | Wolof | `wo` |" in line and line.endswith("| draft |") for line in lines)


def test_status_counts_translated_fuzzy_untranslated_and_words_left(runner, tmp_path):
    template = catalogs.extract()
    (tmp_path / "messages.pot").write_bytes((catalogs.TRANSLATIONS_DIR / "messages.pot").read_bytes())
    for language in LANGUAGES[1:]:
        catalogs.merge(language.code, template, tmp_path)
    path = catalogs.po_path("sw", tmp_path)
    catalog = catalogs.read(path, "sw")
    catalog["Issues"].string = "Masuala"
    catalog["Home"].string = "Nyumbani"
    catalog["Home"].flags.add("fuzzy")
    catalogs.write(path, catalog)
    cov = catalogs.coverage("sw", tmp_path)
    assert (cov.translated, cov.fuzzy) == (1, 1)
    assert cov.untranslated == cov.total - 2
    full = catalogs.coverage("hi", tmp_path)
    assert cov.words_left == full.words_left - 1  # "Issues" is done, "Home" (fuzzy) is still left


@pytest.mark.parametrize(("code", "instead"), [("tw", "ak"), ("in", "id"), ("iw", "he")])
def test_add_refuses_old_or_duplicate_codes(runner, tmp_path, code, instead):
    result = CliResult(runner, "translations", "add", code, "--dir", str(tmp_path))
    assert result.exit_code != 0
    assert f"use “{instead}” instead" in result.output
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("code", ["english", "x", "en-", "12"])
def test_add_refuses_what_is_not_a_language_code(runner, tmp_path, code):
    result = CliResult(runner, "translations", "add", code, "--dir", str(tmp_path))
    assert result.exit_code != 0 and "is not a language code" in result.output


def test_add_writes_the_registry_row_and_an_empty_catalog(runner, shipped_copy, tmp_path):
    registry = tmp_path / "languages.py"
    shutil.copy(PACKAGE_DIR / "languages.py", registry)
    result = CliResult(
        runner, "translations", "add", "ha", "--dir", str(shipped_copy), "--registry", str(registry)
    )
    assert result.exit_code == 0, result.output
    assert 'Language("ha", "Hausa", "Hausa", "ha_NG"),' in registry.read_text(encoding="utf-8")
    catalog = catalogs.read(catalogs.po_path("ha", shipped_copy), "ha")
    assert len(catalog) == len(catalogs.read(shipped_copy / "messages.pot"))
    assert all(not m.string for m in catalog if m.id and isinstance(m.string, str))


def test_add_a_language_cldr_lacks_needs_its_names(runner, shipped_copy, tmp_path):
    registry = tmp_path / "languages.py"
    shutil.copy(PACKAGE_DIR / "languages.py", registry)
    args = ["translations", "add", "dag", "--dir", str(shipped_copy), "--registry", str(registry)]
    refused = CliResult(runner, *args)
    assert refused.exit_code != 0 and "--endonym" in refused.output
    added = CliResult(runner, *args, "--endonym", "Dagbanli", "--english", "Dagbani", "--formatting", "en_GH")
    assert added.exit_code == 0, added.output
    assert 'Language("dag", "Dagbanli", "Dagbani", "en_GH"),' in registry.read_text(encoding="utf-8")
    assert catalogs.read(catalogs.po_path("dag", shipped_copy)).num_plurals == 2


def test_add_with_a_fallback_chain(runner, shipped_copy, tmp_path):
    registry = tmp_path / "languages.py"
    shutil.copy(PACKAGE_DIR / "languages.py", registry)
    result = CliResult(
        runner,
        "translations",
        "add",
        "ff",
        "--fallback",
        "fr",
        "--dir",
        str(shipped_copy),
        "--registry",
        str(registry),
    )
    assert result.exit_code == 0, result.output
    assert 'fallbacks=("fr", "en")' in registry.read_text(encoding="utf-8")


def test_update_extracts_and_merges_into_every_catalog(runner, tmp_path):
    result = CliResult(runner, "translations", "update", "--dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    template = catalogs.read(tmp_path / "messages.pot")
    assert ("sector", "Other") in {(m.context, m.id) for m in template}  # pgettext keeps its context
    assert any("NOTE" not in c and c for m in template for c in m.auto_comments)  # translator notes
    for language in LANGUAGES[1:]:
        assert catalogs.keys(catalogs.read(catalogs.po_path(language.code, tmp_path))) == catalogs.keys(
            template
        )
    assert CliResult(runner, "translations", "check", "--dir", str(tmp_path)).exit_code == 0


def test_update_keeps_translations_and_marks_changed_strings_fuzzy(runner, shipped_copy):
    path = catalogs.po_path("fr", shipped_copy)
    catalog = catalogs.read(path, "fr")
    catalog["Issues"].string = "Problèmes"
    catalog.add("Record an isue", "Enregistrer un problème")  # the English was since corrected
    catalog.delete("Record an issue")
    catalogs.write(path, catalog)
    assert CliResult(runner, "translations", "update", "--dir", str(shipped_copy)).exit_code == 0
    merged = catalogs.read(path, "fr")
    assert merged["Issues"].string == "Problèmes"
    assert merged["Record an issue"].fuzzy and merged["Record an issue"].string == "Enregistrer un problème"
    failed = CliResult(runner, "translations", "check", "--dir", str(shipped_copy))
    assert failed.exit_code != 0 and "'Record an issue': fuzzy" in failed.output


def test_check_fails_on_a_broken_placeholder(runner, shipped_copy):
    path = catalogs.po_path("fr", shipped_copy)
    catalog = catalogs.read(path, "fr")
    catalog["Photo: %(name)s"].string = "Photo : %(nom)s"
    catalogs.write(path, catalog)
    result = CliResult(runner, "translations", "check", "--no-stale", "--dir", str(shipped_copy))
    assert result.exit_code != 0
    assert "fr/LC_MESSAGES/messages.po: 'Photo: %(name)s': placeholders ['nom'] != ['name']" in result.output


def test_check_fails_on_a_missing_placeholder_in_a_plural_form(runner, tmp_path, shipped_copy):
    path = catalogs.po_path("fr", shipped_copy)
    catalog = catalogs.read(path, "fr")
    key = ("%(num)s field needs attention.", "%(num)s fields need attention.")
    message = next(m for m in catalog if m.id == key or (isinstance(m.id, tuple) and m.id == key))
    message.string = ("%(num)s champ", "%(count)s champs", "%(num)s champs")
    catalogs.write(path, catalog)
    result = CliResult(runner, "translations", "check", "--no-stale", "--dir", str(shipped_copy))
    assert result.exit_code != 0 and "%(num)s field needs attention." in result.output


def test_check_fails_on_mismatched_html_tags(runner, shipped_copy):
    path = catalogs.po_path("sw", shipped_copy)
    catalog = catalogs.read(path, "sw")
    catalog.add("Read the <strong>guide</strong>", "Soma <strong>mwongozo</b>")
    catalogs.write(path, catalog)
    result = CliResult(runner, "translations", "check", "--no-stale", "--dir", str(shipped_copy))
    assert result.exit_code != 0 and "HTML tags differ from the English" in result.output


def test_check_fails_on_a_stale_template(runner, shipped_copy):
    pot = catalogs.read(shipped_copy / "messages.pot")
    pot.delete("Record an issue")
    catalogs.write(shipped_copy / "messages.pot", pot)
    result = CliResult(runner, "translations", "check", "--dir", str(shipped_copy))
    assert result.exit_code != 0 and "out of date with the code" in result.output
    assert "fieldkit translations update" in result.output


def test_check_fails_on_a_catalog_not_merged(runner, shipped_copy):
    path = catalogs.po_path("zu", shipped_copy)
    catalog = catalogs.read(path, "zu")
    catalog.delete("Issues")
    catalogs.write(path, catalog)
    result = CliResult(runner, "translations", "check", "--dir", str(shipped_copy))
    assert result.exit_code != 0 and "zu/LC_MESSAGES/messages.po: not merged" in result.output


def test_a_broken_catalog_fails_the_check_but_not_the_page(runner, client, tmp_path, shipped_copy, app):
    write_catalog(shipped_copy, "fr", {"Issues": "Problèmes", "Photo: %(name)s": "Photo : %(nom)s"})
    result = CliResult(runner, "translations", "check", "--no-stale", "--dir", str(shipped_copy))
    assert result.exit_code != 0
    app.config["TRANSLATIONS_DIR"] = shipped_copy
    issue_id = create_issue(client)
    page = client.get(f"/issues/{issue_id}?lang=fr")
    assert page.status_code == 200 and ">Problèmes<" in page.get_data(as_text=True)


def test_babel_cfg_matches_what_update_extracts():
    config = ConfigParser()
    config.read(REPO / "babel.cfg", encoding="utf-8")
    sections = [tuple(reversed(s.split(": ", 1))) for s in config.sections()]
    assert sections == [(pattern, method) for pattern, method in catalogs.METHOD_MAP]


def test_translators_guide_covers_the_workflow():
    guide = (REPO / "TRANSLATING.md").read_text(encoding="utf-8")
    for needed in (
        "Poedit",
        "Weblate",
        "?lang=",
        "fieldkit translations add",
        "fieldkit translations check",
        "%(",
        "draft",
    ):
        assert needed in guide, needed


class CliResult:
    """Run the CLI without raising, so failing commands can be asserted on (output + errors)."""

    def __init__(self, runner, *args):
        from click.testing import CliRunner

        from fieldkit.cli import main

        result = CliRunner().invoke(main, list(args))
        self.exit_code = result.exit_code
        self.output = result.output  # Click 8.2+: standard output and errors, interleaved


def test_bulk_translation_json_round_trip_refuses_broken_entries(shipped_copy, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "translations_json", REPO / "scripts" / "translations_json.py"
    )
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    monkeypatch.setattr(catalogs, "TRANSLATIONS_DIR", shipped_copy)
    entries = {e["id"]: e for e in tool.export("fr", everything=True)}
    entries = {key: entries[key] for key in ("Issues", "Photo: %(name)s", "%(num)s field needs attention.")}
    entries["Issues"]["string"] = "Problèmes"
    entries["Photo: %(name)s"]["string"] = "Photo : %(nom)s"
    counted = entries["%(num)s field needs attention."]
    assert counted["forms"] == 3
    counted["string"] = ["%(num)s champ à revoir.", "%(num)s de champs à revoir.", "%(num)s champs à revoir."]
    filled, problems = tool.load("fr", list(entries.values()))
    assert filled == 2 and len(problems) == 1 and "Photo: %(name)s" in problems[0]
    catalog = catalogs.read(catalogs.po_path("fr", shipped_copy), "fr")
    # The refused entry keeps the translation it had; the broken one never reaches the catalog.
    assert catalog["Issues"].string == "Problèmes" and "%(nom)s" not in catalog["Photo: %(name)s"].string


def test_readme_language_table_is_what_status_prints(runner):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    header = "| Language | English name | Code |"
    if header not in readme:
        pytest.skip("the README has no language table yet")
    table = runner("translations", "status", "--markdown").output.strip()
    assert table in readme, (
        "README language table is out of date: paste `fieldkit translations status --markdown`"
    )
