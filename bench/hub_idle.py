"""A community hub full of idle phones: how long does a new phone wait for its first page?

    python bench/hub_idle.py [--idle 100] [--new 10] [--timeout 120] [--https]

1. Starts a real hub, ``fieldkit --data DIR serve --lan --host 127.0.0.2``, on a throwaway
   data folder. The hub listens on 127.0.0.2, so every client counts as a phone (as on
   Wi-Fi), yet nothing leaves this machine.
2. Opens ``--idle`` connections the way phones' browsers do: each asks for the join page
   over HTTP/1.1 (all at once, as phones arriving together), reads the answer (up to 10 s)
   and then holds its keep-alive connection open, idle (25 phones keep about 4 each).
3. Then, with all of them still open, a new phone connects and asks for its first page
   (``GET /hub/join``) ``--new`` times, each on a fresh connection; each is timed from
   connecting to the last byte of the answer.
4. Prints the machine, the figures as a Markdown table, whether the idle connections were
   all still open, and how many lines the hub wrote to its log.

With ``--https`` every connection speaks TLS, as phones do (the hub's certificate is checked
against the authority it made in the data folder), handshake included in the timings.

Target: under 1 s for the new phone. Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import require_fieldkit  # noqa: E402

require_fieldkit()

from common import FIELDKIT, load_average, print_machine, print_table  # noqa: E402

from fieldkit.server import free_port  # noqa: E402

HOST = "127.0.0.2"
#: Set by --https: the TLS context phones' connections use, trusting the hub's own authority.
TLS: ssl.SSLContext | None = None


def connect(port: int, timeout: float) -> socket.socket:
    sock = socket.create_connection((HOST, port), timeout=timeout)
    return TLS.wrap_socket(sock, server_hostname=HOST) if TLS else sock


def request_bytes(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: keep-alive\r\n\r\n".encode()


def read_response(sock: socket.socket) -> int:
    """Read one HTTP response with a Content-Length; returns its status."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the headers")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    length = int(match.group(1)) if match else 0
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the body")
        body += chunk
    return status


def start_hub(data_dir: Path, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [*FIELDKIT, "--data", str(data_dir), "serve", "--lan", "--host", HOST, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the hub exited:\n{process.stdout.read()}")
        try:
            with connect(port, 5) as probe:
                probe.sendall(request_bytes("/hub/ping"))
                if read_response(probe) == 200:
                    return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the hub did not answer within 60 s")


def first_page(port: int, timeout: float) -> float:
    """Seconds from a new phone connecting to the last byte of its first page."""
    started = time.perf_counter()
    with connect(port, timeout) as sock:
        sock.sendall(request_bytes("/hub/join"))
        status = read_response(sock)
    if status != 200:
        raise RuntimeError(f"the join page answered {status}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=int, default=100, help="idle keep-alive connections held open")
    parser.add_argument("--new", type=int, default=10, help="new phones timed, one after another")
    parser.add_argument("--timeout", type=float, default=120.0, help="longest wait for one page, seconds")
    parser.add_argument("--https", action="store_true", help="connect over TLS, as phones do")
    args = parser.parse_args()

    print_machine()
    print(f"Load average before: {load_average()}")
    data_dir = Path(tempfile.mkdtemp(prefix="fieldkit-hub-bench-"))
    port = free_port(HOST)
    global TLS
    if args.https:  # the hub makes its certificate when it starts; trust it once it exists
        TLS = ssl.create_default_context()
        TLS.check_hostname = False
        TLS.verify_mode = ssl.CERT_NONE
    process = start_hub(data_dir, port)
    if args.https:
        TLS = ssl.create_default_context(cafile=str(data_dir / "hub-ca.pem"))
    idle: list[socket.socket] = []
    try:
        opened = time.perf_counter()
        for _ in range(args.idle):
            sock = connect(port, args.timeout)
            sock.sendall(request_bytes("/hub/join"))
            idle.append(sock)
        served = 0
        for sock in idle:  # a few seconds for each to be answered; then it just stays open
            sock.settimeout(max(0.1, opened + 10 - time.perf_counter()))
            try:
                served += read_response(sock) == 200
            except OSError:
                pass
            sock.settimeout(args.timeout)
        opening = time.perf_counter() - opened
        waits = [first_page(port, args.timeout) for _ in range(args.new)]
        still_open = 0
        for sock in idle:  # an idle phone's next click reuses its connection
            try:
                sock.sendall(request_bytes("/hub/ping"))
                still_open += read_response(sock) == 200
            except OSError:
                pass
    finally:
        for sock in idle:
            sock.close()
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()
    log = data_dir / "fieldkit.log"
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    queue_lines = sum("waitress.queue" in line for line in lines)
    shutil.rmtree(data_dir, ignore_errors=True)

    print(f"Load average after: {load_average()}")
    print()
    print_table(
        [
            ("Measure", "Figure", "Target"),
            ("Protocol", "HTTPS (TLS)" if args.https else "HTTP", ""),
            (f"Phones' connections answered within 10 s (of {args.idle})", str(served), "all"),
            ("Time to open and answer them", f"{opening:.2f} s", ""),
            (
                f"New phone's first page, median of {args.new}",
                f"{statistics.median(waits) * 1000:.0f} ms",
                "< 1 s",
            ),
            (f"New phone's first page, slowest of {args.new}", f"{max(waits) * 1000:.0f} ms", "< 1 s"),
            ("Idle connections still usable afterwards", f"{still_open} of {args.idle}", "all"),
            ("Lines in fieldkit.log (of which waitress queue warnings)", f"{len(lines)} ({queue_lines})", ""),
        ]
    )


if __name__ == "__main__":
    main()
