"""The learning view's benchmark still runs end to end (at a small size), so it never rots."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "learning.py"


def test_learning_bench_runs_and_prints_every_page():
    result = subprocess.run(
        [sys.executable, str(BENCH), "--issues", "300", "--meetings", "60", "--requests", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Imported 300 issues." in out and "Imported 60 meetings." in out
    for page in ("First page, a Kenya account", "Word search (clinic)", "Filtered by country (Ghana)"):
        assert f"| {page}" in out, out
    assert "Worst p95 of these pages" in out
