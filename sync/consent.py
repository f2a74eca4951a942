"""Consent that can be withdrawn: personal fields erased from a row's whole op history.

A synced table may declare *personal* fields (a reporter's name and contact) that are shared
only while its *consent* field is true (:func:`declare`). An op that sets the consent field
false is a **withdrawal**. A row withdrawn once stays withdrawn: consent given again is a new
row. Every replica (device or central) applies three rules to every op it journals, local or
remote, so that no journal keeps a copy of what the person took back:

1. a withdrawal carries its personal fields blank;
2. when a withdrawal is journaled, every other op of the row has its personal fields
   rewritten blank in ``sync_ops`` (and in ``sync_held``, where central parks ops that
   arrived after a gap);
3. an op of a row already withdrawn is journaled with its personal fields blank (an edit
   made on a device that had not yet heard of the withdrawal).

Why rewriting old ops is safe for the merge (:mod:`sync.merge`): a row's state is computed
from *which* ops wrote *which* fields and from the dots each op names in its base. Erasing
changes neither: it only replaces the values of personal fields, keeping the keys. So the
live ops of every field, the dots, and every other field's value are exactly what they were;
only personal values become blank, and with every op of the row blank, whichever op is live
the value is blank. The erasure is a function of the *set* of ops (erase iff the set holds a
withdrawal), idempotent, and the same whether the withdrawal arrives before (rule 3) or after
(rule 2) the other ops, so replicas holding the same ops still hold identical journals and
rows: convergence is untouched. Op ids are not changed, so exactly-once push and resumable
pull (by ``(device_id, dseq)`` and ``server_seq``) are untouched too; an old copy of an op sent
again is recognised by its id and ignored, so it never brings the name back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

#: Tables with personal fields, by name (filled by the app through :func:`declare`).
DECLARED: dict[str, Declaration] = {}

#: What a personal field holds once erased.
BLANK = ""


@dataclass(frozen=True)
class Declaration:
    """A table's consent field and the personal fields shared only while it is true."""

    consent: str
    personal: tuple[str, ...]


def declare(table: str, *, consent: str, personal: tuple[str, ...]) -> None:
    """Share ``personal`` fields of ``table`` only while ``consent`` is true (see module doc)."""
    DECLARED[table] = Declaration(consent, tuple(personal))


def withdraws(table: str, fields: dict) -> bool:
    """Whether an op with these fields withdraws consent."""
    declared = DECLARED.get(table)
    return declared is not None and declared.consent in fields and not fields[declared.consent]


def _blank(declared: Declaration, fields: dict) -> dict:
    return {k: (BLANK if k in declared.personal else v) for k, v in fields.items()}


def _withdrawn(conn, table: str, row_id: str) -> bool:
    for (text,) in conn.execute("SELECT fields FROM sync_ops WHERE tbl = ? AND row_id = ?", (table, row_id)):
        if withdraws(table, json.loads(text)):
            return True
    return False


def erased(conn, table: str, row_id: str, fields: dict) -> dict:
    """The fields an op is journaled with: personal ones blank if it withdraws or the row was withdrawn.

    Rules 1 and 3; must run before the op is journaled.
    """
    declared = DECLARED.get(table)
    if declared is None or not any(k in declared.personal and v != BLANK for k, v in fields.items()):
        return fields
    if withdraws(table, fields) or _withdrawn(conn, table, row_id):
        return _blank(declared, fields)
    return fields


def erase_history(conn, table: str, row_id: str) -> int:
    """Rewrite the personal fields of every op of a row blank (rule 2); returns how many changed.

    Runs with ``secure_delete`` on, so SQLite overwrites the old text in the database file
    instead of leaving it in free space. Must run inside the caller's transaction.
    """
    declared = DECLARED.get(table)
    if declared is None:
        return 0
    secure = conn.execute("PRAGMA secure_delete").fetchone()[0]
    conn.execute("PRAGMA secure_delete = ON")
    try:
        changed = 0
        rows = conn.execute(
            "SELECT rowid, fields FROM sync_ops WHERE tbl = ? AND row_id = ?", (table, row_id)
        ).fetchall()
        for rowid, text in rows:
            fields = json.loads(text)
            blank = _blank(declared, fields)
            if blank != fields:
                conn.execute(
                    "UPDATE sync_ops SET fields = ? WHERE rowid = ?",
                    (json.dumps(blank, ensure_ascii=False, sort_keys=True), rowid),
                )
                changed += 1
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_held'").fetchone():
            for device_id, dseq, text in conn.execute(
                "SELECT device_id, dseq, op FROM sync_held "
                "WHERE json_extract(op, '$.tbl') = ? AND json_extract(op, '$.row_id') = ?",
                (table, row_id),
            ).fetchall():
                op = json.loads(text)
                op["fields"] = _blank(declared, op.get("fields") or {})
                conn.execute(
                    "UPDATE sync_held SET op = ? WHERE device_id = ? AND dseq = ?",
                    (json.dumps(op), device_id, dseq),
                )
                changed += 1
        # Ops central refused and ops a device set aside are copies too.
        for table_name in ("sync_refused", "sync_set_aside"):
            if not conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table_name,)
            ).fetchone():
                continue
            for device_id, dseq, text in conn.execute(
                f"SELECT device_id, dseq, op FROM {table_name} WHERE tbl = ? AND row_id = ?", (table, row_id)
            ).fetchall():
                op = json.loads(text)
                if isinstance(op, dict) and isinstance(op.get("fields"), dict):
                    op["fields"] = _blank(declared, op["fields"])
                    conn.execute(
                        f"UPDATE {table_name} SET op = ? WHERE device_id = ? AND dseq = ?",
                        (json.dumps(op), device_id, dseq),
                    )
                    changed += 1
    finally:
        conn.execute(f"PRAGMA secure_delete = {int(secure)}")
    return changed
