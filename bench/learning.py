"""The learning view ("What changed and why") at central scale: p50/p95 of its pages.

    .venv/bin/python bench/learning.py [--issues 100000] [--meetings 20000] [--requests 40] [--keep]
                                       [--data DIR]

The issues and meetings (each linked to one or two issues) are made as ``bench/meetings.py``
makes them and loaded with the real ``fieldkit import`` into a data folder prepared as central.
Then, to have changes to list: a third of the issues get a government response with a
commitment, a sixth are resolved by a status change, a tenth have budget released; reflection
sessions get "what changed" and "what we learned"; records are spread over three partner
organisations per country. These additions are written with SQL (the triggers still run), as
they only feed the pages measured. ``fieldkit central serve`` then answers, over HTTP on
127.0.0.1, the learning view's pages for a Kenya account and an account of every country:
first page, a later page, each filter, a word search. Target: p95 under 200 ms.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sqlite3
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import require_fieldkit  # noqa: E402

require_fieldkit()

from common import (  # noqa: E402
    CSRF,
    Served,
    load_average,
    print_machine,
    print_table,
    run_fieldkit,
    summary_ms,
    timer,
)
from meetings import write_issues, write_meetings  # noqa: E402

from sync.ids import uuid7  # noqa: E402

TARGET_MS = 200
PASSWORD = "bench password 1"


class CentralServed(Served):
    """``fieldkit central serve`` in a subprocess, signed in as one account."""

    def __init__(self, data_dir: Path, port: int, username: str):
        super().__init__(data_dir, port, command=("central", "serve"))
        page = self.http.get("/central/login").text
        token = CSRF.search(page).group(1)
        answer = self.http.post(
            "/central/login", data={"csrf_token": token, "username": username, "password": PASSWORD}
        )
        if answer.status_code != 303:
            raise RuntimeError(f"sign-in as {username} answered {answer.status_code}")


def add_changes(database: Path, rng: random.Random) -> dict[str, int]:
    """Responses with commitments, resolutions, budget releases, reflections, partner orgs."""
    conn = sqlite3.connect(database)
    today = date.today()
    counts = {"commitments": 0, "resolved": 0, "released": 0}
    try:
        with conn:
            conn.execute("UPDATE issues SET org = lower(country) || '-partner-' || (rowid % 3)")
            conn.execute("UPDATE meetings SET org = lower(country) || '-partner-' || (rowid % 3)")
            events = []
            released = []
            for issue_id, country, org, observed in conn.execute(
                "SELECT id, country, org, observed_on FROM issues"
            ).fetchall():
                start = date.fromisoformat(observed)
                roll = rng.random()
                if roll < 1 / 3:
                    day = min(start + timedelta(days=rng.randrange(5, 90)), today)
                    events.append(
                        (
                            uuid7(),
                            f"{day}T09:00:00Z",
                            org,
                            country,
                            issue_id,
                            "response",
                            day.isoformat(),
                            None,
                            "The district office will repair it.",
                            "Repair within a month",
                            "en",
                        )
                    )
                    counts["commitments"] += 1
                if roll < 1 / 6:
                    day = min(start + timedelta(days=rng.randrange(30, 200)), today)
                    events.append(
                        (
                            uuid7(),
                            f"{day}T09:00:00Z",
                            org,
                            country,
                            issue_id,
                            "status",
                            day.isoformat(),
                            "resolved",
                            "",
                            "",
                            "en",
                        )
                    )
                    counts["resolved"] += 1
                if rng.random() < 0.1:
                    released.append(
                        (
                            str(rng.randint(1, 50) * 10000),
                            (start + timedelta(days=rng.randrange(200))).isoformat(),
                            issue_id,
                        )
                    )
            conn.executemany(
                "INSERT INTO issue_events (id, created_at, org, country, issue_id, kind, occurred_on, status, "
                "said, commitment, language) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                events,
            )
            conn.executemany(
                "UPDATE issues SET budget_released = ?, budget_currency = 'KES', budget_released_on = ? "
                "WHERE id = ?",
                released,
            )
            counts["released"] = len(released)
            conn.execute(
                "UPDATE meetings SET language = 'en', what_changed = 'The county repaired two boreholes "
                "after the social audit.', what_learned = 'Officials answer faster when the budget line is "
                "named.' WHERE kind = 'reflection'"
            )
            counts["reflections"] = conn.execute("SELECT changes()").fetchone()[0]
    finally:
        conn.close()
    return counts


def prepare(data: Path, work: Path, args) -> None:
    from fieldkit import create_app
    from fieldkit.central import accounts
    from fieldkit.db import connect

    rng = random.Random(2026)
    create_app({"DATA_DIR": data, "ROLE": "central"})  # a central data folder, migrated
    ids = write_issues(work / "issues.csv", args.issues, rng)
    write_meetings(work / "meetings.jsonl", args.meetings, ids, rng)
    for name in ("issues.csv", "meetings.jsonl"):
        with timer() as elapsed:
            out = run_fieldkit(data, "import", str(work / name))
        print(f"fieldkit import {name}: {out.stdout.strip()} in {elapsed():.1f} s", flush=True)
    print(f"Added: {add_changes(data / 'fieldkit.db', rng)}", flush=True)
    conn = connect(str(data / "fieldkit.db"))
    try:
        accounts.add_user(conn, "kenya", PASSWORD, country="KE", role="member")
        accounts.add_user(conn, "everyone", PASSWORD, country="*", role="admin")
    finally:
        conn.close()


PAGES = {
    "kenya": {
        "/central/learning/": "First page, a Kenya account",
        "/central/learning/?page=10": "Page 10",
        "/central/learning/?sector=health": "Filtered by sector",
        "/central/learning/?org=ke-partner-1": "Filtered by partner organisation",
        "/central/learning/?since=2025-06-01&until=2025-06-30": "Filtered by a month",
        "/central/learning/?q=clinic": "Word search (clinic)",
        "/central/learning/?q=budget+line&sector=water": "Words of a reflection, and a sector",
    },
    "everyone": {
        "/central/learning/": "First page, every country",
        "/central/learning/?country=GH": "Filtered by country (Ghana)",
    },
}


def measure(data: Path, requests: int) -> list[tuple[str, str, str]]:
    from fieldkit.server import free_port

    rows = [("Learning view (HTTP, signed in)", "p50 / p95", "Target")]
    print(f"Load average before: {load_average()}", flush=True)
    worst = 0.0
    for account, pages in PAGES.items():
        with CentralServed(data, free_port(), account) as served:
            for path in pages:  # warm up
                served.get(path)
            samples: dict[str, list[float]] = {p: [] for p in pages}
            for _ in range(requests):
                for path in pages:
                    with timer() as elapsed:
                        text = served.get(path).text
                    samples[path].append(elapsed())
            shown = len(re.findall(r'class="card learning-entry', text))
            print(f"{account}: last page showed {shown} entries", flush=True)
        for path, label in pages.items():
            p50, p95 = summary_ms(samples[path])
            worst = max(worst, p95)
            rows.append((label, f"{p50:.0f} / {p95:.0f} ms", f"p95 < {TARGET_MS} ms"))
    print(f"Load average after: {load_average()}", flush=True)
    rows.append(("Worst p95 of these pages", f"{worst:.0f} ms", f"< {TARGET_MS} ms"))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--meetings", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=40, help="Timed requests per page.")
    parser.add_argument("--keep", action="store_true", help="Keep the data folder.")
    parser.add_argument("--data", help="Measure an existing data folder (one kept by --keep) instead.")
    args = parser.parse_args(argv)
    print_machine()
    if args.data:
        print_table(measure(Path(args.data), args.requests))
        return 0
    work = Path(tempfile.mkdtemp(prefix="fieldkit-bench-learning-"))
    try:
        prepare(work / "data", work, args)
        print_table(measure(work / "data", args.requests))
    finally:
        if args.keep:
            print(f"Kept {work / 'data'}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
