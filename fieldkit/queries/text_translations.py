"""Translations of record text (beside the untouched original) and the multilingual search.

Search works across scripts: the query is NFC-normalised like stored text; words match
through FTS5 (accents folded, Indic words kept whole) in the record itself or in any of
its translations; names (community, facility, officials ...) also match by any part of
three letters or more through a trigram index.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

from sync import journal
from sync.ids import uuid7

from ..db import transaction
from . import tokens

#: Which fields of which records can be translated.
TRANSLATABLE = {
    "issues": ("title", "description"),
    "meetings": ("title", "agenda", "notes", "decisions", "what_changed", "what_learned"),
}


def add_translation(
    conn,
    record_table: str,
    record: dict,
    field: str,
    language: str,
    text: str,
    *,
    author: str = "",
    token: str | None = None,
) -> str:
    """Store a translation of ``record[field]`` in ``language``; returns its id (once per form)."""
    assert field in TRANSLATABLE[record_table]
    with transaction(conn):
        earlier = tokens.seen(conn, token)
        if earlier:
            return earlier
        translation_id = uuid7()
        journal.create(
            conn,
            "text_translations",
            {
                "id": translation_id,
                "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "org": record.get("org", ""),
                "country": record.get("country", ""),
                "record_table": record_table,
                "record_id": record["id"],
                "field": field,
                "language": language,
                "text": unicodedata.normalize("NFC", text),
                "recorded_by": author,
            },
            author=author,
        )
        tokens.claim(conn, token, translation_id)
        return translation_id


def delete_translation(conn, translation_id: str, *, author: str = "") -> None:
    """Tombstone one translation (the original is never touched)."""
    with transaction(conn):
        journal.delete(conn, "text_translations", translation_id, author=author)


def for_record(conn, record_table: str, record_id: str) -> list[dict]:
    """The live translations of a record's text, by field then language."""
    rows = conn.execute(
        "SELECT id, field, language, text, recorded_by, created_at FROM text_translations "
        "WHERE record_table = ? AND record_id = ? AND deleted = 0 ORDER BY field, language, created_at",
        (record_table, record_id),
    ).fetchall()
    columns = ("id", "field", "language", "text", "recorded_by", "created_at")
    return [dict(zip(columns, row, strict=True)) for row in rows]


CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def words(text: str) -> list[str]:
    """The user's search words, NFC-normalised, without FTS syntax or control characters.

    (SQLite ends an FTS5 query string at a NUL, so "a\x00" would be an unterminated string.)
    """
    text = CONTROL.sub(" ", unicodedata.normalize("NFC", text or ""))
    return [w for w in (part.replace('"', "") for part in text.split()) if w]


def fts_query(text: str) -> str:
    """User words → an FTS5 query: every word must match, as a word or a word's start."""
    return " ".join(f'"{w}"*' for w in words(text))


def trigram_query(text: str) -> str:
    """User words → a trigram query (every word a substring of the names), or '' if a word is too short."""
    found = words(text)
    if not found or any(len(w) < 3 for w in found):
        return ""
    return " AND ".join(f'"{w}"' for w in found)


def translated_rowids(record_table: str) -> str:
    """SQL for the rowids of ``record_table`` rows with a translation matching an FTS query (one ``?``)."""
    assert record_table in TRANSLATABLE
    return (
        f"SELECT x.rowid FROM text_translations t JOIN {record_table} x ON x.id = t.record_id "
        f"WHERE t.record_table = '{record_table}' AND t.deleted = 0 AND t.rowid IN "
        "(SELECT rowid FROM text_translations_fts WHERE text_translations_fts MATCH ?)"
    )


def issue_search(text: str, alias: str = "i") -> tuple[str, list]:
    """A WHERE clause matching issues by their text, their translations, or part of a name."""
    query = fts_query(text)
    if not query:
        return "", []
    parts = ["SELECT rowid FROM issues_fts WHERE issues_fts MATCH ?", translated_rowids("issues")]
    params = [query, query]
    names = trigram_query(text)
    if names:
        parts.append("SELECT rowid FROM issues_names WHERE issues_names MATCH ?")
        params.append(names)
    return f"{alias}.rowid IN ({' UNION '.join(parts)})", params
