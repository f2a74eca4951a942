"""The ops journal is complete: replaying it alone rebuilds exactly the stored rows."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldkit import records  # noqa: F401 - registers the synced tables
from fieldkit.db import connect, transaction
from fieldkit.migrations import migrate
from fieldkit.queries import events, issues
from sync import journal

TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)

edit_values = st.fixed_dictionaries(
    {},
    optional={
        "title": TEXT.filter(bool),
        "description": TEXT,
        "severity": st.integers(1, 4),
        "people_affected": st.none() | st.integers(0, 10_000),
        "lat": st.none() | st.floats(-90, 90),
        "status": st.sampled_from(list(records.STATUSES)),
        "tags": st.lists(TEXT, max_size=3).map(lambda t: json.dumps(t, ensure_ascii=False)),
        "budget_spent": st.none() | st.decimals(0, 10**9, places=2).map(str),
    },
)

actions = st.lists(
    st.one_of(
        st.tuples(st.just("create"), TEXT.filter(bool)),
        st.tuples(st.just("edit"), st.integers(0, 20), edit_values),
        st.tuples(st.just("delete"), st.integers(0, 20)),
        st.tuples(st.just("restore"), st.integers(0, 20)),
        st.tuples(st.just("event"), st.integers(0, 20), st.booleans()),
        st.tuples(st.just("fulfil"), st.integers(0, 20), st.booleans()),
    ),
    max_size=25,
)


def fresh_db() -> sqlite3.Connection:
    conn = connect(":memory:")
    migrate(conn)
    return conn


def table_rows(conn, table) -> list[tuple]:
    return conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()


def run(conn, steps) -> None:
    ids: list[str] = []
    event_ids: list[str] = []
    for step in steps:
        kind = step[0]
        if kind == "create":
            ids.append(
                issues.create_issue(conn, {"title": step[1], "sector": "water", "country": "KE"}, author="a")
            )
        elif not ids:
            continue
        elif kind == "edit":
            with transaction(conn):
                journal.update(conn, "issues", ids[step[1] % len(ids)], step[2], author="b")
        elif kind == "delete":
            issues.delete_issue(conn, ids[step[1] % len(ids)])
        elif kind == "restore":
            issues.restore_issue(conn, ids[step[1] % len(ids)])
        elif kind == "event":
            issue = issues.get_issue(conn, ids[step[1] % len(ids)])
            event_ids.append(
                events.add_event(
                    conn,
                    issue,
                    {
                        "kind": "response",
                        "occurred_on": date.today().isoformat(),
                        "said": "ok",
                        "commitment": "fix" if step[2] else "",
                        "due_on": "2026-01-01" if step[2] else None,
                        "fulfilled": 0,
                    },
                )
            )
        elif kind == "fulfil" and event_ids:
            events.set_fulfilled(conn, event_ids[step[1] % len(event_ids)], step[2])


def replay(source) -> sqlite3.Connection:
    target = fresh_db()
    with transaction(target):
        for table, row_id, kind, fields, hlc in source.execute(
            "SELECT tbl, row_id, kind, fields, hlc FROM sync_ops ORDER BY dseq"
        ):
            journal.apply_fields(target, table, row_id, kind, json.loads(fields), hlc)
    return target


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions)
def test_any_sequence_of_edits_replays_to_exactly_the_stored_rows(steps):
    conn = fresh_db()
    run(conn, steps)
    rebuilt = replay(conn)
    for table in records.SYNCED_TABLES:
        assert table_rows(rebuilt, table) == table_rows(conn, table), table


@settings(max_examples=30, deadline=None)
@given(actions)
def test_device_sequence_is_gapless_and_every_base_dot_names_a_real_op(steps):
    conn = fresh_db()
    run(conn, steps)
    dseqs = [r[0] for r in conn.execute("SELECT dseq FROM sync_ops ORDER BY dseq")]
    assert dseqs == list(range(1, len(dseqs) + 1))
    dots = {
        journal.dot_of({"*": f"{d}:{s}"}, "*")
        for d, s in conn.execute("SELECT device_id, dseq FROM sync_ops")
    }
    for (base,) in conn.execute("SELECT base FROM sync_ops"):
        for dot in json.loads(base).values():
            assert dot in dots


def test_a_failed_write_leaves_neither_row_nor_op():
    conn = fresh_db()
    try:
        with transaction(conn):
            issues.create_issue(conn, {"title": "x", "sector": "water", "country": "KE"})
            raise RuntimeError("power cut")
    except RuntimeError:
        pass
    assert conn.execute("SELECT COUNT(*) FROM issues").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM sync_ops").fetchone()[0] == 0
    assert journal.replica_value(conn, "dseq") == "0"
