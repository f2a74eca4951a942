"""Languages translators add from the Translate page (Tamil, Sesotho, Dagbani ...), synced like entries.

An added language has a BCP 47 code no shipped language has, its name in itself, the shipped
languages to fall back on (ending in English), its plural rule — CLDR's where CLDR knows the
language, else stated by the translator and checked — and the CLDR locale its dates and numbers
follow. It shows in the picker as a draft until every text of it is reviewed.
"""

from __future__ import annotations

import json

from babel import Locale
from babel.messages.plurals import get_plural

from .catalog_rules import parse_plural
from .i18n import gettext as _
from .languages import BY_CODE, Language, canonical_tag


def cldr_rule(code: str) -> str | None:
    """CLDR's plural rule for a language, as gettext writes it; None when CLDR does not know it."""
    try:
        Locale.parse(code.replace("-", "_"))
    except Exception:  # noqa: BLE001 - unknown to CLDR (Babel raises UnknownLocaleError or ValueError)
        return None
    rule = get_plural(code.replace("-", "_"))
    return f"nplurals={rule.num_plurals}; plural={rule.plural_expr};"


def _fallbacks(value) -> list[str]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = [part.strip() for part in value.split(",")]
    return [str(code) for code in value] if isinstance(value, list) else []


def problems(values: dict, *, id_matches: bool = True) -> dict[str, str]:
    """What is wrong with an added language: {field: message}; empty when it may be stored."""
    errors: dict[str, str] = {}
    raw = values.get("code") or ""
    code = canonical_tag(raw)
    if not code or code != raw or not id_matches:
        errors["code"] = _("Give the language's code as BCP 47 writes it, e.g. ta, st or dag.")
    elif code in BY_CODE:
        errors["code"] = _("FieldKit already has this language: translate it instead.")
    if not (values.get("endonym") or "").strip():
        errors["endonym"] = _("Give the language's name as its speakers write it.")
    try:
        parse_plural(values.get("plural_rule") or "")
    except ValueError:
        errors["plural_rule"] = _(
            "Give the plural rule as gettext writes it, e.g. nplurals=2; plural=(n != 1); — every "
            "number must choose one of the forms."
        )
    fallbacks = _fallbacks(values.get("fallbacks") or "[]")
    if not fallbacks or fallbacks[-1] != "en" or any(f not in BY_CODE for f in fallbacks):
        errors["fallbacks"] = _(
            "Choose the languages to fall back on among FieldKit's own, ending with English."
        )
    try:
        Locale.parse((values.get("formatting") or "").replace("-", "_"))
    except Exception:  # noqa: BLE001 - not a CLDR locale
        errors["formatting"] = _("Choose a locale CLDR knows for dates and numbers, e.g. en_GH or fr_SN.")
    return errors


def stated_rule(conn, code: str) -> str | None:
    """The plural rule an added language states; None for the shipped languages."""
    if code in BY_CODE:
        return None
    try:
        row = conn.execute(
            "SELECT plural_rule FROM ui_languages WHERE code = ? AND deleted = 0", (code,)
        ).fetchone()
    except Exception:  # noqa: BLE001 - an older database without the table: CLDR's rule
        return None
    return row[0] if row else None


def added(conn) -> dict[str, Language]:
    """Every added language, by code, as registry rows (draft)."""
    found = {}
    for code, endonym, english, fallbacks, formatting in conn.execute(
        "SELECT code, endonym, english, fallbacks, formatting FROM ui_languages WHERE deleted = 0 ORDER BY code"
    ):
        found[code] = Language(
            code, endonym, english or endonym, formatting or "en", tuple(_fallbacks(fallbacks))
        )
    return found


def add(conn, values: dict, *, author: str) -> None:
    """Store a checked new language (synced to every device of the programme)."""
    from sync import journal

    from .db import transaction
    from .records import ui_language_id

    with transaction(conn):
        journal.create(conn, "ui_languages", {"id": ui_language_id(values["code"]), **values}, author=author)


def init_app(app) -> None:
    """Pages know the added languages (``i18n`` asks this hook once per request)."""
    from .db import get_db

    app.extensions["fieldkit_languages"] = lambda: added(get_db())
