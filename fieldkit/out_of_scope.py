"""Records outside the scope this device is enrolled for: list them, move them in, or keep them here.

A record made before enrolment (or under another country's default) names a country or
partner organisation central will not take from this device. Central refuses such a change
on its own and applies the rest, but the record would never reach anyone: the Sync page lists
these records and the person decides, per record,

- **move** it into the enrolled country and organisation: ordinary journaled changes of the
  record and every child of it (timeline events, files, action items, links, translations),
  plus, where central never accepted the record's creation, a fresh create carrying every
  current value, so central and the other devices receive it whole; or
- **keep** it on this device only: it is recorded as withheld (``sync.journal.withhold``) and
  its changes, and its children's, are never sent.

One write path, shared by the Sync page and any command: the caller holds no transaction.
"""

from __future__ import annotations

from sync import journal
from sync.checks import UNASSIGNED_ORGS
from sync.schema import RecordType

from .db import transaction
from .records import SCHEMA


def _top_level() -> list[RecordType]:
    # Country-wide rows (places) are no org's: never "outside" the enrolled org.
    return [r for r in SCHEMA if r.parent is None and r.privacy != "device-only" and r.scope == "org"]


def _children(table: str) -> list[tuple[RecordType, str, str | None]]:
    """(type, parent id column, parent table column or None) of every type that can be a child of ``table``."""
    found = []
    for record in SCHEMA:
        parent = record.parent
        if parent is None or record.privacy == "device-only":
            continue
        if parent.table == table or (parent.table is None and parent.table_field):
            found.append((record, parent.field, parent.table_field))
    return found


def _child_rows(conn, table: str, row_id: str):
    for record, field, table_field in _children(table):
        clause = f"[{field}] = ?" + (f" AND [{table_field}] = ?" if table_field else "")
        params = (row_id, table) if table_field else (row_id,)
        for (child_id,) in conn.execute(f"SELECT id FROM [{record.table}] WHERE {clause}", params):
            yield record.table, child_id


def _outside(alias: str) -> str:
    return f"({alias}.country IS NOT ?1 OR {alias}.org NOT IN (?2, '', 'local'))"


def outside(conn, org: str, country: str) -> list[dict]:
    """Live records of this device that are, or have a child that is, outside ``org``/``country``.

    Records kept on this device only are left out; :func:`kept` lists them.
    """
    found = []
    for record in _top_level():
        child_checks = []
        for child, field, table_field in _children(record.table):
            same_parent = f"c.[{field}] = r.id" + (
                f" AND c.[{table_field}] = '{record.table}'" if table_field else ""
            )
            child_checks.append(
                f"EXISTS (SELECT 1 FROM [{child.table}] c WHERE {same_parent} AND c.deleted = 0 AND {_outside('c')})"
            )
        condition = " OR ".join([_outside("r"), *child_checks])
        title = "r.title" if "title" in record.by_name else "r.id"
        ref = "r.ref" if "ref" in record.by_name else "''"
        rows = conn.execute(
            f"SELECT r.id, {ref}, {title}, r.country, r.org FROM [{record.table}] r "
            f"WHERE r.deleted = 0 AND ({condition}) AND NOT EXISTS "
            "(SELECT 1 FROM sync_withheld w WHERE w.tbl = ?3 AND w.row_id = r.id) ORDER BY r.created_at, r.id",
            (country, org, record.table),
        ).fetchall()
        found += [
            {"table": record.table, "id": r[0], "ref": r[1], "title": r[2], "country": r[3], "org": r[4]}
            for r in rows
        ]
    return found


def kept(conn) -> list[dict]:
    """Records kept on this device only (never sent), with their reference and title."""
    found = []
    for table, row_id in journal.withheld_rows(conn):
        if table not in SCHEMA:
            continue
        record = SCHEMA[table]
        title = "title" if "title" in record.by_name else "id"
        ref = "ref" if "ref" in record.by_name else "''"
        row = conn.execute(
            f"SELECT {ref}, [{title}], country FROM [{table}] WHERE id = ?", (row_id,)
        ).fetchone()
        if row:
            found.append({"table": table, "id": row_id, "ref": row[0], "title": row[1], "country": row[2]})
    return found


def _central_has(conn, table: str, row_id: str) -> bool:
    """Whether central accepted this row's creation (pulled from it, or pushed and not refused)."""
    create = conn.execute(
        "SELECT device_id, dseq, server_seq FROM sync_ops WHERE tbl = ? AND row_id = ? AND kind = 'create' "
        "ORDER BY dseq DESC LIMIT 1",
        (table, row_id),
    ).fetchone()
    if create is None:
        return False
    device, dseq, server_seq = create
    if server_seq is not None:
        return True
    refused = conn.execute(
        "SELECT 1 FROM sync_refusals WHERE device_id = ? AND dseq = ?", (device, dseq)
    ).fetchone()
    if refused:
        return False
    key = "pushed_dseq" if device == journal.device_id(conn) else f"pushed_dseq:{device}"
    return dseq <= int(journal.replica_value(conn, key, "0") or 0)


def _move_row(conn, table: str, row_id: str, org: str, country: str, author: str) -> None:
    columns = [d[0] for d in conn.execute(f"SELECT * FROM [{table}] LIMIT 0").description]
    row = dict(
        zip(columns, conn.execute(f"SELECT * FROM [{table}] WHERE id = ?", (row_id,)).fetchone(), strict=True)
    )
    changes = {"country": country}
    if row.get("org") not in (org, *UNASSIGNED_ORGS):
        changes["org"] = org
    journal.update(conn, table, row_id, changes, author=author)
    if not _central_has(conn, table, row_id):
        # Central refused (or will refuse) the original create, so it has no row to change:
        # announce the record again, whole, as it is now.
        current = dict(
            zip(
                columns,
                conn.execute(f"SELECT * FROM [{table}] WHERE id = ?", (row_id,)).fetchone(),
                strict=True,
            )
        )
        names = journal.SYNCED[table]
        journal.create(
            conn, table, {"id": row_id, **{k: v for k, v in current.items() if k in names}}, author=author
        )


def move(conn, table: str, row_id: str, *, org: str, country: str, author: str = "") -> None:
    """Move a record and every child of it into ``org``/``country``, as journaled changes that sync."""
    with transaction(conn):
        journal.release(conn, table, row_id)
        _move_row(conn, table, row_id, org, country, author)
        for child_table, child_id in list(_child_rows(conn, table, row_id)):
            _move_row(conn, child_table, child_id, org, country, author)


def keep(conn, table: str, row_id: str) -> None:
    """Keep a record (and its children) on this device only: none of its changes are sent."""
    with transaction(conn):
        journal.withhold(conn, table, row_id)
