"""Sync over a 2G-like link: 1,000 issues pushed by one device, pulled by a second, both edit
the same 10 % offline, both sync — through a 50 kbit/s link with 500 ms latency that resets
30 % of requests' connections; then again with a reset somewhere in every 64 KiB.

Prints the time taken, records lost and duplicated (must be 0), conflicts detected.

    .venv/bin/python bench/sync_faults.py [--count 1000] [--scenario resets|every64k|both]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import require_fieldkit  # noqa: E402

require_fieldkit()

from sync_bench import device, fill, start_central  # noqa: E402
from sync_proxy import FaultProxy  # noqa: E402

from fieldkit.db import connect, transaction  # noqa: E402
from fieldkit.views.sync import open_client  # noqa: E402
from sync import journal, merge  # noqa: E402


def scenario(count: int, name: str, **faults) -> None:
    rng = random.Random(count)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        process, url = start_central(root / "central")
        port = int(url.rsplit(":", 1)[1])
        try:
            with FaultProxy(("127.0.0.1", port), latency=0.5, rate=50_000 / 8, seed=count, **faults) as proxy:
                app_a, a = device(root / "a", root / "central", proxy.url)
                app_b, b = device(root / "b", root / "central", proxy.url)
                ids = fill(a, count, rng)
                shared = rng.sample(ids, count // 10)
                started = time.perf_counter()

                def sync(app, conn):
                    with open_client(app.config, conn) as client:
                        return client.sync()

                sent = sync(app_a, a).sent
                received = sync(app_b, b).received
                for row in shared:
                    with transaction(a):
                        journal.update(a, "issues", row, {"title": f"A {row[-6:]}"}, author="A")
                    with transaction(b):
                        journal.update(b, "issues", row, {"title": f"B {row[-6:]}"}, author="B")
                sync(app_a, a)
                sync(app_b, b)
                sync(app_a, a)
                elapsed = time.perf_counter() - started
            hub = connect(root / "central" / "fieldkit.db")
            rows = [
                conn.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM issues").fetchone()
                for conn in (a, b, hub)
            ]
            ops = [conn.execute("SELECT COUNT(*) FROM sync_ops").fetchone()[0] for conn in (a, b, hub)]
            lost = sum(count - r[1] for r in rows) + sum(
                count + 2 * len(shared) - n for n in ops if n < count + 2 * len(shared)
            )
            duplicated = sum(r[0] - r[1] for r in rows) + sum(
                max(0, n - count - 2 * len(shared)) for n in ops
            )
            print(
                f"{name}: {count} issues ({sent} sent, {received} received), {len(shared)} edited on both "
                f"-> done in {elapsed:.0f} s; lost {lost}, duplicated {duplicated}; conflicts "
                f"A {merge.count_conflicts(a)}, B {merge.count_conflicts(b)}, central {merge.count_conflicts(hub)}; "
                f"{proxy.connections} connections, {proxy.resets} resets, {proxy.bytes / 1024:.0f} KiB through the link"
            )
            for conn in (a, b, hub):
                conn.close()
        finally:
            process.terminate()
            process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--scenario", choices=["resets", "every64k", "both"], default="both")
    args = parser.parse_args()
    print(
        f"FieldKit sync over a 50 kbit/s, 500 ms link — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    if args.scenario in ("resets", "both"):
        scenario(args.count, "30% of requests reset", reset_share=0.3)
    if args.scenario in ("every64k", "both"):
        scenario(args.count, "a reset in every 64 KiB", reset_every=64 * 1024)


if __name__ == "__main__":
    main()
