"""The command line speaks the user's language: $FIELDKIT_LANGUAGE, else the POSIX locale."""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

from fieldkit import i18n
from fieldkit.cli import main
from tests.i18n_helpers import write_catalog

#: The locale variables a run starts from: none set, so each test says what it wants.
CLEAN = {"FIELDKIT_LANGUAGE": None, "LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": None}

FRENCH = {
    "This field is required.": "Ce champ est obligatoire.",
    "row %(row)s, %(column)s: %(problem)s": "ligne %(row)s, %(column)s : %(problem)s",
    (
        "%(num)s problem found; nothing was imported from %(file)s.",
        "%(num)s problems found; nothing was imported from %(file)s.",
    ): (
        "%(num)s problème trouvé ; rien n’a été importé de %(file)s.",
        "%(num)s de problèmes trouvés ; rien n’a été importé de %(file)s.",
        "%(num)s problèmes trouvés ; rien n’a été importé de %(file)s.",
    ),
    ("Imported %(num)s issue.", "Imported %(num)s issues."): (
        "%(num)s problème importé.",
        "%(num)s de problèmes importés.",
        "%(num)s problèmes importés.",
    ),
    ("%(num)s was already present.", "%(num)s were already present."): (
        "%(num)s était déjà présent.",
        "%(num)s étaient déjà présents.",
        "%(num)s étaient déjà présents.",
    ),
}
FRENCH_PLURALS = "nplurals=3; plural=(n == 0 || n == 1) ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2;"


@pytest.fixture
def french_catalog(tmp_path, monkeypatch):
    """A small French catalog in place of the shipped one, so the test does not wait for translators."""
    folder = tmp_path / "translations"
    write_catalog(folder, "fr", FRENCH, plural_forms=FRENCH_PLURALS)
    monkeypatch.setattr(i18n, "TRANSLATIONS_DIR", folder)
    i18n.clear_caches()
    yield folder
    i18n.clear_caches()


@pytest.fixture
def fieldkit(data_dir):
    def invoke(*args, input=None, **env):
        return CliRunner().invoke(main, ["--data", str(data_dir), *args], input=input, env={**CLEAN, **env})

    return invoke


def bad_csv(path):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["title", "sector"])
        writer.writeheader()
        writer.writerow({"title": "Fine", "sector": "water"})
        writer.writerow({"title": "", "sector": "water"})
    return path


def good_csv(path):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["title", "sector"])
        writer.writeheader()
        writer.writerow({"title": "Borehole broken", "sector": "water"})
        writer.writerow({"title": "No teacher", "sector": "education"})
    return path


def test_a_french_locale_reports_the_bad_row_and_nothing_imported_in_french(
    fieldkit, french_catalog, tmp_path
):
    result = fieldkit("import", str(bad_csv(tmp_path / "issues.csv")), LANG="fr_SN.UTF-8")
    assert result.exit_code == 1
    assert "ligne 3, title : Ce champ est obligatoire." in result.output
    assert "Error: 1 problème trouvé ; rien n’a été importé de issues.csv." in result.output
    assert "nothing was imported" not in result.output
    assert result.output.count("\n") == 2  # one line per problem, one error line


def test_french_counts_use_french_plural_forms_and_number_format(fieldkit, french_catalog, tmp_path):
    source = good_csv(tmp_path / "issues.csv")
    # French: 0 and 1 are singular.
    assert (
        "2 problèmes importés. 0 était déjà présent."
        in fieldkit("import", str(source), LC_ALL="fr_FR").output
    )
    assert i18n.ngettext("Imported %(num)s issue.", "Imported %(num)s issues.", 1000000) == (
        "Imported 1,000,000 issues."
    )


def test_fieldkit_language_wins_over_the_locale(fieldkit, french_catalog, tmp_path):
    source = bad_csv(tmp_path / "issues.csv")
    assert "ligne 3" in fieldkit("import", str(source), FIELDKIT_LANGUAGE="fr", LANG="en_US.UTF-8").output
    assert "row 3" in fieldkit("import", str(source), FIELDKIT_LANGUAGE="en", LANG="fr_FR.UTF-8").output


@pytest.mark.parametrize(
    "env",
    [
        {"LANG": "C"},
        {"LANG": "POSIX"},
        {"LC_ALL": "C.UTF-8", "LANG": "fr_FR.UTF-8"},  # LC_ALL wins over LANG
        {},
        {"FIELDKIT_LANGUAGE": "xx"},
        {"FIELDKIT_LANGUAGE": "not a language!", "LANG": "fr_FR"},
        {"LANG": "pt_BR.UTF-8"},
    ],
)
def test_c_posix_unset_or_unknown_languages_give_english(fieldkit, french_catalog, tmp_path, env):
    result = fieldkit("import", str(bad_csv(tmp_path / "issues.csv")), **env)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "row 3, title: This field is required." in result.output
    assert "Error: 1 problem found; nothing was imported from issues.csv." in result.output


def test_the_language_does_not_leak_out_of_a_command(fieldkit, french_catalog, tmp_path):
    fieldkit("import", str(bad_csv(tmp_path / "issues.csv")), LANG="fr_SN.UTF-8")
    assert i18n.current_locale() == "en"
    assert i18n.gettext("This field is required.") == "This field is required."


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LANG": "fr_SN.UTF-8"}, "fr"),
        ({"LC_MESSAGES": "sw_KE.UTF-8", "LANG": "en_GB.UTF-8"}, "sw"),
        ({"LC_ALL": "hi_IN.UTF-8", "LC_MESSAGES": "fr_FR"}, "hi"),
        ({"LANG": "in_ID.UTF-8"}, "id"),  # legacy code for Indonesian
        ({"LANG": "wo_SN"}, "wo"),
        ({"LANG": "zu_ZA.UTF-8@custom"}, "zu"),
        ({"FIELDKIT_LANGUAGE": "tw"}, "ak"),  # Twi is Akan
        ({"FIELDKIT_LANGUAGE": "fr-CA", "LANG": "hi_IN"}, "fr"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": ""}, "en"),
        ({}, "en"),
        ({"FIELDKIT_LANGUAGE": "xx", "LANG": "fr_FR"}, "en"),
    ],
)
def test_cli_locale_negotiates_against_the_shipped_languages(env, expected):
    assert i18n.cli_locale(env) == expected


def test_wolof_command_line_falls_back_to_french_then_english(fieldkit, french_catalog, tmp_path):
    result = fieldkit("import", str(bad_csv(tmp_path / "issues.csv")), LANG="wo_SN.UTF-8")
    assert "ligne 3, title : Ce champ est obligatoire." in result.output


def test_password_prompts_and_their_errors_are_in_the_chosen_language(fieldkit, french_catalog):
    write_catalog(
        french_catalog,
        "fr",
        {
            **FRENCH,
            "Password": "Mot de passe",
            "Repeat for confirmation": "Répétez pour confirmer",
            "the password must have at least 8 characters": "le mot de passe doit avoir au moins 8 caractères",
        },
        plural_forms=FRENCH_PLURALS,
    )
    i18n.clear_caches()
    result = fieldkit("central", "add-user", "amina", input="short\nshort\n", LANG="fr_SN.UTF-8")
    assert result.exit_code == 1
    assert "Mot de passe: " in result.output and "Répétez pour confirmer: " in result.output
    assert "Error: le mot de passe doit avoir au moins 8 caractères" in result.output
    english = fieldkit("central", "add-user", "amina", input="short\nshort\n", LANG="C")
    assert "Password: " in english.output and "Repeat for confirmation: " in english.output


def test_a_bad_setting_is_a_one_line_error_in_the_chosen_language(fieldkit, french_catalog):
    write_catalog(
        french_catalog,
        "fr",
        {
            **FRENCH,
            "%(setting)s must be between %(minimum)s and %(maximum)s, not %(value)s": (
                "%(setting)s doit être entre %(minimum)s et %(maximum)s, pas %(value)s"
            ),
        },
        plural_forms=FRENCH_PLURALS,
    )
    i18n.clear_caches()
    result = fieldkit("export", "--format", "csv", FIELDKIT_NO_RESPONSE_DAYS="0", LANG="fr_FR.UTF-8")
    assert result.exit_code == 1
    assert result.output == "Error: FIELDKIT_NO_RESPONSE_DAYS doit être entre 1 et 3650, pas 0\n"
