"""Issue lists stay cheap as the database grows: counts are capped, every filter and sort
reads an index in the list's order, and place choices come from index hops."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from fieldkit import create_app
from fieldkit.db import connect, transaction
from fieldkit.queries import issues as queries

DISTRICTS = {"Mbour": ["Joal", "Saly"], "Lucknow": ["Dewa"], "Nyando": ["Ahero", "Awasi"]}


@pytest.fixture(scope="module")
def many_app(tmp_path_factory):
    """An app whose database holds 1,050 issues spread over districts, communities, sectors,
    statuses and severities (built once for the module: the tests only read it)."""
    app = create_app({"DATA_DIR": tmp_path_factory.mktemp("many"), "TESTING": True, "COUNTRY": "SN"})
    places = [(d, c) for d, communities in DISTRICTS.items() for c in communities]
    statuses = ["reported", "verified", "raised", "resolved"]
    conn = connect(app.config["DATABASE"])
    with transaction(conn):
        for n in range(1050):
            district, community = places[n % len(places)]
            queries.create_issue(
                conn,
                {
                    "title": f"Forage en panne n°{n}" if n % 10 == 0 else f"Borehole broken {n}",
                    "sector": "health" if n % 3 == 0 else "water",
                    "status": statuses[n % 4],
                    "severity": 1 + n % 4,
                    "country": "SN",
                    "district": district,
                    "community": community,
                    "observed_on": "2026-01-01",
                },
            )
    conn.close()
    return app


@pytest.fixture
def many(many_app):
    conn = connect(many_app.config["DATABASE"])
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


def plan(db, filters, sort="updated"):
    """The query plan of a list page, as SQLite explains it."""
    clauses, params = queries._where(filters, date.today())
    index = queries._index_for(filters, sort)
    sql = (
        f"SELECT {queries.LIST_COLUMNS} FROM issues i INDEXED BY {index} "
        f"WHERE {' AND '.join(clauses)} ORDER BY {queries.SORTS[sort]} LIMIT 25"
    )
    return " / ".join(r[3] for r in db.execute(f"EXPLAIN QUERY PLAN {sql}", params))


def test_counts_stop_at_the_limit_and_say_more(many):
    rows, total = queries.list_issues(many, {})
    assert len(rows) == 25 and total.more and total == queries.COUNT_LIMIT
    rows, total = queries.list_issues(many, {"district": "Lucknow"})
    assert total == 210 and not total.more
    # Further pages count from where they start, so "next" is always right.
    rows, total = queries.list_issues(many, {}, page=2)
    assert total == 25 + queries.COUNT_LIMIT and total.more
    rows, total = queries.list_issues(many, {}, page=3)
    assert total == 1050 and not total.more
    rows, total = queries.list_issues(many, {}, page=42)
    assert total == 1050 and not total.more and len(rows) == 25


def test_search_counts_exactly_when_few_match(many):
    rows, total = queries.list_issues(many, {"q": "forage"})
    assert total == 105 and not total.more
    assert all(r["title"].startswith("Forage") for r in rows)
    rows, total = queries.list_issues(many, {"q": "borehole"})
    assert total == 945 and all(r["title"].startswith("Borehole") for r in rows)
    rows, total = queries.list_issues(many, {"q": "SN"})  # every reference starts SN-
    assert total.more and len(rows) == 25
    rows, total = queries.list_issues(many, {"q": "forage", "district": "Mbour"})
    assert total == 105 and {r["community"] for r in rows} == {"Joal"}


@pytest.mark.parametrize(
    "filters, sort",
    [
        ({}, "updated"),
        ({}, "oldest"),
        ({}, "severity"),
        ({}, "observed"),
        ({}, "title"),
        ({"status": "raised"}, "updated"),
        ({"sector": "health"}, "updated"),
        ({"severity": "4"}, "updated"),
        ({"district": "Mbour"}, "updated"),
        ({"community": "Joal"}, "oldest"),
        ({"status": "raised", "sector": "water"}, "updated"),
    ],
)
def test_each_list_reads_an_index_in_its_order(many, filters, sort):
    explained = plan(many, filters, sort)
    assert "USING INDEX" in explained or "USING COVERING INDEX" in explained
    assert "TEMP B-TREE" not in explained, explained


def test_lists_are_in_the_requested_order(many):
    rows, _ = queries.list_issues(many, {"status": "raised"}, sort="severity")
    severities = [r["severity"] for r in rows]
    assert severities == sorted(severities, reverse=True) and {r["status"] for r in rows} == {"raised"}
    rows, _ = queries.list_issues(many, {}, sort="title")
    titles = [r["title"].lower() for r in rows]
    assert titles == sorted(titles)


def test_places_lists_each_district_and_community_once_in_order(many):
    assert queries.places(many, "district") == sorted(DISTRICTS)
    assert queries.places(many, "community") == sorted(c for cs in DISTRICTS.values() for c in cs)


def test_the_list_page_says_more_than_and_pages_on(many_app):
    client = many_app.test_client()
    page = client.get("/issues/").get_data(as_text=True)
    assert "More than 1,000 issues" in page
    assert "Page 1<" in page and 'rel="next"' in page
    page = client.get("/issues/?district=Lucknow").get_data(as_text=True)
    assert "210 issues" in page and "Page 1 of 9" in page
