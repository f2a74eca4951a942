"""Exports in the formats officials, funders and other tools read, written as they are read.

- ``csv`` and ``jsonl``: one kind of record per file, the import column set (less what the
  profile may not carry); spreadsheet formulas neutralised (``cells.py``);
- ``xlsx``: one sheet per kind (issues, timeline events, meetings, action items) with real
  dates, times, numbers and yes/no cells, written by XlsxWriter in constant-memory mode (each sheet
  streams to a temporary file, never a whole table in memory);
- ``geojson``: an RFC 7946 FeatureCollection of the issues that have a location, ``[lon, lat]``;
- ``open311``: GeoReport v2, ``{"services": [...], "requests": [...]}`` (see ``open311.py``).

Every text format is a generator of pieces (:func:`pieces`), so a page can stream it and the
command line write it, with the same code. Each reads the caller's scope and profile from its
arguments: nothing here decides who may see what.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from . import export_profiles as profiles
from . import open311
from .cells import neutralise
from .i18n import lazy_gettext as _l
from .import_reader import cell

FORMATS = ("csv", "jsonl", "xlsx", "geojson", "open311")
#: The formats as the Export page offers them.
FORMAT_LABELS = {
    "csv": _l("CSV (one kind of record)"),
    "jsonl": _l("JSON Lines (one kind of record)"),
    "xlsx": _l("Excel workbook (a sheet for each kind of record)"),
    "geojson": _l("GeoJSON map layer (issues with a location)"),
    "open311": _l("Open311 GeoReport v2 (issues)"),
}
#: Formats holding issues only, and the one holding every kind.
ISSUES_ONLY = ("geojson", "open311")
EVERY_KIND = ("xlsx",)
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
    "open311": "application/json",
}
EXTENSIONS = {"csv": "csv", "jsonl": "jsonl", "xlsx": "xlsx", "geojson": "geojson", "open311": "json"}

#: Rows gathered before a piece is handed on (fewer, larger writes; bounded memory).
BATCH = 500


def kinds_of(fmt: str, kind: str) -> tuple[str, ...]:
    """The kinds of record an export in ``fmt`` holds when ``kind`` is asked for."""
    if fmt in EVERY_KIND:
        return profiles.KINDS
    return ("issues",) if fmt in ISSUES_ONLY else (kind,)


class Counter:
    """How many records an export wrote (read after the pieces are consumed)."""

    def __init__(self):
        self.count = 0


def pieces(conn, fmt: str, *, kind="issues", profile="internal", country=None, counter=None) -> Iterator[str]:
    """The text of an export, piece by piece (every format but xlsx)."""
    counter = counter or Counter()
    rows = profiles.records(conn, kind if fmt not in ISSUES_ONLY else "issues", profile, country=country)
    if fmt == "csv":
        return _csv(rows, profiles.columns(kind, profile), counter)
    if fmt == "jsonl":
        return _jsonl(rows, counter)
    if fmt == "geojson":
        return _geojson(rows, counter)
    return _open311(rows, counter)


#: First characters of a text that cells.neutralise may change (a formula start, or an apostrophe).
_MAYBE_FORMULA = frozenset("=+-@\t\r'")


def spreadsheet_cell(value):
    """A value as a spreadsheet cell holds it: ``cells.neutralise(cell(value))``, with the common
    cases (empty, a whole number, text that starts like no formula) answered without a regex."""
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value) if value and value[0] in _MAYBE_FORMULA else value
    if isinstance(value, int):
        return value
    return neutralise(cell(value))


def _csv(rows, columns, counter) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for _rowid, item in rows:
        writer.writerow([spreadsheet_cell(item[c]) for c in columns])
        counter.count += 1
        if counter.count % BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _jsonl(rows, counter) -> Iterator[str]:
    lines = []
    for _rowid, item in rows:
        lines.append(json.dumps(item, ensure_ascii=False) + "\n")
        counter.count += 1
        if len(lines) == BATCH:
            yield "".join(lines)
            lines.clear()
    yield "".join(lines)


def feature(item: dict) -> dict | None:
    """An issue as a GeoJSON Feature (RFC 7946: a Point at ``[lon, lat]``), or None without a location."""
    lat, lon = item.get("lat"), item.get("lon")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return None
    properties = {k: v for k, v in item.items() if k not in ("id", "lat", "lon")}
    return {
        "type": "Feature",
        "id": item["id"],
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    }


def _geojson(rows, counter) -> Iterator[str]:
    yield '{"type": "FeatureCollection", "features": ['
    parts = []
    for _rowid, item in rows:
        found = feature(item)
        if found is None:
            continue
        parts.append(("," if counter.count else "") + "\n" + json.dumps(found, ensure_ascii=False))
        counter.count += 1
        if len(parts) == BATCH:
            yield "".join(parts)
            parts.clear()
    yield "".join(parts) + "\n]}\n"


def _open311(rows, counter) -> Iterator[str]:
    yield '{"services": ' + json.dumps(open311.services(), ensure_ascii=False) + ',\n"requests": ['
    parts = []
    for _rowid, item in rows:
        parts.append(
            ("," if counter.count else "") + "\n" + json.dumps(open311.request(item), ensure_ascii=False)
        )
        counter.count += 1
        if len(parts) == BATCH:
            yield "".join(parts)
            parts.clear()
    yield "".join(parts) + "\n]}\n"


# --- XLSX ---------------------------------------------------------------------------------------

#: Characters a sheet name may not hold, and its longest length.
SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def _timestamp(value):
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def _amount(value):
    return Decimal(value) if value not in (None, "") else None


def _converter(kind: str, column: str):
    """How a stored value becomes a typed spreadsheet cell (a date, a number, yes/no, text)."""
    if column in ("created_at", "updated_at"):
        return _timestamp
    declared = profiles.declared(kind, column)
    kind_of = declared.type if declared else ""
    if kind_of == "date":
        return date.fromisoformat
    if kind_of == "timestamp":
        return _timestamp
    if kind_of == "amount":
        return _amount
    if kind_of == "boolean":
        return bool
    if kind_of in ("integer", "decimal") or (
        kind_of == "enum" and all(isinstance(c, int) for c in declared.choices)
    ):
        return lambda value: value
    return lambda value: spreadsheet_cell(value) or None


def _typed(convert, value):
    if value is None or value == "":
        return None
    try:
        return convert(value)
    except (ValueError, TypeError, InvalidOperation):
        return neutralise(cell(value))  # a value that breaks its declaration stays as text


def write_xlsx(conn, target, *, profile="internal", country=None) -> int:
    """Write every kind the caller may see to ``target`` (a path or a binary file); returns how many rows.

    XlsxWriter in constant-memory mode writes each row to disk as it comes; text is always
    written as text (never read as a formula, a number or a link).
    """
    import xlsxwriter

    book = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "in_memory": False,
        },
    )
    formats = {
        datetime: book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
        date: book.add_format({"num_format": "yyyy-mm-dd"}),
    }
    count = 0
    try:
        for kind in profiles.KINDS:
            sheet = book.add_worksheet(SHEET_NAME_BAD.sub(" ", str(profiles.TITLES[kind]))[:31])
            columns = profiles.columns(kind, profile)
            converters = [_converter(kind, c) for c in columns]
            sheet.write_row(0, 0, columns)
            for row, (_rowid, item) in enumerate(
                profiles.records(conn, kind, profile, country=country), start=1
            ):
                for col, (convert, column) in enumerate(zip(converters, columns, strict=True)):
                    _write_cell(sheet, row, col, _typed(convert, item[column]), formats)
                count += 1
    finally:
        book.close()
    return count


def _write_cell(sheet, row: int, col: int, value, formats) -> None:
    if value is None:
        return
    kind = value.__class__
    if kind is str:
        sheet.write_string(row, col, value)
    elif kind is bool:
        sheet.write_boolean(row, col, value)
    elif kind in (int, float, Decimal):
        sheet.write_number(row, col, value)
    elif kind in formats:
        sheet.write_datetime(row, col, value, formats[kind])
    else:
        sheet.write_string(row, col, str(value))


def write(conn, out, fmt: str, *, kind="issues", profile="internal", country=None) -> int:
    """Write an export to ``out`` (text stream; binary for xlsx); returns how many records."""
    if fmt == "xlsx":
        return write_xlsx(conn, out, profile=profile, country=country)
    counter = Counter()
    for piece in pieces(conn, fmt, kind=kind, profile=profile, country=country, counter=counter):
        out.write(piece)
    return counter.count
