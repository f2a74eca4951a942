"""Serving FieldKit with a real WSGI server (waitress), never Flask's development server."""

from __future__ import annotations

import errno
import socket
import sqlite3
import threading

from waitress.server import create_server

from .db import connect


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


def make_server(app, host: str = "127.0.0.1", port: int = 0, threads: int = 4):
    """A waitress server bound to host:port (0 picks a free port); call ``.run()`` to serve.

    :raises PortInUse: if another program listens on ``port``.
    """
    try:
        server = create_server(
            app,
            host=host,
            port=port or free_port(host),
            threads=threads,
            ident="FieldKit",
            clear_untrusted_proxy_headers=True,
            max_request_body_size=app.config["MAX_CONTENT_LENGTH"] + (1 << 20),
        )
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        raise PortInUse(port, free_port_near(port, host)) from None
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
