"""Places: the regions, districts, wards, communities and facilities of each country.

A place is a synced row of every org in its country (``records.PLACE``). They come from three
sources, all journaled so they reach every device of the country: a CSV a country team
imports (:mod:`fieldkit.places_import`), the places of records already made
(:func:`learn_existing`), and a place typed on a form that is not known yet (:func:`learn`).
Names are compared folded (:mod:`fieldkit.place_names`); what is stored and offered is the
place's own spelling.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sync import journal

from ..place_names import LEVELS, fold, level_of, place_id
from ..records import EVERY_ORG, PLACE_KINDS

#: The issue form's place fields, each with its level, from the widest.
ISSUE_FIELDS = {level: level for level in LEVELS}
#: The meeting form's one place field: a place of any level.
MEETING_FIELDS = {"place": None}
#: At most this many places are offered in one list.
MAX_OPTIONS = 200


def fields_of(table: str) -> dict[str, str | None]:
    """The place fields of a record type's form, each with its level (None: any level)."""
    return ISSUE_FIELDS if table == "issues" else MEETING_FIELDS


def kinds_of(level: str | None) -> tuple[str, ...]:
    """The kinds of place at ``level`` (every kind for None)."""
    return tuple(k for k in PLACE_KINDS if level is None or level_of(k) == level)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _names(text: str | None) -> list[str]:
    """The other names of a place, from their stored JSON list."""
    if not text or text == "[]":
        return []
    try:
        names = json.loads(text)
    except ValueError:
        return []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def _as_place(row) -> dict:
    return {
        "id": row[0],
        "name": row[1],
        "kind": row[2],
        "parent_id": row[3],
        "other_names": _names(row[4]),
        "deleted": row[5],
    }


#: Rows as _rows reads them: plain tuples in this order (thousands are read at each keystroke).
COLUMNS = "p.id, p.name, p.kind, p.parent_id, p.other_names, p.deleted"


def _rows(conn, country: str, level: str | None, *, under: str | None = None, name: str | None = None):
    """Live places of ``country`` at ``level``: all, or those anywhere below the place ``under``;
    only those named exactly ``name`` if given."""
    kinds = kinds_of(level)
    params = {"under": under, "country": country, "name": name, **{f"k{i}": k for i, k in enumerate(kinds)}}
    where = (
        f"p.country = :country AND p.deleted = 0 AND p.kind IN ({', '.join(f':k{i}' for i in range(len(kinds)))})"
        + (" AND p.name = :name" if name is not None else "")
    )
    if under is not None:
        sql = f"""
            WITH RECURSIVE below (id) AS (
                SELECT id FROM places WHERE parent_id = :under AND deleted = 0
                UNION SELECT p.id FROM places p JOIN below b ON p.parent_id = b.id WHERE p.deleted = 0
            )
            SELECT {COLUMNS} FROM places p JOIN below b ON b.id = p.id WHERE {where}
            """
    else:
        sql = f"SELECT {COLUMNS} FROM places p WHERE {where}"
    previous, conn.row_factory = conn.row_factory, None
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.row_factory = previous


def _matches(row, folded: str) -> bool:
    return fold(row[1]) == folded or any(fold(n) == folded for n in _names(row[4]))


def find(conn, country: str, level: str | None, name: str, *, under: str | None = None) -> dict | None:
    """The place of ``country`` at ``level`` (anywhere below ``under`` if given) whose name or other
    name folds like ``name``; where two fold alike, the one spelt as typed, else the lowest id."""
    exact = _rows(conn, country, level, under=under, name=name)
    if exact:
        return _as_place(min(exact))
    folded = fold(name)
    if not folded:
        return None
    found = [r for r in _rows(conn, country, level, under=under) if _matches(r, folded)]
    return _as_place(min(found)) if found else None


def add(
    conn,
    country: str,
    kind: str,
    name: str,
    *,
    parent: str | None = None,
    other_names: tuple[str, ...] = (),
    author: str = "",
) -> tuple[str, bool]:
    """The id of this place, journaled as a new row if it is not here yet; and whether it was added.

    A place already here gains the other names it lacked. Must run inside a transaction.
    """
    row_id = place_id(country, level_of(kind), parent, name)
    row = conn.execute(f"SELECT {COLUMNS} FROM places p WHERE p.id = ?", (row_id,)).fetchone()
    names = sorted({n for n in other_names if fold(n) and fold(n) != fold(name)})
    if row is None:
        values = {
            "id": row_id,
            "created_at": _now(),
            "org": EVERY_ORG,
            "country": country,
            "name": name,
            "kind": kind,
            "parent_id": parent,
            "other_names": json.dumps(names, ensure_ascii=False),
        }
        journal.create(conn, "places", values, author=author)
        return row_id, True
    place = _as_place(row)
    changes = {}
    if level_of(kind) == "facility" and kind != place["kind"] and kind != "facility":
        changes["kind"] = kind
    merged = sorted(set(place["other_names"]) | set(names))
    if merged != sorted(place["other_names"]):
        changes["other_names"] = json.dumps(merged, ensure_ascii=False)
    if place["deleted"]:
        changes["deleted"] = 0
    if changes:
        journal.update(conn, "places", row_id, changes, author=author)
    return row_id, False


def learn(conn, table: str, values: dict, *, author: str = "") -> int:
    """Give the place fields of a record about to be saved their known spelling, and add the places
    not known yet (journaled, so they are offered on every device of the country); returns how
    many were added. ``values`` is changed in place. Must run inside the record's transaction."""
    country = values.get("country")
    if not country:
        return 0
    added = 0
    parent = None
    for field, level in fields_of(table).items():
        typed = (values.get(field) or "").strip()
        if not typed:
            continue
        known = find(conn, country, level, typed, under=parent)
        if known is None and parent is not None:
            # Known elsewhere in the country (typed before its district was): the same place.
            known = find(conn, country, level, typed)
            if known is not None and known["parent_id"]:
                known = None
        if known is not None:
            values[field] = known["name"]
            parent = known["id"]
            continue
        parent, new = add(conn, country, level or "facility", typed, parent=parent, author=author)
        added += new
    return added


def learn_existing(conn, *, author: str = "") -> int:
    """Places from the issues and meetings already recorded; returns how many were added."""
    added = 0
    issues = conn.execute(
        "SELECT DISTINCT country, region, district, ward, community, facility FROM issues "
        "WHERE deleted = 0 AND country != '' ORDER BY 1, 2, 3, 4, 5, 6"
    ).fetchall()
    for row in issues:
        added += learn(conn, "issues", dict(row), author=author)
    meetings = conn.execute(
        "SELECT DISTINCT country, place FROM meetings WHERE deleted = 0 AND country != '' AND place != '' "
        "ORDER BY 1, 2"
    ).fetchall()
    for row in meetings:
        added += learn(conn, "meetings", dict(row), author=author)
    return added


def _option(row, typed: str) -> dict:
    """A place as an option: its name, and the spelling that matched what was typed when that is not in the name."""
    name = row[1]
    label = name
    if typed and typed.casefold() not in name.casefold():
        wanted = fold(typed)
        variant = next((n for n in _names(row[4]) if wanted in fold(n)), fold(name))
        label = f"{name} ({variant})"
    return {"value": name, "label": label}


def options(conn, table: str, country: str | None, chosen: dict, *, typing: str | None = None) -> dict:
    """Per place field of a form, the places to offer: those of ``country`` within what the wider
    fields name, narrowed for the field being typed (``typing``) to names matching what is in it."""
    found: dict[str, list[dict]] = {field: [] for field in fields_of(table)}
    if not country:
        return found
    under = None
    for field, level in fields_of(table).items():
        typed = (chosen.get(field) or "").strip() if field == typing else ""
        wanted = fold(typed)
        rows = _rows(conn, country, level, under=under)
        if wanted:
            rows = [r for r in rows if wanted in fold(r[1]) or any(wanted in fold(n) for n in _names(r[4]))]
        by_name = {}
        for row in rows:
            by_name.setdefault(row[1], row)
        listed = sorted(by_name, key=lambda n: (fold(n), n))[:MAX_OPTIONS]
        found[field] = [_option(by_name[name], typed) for name in listed]
        value = (chosen.get(field) or "").strip()
        if level is not None and value:
            known = find(conn, country, level, value, under=under)
            if known is not None:
                under = known["id"]
    return found


def counts(conn, country: str | None) -> list[tuple[str, int]]:
    """How many live places of each kind ``country`` has (every country for None), in PLACE_KINDS order."""
    rows = conn.execute(
        "SELECT kind, COUNT(*) FROM places WHERE deleted = 0 AND (? IS NULL OR country = ?) GROUP BY kind",
        (country, country),
    ).fetchall()
    by_kind = dict(rows)
    return [(kind, by_kind[kind]) for kind in PLACE_KINDS if kind in by_kind]
