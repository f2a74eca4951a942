"""Local catalog entries (the app's texts translated inside FieldKit), their reviews and the glossary.

An entry is a synced row (``records.CATALOG_ENTRY``) with one id per language, context and
English text on every replica, so two translators editing one entry offline make a dispute,
not two rows. Its translator is the author of the op that last wrote its text (the journal
keeps it); a review sets ``status``, ``reviewed_by`` and ``reviewed_on``. Every write goes
through ``sync.journal`` in one transaction; callers check the entry first
(:func:`fieldkit.catalog_rules.check_entry`).
"""

from __future__ import annotations

import json
import unicodedata

from sync import journal

from ..db import transaction
from ..records import catalog_entry_id

TABLE = "catalog_entries"
COLUMNS = (
    "id",
    "language",
    "msgctxt",
    "msgid",
    "msgid_plural",
    "msgstr",
    "status",
    "reviewed_by",
    "reviewed_on",
)


def _row(row) -> dict:
    entry = dict(zip(COLUMNS, row, strict=True))
    try:
        forms = json.loads(entry["msgstr"])
    except ValueError:
        forms = []
    entry["forms"] = forms if isinstance(forms, list) else []
    return entry


def entries(conn, language: str) -> dict[tuple[str, str], dict]:
    """Every live local entry of a language, by (context, English)."""
    rows = conn.execute(
        f"SELECT {', '.join(COLUMNS)} FROM catalog_entries WHERE language = ? AND deleted = 0", (language,)
    ).fetchall()
    return {(row[2], row[3]): _row(row) for row in rows}


def entry(conn, language: str, msgctxt: str, msgid: str) -> dict | None:
    """One live local entry, or None."""
    row = conn.execute(
        f"SELECT {', '.join(COLUMNS)} FROM catalog_entries WHERE id = ? AND deleted = 0",
        (catalog_entry_id(language, msgctxt, msgid),),
    ).fetchone()
    return _row(row) if row else None


def version(conn, language: str) -> int:
    """A number that changes whenever a local entry of the language changes (kept by triggers)."""
    row = conn.execute("SELECT version FROM catalog_versions WHERE language = ?", (language,)).fetchone()
    return row[0] if row else 0


def versions(conn) -> tuple:
    """Every language's version, to tell whether anything changed since a cached answer."""
    return tuple(conn.execute("SELECT language, version FROM catalog_versions ORDER BY language").fetchall())


def translator(conn, row_id: str) -> str:
    """Who wrote the entry's current text: the author of the op that set it."""
    dots = journal.field_dots(conn, TABLE, row_id)
    dot = journal.dot_of(dots, "msgstr") or dots.get("*")
    if isinstance(dot, list):
        dot = dot[0] if dot else None
    if not dot:
        return ""
    device_id, _sep, dseq = dot.rpartition(":")
    row = conn.execute(
        "SELECT author FROM sync_ops WHERE device_id = ? AND dseq = ?", (device_id, int(dseq))
    ).fetchone()
    return row[0] if row else ""


def save(
    conn, language: str, msgctxt: str, msgid: str, msgid_plural: str, forms: list[str], *, author: str
) -> bool:
    """Store a checked translation as a draft (created or changed); False when nothing changed."""
    forms = [unicodedata.normalize("NFC", text) for text in forms]
    text = json.dumps(forms, ensure_ascii=False)
    row_id = catalog_entry_id(language, msgctxt, msgid)
    with transaction(conn):
        exists = conn.execute("SELECT deleted FROM catalog_entries WHERE id = ?", (row_id,)).fetchone()
        if exists is None:
            journal.create(
                conn,
                TABLE,
                {
                    "id": row_id,
                    "language": language,
                    "msgctxt": msgctxt,
                    "msgid": msgid,
                    "msgid_plural": msgid_plural,
                    "msgstr": text,
                    "status": "draft",
                },
                author=author,
            )
            return True
        changes = {"msgstr": text, "status": "draft", "deleted": 0}
        return journal.update(conn, TABLE, row_id, changes, author=author) is not None


def review(conn, row_id: str, *, reviewer: str, on: str) -> None:
    """Mark an entry reviewed by ``reviewer`` on ``on`` (a date)."""
    with transaction(conn):
        journal.update(
            conn,
            TABLE,
            row_id,
            {"status": "reviewed", "reviewed_by": reviewer, "reviewed_on": on},
            author=reviewer,
        )


def reviewed_counts(conn) -> dict[str, int]:
    """Per language, how many live entries are reviewed."""
    return dict(
        conn.execute(
            "SELECT language, COUNT(*) FROM catalog_entries WHERE deleted = 0 AND status = 'reviewed' "
            "GROUP BY language"
        ).fetchall()
    )


def reviewed_keys(conn, language: str) -> set[tuple[str, str]]:
    """(context, English) of a language's reviewed entries."""
    return {
        (ctx, msgid)
        for ctx, msgid in conn.execute(
            "SELECT msgctxt, msgid FROM catalog_entries WHERE language = ? AND deleted = 0 "
            "AND status = 'reviewed'",
            (language,),
        )
    }


# --- Glossary: key terms per language (local to this replica) -------------------------------

GLOSSARY_TERMS = ("issue", "commitment", "response", "enrol", "sync", "dispute")


def glossary(conn, language: str) -> dict[str, dict]:
    """The language's glossary: every key term, with its translation and note ('' when not given)."""
    found = {
        term: {"translation": translation, "note": note}
        for term, translation, note in conn.execute(
            "SELECT term, translation, note FROM glossary_terms WHERE language = ?", (language,)
        )
    }
    return {term: found.get(term, {"translation": "", "note": ""}) for term in GLOSSARY_TERMS}


def set_glossary(conn, language: str, terms: dict[str, tuple[str, str]]) -> None:
    """Store the glossary's translations and notes of a language."""
    with transaction(conn):
        conn.executemany(
            "INSERT INTO glossary_terms (language, term, translation, note) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (language, term) DO UPDATE SET translation = excluded.translation, note = excluded.note",
            [(language, term, translation, note) for term, (translation, note) in terms.items()],
        )
