"""A .po file read back into local entries: each entry checked, broken ones refused with their reason.

Only texts the app has (``messages.pot``) are taken; an entry equal to what is already shown
(shipped or local) is left as it is; an empty or fuzzy entry is skipped.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass, field

from babel.messages.pofile import read_po

from . import translate_page
from .catalog_rules import check_entry
from .queries import catalog as queries


@dataclass
class Result:
    saved: int = 0
    unchanged: int = 0
    skipped: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)


def _strings(value) -> list[str]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def apply(
    conn, code: str, data: bytes, *, author: str, directory: str | None = None, stated: str | None = None
) -> Result | None:
    """Save the good entries of a .po file; None when it is not one."""
    try:
        catalog = read_po(io.BytesIO(data), locale=None, abort_invalid=True)
    except Exception:  # noqa: BLE001 - any parse failure: the file is refused whole, with a message
        return None
    known = {
        (t.msgctxt, t.msgid): t for t in translate_page.texts(code, queries.entries(conn, code), directory)
    }
    result = Result()
    for message in catalog:
        if not message.id:
            continue
        ids = _strings(message.id)
        text = known.get((message.context or "", ids[0]))
        forms = [unicodedata.normalize("NFC", str(s or "")) for s in _strings(message.string)]
        if text is None or message.fuzzy or not any(forms):
            result.skipped += 1
            continue
        if forms == text.forms:
            result.unchanged += 1
            continue
        problems = check_entry(code, text.msgid, text.msgid_plural, forms, stated)
        if problems:
            result.refused.append((text.msgid, next(iter(sorted(problems.items())))[1]))
            continue
        queries.save(conn, code, text.msgctxt, text.msgid, text.msgid_plural, forms, author=author)
        result.saved += 1
    return result
