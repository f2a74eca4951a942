"""What changed and why: the changes recorded on issues, each with what came before it, and the
reflection sessions' "what changed" and "what we learned".

An *entry* is one of:

- ``event``: a timeline event that changed the issue: the status moved to resolved or
  committed, or a government response with a commitment;
- ``budget``: an issue whose released budget amount went up (``issues.budget_released_on``,
  derived by a trigger);
- ``meeting``: a meeting whose "what changed" or "what we learned" is written.

Entries are listed newest first, a page at a time, from three partial indexes (migration
``m21_learning``) merged in order: a page reads about as many index entries as it shows, whatever
the number of issues. The WHERE terms below repeat the indexes' own, word for word, or SQLite
would not use them. Each entry shown then gets its context (:func:`context`) by its issue's or
meeting's own index.
"""

from __future__ import annotations

from . import text_translations

#: The partial indexes' conditions, as the queries must spell them.
CHANGE_EVENT = (
    "e.deleted = 0 AND (e.kind = 'status' AND e.status IN ('resolved', 'committed') "
    "OR e.kind = 'response' AND e.commitment > '')"
)
RELEASED = "i.budget_released_on IS NOT NULL"
REFLECTED = "m.deleted = 0 AND (m.what_changed > '' OR m.what_learned > '')"

SOURCES = ("event", "budget", "meeting")
REFLECTION_FIELDS = ("what_changed", "what_learned")
PAGE_SIZE = 20


def _meeting_words(text: str) -> tuple[str, list]:
    """SQL for the rowids of the meetings whose text (or a translation) has the words."""
    query = text_translations.fts_query(text)
    return (
        "SELECT rowid FROM meetings_fts WHERE meetings_fts MATCH ? "
        f"UNION {text_translations.translated_rowids('meetings')}"
    ), [query, query]


#: Below this many issues matching the words, a search starts from those issues' events.
FEW_ISSUES = 500


def _few_issues(conn, query: str) -> bool:
    """Whether the words are in few issues (by the issues' own full-text index, stopping early:
    only the way the search goes depends on it, never what it finds)."""
    found = conn.execute(
        "SELECT COUNT(*) FROM (SELECT rowid FROM issues_fts WHERE issues_fts MATCH ? LIMIT ?)",
        (query, FEW_ISSUES + 1),
    ).fetchone()[0]
    return found <= FEW_ISSUES


def _issue_words(text: str) -> tuple[str, list]:
    """The SELECT of the rowids of the issues whose text, translation or names have the words."""
    clause, params = text_translations.issue_search(text, alias="w")
    prefix = "w.rowid IN ("
    assert clause.startswith(prefix) and clause.endswith(")")
    return clause[len(prefix) : -1], params


def entries(
    conn, filters: dict, *, country: str | None = None, page: int = 1, page_size: int = PAGE_SIZE
) -> tuple[list[dict], bool]:
    """One page of entries within ``country`` (None: every country), newest first, and whether
    another page follows. ``filters``: country, org, sector, since, until (ISO dates), q."""
    if filters.get("country"):
        if country is not None and filters["country"] != country:
            return [], False
        country = filters["country"]
    parts = {
        "event": ([CHANGE_EVENT], []),
        "budget": ([RELEASED, "i.deleted = 0"], []),
        "meeting": ([REFLECTED], []),
    }
    columns = {
        "event": ("e", "occurred_on"),
        "budget": ("i", "budget_released_on"),
        "meeting": ("m", "held_on"),
    }
    for source, (alias, day) in columns.items():
        clauses, params = parts[source]
        if country is not None:
            clauses.append(f"{alias}.country = ?")
            params.append(country)
        if filters.get("org"):
            clauses.append(f"{alias}.org = ?")
            params.append(filters["org"])
        if filters.get("since"):
            clauses.append(f"{alias}.{day} >= ?")
            params.append(filters["since"])
        if filters.get("until"):
            clauses.append(f"{alias}.{day} <= ?")
            params.append(filters["until"])
    # The issue of a change must exist (not deleted), and match the sector and the words. A
    # change matches by its issue's words, a reflection by its meeting's: rowid lists straight
    # from the full-text indexes, so a word found in thousands of records costs little.
    issue_terms, issue_params = ["s.deleted = 0"], []
    sector = filters.get("sector")
    if sector:
        issue_terms.append("s.sector = ?")
        issue_params.append(sector)
        parts["budget"][0].append("i.sector = ?")
        parts["budget"][1].append(sector)
        # A reflection counts for a sector through the issues it discussed.
        parts["meeting"][0].append(
            "EXISTS (SELECT 1 FROM meeting_issues l JOIN issues x ON x.id = l.issue_id "
            "WHERE l.meeting_id = m.id AND l.deleted = 0 AND x.sector = ?)"
        )
        parts["meeting"][1].append(sector)
    query = text_translations.fts_query(filters.get("q") or "")
    words, words_params = "", []
    event_index = "INDEXED BY issue_events_changes"
    if query:
        # Each list of matching rowids is made once (a materialised CTE), then looked up by the arms.
        issue_rowids, issue_words_params = _issue_words(filters["q"])
        meeting_rowids, meeting_params = _meeting_words(filters["q"])
        words = (
            f"WITH issue_words (rowid) AS MATERIALIZED ({issue_rowids}), "
            f"meeting_words (rowid) AS MATERIALIZED ({meeting_rowids}) "
        )
        words_params = [*issue_words_params, *meeting_params]
        issue_terms.append("s.rowid IN (SELECT rowid FROM issue_words)")
        parts["budget"][0].append("i.rowid IN (SELECT rowid FROM issue_words)")
        parts["meeting"][0].append("m.rowid IN (SELECT rowid FROM meeting_words)")
        if _few_issues(conn, query):
            # Words found in few issues: start from their events rather than walk every change.
            event_index = ""
    if not event_index:
        parts["event"][0].append(
            f"e.issue_id IN (SELECT s.id FROM issues s WHERE {' AND '.join(issue_terms)})"
        )
    else:
        parts["event"][0].append(
            f"EXISTS (SELECT 1 FROM issues s WHERE s.id = e.issue_id AND {' AND '.join(issue_terms)})"
        )
    parts["event"][1].extend(issue_params)
    sql = words + (
        "SELECT 'event' AS source, e.id AS id, e.occurred_on AS day, e.country AS country, e.org AS org "
        f"FROM issue_events e {event_index} WHERE {' AND '.join(parts['event'][0])} "
        "UNION ALL "
        "SELECT 'budget', i.id, i.budget_released_on, i.country, i.org "
        f"FROM issues i INDEXED BY issues_released WHERE {' AND '.join(parts['budget'][0])} "
        "UNION ALL "
        "SELECT 'meeting', m.id, m.held_on, m.country, m.org "
        f"FROM meetings m INDEXED BY meetings_reflected WHERE {' AND '.join(parts['meeting'][0])} "
        "ORDER BY day DESC LIMIT ? OFFSET ?"
    )
    params = [*words_params, *parts["event"][1], *parts["budget"][1], *parts["meeting"][1]]
    rows = conn.execute(sql, [*params, page_size + 1, (max(page, 1) - 1) * page_size]).fetchall()
    found = [dict(zip(("source", "id", "day", "country", "org"), r, strict=True)) for r in rows]
    return found[:page_size], len(found) > page_size


def entry(conn, source: str, record_id: str, *, country: str | None = None) -> dict | None:
    """One entry by its source and record id, if it is listed and within ``country``."""
    scope, params = ("", []) if country is None else (" AND {a}.country = ?", [country])
    if source == "event":
        sql = (
            "SELECT e.id, e.occurred_on, e.country, e.org FROM issue_events e "
            f"JOIN issues x ON x.id = e.issue_id AND x.deleted = 0 WHERE e.id = ? AND {CHANGE_EVENT}"
        ) + scope.format(a="e")
    elif source == "budget":
        sql = (
            "SELECT i.id, i.budget_released_on, i.country, i.org FROM issues i "
            f"WHERE i.id = ? AND {RELEASED} AND i.deleted = 0"
        ) + scope.format(a="i")
    elif source == "meeting":
        sql = f"SELECT m.id, m.held_on, m.country, m.org FROM meetings m WHERE m.id = ? AND {REFLECTED}" + (
            scope.format(a="m")
        )
    else:
        return None
    row = conn.execute(sql, [record_id, *params]).fetchone()
    if row is None:
        return None
    return {"source": source, "id": row[0], "day": row[1], "country": row[2], "org": row[3]}


def _translations(conn, table: str, ids: list[str], fields: tuple[str, ...]) -> dict:
    """{(record_id, field): [translation, ...]} of the records' live translations."""
    if not ids:
        return {}
    rows = conn.execute(
        f"SELECT record_id, field, language, text FROM text_translations "
        f"WHERE record_table = ? AND deleted = 0 AND record_id IN ({', '.join('?' for _ in ids)}) "
        f"AND field IN ({', '.join('?' for _ in fields)}) ORDER BY language, created_at",
        [table, *ids, *fields],
    ).fetchall()
    found: dict = {}
    for record_id, field, language, text in rows:
        found.setdefault((record_id, field), []).append({"language": language, "text": text})
    return found


def _issue(conn, issue_id: str) -> dict | None:
    row = conn.execute(
        "SELECT id, ref, title, language, sector, status, country, org, community, district, "
        "budget_year, budget_code, budget_description, budget_allocated, budget_released, budget_spent, "
        "budget_currency, budget_released_on FROM issues WHERE id = ?",
        (issue_id,),
    ).fetchone()
    return dict(row) if row else None


def _reflections(conn, meetings: list[dict]) -> None:
    """Give each meeting its reflection texts' translations (``translations[field]``)."""
    found = _translations(conn, "meetings", [m["id"] for m in meetings], REFLECTION_FIELDS)
    for meeting in meetings:
        meeting["translations"] = {f: found.get((meeting["id"], f), []) for f in REFLECTION_FIELDS}


def context(conn, found: list[dict], *, country: str | None = None) -> list[dict]:
    """The entries with what a reader needs: the change itself and what came before it.

    A change gets its issue, the event (or the budget figures), and before it (on or before its
    day): the meetings where the issue was discussed (with their reflections and translations),
    the government responses and the follow-up visits. A reflection gets its meeting and the
    issues it discussed.
    """
    scope_m, scope_params = ("", []) if country is None else (" AND m.country = ?", [country])
    shown = []
    for item in found:
        item = dict(item)
        if item["source"] == "meeting":
            row = conn.execute(
                "SELECT id, ref, title, kind, held_on, language, what_changed, what_learned, org "
                "FROM meetings WHERE id = ?",
                (item["id"],),
            ).fetchone()
            item["meeting"] = dict(row)
            _reflections(conn, [item["meeting"]])
            item["issues"] = [
                dict(r)
                for r in conn.execute(
                    "SELECT l.outcome, i.id, i.ref, i.title, i.language, i.status FROM meeting_issues l "
                    "JOIN issues i ON i.id = l.issue_id WHERE l.meeting_id = ? AND l.deleted = 0 "
                    "AND i.deleted = 0 AND i.country = ? ORDER BY l.created_at",
                    (item["id"], item["country"]),
                ).fetchall()
            ]
            item["change"] = "reflected"
            shown.append(item)
            continue
        if item["source"] == "event":
            event = dict(conn.execute("SELECT * FROM issue_events WHERE id = ?", (item["id"],)).fetchone())
            item["event"] = event
            item["change"] = (
                "resolved" if event["kind"] == "status" and event["status"] == "resolved" else "committed"
            )
            issue_id = event["issue_id"]
        else:
            issue_id = item["id"]
            item["change"] = "released"
        item["issue"] = _issue(conn, issue_id)
        item["issue"]["translations"] = _translations(conn, "issues", [issue_id], ("title",)).get(
            (issue_id, "title"), []
        )
        meetings = [
            dict(r)
            for r in conn.execute(
                "SELECT l.outcome, m.id, m.ref, m.title, m.kind, m.held_on, m.language, m.what_changed, "
                "m.what_learned FROM meeting_issues l INDEXED BY meeting_issues_issue "
                # From the issue's few links to their meetings, never the other way round.
                "CROSS JOIN meetings m ON m.id = l.meeting_id "
                f"WHERE l.issue_id = ? AND l.deleted = 0 AND m.deleted = 0 AND m.held_on <= ?{scope_m} "
                "ORDER BY m.held_on, l.created_at",
                (issue_id, item["day"], *scope_params),
            ).fetchall()
        ]
        _reflections(conn, meetings)
        item["meetings"] = meetings
        item["before"] = [
            dict(r)
            for r in conn.execute(
                "SELECT id, kind, occurred_on, channel, official, said, commitment, due_on, fulfilled, "
                "still_broken, note, language FROM issue_events WHERE issue_id = ? AND deleted = 0 "
                "AND kind IN ('response', 'visit') AND occurred_on <= ? AND id != ? "
                "ORDER BY occurred_on, created_at",
                (issue_id, item["day"], item["id"]),
            ).fetchall()
        ]
        shown.append(item)
    return shown
