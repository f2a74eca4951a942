"""The meetings benchmark still runs end to end (at a small size), so it never rots."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "meetings.py"


def test_meetings_bench_runs_and_prints_every_figure():
    result = subprocess.run(
        [sys.executable, str(BENCH), "--meetings", "60", "--issues", "200", "--requests", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Imported 60 meetings." in out and "Imported 180 action items." in out
    for measure in (
        "Meeting list query",
        "Home overdue / due-this-week query",
        "Meeting list page (HTTP)",
        "Home page with due action items (HTTP)",
        "Combined search",
        "CPU p50",
        "Database size",
    ):
        assert measure in out, measure
