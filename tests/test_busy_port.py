"""A port another program listens on: ``fieldkit serve`` and ``start`` say so in one line and offer another."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys

import pytest

PROGRAM = [sys.executable, "-c", "import sys; from fieldkit.cli import main; sys.exit(main())"]


@pytest.fixture
def taken_port():
    """A real listening socket on 127.0.0.1, held by this test process."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def run_fieldkit(data_dir, *args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_") and k != "DISPLAY"}
    env["FIELDKIT_LANGUAGE"] = "en"
    return subprocess.run(
        [*PROGRAM, "--data", str(data_dir), *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


def offered_port(result, port: int) -> int:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    found = re.fullmatch(rf"Error: Port {port} is in use; try --port (\d+)", lines[0])
    assert found, lines[0]
    return int(found.group(1))


def can_listen_on(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_serve_on_a_taken_port_is_one_line_offering_a_free_port(taken_port, data_dir):
    result = run_fieldkit(data_dir, "serve", "--port", str(taken_port))
    offered = offered_port(result, taken_port)
    assert offered != taken_port and can_listen_on(offered)


def test_start_on_a_taken_port_is_one_line_offering_a_free_port(taken_port, data_dir):
    result = run_fieldkit(data_dir, "start", "--browser", "--port", str(taken_port))
    offered = offered_port(result, taken_port)
    assert offered != taken_port and can_listen_on(offered)


def test_after_a_taken_port_the_same_folder_serves_again(taken_port, data_dir):
    """The failed start let go of the data folder: it is not reported as already running."""
    run_fieldkit(data_dir, "serve", "--port", str(taken_port))
    again = run_fieldkit(data_dir, "serve", "--port", str(taken_port))
    assert "already serves" not in again.stderr
    offered_port(again, taken_port)
