"""Import and export of meetings and action items as CSV or JSON Lines (``--kind meetings|actions``).

Same rules as issues (``transfer.py``): one documented column set per kind; an import is all or
nothing (every row is checked first, each bad row reported with its number and reason); rows whose
``id`` is already here are skipped, so importing a file twice changes nothing.

- meetings: one row per meeting. ``issues`` holds the issues discussed, as a list of
  ``{"issue_id", "outcome", "note"}`` (in CSV, that list as JSON text). Linked issues must exist.
- actions: one row per action item; ``meeting_id`` names its meeting, which must exist here.

Without ``--kind``, ``fieldkit import`` recognises the kind from the file's columns.
"""

from __future__ import annotations

from pathlib import Path

from . import fields
from .db import transaction
from .i18n import gettext as _
from .import_reader import Unreadable, loads, rows
from .meeting_forms import UUID, parse_action, parse_link, parse_meeting
from .queries import actions as action_queries
from .queries import meetings as meeting_queries
from .transfer import ImportReport, detect_format
from .transfer import columns as issue_columns

KINDS = ("issues", "meetings", "actions")

#: Export columns named otherwise than their field (``kind`` would be ambiguous in a file).
RENAMED = {"kind": "meeting_type"}


def meeting_columns() -> tuple[str, ...]:
    """Identity, every meeting form field, then the issues discussed."""
    names = (RENAMED.get(f.name, f.name) for f in fields.form_fields("meetings"))
    return ("id", "ref", "created_at", "updated_at", *names, "issues")


def action_columns() -> tuple[str, ...]:
    """Identity, the meeting it belongs to, then every action-item form field."""
    return (
        "id",
        "meeting_id",
        "created_at",
        "updated_at",
        *(f.name for f in fields.form_fields("meeting_actions")),
    )


def columns(kind: str) -> tuple[str, ...]:
    return meeting_columns() if kind == "meetings" else action_columns()


#: The columns as declared when FieldKit started (for documentation and tests).
MEETING_COLUMNS = meeting_columns()
ACTION_COLUMNS = action_columns()
COLUMNS = {"meetings": MEETING_COLUMNS, "actions": ACTION_COLUMNS}


def detect_kind(path: Path, fmt: str | None = None) -> str:
    """Which kind of record a file holds, from the columns of its first row."""
    every = set(MEETING_COLUMNS) | set(ACTION_COLUMNS) | set(issue_columns())
    try:
        for _number, row in rows(path, detect_format(path, fmt), every):
            if isinstance(row, str):
                break
            if "meeting_type" in row or "held_on" in row:
                return "meetings"
            if "meeting_id" in row and "what" in row:
                return "actions"
            break
    except Unreadable:
        pass  # the importer reports what is wrong with the file
    return "issues"


# --- export -----------------------------------------------------------------------------------


def export(conn, out, fmt: str, kind: str) -> int:
    """Write every current meeting or action item to ``out`` (a text stream); returns how many."""
    from .export_formats import write

    return write(conn, out, fmt, kind=kind)


# --- import -----------------------------------------------------------------------------------


def _links(value, number: int, report: ImportReport, conn) -> list[dict]:
    if isinstance(value, str):
        if not value.strip():
            return []
        try:
            value = loads(value)
        except ValueError:
            report.problems.append((number, "issues", _("Write the issues as a JSON list.")))
            return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        report.problems.append((number, "issues", _("Write the issues as a JSON list.")))
        return []
    links = []
    for entry in value:
        parsed = parse_link({k: "" if v is None else str(v) for k, v in entry.items()})
        for name, message in parsed.errors.items():
            report.problems.append((number, f"issues.{name}", message))
        if parsed.errors:
            continue
        exists = conn.execute("SELECT 1 FROM issues WHERE id = ?", (parsed.values["issue_id"],)).fetchone()
        if not exists:
            report.problems.append((number, "issues.issue_id", _("No issue with this id is here.")))
            continue
        links.append(parsed.values)
    return links


def _common_checks(row: dict, number: int, kind: str, report: ImportReport, seen: set) -> str | None:
    unknown = set(row) - set(columns(kind))
    if unknown:
        report.problems.append((number, ", ".join(sorted(unknown)), _("Unknown column.")))
        return None
    row_id = (row.get("id") or "").strip()
    if row_id and not UUID.match(row_id):
        report.problems.append((number, "id", _("Not a FieldKit id; leave it empty for new records.")))
    if row_id and row_id in seen:
        report.problems.append((number, "id", _("This id appears twice in the file.")))
    seen.add(row_id)
    return row_id


def import_file(
    conn, path: Path, kind: str, *, fmt: str | None = None, author: str = "", org: str = ""
) -> ImportReport:
    """Validate every row of a meetings or actions file, then import all of them, or none.

    :raises Unreadable: the file as a whole cannot be read (encoding, CSV header, not JSON Lines).
    """
    fmt = detect_format(path, fmt)
    report = ImportReport()
    parsed: list[tuple[str, dict, list]] = []
    seen: set[str] = set()
    for number, row in rows(path, fmt, COLUMNS[kind]):
        if isinstance(row, str):
            report.problems.append((number, "", row))
            continue
        row_id = _common_checks(row, number, kind, report, seen)
        if row_id is None:
            continue
        if kind == "meetings":
            stored = {column: field for field, column in RENAMED.items()}
            form = {stored.get(k, k): v for k, v in row.items() if k != "issues"}
            result = parse_meeting(form)
            errors = {RENAMED.get(k, k): m for k, m in result.errors.items()}
            links = _links(row.get("issues", ""), number, report, conn)
        else:
            result = parse_action(row)
            errors = dict(result.errors)
            links = []
            meeting_id = (row.get("meeting_id") or "").strip()
            if (
                not meeting_id
                or not conn.execute("SELECT 1 FROM meetings WHERE id = ?", (meeting_id,)).fetchone()
            ):
                errors["meeting_id"] = _("No meeting with this id is here; import the meetings first.")
            issue_id = result.values.get("issue_id")
            if issue_id and not conn.execute("SELECT 1 FROM issues WHERE id = ?", (issue_id,)).fetchone():
                errors["issue_id"] = _("No issue with this id is here.")
            result.values["meeting_id"] = meeting_id
        for name, message in errors.items():
            report.problems.append((number, name, message))
        if not errors:
            values = dict(result.values)
            for name in ("ref", "created_at"):
                if row.get(name):
                    values[name] = row[name].strip()
            parsed.append((row_id, values, links))
    if report.problems:
        return report
    table = "meetings" if kind == "meetings" else "meeting_actions"
    with transaction(conn):
        for row_id, values, links in parsed:
            if row_id and conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (row_id,)).fetchone():
                report.skipped += 1
                continue
            if kind == "meetings":
                meeting_id = meeting_queries.create_meeting(
                    conn, values, author=author, org=org, meeting_id=row_id or None
                )
                meeting = meeting_queries.get_meeting(conn, meeting_id)
                for link in links:
                    meeting_queries.link_issue(conn, meeting, link, author=author)
            else:
                meeting = meeting_queries.get_meeting(conn, values.pop("meeting_id"))
                action_queries.add_action(conn, meeting, values, author=author, action_id=row_id or None)
            report.imported += 1
    return report
