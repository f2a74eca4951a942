"""Helpers shared by the benchmarks: the machine, timing, percentiles, a served FieldKit, RSS.

Benchmarks print figures; they are not tests. Each one runs FieldKit the way a user does
(the ``fieldkit`` command line in a subprocess, real HTTP on 127.0.0.1) on a throwaway data
folder, so the figures include everything a user waits for.
"""

from __future__ import annotations

import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path


def require_fieldkit() -> None:
    """Exit with a one-line hint, not a traceback, when this Python cannot run FieldKit.

    The benchmarks run FieldKit with the interpreter that runs them, so that must be the one
    FieldKit and its dependencies are installed in (the virtual environment's).
    """
    try:
        import fieldkit.cli  # noqa: F401
    except ImportError as error:
        script = sys.argv[0] if sys.argv and sys.argv[0] else "bench/SCRIPT.py"
        sys.exit(
            f"{sys.executable} cannot import {error.name or 'fieldkit'}: run the benchmark with the "
            f"Python FieldKit is installed in, e.g. .venv/bin/python {script}"
        )


#: Runs the ``fieldkit`` program with this interpreter (the installed script may be another one).
FIELDKIT = [sys.executable, "-c", "import sys; from fieldkit.cli import main; sys.exit(main())"]

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        total_kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{total_kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def print_machine() -> None:
    info = machine()
    print(
        f"Measured {info['date']} on {info['cpus']} CPU(s) ({info['cpu']}), {info['memory']}, "
        f"{info['os']}, Python {info['python']}, SQLite {info['sqlite']}"
    )


def percentile(samples: list[float], pct: float) -> float:
    """The ``pct`` percentile (nearest rank) of ``samples``."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(samples: list[float]) -> tuple[float, float]:
    """(p50, p95) in milliseconds of samples taken in seconds."""
    return statistics.median(samples) * 1000, percentile(samples, 95) * 1000


@contextmanager
def timer():
    """``with timer() as t: ...`` then ``t()`` is the elapsed seconds."""
    start = time.perf_counter()
    end = None

    def elapsed() -> float:
        return (end if end is not None else time.perf_counter()) - start

    try:
        yield elapsed
    finally:
        end = time.perf_counter()


def run_fieldkit(data_dir: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``fieldkit --data DIR ARGS`` to completion; raises with its output if it fails."""
    result = subprocess.run(
        [*FIELDKIT, "--data", str(data_dir), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    if result.returncode != 0:
        raise RuntimeError(f"fieldkit {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


class Served:
    """``fieldkit serve`` (or another serving ``command``, e.g. ``("central", "serve")``) in a
    subprocess on 127.0.0.1, with an HTTP client and its memory."""

    def __init__(self, data_dir: Path, port: int, command: tuple[str, ...] = ("serve",)):
        import httpx

        self.process = subprocess.Popen(
            [*FIELDKIT, "--data", str(data_dir), *command, "--host", "127.0.0.1", "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.url = f"http://127.0.0.1:{port}"
        self.http = httpx.Client(base_url=self.url, timeout=60, follow_redirects=False)
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"fieldkit {' '.join(command)} exited:\n{self.process.stderr.read()}")
            try:
                if self.http.get("/static/app.css").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"fieldkit {' '.join(command)} did not answer within 60 s")
            time.sleep(0.1)

    def get(self, path: str, **kwargs):
        response = self.http.get(path, **kwargs)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}")
        return response

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> tuple[float, float]:
        """(current, peak) resident memory of the server process, in MB."""
        fields = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in {"VmRSS", "VmHWM"}:
                fields[name] = int(value.split()[0]) / 1024
        return fields.get("VmRSS", float("nan")), fields.get("VmHWM", float("nan"))

    def close(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream:
                stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def files_size_mb(*paths: Path) -> float:
    return sum(p.stat().st_size for p in paths if p.exists()) / 1024 / 1024


def print_table(rows: list[tuple[str, ...]]) -> None:
    """A Markdown table (first row: the headings), ready for the README."""
    width = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for number, row in enumerate(rows):
        print("| " + " | ".join(cell.ljust(width[i]) for i, cell in enumerate(row)) + " |")
        if number == 0:
            print("|" + "|".join("-" * (w + 2) for w in width) + "|")


def load_average() -> str:
    """The machine's 1-minute load average (others' work skews wall times on a shared machine)."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"
