"""Start-up time: from typing the command to the first page served, and to the window ready.

    .venv/bin/python bench/startup.py [--runs N] [--no-window]

- headless: ``fieldkit --data DIR serve --port P`` in a new process, timed until ``GET /``
  answers 200 (first run on an empty data folder creates the database; later runs reuse it).
- window: ``fieldkit --data DIR start`` with pywebview's Qt backend, timed until the window
  reports its page loaded. Needs a display: when ``DISPLAY`` is unset, a private Xvfb is used.
- import: how long ``import fieldkit.cli`` alone takes (the floor of every command).

Target: under 2 s to the first page. Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import require_fieldkit  # noqa: E402

require_fieldkit()

from common import FIELDKIT, print_machine  # noqa: E402

from fieldkit.server import free_port  # noqa: E402


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")}
    env.update(PYTHONUNBUFFERED="1", **extra)
    return env


def first_page(data_dir: Path) -> float:
    """Seconds from starting ``fieldkit serve`` to the home page answering 200."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [*FIELDKIT, "--data", str(data_dir), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=clean_env(),
    )
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError("fieldkit serve exited before serving")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    if response.status == 200:
                        response.read()
                        return time.perf_counter() - started
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.01)
    finally:
        process.terminate()
        process.wait(timeout=15)


def import_time() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import fieldkit.cli"], check=True, env=clean_env())
    return time.perf_counter() - started


class Display:
    """The current display, or a private Xvfb if there is none."""

    def __init__(self):
        self.process = None
        self.name = os.environ.get("DISPLAY")

    def __enter__(self):
        if self.name or not shutil.which("Xvfb"):
            return self
        read, write = os.pipe()
        self.process = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
            pass_fds=(write,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        with os.fdopen(read) as handle:
            self.name = ":" + handle.readline().strip()
        return self

    def __exit__(self, *exc):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)


def window_ready(data_dir: Path, display: str) -> tuple[float, float]:
    """Seconds from ``fieldkit start`` to the first page served, and to the window's page loaded."""
    env = clean_env(
        DISPLAY=display,
        PYWEBVIEW_GUI="qt",
        QTWEBENGINE_DISABLE_SANDBOX="1",
        QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox",
    )
    started = time.perf_counter()
    process = subprocess.Popen(
        [*FIELDKIT, "--data", str(data_dir), "start"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    served = None
    try:
        for line in process.stdout:
            if "FieldKit is running at" in line and served is None:
                url = line.rsplit(" ", 1)[1].strip()
                while served is None:
                    try:
                        with urllib.request.urlopen(url, timeout=5):
                            served = time.perf_counter() - started
                    except (urllib.error.URLError, ConnectionError):
                        time.sleep(0.01)
            if "window ready" in line:
                return served or float("nan"), time.perf_counter() - started
            if "No desktop window" in line:
                break
        raise RuntimeError("no window: is the desktop extra installed (pip install 'fieldkit[desktop]')?")
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def describe(label: str, samples: list[float]) -> str:
    return (
        f"{label:<46} median {statistics.median(samples):5.2f} s   min {min(samples):5.2f} s   "
        f"max {max(samples):5.2f} s   ({len(samples)} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-window", action="store_true", help="Only the headless figures.")
    options = parser.parse_args()
    print_machine()
    with tempfile.TemporaryDirectory(prefix="fieldkit-bench-") as temp:
        data = Path(temp) / "data"
        imports = [import_time() for _ in range(options.runs)]
        fresh = first_page(data)
        warm = [first_page(data) for _ in range(options.runs)]
        print(describe("import fieldkit.cli", imports))
        print(describe("serve: command to first page (new data folder)", [fresh]))
        print(describe("serve: command to first page", warm))
        verdict = "meets" if statistics.median(warm) < 2 else "MISSES"
        print(f"target < 2 s to the first page: {verdict} it")
        if options.no_window:
            return
        try:
            import PyQt6.QtWebEngineWidgets  # noqa: F401
        except ImportError:
            print("window: skipped (the desktop extra is not installed)")
            return
        with Display() as display:
            if not display.name:
                print("window: skipped (no display and no Xvfb)")
                return
            runs = [window_ready(data, display.name) for _ in range(max(1, options.runs // 2 + 1))]
        print(describe("start: command to first page served", [r[0] for r in runs]))
        print(describe("start: command to window ready (page loaded)", [r[1] for r in runs]))


if __name__ == "__main__":
    main()
