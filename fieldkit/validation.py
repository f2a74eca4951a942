"""Field validators: each turns submitted text into a clean value or a translated message.

Errors are data: a parser collects ``{field: message}`` and the view re-renders the form
with each message beside its field. Nothing is written while any error remains.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal

from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol

from .i18n import formatting_locale
from .i18n import gettext as _
from .languages import canonical_tag

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


class Invalid(ValueError):
    """A submitted value cannot be accepted; the message says why, in the user's language."""


def text(value, *, required=False, max_length=200, multiline=False) -> str:
    """Clean free text: NFC, trimmed, no control characters; None-safe."""
    value = unicodedata.normalize("NFC", (value or "").strip())
    if multiline:
        value = value.replace("\r\n", "\n")
    if CONTROL.search(value) or (not multiline and ("\n" in value or "\r" in value or "\t" in value)):
        raise Invalid(_("Remove the invisible control characters from this text."))
    if required and not value:
        raise Invalid(_("This field is required."))
    if len(value) > max_length:
        raise Invalid(
            _("Keep this under %(limit)s characters (it has %(count)s).", limit=max_length, count=len(value))
        )
    return value


MACHINE_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")


def _locale_number(text: str) -> Decimal | None:
    """A number typed the way the user's language writes it, or None if it is not one.

    Grouping must be where the language puts it (last group of three digits, earlier groups of
    two or three, so Indian 15,00,000 and 1,500,000 both read as they are meant); a space always
    works as a group separator. "12,5" is therefore 12.5 in French but refused in English, never
    silently read as 125.
    """
    locale = formatting_locale()
    group = get_group_symbol(locale)
    point = get_decimal_symbol(locale)
    group = " " if SPACES.fullmatch(group) else group
    grouping = f"(?:{re.escape(group)}| )"
    pattern = (
        rf"^([+-]?)(\d{{1,3}}(?:{grouping}\d{{2,3}})*{grouping}\d{{3}}|\d+)(?:{re.escape(point)}(\d+))?$"
    )
    match = re.match(pattern, text)
    if not match:
        return None
    sign, whole, fraction = match.groups()
    digits = re.sub(r"\D", "", whole)
    return Decimal(f"{sign}{digits}.{fraction}" if fraction else f"{sign}{digits}")


def number(value, *, example) -> Decimal | None:
    """Typed text → Decimal: the user's own number format, or digits with a point (what browsers
    send from number inputs); None when empty.

    :raises Invalid: with a localised example of the expected form.
    """
    text = SPACES.sub(" ", str(value) if value is not None else "").strip()
    if not text:
        return None
    locale = formatting_locale()
    machine = MACHINE_NUMBER.match(text)
    dotted_thousands = get_group_symbol(locale) == "." and re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+", text)
    parsed = Decimal(text) if machine and not dotted_thousands else _locale_number(text)
    if parsed is None:
        raise Invalid(example())
    return parsed


def _examples():
    locale = formatting_locale()
    return {
        "whole": lambda: _(
            "Enter a whole number, like %(example)s.", example=format_decimal(1500, locale=locale)
        ),
        "number": lambda: _("Enter a number, like %(example)s.", example=format_decimal(12.5, locale=locale)),
        "amount": lambda: _(
            "Enter an amount, like %(example)s.", example=format_decimal(Decimal("2500000.50"), locale=locale)
        ),
    }


def integer(value, *, minimum=0, maximum=10_000_000, required=False) -> int | None:
    """A whole number within bounds, or None when left empty."""
    examples = _examples()
    parsed = number(value, example=examples["whole"])
    if parsed is None:
        if required:
            raise Invalid(_("This field is required."))
        return None
    if parsed != parsed.to_integral_value():
        raise Invalid(examples["whole"]())
    result = int(parsed)
    if result < minimum:
        if minimum == 0:
            raise Invalid(_("This cannot be negative."))
        raise Invalid(_("Enter at least %(minimum)s.", minimum=minimum))
    if result > maximum:
        raise Invalid(_("Enter at most %(maximum)s.", maximum=maximum))
    return result


def coordinate(value, *, minimum, maximum) -> float | None:
    """A GPS coordinate or accuracy: digits with a point (or a comma), never grouped."""
    text = (str(value) if value is not None else "").strip()
    if not text:
        return None
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    if not MACHINE_NUMBER.match(text):
        raise Invalid(_("Enter a number, like %(example)s.", example="-1.2921"))
    parsed = Decimal(text)
    if not minimum <= parsed <= maximum:
        raise Invalid(
            _("Enter a number between %(minimum)s and %(maximum)s.", minimum=minimum, maximum=maximum)
        )
    return float(parsed)


def coordinate_text(value) -> str:
    """A coordinate as plain decimal digits, never ``5.6e-05``: what forms show, exports write and
    :func:`coordinate` reads back as exactly the same number ("" for none)."""
    if value is None or value == "":
        return ""
    number = float(value)
    if number == 0:
        return "0"  # never "-0.0"
    return format(Decimal(repr(number)), "f")


def decimal(value, *, minimum=None, maximum=None) -> float | None:
    """A decimal number in the user's format, or None when left empty."""
    parsed = number(value, example=_examples()["number"])
    if parsed is None:
        return None
    if (minimum is not None and parsed < minimum) or (maximum is not None and parsed > maximum):
        raise Invalid(
            _("Enter a number between %(minimum)s and %(maximum)s.", minimum=minimum, maximum=maximum)
        )
    return float(parsed)


def amount(value) -> str | None:
    """A money amount kept exactly as a decimal string (never a binary float)."""
    parsed = number(value, example=_examples()["amount"])
    if parsed is None:
        return None
    if parsed < 0:
        raise Invalid(_("This cannot be negative."))
    if parsed > Decimal("1e15"):
        raise Invalid(_("This amount is too large."))
    if parsed.as_tuple().exponent < -2:
        parsed = parsed.quantize(Decimal("0.01"))
    return format(parsed, "f")


def day(value, *, required=False, allow_future=False, today: date | None = None) -> str | None:
    """An ISO date (YYYY-MM-DD); by default not in the future."""
    value = (value or "").strip()
    if not value:
        if required:
            raise Invalid(_("This field is required."))
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise Invalid(_("Enter a date as year-month-day, like 2026-03-14.")) from None
    if parsed.year < 1900:
        raise Invalid(_("Enter a date after 1900."))
    if not allow_future and parsed > (today or date.today()):
        raise Invalid(_("This date is in the future."))
    return parsed.isoformat()


def choice(value, choices, *, required=False, default=None):
    """One of a fixed list of codes."""
    value = (value or "").strip()
    if not value:
        if required and default is None:
            raise Invalid(_("Choose one of the options."))
        return default
    if value not in {str(c) for c in choices}:
        raise Invalid(_("Choose one of the options."))
    return value


def language_tag(value, *, default="en") -> str:
    """A BCP 47 language tag (languages outside CLDR, such as Dagbani ``dag``, are allowed)."""
    value = (value or "").strip()
    if not value:
        return default
    tag = canonical_tag(value)
    if not tag:
        raise Invalid(_("Enter a language code such as en, fr, sw or hi."))
    return tag


def tags(value) -> list[str]:
    """Comma-separated tags: trimmed, lower-cased, de-duplicated, in the order given."""
    cleaned = text(value, max_length=500)
    seen: list[str] = []
    for tag in cleaned.split(","):
        tag = tag.strip().lower()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


class Collector:
    """Gathers cleaned values and per-field messages while a form is parsed."""

    def __init__(self, form):
        self.form = form
        self.values: dict = {}
        self.errors: dict[str, str] = {}

    def field(self, name, parser, *args, source=None, **kwargs):
        """Parse ``form[source or name]`` with ``parser``; keep the value or the message."""
        try:
            self.values[name] = parser(self.form.get(source or name), *args, **kwargs)
        except Invalid as error:
            self.errors[name] = str(error)
        return self.values.get(name)

    def error(self, name, message):
        self.errors.setdefault(name, message)
