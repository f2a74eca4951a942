"""Benchmarks run with a Python that lacks FieldKit say how to run them, in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPTS = sorted(p for p in BENCH.glob("*.py") if 'if __name__ == "__main__":' in p.read_text())


def test_every_runnable_bench_script_is_checked():
    assert {p.name for p in SCRIPTS} >= {"issues.py", "meetings.py", "startup.py", "sync_bench.py"}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_bench_script_without_fieldkit_prints_a_one_line_hint(script, tmp_path):
    # -S: no site-packages (neither FieldKit nor its dependencies); -E: no PYTHONPATH.
    result = subprocess.run(
        [sys.executable, "-S", "-E", f"bench/{script.name}", "--help"],
        cwd=BENCH.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert f".venv/bin/python bench/{script.name}" in result.stderr


def test_bench_script_with_fieldkit_runs():
    result = subprocess.run(
        [sys.executable, str(BENCH / "startup.py"), "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("doc", ["README.md", "bench/README.md"])
def test_documented_bench_commands_use_the_virtual_environment(doc):
    text = (BENCH.parent / doc).read_text(encoding="utf-8")
    commands = [line for line in text.splitlines() if "bench/" in line and "python" in line]
    assert commands
    assert all(".venv/bin/python bench/" in line for line in commands), commands
