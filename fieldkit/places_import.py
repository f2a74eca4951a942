"""Import a country's places from a CSV file: one write path for the central page and the CLI.

Columns (first row; ``region``, ``district``, ``community``, ``facility`` and ``kind`` are the
usual ones, the others optional, any order):

    region, district, ward, community   the hierarchy, from the widest; leave a cell empty to skip a level
    facility                            a school, clinic, water point … in the community
    kind                                the facility's kind: school, clinic, water_point or facility
    other_names                         other names or spellings of the row's last place, separated by ";"

Each row names one path down the hierarchy; every place on it is added if it is not there yet
(a place named on many rows is one place). **All or nothing**: every row is checked first, and
if any is bad nothing is saved and each bad row is listed with its line number and what is
wrong. Importing the same file again changes nothing (a place's id is made from its country,
level, parent and folded name, :mod:`fieldkit.place_names`).

Limits: ``MAX_BYTES`` per file, ``MAX_ROWS`` data rows; a UTF-8 CSV file (checked by
:mod:`fieldkit.import_reader`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from sync.schema import CONTROL

from .db import transaction
from .i18n import gettext as _
from .i18n import ngettext
from .import_reader import Unreadable, rows
from .queries import places
from .records import COUNTRIES, PLACE, PLACE_KINDS

HIERARCHY = ("region", "district", "ward", "community")
COLUMNS = (*HIERARCHY, "facility", "kind", "other_names")
FACILITY_KINDS = tuple(k for k in PLACE_KINDS if k not in HIERARCHY)
MAX_BYTES = 5 << 20
MAX_ROWS = 50_000


@dataclass
class Report:
    """What an import did: places added, places already there, and bad rows (line, column, message)."""

    added: int = 0
    already: int = 0
    problems: list[tuple[int, str, str]] = field(default_factory=list)


@dataclass
class _Row:
    number: int
    path: list[tuple[str, str]]  # (kind, name) from the widest
    other_names: tuple[str, ...]


def _name(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _check_name(number: int, column: str, name: str, problems: list) -> None:
    limit = PLACE["name"].max_length
    if CONTROL.search(name):
        problems.append((number, column, _("This name holds control characters.")))
    elif len(name) > limit:
        problems.append((number, column, _("Names are at most %(num)s characters long.", num=limit)))


def _parse(number: int, cells: dict, problems: list) -> _Row | None:
    values = {column: _name(cells.get(column, "")) for column in COLUMNS}
    before = len(problems)
    path = [(level, values[level]) for level in HIERARCHY if values[level]]
    kind = values["kind"].casefold().replace(" ", "_")
    if values["facility"]:
        if kind and kind not in FACILITY_KINDS:
            problems.append(
                (
                    number,
                    "kind",
                    _("Unknown kind of facility; use one of: %(kinds)s.", kinds=", ".join(FACILITY_KINDS)),
                )
            )
        path.append((kind or "facility", values["facility"]))
    elif kind:
        problems.append((number, "kind", _("A kind is given but no facility.")))
    if not path:
        problems.append((number, "", _("This row names no place.")))
    for level, name in path:
        _check_name(number, "facility" if level in FACILITY_KINDS else level, name, problems)
    other_names = tuple(n for n in (_name(n) for n in values["other_names"].split(";")) if n)
    for name in other_names:
        _check_name(number, "other_names", name, problems)
    return _Row(number, path, other_names) if len(problems) == before else None


def read(path: Path) -> tuple[list[_Row], list[tuple[int, str, str]]]:
    """The rows of a places file, and its bad rows.

    :raises Unreadable: the file as a whole cannot be read (too big, not UTF-8 CSV, unknown columns).
    """
    if path.stat().st_size > MAX_BYTES:
        raise Unreadable(
            _("This file is larger than %(num)s MB; nothing was imported. Split it.", num=MAX_BYTES >> 20)
        )
    found, problems = [], []
    for number, cells in rows(path, "csv", COLUMNS):
        if number - 1 > MAX_ROWS:
            raise Unreadable(
                _("This file has more than %(num)s rows; nothing was imported. Split it.", num=MAX_ROWS)
            )
        if isinstance(cells, str):
            problems.append((number, "", cells))
            continue
        row = _parse(number, cells, problems)
        if row is not None:
            found.append(row)
    return found, problems


def import_places(conn, path: Path, country: str, *, author: str = "") -> Report:
    """Check every row of the file, then add its places to ``country`` in one transaction, or none.

    :raises Unreadable: the file as a whole cannot be read.
    """
    if country not in COUNTRIES:
        raise Unreadable(_("Choose one of the countries: %(countries)s.", countries=", ".join(COUNTRIES)))
    found, problems = read(path)
    report = Report(problems=problems)
    if problems:
        return report
    seen = set()
    with transaction(conn):
        for row in found:
            parent = None
            for depth, (kind, name) in enumerate(row.path):
                last = depth == len(row.path) - 1
                parent, added = places.add(
                    conn,
                    country,
                    kind,
                    name,
                    parent=parent,
                    other_names=row.other_names if last else (),
                    author=author,
                )
                if parent not in seen:  # a place on many rows counts once
                    seen.add(parent)
                    report.added += added
                    report.already += not added
    return report


def summary(report: Report) -> str:
    """What an import did, as one translated sentence."""
    return " ".join(
        (
            ngettext("Added %(num)s place.", "Added %(num)s places.", report.added),
            ngettext("%(num)s was already there.", "%(num)s were already there.", report.already),
        )
    )


def problem_line(number: int, column: str, message: str) -> str:
    """One bad row of a places file: its line number, the column and what is wrong."""
    if column:
        # Translators: a problem in a line of an imported file, e.g. "line 3, kind: Unknown kind …"
        return _("line %(line)s, %(column)s: %(problem)s", line=number, column=column, problem=message)
    return _("line %(line)s: %(problem)s", line=number, problem=message)
