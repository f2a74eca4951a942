"""Stored rows checked against their declaration: what ``fieldkit central check`` lists.

Central checks every pushed change before storing it (``sync/checks.py``), but rows stored
before those checks existed, restored from an old backup or written by hand may still break
their declaration. Pages show such values as plain text; this finds them so a person can fix them.
"""

from __future__ import annotations

from collections.abc import Iterator

from sync.schema import Refused, Schema


def broken_rows(conn, schema: Schema) -> Iterator[dict]:
    """Every stored value that breaks its declaration: table, id, field, code and reason."""
    for record in schema:
        present = {row[1] for row in conn.execute(f"PRAGMA table_info([{record.table}])")}
        declared = [f for f in record.fields if f.name in present]
        if not declared:
            continue
        names = ", ".join(f"[{f.name}]" for f in declared)
        for row in conn.execute(f"SELECT id, {names} FROM [{record.table}] ORDER BY rowid"):
            for field, value in zip(declared, row[1:], strict=True):
                try:
                    field.check(value)
                except Refused as refusal:
                    yield {
                        "table": record.table,
                        "id": row[0],
                        "field": field.name,
                        "code": refusal.code,
                        "reason": refusal.reason,
                    }
