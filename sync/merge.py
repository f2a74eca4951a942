"""Merge remote ops into a replica, per field, with base dots (DESIGN §5.3).

The same code runs on devices and at central. A row's state is a pure function of the
*set* of its ops, so replicas that hold the same ops hold the same row whatever order the
ops arrived in; wall clocks never take part.

Algorithm: for every field, the ops that wrote it minus the ops some other op names in its
base for that field are the field's *live* ops. One live op (or several that agree on the
value) → that value. Several live ops with different values → a true conflict: the field
is disputed, every candidate is kept in ``sync_conflicts``, and the candidate with the
smallest dot is shown provisionally. A resolve op names every candidate in its base, so it
leaves a single live op. A live delete that did not see a live edit (the edit's dot is not in
the delete's base) while the edit did not see the delete (``deleted`` in its base) is a
delete racing an edit: the row stays visible and goes to review. (Base entries of fields
an op does not write only record what it saw: they supersede nothing.) Child tables (timeline
events, attachments, reporters, action items, links) are add-only sets: additions never
conflict and concurrent field edits there keep the smallest dot's value without review (every
op stays in the history).

Applying an op that is already present changes nothing. The common case (a new row, or an
edit whose base dots are the row's current dots) is a fast-forward that skips the rebuild.
"""

from __future__ import annotations

import json
from collections import Counter
from contextlib import ExitStack
from typing import Any

from . import consent, journal
from .bulk import deferred_indexes, deferred_search
from .ids import dot as make_dot
from .ids import parse_dot


def reviewed_tables() -> set[str]:
    """Tables whose records people review; every other synced table is an add-only child set."""
    return journal.RECORDS.reviewed() if journal.RECORDS else set()


OP_COLUMNS = "device_id, dseq, tbl, row_id, kind, fields, base, hlc, author, server_seq"

#: How an op's fields are stored (the same text as ``json.dumps(..., ensure_ascii=False,
#: sort_keys=True)``), without building an encoder for every op.
_fields_text = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def op_from_row(row) -> dict:
    """An op dict from a ``sync_ops`` row selected with :data:`OP_COLUMNS`."""
    return {
        "device_id": row[0],
        "dseq": row[1],
        "tbl": row[2],
        "row_id": row[3],
        "kind": row[4],
        "fields": json.loads(row[5]),
        "base": json.loads(row[6]),
        "hlc": row[7],
        "author": row[8],
        "server_seq": row[9],
    }


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _dot_key(dot: str):
    device, dseq = parse_dot(dot)
    return device, dseq


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _erased(conn, op: dict) -> dict:
    """The op with personal fields blank where consent was withdrawn (:mod:`sync.consent`)."""
    fields = consent.erased(conn, op["tbl"], op["row_id"], op["fields"])
    return op if fields is op["fields"] else dict(op, fields=fields)


def store_op(conn, op: dict) -> bool:
    """Insert an op into the journal; False if it was already there (nothing changes)."""
    op = _erased(conn, op)
    cursor = conn.execute(
        "INSERT OR IGNORE INTO sync_ops (device_id, dseq, tbl, row_id, kind, fields, base, hlc,"
        " author, server_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            op["device_id"],
            op["dseq"],
            op["tbl"],
            op["row_id"],
            op["kind"],
            json.dumps(op["fields"], ensure_ascii=False, sort_keys=True),
            json.dumps(op["base"], sort_keys=True),
            op["hlc"],
            op.get("author", ""),
            op.get("server_seq"),
        ),
    )
    return cursor.rowcount == 1


def apply_remote(conn, op: dict) -> bool:
    """Journal and merge one op made elsewhere; returns False if it was already known.

    Must run inside the caller's transaction. Ops for tables this version does not sync are
    kept in the journal (a later version can apply them) but touch no row. An op that
    withdraws consent first erases the personal fields of its row's older ops.
    """
    op = _erased(conn, op)
    if not store_op(conn, op):
        if op.get("server_seq") is not None:
            conn.execute(
                "UPDATE sync_ops SET server_seq = ? WHERE device_id = ? AND dseq = ? AND server_seq IS NULL",
                (op["server_seq"], op["device_id"], op["dseq"]),
            )
        return False
    table = op["tbl"]
    allowed = journal.SYNCED.get(table)
    if allowed is None:
        return True
    fields = {k: v for k, v in op["fields"].items() if k in allowed}
    op_dot = make_dot(op["device_id"], op["dseq"])
    if consent.withdraws(table, op["fields"]) and consent.erase_history(conn, table, op["row_id"]):
        rebuild_row(conn, table, op["row_id"])
        return True
    dots = journal.field_dots(conn, table, op["row_id"])
    if op["kind"] == "create" and not dots:
        # A row's first op: insert it, unless the row is already there (then merge it all).
        if journal.apply_fields(conn, table, op["row_id"], "create", fields, op["hlc"]):
            _save_dots(conn, table, op["row_id"], {"*": op_dot})
        else:
            rebuild_row(conn, table, op["row_id"])
        return True
    if dots and _fast_forward(conn, table, op, dots):
        journal.apply_fields(conn, table, op["row_id"], op["kind"], fields, op["hlc"])
        dots.update({field: op_dot for field in fields})
        _save_dots(conn, table, op["row_id"], dots)
        return True
    rebuild_row(conn, table, op["row_id"])
    return True


#: A run of at least this many new rows is indexed for search in one statement at its end
#: (below it, dropping and re-creating the indexing triggers costs more than it saves).
DEFER_SEARCH_MIN = 50


def apply_batch(conn, ops: list[dict]) -> int:
    """Journal and merge a page of remote ops, in order; returns how many were new.

    The result is exactly that of :func:`apply_remote` on each op in turn (which is what
    runs for every op but one kind): the *create of a row this replica has never seen*
    (no dots, no row, op not journaled, no other op of the row earlier in the page) only
    inserts its op, its row and its ``{"*": dot}`` dots, which :func:`apply_remote` would
    also do. Consecutive such creates are buffered and written with ``executemany``, in page
    order, and their full-text indexing is deferred to one ``INSERT ... SELECT`` at the end
    of the run (:func:`sync.bulk.deferred_search`), inside the caller's transaction. Any
    other op first writes the buffer, so every op still sees the state its predecessors made.
    Must run inside the caller's transaction; ops must be validated.
    """
    creates = [op for op in ops if op["kind"] == "create" and op["tbl"] in journal.SYNCED]
    known = _journaled(conn, creates)
    touched = _rows_with_state(conn, creates)
    fresh: list[dict] = []
    applied = 0
    for op in ops:
        key = (op["tbl"], op["row_id"])
        ident = (op["device_id"], op["dseq"])
        if (
            op["kind"] == "create"
            and op["tbl"] in journal.SYNCED
            and op["tbl"] not in consent.DECLARED  # through apply_remote, which erases
            and key not in touched
            and ident not in known
        ):
            fresh.append(op)
        else:
            if fresh:
                applied += _insert_new(conn, fresh)
                fresh = []
            applied += apply_remote(conn, op)
        touched.add(key)
        known.add(ident)
    if fresh:
        applied += _insert_new(conn, fresh)
    return applied


def _journaled(conn, ops: list[dict]) -> set[tuple[str, int]]:
    if not ops:
        return set()
    pairs = json.dumps([[op["device_id"], op["dseq"]] for op in ops])
    return {
        (device, dseq)
        for device, dseq in conn.execute(
            "SELECT o.device_id, o.dseq FROM json_each(?) AS j JOIN sync_ops AS o "
            "ON o.device_id = json_extract(j.value, '$[0]') AND o.dseq = json_extract(j.value, '$[1]')",
            (pairs,),
        )
    }


def _rows_with_state(conn, ops: list[dict]) -> set[tuple[str, str]]:
    """(table, row id) of the rows named by ``ops`` that have dots or a row here already."""
    by_table: dict[str, list[str]] = {}
    for op in ops:
        by_table.setdefault(op["tbl"], []).append(op["row_id"])
    found = set()
    for table, row_ids in by_table.items():
        wanted = json.dumps(row_ids)
        for (row_id,) in conn.execute(
            "SELECT row_id FROM sync_rows WHERE tbl = ? AND row_id IN (SELECT value FROM json_each(?))",
            (table, wanted),
        ):
            found.add((table, row_id))
        for (row_id,) in conn.execute(
            f"SELECT id FROM [{table}] WHERE id IN (SELECT value FROM json_each(?))", (wanted,)
        ):
            found.add((table, row_id))
    return found


def _insert_new(conn, ops: list[dict]) -> int:
    """Write creates of rows new to this replica: ops, rows (in order) and dots."""
    if (
        all(op.get("server_seq") is None for op in ops)
        and journal.replica_value(conn, "server_seq") is not None
    ):
        # At central: number the ops here, in order, as the sequencer's trigger would one by one.
        top = int(
            conn.execute(
                "UPDATE sync_replica SET value = CAST(value AS INTEGER) + ? WHERE key = 'server_seq' "
                "RETURNING value",
                (len(ops),),
            ).fetchone()[0]
        )
        ops = [dict(op, server_seq=top - len(ops) + n) for n, op in enumerate(ops, start=1)]
    conn.executemany(
        "INSERT INTO sync_ops (device_id, dseq, tbl, row_id, kind, fields, base, hlc, author, server_seq)"
        " VALUES (?, ?, ?, ?, 'create', ?, ?, ?, ?, ?)",
        [
            (
                op["device_id"],
                op["dseq"],
                op["tbl"],
                op["row_id"],
                _fields_text(op["fields"]),
                json.dumps(op["base"], sort_keys=True) if op["base"] else "{}",
                op["hlc"],
                op.get("author", ""),
                op.get("server_seq"),
            )
            for op in ops
        ],
    )
    tables = [op["tbl"] for op in ops]
    defer = len(ops) >= DEFER_SEARCH_MIN
    with ExitStack() as stack:
        stack.enter_context(deferred_search(conn, tables if defer else ()))
        if defer:
            for table, adding in Counter(tables).items():
                if adding >= DEFER_SEARCH_MIN:
                    stack.enter_context(deferred_indexes(conn, table, adding))
        run: list = []
        sql = None
        shapes: dict = {}
        for op in ops:
            fields = op["fields"]
            shape = (op["tbl"], tuple(fields))
            if shape not in shapes:
                allowed = journal.SYNCED[op["tbl"]]
                names = [k for k in fields if k in allowed]
                shapes[shape] = (
                    f"INSERT INTO [{op['tbl']}] ([id], {''.join(f'[{n}], ' for n in names)}[updated_at]) "
                    f"VALUES ({'?, ' * (len(names) + 1)}?)",
                    None if len(names) == len(fields) else names,
                )
            statement, names = shapes[shape]
            if statement != sql and run:
                conn.executemany(sql, run)
                run = []
            sql = statement
            values = fields.values() if names is None else [fields[n] for n in names]
            run.append([op["row_id"], *values, journal.iso_from_hlc(op["hlc"])])
        if run:
            conn.executemany(sql, run)
    conn.executemany(
        "INSERT INTO sync_rows (tbl, row_id, dots) VALUES (?, ?, ?)",
        [(op["tbl"], op["row_id"], json.dumps({"*": make_dot(op["device_id"], op["dseq"])})) for op in ops],
    )
    return len(ops)


def _row_exists(conn, table: str, row_id: str) -> bool:
    return conn.execute(f"SELECT 1 FROM [{table}] WHERE id = ?", (row_id,)).fetchone() is not None


def _fast_forward(conn, table: str, op: dict, dots: dict) -> bool:
    if op["kind"] == "create":
        return False
    base = op["base"]
    for field in op["fields"]:
        if sorted(_as_list(base.get(field))) != sorted(_as_list(journal.dot_of(dots, field))):
            return False
    if "deleted" not in op["fields"] and "deleted" in base:
        if sorted(_as_list(base["deleted"])) != sorted(_as_list(journal.dot_of(dots, "deleted"))):
            return False
    if op["fields"].get("deleted") == 1 and not set(journal.live_dots(dots)) - {dots.get("*")} <= _seen(op):
        return False
    return (
        conn.execute(
            "SELECT 1 FROM sync_conflicts WHERE tbl = ? AND row_id = ? LIMIT 1", (table, op["row_id"])
        ).fetchone()
        is None
    )


def _seen(op: dict) -> set[str]:
    return {d for value in op["base"].values() for d in _as_list(value)}


def _save_dots(conn, table: str, row_id: str, dots: dict) -> None:
    conn.execute(
        "INSERT INTO sync_rows (tbl, row_id, dots) VALUES (?, ?, ?) "
        "ON CONFLICT (tbl, row_id) DO UPDATE SET dots = excluded.dots",
        (table, row_id, json.dumps(dots, sort_keys=True)),
    )


def _candidate(op: dict, field: str, value: Any) -> dict:
    return {
        "dot": make_dot(op["device_id"], op["dseq"]),
        "value": value,
        "kind": op["kind"],
        "author": op.get("author", ""),
        "device_id": op["device_id"],
        "hlc": op["hlc"],
        "observed_at": journal.iso_from_hlc(op["hlc"]),
        "base": op["base"].get(field),
        "fields": op["fields"] if field == "deleted" else {field: value},
    }


def row_state(ops: list[dict], table: str) -> tuple[dict, dict, dict, str] | None:
    """The merged row of a set of ops: (values, dots, conflicts, updated_at hlc), or None.

    A pure function of the set: the basis of convergence.
    """
    creates = sorted((op for op in ops if op["kind"] == "create"), key=lambda o: (o["device_id"], o["dseq"]))
    if not creates:
        return None
    create = creates[0]
    allowed = journal.SYNCED.get(table, frozenset())
    reviewed = table in reviewed_tables()
    # A row keyed by its content may be created on two replicas: each create writes its values.
    keyed = journal.RECORDS is not None and table in journal.RECORDS.keyed()
    by_dot = {make_dot(op["device_id"], op["dseq"]): op for op in ops}
    writers: dict[str, list[str]] = {}
    superseded: dict[str, set[str]] = {}
    for op_dot, op in by_dot.items():
        if op["kind"] == "create" and op is not create and not keyed:
            continue
        for field in op["fields"]:
            if field in allowed:
                writers.setdefault(field, []).append(op_dot)
            superseded.setdefault(field, set()).update(_as_list(op["base"].get(field)))
    values: dict[str, Any] = {}
    dots: dict[str, Any] = {}
    conflicts: dict[str, list[dict]] = {}
    live_by_field: dict[str, list[str]] = {}
    create_dot = make_dot(create["device_id"], create["dseq"])
    for field, field_writers in writers.items():
        live = [d for d in field_writers if d not in superseded.get(field, ())] or field_writers
        live.sort(key=_dot_key)
        live_by_field[field] = live
        values[field] = by_dot[live[0]]["fields"][field]
        if live != [create_dot]:
            dots[field] = live[0] if len(live) == 1 else live
        distinct = {json.dumps(by_dot[d]["fields"][field], sort_keys=True) for d in live}
        if reviewed and len(distinct) > 1:
            conflicts[field] = [_candidate(by_dot[d], field, by_dot[d]["fields"][field]) for d in live]
    dots["*"] = create_dot
    if reviewed:
        racing = _deletes_racing_edits(by_dot, live_by_field)
        if racing:
            known = {c["dot"] for c in conflicts.get("deleted", [])}
            extra = [c for c in racing if c["dot"] not in known]
            conflicts["deleted"] = sorted(
                conflicts.get("deleted", []) + extra, key=lambda c: _dot_key(c["dot"])
            )
        if "deleted" in conflicts:
            values["deleted"] = 0  # nothing is erased silently while a person has not decided
    updated = max(op["hlc"] for op in by_dot.values())
    return values, dots, conflicts, updated


def _deletes_racing_edits(by_dot: dict, live_by_field: dict) -> list[dict]:
    deletes = [d for d in live_by_field.get("deleted", []) if by_dot[d]["fields"]["deleted"] == 1]
    if not deletes:
        return []
    edits = {
        d
        for field, live in live_by_field.items()
        if field != "deleted"
        for d in live
        if by_dot[d]["kind"] != "create"
    }
    found: dict[str, dict] = {}
    for delete_dot in deletes:
        seen = _seen(by_dot[delete_dot])
        for edit_dot in edits:
            edit = by_dot[edit_dot]
            if edit_dot in seen or delete_dot in _as_list(edit["base"].get("deleted")):
                continue
            found.setdefault(delete_dot, _candidate(by_dot[delete_dot], "deleted", 1))
            found.setdefault(edit_dot, _candidate(edit, "deleted", 0))
    return list(found.values())


def rebuild_row(conn, table: str, row_id: str) -> None:
    """Recompute a row, its field dots and its conflicts from every op of the row."""
    rows = conn.execute(
        f"SELECT {OP_COLUMNS} FROM sync_ops WHERE tbl = ? AND row_id = ?", (table, row_id)
    ).fetchall()
    state = row_state([op_from_row(r) for r in rows], table)
    if state is None:
        # Ops that arrived before their row's create: mark the row so the create, when it
        # comes, merges them instead of taking the fast path.
        _save_dots(conn, table, row_id, {"~waiting": True})
        return
    values, dots, conflicts, updated = state
    stamp = journal.iso_from_hlc(updated)
    if _row_exists(conn, table, row_id):
        if values:
            assignments = ", ".join(f"[{field}] = ?" for field in values)
            conn.execute(
                f"UPDATE [{table}] SET {assignments}, updated_at = ? WHERE id = ?",
                [*values.values(), stamp, row_id],
            )
    else:
        columns = ["id", *values, "updated_at"]
        conn.execute(
            f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})",
            [row_id, *values.values(), stamp],
        )
    _save_dots(conn, table, row_id, dots)
    conn.execute("DELETE FROM sync_conflicts WHERE tbl = ? AND row_id = ?", (table, row_id))
    for field, candidates in conflicts.items():
        conn.execute(
            "INSERT INTO sync_conflicts (tbl, row_id, field, candidates) VALUES (?, ?, ?, ?)",
            (table, row_id, field, json.dumps(candidates, ensure_ascii=False, sort_keys=True)),
        )


def resolve(conn, table: str, row_id: str, field: str, value: Any, *, author: str = "") -> str:
    """Settle a disputed field with ``value``: an op whose base names every candidate.

    For the ``deleted`` field, 1 deletes the row knowing every edit, 0 keeps it.
    Must run inside the caller's transaction; returns the resolve op's dot.
    """
    row = conn.execute(
        "SELECT candidates FROM sync_conflicts WHERE tbl = ? AND row_id = ? AND field = ?",
        (table, row_id, field),
    ).fetchone()
    dots = journal.field_dots(conn, table, row_id)
    candidates = {c["dot"] for c in json.loads(row[0])} if row else set()
    base: dict[str, Any] = {
        field: sorted(candidates | set(_as_list(journal.dot_of(dots, field))), key=_dot_key)
    }
    if field == "deleted":
        for other, other_dots in dots.items():
            if other not in ("*", "deleted"):
                base[other] = other_dots
    else:
        base["deleted"] = journal.dot_of(dots, "deleted")
    device, dseq, hlc = journal._next_op(conn)
    op = {
        "device_id": device,
        "dseq": dseq,
        "tbl": table,
        "row_id": row_id,
        "kind": "resolve",
        "fields": {field: value},
        "base": base,
        "hlc": hlc,
        "author": author,
    }
    store_op(conn, op)
    rebuild_row(conn, table, row_id)
    return make_dot(device, dseq)


def open_conflicts(conn, table: str | None = None, limit: int = 200) -> list[dict]:
    """Disputed fields waiting for review, oldest row first."""
    sql = "SELECT tbl, row_id, field, candidates FROM sync_conflicts"
    params: list = []
    if table:
        sql += " WHERE tbl = ?"
        params.append(table)
    sql += " ORDER BY tbl, row_id, field LIMIT ?"
    params.append(limit)
    return [
        {"tbl": t, "row_id": r, "field": f, "candidates": json.loads(c)}
        for t, r, f, c in conn.execute(sql, params).fetchall()
    ]


def count_conflicts(conn) -> int:
    """How many disputed fields wait for review."""
    return conn.execute("SELECT COUNT(*) FROM sync_conflicts").fetchone()[0]
