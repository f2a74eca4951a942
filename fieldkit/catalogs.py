"""The translators' workflow behind ``fieldkit translations``: extract, merge, measure, check.

Strings are extracted from FieldKit's Python code and Jinja templates (with ``# NOTE:``
comments for translators) into ``translations/messages.pot``; each locale's
``messages.po`` is merged from it. ``check`` finds what would hurt users: a renamed or
missing placeholder, HTML tags that differ from the English, a catalog older than the
code, or a fuzzy (unreviewed guess) entry in a shipped language.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from .i18n import broken_entries
from .languages import BY_CODE, LANGUAGES
from .resources import PACKAGE_DIR, TRANSLATIONS_DIR

#: What to extract from where (the same as babel.cfg, for pybabel and Weblate users).
METHOD_MAP = [
    ("fieldkit/**.py", "python"),
    ("sync/**.py", "python"),
    ("fieldkit/templates/**.html", "jinja2"),
]
OPTIONS_MAP = {"fieldkit/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "lazy_gettext": None,
    "_l": None,
    "lazy_pgettext": ((1, "c"), 2),
    "_lp": ((1, "c"), 2),
    "lazy_ngettext": (1, 2),
}
COMMENT_TAGS = ("NOTE:",)
SOURCE_ROOT = PACKAGE_DIR.parent
TEMPLATE = "messages.pot"


def po_path(code: str, directory: Path | None = None) -> Path:
    """Where a locale's catalog lives."""
    return Path(directory or TRANSLATIONS_DIR) / code.replace("-", "_") / "LC_MESSAGES" / "messages.po"


def extract(root: Path | None = None) -> Catalog:
    """Every translatable string in the code and templates, as a fresh template catalog."""
    root = Path(root or SOURCE_ROOT)
    catalog = Catalog(
        project="FieldKit", version="1", charset="utf-8", copyright_holder="FieldKit contributors"
    )
    catalog.fuzzy = False
    for filename, lineno, message, comments, context in extract_from_dir(
        root,
        METHOD_MAP,
        OPTIONS_MAP,
        keywords=KEYWORDS,
        comment_tags=COMMENT_TAGS,
        strip_comment_tags=True,
        directory_filter=lambda path: _wanted(root, path),
    ):
        if filename.startswith(("tests", "bench")):
            continue
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def _wanted(root: Path, path: str) -> bool:
    # Only FieldKit's own packages: in an installed copy, root is all of site-packages.
    parts = Path(path).relative_to(root).parts
    return bool(parts) and parts[0] in {"fieldkit", "sync"} and not parts[-1].startswith((".", "__"))


def keys(catalog: Catalog) -> set[tuple]:
    """What a catalog asks translators for: (context, msgid, plural) per live message."""
    result = set()
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
        result.add((message.context, *ids))
    return result


def read(path: Path, code: str | None = None) -> Catalog:
    """A .po or .pot file as a catalog. :raises ValueError: when it cannot be parsed."""
    with path.open("rb") as handle:
        try:
            return read_po(handle, locale=code, abort_invalid=True)
        except Exception as error:  # noqa: BLE001 - any parse failure is the translator's to fix
            raise ValueError(f"{path.name}: {error}") from error


def write(path: Path, catalog: Catalog, **options) -> None:
    """Write a catalog atomically, without line numbers (fewer conflicts when code moves)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, include_lineno=False, **options)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(path)


def write_template(directory: Path | None = None, root: Path | None = None) -> tuple[Catalog, bool]:
    """Extract and write messages.pot if what it asks for changed; returns (template, changed)."""
    directory = Path(directory or TRANSLATIONS_DIR)
    template = extract(root)
    pot = directory / TEMPLATE
    if pot.is_file():
        old = read(pot)
        if keys(old) == keys(template) and _comments(old) == _comments(template):
            return old, False
    write(pot, template)
    return template, True


def _comments(catalog: Catalog) -> dict:
    return {(m.context, str(m.id)): tuple(m.auto_comments) for m in catalog if m.id}


def new_catalog(code: str, template: Catalog, plural_forms: str | None = None) -> Catalog:
    """An empty catalog for a locale, with every message of the template and no translation."""
    locale = code.replace("-", "_")
    try:
        catalog = Catalog(locale=locale, project="FieldKit", charset="utf-8")
    except Exception:  # noqa: BLE001 - a language CLDR lacks: no locale data, plural given
        catalog = Catalog(project="FieldKit", charset="utf-8")
        catalog.language_team = code
    catalog.fuzzy = False
    if plural_forms:
        catalog._num_plurals, catalog._plural_expr = _parse_plural(plural_forms)
    catalog.update(template, no_fuzzy_matching=True)
    if not plural_forms and catalog.locale is None:
        catalog._num_plurals, catalog._plural_expr = 2, "(n != 1)"
    return catalog


def _parse_plural(text: str) -> tuple[int, str]:
    match = re.match(r"\s*nplurals\s*=\s*(\d+)\s*;\s*plural\s*=\s*(.+?);?\s*$", text)
    if not match:
        raise ValueError(f"not a Plural-Forms expression: {text}")
    return int(match[1]), match[2]


def merge(code: str, template: Catalog, directory: Path | None = None) -> Path:
    """Bring one locale's catalog up to date with the template (new strings, obsolete ones)."""
    path = po_path(code, directory)
    if path.is_file():
        catalog = read(path, code.replace("-", "_") if _known(code) else None)
        catalog.update(template, no_fuzzy_matching=False, update_creation_date=False)
    else:
        catalog = new_catalog(code, template)
    write(path, catalog, ignore_obsolete=True)
    return path


def _known(code: str) -> bool:
    from babel import Locale

    try:
        Locale.parse(code.replace("-", "_"))
    except Exception:  # noqa: BLE001 - unknown to CLDR
        return False
    return True


def shipped_codes() -> list[str]:
    """Every registered language that has (or should have) a catalog: all but English."""
    return [language.code for language in LANGUAGES if language.code != "en"]


@dataclass
class Coverage:
    code: str
    total: int
    translated: int
    fuzzy: int
    untranslated: int
    words_left: int

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.translated / self.total)


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return bool(strings) and all(strings)


def coverage(code: str, directory: Path | None = None, template: Catalog | None = None) -> Coverage:
    """How much of a locale is translated: translated (not fuzzy), fuzzy, untranslated, words left."""
    path = po_path(code, directory)
    catalog = read(path, None) if path.is_file() else None
    messages = [m for m in (catalog or template or []) if m.id]
    if code == "en":
        return Coverage(code, len(messages), len(messages), 0, 0, 0)
    translated = fuzzy = untranslated = words = 0
    for message in messages:
        ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
        if catalog is not None and _translated(message) and not message.fuzzy:
            translated += 1
            continue
        if catalog is not None and message.fuzzy and _translated(message):
            fuzzy += 1
        else:
            untranslated += 1
        words += sum(len(text.split()) for text in ids)
    return Coverage(code, len(messages), translated, fuzzy, untranslated, words)


def problems(directory: Path | None = None, *, stale: bool = True, root: Path | None = None) -> list[str]:
    """Everything ``fieldkit translations check`` fails on, one line each."""
    directory = Path(directory or TRANSLATIONS_DIR)
    found: list[str] = []
    pot = directory / TEMPLATE
    template = None
    if not pot.is_file():
        found.append(f"{TEMPLATE}: missing; run `fieldkit translations update`")
    else:
        try:
            template = read(pot)
        except ValueError as error:
            found.append(str(error))
    if stale and template is not None:
        fresh = keys(extract(root))
        missing, gone = fresh - keys(template), keys(template) - fresh
        if missing or gone:
            example = next(iter(missing or gone))[1]
            found.append(
                f"{TEMPLATE}: out of date with the code ({len(missing)} new, {len(gone)} removed "
                f"string(s), e.g. {example!r}); run `fieldkit translations update`"
            )
    for code in shipped_codes():
        path = po_path(code, directory)
        name = f"{code}/LC_MESSAGES/messages.po"
        if not path.is_file():
            found.append(f"{name}: missing; run `fieldkit translations add {code}`")
            continue
        try:
            catalog = read(path, None)
        except ValueError as error:
            found.append(f"{code}: {error}")
            continue
        for msgid, reason in broken_entries(catalog):
            found.append(f"{name}: {msgid!r}: {reason}")
        for message in catalog:
            if not message.id or not _translated(message):
                continue
            ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
            if message.fuzzy and code in BY_CODE:
                found.append(f"{name}: {ids[0]!r}: fuzzy (a guess to review); check it, then untick fuzzy")
        if stale and template is not None and keys(catalog) != keys(template):
            found.append(f"{name}: not merged with {TEMPLATE}; run `fieldkit translations update`")
    return found
