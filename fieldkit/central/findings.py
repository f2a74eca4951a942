"""Findings: entries of the learning view that a country team keeps for its learning report.

A finding names one entry (``queries/learning.py``: a change on an issue or a reflection) by its
source and record id, with an optional note, who marked it and when. It belongs to the entry's
country: an account sees and changes only its own country's findings. Marking an entry again
changes its note. Central's own record (never synced); every change is in the audit log.
"""

from __future__ import annotations

from ..db import transaction
from .queries import now_iso

NOTE_LIMIT = 2000
LIMIT = 1000

COLUMNS = (
    "id",
    "country",
    "source",
    "record_id",
    "note",
    "marked_by",
    "marked_at",
    "day",
    "org",
    "change",
    "ref",
    "title",
    "language",
    "issue_id",
    "meeting_id",
    "what",
)


def mark(conn, entry: dict, note: str, *, by: str) -> int:
    """Keep ``entry`` as a finding of its country (or change its note); returns the finding's id."""
    with transaction(conn):
        conn.execute(
            "INSERT INTO central_findings (country, source, record_id, note, marked_by, marked_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source, record_id) DO UPDATE SET "
            "note = excluded.note, marked_by = excluded.marked_by, marked_at = excluded.marked_at",
            (entry["country"], entry["source"], entry["id"], note, by, now_iso()),
        )
        return conn.execute(
            "SELECT id FROM central_findings WHERE source = ? AND record_id = ?",
            (entry["source"], entry["id"]),
        ).fetchone()[0]


def unmark(conn, finding_id: int, *, country: str | None) -> dict | None:
    """Forget a finding within ``country`` (None: any); returns what it was, or None."""
    with transaction(conn):
        row = conn.execute(
            "SELECT source, record_id FROM central_findings WHERE id = ? AND (? IS NULL OR country = ?)",
            (finding_id, country, country),
        ).fetchone()
        if row is None:
            return None
        conn.execute("DELETE FROM central_findings WHERE id = ?", (finding_id,))
    return {"source": row[0], "record_id": row[1]}


def marked(conn, pairs: list[tuple[str, str]]) -> dict:
    """{(source, record_id): finding} of the entries among ``pairs`` that are findings."""
    if not pairs:
        return {}
    wanted = " OR ".join("(source = ? AND record_id = ?)" for _ in pairs)
    rows = conn.execute(
        f"SELECT id, source, record_id, note, marked_by, marked_at FROM central_findings WHERE {wanted}",
        [value for pair in pairs for value in pair],
    ).fetchall()
    names = ("id", "source", "record_id", "note", "marked_by", "marked_at")
    return {(r[1], r[2]): dict(zip(names, r, strict=True)) for r in rows}


def listing(conn, *, country: str | None) -> list[dict]:
    """The findings within ``country`` (None: every country), newest entry first, each with the
    entry it names: its day, kind of change, the issue's or meeting's ref and title, and what
    changed (the commitment, the amount released, or what changed at the reflection)."""
    rows = conn.execute(
        """
        SELECT f.id, f.country, f.source, f.record_id, f.note, f.marked_by, f.marked_at,
               COALESCE(e.occurred_on, b.budget_released_on, m.held_on) AS day,
               COALESCE(e.org, b.org, m.org, '') AS org,
               CASE f.source WHEN 'budget' THEN 'released' WHEN 'meeting' THEN 'reflected'
                    WHEN 'event' THEN CASE WHEN e.kind = 'status' AND e.status = 'resolved'
                                           THEN 'resolved' ELSE 'committed' END END AS change,
               COALESCE(i.ref, m.ref, '') AS ref,
               COALESCE(i.title, m.title, '') AS title,
               COALESCE(i.language, m.language, '') AS language,
               i.id AS issue_id, m.id AS meeting_id,
               CASE f.source WHEN 'event' THEN COALESCE(NULLIF(e.commitment, ''), e.said, '')
                             WHEN 'budget' THEN TRIM(b.budget_released || ' ' || COALESCE(b.budget_currency, ''))
                             ELSE COALESCE(NULLIF(m.what_changed, ''), m.what_learned, '') END AS what
        FROM central_findings f
        LEFT JOIN issue_events e ON f.source = 'event' AND e.id = f.record_id
        LEFT JOIN issues b ON f.source = 'budget' AND b.id = f.record_id
        LEFT JOIN issues i ON i.id = COALESCE(e.issue_id, b.id)
        LEFT JOIN meetings m ON f.source = 'meeting' AND m.id = f.record_id
        WHERE (? IS NULL OR f.country = ?)
        ORDER BY day DESC, f.id DESC LIMIT ?
        """,
        (country, country, LIMIT),
    ).fetchall()
    return [dict(zip(COLUMNS, r, strict=True)) for r in rows]
