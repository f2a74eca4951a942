"""Meetings at scale: the meeting list and the home page's due action items, p50/p95.

    .venv/bin/python bench/meetings.py [--meetings 20000] [--issues 100000] [--actions-per-meeting 3]
                             [--requests 100] [--keep]

Builds a data folder the way a user would: issues, meetings (each linked to one or two issues)
and action items (due dates spread over the past year and the coming two months, most old
ones done or dropped, a backlog still open) are written as files and loaded with the real
``fieldkit import`` (so every row is journaled). Then ``fieldkit serve`` runs and, over HTTP on
127.0.0.1, the pages a facilitator opens are timed: the meeting list (first page, a deep page,
filtered by type, searched), the home page with its overdue / due-this-week list, the combined
search and one meeting's minutes. The two queries behind the targets are also timed alone.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
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
    Served,
    load_average,
    print_machine,
    print_table,
    run_fieldkit,
    summary_ms,
    timer,
)

from sync.ids import uuid7  # noqa: E402

TARGET_MS = 50
PLACES = [
    ("KE", "Kolwa", "Kisumu East"),
    ("KE", "Ahero", "Nyando"),
    ("GH", "Besease", "Ejisu"),
    ("IN", "Malihabad", "Lucknow"),
    ("ID", "Oesao", "Kupang"),
    ("SN", "Joal", "Mbour"),
    ("ZA", "Imbali", "uMgungundlovu"),
]
SECTORS = ["water", "sanitation", "health", "education", "roads", "electricity", "housing", "grants", "waste"]
PROBLEMS = {
    "water": "Borehole broken, people walk three kilometres to the river",
    "sanitation": "School latrines collapsed after the rains",
    "health": "Clinic without malaria drugs for two weeks",
    "education": "Classroom roof leaking, pupils sent home",
    "roads": "Bridge washed away, no way to the market",
    "electricity": "Transformer burnt, village without power",
    "housing": "Resettlement houses never finished",
    "grants": "Old-age grant not paid since March",
    "waste": "Rubbish not collected for a month",
}
TYPES = ["community", "social_audit", "budget_hearing", "dialogue", "reflection", "training", "other"]
OWNERS = [("community", "Water committee"), ("partner", "Akinyi Otieno"), ("official", "Ward administrator")]


def write_issues(path: Path, count: int, rng: random.Random) -> list[str]:
    ids = []
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "id",
                "created_at",
                "title",
                "sector",
                "country",
                "district",
                "community",
                "observed_on",
                "description",
            ]
        )
        for n in range(count):
            country, community, district = rng.choice(PLACES)
            sector = rng.choice(SECTORS)
            issue_id = uuid7()
            ids.append(issue_id)
            observed = date(2025, 1, 1) + timedelta(days=rng.randrange(600))
            # Recorded over the past two years (so the home page's lists look as they do in use).
            recorded = min(observed + timedelta(days=rng.randrange(30)), date.today())
            writer.writerow(
                [
                    issue_id,
                    f"{recorded.isoformat()}T10:00:00Z",
                    f"{PROBLEMS[sector]} ({community} {n})",
                    sector,
                    country,
                    district,
                    community,
                    observed.isoformat(),
                    f"Reported at a community meeting in {community}.",
                ]
            )
    return ids


def write_meetings(path: Path, count: int, issue_ids: list[str], rng: random.Random) -> list[tuple[str, str]]:
    meetings = []
    with path.open("w", encoding="utf-8") as handle:
        for n in range(count):
            country, community, district = rng.choice(PLACES)
            kind = rng.choice(TYPES)
            held = date.today() - timedelta(days=rng.randrange(900))
            total = rng.randrange(10, 200)
            women = rng.randrange(0, total + 1)
            men = rng.randrange(0, total - women + 1)
            meeting_id = uuid7()
            meetings.append((meeting_id, held.isoformat()))
            links = [
                {
                    "issue_id": i,
                    "outcome": rng.choice(["discussed", "raised", "commitment", "progress"]),
                    "note": "Officials promised a visit.",
                }
                for i in rng.sample(issue_ids, rng.choice([1, 2]))
            ]
            row = {
                "id": meeting_id,
                "title": f"{kind.replace('_', ' ').title()} in {community} #{n}",
                "meeting_type": kind,
                "held_on": held.isoformat(),
                "starts_at": "10:00",
                "ends_at": "12:00",
                "country": country,
                "place": f"{community}, {district}",
                "facilitator": "Akinyi Otieno",
                "attendance_total": total,
                "attendance_women": women,
                "attendance_men": men,
                "officials": "Jane Achieng, ward administrator",
                "agenda": "1. Water\n2. Clinic\n3. Budget",
                "notes": f"Long discussion about {rng.choice(SECTORS)}. " * 20,
                "decisions": "Write to the county office; follow up in a month.",
                "issues": links,
            }
            handle.write(json.dumps(row) + "\n")
    return meetings


def write_actions(path: Path, meetings: list[tuple[str, str]], per_meeting: int, rng: random.Random) -> int:
    today = date.today()
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for meeting_id, held_on in meetings:
            for k in range(per_meeting):
                due = date.fromisoformat(held_on) + timedelta(days=rng.randrange(7, 60))
                late = due < today - timedelta(days=14)
                status = rng.choices(["done", "dropped", "open"], [80, 10, 10])[0] if late else "open"
                owner_kind, owner_name = rng.choice(OWNERS)
                row = {
                    "meeting_id": meeting_id,
                    "what": f"Follow up item {k + 1} of the meeting",
                    "owner_kind": owner_kind,
                    "owner_name": owner_name,
                    "due_on": min(due, today + timedelta(days=60)).isoformat(),
                    "status": status,
                    "done_on": (min(due, today)).isoformat() if status == "done" else "",
                }
                handle.write(json.dumps(row) + "\n")
                count += 1
    return count


def time_paths(served: Served, paths: list[str], requests: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {p: [] for p in paths}
    for path in paths:  # warm up each page once
        served.get(path)
    for _ in range(requests):
        for path in paths:
            with timer() as elapsed:
                served.get(path)
            samples[path].append(elapsed())
    return samples


def cpu_per_request(data: Path, paths: list[str], requests: int) -> dict[str, list[float]]:
    """Each request's CPU time in process (same app and database, Flask test client).

    Wall times over HTTP are what a user waits for; CPU times are what a request costs and
    stay meaningful when others load a shared machine.
    """
    import time

    from fieldkit import create_app

    client = create_app({"DATA_DIR": data}).test_client()
    samples: dict[str, list[float]] = {p: [] for p in paths}
    for path in paths:
        client.get(path)
    for _ in range(requests):
        for path in paths:
            start = time.thread_time()
            response = client.get(path)
            samples[path].append(time.thread_time() - start)
            assert response.status_code == 200, path
    return samples


def time_queries(database: Path, requests: int) -> dict[str, list[float]]:
    from fieldkit.queries import actions, meetings

    conn = sqlite3.connect(database)
    conn.row_factory = sqlite3.Row
    samples: dict[str, list[float]] = {"list": [], "due": []}
    try:
        for _ in range(requests):
            with timer() as elapsed:
                meetings.list_meetings(conn, {}, page=1, page_size=25)
            samples["list"].append(elapsed())
            with timer() as elapsed:
                actions.due_soon(conn, today=date.today())
            samples["due"].append(elapsed())
    finally:
        conn.close()
    return samples


def run(args) -> list[tuple[str, str, str]]:

    rng = random.Random(2026)
    work = Path(args.data).parent if args.data else Path(tempfile.mkdtemp(prefix="fieldkit-bench-meetings-"))
    data = Path(args.data) if args.data else work / "data"
    rows = [("Measure", "Figure", "Target")]
    try:
        if args.data:
            return measure(args, data, rows)
        issue_ids = write_issues(work / "issues.csv", args.issues, rng)
        meetings = write_meetings(work / "meetings.jsonl", args.meetings, issue_ids, rng)
        action_count = write_actions(work / "actions.jsonl", meetings, args.actions_per_meeting, rng)
        for name, label in [
            ("issues.csv", f"{args.issues:,} issues"),
            ("meetings.jsonl", f"{args.meetings:,} meetings"),
            ("actions.jsonl", f"{action_count:,} action items"),
        ]:
            with timer() as elapsed:
                out = run_fieldkit(data, "import", str(work / name))
            print(f"fieldkit import {name}: {out.stdout.strip()} in {elapsed():.1f} s", flush=True)
            rows.append((f"Import {label} (`fieldkit import`)", f"{elapsed():.1f} s", ""))
        return measure(args, data, rows)
    finally:
        if args.keep or args.data:
            print(f"Kept {data}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def measure(args, data: Path, rows: list) -> list[tuple[str, str, str]]:
    from fieldkit.server import free_port

    database = data / "fieldkit.db"
    conn = sqlite3.connect(database)
    due = conn.execute(
        "SELECT COUNT(*) FROM meeting_actions WHERE status = 'open' AND due_on <= ?",
        ((date.today() + timedelta(days=7)).isoformat(),),
    ).fetchone()[0]
    some_meeting = conn.execute("SELECT id FROM meetings ORDER BY held_on DESC LIMIT 1").fetchone()[0]
    conn.close()
    print(f"{due:,} open action items are overdue or due within a week", flush=True)
    query = time_queries(database, args.requests)
    for key, label in [
        ("list", "Meeting list query (first page + count)"),
        ("due", "Home overdue / due-this-week query"),
    ]:
        p50, p95 = summary_ms(query[key])
        rows.append((label, f"p50 {p50:.1f} ms, p95 {p95:.1f} ms", f"p95 < {TARGET_MS} ms"))
    pages = {
        "/meetings/": "Meeting list page (HTTP)",
        f"/meetings/?page={args.meetings // 25 // 2}": "Meeting list, a middle page (HTTP)",
        "/meetings/?kind=social_audit": "Meeting list filtered by type (HTTP)",
        "/meetings/?q=clinic+budget": "Meeting search (HTTP)",
        "/": "Home page with due action items (HTTP)",
        "/search?q=borehole": "Combined search, issues and meetings (HTTP)",
        f"/meetings/{some_meeting}": "One meeting's minutes page (HTTP)",
    }
    print(f"Load average before: {load_average()}", flush=True)
    with Served(data, free_port()) as served:
        samples = time_paths(served, list(pages), args.requests)
    cpu = cpu_per_request(data, list(pages), args.requests)
    print(f"Load average after: {load_average()}", flush=True)
    for path, label in pages.items():
        p50, p95 = summary_ms(samples[path])
        c50, c95 = summary_ms(cpu[path])
        target = f"p95 < {TARGET_MS} ms" if path in {"/meetings/", "/"} else ""
        rows.append(
            (label, f"p50 {p50:.1f} ms, p95 {p95:.1f} ms (CPU p50 {c50:.1f}, p95 {c95:.1f} ms)", target)
        )
    rows.append(("Database size", f"{database.stat().st_size / 1024 / 1024:.0f} MB", ""))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=20_000)
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--actions-per-meeting", type=int, default=3)
    parser.add_argument("--requests", type=int, default=100, help="Timed requests per page.")
    parser.add_argument("--keep", action="store_true", help="Keep the data folder.")
    parser.add_argument("--data", help="Measure an existing data folder (one kept by --keep) instead.")
    args = parser.parse_args(argv)
    print_machine()
    rows = run(args)
    print()
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
