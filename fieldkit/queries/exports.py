"""Every current record of one kind, read a row at a time, for exports and the read API.

One query per kind, bound parameters only. A reader passes:

- ``columns``: what to select (the export profile has already left out what it may not carry,
  so a field kept from an audience is never even read);
- ``country``: the caller's scope (None = every country), on the row's own ``country`` column;
- ``visibilities``: the issue visibilities the profile may carry (None = all); a timeline event
  follows its issue, and a meeting lists only the issues it may carry;
- ``filters``: ``sector``, ``status``, ``updated_since`` (each optional, already checked);
- ``after`` and ``limit``: keyset pages by rowid, so a page costs the same at any depth.

Rows come back in rowid order (the order central stored them), straight from the cursor:
nothing builds a list of a whole table.
"""

from __future__ import annotations

from collections.abc import Iterator

#: The table of each kind of record.
KINDS = {"issues": "issues", "events": "issue_events", "meetings": "meetings", "actions": "meeting_actions"}

#: The stored field behind an export column named otherwise.
STORED = {"meeting_type": "kind"}


def _links(visibilities, link_columns) -> tuple[str, list]:
    """A JSON list of the issues a meeting discussed, as one correlated subquery."""
    pairs = ", ".join(f"'{c}', l.[{c}]" for c in link_columns)
    sql = (
        f"(SELECT json_group_array(json_object({pairs})) FROM "
        "(SELECT l.* FROM meeting_issues l JOIN issues i ON i.id = l.issue_id "
        "WHERE l.meeting_id = r.id AND l.deleted = 0 AND i.deleted = 0"
    )
    params: list = []
    if visibilities is not None:
        sql += f" AND i.visibility IN ({', '.join('?' * len(visibilities))})"
        params.extend(visibilities)
    return sql + " ORDER BY l.created_at, l.id) l)", params


def rows(
    conn,
    kind: str,
    columns: tuple[str, ...],
    *,
    country: str | None = None,
    visibilities: tuple[str, ...] | None = None,
    filters: dict | None = None,
    after: int = 0,
    limit: int | None = None,
    link_columns: tuple[str, ...] = ("issue_id", "outcome", "note"),
) -> Iterator[tuple[int, dict]]:
    """``(rowid, {column: value})`` of every current row of ``kind`` the caller may see."""
    table = KINDS[kind]
    filters = filters or {}
    selected, params = [], []
    for column in columns:
        if column == "issues":
            sql, more = _links(visibilities, link_columns)
            selected.append(sql)
            params.extend(more)
        else:
            selected.append(f"r.[{STORED.get(column, column)}]")
    joins, where = [], ["r.deleted = 0", "r.rowid > ?"]
    params.append(after)
    if kind == "events":
        joins.append("JOIN issues i ON i.id = r.issue_id AND i.deleted = 0")
    elif kind == "actions":
        joins.append("JOIN meetings m ON m.id = r.meeting_id AND m.deleted = 0")
    issue = "r" if kind == "issues" else "i"
    if country is not None:
        where.append("r.country = ?")
        params.append(country)
    if visibilities is not None and kind in ("issues", "events"):
        where.append(f"{issue}.visibility IN ({', '.join('?' * len(visibilities))})")
        params.extend(visibilities)
    if filters.get("sector") and kind in ("issues", "events"):
        where.append(f"{issue}.sector = ?")
        params.append(filters["sector"])
    if filters.get("status") and kind != "meetings":
        where.append("r.status = ?")
        params.append(filters["status"])
    if filters.get("updated_since"):
        where.append("COALESCE(r.updated_at, r.created_at) >= ?")
        params.append(filters["updated_since"])
    sql = (
        f"SELECT r.rowid, {', '.join(selected)} FROM {table} r {' '.join(joins)} "
        f"WHERE {' AND '.join(where)} ORDER BY r.rowid"
    )
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    for row in conn.execute(sql, params):
        yield row[0], dict(zip(columns, row[1:], strict=True))
