"""``fieldkit start`` under a virtual screen (Xvfb) with pywebview's Qt backend: the real window
shows the home page, a second start brings up the running one instead of a second server, and
closing stops the server cleanly.

Needs Debian's xvfb and the ``desktop`` extra (scripts/test installs both). Qt WebEngine's
sandbox cannot run as root, so it is turned off in this test's environment only.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("PyQt6.QtWebEngineWidgets", reason="the desktop extra (Qt WebEngine) is not installed")
if not shutil.which("Xvfb"):
    pytest.skip("Xvfb is not installed", allow_module_level=True)

FIELDKIT = [sys.executable, "-c", "import sys; from fieldkit.cli import main; sys.exit(main())"]
HEADER = (0x0B, 0x5D, 0x4B)  # the header colour, --accent in app.css
GRAB = """
import sys
from PyQt6.QtGui import QGuiApplication
app = QGuiApplication(sys.argv[:1])
sys.exit(0 if app.primaryScreen().grabWindow(0).save(sys.argv[1], "PNG") else 1)
"""


@pytest.fixture(scope="module")
def display():
    """A private Xvfb screen; its number is chosen by Xvfb itself."""
    read, write = os.pipe()
    process = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as handle:
        name = ":" + handle.readline().strip()
    yield name
    process.terminate()
    process.wait(timeout=10)


def env_for(display: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")}
    env.update(
        DISPLAY=display,
        PYWEBVIEW_GUI="qt",
        PYTHONUNBUFFERED="1",
        QTWEBENGINE_DISABLE_SANDBOX="1",
        QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox",
    )
    env.pop("WAYLAND_DISPLAY", None)
    return env


def header_pixels(png: Path) -> int:
    from PIL import Image

    with Image.open(png) as image:
        pixels = image.convert("RGB").get_flattened_data()
    return sum(1 for p in pixels if all(abs(a - b) <= 6 for a, b in zip(p, HEADER, strict=True)))


def test_start_opens_the_window_and_a_second_start_brings_it_up(display, tmp_path):
    data = tmp_path / "data"
    first = subprocess.Popen(
        [*FIELDKIT, "--data", str(data), "start"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env_for(display),
        text=True,
    )
    output = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = first.stdout.readline()
            if not line:
                break
            output.append(line)
            if "window ready" in line:
                break
        assert any("window ready" in line for line in output), "".join(output)

        # The running instance is announced, and it is the only server for this data folder.
        info = json.loads((data / "instance.json").read_text())
        assert info["pid"] == first.pid and info["url"].startswith("http://127.0.0.1:")
        with urllib.request.urlopen(info["url"], timeout=5) as response:
            assert response.status == 200

        # The real window on the screen shows the home page: a wide band of the header colour.
        shot = tmp_path / "window.png"
        time.sleep(0.5)
        subprocess.run(
            [sys.executable, "-c", GRAB, str(shot)],
            env=env_for(display),
            check=True,
            timeout=30,
            capture_output=True,
        )
        assert header_pixels(shot) > 20_000, "the FieldKit header is not on the screen"

        # A second start raises the running window and exits; no second server is started.
        second = subprocess.run(
            [*FIELDKIT, "--data", str(data), "start"],
            env=env_for(display),
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert second.returncode == 0, second.stderr
        assert "already open" in second.stdout and "window is now in front" in second.stdout
        assert json.loads((data / "instance.json").read_text())["pid"] == first.pid
        assert first.poll() is None

        # Closing (the system asks politely) stops the server cleanly.
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
        first.stdout.close()
    log = (data / "fieldkit.log").read_text()
    assert "window ready" in log and "FieldKit stopped cleanly" in log
    assert not (data / "instance.json").exists()
    wal = Path(f"{data / 'fieldkit.db'}-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # everything folded into the database
    conn = sqlite3.connect(data / "fieldkit.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_without_a_display_start_falls_back_to_the_browser(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY"}}
    env["BROWSER"] = "true"  # the 'browser' opened is a program that does nothing
    process = subprocess.Popen(
        [*FIELDKIT, "--data", str(tmp_path / "data"), "start"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "Press Ctrl+C to stop" in line:
                break
        text = "".join(lines)
        assert "No desktop window is possible here" in text
        url = next(line.rsplit(" ", 1)[1].strip() for line in lines if "running at" in line)
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        process.stdout.close()
