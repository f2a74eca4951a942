"""What the Translate page lists: every text of the app for one language, with its state.

Each text of ``messages.pot`` is joined with the shipped ``.po`` of the language and the
local entry (if any); its state is ``untranslated`` (neither), ``draft`` (a shipped or local
translation no one reviewed here), ``changed`` (a local entry edited since its review) or
``reviewed``. Where a text appears is a link to that page in that language when a route can
be derived from the template's name, else the reference as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from babel.messages.catalog import Catalog

from . import catalogs
from .catalog_rules import plural_rule
from .local_catalog import template

#: Filters of the list, in the order the page offers them.
FILTERS = ("all", "untranslated", "draft", "changed", "reviewed")
PER_PAGE = 25

#: Templates (by folder or file) and the page that shows them, where it takes no argument.
PAGES = {
    "home.html": "home.index",
    "base.html": "home.index",
    "_macros.html": "issues.index",
    "search.html": "search.everything",
    "issues": "issues.index",
    "meetings": "meetings.index",
    "sync": "sync.index",
    "settings": "settings.index",
    "central": "central.devices",
    "translate": "translate.languages",
}


@dataclass
class Text:
    msgctxt: str
    msgid: str
    msgid_plural: str
    notes: list[str]
    places: list[tuple[str, int]]
    shipped: list[str]
    local: dict | None = None
    translator: str = ""
    terms: list[str] = field(default_factory=list)

    @property
    def forms(self) -> list[str]:
        return list(self.local["forms"]) if self.local else list(self.shipped)

    @property
    def shipped_differs(self) -> bool:
        """A local entry over a shipped translation that says something else (both are kept)."""
        return bool(self.local and any(self.shipped) and self.shipped != self.local["forms"])

    @property
    def state(self) -> str:
        if self.local:
            if self.local["status"] == "reviewed":
                return "reviewed"
            return "changed" if self.local["reviewed_by"] else "draft"
        return "draft" if any(self.shipped) else "untranslated"


def _strings(value) -> list[str]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


@lru_cache(maxsize=16)
def shipped(code: str, directory: str | None = None) -> dict[tuple[str, str], list[str]]:
    """The shipped translations of a language (not fuzzy), by (context, English)."""
    path = catalogs.po_path(code, Path(directory) if directory else None)
    if not path.is_file():
        return {}
    try:
        catalog = catalogs.read(path, None)
    except ValueError:
        return {}
    found = {}
    for message in catalog:
        if message.id and not message.fuzzy:
            forms = [text or "" for text in _strings(message.string)]
            if any(forms):
                found[(message.context or "", _strings(message.id)[0])] = forms
    return found


def texts(code: str, local: dict, directory: str | None = None) -> list[Text]:
    """Every text of the app for ``code``, in the template's order."""
    known = shipped(code, directory)
    found = []
    for message in template():
        if not message.id:
            continue
        ids = _strings(message.id)
        key = (message.context or "", ids[0])
        found.append(
            Text(
                msgctxt=key[0],
                msgid=ids[0],
                msgid_plural=ids[1] if len(ids) > 1 else "",
                notes=list(message.auto_comments),
                places=list(message.locations),
                shipped=known.get(key, []),
                local=local.get(key),
            )
        )
    return found


def matching(items: list[Text], state: str, query: str, msgid: str | None) -> list[Text]:
    """The texts a filter, a search (English or translation) or one exact English text asks for."""
    if msgid is not None:
        return [item for item in items if item.msgid == msgid]
    if state in FILTERS and state != "all":
        items = [item for item in items if item.state == state]
    query = query.strip().casefold()
    if query:
        items = [
            item
            for item in items
            if query in item.msgid.casefold()
            or query in item.msgid_plural.casefold()
            or any(query in text.casefold() for text in item.forms)
        ]
    return items


def glossary_terms(text: str, terms) -> list[str]:
    """The glossary's key terms a text uses (``issue`` also in "issues", ``enrol`` in "enrolment")."""
    return [term for term in terms if re.search(rf"\b{re.escape(term)}", text, re.IGNORECASE)]


def page_of(path: str) -> str | None:
    """The endpoint showing a template (``fieldkit/templates/issues/index.html`` → ``issues.index``)."""
    parts = path.split("/")
    if "templates" not in parts:
        return None
    rest = parts[parts.index("templates") + 1 :]
    return PAGES.get(rest[0]) if rest else None


def po_file(code: str, local: dict, directory: str | None = None, stated: str | None = None) -> Catalog:
    """A language as one catalog: every text of the app, its local entry over the shipped one."""
    count, expression = plural_rule(code, stated)
    try:
        catalog = Catalog(locale=code.replace("-", "_"), project="FieldKit", charset="utf-8", fuzzy=False)
    except Exception:  # noqa: BLE001 - a language CLDR lacks: the rule is stated
        catalog = Catalog(project="FieldKit", charset="utf-8", fuzzy=False)
        catalog.language_team = code
    catalog._num_plurals, catalog._plural_expr = count, expression
    for item in texts(code, local, directory):
        forms = item.forms
        if item.msgid_plural:
            message_id = (item.msgid, item.msgid_plural)
            string = tuple((forms + [""] * count)[:count])
        else:
            message_id, string = item.msgid, (forms[0] if forms else "")
        catalog.add(
            message_id,
            string,
            locations=item.places,
            auto_comments=item.notes,
            context=item.msgctxt or None,
        )
    return catalog
