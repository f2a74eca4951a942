"""A fault-injecting TCP proxy for sync tests and benchmarks: latency, a slow link, and
connection resets (a share of connections cut at a random byte, or a cut somewhere in every
N bytes). Used by tests/sync/test_faults.py (seconds) and bench/sync_faults.py (the full
2G-like scenario).

    with FaultProxy(("127.0.0.1", server_port), latency=0.5, rate=50_000 / 8, reset_share=0.3) as proxy:
        ... talk to proxy.url ...
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time


class FaultProxy:
    """Forward 127.0.0.1:<port> to ``upstream`` while injecting faults."""

    def __init__(self, upstream, *, latency=0.0, rate=None, reset_share=0.0, reset_every=None, seed=1):
        self.upstream = upstream
        self.latency = latency  # seconds added before each burst, each way
        self.rate = rate  # bytes per second each way, or None
        self.reset_share = reset_share  # share of requests whose connection is cut at a random byte
        self.reset_every = reset_every  # or: cut somewhere within every this many bytes
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.connections = 0
        self.resets = 0
        self.bytes = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.listener.close()
        self.thread.join(timeout=5)

    def _accept(self):
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                cut_at = self.random.randrange(1, self.reset_every) if self.reset_every else None
            threading.Thread(target=self._serve, args=(client, cut_at), daemon=True).start()

    def _serve(self, client, cut_at):
        try:
            upstream = socket.create_connection(self.upstream)
        except OSError:
            client.close()
            return
        state = {"through": 0, "cut_at": cut_at, "closed": False}
        pumps = [
            threading.Thread(
                target=self._pump, args=(client, upstream, state, client, upstream), daemon=True
            ),
            threading.Thread(
                target=self._pump, args=(upstream, client, state, client, upstream), daemon=True
            ),
        ]
        for pump in pumps:
            pump.start()
        for pump in pumps:
            pump.join()

    def _reset(self, state, *socks):
        with self.lock:
            if state["closed"]:
                return
            state["closed"] = True
            self.resets += 1
        for sock in socks:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.shutdown(socket.SHUT_RDWR)  # wakes the other direction's blocked recv
            except OSError:
                pass
            sock.close()

    def _pump(self, source, target, state, client, upstream):
        last = 0.0
        while not state["closed"]:
            try:
                data = source.recv(1024 if self.rate else 65536)
            except OSError:
                break
            if not data:
                break
            now = time.monotonic()
            burst = now - last > 0.05
            if burst and source is client and self.reset_share and state["cut_at"] is None:
                # A new request: keep-alive connections carry many, so faults are drawn per request.
                with self.lock:
                    if self.random.random() < self.reset_share:
                        state["cut_at"] = state["through"] + self.random.randrange(1, 8 * 1024)
            if self.latency and burst:
                time.sleep(self.latency)
            if self.rate:
                time.sleep(len(data) / self.rate)
            last = time.monotonic()
            with self.lock:
                self.bytes += len(data)
            state["through"] += len(data)
            if state["cut_at"] is not None and state["through"] >= state["cut_at"]:
                keep = len(data) - (state["through"] - state["cut_at"])
                try:
                    target.sendall(data[: max(0, keep)])
                except OSError:
                    pass
                self._reset(state, client, upstream)
                return
            try:
                target.sendall(data)
            except OSError:
                break
        with self.lock:
            if state["closed"]:
                return
            state["closed"] = True
        for sock in (client, upstream):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
