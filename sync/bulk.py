"""Index many new rows for full-text search in one statement instead of one per row.

SQLite's FTS5 writes its pending terms to disk at the end of every statement, so a table
whose AFTER INSERT triggers feed FTS5 tables pays that for each row inserted, even with
``executemany``. :func:`deferred_search` drops those feeding triggers (only the ones whose
whole body is one ``INSERT INTO <fts> (...) VALUES (...)``, with or without a ``WHEN``),
lets the caller insert its rows, then indexes every row added meanwhile with one
``INSERT ... SELECT`` per full-text table and re-creates each trigger from its own SQL.
Everything happens inside the caller's transaction: it commits, or rolls back, together
with the rows, so search is exact the moment the rows are visible and other connections
never see a trigger missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextlib import contextmanager

#: An AFTER INSERT trigger whose whole body is one ``INSERT INTO table (columns) VALUES (...)``.
FEEDING_TRIGGER = re.compile(
    r"^CREATE\s+TRIGGER\s+(?P<name>\w+)\s+AFTER\s+INSERT\s+ON\s+(?P<table>\w+)\s+"
    r"(?:WHEN\s+(?P<when>.*?)\s+)?BEGIN\s+"
    r"INSERT\s+INTO\s+(?P<target>\w+)\s*\((?P<columns>[^)]*)\)\s*VALUES\s*\((?P<values>.*)\)\s*;\s*END$",
    re.IGNORECASE | re.DOTALL,
)


def feeding_triggers(conn, table: str) -> list[tuple[str, str, re.Match]]:
    """The AFTER INSERT triggers of ``table`` that only feed a full-text table: (name, sql, match)."""
    full_text = {
        name.lower()
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%fts5%'"
        )
    }
    found = []
    for name, sql in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)
    ).fetchall():
        match = FEEDING_TRIGGER.match(sql.strip())
        if match and match["table"] == table and match["target"].lower() in full_text:
            found.append((name, sql, match))
    return found


@contextmanager
def deferred_search(conn, tables: Iterable[str]):
    """Within the caller's transaction: rows inserted into ``tables`` are indexed at the end.

    Rows are recognised as new by their rowid (above the largest one at the start), so the
    tables must not be rowid-less and nothing in the block may delete their rows.
    """
    assert conn.in_transaction, "deferred_search runs inside a transaction"
    deferred = []
    for table in dict.fromkeys(tables):
        triggers = feeding_triggers(conn, table)
        if triggers:
            start = conn.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM [{table}]").fetchone()[0]
            deferred.append((table, start, triggers))
    for _table, _start, triggers in deferred:
        for name, _sql, _match in triggers:
            conn.execute(f"DROP TRIGGER [{name}]")
    try:
        yield
    except BaseException:
        if conn.in_transaction:  # put the triggers back even if a caller keeps the transaction
            for _table, _start, triggers in deferred:
                for _name, sql, _match in triggers:
                    conn.execute(sql)
        raise
    for table, start, triggers in deferred:
        for _name, sql, match in triggers:
            when = f" AND ({match['when']})" if match["when"] else ""
            conn.execute(
                f"INSERT INTO {match['target']} ({match['columns']}) SELECT {match['values']} "
                f"FROM [{table}] AS NEW WHERE NEW.rowid > ?{when}",
                (start,),
            )
            conn.execute(sql)


@contextmanager
def deferred_indexes(conn, table: str, adding: int):
    """Within the caller's transaction: build ``table``'s plain indexes after a big insert.

    Only when the table holds fewer rows than are about to be added (an initial pull): then
    building each index once from the sorted rows costs less than adding every row to it.
    Unique indexes stay (they check the rows as they come); the rest are dropped and
    re-created from their own SQL, inside the transaction, so no other connection ever
    sees them missing.
    """
    assert conn.in_transaction, "deferred_indexes runs inside a transaction"
    indexes = []
    if (
        conn.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM [{table}] LIMIT ?)", (adding,)).fetchone()[0]
        < adding
    ):
        indexes = [
            (name, sql)
            for name, sql in conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                (table,),
            ).fetchall()
            if not re.match(r"^\s*CREATE\s+UNIQUE\b", sql, re.IGNORECASE)
        ]
    for name, _sql in indexes:
        conn.execute(f"DROP INDEX [{name}]")
    try:
        yield
    finally:
        if conn.in_transaction:
            for _name, sql in indexes:
                conn.execute(sql)
