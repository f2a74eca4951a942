"""Import and export of issues as CSV or JSON Lines, with one documented column set.

Import is all-or-nothing: every row is validated first; a single bad row means nothing
from the file is written, and each bad row is reported with its number and reason.
Rows carrying the ``id`` of an issue already here are skipped, so importing the same
file twice changes nothing.
"""

from __future__ import annotations

import io
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import fields
from .db import transaction
from .forms import parse_issue
from .i18n import gettext as _
from .import_reader import rows
from .queries.issues import create_issue

#: Columns every export has before the declared fields: the record's identity and times.
IDENTITY_COLUMNS = ("id", "ref", "created_at", "updated_at")


def columns() -> tuple[str, ...]:
    """The columns of an issue export, and what an import reads: identity, then every form field."""
    return (*IDENTITY_COLUMNS, *(f.name for f in fields.form_fields("issues")))


#: The columns as declared when FieldKit started (for documentation and tests).
COLUMNS = columns()
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass
class ImportReport:
    imported: int = 0
    skipped: int = 0
    problems: list[tuple[int, str, str]] = field(default_factory=list)


def detect_format(path: Path, fmt: str | None) -> str:
    if fmt:
        return fmt
    return "jsonl" if path.suffix.lower() in {".jsonl", ".ndjson", ".json"} else "csv"


def import_issues(
    conn, path: Path, *, fmt: str | None = None, author: str = "", org: str = ""
) -> ImportReport:
    """Validate every row of a file, then import all of them in one transaction, or none.

    :raises Unreadable: the file as a whole cannot be read (encoding, CSV header, not JSON Lines).
    """
    fmt = detect_format(path, fmt)
    report = ImportReport()
    parsed = []
    seen_ids: set[str] = set()
    for number, row in rows(path, fmt, columns()):
        if isinstance(row, str):
            report.problems.append((number, "", row))
            continue
        unknown = set(row) - set(columns())
        if unknown:
            report.problems.append((number, ", ".join(sorted(unknown)), _("Unknown column.")))
            continue
        result = parse_issue(row)
        for name, message in result.errors.items():
            report.problems.append((number, name, message))
        row_id = row.get("id", "").strip()
        if row_id and not UUID.match(row_id):
            report.problems.append((number, "id", _("Not a FieldKit id; leave it empty for new issues.")))
        if row_id and row_id in seen_ids:
            report.problems.append((number, "id", _("This id appears twice in the file.")))
        seen_ids.add(row_id)
        if not result.errors:
            values = dict(result.values)
            for name in ("ref", "created_at"):
                if row.get(name):
                    values[name] = row[name].strip()
            parsed.append((row_id, values))
    if report.problems:
        return report
    with transaction(conn), bulk_load(conn, "issues"):
        for row_id, values in parsed:
            if row_id and conn.execute("SELECT 1 FROM issues WHERE id = ?", (row_id,)).fetchone():
                report.skipped += 1
                continue
            create_issue(conn, values, author=author, org=org, issue_id=row_id or None)
            report.imported += 1
    return report


#: An AFTER INSERT trigger whose whole body is one ``INSERT INTO table (columns) VALUES (...)``.
_FEEDING_TRIGGER = re.compile(
    r"^CREATE\s+TRIGGER\s+(?P<name>\w+)\s+AFTER\s+INSERT\s+ON\s+(?P<table>\w+)\s+BEGIN\s+"
    r"INSERT\s+INTO\s+(?P<target>\w+)\s*\((?P<columns>[^)]*)\)\s*VALUES\s*\((?P<values>.*)\)\s*;\s*END$",
    re.IGNORECASE | re.DOTALL,
)


@contextmanager
def bulk_load(conn, table: str):
    """Within the caller's transaction: index new rows of ``table`` for search all at once.

    SQLite's FTS5 writes its pending terms to disk at each statement of a transaction, so
    indexing 100,000 rows one INSERT at a time costs about six times what one
    ``INSERT ... SELECT`` does. Each AFTER INSERT trigger of ``table`` that only feeds a
    full-text table is dropped, the rows are written, then the new rows are indexed in one
    statement and the trigger is re-created from its own SQL. It all commits, or rolls back,
    with the caller's transaction; other connections never see the trigger missing.
    """
    assert conn.in_transaction, "bulk_load runs inside a transaction"
    full_text = {
        name.lower()
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%fts5%'"
        )
    }
    deferred = []
    for name, sql in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)
    ).fetchall():
        match = _FEEDING_TRIGGER.match(sql.strip())
        if match and match["table"] == table and match["target"].lower() in full_text:
            deferred.append((name, sql, match))
    start = conn.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM [{table}]").fetchone()[0]
    for name, _sql, _match in deferred:
        conn.execute(f"DROP TRIGGER [{name}]")
    try:
        yield
    except BaseException:
        if conn.in_transaction:  # put the triggers back even if a caller keeps the transaction
            for _name, sql, _match in deferred:
                conn.execute(sql)
        raise
    for _name, sql, match in deferred:
        conn.execute(
            f"INSERT INTO {match['target']} ({match['columns']}) SELECT {match['values']} "
            f"FROM [{table}] AS NEW WHERE NEW.rowid > ?",
            (start,),
        )
        conn.execute(sql)


def export_issues(conn, out, fmt: str) -> int:
    """Write every current issue to ``out`` (a text stream) as CSV or JSON Lines; returns how many."""
    from .export_formats import write

    return write(conn, out, fmt, kind="issues")


def export_text(conn, fmt: str) -> str:
    buffer = io.StringIO()
    export_issues(conn, buffer, fmt)
    return buffer.getvalue()
