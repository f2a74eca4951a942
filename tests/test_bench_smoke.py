"""The issues benchmark still runs end to end (at a small size), so it never rots."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "issues.py"


def test_issues_bench_runs_and_prints_every_figure():
    result = subprocess.run(
        [sys.executable, str(BENCH), "--count", "300", "--requests", "3"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Imported 300 issues." in out
    for measure in (
        "Import 300 issues",
        "Issue list, first page",
        "Issue list, filtered",
        "Search",
        "Home page",
        "Record an issue",
        "Server memory",
        "Database size",
    ):
        assert f"| {measure}" in out, out
    assert "SQLite" in out and "Python" in out and "CPU" in out


HUB_BENCH = BENCH.parent / "hub_idle.py"


def test_hub_idle_bench_runs_and_prints_every_figure():
    result = subprocess.run(
        [sys.executable, str(HUB_BENCH), "--idle", "10", "--new", "2", "--timeout", "60"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Phones' connections answered within 10 s (of 10)" in out
    for measure in ("New phone's first page, median of 2", "Idle connections still usable afterwards"):
        assert f"| {measure}" in out, out
    assert "10 of 10" in out
