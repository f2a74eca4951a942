"""Reading an import file into rows, trusting nothing about it.

One reader for issues, meetings and action items, CSV or JSON Lines. It yields each data row as
``(row number, {column: text})``, or ``(row number, message)`` for a row that cannot be taken,
numbered as a spreadsheet or text editor shows them. A file that cannot be read at all (another
encoding, not CSV, not JSON Lines, unknown columns) raises :class:`Unreadable` with one translated
sentence; the importer writes nothing in either case.

Checks: UTF-8 with or without a byte order mark (UTF-16 and Latin-1/Windows-1252 files are named as
such, with how to save them as UTF-8); every CSV column named in the header is one FieldKit reads,
no column twice; a CSV row with more cells than the header is refused, not trimmed; a JSON line
must be one object, not nested deeper than a record can be, and no longer than ``MAX_LINE``. CSV
text cells lose the apostrophe an export put before formula-like text (:mod:`fieldkit.cells`).
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from pathlib import Path

from .cells import restore
from .i18n import gettext as _
from .validation import coordinate_text

#: The longest JSON line read, in characters (a meeting's notes fit many times over; a CSV cell
#: is held to the csv module's own limit of 131,072).
MAX_LINE = 1 << 20
#: How deep a JSON line may nest: an object holding lists of objects (a meeting's issues).
MAX_DEPTH = 8

#: Byte order marks of other encodings, longest first (UTF-32's begins with UTF-16's).
_OTHER_BOMS = {
    codecs.BOM_UTF32_LE: "UTF-32",
    codecs.BOM_UTF32_BE: "UTF-32",
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
}


class Unreadable(Exception):
    """The whole file cannot be imported; the message (translated, one line) says why."""


class TooDeep(ValueError):
    """JSON nested deeper than any FieldKit record (``MAX_DEPTH``), or too long to parse."""


def _check_encoding(path: Path) -> None:
    """Refuse a file in another encoding before reading any row, naming the line that is not UTF-8."""
    with path.open("rb") as handle:
        start = handle.read(4096)
        for bom, name in _OTHER_BOMS.items():
            if start.startswith(bom):
                raise Unreadable(_not_utf8(name))
        if _looks_utf16(start):
            raise Unreadable(_not_utf8("UTF-16"))
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        lines = 1
        while chunk := handle.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                raise _latin1(lines + chunk[: error.start].count(b"\n")) from None
            lines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise _latin1(lines) from None


def _looks_utf16(start: bytes) -> bool:
    """UTF-16 without a byte order mark: in Latin-script text every other byte is zero."""
    return len(start) >= 4 and max(start[0::2].count(0), start[1::2].count(0)) * 4 >= len(start)


def _not_utf8(encoding: str) -> str:
    return _(
        "This file is in %(encoding)s, not UTF-8; nothing was imported. Save it as UTF-8 "
        "(in a spreadsheet: “CSV UTF-8”) and import it again.",
        encoding=encoding,
    )


def _latin1(line: int) -> Unreadable:
    return Unreadable(
        _(
            "Line %(line)s of this file is not UTF-8 (it may be Latin-1 or Windows-1252); "
            "nothing was imported. Save it as UTF-8 (in a spreadsheet: “CSV UTF-8”) and import it again.",
            line=line,
        )
    )


def loads(text: str):
    """JSON text as a value.

    :raises TooDeep: nested deeper than ``MAX_DEPTH`` or longer than ``MAX_LINE``.
    :raises ValueError: not JSON.
    """
    if len(text) > MAX_LINE:
        raise TooDeep("too long")
    # Count brackets before parsing: a line of 100,000 "[" would exhaust the parser's stack.
    if text.count("[") + text.count("{") > MAX_DEPTH and _nesting(text) > MAX_DEPTH:
        raise TooDeep("too deep")
    try:
        return json.loads(text)
    except RecursionError:
        raise TooDeep("too deep") from None


def _nesting(text: str) -> int:
    """The deepest bracket nesting of JSON text, skipping brackets inside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def cell(value) -> str:
    """A JSON value as the text a spreadsheet cell would hold (lists of tags joined by commas)."""
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ", ".join(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return coordinate_text(value)  # JSON's 5.6e-05 as the digits the parsers read
    return str(value)


def rows(path: Path, fmt: str, columns) -> Iterator[tuple[int, dict | str]]:
    """Each data row of an import file, or the reason it cannot be taken (see the module docstring).

    :raises Unreadable: the file as a whole cannot be read.
    """
    _check_encoding(path)
    with path.open(newline="" if fmt == "csv" else None, encoding="utf-8-sig") as handle:
        yield from (_csv_rows(handle, columns) if fmt == "csv" else _jsonl_rows(handle))


def _csv_rows(handle, columns):
    reader = csv.reader(handle, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return
        names = [name.strip() for name in header]
        named = [name for name in names if name]
        unknown = sorted(set(named) - set(columns))
        twice = sorted({name for name in named if named.count(name) > 1})
        if unknown:
            raise Unreadable(
                _("Row 1 names columns FieldKit does not read: %(columns)s.", columns=", ".join(unknown))
            )
        if twice:
            raise Unreadable(_("Row 1 names a column twice: %(columns)s.", columns=", ".join(twice)))
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            extra = cells[len(names) :]
            unnamed = [c for name, c in zip(names, cells, strict=False) if not name and c.strip()]
            if any(c.strip() for c in extra) or unnamed:
                yield number, _("This row has more cells than the first row has column names.")
                continue
            yield number, {name: restore(c) for name, c in zip(names, cells, strict=False) if name}
    except csv.Error as error:
        raise Unreadable(
            _(
                "Line %(line)s of this file is not valid CSV (%(reason)s); nothing was imported.",
                line=reader.line_num,
                reason=str(error),
            )
        ) from None


def _jsonl_rows(handle):
    first = True
    for number, text in enumerate(iter(lambda: handle.readline(MAX_LINE + 1), ""), start=1):
        if len(text) > MAX_LINE and not text.endswith("\n"):
            raise Unreadable(_("Line %(line)s of this file is too long to import.", line=number))
        if not text.strip():
            continue
        try:
            data = loads(text)
        except TooDeep:
            raise Unreadable(
                _(
                    "Line %(line)s of this file nests lists or objects deeper than any FieldKit record; "
                    "nothing was imported.",
                    line=number,
                )
            ) from None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            if first:
                raise Unreadable(
                    _(
                        "This file is not JSON Lines (one JSON object per line); nothing was imported.",
                    )
                )
            yield number, _("This line is not a JSON object.")
            continue
        first = False
        yield number, {str(k): cell(v) for k, v in data.items()}
