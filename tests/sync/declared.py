"""Hypothesis strategies for sync ops made from the record declarations (``fieldkit.records.SCHEMA``),
valid and mutated the ways a broken or hostile device would send them, and the checks a test
runs on what central stored."""

from __future__ import annotations

import json
import string

from hypothesis import strategies as st

from fieldkit.records import SCHEMA
from sync.ids import uuid7
from sync.schema import Field, Refused

ORG, COUNTRY = "kolwa-youth", "KE"
WORDS = st.text(alphabet=string.ascii_letters + "éàçñ ß漢字ગુજરાતી-", min_size=1, max_size=12).map(str.strip)
LANGUAGES = st.sampled_from(["en", "fr", "sw", "ak", "hi", "id", "en-KE", "fr-SN"])
STAMPS = (
    st.datetimes().filter(lambda d: d.year >= 1900).map(lambda d: d.replace(microsecond=0).isoformat() + "Z")
)


def allowed(field: Field, value) -> bool:
    try:
        field.check(value)
    except Refused:
        return False
    return True


def valid_value(field: Field) -> st.SearchStrategy:
    """A value the declaration allows (references are drawn by the caller)."""
    kind = field.type
    if kind == "text":
        if field.pattern:
            made = st.from_regex(field.pattern, fullmatch=True)
        else:
            made = st.one_of(WORDS, st.text(max_size=min(field.max_length or 60, 60)))
    elif kind == "integer":
        made = st.integers(int(field.minimum), int(field.maximum))
    elif kind == "decimal":
        made = st.one_of(
            st.floats(field.minimum, field.maximum, allow_nan=False), st.integers(int(field.minimum), 90)
        )
    elif kind == "amount":
        made = st.from_regex(r"[0-9]{1,9}(\.[0-9]{1,2})?", fullmatch=True)
    elif kind == "date":
        made = st.dates().filter(lambda d: d.year >= 1900).map(lambda d: d.isoformat())
    elif kind == "timestamp":
        made = STAMPS
    elif kind == "enum":
        made = st.sampled_from(field.choices)
    elif kind == "boolean":
        made = st.sampled_from([0, 1])
    elif kind == "list":
        made = st.lists(WORDS, max_size=4).map(lambda items: json.dumps(items, ensure_ascii=False))
    elif kind == "language":
        made = LANGUAGES
    elif kind == "file":
        made = st.binary(min_size=32, max_size=32).map(bytes.hex)
    else:  # reference: the caller names a row
        made = st.just(uuid7())
    if not field.required:
        made = st.one_of(st.none(), made) if kind not in ("text", "list") else made
    return made.filter(lambda v: allowed(field, v))


def wrong_value(field: Field) -> st.SearchStrategy:
    """A value the declaration refuses for this field: wrong type, out of bounds, bad text."""
    bad = [st.sampled_from([[1], {"a": 1}, True if field.type != "boolean" else 2])]
    if field.type in ("integer", "decimal", "boolean"):
        bad.append(st.sampled_from(["many", "1", "", 1.5 if field.type != "decimal" else "1.5"]))
    if field.minimum is not None:
        bad.append(st.sampled_from([field.minimum - 1, field.maximum + 1, float("inf")]))
    if field.type in ("text", "enum", "date", "timestamp", "amount", "language", "file", "reference"):
        bad.append(st.sampled_from([42, 3.5, "\x00", "a\ud800b", "x\u202ey", "\u2067rtl\u2069"]))
    if field.type == "text":
        limit = field.max_length or 1000
        bad.append(st.just("x" * (limit + 1)))
        bad.append(
            st.sampled_from(["NUL\x00inside", "lone \udc00 surrogate", "bidi \u202e override", "bell\x07"])
        )
        if not field.multiline:
            bad.append(st.just("two\nlines"))
        bad.append(st.just("e\u0301"))  # not NFC
    if field.type == "enum":
        bad.append(st.sampled_from(["nonsense", 99, 2.0]))
    if field.type in ("date", "timestamp"):
        bad.append(st.sampled_from(["yesterday", "2026-02-30", "1800-01-01", "2026-03-01T25:00:00Z"]))
    if field.type == "list":
        bad.append(st.sampled_from(["not json", "[1, 2]", '{"a": "b"}', json.dumps(["x" * 600])]))
    if field.type == "amount":
        bad.append(st.sampled_from(["1e9", "-5", "1.234", "١٢"[:0] + "12,5"]))
    return st.one_of(*bad).filter(lambda v: not allowed(field, v))


def record_fields(table: str, data, refs: dict[str, list[str]]) -> dict:
    """Every required field of a new ``table`` row and some optional ones, valid; parents from ``refs``."""
    record = SCHEMA[table]
    fields = {}
    for field in record.fields:
        if field.name in ("org", "country", "deleted"):
            continue
        if not field.required and not data.draw(st.booleans()):
            continue
        if field.type == "reference":
            target = field.references or fields.get("record_table", "")
            fields[field.name] = pick(refs.get(target, []), data.draw(INDEX, label=f"{table}.{field.name}"))
        else:
            fields[field.name] = data.draw(valid_value(field), label=f"{table}.{field.name}")
    fields.update(org=ORG, country=COUNTRY, deleted=0)
    return fields


#: Draws that pick among rows that exist now: an index, so what Hypothesis draws never depends
#: on the state of the world (which it does not control), only what the index then names.
INDEX = st.integers(0, 1 << 16)


def pick(choices: list, index: int):
    """The row ``index`` names among ``choices``, or a new id when there are none."""
    return choices[index % len(choices)] if choices else uuid7()


def stored_rows_break_nothing(conn) -> list[str]:
    """Every stored row of every declared table checked against its declaration, as a create."""
    broken = []
    for record in SCHEMA:
        cursor = conn.execute(f"SELECT * FROM [{record.table}]")
        names = [d[0] for d in cursor.description]
        for row in cursor:
            values = {k: v for k, v in zip(names, row, strict=True) if k in record.by_name}
            try:
                record.check(values, create=True)
            except Refused as refusal:
                broken.append(
                    f"{record.table} {row[names.index('id')]}: {refusal.reason} ({values.get(refusal.field)!r:.80})"
                )
    for table, row_id, kind, fields in conn.execute("SELECT tbl, row_id, kind, fields FROM sync_ops"):
        if table not in SCHEMA:
            broken.append(f"op on undeclared table {table}")
            continue
        try:
            SCHEMA[table].check(json.loads(fields), create=kind == "create")
        except Refused as refusal:
            broken.append(f"op {kind} {table} {row_id}: {refusal.reason}")
    return broken
