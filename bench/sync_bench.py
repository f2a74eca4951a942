"""Sync throughput: a central server process and two devices over HTTP on 127.0.0.1.

Prints, for each size: initial push (records/s), initial pull of a second device (records/s),
bytes on the wire per record against the gzip-compressed JSON of the record, an incremental
sync of 100 edits (time and bytes), the conflict scenario (both devices edit the same 10 %
offline: conflicts detected, edits lost) and peak memory of the server and of the device.

    .venv/bin/python bench/sync_bench.py --count 10000 [--count 100000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import require_fieldkit  # noqa: E402

require_fieldkit()

from fieldkit import create_app  # noqa: E402
from fieldkit.central import queries as central_queries  # noqa: E402
from fieldkit.db import connect, transaction  # noqa: E402
from fieldkit.views.sync import open_client  # noqa: E402
from sync import journal, merge  # noqa: E402
from sync.ids import uuid7  # noqa: E402

CLI = [sys.executable, "-c", "from fieldkit.cli import main; main()"]
WORDS = (
    "borehole pump clinic school road water broken leaking closed waiting officials promised repair".split()
)


def start_central(folder: Path):
    subprocess.run(
        [*CLI, "--data", str(folder), "central", "init", "--password", "bench-password"],
        check=True,
        capture_output=True,
    )
    process = subprocess.Popen(
        [*CLI, "--data", str(folder), "central", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    url = re.search(r"(http://\S+)", process.stdout.readline()).group(1)
    return process, url.rstrip("/")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_rss(pid: int) -> None:
    """Start a process's peak-memory count afresh (Linux: writing 5 to clear_refs)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        pass


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def device(folder: Path, central_folder: Path, url: str):
    app = create_app({"DATA_DIR": folder, "COUNTRY": "KE"})
    conn = connect(app.config["DATABASE"])
    hub = connect(central_folder / "fieldkit.db")
    code = central_queries.create_code(hub, "bench-partner", "KE")
    hub.close()
    with open_client(app.config, conn, url) as client:
        client.enroll(code, url)
    return app, conn


def fill(conn, count: int, rng) -> list[str]:
    ids = []
    with transaction(conn):
        for n in range(count):
            row_id = uuid7()
            ids.append(row_id)
            words = " ".join(rng.choice(WORDS) for _ in range(12))
            journal.create(
                conn,
                "issues",
                {
                    "id": row_id,
                    "created_at": "2026-03-01T10:00:00Z",
                    "org": "bench-partner",
                    "country": "KE",
                    "ref": f"KE-BNCH-{n:06d}",
                    "title": f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {n}",
                    "description": words,
                    "sector": rng.choice(["water", "health", "education", "roads"]),
                    "district": f"District {n % 40}",
                    "community": f"Community {n % 400}",
                    "observed_on": "2026-02-14",
                    "severity": 1 + n % 4,
                    "people_affected": n % 900,
                    "status": "reported",
                    "tags": "[]",
                    "language": "en",
                },
                author="bench",
            )
    return ids


def record_gzip_bytes(conn, sample: int = 500) -> float:
    rows = conn.execute(f"SELECT * FROM issues LIMIT {sample}")
    names = [d[0] for d in rows.description]
    sizes = [
        len(gzip.compress(json.dumps(dict(zip(names, r, strict=True))).encode())) for r in rows.fetchall()
    ]
    return sum(sizes) / len(sizes)


def run(count: int) -> None:
    import random

    rng = random.Random(count)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        process, url = start_central(root / "central")
        try:
            app_a, a = device(root / "a", root / "central", url)
            app_b, b = device(root / "b", root / "central", url)
            started = time.perf_counter()
            ids = fill(a, count, rng)
            print(f"  created {count} issues on device A in {time.perf_counter() - started:.1f} s")

            with open_client(app_a.config, a) as client:
                started, cpu, server_cpu = time.perf_counter(), time.process_time(), cpu_seconds(process.pid)
                client.push()
                push_s = time.perf_counter() - started
                push_cpu = (time.process_time() - cpu, cpu_seconds(process.pid) - server_cpu)
                push_bytes = client.summary.bytes_sent + client.summary.bytes_received
            with open_client(app_b.config, b) as client:
                started, cpu, server_cpu = time.perf_counter(), time.process_time(), cpu_seconds(process.pid)
                client.pull()
                pull_s = time.perf_counter() - started
                pull_cpu = (time.process_time() - cpu, cpu_seconds(process.pid) - server_cpu)
                pull_bytes = client.summary.bytes_sent + client.summary.bytes_received
            assert b.execute("SELECT COUNT(*) FROM issues").fetchone()[0] == count
            per_record = record_gzip_bytes(a)
            print(
                f"  initial push: {count / push_s:,.0f} records/s ({push_s:.1f} s), "
                f"{push_bytes / count:.0f} bytes/record on the wire; CPU: device {push_cpu[0]:.1f} s, "
                f"server {push_cpu[1]:.1f} s"
            )
            print(
                f"  initial pull (second device): {count / pull_s:,.0f} records/s ({pull_s:.1f} s), "
                f"{pull_bytes / count:.0f} bytes/record on the wire; CPU: device {pull_cpu[0]:.1f} s, "
                f"server {pull_cpu[1]:.1f} s"
            )
            print(
                f"  gzip-compressed JSON of one record, alone: {per_record:.0f} bytes "
                f"(wire/record ratio: push {push_bytes / count / per_record:.2f}, "
                f"pull {pull_bytes / count / per_record:.2f})"
            )

            for row in rng.sample(ids, 100):
                with transaction(a):
                    journal.update(a, "issues", row, {"status": "verified", "severity": 4}, author="bench")
            started = time.perf_counter()
            with open_client(app_a.config, a) as ca, open_client(app_b.config, b) as cb:
                ca.sync(with_blobs=False)
                cb.sync(with_blobs=False)
                inc_bytes = sum(c.summary.bytes_sent + c.summary.bytes_received for c in (ca, cb))
            inc_s = time.perf_counter() - started
            print(
                f"  incremental sync of 100 edits (A pushes, B pulls): {inc_s:.2f} s, {inc_bytes / 1024:.1f} KB"
            )

            # A third device's first pull as a user runs it: the `fieldkit sync` command, timed from
            # its start (interpreter, imports and all), with central's peak memory during it alone.
            app_c, c = device(root / "c", root / "central", url)
            c.close()
            reset_peak_rss(process.pid)
            started = time.perf_counter()
            subprocess.run([*CLI, "--data", str(root / "c"), "sync"], check=True, capture_output=True)
            cli_s = time.perf_counter() - started
            c = connect(root / "c" / "fieldkit.db")
            assert c.execute("SELECT COUNT(*) FROM issues").fetchone()[0] == count
            c.close()
            print(
                f"  first pull with `fieldkit sync` (third device, from the command's start): "
                f"{count / cli_s:,.0f} records/s ({cli_s:.1f} s); central peak memory during it "
                f"{peak_rss_mb(process.pid):.0f} MB"
            )

            shared = rng.sample(ids, count // 10)
            for row in shared:
                with transaction(a):
                    journal.update(a, "issues", row, {"title": f"A {row[-6:]}"}, author="A")
                with transaction(b):
                    journal.update(b, "issues", row, {"title": f"B {row[-6:]}"}, author="B")
            started = time.perf_counter()
            with open_client(app_a.config, a) as ca, open_client(app_b.config, b) as cb:
                ca.sync(with_blobs=False)
                cb.sync(with_blobs=False)
                ca.sync(with_blobs=False)
            conflict_s = time.perf_counter() - started
            lost = 0
            for conn in (a, b):
                disputed = {
                    c["row_id"]: {x["value"] for x in c["candidates"]}
                    for c in merge.open_conflicts(conn, limit=10**9)
                }
                for row in shared:
                    if disputed.get(row) != {f"A {row[-6:]}", f"B {row[-6:]}"}:
                        lost += 1
            print(
                f"  conflict scenario: {len(shared)} records edited on both devices offline -> "
                f"{merge.count_conflicts(a)} conflicts on A, {merge.count_conflicts(b)} on B, "
                f"{lost} edits lost ({conflict_s:.1f} s)"
            )
            a.close()
            b.close()
            print(
                f"  peak memory: server {peak_rss_mb(process.pid):.0f} MB, "
                f"devices (this process) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
            )
        finally:
            process.terminate()
            process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, action="append", help="issues (repeatable; default 10000)")
    args = parser.parse_args()
    print(
        f"FieldKit sync bench — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    for count in args.count or [10_000]:
        print(f"{count:,} issues:")
        run(count)


if __name__ == "__main__":
    main()
