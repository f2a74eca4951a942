"""Translations: catalogs loaded from the .po files, locale choice, and formatting.

Catalogs are compiled in memory from ``translations/<code>/LC_MESSAGES/messages.po`` at
first use, so a fresh install or checkout needs no build step. An entry whose
placeholders differ from its English original is dropped at load: that one string shows
in English instead of breaking the page (``fieldkit translations check`` fails on it).
"""

from __future__ import annotations

import io
import logging
import re
from functools import lru_cache

from babel import Locale, negotiate_locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, NullTranslations, Translations
from flask import current_app, g, has_request_context, request

from .languages import BY_CODE, CODES
from .resources import TRANSLATIONS_DIR

log = logging.getLogger(__name__)

PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]|\{(\w+)\}")


def placeholders(text: str) -> list[str]:
    """The named placeholders in a message, sorted (``%(name)s`` and ``{name}``)."""
    return sorted(a or b for a, b in PLACEHOLDER.findall(text or ""))


def _strings(value) -> list[str]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def broken_entries(catalog) -> list[tuple[str, str]]:
    """Entries whose translation renames, drops or adds a placeholder: (msgid, reason)."""
    problems = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = _strings(message.id)
        expected = placeholders(ids[-1]) if len(ids) > 1 else placeholders(ids[0])
        allowed = set(expected) | set(placeholders(ids[0]))
        for text in _strings(message.string):
            if not text:
                continue
            found = placeholders(text)
            if set(found) - allowed or (set(expected) - set(found) - {"num"}):
                problems.append((ids[0], f"placeholders {found} != {expected}"))
                break
    return problems


@lru_cache(maxsize=None)
def catalog_translations(code: str) -> NullTranslations:
    """Compiled translations for one locale, with broken entries dropped."""
    path = TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        return NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=code)
    for msgid, reason in broken_entries(catalog):
        log.warning("translation of %r in %s ignored: %s", msgid, code, reason)
        catalog[msgid].string = "" if isinstance(catalog[msgid].string, str) else ("",) * len(
            catalog[msgid].string
        )
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer)


@lru_cache(maxsize=None)
def translations_for(code: str) -> NullTranslations:
    """The locale's catalog with its fallback chain behind it (e.g. Wolof → French → English)."""
    language = BY_CODE.get(code)
    chain = [code, *(language.fallbacks if language else ())]
    primary = None
    for link in chain:
        if link == "en":
            break
        catalog = catalog_translations(link)
        if primary is None:
            primary = catalog
        elif catalog is not primary:
            primary.add_fallback(catalog)
    return primary or NullTranslations()


def choose_locale() -> str:
    """The UI language: ``?lang=``, then the saved choice, then the browser's languages in order."""
    asked = request.args.get("lang") or request.cookies.get("lang")
    if asked in CODES:
        return asked
    wanted = [value.replace("-", "_") for value, _quality in request.accept_languages]
    wanted = ["id" if w.split("_")[0] == "in" else w for w in wanted]
    found = negotiate_locale(wanted, list(CODES), sep="_") if wanted else None
    return found or current_app.config.get("DEFAULT_LANGUAGE", "en")


def current_locale() -> str:
    """The UI language of the current request (English outside a request)."""
    if not has_request_context():
        return getattr(g, "forced_locale", "en") if _has_app_g() else "en"
    if "locale" not in g:
        g.locale = choose_locale()
    return g.locale


def _has_app_g() -> bool:
    from flask import has_app_context

    return has_app_context()


def formatting_locale() -> Locale:
    """The locale for dates and numbers: UI language plus the device's country (e.g. fr_SN)."""
    code = current_locale()
    language = BY_CODE.get(code)
    base = language.formatting if language else code
    country = current_app.config.get("COUNTRY", "") if _has_app_g() else ""
    for candidate in (f"{base}_{country}", base, "en"):
        try:
            return Locale.parse(candidate)
        except Exception:  # noqa: BLE001 - unknown locale: try the next candidate
            continue
    return Locale.parse("en")


def _translations() -> NullTranslations:
    return translations_for(current_locale())


def gettext(message: str, **variables) -> str:
    """Translate ``message`` and fill its named placeholders."""
    text = _translations().ugettext(message)
    return _fill(text, message, variables)


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """Translate a message with a count, using the locale's plural forms."""
    variables.setdefault("num", format_number(num) if _has_app_g() else num)
    text = _translations().ungettext(singular, plural, num)
    return _fill(text, singular if num == 1 else plural, variables)


def pgettext(context: str, message: str, **variables) -> str:
    """Translate a message that means something else elsewhere (``context`` tells which)."""
    text = _translations().upgettext(context, message)
    return _fill(text, message, variables)


def _fill(text: str, original: str, variables: dict) -> str:
    if not variables:
        return text
    try:
        return text % variables
    except (KeyError, ValueError, TypeError):
        return original % variables


def lazy_gettext(message: str, **variables) -> LazyProxy:
    """A message translated when it is shown, in the language of that request."""
    return LazyProxy(gettext, message, enable_cache=False, **variables)


def lazy_pgettext(context: str, message: str) -> LazyProxy:
    """A context-marked message translated when it is shown."""
    return LazyProxy(pgettext, context, message, enable_cache=False)


_ = gettext


def format_date(value, format: str = "medium") -> str:
    """A date with the month as a word in the UI language (never ambiguous 11/12/26)."""
    if not value:
        return ""
    if isinstance(value, str):
        from datetime import date

        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    return babel_dates.format_date(value, format=format, locale=formatting_locale())


def format_datetime(value, format: str = "medium") -> str:
    """A date and time in the formatting locale."""
    if not value:
        return ""
    if isinstance(value, str):
        from datetime import datetime

        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return babel_dates.format_datetime(value, format=format, locale=formatting_locale())


def format_number(value) -> str:
    """A number with the locale's separators."""
    if value is None or value == "":
        return ""
    return babel_numbers.format_decimal(value, locale=formatting_locale())


def format_currency(value, currency: str) -> str:
    """A money amount in the locale's style."""
    if value is None or value == "":
        return ""
    if not currency:
        return format_number(value)
    return babel_numbers.format_currency(value, currency, locale=formatting_locale())


def country_name(code: str) -> str:
    """A country's name in the UI language (CLDR), e.g. KE → Kenya / Kenia."""
    return formatting_locale().territories.get(code, code)


def country_names(codes) -> dict[str, str]:
    """Country codes → names in the UI language, for a select."""
    return {code: country_name(code) for code in codes}


def init_app(app) -> None:
    """Install the gettext callables and formatting filters into Jinja."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=True, pgettext=pgettext
    )
    app.jinja_env.filters.update(
        date=format_date,
        datetime=format_datetime,
        number=format_number,
        currency=format_currency,
        country_name=country_name,
        country_names=country_names,
    )
    app.jinja_env.globals.update(current_locale=current_locale)
