"""Issues: create, read, edit, delete/restore, list with search and filters, attention lists."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from sync import journal
from sync.ids import uuid7

from ..db import transaction
from ..records import CLOSED_STATUSES
from . import in_country, text_translations, tokens

SORTS = {
    "updated": "i.updated_at DESC",
    "oldest": "i.updated_at ASC",
    "severity": "i.severity DESC, i.updated_at DESC",
    "observed": "i.observed_on DESC, i.updated_at DESC",
    "title": "i.title COLLATE NOCASE ASC",
}

LIST_COLUMNS = (
    "i.id, i.ref, i.title, i.sector, i.status, i.severity, i.district, i.community, "
    "i.facility, i.observed_on, i.updated_at, i.commitment_due_on, i.language, i.deleted"
)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def next_ref(conn, country: str) -> str:
    """A short, readable reference such as ``KE-4F2A-0042``: country, device, counter."""
    device = journal.device_id(conn)
    counter = int(journal.replica_value(conn, "issue_counter", "0")) + 1
    journal.set_replica_value(conn, "issue_counter", str(counter))
    return f"{country}-{device[:4].upper()}-{counter:04d}"


def create_issue(
    conn,
    values: dict,
    *,
    author: str = "",
    reporter: dict | None = None,
    token: str | None = None,
    org: str = "",
    issue_id: str | None = None,
) -> str:
    """Record a new issue (and its reporter) in one transaction; returns its id.

    With a ``token`` already used, nothing is written and the first issue's id is returned.
    """
    with transaction(conn):
        earlier = tokens.seen(conn, token)
        if earlier:
            return earlier
        issue_id = issue_id or uuid7()
        fields = dict(values)
        fields["tags"] = json.dumps(fields.get("tags") or [], ensure_ascii=False)
        fields.setdefault("created_at", now_iso())
        fields.setdefault("org", org)
        fields["ref"] = fields.get("ref") or next_ref(conn, fields.get("country") or "XX")
        fields.setdefault("recorded_by", author)
        fields["anonymous"] = 1 if not reporter else 0
        fields["consent"] = 1 if reporter and reporter.get("consent") else 0
        journal.create(conn, "issues", {"id": issue_id, **fields}, author=author)
        if reporter:
            save_reporter(
                conn, issue_id, reporter, author=author, org=fields["org"], country=fields.get("country", "")
            )
        tokens.claim(conn, token, issue_id)
        return issue_id


def _shared_reporter(conn, issue_id: str):
    return conn.execute(
        "SELECT id, name, contact FROM reporters WHERE issue_id = ? AND consent = 1 AND deleted = 0 "
        "ORDER BY created_at DESC, id DESC LIMIT 1",
        (issue_id,),
    ).fetchone()


def save_reporter(conn, issue_id: str, reporter: dict | None, *, author: str, org: str, country: str):
    """Keep exactly what the form says about the reporter, nowhere else.

    - consent: name and contact in the shared (synced) row; no device-only copy;
    - no consent: name and contact in the device-only row; a shared row is *withdrawn*
      (a journaled op that blanks it, which erases the name from every op of that row on
      every replica: :mod:`sync.consent`);
    - anonymous (``reporter`` is None): withdrawn too, and the device-only row deleted.

    Consent given again after a withdrawal starts a new shared row. The issue's own
    ``anonymous`` and ``consent`` flags are set to match. Must run inside a transaction.
    """
    shared = _shared_reporter(conn, issue_id)
    consented = bool(reporter and reporter.get("consent"))
    if consented:
        conn.execute("DELETE FROM private_reporters WHERE issue_id = ?", (issue_id,))
        changes = {"name": reporter.get("name", ""), "contact": reporter.get("contact", "")}
        if shared:
            journal.update(conn, "reporters", shared["id"], changes, author=author)
        else:
            journal.create(
                conn,
                "reporters",
                {
                    "id": uuid7(),
                    "created_at": now_iso(),
                    "org": org,
                    "country": country,
                    "issue_id": issue_id,
                    "consent": 1,
                    **changes,
                },
                author=author,
            )
    else:
        if shared:
            journal.update(
                conn, "reporters", shared["id"], {"name": "", "contact": "", "consent": 0}, author=author
            )
        if reporter:
            conn.execute(
                "INSERT INTO private_reporters (issue_id, name, contact) VALUES (?, ?, ?) "
                "ON CONFLICT (issue_id) DO UPDATE SET name = excluded.name, contact = excluded.contact",
                (issue_id, reporter.get("name", ""), reporter.get("contact", "")),
            )
        else:
            conn.execute("DELETE FROM private_reporters WHERE issue_id = ?", (issue_id,))
    flags = {"anonymous": 0 if reporter else 1, "consent": 1 if consented else 0}
    journal.update(conn, "issues", issue_id, flags, author=author)


def reporter_of(conn, issue_id: str, *, private: bool = True) -> dict | None:
    """The reporter's details and whether they are shared; None if the reporter is anonymous.

    Device-only details are read only with ``private`` (never for a phone on the hub). Where
    the issue has a named reporter whose details cannot be read here (a phone; another
    device, or central, after consent was withdrawn) the answer only says so (``hidden``).
    """
    shared = _shared_reporter(conn, issue_id)
    if shared:
        return {"name": shared["name"], "contact": shared["contact"], "consent": 1}
    row = conn.execute(
        "SELECT name, contact FROM private_reporters WHERE issue_id = ?", (issue_id,)
    ).fetchone()
    if row and private:
        return {"name": row["name"], "contact": row["contact"], "consent": 0}
    named = conn.execute("SELECT anonymous FROM issues WHERE id = ?", (issue_id,)).fetchone()
    if row or (named and not named[0]):
        return {"name": "", "contact": "", "consent": 0, "hidden": True}
    return None


def _as_dict(row) -> dict:
    item = dict(row)
    if "tags" in item:
        try:
            tags = json.loads(item["tags"] or "[]")
        except (TypeError, ValueError):
            tags = [str(item["tags"])]  # stored by hand or by an older version: shown as it is
        item["tags"] = [str(t) for t in tags] if isinstance(tags, list) else [str(tags)]
    return item


def get_issue(conn, issue_id: str, *, country: str | None = None) -> dict | None:
    """One issue (deleted or not) with its tags decoded, or None (also when outside ``country``)."""
    scope, scope_params = in_country("issues", country)
    row = conn.execute(f"SELECT * FROM issues WHERE id = ?{scope}", (issue_id, *scope_params)).fetchone()
    return _as_dict(row) if row else None


def update_issue(conn, issue_id: str, changes: dict, *, author: str = "", token: str | None = None) -> bool:
    """Save edited fields of an issue; returns False if the form was already saved."""
    with transaction(conn):
        if tokens.seen(conn, token):
            return False
        fields = dict(changes)
        if "tags" in fields:
            fields["tags"] = json.dumps(fields["tags"], ensure_ascii=False)
        journal.update(conn, "issues", issue_id, fields, author=author)
        tokens.claim(conn, token, issue_id)
        return True


def delete_issue(conn, issue_id: str, *, author: str = "") -> None:
    """Tombstone an issue; it stays restorable and its history is kept."""
    with transaction(conn):
        journal.delete(conn, "issues", issue_id, author=author)


def restore_issue(conn, issue_id: str, *, author: str = "") -> None:
    """Bring a deleted issue back."""
    with transaction(conn):
        journal.restore(conn, "issues", issue_id, author=author)


def fts_query(text: str) -> str:
    """User words → an FTS5 query: every word must match, as a word or a word's start."""
    return text_translations.fts_query(text)  # NFC-normalised like the stored text


def _where(filters: dict, today: date, country: str | None = None) -> tuple[list[str], list]:
    clauses, params = ["i.deleted = ?"], [1 if filters.get("deleted") else 0]
    if country is not None:
        clauses.append("i.country = ?")
        params.append(country)
    for name in ("status", "sector", "district", "community"):
        if filters.get(name):
            clauses.append(f"i.{name} = ?")
            params.append(filters[name])
    if filters.get("severity"):
        clauses.append("i.severity = ?")
        params.append(int(filters["severity"]))
    _dashboard_filters(filters, clauses, params)
    if filters.get("overdue"):
        clauses.append("i.commitment_due_on < ?")
        params.append(today.isoformat())
        clauses.append(f"i.status NOT IN ({', '.join('?' for _ in CLOSED_STATUSES)})")
        params.extend(CLOSED_STATUSES)
    # Words in the issue or its translations, or part of a place or official name.
    search, search_params = text_translations.issue_search(filters.get("q") or "")
    if search:
        clauses.append(search)
        params.extend(search_params)
    return clauses, params


#: The conditions of the issue list's filters that the central dashboard links with (the view
#: has checked each value): the same as the dashboard's own (central.dashboard_queries).
DASHBOARD_FILTERS = {
    "country": ("i.country = ?",),
    "org": ("i.org = ?",),
    "from": ("i.created_at >= ?",),
    "to": ("i.created_at < date(?, '+1 day')",),
    "resolved_from": ("i.resolved_on >= ?",),
    "resolved_to": ("i.resolved_on <= ?",),
}


def _dashboard_filters(filters: dict, clauses: list, params: list) -> None:
    for name, (clause,) in DASHBOARD_FILTERS.items():
        if filters.get(name):
            clauses.append(clause)
            params.append(filters[name])
    if filters.get("responded") in ("yes", "no"):
        clauses.append(f"i.first_response_on IS {'NOT ' if filters['responded'] == 'yes' else ''}NULL")
    if filters.get("resolved") == "yes":
        clauses.append("i.resolved_on IS NOT NULL")
    budget = filters.get("budget")
    if budget:
        clauses.append("i.budget_code <> ''")
        if budget != "yes":
            clauses.append("i.budget_currency = ?")
            params.append("" if budget == "-" else budget)


#: Lists count matching issues up to this many past the page shown; beyond, they say
#: "more than ...". An exact count of 100,000 rows costs more than the page itself.
COUNT_LIMIT = 1000


class Total(int):
    """How many issues match: exact, or with ``more`` set, a lower bound (more than this)."""

    more = False


#: Indexes of filters that match a few percent of the issues at most.
NARROW_INDEXES = ("issues_community", "issues_district", "issues_due")


def _index_for(filters: dict, sort: str, country: str | None = None) -> str | None:
    """The index a list should read, so its cost stays bounded without table statistics.

    A narrow filter (a community, a district, overdue commitments: a few percent of the
    issues) reads its own index. Otherwise the index that gives the sort order is read and
    the other filters are checked row by row: a page stops after 25 matches.
    """
    if filters.get("community"):
        return "issues_community"
    if filters.get("district"):
        return "issues_district"
    if filters.get("overdue"):
        return "issues_due"
    if sort in ("updated", "oldest"):
        for name in ("status", "sector", "severity"):
            if filters.get(name):
                return f"issues_{name}"
        # At central, a country team's list reads its own country's slice of the order.
        return "issues_updated" if country is None else "issues_country"
    return {"severity": "issues_severity", "observed": "issues_observed", "title": "issues_title"}[sort]


def list_issues(
    conn,
    filters: dict,
    *,
    sort: str = "updated",
    page: int = 1,
    page_size: int = 25,
    today: date | None = None,
    country: str | None = None,
) -> tuple[list[dict], Total]:
    """One page of issues matching the filters (within ``country`` if given), and how many match.

    The count is exact up to :data:`COUNT_LIMIT` issues past the page's start; above that,
    the returned :class:`Total` has ``more`` set and says "more than" (start + limit).
    """
    clauses, params = _where(filters, today or date.today(), country)
    where = " AND ".join(clauses)
    sort = sort if sort in SORTS else "updated"
    offset = (max(page, 1) - 1) * page_size
    index = _index_for(filters, sort, country or filters.get("country") or None)
    searching = any(".rowid IN" in clause for clause in clauses)

    def count(hint: str) -> int:
        return conn.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM issues i {hint} WHERE {where} LIMIT ? OFFSET ?)",
            [*params, COUNT_LIMIT + 1, offset],
        ).fetchone()[0]

    hint = f"INDEXED BY {index}" if index else ""
    if searching and index not in NARROW_INDEXES:
        # Few matches: look each one up by rowid and sort them. Many: walk the ordered
        # index and keep the matches (dense, so a page is found quickly).
        counted = count("NOT INDEXED")
        if counted <= COUNT_LIMIT:
            hint = "NOT INDEXED"
    else:
        counted = count(hint)
    total = Total(offset + min(counted, COUNT_LIMIT))
    total.more = counted > COUNT_LIMIT
    rows = conn.execute(
        f"SELECT {LIST_COLUMNS} FROM issues i {hint} WHERE {where} ORDER BY {SORTS[sort]} LIMIT ? OFFSET ?",
        [*params, page_size, offset],
    ).fetchall()
    return [dict(r) for r in rows], total


def places(conn, column: str, *, country: str | None = None) -> list[str]:
    """Distinct districts or communities in use (within ``country`` if given), for filter choices.

    Hops from one value to the next through the column's index (a few reads per place)
    rather than reading every issue.
    """
    assert column in {"district", "community"}
    if country is not None:
        # At central: the same hops through (deleted, country, place), made by central.prepare.
        rows = conn.execute(
            f"""
            WITH RECURSIVE found (value) AS (
                SELECT (SELECT MIN({column}) FROM issues
                        WHERE deleted = 0 AND country = :country AND {column} > '')
                UNION ALL
                SELECT (SELECT MIN({column}) FROM issues
                        WHERE deleted = 0 AND country = :country AND {column} > found.value)
                FROM found WHERE found.value IS NOT NULL LIMIT 501
            )
            SELECT value FROM found WHERE value IS NOT NULL LIMIT 500
            """,
            {"country": country},
        ).fetchall()
        return [r[0] for r in rows]
    rows = conn.execute(
        f"""
        WITH RECURSIVE found (value) AS (
            SELECT (SELECT MIN({column}) FROM issues INDEXED BY issues_{column}
                    WHERE deleted = 0 AND {column} > '')
            UNION ALL
            SELECT (SELECT MIN({column}) FROM issues INDEXED BY issues_{column}
                    WHERE deleted = 0 AND {column} > found.value)
            FROM found WHERE found.value IS NOT NULL LIMIT 501
        )
        SELECT value FROM found WHERE value IS NOT NULL LIMIT 500
        """
    ).fetchall()
    return [r[0] for r in rows]


def attention(
    conn, *, today: date, no_response_days: int, limit: int = 10, country: str | None = None
) -> dict:
    """What needs following up (within ``country`` if given): commitments past due, open issues
    with no response for N days, and the latest changes."""
    closed = ", ".join("?" for _ in CLOSED_STATUSES)
    scope, scope_params = in_country("i", country)
    by_update = "issues_updated" if country is None else "issues_country"
    overdue = conn.execute(
        f"SELECT {LIST_COLUMNS} FROM issues i INDEXED BY issues_due "
        f"WHERE i.deleted = 0 AND i.commitment_due_on < ?{scope} "
        f"AND i.status NOT IN ({closed}) ORDER BY i.commitment_due_on LIMIT ?",
        (today.isoformat(), *scope_params, *CLOSED_STATUSES, limit),
    ).fetchall()
    cutoff = (today - timedelta(days=no_response_days)).isoformat()
    silent = conn.execute(
        f"SELECT {LIST_COLUMNS} FROM issues i INDEXED BY {by_update} "
        f"WHERE i.deleted = 0{scope} AND i.status NOT IN ({closed}) "
        "AND COALESCE(i.last_response_on, substr(i.created_at, 1, 10)) < ? "
        "ORDER BY i.updated_at ASC LIMIT ?",
        (*scope_params, *CLOSED_STATUSES, cutoff, limit),
    ).fetchall()
    recent = conn.execute(
        f"SELECT {LIST_COLUMNS} FROM issues i INDEXED BY {by_update} WHERE i.deleted = 0{scope} "
        "ORDER BY i.updated_at DESC LIMIT ?",
        (*scope_params, limit),
    ).fetchall()
    return {
        "overdue": [dict(r) for r in overdue],
        "silent": [dict(r) for r in silent],
        "recent": [dict(r) for r in recent],
    }


def history(conn, table: str, row_id: str) -> list[dict]:
    """Who changed which field and when, read from the ops journal."""
    return journal.ops_for_row(conn, table, row_id)
