"""Central's checks of every pushed op: its declaration, its parent, its scope, its files.

Nothing a device sends is taken on its word (DESIGN §7). An op is refused, with a code, the
field and a reason, when

- its shape or any value breaks the declaration of its record type (the same rules as the
  forms: types, bounds, required fields, text free of control characters);
- it names a row, parent or linked record central does not hold in the device's scope (a
  child of a refused create is refused with it);
- a child claims an org or country other than its parent's (a child always has its
  parent's scope), or an edit moves a row out of the device's scope or a child to another parent;
- it names a file that only records outside the device's scope refer to;
- its record type asks for a grant the device lacks (``writers``), or the whole row it would
  make breaks the type's own rule (``check_row``: e.g. a translation that renames a placeholder).

Rows of a ``global`` record type belong to no org or country: every device reads them, and
only a device with the type's grant writes them.

A refused op is recorded (``sync_refused``) and acknowledged like an applied one, so the
device's sequence moves on and everything else it sends is applied.
"""

from __future__ import annotations

import json

from . import journal, protocol
from .errors import ProtocolError
from .schema import EVERY_ORG, Refused

#: Orgs a device may create rows for before it was enrolled; they join the device's org.
UNASSIGNED_ORGS = ("", "local")


class Scopes:
    """The org and country of the rows a batch names (their own, parents', links'), read at once.

    A create's scope is recorded as it is authorised (``add``) and written to ``sync_scope``
    before the batch is merged, so a later op of the same batch finds it.
    """

    def __init__(self, conn, ops: list[dict]):
        self.conn = conn
        self.known: dict[tuple[str, str], tuple[str, str] | None] = {}
        self.new: list[tuple[str, str, str, str]] = []
        #: Per table, the columns that cannot hold NULL (read once per batch).
        self.not_null: dict[str, set[str]] = {}
        #: Rows of types with a ``check_row`` as this batch leaves them (before the merge).
        self.rows: dict[tuple[str, str], dict] = {}
        wanted = set()
        for op in ops:
            key = (op.get("tbl"), op.get("row_id"))
            if isinstance(key[0], str) and isinstance(key[1], str):  # else refused as malformed
                wanted.add(key)
            wanted.update(_references(op))
        wanted = {(t, r) for t, r in wanted if isinstance(t, str) and isinstance(r, str)}
        for key in wanted:
            self.known[key] = None
        keys = json.dumps(sorted(wanted))
        for table, row_id, org, country in conn.execute(
            "SELECT s.tbl, s.row_id, s.org, s.country FROM json_each(?) AS j JOIN sync_scope AS s "
            "ON s.tbl = json_extract(j.value, '$[0]') AND s.row_id = json_extract(j.value, '$[1]')",
            (keys,),
        ):
            self.known[(table, row_id)] = (org, country)

    def get(self, table: str, row_id: str) -> tuple[str, str] | None:
        key = (table, row_id)
        if key not in self.known:  # a held op's row
            row = self.conn.execute(
                "SELECT org, country FROM sync_scope WHERE tbl = ? AND row_id = ?", key
            ).fetchone()
            self.known[key] = tuple(row) if row else None
        return self.known[key]

    def add(self, table: str, row_id: str, org: str, country: str) -> None:
        if self.get(table, row_id) is None:
            self.known[(table, row_id)] = (org, country)
            self.new.append((table, row_id, org, country))

    def move(self, table: str, row_id: str, org: str, country: str) -> None:
        """A row moved (its org or country edited): it and its children take the new scope."""
        self.save()
        self.known[(table, row_id)] = (org, country)
        self.conn.execute(
            "UPDATE sync_scope SET org = ?, country = ? WHERE tbl = ? AND row_id = ?",
            (org, country, table, row_id),
        )
        for child, parent in journal.RECORDS.children_of(table):
            moved = self.conn.execute(
                f"UPDATE sync_scope SET org = ?, country = ? WHERE tbl = ? AND row_id IN "
                f"(SELECT id FROM [{child.table}] WHERE [{parent.field}] = ?) RETURNING row_id",
                (org, country, child.table, row_id),
            ).fetchall()
            for (child_id,) in moved:
                self.known[(child.table, child_id)] = (org, country)

    def row_after(self, table: str, row_id: str, fields: dict, create: bool) -> dict:
        """The row as it will be once this op applies (earlier ops of the batch included)."""
        key = (table, row_id)
        if key not in self.rows:
            row = None if create else self.conn.execute(f"SELECT * FROM [{table}] WHERE id = ?", key[1:])
            found = row.fetchone() if row is not None else None
            self.rows[key] = dict(zip([d[0] for d in row.description], found, strict=True)) if found else {}
        return {**self.rows[key], **fields, "id": row_id}

    def save(self) -> None:
        self.conn.executemany(
            "INSERT OR IGNORE INTO sync_scope (tbl, row_id, org, country) VALUES (?, ?, ?, ?)", self.new
        )
        self.new = []


def _references(op: dict) -> list[tuple[str, str]]:
    """(table, id) of the parent and linked rows an op's fields name."""
    schema = journal.RECORDS
    fields = op.get("fields")
    table = op.get("tbl")
    if schema is None or not isinstance(table, str) or table not in schema or not isinstance(fields, dict):
        return []
    record = schema[op["tbl"]]
    found = []
    for link in (record.parent, *record.also) if record.parent else record.also:
        table, row_id = link.table_of(fields), fields.get(link.field)
        if isinstance(table, str) and isinstance(row_id, str):
            found.append((table, row_id))
    return found


def refused_create(conn, table: str, row_id: str) -> bool:
    """Whether central refused the create of this row (so what depends on it is refused too)."""
    return (
        conn.execute(
            "SELECT 1 FROM sync_refused WHERE tbl = ? AND row_id = ? AND kind = 'create' LIMIT 1",
            (table, row_id),
        ).fetchone()
        is not None
    )


def _missing(conn, table: str, row_id: str, what: str) -> Refused:
    if refused_create(conn, table, row_id):
        return Refused("depends-on-refused", f"{what} {table} {row_id} was itself refused")
    return Refused(
        "unknown-record", f"{what} {table} {row_id} is not at central or not in this device's scope"
    )


def check_op(conn, scopes: Scopes, peer, op: dict) -> dict:
    """The op, checked and authorised for ``peer``; its scope is recorded in ``scopes``.

    :raises Refused: the first rule the op breaks.
    """
    try:
        op = protocol.validate_op(op, values=False)  # record.check tests every value's type
    except ProtocolError as error:
        raise Refused("malformed", str(error)) from None
    schema = journal.RECORDS
    record = schema[op["tbl"]]
    fields = op["fields"]
    create = op["kind"] == "create"
    record.check(fields, create=create)
    _refuse_nulls(scopes, record.table, fields)
    if record.writers and record.writers not in peer.grants:
        raise Refused("forbidden", f"this device may not write {record.table}")
    if record.scope == "global":
        org, country = _check_global(scopes, record, op, create)
    elif create:
        org, country = _scope_of_new_row(scopes, peer, record, fields)
        existing = scopes.get(record.table, op["row_id"])
        if existing and existing != (org, country):
            raise Refused("scope", f"{record.table} {op['row_id']} already exists with another scope")
    else:
        existing = scopes.get(record.table, op["row_id"])
        if existing is None or not peer.covers(*existing):
            raise _missing(conn, record.table, op["row_id"], "the record")
        if record.parent:
            if record.parent.field in fields or (record.parent.table_field or "") in fields:
                raise Refused(
                    "immutable", "a child record cannot move to another parent", record.parent.field
                )
            _same_scope_as_parent(fields, existing)
        else:
            org = fields.get("org", existing[0])
            org = existing[0] if org in UNASSIGNED_ORGS else org
            country = fields.get("country", existing[1])
            if (org == EVERY_ORG) != (record.scope == "country"):
                raise Refused("scope", "a change cannot make a record every organisation's, or one's", "org")
            if not peer.covers(org, country):
                raise Refused(
                    "scope", "this change would move the record out of this device's scope", "country"
                )
            if (org, country) != existing:
                scopes.move(record.table, op["row_id"], org, country)
    _check_links(conn, scopes, peer, record, fields)
    if create and record.file_field():
        _check_file(conn, peer, fields.get(record.file_field().name))
    if create:
        # Only once every check passed: a refused create leaves no scope behind for later ops to find.
        scopes.add(record.table, op["row_id"], org, country)
    return op


def _check_global(scopes: Scopes, record, op: dict, create: bool) -> tuple[str, str]:
    """A row everyone reads: no scope to check, but its own rule over the whole row; its scope."""
    existing = scopes.get(record.table, op["row_id"])
    if existing is None and not create:
        raise _missing(scopes.conn, record.table, op["row_id"], "the record")
    if record.check_row:
        row = scopes.row_after(record.table, op["row_id"], op["fields"], create and existing is None)
        record.check_row(scopes.conn, row)
        scopes.rows[(record.table, op["row_id"])] = row
    return existing or ("", "")


def _refuse_nulls(scopes: Scopes, table: str, fields: dict) -> None:
    """An empty (null) value for a column that cannot hold one is refused here, as this op's
    fault; left to the merge it would fail the whole batch, and every push after it."""
    if None not in fields.values():
        return
    columns = scopes.not_null.get(table)
    if columns is None:
        info = scopes.conn.execute(f"PRAGMA table_info([{table}])").fetchall()
        columns = scopes.not_null[table] = {row[1] for row in info if row[3]}
    for name, value in fields.items():
        if value is None and name in columns:
            raise Refused("required", f"{name} cannot be empty", name)


def _scope_of_new_row(scopes: Scopes, peer, record, fields: dict) -> tuple[str, str]:
    if record.scope == "country":
        # Every org's row in its country: any device of the country may add one.
        if fields.get("org") != EVERY_ORG:
            raise Refused("scope", f"a row of {record.table} belongs to every organisation ('*')", "org")
        if not peer.covers(EVERY_ORG, fields.get("country", "")):
            raise Refused("scope", "this record is outside this device's scope", "country")
        return EVERY_ORG, fields["country"]
    if record.parent is None:
        org = fields.get("org", "")
        if org == EVERY_ORG:
            raise Refused("scope", f"a row of {record.table} belongs to one organisation", "org")
        if org in UNASSIGNED_ORGS and peer.org != "*":
            org = peer.org
        country = fields.get("country", "")
        if not peer.covers(org, country):
            raise Refused("scope", "this record is outside this device's scope", "country")
        return org, country
    parent_table = record.parent.table_of(fields)
    parent = scopes.get(parent_table, fields[record.parent.field])
    if parent is None or not peer.covers(*parent):
        raise _missing(scopes.conn, parent_table, fields[record.parent.field], "its parent")
    _same_scope_as_parent(fields, parent)
    return parent


def _same_scope_as_parent(fields: dict, parent: tuple[str, str]) -> None:
    org = fields.get("org", parent[0])
    if org not in UNASSIGNED_ORGS and org != parent[0]:
        raise Refused("scope", "a child record has its parent's partner organisation", "org")
    if fields.get("country", parent[1]) != parent[1]:
        raise Refused("scope", "a child record has its parent's country", "country")


def _check_links(conn, scopes: Scopes, peer, record, fields: dict) -> None:
    for link in record.also:
        row_id = fields.get(link.field)
        if row_id is None or row_id == "":
            continue
        table = link.table_of(fields)
        found = scopes.get(table, row_id)
        if found is None or not peer.covers(*found):
            error = _missing(conn, table, row_id, "the linked record")
            error.field = link.field
            raise error


def _check_file(conn, peer, sha256: str) -> None:
    """A file already at central may only be named by a device that may read it."""
    for table, column in journal.RECORDS.file_tables():
        scopes = conn.execute(
            f"SELECT DISTINCT s.org, s.country FROM [{table}] AS a JOIN sync_scope AS s "
            f"ON s.tbl = ? AND s.row_id = a.id WHERE a.[{column}] = ?",
            (table, sha256),
        ).fetchall()
        if scopes and not any(peer.covers(org, country) for org, country in scopes):
            raise Refused("file-scope", "this file belongs to records outside this device's scope", column)
