"""Field validators: each turns submitted text into a clean value or a translated message.

Errors are data: a parser collects ``{field: message}`` and the view re-renders the form
with each message beside its field. Nothing is written while any error remains.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

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


def integer(value, *, minimum=0, maximum=10_000_000, required=False) -> int | None:
    """A whole number within bounds, or None when left empty."""
    value = (str(value) if value is not None else "").strip().replace(",", "").replace(" ", "")
    if not value:
        if required:
            raise Invalid(_("This field is required."))
        return None
    try:
        number = int(value)
    except ValueError:
        raise Invalid(_("Enter a whole number, like 12.")) from None
    if number < minimum:
        if minimum == 0:
            raise Invalid(_("This cannot be negative."))
        raise Invalid(_("Enter at least %(minimum)s.", minimum=minimum))
    if number > maximum:
        raise Invalid(_("Enter at most %(maximum)s.", maximum=maximum))
    return number


def decimal(value, *, minimum=None, maximum=None) -> float | None:
    """A decimal number, or None when left empty."""
    value = (str(value) if value is not None else "").strip().replace(",", "").replace(" ", "")
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise Invalid(_("Enter a number, like 12.5.")) from None
    if not number.is_finite():
        raise Invalid(_("Enter a number, like 12.5."))
    if minimum is not None and number < minimum:
        raise Invalid(_("Enter a number between %(minimum)s and %(maximum)s.", minimum=minimum, maximum=maximum))
    if maximum is not None and number > maximum:
        raise Invalid(_("Enter a number between %(minimum)s and %(maximum)s.", minimum=minimum, maximum=maximum))
    return float(number)


def amount(value) -> str | None:
    """A money amount kept exactly as a decimal string (never a binary float)."""
    value = (str(value) if value is not None else "").strip().replace(",", "").replace(" ", "")
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise Invalid(_("Enter an amount, like 1500000 or 2500.50.")) from None
    if not number.is_finite():
        raise Invalid(_("Enter an amount, like 1500000 or 2500.50."))
    if number < 0:
        raise Invalid(_("This cannot be negative."))
    if number > Decimal("1e15"):
        raise Invalid(_("This amount is too large."))
    return format(number.quantize(Decimal("0.01")) if number.as_tuple().exponent < -2 else number, "f")


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
