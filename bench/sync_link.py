"""The whole user scenario through the command line, over a poor link, as separate processes.

A central server process; two device data folders enrolled with ``fieldkit enroll``; every
sync is a ``fieldkit sync`` process talking through a 50 kbit/s link with 500 ms latency that
cuts the connection somewhere within every 64 KiB. Device A records 1,000 issues and syncs;
device B's first pull; both edit the same 100 issues offline; three syncs (A, B, A). Prints the
time from the first command's start to the last one's end, what was lost or duplicated
(must be 0), the conflicts found, and the bytes the commands said they sent and received.

Then the kill test: B2, a third device, starts its first pull and is killed (SIGKILL) at a
random moment; what it had committed is kept (its cursor), and the restarted sync completes.

    .venv/bin/python bench/sync_link.py [--count 1000] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import require_fieldkit  # noqa: E402

require_fieldkit()

from sync_bench import CLI, fill, start_central  # noqa: E402
from sync_proxy import FaultProxy  # noqa: E402

from fieldkit.db import connect, transaction  # noqa: E402
from sync import journal, merge  # noqa: E402

ENV = dict(os.environ, FIELDKIT_LANGUAGE="en")


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([*CLI, "--data", str(folder), *args], capture_output=True, text=True, env=ENV)
    if done.returncode:
        print(f"fieldkit {' '.join(args)} failed: {done.stdout.strip()} {done.stderr.strip()}")
    return done


def enrol(folder: Path, central: Path, url: str) -> None:
    printed = cli(central, "central", "enroll-code", "--org", "bench-partner", "--country", "KE").stdout
    cli(folder, "enroll", url, printed.splitlines()[0].strip())  # the code, then its QR code


def sent_received(output: str) -> tuple[int, int]:
    match = re.search(r"Sent ([\d,]+) changes and received ([\d,]+)", output)
    return tuple(int(g.replace(",", "")) for g in match.groups()) if match else (0, 0)


def scenario(count: int, seed: int) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        process, url = start_central(root / "central")
        port = int(url.rsplit(":", 1)[1])
        try:
            with FaultProxy(
                ("127.0.0.1", port), latency=0.5, rate=50_000 / 8, reset_every=64 * 1024, seed=seed
            ) as proxy:
                for name in ("a", "b", "c"):
                    enrol(root / name, root / "central", proxy.url)
                a = connect(root / "a" / "fieldkit.db")
                ids = fill(a, count, rng)
                shared = rng.sample(ids, count // 10)
                started = time.perf_counter()
                runs = [cli(root / "a", "sync"), cli(root / "b", "sync")]
                b = connect(root / "b" / "fieldkit.db")
                for row in shared:
                    with transaction(a):
                        journal.update(a, "issues", row, {"title": f"A {row[-6:]}"}, author="A")
                    with transaction(b):
                        journal.update(b, "issues", row, {"title": f"B {row[-6:]}"}, author="B")
                runs += [cli(root / "a", "sync"), cli(root / "b", "sync"), cli(root / "a", "sync")]
                elapsed = time.perf_counter() - started
                hub = connect(root / "central" / "fieldkit.db")
                expected_ops = count + 2 * len(shared)
                lost = duplicated = 0
                for conn in (a, b, hub):
                    total, distinct = conn.execute(
                        "SELECT COUNT(*), COUNT(DISTINCT id) FROM issues"
                    ).fetchone()
                    ops = conn.execute("SELECT COUNT(*) FROM sync_ops").fetchone()[0]
                    lost += count - distinct + max(0, expected_ops - ops)
                    duplicated += total - distinct + max(0, ops - expected_ops)
                print(
                    f"scenario: {count} issues pushed by A, B's first pull, {len(shared)} edited on both, "
                    f"three syncs -> {elapsed:.0f} s; lost {lost}, duplicated {duplicated}; conflicts "
                    f"A {merge.count_conflicts(a)}, B {merge.count_conflicts(b)}, "
                    f"central {merge.count_conflicts(hub)}; {proxy.resets} resets, "
                    f"{proxy.bytes / 1024:.0f} KiB through the link; {len(runs)} sync commands, "
                    f"{sum(r.returncode != 0 for r in runs)} failed"
                )

                # The kill test: a first pull killed at a random moment keeps what it committed.
                kill_after = rng.uniform(8, 25)
                partial = subprocess.Popen(
                    [*CLI, "--data", str(root / "c"), "sync"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=ENV,
                )
                deadline = time.monotonic() + kill_after
                while time.monotonic() < deadline and partial.poll() is None:
                    time.sleep(0.2)
                partial.send_signal(signal.SIGKILL)
                partial.wait()
                c = connect(root / "c" / "fieldkit.db")
                kept = c.execute("SELECT COUNT(*) FROM issues").fetchone()[0]
                started = time.perf_counter()
                rest = cli(root / "c", "sync")
                _, received = sent_received(rest.stdout)
                final = c.execute("SELECT COUNT(*) FROM issues").fetchone()[0]
                print(
                    f"killed after {kill_after:.1f} s: {kept} issues kept; the restarted sync received "
                    f"{received} more changes in {time.perf_counter() - started:.0f} s and ended with "
                    f"{final} of {count} issues"
                )
                for conn in (a, b, c, hub):
                    conn.close()
        finally:
            process.terminate()
            process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(
        "FieldKit sync through the command line over a 50 kbit/s, 500 ms link, a reset in every 64 KiB"
        f" — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs"
    )
    scenario(args.count, args.seed)


if __name__ == "__main__":
    main()
