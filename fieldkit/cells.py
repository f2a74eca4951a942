"""Text cells of a CSV export, made safe to open in a spreadsheet, and read back unchanged.

A spreadsheet runs a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula (CSV injection), so an exported cell like ``=HYPERLINK(...)`` typed into a
title could act on the official who opens the file. Such text cells are written with a leading
apostrophe, as OWASP advises: the spreadsheet then shows the text as typed. Numbers, and text that
is just a number (``-5``, ``+254.5``), are left alone so that they stay numbers.

The apostrophe is reversible without ambiguity: a cell is prefixed when, after any apostrophes it
already begins with, it starts with a formula character; an import removes exactly one apostrophe
from such cells and from no other. So ``'=x`` typed by a user leaves as ``''=x`` and comes back as
``'=x``, and importing a file FieldKit exported gives back the original text.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _needs_quote(text: str) -> bool:
    return text.lstrip("'").startswith(FORMULA_START)


def neutralise(value):
    """A value as a CSV export writes it: formula-looking text gets a leading apostrophe."""
    if not isinstance(value, str) or NUMBER.match(value) or not _needs_quote(value):
        return value
    return "'" + value


def restore(text: str) -> str:
    """The text a neutralised cell held: one leading apostrophe removed where export added it."""
    if text.startswith("'") and _needs_quote(text):
        return text[1:]
    return text
