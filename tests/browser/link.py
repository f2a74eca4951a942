"""A network link between a phone and the hub that a test can cut, as walking out of the hub's
Wi-Fi does: a TCP relay in front of the hub. Cut, every open connection is dropped (reset) and
new ones are refused at once, while the hub and the phone's browser both keep running; restored,
connections go through again. The bytes are relayed as they are, so TLS stays end to end.

Chromium's own offline emulation is not used for this: it does not reliably hold back a service
worker's requests, so a record could reach the hub while the page counted as offline."""

from __future__ import annotations

import socket
import struct
import threading


def _reset(sock: socket.socket) -> None:
    """Close at once with a reset, as a connection that lost its network ends for the browser."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)  # wakes the relay thread blocked reading it
    except OSError:
        pass
    sock.close()


class Link:
    """Listens on ``host`` (a free port) and relays every connection to ``host:target_port``."""

    def __init__(self, host: str, target_port: int):
        self.host, self.target_port = host, target_port
        self.listener = socket.create_server((host, 0))
        self.port = self.listener.getsockname()[1]
        self._up = True
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        """The phone is out of range: drop what is open, refuse what comes."""
        with self._lock:
            self._up = False
            dropped, self._open = self._open, set()
        for sock in dropped:
            _reset(sock)

    def restore(self) -> None:
        """The phone is back in range."""
        with self._lock:
            self._up = True

    def close(self) -> None:
        self._closed = True
        self.cut()
        self.listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                phone, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                up = self._up
            if not up:
                _reset(phone)
                continue
            try:
                hub = socket.create_connection((self.host, self.target_port), timeout=10)
                hub.settimeout(None)
            except OSError:
                _reset(phone)
                continue
            with self._lock:
                if not self._up:  # cut while connecting
                    _reset(phone)
                    _reset(hub)
                    continue
                self._open.update((phone, hub))
            ended: list[int] = []
            threading.Thread(target=self._pump, args=(phone, hub, ended), daemon=True).start()
            threading.Thread(target=self._pump, args=(hub, phone, ended), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, ended: list[int]) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
            sink.shutdown(socket.SHUT_WR)  # the other side finished sending
        except OSError:
            pass
        with self._lock:
            ended.append(1)
            both = len(ended) == 2
            if both:
                self._open.difference_update((source, sink))
        if both:  # both directions done: the pair is closed
            source.close()
            sink.close()
