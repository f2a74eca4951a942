"""Attachment rows: metadata of files in the content-addressed store, journaled like records."""

from __future__ import annotations

from sync import journal
from sync.ids import uuid7

from ..db import transaction
from . import in_country
from .issues import now_iso


def add_attachments(
    conn, issue: dict, files: list[dict], *, event_id: str | None = None, author: str = ""
) -> list[str]:
    """Record stored files as attachments of an issue (and optionally one of its events)."""
    ids = []
    with transaction(conn):
        for meta in files:
            attachment_id = uuid7()
            journal.create(
                conn,
                "attachments",
                {
                    "id": attachment_id,
                    "created_at": now_iso(),
                    "org": issue["org"],
                    "country": issue["country"],
                    "issue_id": issue["id"],
                    "event_id": event_id,
                    "caption": "",
                    **meta,
                },
                author=author,
            )
            ids.append(attachment_id)
    return ids


def for_issue(conn, issue_id: str) -> list[dict]:
    rows = conn.execute(
        "SELECT * FROM attachments WHERE issue_id = ? AND deleted = 0 ORDER BY created_at",
        (issue_id,),
    ).fetchall()
    return [dict(r) for r in rows]


def by_sha(conn, sha256: str, *, country: str | None = None) -> dict | None:
    """The metadata of a stored file attached to some issue (of ``country`` if given), or None."""
    scope, scope_params = in_country("attachments", country)
    row = conn.execute(
        f"SELECT * FROM attachments WHERE sha256 = ? AND deleted = 0{scope} LIMIT 1", (sha256, *scope_params)
    ).fetchone()
    return dict(row) if row else None
