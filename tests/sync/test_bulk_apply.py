"""A page of remote ops is applied in bulk (new rows written together, indexed for search in
one statement): search finds what arrived by push and pull at once, and the result is exactly
that of applying the ops one by one."""

from __future__ import annotations

import random

from fieldkit.db import transaction
from fieldkit.queries.issues import list_issues
from sync import journal, merge, server
from sync.ids import uuid7

from .replicas import ORG, central, edit, fresh, new_issue, own_ops, peer, push_all, snapshot


def pull_in_pages(device, hub, page=500) -> int:
    """Pull as the sync client does: each page merged with ``merge.apply_batch``."""
    got = 0
    while True:
        cursor = int(journal.replica_value(device, "pull_cursor", "0") or 0)
        answer = server.pull(hub, peer(device), cursor, page)
        with transaction(device):
            got += merge.apply_batch(device, answer["ops"])
            journal.set_replica_value(device, "pull_cursor", str(answer["cursor"]))
        if not answer["more"]:
            return got


def searched(conn, words: str) -> set[str]:
    rows, _total = list_issues(conn, {"q": words}, page_size=1000)
    return {row["id"] for row in rows}


def meetings_matching(conn, words: str) -> set[str]:
    return {
        r[0]
        for r in conn.execute(
            "SELECT id FROM meetings WHERE rowid IN (SELECT rowid FROM meetings_fts WHERE meetings_fts MATCH ?)",
            (words,),
        )
    }


def translation(conn, issue_id: str, text: str, *, deleted: int = 0) -> str:
    row_id = uuid7()
    with transaction(conn):
        journal.create(
            conn,
            "text_translations",
            {
                "id": row_id,
                "created_at": "2026-03-02T10:00:00Z",
                "org": ORG,
                "country": "KE",
                "record_table": "issues",
                "record_id": issue_id,
                "field": "title",
                "language": "en",
                "text": text,
                "deleted": deleted,
            },
        )
    return row_id


def meeting(conn, notes: str) -> str:
    row_id = uuid7()
    with transaction(conn):
        journal.create(
            conn,
            "meetings",
            {
                "id": row_id,
                "created_at": "2026-03-02T10:00:00Z",
                "org": ORG,
                "country": "KE",
                "ref": f"KE-M-{row_id[-4:]}",
                "title": "Ward meeting",
                "kind": "community",
                "held_on": "2026-03-02",
                "notes": notes,
            },
        )
    return row_id


def test_search_finds_records_that_arrived_by_push_and_by_pull():
    hub, a, b = central(), fresh(), fresh()
    filler = [new_issue(a, f"Filler issue {n}", community=f"Village {n}") for n in range(120)]
    pump = new_issue(a, "Kisima kilichovunjika", community="Kolwa", description="maji hakuna")
    translated = new_issue(a, "Bomba limeharibika")
    translation(a, translated, "Standpipe damaged")
    gone = translation(a, filler[0], "Withdrawn wording", deleted=1)
    more = [new_issue(a, f"Later issue {n}") for n in range(60)]
    met = meeting(a, "Handpump committee agreed repairs")

    push_all(a, hub)
    assert pull_in_pages(b, hub) == len(own_ops(a))

    for conn in (a, hub, b):
        assert searched(conn, "kilichovunjika") == {pump}
        assert searched(conn, "maji") == {pump}
        assert searched(conn, "olw") == {pump}  # part of a name, by trigram
        assert searched(conn, "standpipe") == {translated}
        assert searched(conn, "withdrawn") == set()  # a deleted translation is not indexed
        assert len(searched(conn, "filler")) == len(filler)
        assert len(searched(conn, "later")) == len(more)
        assert meetings_matching(conn, "handpump") == {met}
    assert b.execute("SELECT deleted FROM text_translations WHERE id = ?", (gone,)).fetchone()[0] == 1

    # The indexing triggers are back: a local edit and a later pulled create are searchable.
    edit(b, pump, title="Kisima kimerekebishwa")
    assert searched(b, "kimerekebishwa") == {pump}
    assert searched(b, "kilichovunjika") == set()
    late = new_issue(a, "Daraja limebomoka")
    push_all(a, hub)
    pull_in_pages(b, hub)
    assert searched(b, "limebomoka") == searched(hub, "limebomoka") == {late}
    names = {r[0] for r in b.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"issues_fts_insert", "issues_names_insert", "text_translations_fts_insert"} <= names


def test_a_page_in_bulk_ends_exactly_as_op_by_op():
    hub, a, c = central(), fresh(), fresh()
    rows = [new_issue(a, f"Issue {n}", community=f"Place {n}") for n in range(80)]
    for row in rows[:10]:
        edit(a, row, title=f"Edited {row[-4:]}", status="verified")
    push_all(a, hub)
    pull_in_pages(c, hub)
    for row in rows[5:10]:
        edit(a, row, title=f"A {row[-4:]}")
    for row in rows[5:15]:
        edit(c, row, title=f"C {row[-4:]}")  # concurrent with a's second edits of 5..9: conflicts
    push_all(a, hub)
    rows += [new_issue(c, f"From c {n}") for n in range(60)]
    translation(c, rows[3], "Translated words")
    meeting(c, "Notes of the meeting")
    push_all(c, hub)
    page = server.pull(hub, peer(fresh()), 0, 5000)["ops"]
    assert len(page) == len(own_ops(a)) + len(own_ops(c))

    orders = [page, page + page[:7]]  # in order, and with ops repeated
    shuffled = list(page)
    random.Random(6).shuffle(shuffled)  # edits before their creates, creates of rows seen
    orders.append(shuffled)
    for ops in orders:
        bulk, single = fresh(), fresh()
        with transaction(bulk):
            counted = merge.apply_batch(bulk, [dict(op) for op in ops])
        with transaction(single):
            expected = sum(merge.apply_remote(single, dict(op)) for op in ops)
        assert counted == expected == len(page)
        assert snapshot(bulk) == snapshot(single)
        assert (
            bulk.execute("SELECT * FROM sync_ops ORDER BY device_id, dseq").fetchall()
            == single.execute("SELECT * FROM sync_ops ORDER BY device_id, dseq").fetchall()
        )
        for words in ("issue", "edited", "translated", "place", "from"):
            assert searched(bulk, words) == searched(single, words)
        assert meetings_matching(bulk, "notes") == meetings_matching(single, "notes")
        assert merge.count_conflicts(bulk) == merge.count_conflicts(single) == 5
