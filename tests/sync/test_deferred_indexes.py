"""An initial pull builds a table's plain indexes once per page instead of row by row: after
every committed page the schema is exactly as before and lookups through the indexes find
every row; a page that fails leaves the indexes as they were."""

from __future__ import annotations

import pytest

from fieldkit.db import transaction
from sync import merge, server
from sync.bulk import deferred_indexes

from .replicas import central, fresh, new_issue, peer, push_all


def schema(conn) -> set[tuple]:
    return set(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))


def test_each_page_of_a_first_pull_commits_with_every_index_and_row_findable():
    hub, a, b = central(), fresh(), fresh()
    rows = [new_issue(a, f"Issue {n}", community=f"Place {n % 7}") for n in range(150)]
    push_all(a, hub)
    before = schema(b)
    cursor, pages = 0, 0
    while True:
        answer = server.pull(hub, peer(b), cursor, 60)
        with transaction(b):
            merge.apply_batch(b, answer["ops"])
        pages += 1
        cursor = answer["cursor"]
        assert schema(b) == before
        assert b.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        got = b.execute(
            "SELECT COUNT(*) FROM issues INDEXED BY issues_community WHERE deleted = 0"
        ).fetchone()
        assert got[0] == min(60 * pages, len(rows))
        if not answer["more"]:
            break
    assert pages == 3
    place = {r[0] for r in b.execute("SELECT id FROM issues WHERE deleted = 0 AND community = 'Place 3'")}
    assert place == {row for n, row in enumerate(rows) if n % 7 == 3}


def test_a_failed_page_keeps_the_indexes():
    b = fresh()
    before = schema(b)
    with pytest.raises(RuntimeError), transaction(b):
        with deferred_indexes(b, "issues", 100):
            assert schema(b) != before  # dropped while the rows go in
            raise RuntimeError("page failed")
    assert schema(b) == before
    new_issue(b, "After the failure")
    assert b.execute("SELECT COUNT(*) FROM issues").fetchone()[0] == 1


def test_a_table_with_more_rows_than_the_page_keeps_its_indexes():
    b = fresh()
    for n in range(3):
        new_issue(b, f"Local {n}")
    before = schema(b)
    with transaction(b), deferred_indexes(b, "issues", 2):
        assert schema(b) == before
