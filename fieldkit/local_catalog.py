"""Local catalog entries over the shipped catalogs: what pages show, and each language's status.

A page's gettext looks first at the language's local entries (saved on the Translate page,
or pulled by sync), then at the shipped ``.po`` and its fallback chain, so the shipped
catalog stays the fallback. The local layer is compiled once per change: the database keeps
a version per language that triggers bump on every write (whichever process wrote it), and
a request reads that one number to know whether its cached catalog still holds.

A language's status in the picker comes from reviews: ``reviewed`` once every text of the
app (``messages.pot``) has a reviewed local entry, else ``draft``; English is the source.
"""

from __future__ import annotations

import io
import logging
import threading
from dataclasses import replace
from functools import lru_cache

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import NullTranslations, Translations

from . import added_languages, catalogs
from .catalog_rules import plural_rule
from .i18n import broken_entries
from .languages import LANGUAGES
from .queries import catalog as queries

log = logging.getLogger(__name__)

_lock = threading.Lock()
#: (database, language) -> (version, base catalog, compiled local layer over it).
_compiled: dict[tuple[str, str], tuple[int, object, NullTranslations]] = {}
_status: dict[str, tuple[tuple, frozenset]] = {}


@lru_cache(maxsize=1)
def template() -> Catalog:
    """Every text of the app (``messages.pot``), read once."""
    return catalogs.read(catalogs.TRANSLATIONS_DIR / catalogs.TEMPLATE)


def template_keys() -> frozenset:
    """(context, English) of every text of the app."""
    return frozenset((m.context or "", _first(m.id)) for m in template() if m.id)


def _first(value) -> str:
    return value[0] if isinstance(value, (list, tuple)) else value


def local_catalog(code: str, rows: dict, stated: str | None = None) -> Catalog:
    """A language's local entries as a Babel catalog (the compiled layer over the shipped one)."""
    count, expression = plural_rule(code, stated)
    catalog = Catalog(project="FieldKit", charset="utf-8", fuzzy=False)
    catalog._num_plurals, catalog._plural_expr = count, expression
    catalog.language_team = code
    for entry in rows.values():
        forms = [str(text) for text in entry["forms"]]
        if entry["msgid_plural"]:
            catalog.add(
                (entry["msgid"], entry["msgid_plural"]), tuple(forms), context=entry["msgctxt"] or None
            )
        elif forms:
            catalog.add(entry["msgid"], forms[0], context=entry["msgctxt"] or None)
    return catalog


def _compile(code: str, rows: dict, stated: str | None) -> Translations:
    catalog = local_catalog(code, rows, stated)
    broken = {msgid for msgid, _reason in broken_entries(catalog)}
    for message in list(catalog):
        if message.id and _first(message.id) in broken:  # checked when stored: only a defence
            catalog.delete(message.id, message.context)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer)


def translations(conn, database: str, code: str, base: NullTranslations) -> NullTranslations:
    """The language's local entries with ``base`` (the shipped catalogs) behind them."""
    current = queries.version(conn, code)
    if current == 0:
        return base
    key = (database, code)
    with _lock:
        cached = _compiled.get(key)
    if cached and cached[0] == current and cached[1] is base:
        return cached[2]
    layer = _compile(code, queries.entries(conn, code), added_languages.stated_rule(conn, code))
    layer.add_fallback(base)
    with _lock:
        _compiled[key] = (current, base, layer)
    return layer


def reviewed_languages(conn, database: str) -> frozenset:
    """Languages every text of which has a reviewed local entry."""
    state = queries.versions(conn)
    cached = _status.get(database)
    if cached and cached[0] == state:
        return cached[1]
    wanted = template_keys()
    counts = queries.reviewed_counts(conn)
    done = frozenset(
        code
        for code, count in counts.items()
        if count >= len(wanted) and wanted <= queries.reviewed_keys(conn, code)
    )
    _status[database] = (state, done)
    return done


def languages_with_status(conn, database: str) -> list:
    """The registry's languages and the added ones, each with the status its reviews give it."""
    try:
        done = reviewed_languages(conn, database)
    except Exception:  # noqa: BLE001 - a status must never break a page: say draft
        log.exception("language status not read")
        done = frozenset()
    try:
        extra = list(added_languages.added(conn).values())
    except Exception:  # noqa: BLE001 - the shipped languages always show
        log.exception("added languages not read")
        extra = []
    return [
        language
        if language.code == "en"
        else replace(language, status="reviewed" if language.code in done else "draft")
        for language in (*LANGUAGES, *extra)
    ]


def clear() -> None:
    """Forget compiled layers and statuses (tests)."""
    with _lock:
        _compiled.clear()
        _status.clear()


def init_app(app) -> None:
    """Pages read local entries over the shipped catalogs (``i18n._translations`` asks this hook)."""
    from .db import get_db

    def local(code: str, base: NullTranslations) -> NullTranslations:
        return translations(get_db(), str(app.config["DATABASE"]), code, base)

    app.extensions["fieldkit_local_catalog"] = local
