"""What a translation must keep so that it can never break a page, and a language's plural forms.

One entry is checked the same way wherever it comes from: the Translate form, an uploaded
``.po`` file, and central's sync boundary (``records.CATALOG_ENTRY.check_row``). A
translation keeps every placeholder of its English, named (``%(name)s``, ``{name}``) and
positional (``%s``, ``%d``); carries the same HTML tags as the English, balanced; and has
one text per plural form of its language (CLDR's rule via Babel, as gettext numbers them).
"""

from __future__ import annotations

import gettext as std_gettext
import re
import unicodedata
from collections import Counter
from functools import lru_cache

from babel.messages.plurals import get_plural

from .i18n import HTML_TAG, placeholders
from .i18n import gettext as _

#: Positional printf placeholders (``%s``, ``%d``, ``%.2f``), not named ones, not ``%%``.
POSITIONAL = re.compile(r"%(?!\()(?:\d+\$)?[-+ #0]*\d*(?:\.\d+)?[sdifrxXeEgGc]")
#: What one text of a translation may hold at most (characters).
MAX_TEXT = 5000
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def positional(text: str) -> Counter:
    """Positional placeholders in a text (``%s``, ``%d`` ...), counted; ``%%`` is not one."""
    return Counter(match.group(0) for match in POSITIONAL.finditer((text or "").replace("%%", "")))


@lru_cache(maxsize=64)
def plural_rule(code: str, stated: str | None = None) -> tuple[int, str]:
    """(number of forms, gettext plural expression) for a language: the stated rule, else CLDR's."""
    if stated:
        return parse_plural(stated)
    rule = get_plural(code.replace("-", "_"))
    return rule.num_plurals, rule.plural_expr


def parse_plural(text: str) -> tuple[int, str]:
    """A ``nplurals=N; plural=EXPR;`` rule, checked. :raises ValueError: when it is not one."""
    match = re.fullmatch(r"\s*nplurals\s*=\s*(\d)\s*;\s*plural\s*=\s*([^;]{1,200});?\s*", text or "")
    if not match or not 1 <= int(match[1]) <= 6:
        raise ValueError("not a plural rule")
    count, expression = int(match[1]), match[2].strip()
    try:
        choose = std_gettext.c2py(expression)
    except (ValueError, SyntaxError) as error:
        raise ValueError("not a plural rule") from error
    if any(not 0 <= choose(n) < count for n in range(0, 1001)):
        raise ValueError("the rule chooses a form the language does not have")
    return count, expression


def plural_examples(code: str, stated: str | None = None, limit: int = 4) -> list[list[int]]:
    """For each plural form, the first numbers that take it (what the Translate page shows)."""
    count, expression = plural_rule(code, stated)
    choose = std_gettext.c2py(expression)
    examples: list[list[int]] = [[] for _ in range(count)]
    for n in [*range(0, 200), 1000, 1_000_000]:
        form = choose(n)
        if len(examples[form]) < limit:
            examples[form].append(n)
    return examples


def full_tags(text: str) -> Counter:
    """Every HTML tag of a text as written, attributes included: a translation keeps them as
    they are (pages show catalog text as markup, so a new attribute could inject into a page)."""
    return Counter(" ".join(match.group(0).split()) for match in HTML_TAG.finditer(text or ""))


def balanced(text: str) -> bool:
    """Whether every HTML tag in a text is closed in order (void tags such as ``<br>`` aside)."""
    stack: list[str] = []
    for match in HTML_TAG.finditer(text or ""):
        name = match.group(1).lower()
        if match.group(0).endswith("/>") or name in ("br", "hr", "img", "wbr"):
            continue
        if match.group(0).startswith("</"):
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    return not stack


def check_entry(
    code: str, msgid: str, msgid_plural: str, forms: list[str], stated: str | None = None
) -> dict:
    """Problems with one translation: {form index: message}; empty when it may be stored.

    Each form keeps the English's named placeholders (a form may leave out ``%(num)s``, as
    "one issue" does), its positional ones and its HTML tags; a plural entry has every form
    of the language, a singular entry one text.
    """
    errors: dict[int, str] = {}
    wanted = plural_rule(code, stated)[0] if msgid_plural else 1
    if len(forms) != wanted:
        errors[0] = _(
            "This language has %(count)s plural forms; the entry has %(found)s.",
            count=wanted,
            found=len(forms),
        )
        return errors
    english = [msgid, msgid_plural] if msgid_plural else [msgid]
    expected = set(placeholders(english[-1])) | set(placeholders(english[0]))
    required = set(placeholders(english[-1])) - {"num"}
    tags = full_tags(english[0])
    for index, text in enumerate(forms):
        if not isinstance(text, str) or not text.strip():
            errors[index] = _("Write this form too: the language needs every one of its forms.")
            continue
        if CONTROL.search(text) or not unicodedata.is_normalized("NFC", text):
            errors[index] = _("The text holds control or direction-override characters: type it again.")
            continue
        if len(text) > MAX_TEXT:
            errors[index] = _("The text is too long (at most %(count)s characters).", count=MAX_TEXT)
            continue
        found = set(placeholders(text))
        if found - expected or required - found or positional(text) != positional(english[-1]):
            errors[index] = _(
                "Keep the placeholders of the English exactly: %(expected)s (this text has: %(found)s).",
                expected=_listed(sorted(expected), english[-1]),
                found=_listed(sorted(found), text),
            )
            continue
        if full_tags(text) != tags:
            errors[index] = _(
                "Keep the HTML tags of the English exactly as they are: %(expected)s.",
                expected=" ".join(sorted(tags.elements())) or "—",
            )
            continue
        if not balanced(text):
            errors[index] = _("An HTML tag is opened and not closed, or closed and not opened.")
    return errors


def _listed(names: list[str], text: str) -> str:
    shown = [f"%({name})s" for name in names] + list(positional(text).elements())
    return ", ".join(shown) or "—"
