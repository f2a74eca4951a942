"""Helpers for the language tests: build small catalogs, read the visible text of a page."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from fieldkit import catalogs

PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%%")


def write_catalog(directory: Path, code: str, entries: dict, plural_forms: str | None = None) -> Path:
    """A .po for ``code`` in ``directory``: {msgid: msgstr} or {(singular, plural): (forms...)}."""
    catalog = Catalog(locale=code.replace("-", "_"), charset="utf-8")
    catalog.fuzzy = False
    if plural_forms:
        catalog._num_plurals, catalog._plural_expr = catalogs._parse_plural(plural_forms)
    for msgid, msgstr in entries.items():
        context = None
        if isinstance(msgid, tuple) and len(msgid) == 3:  # (context, singular, plural)
            context, msgid = msgid[0], msgid[1:]
        elif isinstance(msgid, tuple) and len(msgid) == 2 and isinstance(msgstr, str):  # (context, msgid)
            context, msgid = msgid
        catalog.add(msgid, msgstr, context=context)
    path = catalogs.po_path(code, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog)
    return path


def wrap(text: str) -> str:
    """Pseudo-translate: ⟦…⟧ around the text, placeholders kept as they are."""
    return f"⟦{text}⟧"


def write_pseudo_catalog(directory: Path, code: str = "fr") -> int:
    """Every string FieldKit extracts, wrapped in ⟦…⟧, as ``code``'s catalog; returns how many."""
    template = catalogs.extract()
    catalog = Catalog(locale=code, charset="utf-8")
    catalog.fuzzy = False
    for message in template:
        if not message.id:
            continue
        if isinstance(message.id, (list, tuple)):
            forms = tuple(
                wrap(message.id[0] if i == 0 else message.id[1]) for i in range(catalog.num_plurals)
            )
            catalog.add(message.id, forms, context=message.context)
        else:
            catalog.add(message.id, wrap(message.id), context=message.context)
    path = catalogs.po_path(code, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog)
    return len(catalog)


VISIBLE_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label"}


class VisibleText(HTMLParser):
    """The text a person sees or hears: text nodes, labels in attributes, button values."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "template"}:
            self._skip += 1
        values = dict(attrs)
        for name, value in attrs:
            if not value:
                continue
            if name in VISIBLE_ATTRIBUTES:
                self.parts.append(value)
            elif name.startswith("data-") and " " in value.strip():
                self.parts.append(value)  # messages shown by app.js (e.g. data-too-large)
        if tag == "input" and values.get("type") in {"submit", "button"} and values.get("value"):
            self.parts.append(values["value"])

    def handle_endtag(self, tag):
        if tag in {"script", "style", "template"} and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data)


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.parts


WRAPPED = re.compile(r"⟦[^⟦⟧]*⟧")


def unwrapped(text: str) -> str:
    """What is left of a text once every pseudo-translated part (even nested) is removed."""
    previous = None
    while previous != text:
        previous, text = text, WRAPPED.sub(" ", text)
    return text
