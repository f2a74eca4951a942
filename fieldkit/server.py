"""Serving FieldKit with a real WSGI server (waitress), never Flask's development server."""

from __future__ import annotations

import errno
import logging
import socket
import sqlite3
import threading
import time

from waitress.server import create_server

from .db import connect
from .https import serve_https_too

#: Sized for a community hub: 25 phones keep about 100 idle keep-alive connections open, a
#: big meeting several hundred. Waitress's default limit (100, counting its own sockets) made
#: the next phone wait in the listen queue until an idle connection timed out (85-120 s).
#: An idle connection costs a file descriptor and a few kB, not a thread, so the limit is
#: high; poll() instead of select() because select() cannot watch descriptors above 1024.
CONNECTION_LIMIT = 1000
#: Idle keep-alive connections are closed after this many seconds (waitress: 120).
CHANNEL_TIMEOUT = 60
#: Worker threads. Requests are short and mostly CPU in one process (2 cores on a typical
#: laptop); more threads than 8 only add contention, fewer let one slow upload hold up pages.
THREADS = 8
#: Waitress logs "Task queue depth is N" for every request that waits for a free thread: on a
#: busy hub that was 10,550 of 10,596 lines of the log. One such line a minute still says
#: the hub is busy.
QUEUE_LOG_INTERVAL = 60.0


class OncePerInterval(logging.Filter):
    """Let one record through per ``interval`` seconds (for a logger that repeats itself)."""

    def __init__(self, interval: float):
        super().__init__()
        self.interval = interval
        self.last = float("-inf")
        self.lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        with self.lock:
            if now - self.last < self.interval:
                return False
            self.last = now
            return True


def quiet_waitress_queue() -> None:
    """Rate-limit waitress's queue-depth warnings (idempotent)."""
    queue_log = logging.getLogger("waitress.queue")
    if not any(isinstance(f, OncePerInterval) for f in queue_log.filters):
        queue_log.addFilter(OncePerInterval(QUEUE_LOG_INTERVAL))


def _allow_open_files(wanted: int) -> None:
    """Raise this process's soft limit of open files towards ``wanted`` (POSIX; else nothing)."""
    try:
        import resource
    except ImportError:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class PortInUse(OSError):
    """Another program listens on the port asked for; ``suggestion`` is a free one nearby."""

    def __init__(self, port: int, suggestion: int):
        super().__init__(errno.EADDRINUSE, f"port {port} is in use")
        self.port = port
        self.suggestion = suggestion


def _is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port_near(port: int, host: str = "127.0.0.1", tries: int = 50) -> int:
    """The first free port after ``port`` (within ``tries``), else any free port."""
    for candidate in range(port + 1, min(port + 1 + tries, 65536)):
        if _is_free(host, candidate):
            return candidate
    return free_port(host)


def make_server(app, host: str = "127.0.0.1", port: int = 0, threads: int = THREADS, tls=None):
    """A waitress server bound to host:port (0 picks a free port); call ``.run()`` to serve.

    With ``tls`` (an ``ssl.SSLContext``) the same port answers HTTPS as well as plain HTTP.

    :raises PortInUse: if another program listens on ``port``.
    """
    quiet_waitress_queue()
    _allow_open_files(CONNECTION_LIMIT + 200)  # connections, plus the database, log and blobs
    try:
        server = create_server(
            app,
            host=host,
            port=port or free_port(host),
            threads=threads,
            connection_limit=CONNECTION_LIMIT,
            channel_timeout=CHANNEL_TIMEOUT,
            asyncore_use_poll=True,
            ident="FieldKit",
            clear_untrusted_proxy_headers=True,
            max_request_body_size=app.config["MAX_CONTENT_LENGTH"] + (1 << 20),
        )
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        raise PortInUse(port, free_port_near(port, host)) from None
    if tls is not None:
        serve_https_too(server, tls)
    # Hold one connection for the server's life. Each request opens and closes its own, and
    # when the last connection to a WAL database closes SQLite checkpoints and syncs the file:
    # ~10 ms added to every request, 5x the cost of recording an issue. The same connection
    # checkpoints every second in the background, so no request pays for a checkpoint either.
    keep_open = connect(app.config["DATABASE"])
    stop = threading.Event()

    def checkpoint():
        while not stop.wait(1.0):
            try:
                keep_open.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error:
                pass  # busy or gone: the next round, or a writer's own checkpoint, catches up

    checkpointer = threading.Thread(target=checkpoint, name="fieldkit-checkpoint", daemon=True)
    checkpointer.start()
    close = server.close

    def close_all():
        try:
            close()
        finally:
            stop.set()
            checkpointer.join()
            keep_open.close()

    server.close = close_all
    return server


def server_url(server) -> str:
    host, port = server.effective_host, server.effective_port
    return f"http://{host}:{port}/"
