"""Record types declared once: what a valid row of each synced table is, and whose it is.

The app declares each record type as a :class:`RecordType` (its fields with type, bounds,
label and help; the parent a child row belongs to; its privacy class) and hands the
:class:`Schema` to :func:`sync.journal.use`. Everything else derives from it: the journal's
list of writable fields, the checks central runs on every pushed op
(:meth:`Schema.check_op`), the scope a child row inherits from its parent, and which field
names a stored file. ``sync/`` itself names no app table.

Values are checked in their stored form (what an op carries), with the same rules a form
applies to what a person types: text is NFC, free of control characters, lone surrogates
and (in one-line text) line breaks, and within its length; numbers are within their range;
codes are among their choices.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

#: Characters no stored text may hold: C0 controls but tab and newline, DEL, and the bidi
#: embeddings, overrides and isolates that can make a title read backwards.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,4}$")
ROW_ID = re.compile(r"^[0-9a-zA-Z._-]{1,80}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
AMOUNT = re.compile(r"^\d{1,16}(\.\d{1,2})?$")
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?$")

TYPES = (
    "text",  # str; max_length, multiline
    "integer",  # int; minimum, maximum
    "decimal",  # int or float; minimum, maximum
    "amount",  # money kept exactly: a decimal string with at most two decimals
    "date",  # YYYY-MM-DD
    "timestamp",  # ISO 8601 date and time
    "enum",  # one of choices
    "boolean",  # 0 or 1
    "list",  # a JSON list of short strings, stored as text
    "reference",  # the id of a row of ``references`` (or of the table named by ``table_field``)
    "language",  # a BCP 47 tag
    "file",  # the SHA-256 of a stored file
)

PRIVACY = ("shared", "programme", "device-only")

#: Whose rows of a type are: one partner org's in one country (``org``), every org's in one
#: country (``country``: reference lists such as places, which every device of the country reads
#: and may add to; the row's org is :data:`EVERY_ORG`), or nobody's (``global``: the app's own
#: texts, which every replica reads whatever its scope).
SCOPES = ("org", "country", "global")
EVERY_ORG = "*"

#: Who a field may be shown to outside the programme, from the widest: ``public`` (anyone),
#: ``officials`` (officials and funders, not the public: names of people, exact addresses) and
#: ``internal`` (the programme only: its own notes). Export profiles of the same names read it.
AUDIENCES = ("public", "officials", "internal")


class Refused(ValueError):
    """A value or op breaks its declaration; ``code`` and ``field`` say which rule, where."""

    def __init__(self, code: str, reason: str, field: str | None = None):
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.field = field

    def as_dict(self) -> dict:
        return {"code": self.code, "field": self.field, "reason": self.reason}


@dataclass(frozen=True)
class Field:
    """One declared field. ``label`` and ``help`` are translatable (lazy) strings."""

    name: str
    type: str
    label: Any = ""
    help: Any = ""
    required: bool = False
    max_length: int | None = None
    multiline: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple = ()
    #: A regular expression a text value must match in full.
    pattern: str | None = None
    references: str | None = None
    table_field: str | None = None
    default: Any = None
    #: The widest audience that may see this field (one of AUDIENCES).
    audience: str = "public"

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"{self.name}: unknown field type {self.type!r}")
        if self.audience not in AUDIENCES:
            raise ValueError(f"{self.name}: unknown audience {self.audience!r}")
        # The check of this type, looked up once (central runs it for every field of every op).
        object.__setattr__(self, "_checker", getattr(self, f"_check_{self.type}"))
        object.__setattr__(self, "_empty_ok", self.type in ("text", "enum", "list", "language", "amount"))
        object.__setattr__(self, "passes", self._quick_test())

    def _quick_test(self):
        """A test that a common value surely passes (plain ASCII text, a known code, a whole
        number in range), or None. Central runs it for every field of every pushed op; a value
        it does not pass goes through :meth:`check`, which says why or lets it through."""
        required = self.required
        if self.type == "text" and not self.pattern:
            limit = self.max_length if self.max_length is not None else 1 << 62
            control = CONTROL.search
            if self.multiline:
                return lambda v: (
                    v.__class__ is str
                    and (v or not required)
                    and len(v) <= limit
                    and v.isascii()
                    and not control(v)
                )
            return lambda v: (
                v.__class__ is str
                and (v or not required)
                and len(v) <= limit
                and v.isascii()
                and not control(v)
                and "\n" not in v
                and "\r" not in v
                and "\t" not in v
            )
        if self.type == "enum":
            codes = frozenset(c for c in self.choices if c.__class__ in (str, int))
            return lambda v: v.__class__ in (str, int) and v in codes
        if self.type == "integer":
            low = self.minimum if self.minimum is not None else -(1 << 63)
            high = self.maximum if self.maximum is not None else 1 << 63
            return lambda v: v.__class__ is int and low <= v <= high
        if self.type == "boolean":
            return lambda v: v.__class__ is int and (v == 0 or v == 1)
        return None

    def check(self, value: Any) -> None:
        """Refuse a stored value this field does not allow.

        :raises Refused: with the rule broken.
        """
        if value is None or value == "":
            if self.required:
                raise Refused("required", f"{self.name} is required", self.name)
            if value is None or self._empty_ok:
                return
        self._checker(value)

    def _fail(self, code: str, reason: str):
        raise Refused(code, f"{self.name}: {reason}", self.name)

    def _check_text(self, value):
        if not isinstance(value, str):
            self._fail("type", "not text")
        _plain_text(self, value, multiline=self.multiline)
        if self.max_length is not None and len(value) > self.max_length:
            self._fail("length", f"longer than {self.max_length} characters")
        if self.pattern and not re.fullmatch(self.pattern, value):
            self._fail("pattern", "not in the expected form")

    def _check_integer(self, value):
        if isinstance(value, bool) or not isinstance(value, int):
            self._fail("type", "not a whole number")
        self._check_range(value)

    def _check_decimal(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self._fail("type", "not a number")
        self._check_range(value)

    def _check_range(self, value):
        if self.minimum is not None and value < self.minimum:
            self._fail("range", f"below {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            self._fail("range", f"above {self.maximum}")

    def _check_amount(self, value):
        if not isinstance(value, str) or not AMOUNT.match(value):
            self._fail("type", "not an amount (digits with at most two decimals)")

    def _check_date(self, value):
        if not isinstance(value, str) or len(value) != 10:
            self._fail("type", "not a date (YYYY-MM-DD)")
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            self._fail("type", "not a date (YYYY-MM-DD)")
        if parsed.year < 1900:
            self._fail("range", "before 1900")

    def _check_timestamp(self, value):
        if not isinstance(value, str) or not STAMP.match(value):
            self._fail("type", "not a date and time")
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            self._fail("type", "not a date and time")

    def _check_enum(self, value):
        if isinstance(value, (bool, float)) or value not in self.choices:
            self._fail("choice", "not one of the allowed values")

    def _check_boolean(self, value):
        if value not in (0, 1) or isinstance(value, float):
            self._fail("type", "not 0 or 1")

    def _check_list(self, value):
        if not isinstance(value, str):
            self._fail("type", "not a list")
        if self.max_length is not None and len(value) > self.max_length * 2 + 2:
            self._fail("length", "too long")
        try:
            items = json.loads(value)
        except ValueError:
            self._fail("type", "not a list")
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            self._fail("type", "not a list of words")
        if self.max_length is not None and len(", ".join(items)) > self.max_length:
            self._fail("length", f"longer than {self.max_length} characters")
        for item in items:
            _plain_text(self, item, multiline=False)

    def _check_reference(self, value):
        if not isinstance(value, str) or not ROW_ID.match(value):
            self._fail("type", "not a record id")

    def _check_language(self, value):
        if not isinstance(value, str) or not LANGUAGE_TAG.match(value):
            self._fail("type", "not a language tag")

    def _check_file(self, value):
        if not isinstance(value, str) or not SHA256.match(value):
            self._fail("type", "not a SHA-256 digest")


def _plain_text(declared: Field, value: str, *, multiline: bool) -> None:
    if not value.isascii():  # ASCII text is valid UTF-8 and already NFC
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            declared._fail("text", "holds a lone surrogate")
        if not unicodedata.is_normalized("NFC", value):
            declared._fail("text", "is not in Unicode normal form C")
    if CONTROL.search(value):
        declared._fail("text", "holds control or direction-override characters")
    if not multiline and ("\n" in value or "\r" in value or "\t" in value):
        declared._fail("text", "holds a line break")


@dataclass(frozen=True)
class Parent:
    """The row a child belongs to: the field holding its id, and its table.

    ``table_field`` instead of ``table`` when the child names its parent's table itself
    (a translation of an issue's or a meeting's text). A child always has its parent's
    scope (org and country), never one of its own.
    """

    field: str
    table: str | None = None
    table_field: str | None = None

    def table_of(self, values: Mapping) -> str | None:
        return self.table if self.table else values.get(self.table_field)


@dataclass(frozen=True)
class RecordType:
    """One synced table: its fields, its parent (children), its privacy class."""

    table: str
    fields: tuple[Field, ...]
    label: Any = ""
    parent: Parent | None = None
    #: Other rows a child names that must exist in the same scope (a link's issue).
    also: tuple[Parent, ...] = ()
    privacy: str = "programme"
    #: People review disputed fields of these; every other type is an add-only child set.
    reviewed: bool = False
    #: A boolean field whose withdrawal erases the ``personal`` fields everywhere (sync.consent).
    consent: str | None = None
    personal: tuple[str, ...] = ()
    #: One of SCOPES: a top-level row belongs to its org and country, its whole country, or everyone.
    scope: str = "org"
    #: Row ids come from the row's own key (a language and an English text), so two replicas
    #: may create one row: a later create's values then compete like edits, never dropped.
    keyed: bool = False
    #: The grant a device needs to push ops of this type (``Peer.grants``); None: any device.
    writers: str | None = None
    #: A rule over a whole row (the stored values with the op's applied), run by central on
    #: every pushed op: ``check_row(conn, values)`` raises :class:`Refused` to refuse it.
    check_row: Callable[[Any, Mapping[str, Any]], None] | None = None
    by_name: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.privacy not in PRIVACY:
            raise ValueError(f"{self.table}: unknown privacy class {self.privacy!r}")
        if self.scope not in SCOPES or (self.scope != "org" and self.parent is not None):
            raise ValueError(f"{self.table}: scope {self.scope!r} is not one a top-level type can have")
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})
        object.__setattr__(self, "_file", next((f for f in self.fields if f.type == "file"), None))
        object.__setattr__(self, "_required", frozenset(f.name for f in self.fields if f.required))

    def __getitem__(self, name: str) -> Field:
        return self.by_name[name]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def file_field(self) -> Field | None:
        """The field naming a stored file, if this type has one."""
        return self._file

    def check(self, values: Mapping[str, Any], *, create: bool) -> None:
        """Refuse values this type does not allow; a create must hold every required field.

        :raises Refused: the first rule broken.
        """
        by_name = self.by_name
        for name, value in values.items():
            declared = by_name.get(name)
            if declared is None:
                raise Refused("unknown-field", f"{self.table} has no field {name}", name)
            passes = declared.passes
            if passes is None or not passes(value):
                declared.check(value)
        if create and not self._required <= values.keys():
            missing = next(f for f in self.fields if f.required and f.name not in values)
            raise Refused("required", f"{missing.name} is required", missing.name)


class Schema:
    """Every synced record type, by table name."""

    def __init__(self, types: Iterable[RecordType]):
        self.types: dict[str, RecordType] = {t.table: t for t in types}

    def __getitem__(self, table: str) -> RecordType:
        return self.types[table]

    def __contains__(self, table: str) -> bool:
        return table in self.types

    def __iter__(self):
        return iter(self.types.values())

    def children_of(self, table: str) -> list[tuple[RecordType, Parent]]:
        """Record types whose parent is ``table`` (statically named)."""
        return [(t, t.parent) for t in self if t.parent and t.parent.table == table]

    def file_tables(self) -> list[tuple[str, str]]:
        """``(table, field)`` of every field that names a stored file."""
        return [(t.table, f.name) for t in self for f in t.fields if f.type == "file"]

    def reviewed(self) -> set[str]:
        return {t.table for t in self if t.reviewed}

    def keyed(self) -> set[str]:
        """Tables whose rows two replicas may create under one id (``RecordType.keyed``)."""
        return {t.table for t in self if t.keyed}

    def global_tables(self) -> list[str]:
        """Tables every replica reads whatever its scope."""
        return [t.table for t in self if t.scope == "global"]
