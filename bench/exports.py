"""Exports at central scale: 100,000 issues and 20,000 meetings, every kind exported by ``fieldkit export``.

The data is made as ``bench/meetings.py`` makes it (issues, meetings with linked issues, action
items) and imported with ``fieldkit import`` into a data folder prepared as central, so every row
is journaled. Each export then runs as its own ``fieldkit export`` process; its wall time and
peak resident memory (the child's ``ru_maxrss``) are printed beside the targets:
CSV of everything under 10 s, XLSX under 30 s, peak memory under 200 MB.

    .venv/bin/python bench/exports.py [--issues 100000] [--meetings 20000] [--keep]
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import require_fieldkit  # noqa: E402

require_fieldkit()

from common import FIELDKIT, print_machine, print_table, run_fieldkit, timer  # noqa: E402
from meetings import write_actions, write_issues, write_meetings  # noqa: E402

TARGET_CSV_S = 10
TARGET_XLSX_S = 30
TARGET_RSS_MB = 200

#: Runs a command and prints its peak resident memory in KB (Linux ru_maxrss) on the last line.
PEAK = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def export(data: Path, out: Path, *args: str) -> tuple[float, float]:
    """Seconds and peak MB of one ``fieldkit export`` process."""
    with timer() as elapsed:
        done = subprocess.run(
            [sys.executable, "-c", PEAK, *FIELDKIT, "--data", str(data), "export", "--out", str(out), *args],
            capture_output=True,
            text=True,
            check=True,
        )
    return elapsed(), int(done.stdout.split()[-1]) / 1024


def run(args) -> list[tuple[str, str, str]]:
    from fieldkit import create_app

    rng = random.Random(2026)
    work = Path(tempfile.mkdtemp(prefix="fieldkit-bench-exports-"))
    data = work / "data"
    rows = [("Measure", "Figure", "Target")]
    try:
        create_app({"DATA_DIR": data, "ROLE": "central"})  # a central data folder, migrated
        ids = write_issues(work / "issues.csv", args.issues, rng)
        meetings = write_meetings(work / "meetings.jsonl", args.meetings, ids, rng)
        write_actions(work / "actions.jsonl", meetings, 2, rng)
        for name in ("issues.csv", "meetings.jsonl", "actions.jsonl"):
            with timer() as elapsed:
                out = run_fieldkit(data, "import", str(work / name))
            print(f"fieldkit import {name}: {out.stdout.strip()} in {elapsed():.1f} s", flush=True)
        total_s, peak = 0.0, 0.0
        for kind in ("issues", "events", "meetings", "actions"):
            seconds, mb = export(data, work / f"{kind}.csv", "--format", "csv", "--kind", kind)
            total_s, peak = total_s + seconds, max(peak, mb)
            rows.append((f"CSV export of {kind}", f"{seconds:.1f} s, {mb:.0f} MB peak", ""))
        rows.append(("CSV export of everything (sum)", f"{total_s:.1f} s", f"< {TARGET_CSV_S} s"))
        seconds, mb = export(data, work / "all.xlsx", "--format", "xlsx")
        rows.append(("XLSX export of everything (4 sheets)", f"{seconds:.1f} s", f"< {TARGET_XLSX_S} s"))
        for fmt in ("geojson", "open311"):
            s, m = export(data, work / f"issues.{fmt}", "--format", fmt)
            rows.append((f"{fmt} export of issues", f"{s:.1f} s, {m:.0f} MB peak", ""))
            mb = max(mb, m)
        rows.append(("Peak memory of any export process", f"{max(peak, mb):.0f} MB", f"< {TARGET_RSS_MB} MB"))
        return rows
    finally:
        if args.keep:
            print(f"Kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--meetings", type=int, default=20_000)
    parser.add_argument("--keep", action="store_true", help="Keep the data folder and the exported files.")
    args = parser.parse_args(argv)
    print_machine()
    print_table(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
