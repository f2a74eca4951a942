"""Meetings: record, read, edit, delete/restore, list and search; issue links; autosaved drafts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sync import journal
from sync.ids import uuid7

from ..db import transaction
from . import in_country, text_translations, tokens
from .issues import fts_query, now_iso

LIST_COLUMNS = (
    "m.id, m.ref, m.title, m.kind, m.held_on, m.starts_at, m.place, m.facilitator, "
    "m.attendance_total, m.language, m.updated_at, m.deleted"
)


def next_ref(conn, country: str) -> str:
    """A short, readable reference such as ``KE-4F2A-M0007``: country, device, counter."""
    device = journal.device_id(conn)
    counter = int(journal.replica_value(conn, "meeting_counter", "0")) + 1
    journal.set_replica_value(conn, "meeting_counter", str(counter))
    return f"{country}-{device[:4].upper()}-M{counter:04d}"


def create_meeting(
    conn,
    values: dict,
    *,
    author: str = "",
    token: str | None = None,
    org: str = "",
    meeting_id: str | None = None,
) -> str:
    """Record a new meeting; returns its id (the first one's if ``token`` was already used)."""
    with transaction(conn):
        earlier = tokens.seen(conn, token)
        if earlier:
            return earlier
        meeting_id = meeting_id or uuid7()
        fields = dict(values)
        fields.setdefault("created_at", now_iso())
        fields.setdefault("org", org)
        fields["ref"] = fields.get("ref") or next_ref(conn, fields.get("country") or "XX")
        fields.setdefault("recorded_by", author)
        journal.create(conn, "meetings", {"id": meeting_id, **fields}, author=author)
        tokens.claim(conn, token, meeting_id)
        return meeting_id


def get_meeting(conn, meeting_id: str, *, country: str | None = None) -> dict | None:
    """One meeting (deleted or not), or None (also when outside ``country``)."""
    scope, scope_params = in_country("meetings", country)
    row = conn.execute(f"SELECT * FROM meetings WHERE id = ?{scope}", (meeting_id, *scope_params)).fetchone()
    return dict(row) if row else None


def update_meeting(
    conn, meeting_id: str, changes: dict, *, author: str = "", token: str | None = None
) -> bool:
    """Save edited fields (only those changed are journaled); False if the form was already saved."""
    with transaction(conn):
        if tokens.seen(conn, token):
            return False
        journal.update(conn, "meetings", meeting_id, changes, author=author)
        tokens.claim(conn, token, meeting_id)
        return True


def delete_meeting(conn, meeting_id: str, *, author: str = "") -> None:
    """Tombstone a meeting; it stays restorable with its history."""
    with transaction(conn):
        journal.delete(conn, "meetings", meeting_id, author=author)


def restore_meeting(conn, meeting_id: str, *, author: str = "") -> None:
    """Bring a deleted meeting back."""
    with transaction(conn):
        journal.restore(conn, "meetings", meeting_id, author=author)


def _where(filters: dict, country: str | None = None) -> tuple[list[str], list]:
    clauses, params = ["m.deleted = ?"], [1 if filters.get("deleted") else 0]
    if country is not None:
        clauses.append("m.country = ?")
        params.append(country)
    if filters.get("kind"):
        clauses.append("m.kind = ?")
        params.append(filters["kind"])
    query = fts_query(filters.get("q") or "")
    if query:
        # Words in the meeting or in a translation of its text.
        clauses.append(
            "m.rowid IN (SELECT rowid FROM meetings_fts WHERE meetings_fts MATCH ? "
            f"UNION {text_translations.translated_rowids('meetings')})"
        )
        params.extend([query, query])
    return clauses, params


def list_meetings(
    conn, filters: dict, *, page: int = 1, page_size: int = 25, country: str | None = None
) -> tuple[list[dict], int]:
    """One page of meetings (within ``country`` if given), most recent first, and how many match."""
    clauses, params = _where(filters, country)
    where = " AND ".join(clauses)
    total = conn.execute(f"SELECT COUNT(*) FROM meetings m WHERE {where}", params).fetchone()[0]
    rows = conn.execute(
        f"SELECT {LIST_COLUMNS} FROM meetings m WHERE {where} "
        "ORDER BY m.held_on DESC, m.starts_at DESC LIMIT ? OFFSET ?",
        [*params, page_size, (max(page, 1) - 1) * page_size],
    ).fetchall()
    return [dict(r) for r in rows], total


# --- Issues discussed ---------------------------------------------------------------------


def link_issue(conn, meeting: dict, values: dict, *, author: str = "", token: str | None = None) -> str:
    """Record that an issue was discussed at a meeting, with the outcome; returns the link id.

    Links are an add-only set: linking the same issue again adds the new outcome beside the
    first, so two devices linking at once never conflict.
    """
    with transaction(conn):
        earlier = tokens.seen(conn, token)
        if earlier:
            return earlier
        link_id = uuid7()
        journal.create(
            conn,
            "meeting_issues",
            {
                "id": link_id,
                "created_at": now_iso(),
                "org": meeting["org"],
                "country": meeting["country"],
                "meeting_id": meeting["id"],
                "recorded_by": author,
                **values,
            },
            author=author,
        )
        tokens.claim(conn, token, link_id)
        return link_id


def issues_of(conn, meeting_id: str, *, country: str | None = None) -> list[dict]:
    """The issues discussed at a meeting with their outcomes, in the order they were linked."""
    scope, scope_params = in_country("i", country)
    rows = conn.execute(
        "SELECT l.id AS link_id, l.outcome, l.note, l.language AS note_language, l.created_at AS linked_at, "
        "i.id, i.ref, i.title, i.status, i.sector, i.severity, i.language, i.community, i.district, "
        "i.commitment_due_on, i.deleted "
        "FROM meeting_issues l JOIN issues i ON i.id = l.issue_id "
        f"WHERE l.meeting_id = ? AND l.deleted = 0{scope} ORDER BY l.created_at, l.id",
        (meeting_id, *scope_params),
    ).fetchall()
    return [dict(r) for r in rows]


def meetings_of(conn, issue_id: str, *, country: str | None = None) -> list[dict]:
    """The meetings where an issue was discussed, most recent first, with the outcome."""
    scope, scope_params = in_country("m", country)
    rows = conn.execute(
        "SELECT l.outcome, l.note, l.language AS note_language, m.id, m.ref, m.title, m.kind, "
        "m.held_on, m.language FROM meeting_issues l INDEXED BY meeting_issues_issue "
        # From the issue's few links to their meetings: with a country, SQLite would otherwise
        # walk every meeting of that country.
        "CROSS JOIN meetings m ON m.id = l.meeting_id "
        f"WHERE l.issue_id = ? AND l.deleted = 0 AND m.deleted = 0{scope} "
        "ORDER BY m.held_on DESC, l.created_at DESC",
        (issue_id, *scope_params),
    ).fetchall()
    return [dict(r) for r in rows]


def find_issues(conn, text: str, *, limit: int = 8, country: str | None = None) -> list[dict]:
    """Issues to link, for search-as-you-type: words match title, text or place; or an exact ref."""
    query = fts_query(text)
    if not query:
        return []
    scope, scope_params = in_country("i", country)
    rows = conn.execute(
        "SELECT i.id, i.ref, i.title, i.status, i.language, i.community, i.district FROM issues i "
        f"WHERE i.deleted = 0{scope} AND (i.rowid IN (SELECT rowid FROM issues_fts WHERE issues_fts MATCH ?) "
        "OR i.ref = ?) ORDER BY i.updated_at DESC LIMIT ?",
        (*scope_params, query, text.strip().upper(), limit),
    ).fetchall()
    return [dict(r) for r in rows]


# --- Drafts -------------------------------------------------------------------------------


def save_draft(
    conn, key: str, data: dict, *, meeting_id: str | None = None, country: str | None = None
) -> str:
    """Keep the unsaved text of a meeting form (local only, never synced); returns the time saved.

    ``country`` is the saving account's scope at central (None: a device, or every country); a
    draft of another country is never overwritten through its key.
    """
    saved_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with transaction(conn):
        conn.execute(
            "INSERT INTO meeting_drafts (key, meeting_id, data, saved_at, country) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET data = excluded.data, saved_at = excluded.saved_at "
            "WHERE ? IS NULL OR meeting_drafts.country = ?",
            (key, meeting_id, json.dumps(data, ensure_ascii=False), saved_at, country, country, country),
        )
    return saved_at


def _in_scope(country: str | None) -> tuple[str, tuple]:
    return ("", ()) if country is None else (" AND country = ?", (country,))


def get_draft(conn, key: str, *, country: str | None = None) -> dict | None:
    """A saved draft in ``country``'s scope: ``{"data": {...}, "saved_at": ..., "meeting_id": ...}``, or None."""
    clause, params = _in_scope(country)
    row = conn.execute(
        f"SELECT data, saved_at, meeting_id FROM meeting_drafts WHERE key = ?{clause}", (key, *params)
    ).fetchone()
    if not row:
        return None
    try:
        data = json.loads(row[0])
    except ValueError:
        data = {}
    return {
        "key": key,
        "data": data if isinstance(data, dict) else {},
        "saved_at": row[1],
        "meeting_id": row[2],
    }


def drop_draft(conn, key: str | None, *, country: str | None = None) -> None:
    """Forget a draft once its form is saved (or the user discards it), if in ``country``'s scope."""
    if key:
        clause, params = _in_scope(country)
        with transaction(conn):
            conn.execute(f"DELETE FROM meeting_drafts WHERE key = ?{clause}", (key, *params))


def new_meeting_drafts(conn, *, limit: int = 20, country: str | None = None) -> list[dict]:
    """Drafts of meetings never saved yet (of ``country``'s accounts if given), newest first, so a
    crashed session can be resumed."""
    clause, params = _in_scope(country)
    rows = conn.execute(
        f"SELECT key, data, saved_at FROM meeting_drafts WHERE meeting_id IS NULL{clause} "
        "ORDER BY saved_at DESC LIMIT ?",
        (*params, limit),
    ).fetchall()
    drafts = []
    for key, data, saved_at in rows:
        try:
            values = json.loads(data)
        except ValueError:
            values = {}
        drafts.append({"key": key, "title": (values or {}).get("title", ""), "saved_at": saved_at})
    return drafts
