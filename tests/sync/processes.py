"""Real processes for end-to-end sync tests: the ``fieldkit`` CLI and a central server that can
be killed with SIGKILL and started again on the same data folder and port."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from fieldkit.central import queries as central_queries
from fieldkit.db import connect
from fieldkit.server import free_port

CLI = [sys.executable, "-c", "from fieldkit.cli import main; main()"]
ENV = {**os.environ, "PYTHONUNBUFFERED": "1", "FIELDKIT_LANGUAGE": "en"}


def fieldkit(data, *args, check=True, timeout=180) -> subprocess.CompletedProcess:
    """Run one ``fieldkit --data DATA ...`` command to its end."""
    done = subprocess.run(
        [*CLI, "--data", str(data), *args], capture_output=True, text=True, env=ENV, timeout=timeout
    )
    if check:
        assert done.returncode == 0, done.stderr + done.stdout
    return done


def start(data, *args) -> subprocess.Popen:
    """Start ``fieldkit --data DATA ...`` and return at once (output captured)."""
    return subprocess.Popen(
        [*CLI, "--data", str(data), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )


def finish(process: subprocess.Popen, timeout=180) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


class Central:
    """A ``fieldkit central serve`` process on one data folder and one loopback port."""

    def __init__(self, data, log_path):
        self.data = data
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.starts = 0
        fieldkit(data, "central", "init", "--admin", "admin", "--password", "correct horse")

    def start(self, deadline_s: float = 30) -> None:
        """Serve, and return once the sync API answers."""
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                [*CLI, "--data", str(self.data), "central", "serve", "--port", str(self.port)],
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env=ENV,
            )
        self.starts += 1
        line = self.process.stdout.readline()
        assert re.search(r"http://\S+", line), line + self.log()
        deadline = time.monotonic() + deadline_s
        while True:
            try:
                if httpx.get(self.url + "/api/v1/info", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "central did not answer after starting\n" + self.log()
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no cleanup, no checkpoint, mid-transaction if it was in one."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process.stdout.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process.stdout.close()

    def log(self) -> str:
        return Path(self.log_path).read_text()

    def db(self):
        return connect(self.data / "fieldkit.db")

    def code(self, org="kolwa-youth", country="KE") -> str:
        conn = self.db()
        try:
            return central_queries.create_code(conn, org, country)
        finally:
            conn.close()

    def enroll(self, device_data, org="kolwa-youth", country="KE") -> None:
        """Enrol a device data folder through the CLI."""
        out = fieldkit(device_data, "enroll", self.url, self.code(org, country)).stdout
        assert "Enrolled" in out, out
