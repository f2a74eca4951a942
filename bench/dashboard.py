"""Central's dashboard and follow-up lists at scale: 100,000 issues and 20,000 meetings.

The issues, meetings and action items are made and imported as ``bench/exports.py`` does them
(``bench/meetings.py``'s generators, the real ``fieldkit import``). Then, in plain SQL (not
journaled: only the figures' inputs matter here), each issue gets a partner organisation and a
status, a tenth a budget line, a third a government response (half of those with a commitment,
some kept, some past due) and a fifth a change to resolved on the timeline. The pages are timed
in process through the Flask test client, signed in as a Kenya account and as a ``*`` account,
after one warm-up request each; p50 and p95 are printed beside the target (p95 < 200 ms).

    .venv/bin/python bench/dashboard.py [--issues 100000] [--meetings 20000] [--requests 30] [--keep]
    .venv/bin/python bench/dashboard.py --data KEPT_DATA_FOLDER   (times the pages again, no import)
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import require_fieldkit  # noqa: E402

require_fieldkit()

from common import load_average, print_machine, print_table, run_fieldkit, summary_ms, timer  # noqa: E402
from meetings import write_actions, write_issues, write_meetings  # noqa: E402

TARGET_P95_MS = 200
ORGS = ("kolwa-youth", "haki-maji", "clinic-watch")
STATUSES = ("reported", "verified", "raised", "acknowledged", "committed", "in_progress", "unresolved")


#: A number from 0 to 999 that looks random but is fixed for each issue (its rowid hashed).
R = "((i.rowid * 2654435761) % 1000)"


def enrich(conn) -> dict[str, int]:
    """Partners, statuses, budget lines, responses, commitments and resolutions, in set-wise SQL."""
    today = date.today().isoformat()
    orgs = " ".join(f"WHEN {n} THEN '{org}'" for n, org in enumerate(ORGS))
    statuses = " ".join(f"WHEN {n} THEN '{status}'" for n, status in enumerate(STATUSES))
    with conn:
        conn.execute(
            f"UPDATE issues AS i SET org = CASE i.rowid % {len(ORGS)} {orgs} END, "
            f"status = CASE {R} % {len(STATUSES)} {statuses} END"
        )
        conn.execute(
            f"UPDATE issues AS i SET budget_code = 'PB-' || ({R} % 40), "
            "budget_currency = CASE country WHEN 'KE' THEN 'KES' ELSE 'USD' END, "
            f"budget_allocated = (10000 + {R} * 4000) || '.00', budget_released = ({R} * 9) || '.50', "
            f"budget_spent = ({R} * 4) || '.25' WHERE {R} % 10 = 0"
        )
        columns = (
            "id, created_at, org, country, issue_id, kind, occurred_on, status, due_on, fulfilled, commitment"
        )
        conn.execute(
            f"INSERT INTO issue_events ({columns}) "
            "SELECT lower(hex(randomblob(16))), '2026-01-01T00:00:00Z', org, country, id, 'response', answered, "
            "NULL, CASE WHEN r % 2 = 0 THEN date(answered, '+' || (r % 100 - 10) || ' days') END, "
            "CASE WHEN r % 2 = 0 THEN r % 10 < 3 END, CASE WHEN r % 2 = 0 THEN 'Repair it' ELSE '' END "
            f"FROM (SELECT i.*, {R} AS r, min(date(substr(i.created_at, 1, 10), '+' || ({R} % 120 + 1) || "
            f"' days'), ?) AS answered FROM issues i WHERE {R} % 3 = 0)",
            (today,),
        )
        conn.execute(
            f"INSERT INTO issue_events ({columns}) "
            "SELECT lower(hex(randomblob(16))), '2026-01-01T00:00:00Z', org, country, id, 'status', "
            f"min(date(substr(i.created_at, 1, 10), '+' || ({R} % 295 + 5) || ' days'), ?), 'resolved', "
            f"NULL, NULL, '' FROM issues i WHERE {R} % 5 = 1",
            (today,),
        )
        conn.execute("UPDATE issues SET status = 'resolved' WHERE resolved_on IS NOT NULL")
        conn.execute("UPDATE meetings AS i SET org = CASE i.rowid % 3 " + orgs + " END")
        conn.execute("UPDATE meeting_actions SET org = (SELECT org FROM meetings m WHERE m.id = meeting_id)")
    count = conn.execute
    return {
        "responses": count("SELECT COUNT(*) FROM issues WHERE first_response_on IS NOT NULL").fetchone()[0],
        "commitments": count("SELECT COUNT(*) FROM issue_events WHERE due_on IS NOT NULL").fetchone()[0],
        "resolved": count("SELECT COUNT(*) FROM issues WHERE resolved_on IS NOT NULL").fetchone()[0],
        "budgets": count("SELECT COUNT(*) FROM issues WHERE budget_code <> ''").fetchone()[0],
    }


def time_pages(client, paths: list[str], requests: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds (this thread's: the test client serves in it) of each request."""
    wall, cpu = [], []
    for path in paths:
        assert client.get(path).status_code == 200, path  # warm-up
    for n in range(requests * len(paths)):
        path = paths[n % len(paths)]
        started = time.thread_time()
        with timer() as elapsed:
            response = client.get(path)
            response.get_data()
        cpu.append(time.thread_time() - started)
        assert response.status_code == 200, (path, response.status_code)
        wall.append(elapsed())
    return wall, cpu


def signed_in(app, name: str, password: str):
    client = app.test_client()
    page = client.get("/central/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/central/login", data={"username": name, "password": password, "csrf_token": token})
    return client


def run(args) -> list[tuple[str, str, str]]:
    from fieldkit import create_app
    from fieldkit.central import accounts
    from fieldkit.db import connect

    rng = random.Random(2026)
    work = Path(args.data).parent if args.data else Path(tempfile.mkdtemp(prefix="fieldkit-bench-dashboard-"))
    data = Path(args.data) if args.data else work / "data"
    rows = [("Page: p50 / p95", "Kenya account, wall", "CPU", "* account, wall", "CPU", "Target")]
    try:
        if args.data:
            return measure(create_app({"DATA_DIR": data, "ROLE": "central"}), args, rows)
        create_app({"DATA_DIR": data, "ROLE": "central"})
        ids = write_issues(work / "issues.csv", args.issues, rng)
        meetings = write_meetings(work / "meetings.jsonl", args.meetings, ids, rng)
        write_actions(work / "actions.jsonl", meetings, 2, rng)
        for name in ("issues.csv", "meetings.jsonl", "actions.jsonl"):
            with timer() as elapsed:
                run_fieldkit(data, "import", str(work / name))
            print(f"fieldkit import {name}: {elapsed():.1f} s", flush=True)
        app = create_app({"DATA_DIR": data, "ROLE": "central"})
        conn = connect(app.config["DATABASE"])
        with timer() as elapsed:
            made = enrich(conn)
        print(f"Enriched in {elapsed():.1f} s: {made}", flush=True)
        accounts.add_user(conn, "kenya", "bench password 1", country="KE", role="viewer")
        accounts.add_user(conn, "everyone", "bench password 2", country="*", role="admin")
        conn.close()
        return measure(app, args, rows)
    finally:
        if args.keep or args.data:
            print(f"Kept {data}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def measure(app, args, rows: list) -> list:
    """Time each page for both accounts; one table row per page."""
    pages = {
        "Dashboard": ["/central/dashboard/"],
        "Dashboard, one partner and a period": [
            f"/central/dashboard/?org={ORGS[1]}&from={date.today().year - 1}-01-01&to={date.today()}"
        ],
        "Follow-up: no response for 30 days": ["/central/follow-up/?show=silent"],
        "Follow-up: commitments due or past due": ["/central/follow-up/?show=commitments"],
        "Follow-up: action items overdue": ["/central/follow-up/?show=actions"],
    }
    clients = (
        signed_in(app, "kenya", "bench password 1"),
        signed_in(app, "everyone", "bench password 2"),
    )
    print(f"Load average before timing: {load_average()}", flush=True)
    for title, paths in pages.items():
        cells = []
        for client in clients:
            for samples in time_pages(client, paths, args.requests):
                p50, p95 = summary_ms(samples)
                cells.append(f"{p50:.0f} / {p95:.0f} ms")
        rows.append((title, *cells, f"p95 < {TARGET_P95_MS} ms"))
    print(f"Load average after timing: {load_average()}", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--meetings", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="Keep the data folder.")
    parser.add_argument("--data", help="Time the pages on a data folder an earlier --keep run left.")
    args = parser.parse_args(argv)
    print_machine()
    print_table(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
