"""Disputed fields waiting for review (``sync_conflicts``), filtered, counted and paged in SQL.

A dispute counts only while its record exists here and is in the reader's country, so the Sync
page's count and the Review page's pages always agree. Filters: record type (``tbl``), field,
and a device or author among the candidates.
"""

from __future__ import annotations

import json

from sync import journal

#: Filters a review page may apply, by query argument.
FILTERS = ("tbl", "field", "device", "author")


def _where(country: str | None, filters: dict) -> tuple[str, list]:
    scoped, params = [], []
    everyones = set(journal.RECORDS.global_tables()) if journal.RECORDS is not None else set()
    for table in sorted(journal.SYNCED):  # declared names, never user input
        clause = f"(c.tbl = '{table}' AND EXISTS (SELECT 1 FROM [{table}] r WHERE r.id = c.row_id"
        if country is not None and table not in everyones:  # the app's own texts are everyone's
            clause += " AND r.country = ?"
            params.append(country)
        scoped.append(clause + "))")
    conditions = ["(" + " OR ".join(scoped or ["0"]) + ")"]
    if filters.get("tbl"):
        conditions.append("c.tbl = ?")
        params.append(filters["tbl"])
    if filters.get("field"):
        conditions.append("c.field = ?")
        params.append(filters["field"])
    for key, path in (("device", "$.device_id"), ("author", "$.author")):
        if filters.get(key):
            conditions.append(
                "EXISTS (SELECT 1 FROM json_each(c.candidates) j WHERE json_extract(j.value, ?) = ?)"
            )
            params.extend((path, filters[key]))
    return " WHERE " + " AND ".join(conditions), params


def count(conn, country: str | None, filters: dict | None = None) -> int:
    """How many disputed fields wait for review (in ``country`` when given, matching ``filters``)."""
    where, params = _where(country, filters or {})
    return conn.execute(f"SELECT COUNT(*) FROM sync_conflicts c{where}", params).fetchone()[0]  # noqa: S608


def page(conn, country: str | None, filters: dict, *, limit: int, offset: int) -> list[dict]:
    """One page of disputes, by record then field: ``{tbl, row_id, field, candidates}``."""
    where, params = _where(country, filters)
    rows = conn.execute(
        f"SELECT c.tbl, c.row_id, c.field, c.candidates FROM sync_conflicts c{where} "  # noqa: S608
        "ORDER BY c.tbl, c.row_id, c.field LIMIT ? OFFSET ?",
        (*params, limit, offset),
    ).fetchall()
    return [{"tbl": t, "row_id": r, "field": f, "candidates": json.loads(c)} for t, r, f, c in rows]


def one(conn, country: str | None, table: str, row_id: str, field: str) -> dict | None:
    """One open dispute in scope, or None (decided already, or not the reader's to see)."""
    where, params = _where(country, {"tbl": table, "field": field})
    row = conn.execute(
        f"SELECT c.candidates FROM sync_conflicts c{where} AND c.row_id = ?",  # noqa: S608
        (*params, row_id),
    ).fetchone()
    if row is None:
        return None
    return {"tbl": table, "row_id": row_id, "field": field, "candidates": json.loads(row[0])}


def facets(conn, country: str | None) -> dict[str, list[str]]:
    """What the filters can offer: record types, fields, devices and authors among open disputes."""
    where, params = _where(country, {})
    found: dict[str, list[str]] = {}
    for key, sql in (
        ("tbl", "SELECT DISTINCT c.tbl FROM sync_conflicts c{where} ORDER BY 1"),
        ("field", "SELECT DISTINCT c.field FROM sync_conflicts c{where} ORDER BY 1"),
        (
            "device",
            "SELECT DISTINCT json_extract(j.value, '$.device_id') FROM sync_conflicts c, json_each(c.candidates) j"
            "{where} ORDER BY 1",
        ),
        (
            "author",
            "SELECT DISTINCT json_extract(j.value, '$.author') FROM sync_conflicts c, json_each(c.candidates) j"
            "{where} AND COALESCE(json_extract(j.value, '$.author'), '') != '' ORDER BY 1",
        ),
    ):
        found[key] = [r[0] for r in conn.execute(sql.format(where=where), params) if r[0] is not None]
    return found


def values_at(conn, dots: list[str], field: str) -> dict[str, object]:
    """The value ``field`` had after each op named by its dot (``device:dseq``), for "was before"."""
    found: dict[str, object] = {}
    for dot in dots:
        device_id, _sep, dseq = dot.rpartition(":")
        row = conn.execute(
            "SELECT fields FROM sync_ops WHERE device_id = ? AND dseq = ?", (device_id, dseq)
        ).fetchone()
        if row is not None:
            fields = json.loads(row[0])
            if field in fields:
                found[dot] = fields[field]
    return found
