"""Translations: catalogs loaded from the .po files, locale choice, and formatting.

Catalogs are compiled in memory from ``translations/<code>/LC_MESSAGES/messages.po`` at
first use, so a fresh install or checkout needs no build step. An entry whose
placeholders differ from its English original is dropped at load: that one string shows
in English instead of breaking the page (``fieldkit translations check`` fails on it).
"""

from __future__ import annotations

import io
import logging
import os
import re
from collections import Counter
from contextvars import ContextVar
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

from babel import Locale, negotiate_locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, NullTranslations, Translations
from flask import current_app, g, has_request_context, request
from jinja2 import pass_context
from markupsafe import Markup

from .in_context import mark
from .languages import BY_CODE, CODES, canonical_tag, locale_code
from .resources import TRANSLATIONS_DIR

log = logging.getLogger(__name__)

#: The cookie that remembers this device's UI language, and for how long (five years).
COOKIE = "lang"
COOKIE_MAX_AGE = 5 * 365 * 86400

PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]|\{(\w+)\}")


def placeholders(text: str) -> list[str]:
    """The named placeholders in a message, sorted (``%(name)s`` and ``{name}``)."""
    return sorted(a or b for a, b in PLACEHOLDER.findall(text or ""))


def _strings(value) -> list[str]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


HTML_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9-]*)\b[^>]*>")


def html_tags(text: str) -> Counter:
    """The HTML tags in a message (names, opening and closing), to compare with the English."""
    return Counter(
        ("/" if match.group(0).startswith("</") else "") + match.group(1).lower()
        for match in HTML_TAG.finditer(text or "")
    )


def broken_entries(catalog) -> list[tuple[str, str]]:
    """Entries whose translation renames, drops or adds a placeholder or an HTML tag: (msgid, reason).

    Templates show catalog text as markup, so a translation may only carry the tags the
    English has; anything else could break the page (or inject into it).
    """
    problems = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = _strings(message.id)
        expected = placeholders(ids[-1]) if len(ids) > 1 else placeholders(ids[0])
        allowed = set(expected) | set(placeholders(ids[0]))
        tags = html_tags(ids[0])
        for text in _strings(message.string):
            if not text:
                continue
            found = placeholders(text)
            if set(found) - allowed or (set(expected) - set(found) - {"num"}):
                problems.append((ids[0], f"placeholders {found} != {expected}"))
                break
            if html_tags(text) != tags:
                problems.append((ids[0], "HTML tags differ from the English"))
                break
    return problems


def read_catalog(path, code: str):
    """A .po file as a Babel catalog, or None when it is missing or unreadable."""
    try:
        with open(path, "rb") as handle:
            return read_po(handle, locale=code)
    except Exception as error:  # noqa: BLE001 - a broken file must never break the app
        log.warning("translations for %s not loaded: %s", code, error)
        return None


@lru_cache(maxsize=64)
def compiled_catalog(code: str, directory: str | None = None) -> bytes | None:
    """One locale's .po compiled to .mo bytes, broken entries dropped; None if there is none."""
    path = Path(directory or TRANSLATIONS_DIR) / locale_code(code) / "LC_MESSAGES" / "messages.po"
    catalog = read_catalog(path, locale_code(code)) if path.is_file() else None
    if catalog is None:
        return None
    for msgid, reason in broken_entries(catalog):
        log.warning("translation of %r in %s ignored: %s", msgid, code, reason)
        for message in catalog:
            if message.id and _strings(message.id)[0] == msgid:
                message.string = "" if isinstance(message.string, str) else ("",) * len(message.string)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


@lru_cache(maxsize=64)
def translations_for(code: str, directory: str | None = None) -> NullTranslations:
    """The locale's catalog with its fallback chain behind it (e.g. Wolof → French → English)."""
    language = BY_CODE.get(code)
    chain = [code, *(language.fallbacks if language else ("en",))]
    primary: NullTranslations | None = None
    for link in chain:
        if link == "en":
            break
        data = compiled_catalog(link, directory)
        if data is None:
            continue
        catalog = Translations(fp=io.BytesIO(data))
        if primary is None:
            primary = catalog
        else:
            primary.add_fallback(catalog)
    return primary or NullTranslations()


def clear_caches() -> None:
    """Forget compiled catalogs (after ``fieldkit translations update`` or in tests)."""
    compiled_catalog.cache_clear()
    translations_for.cache_clear()
    _formatting_locale.cache_clear()


def _directory() -> str | None:
    if _has_app_g():
        configured = current_app.config.get("TRANSLATIONS_DIR")
        return str(configured) if configured else None
    return None


def negotiate(wanted: list[str]) -> str | None:
    """The first shipped language among ``wanted``, in the user's own order.

    Legacy and alias codes are canonicalised first (``in`` → ``id``, ``tw`` → ``ak``), and
    a regional variant matches its language (``sw-KE`` → ``sw``).
    """
    cleaned = []
    for value in wanted:
        tag = canonical_tag(value)
        if tag:
            cleaned.append(locale_code(tag))
    return negotiate_locale(cleaned, list(CODES), sep="_") if cleaned else None


def choose_locale() -> str:
    """The UI language: ``?lang=``, then this device's saved choice, then the browser's languages."""
    for asked in (request.args.get("lang"), request.cookies.get(COOKIE)):
        tag = canonical_tag(asked or "")
        if tag and (tag in CODES or tag in added_languages()):
            return tag
    # Werkzeug sorts by quality and keeps the user's order among equal qualities.
    found = negotiate([value for value, quality in request.accept_languages if quality > 0])
    return found or current_app.config.get("DEFAULT_LANGUAGE", "en")


#: The command line's language, set once at start-up by ``fieldkit`` (see :func:`cli_locale`).
#: Requests never read it: a page follows its own ``?lang=``, cookie or browser languages.
_command_line_locale: ContextVar[str | None] = ContextVar("command_line_locale", default=None)

#: Locale environment variables in POSIX precedence (the first one set wins).
POSIX_LOCALE_VARS = ("LC_ALL", "LC_MESSAGES", "LANG")


def _posix_language(value: str) -> str:
    """``fr_SN.UTF-8@euro`` → ``fr_SN``; ``C``, ``POSIX`` and ``C.UTF-8`` → ``""``."""
    value = (value or "").split(".")[0].split("@")[0].strip()
    return "" if value.upper() in ("", "C", "POSIX") else value


def cli_locale(environ=None) -> str:
    """The command line's UI language: ``FIELDKIT_LANGUAGE`` if set, else the POSIX locale.

    The locale is the first of LC_ALL, LC_MESSAGES and LANG that is set (``fr_SN.UTF-8`` →
    ``fr``; ``C``, ``POSIX`` or nothing → English), negotiated against the shipped languages
    like a browser's (aliases such as ``in`` → ``id`` canonicalised). A language FieldKit
    does not ship gives English; a catalog's missing strings follow the fallback chain.
    """
    environ = os.environ if environ is None else environ
    asked = (environ.get("FIELDKIT_LANGUAGE") or "").strip()
    if not asked:
        for name in POSIX_LOCALE_VARS:
            if environ.get(name):
                asked = _posix_language(environ[name])
                break
    return (negotiate([asked]) if asked else None) or "en"


def set_cli_locale(code: str | None):
    """Use ``code`` for messages printed outside a request; returns a token for :func:`reset_cli_locale`."""
    return _command_line_locale.set(code if code in CODES else None)


def reset_cli_locale(token) -> None:
    """Forget the command line's language (at the end of a command, so tests do not leak it)."""
    try:
        _command_line_locale.reset(token)
    except ValueError:  # set in another context: just clear it
        _command_line_locale.set(None)


def current_locale() -> str:
    """The UI language: the request's; outside a request, a forced one or the command line's."""
    if not has_request_context():
        forced = getattr(g, "forced_locale", None) if _has_app_g() else None
        return forced or _command_line_locale.get() or "en"
    if "locale" not in g:
        g.locale = choose_locale()
    return g.locale


def _has_app_g() -> bool:
    from flask import has_app_context

    return has_app_context()


@lru_cache(maxsize=256)
def _formatting_locale(code: str, country: str, formatting: str | None = None) -> Locale:
    language = BY_CODE.get(code)
    registered = language.formatting if language else (formatting or code)
    country = (country or "").upper()
    base = code.replace("-", "_").split("_")[0]
    candidates = [f"{base}_{country}" if country else None, registered, base]
    # A language CLDR lacks (e.g. Dagbani) formats like the registry says, else like the
    # country's English or French, else plain English: text still works.
    candidates += [f"en_{country}" if country else None, f"fr_{country}" if country else None, "en"]
    for candidate in candidates:
        if not candidate:
            continue
        try:
            return Locale.parse(candidate)
        except Exception:  # noqa: BLE001, S112 - Babel raises UnknownLocaleError: try the next
            continue
    return Locale.parse("en")


def formatting_locale() -> Locale:
    """The locale for dates and numbers: UI language plus the device's country (e.g. fr_SN)."""
    country = current_app.config.get("COUNTRY", "") if _has_app_g() else ""
    code = current_locale()
    added = added_languages().get(code) if code not in BY_CODE else None
    return _formatting_locale(code, country or "", added.formatting if added else None)


def added_languages() -> dict:
    """Languages translators added (code → registry row), read once per request; {} elsewhere."""
    if not has_request_context():
        return {}
    hook = current_app.extensions.get("fieldkit_languages")
    if hook is None:
        return {}
    if "added_languages" not in g:
        try:
            g.added_languages = hook()
        except Exception:  # noqa: BLE001 - the shipped languages always work
            log.exception("added languages not read")
            g.added_languages = {}
    return g.added_languages


def _base(code: str) -> NullTranslations:
    """The shipped catalogs for a language; an added one starts from its fallbacks."""
    if code in BY_CODE:
        return translations_for(code, _directory())
    language = added_languages().get(code)
    chain = [f for f in (language.fallbacks if language else ()) if f != "en"]
    return translations_for(chain[0], _directory()) if chain else NullTranslations()


def _translations() -> NullTranslations:
    code = current_locale()
    base = _base(code)
    if not has_request_context():
        return base
    local = current_app.extensions.get("fieldkit_local_catalog")
    if local is None:
        return base
    cached = g.get("local_catalog")
    if cached is not None and cached[0] == code:
        return cached[1]
    try:
        layer = local(code, base)  # the entries translators saved here, over the shipped catalog
    except Exception:  # noqa: BLE001 - a page never breaks for its translations: show the shipped ones
        log.exception("local translations of %s not read", code)
        layer = base
    g.local_catalog = (code, layer)
    return layer


def gettext(message: str, **variables) -> str:
    """Translate ``message`` and fill its named placeholders."""
    text = _translations().ugettext(message)
    return mark(_fill(text, message, variables), message)


def _count(num) -> int:
    """A count for choosing a plural form; a stored value that is not a number counts as many."""
    try:
        return int(num)
    except (TypeError, ValueError, OverflowError):
        return 2


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """Translate a message with a count (``%(num)s``), using the locale's plural forms."""
    variables.setdefault("num", format_number(num))
    num = _count(num)
    text = _translations().ungettext(singular, plural, num)
    return mark(_fill(text, singular if num == 1 else plural, variables), singular)


def pgettext(context: str, message: str, **variables) -> str:
    """Translate a message that means something else elsewhere (``context`` tells which)."""
    text = _translations().upgettext(context, message)
    return mark(_fill(text, message, variables), message, context)


def npgettext(context: str, singular: str, plural: str, num: int, **variables) -> str:
    """``ngettext`` with a context, for counted homonyms."""
    variables.setdefault("num", format_number(num))
    num = _count(num)
    text = _translations().unpgettext(context, singular, plural, num)
    return mark(_fill(text, singular if num == 1 else plural, variables), singular, context)


def _fill(text, original: str, variables: dict):
    """``text % variables``; the English original if a translation's placeholders are wrong."""
    if not variables:
        return text
    try:
        return text % variables
    except (KeyError, ValueError, TypeError):
        try:
            return original % variables
        except (KeyError, ValueError, TypeError):
            return original


def _markup_fill(context, text: str, original: str, variables: dict):
    # Templates always format (as Jinja's newstyle gettext does), escaping the values.
    # Catalog text is trusted like template text (``translations check`` rejects a catalog
    # whose HTML tags differ from the English); the values filled in are escaped.
    if context.eval_ctx.autoescape:
        text, original = Markup(text), Markup(original)  # noqa: S704
    return _fill(text, original, variables) if variables else _fill(text, original, {"": ""})


@pass_context
def _template_gettext(context, message: str, **variables):
    return mark(_markup_fill(context, _translations().ugettext(message), message, variables), message)


@pass_context
def _template_ngettext(context, singular: str, plural: str, num: int, **variables):
    variables.setdefault("num", format_number(num))
    num = _count(num)
    text = _translations().ungettext(singular, plural, num)
    return mark(_markup_fill(context, text, singular if num == 1 else plural, variables), singular)


@pass_context
def _template_pgettext(context, msgctxt: str, message: str, **variables):
    text = _translations().upgettext(msgctxt, message)
    return mark(_markup_fill(context, text, message, variables), message, msgctxt)


@pass_context
def _template_npgettext(context, msgctxt: str, singular: str, plural: str, num: int, **variables):
    variables.setdefault("num", format_number(num))
    num = _count(num)
    text = _translations().unpgettext(msgctxt, singular, plural, num)
    return mark(_markup_fill(context, text, singular if num == 1 else plural, variables), singular, msgctxt)


def lazy_gettext(message: str, **variables) -> LazyProxy:
    """A message translated when it is shown, in the language of that request."""
    return LazyProxy(gettext, message, enable_cache=False, **variables)


def lazy_pgettext(context: str, message: str) -> LazyProxy:
    """A context-marked message translated when it is shown."""
    return LazyProxy(pgettext, context, message, enable_cache=False)


_ = gettext


# Formatting is total: a stored value that is not what its field declares (written by an older
# version, by hand, or by a device central once trusted) is shown as it is, never a 500.


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
    try:
        return babel_dates.format_date(value, format=format, locale=formatting_locale())
    except (TypeError, ValueError, AttributeError):
        return str(value)


def zone_label(zone) -> str:
    """A time zone's name in the UI language (``Africa/Nairobi`` → Kenya Time / heure : Kenya)."""
    if getattr(zone, "key", "") == "UTC":
        # NOTE: the short name of Coordinated Universal Time, shown after a time: "12:35 (UTC)".
        return gettext("UTC")
    try:
        return babel_dates.get_timezone_location(zone, locale=formatting_locale())
    except (LookupError, ValueError, AttributeError):
        return getattr(zone, "key", str(zone))


def format_datetime(value, format: str = "medium") -> str:
    """A stored (UTC) time as local time with its zone named: "29 Nov 2026, 12:35 (Kenya Time)".

    The one way a page shows a time: in the zone :func:`fieldkit.times.display_zone` chooses,
    a time without a zone being UTC. ``format`` is the date's length; the time is hours and minutes.
    """
    if not value:
        return ""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from .times import display_zone

    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return value
    try:
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        zone = display_zone() if _has_app_g() else ZoneInfo("UTC")
        locale = formatting_locale()
        local = value.astimezone(zone)
        pattern = locale.datetime_formats.get(format) or locale.datetime_formats["medium"]
        text = (
            str(pattern)
            .replace("'", "")
            .replace("{0}", babel_dates.format_time(local, "short", locale=locale))
            .replace("{1}", babel_dates.format_date(local, format, locale=locale))
        )
    except (TypeError, ValueError, AttributeError, OverflowError, KeyError):
        return str(value)
    # NOTE: a time and the name of its time zone, e.g. "29 Nov 2026, 12:35 (Kenya Time)".
    return gettext("%(time)s (%(zone)s)", time=text, zone=zone_label(zone))


def format_number(value) -> str:
    """A number with the locale's separators."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except ArithmeticError:
            return value
    try:
        return babel_numbers.format_decimal(value, locale=formatting_locale())
    except (TypeError, ValueError, ArithmeticError):
        return str(value)


def format_percent(value) -> str:
    """A fraction as a percentage in the locale's style (0.25 → 25 % in French)."""
    if value is None or value == "":
        return ""
    try:
        return babel_numbers.format_percent(value, locale=formatting_locale())
    except (TypeError, ValueError, ArithmeticError):
        return str(value)


def format_currency(value, currency: str) -> str:
    """A money amount in the locale's style."""
    if value is None or value == "":
        return ""
    if not currency:
        return format_number(value)
    try:
        return babel_numbers.format_currency(value, currency, locale=formatting_locale())
    except (TypeError, ValueError, ArithmeticError, babel_numbers.UnknownCurrencyError):
        return f"{value} {currency}"


def country_name(code: str) -> str:
    """A country's name in the UI language (CLDR), e.g. KE → Kenya / Kenia."""
    return formatting_locale().territories.get(code, code) if isinstance(code, str) else str(code)


def country_names(codes) -> dict[str, str]:
    """Country codes → names in the UI language, for a select."""
    return {code: country_name(code) for code in codes}


def language_name(tag: str) -> str:
    """A language tag's name in the UI language (``wo`` → Wolof); the tag itself if CLDR lacks it."""
    if not tag:
        return ""
    language = BY_CODE.get(tag)
    try:
        name = formatting_locale().languages.get(locale_code(tag).split("_")[0])
    except Exception:  # noqa: BLE001 - a name is a nicety; the tag is always shown
        name = None
    return name or (language.endonym if language else tag)


def here_without_lang() -> str:
    """This page's path and query without ``lang=``, to come back to after choosing a language."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return request.path + ("?" + urlencode(args) if args else "")


def remember_choice(response):
    """Keep ``?lang=xx`` for this device (a cookie), so the next pages stay in that language."""
    asked = canonical_tag(request.args.get("lang") or "")
    if asked and (asked in CODES or asked in added_languages()) and request.cookies.get(COOKIE) != asked:
        response.set_cookie(COOKIE, asked, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True)
    if response.mimetype == "text/html":
        response.vary.add("Cookie")
        response.vary.add("Accept-Language")
    return response


def language_context() -> dict:
    """Template values: the current language's registry row and the name of its fallback."""
    language = BY_CODE.get(current_locale()) or added_languages().get(current_locale())
    fallback = BY_CODE.get(language.fallbacks[0]) if language and language.fallbacks else None
    return {"current_language": language, "fallback_name": fallback.endonym if fallback else "English"}


def init_app(app) -> None:
    """Install the gettext callables and formatting filters into Jinja."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=True, pgettext=pgettext, npgettext=npgettext
    )
    # Our own template callables: a broken translation falls back to English, never a 500.
    app.jinja_env.globals.update(
        gettext=_template_gettext,
        ngettext=_template_ngettext,
        pgettext=_template_pgettext,
        npgettext=_template_npgettext,
    )
    app.jinja_env.filters.update(
        date=format_date,
        datetime=format_datetime,
        number=format_number,
        percent=format_percent,
        currency=format_currency,
        country_name=country_name,
        country_names=country_names,
        language_name=language_name,
    )
    app.jinja_env.globals.update(
        current_locale=current_locale, language_name=language_name, here_without_lang=here_without_lang
    )
    app.context_processor(language_context)
    app.after_request(remember_choice)
