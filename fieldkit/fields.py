"""What a declared field (``fieldkit/records.py``) means to a person: how a form reads it, how a
form shows it again, what it is called, and how a page shows its value.

Everything here reads the declaration at call time (``records.SCHEMA[table]``), so a field added
to a record type appears in its forms, exports, history and review without another edit.

- :func:`parse` turns what a person typed into the stored value, or a translated message;
- :func:`form_value` is the text a form shows for a stored value: submitting it unchanged
  parses back to the same value, in every UI language;
- :func:`shown` is a stored value as a page shows it, and never raises: a value that breaks its
  declaration (written by an older version or by hand) shows as plain text.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from sync.schema import Field, RecordType

from . import validation as v
from .i18n import country_name, current_locale, format_date, format_datetime, format_number, formatting_locale
from .i18n import gettext as _
from .records import SCHEMA, choice_labels
from .validation import coordinate_text

#: Fields a record's own form never asks for: set by the app, the journal or another form.
SYSTEM_FIELDS = ("created_at", "org", "deleted", "ref", "recorded_by", "anonymous", "consent")

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def record(table: str) -> RecordType:
    """The current declaration of ``table``."""
    return SCHEMA[table]


def form_fields(table: str, *, skip: Iterable[str] = ()) -> list[Field]:
    """The declared fields a person fills in on ``table``'s form.

    Not system fields, and for a child neither its parent nor its country: a child always has
    its parent's scope.
    """
    declared = record(table)
    left_out = {*SYSTEM_FIELDS, *skip}
    if declared.parent:
        left_out.update((declared.parent.field, "country"))
        if declared.parent.table_field:
            left_out.add(declared.parent.table_field)
    return [f for f in declared.fields if f.name not in left_out]


# --- reading a form -----------------------------------------------------------------------


def text_language() -> str:
    """The language a new text is tagged with unless the person says otherwise: the UI language.

    Someone using FieldKit in French most likely types in French; English is no better a guess.
    """
    return current_locale()


def _enum(value, declared: Field, *, required: bool, default):
    picked = v.choice(value, declared.choices, required=required, default=default)
    if picked is None or picked == "":
        return picked
    # Codes that are numbers (severity) come back as the declared code, not as text.
    return next((c for c in declared.choices if str(c) == str(picked)), picked)


def _boolean(value, declared: Field, *, required: bool, default):
    text = (value or "").strip()
    if not text:
        if required and default is None:
            raise v.Invalid(_("Choose one of the options."))
        return default if default is not None else 0
    if text not in ("0", "1"):
        raise v.Invalid(_("Choose one of the options."))
    return int(text)


def _reference(value, declared: Field, *, required: bool, default):
    text = (value or "").strip()
    if not text:
        if required:
            raise v.Invalid(_("Choose one from the list."))
        return None
    if not UUID.match(text):
        raise v.Invalid(_("Choose one from the list."))
    return text


def _date(value, declared: Field, *, required: bool, default, allow_future: bool = True):
    return v.day(value, required=required, allow_future=allow_future)


def _decimal(value, declared: Field, *, required: bool, default):
    lowest = declared.minimum if declared.minimum is not None else -math.inf
    highest = declared.maximum if declared.maximum is not None else math.inf
    parsed = v.coordinate(value, minimum=lowest, maximum=highest)
    if parsed is None and required:
        raise v.Invalid(_("This field is required."))
    return parsed


def _integer(value, declared: Field, *, required: bool, default):
    lowest = int(declared.minimum) if declared.minimum is not None else -(1 << 62)
    highest = int(declared.maximum) if declared.maximum is not None else 1 << 62
    return v.integer(value, minimum=lowest, maximum=highest, required=required)


def _text(value, declared: Field, *, required: bool, default):
    text = v.text(
        value, required=required, max_length=declared.max_length or 100_000, multiline=declared.multiline
    )
    if text and declared.pattern and not re.fullmatch(declared.pattern, text):
        raise v.Invalid(_("This is not in the expected form."))
    return text


def _amount(value, declared: Field, *, required: bool, default):
    parsed = v.amount(value)
    if parsed is None and required:
        raise v.Invalid(_("This field is required."))
    return parsed


def _list(value, declared: Field, *, required: bool, default):
    return v.tags(value, max_length=declared.max_length or 500)


def _language(value, declared: Field, *, required: bool, default):
    return v.language_tag(value, default=default or text_language())


PARSERS = {
    "text": _text,
    "integer": _integer,
    "decimal": _decimal,
    "amount": _amount,
    "date": _date,
    "enum": _enum,
    "boolean": _boolean,
    "list": _list,
    "reference": _reference,
    "language": _language,
}


def parse(
    c: v.Collector,
    declared: Field,
    *,
    required: bool | None = None,
    default=None,
    source: str | None = None,
    **rules,
):
    """Read one declared field from the form into ``c``, with the declaration's bounds.

    ``required`` overrides the declaration (a field a form needs only in some cases);
    ``default`` the declared default; ``rules`` are form-only rules such as ``allow_future``.
    """
    parser = PARSERS.get(declared.type)
    if parser is None:  # timestamps and files are never typed
        return None
    must = declared.required if required is None else required
    default = declared.default if default is None else default
    return c.field(declared.name, parser, declared, required=must, default=default, source=source, **rules)


def parse_all(
    c: v.Collector,
    table: str,
    *,
    skip: Iterable[str] = (),
    defaults: dict | None = None,
    rules: dict | None = None,
    parsers: dict | None = None,
) -> None:
    """Read every form field of ``table`` into ``c``; ``parsers`` replace a field's reading."""
    defaults, rules, parsers = defaults or {}, rules or {}, parsers or {}
    for declared in form_fields(table, skip=skip):
        if declared.name in parsers:
            c.field(declared.name, parsers[declared.name])
        else:
            parse(c, declared, default=defaults.get(declared.name), **rules.get(declared.name, {}))


# --- showing a value in a form ------------------------------------------------------------


def locale_amount(value: str) -> str:
    """An exact amount in the user's number format, keeping its decimals (2 500 000,50 in French)."""
    amount = Decimal(str(value))
    places = max(0, -amount.as_tuple().exponent)
    locale = formatting_locale()
    pattern = copy.copy(locale.decimal_formats[None])
    pattern.frac_prec = (places, places)
    return pattern.apply(amount, locale)


def form_value(declared: Field, value) -> str:
    """The text a form shows for a stored value; submitted unchanged, it parses back to ``value``."""
    if value is None:
        return ""
    try:
        if declared.type == "decimal" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return coordinate_text(value)  # 0.000056, never 5.6e-05
        if declared.type == "amount" and value != "":
            return locale_amount(value)
        if declared.type == "list":
            items = json.loads(value) if isinstance(value, str) else value
            if isinstance(items, list):
                return ", ".join(str(i) for i in items)
    except (ValueError, TypeError, InvalidOperation, OverflowError):
        pass
    return str(value)


def form_values(table: str, row) -> dict:
    """A stored row as the form shows it (every form field as text)."""
    values = dict(row)
    for declared in form_fields(table):
        if declared.name in values:
            values[declared.name] = form_value(declared, values[declared.name])
    return values


# --- labels and display -------------------------------------------------------------------


def label(table: str, name: str) -> str:
    """A field's declared label in the user's language; the name itself if it is not declared."""
    if table in SCHEMA and name in SCHEMA[table].by_name:
        return str(SCHEMA[table][name].label) or name
    return name


def shown(table: str, name: str, value) -> str:
    """A stored value as a page shows it; never raises (a value breaking its declaration shows as is)."""
    if value is None or value == "":
        return "—"
    declared = SCHEMA[table].by_name.get(name) if table in SCHEMA else None
    if declared is None:
        return str(value)
    try:
        return _shown(declared, value)
    except Exception:  # noqa: BLE001 - a stored value a display cannot read is still shown
        return str(value)


def _shown(declared: Field, value) -> str:
    kind = declared.type
    if kind == "enum":
        if declared.name == "country":
            return country_name(value) if isinstance(value, str) else str(value)
        labels = choice_labels(declared)
        match = next((c for c in declared.choices if str(c) == str(value)), None)
        return str(labels.get(match, value)) if match is not None else str(value)
    if kind == "date":
        return format_date(value) if isinstance(value, str) else str(value)
    if kind == "timestamp":
        return format_datetime(value) if isinstance(value, str) else str(value)
    if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
        return format_number(value)
    if kind == "decimal" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return coordinate_text(value)  # 0.000056, never 5.6e-05
    if kind == "amount":
        return locale_amount(value)
    if kind == "boolean":
        return _("Yes") if value in (1, "1") else _("No") if value in (0, "0") else str(value)
    if kind == "list":
        items = json.loads(value) if isinstance(value, str) else value
        return ", ".join(str(i) for i in items) if isinstance(items, list) else str(value)
    return str(value)


def labels(table: str, **extra) -> dict[str, str]:
    """Every declared field's label by name (for error summaries), plus ``extra`` form-only names."""
    return {f.name: str(f.label) or f.name for f in record(table).fields} | extra


def unplaced(table: str, placed) -> list[Field]:
    """Form fields of ``table`` a template does not place by hand (shown in a generic layout)."""
    return [f for f in form_fields(table) if f.name not in placed]


def init_app(app) -> None:
    """Labels, display and form values of declared fields, for every template."""
    app.jinja_env.globals.update(
        field_label=label,
        field_labels=labels,
        shown=shown,
        form_value=form_value,
        unplaced_fields=unplaced,
        choice_labels=choice_labels,
    )
