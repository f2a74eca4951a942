"""HTTPS and plain HTTP on one port, served by waitress (which speaks no TLS itself).

Phones on the hub need HTTPS (a secure context) for their location and for working offline;
the laptop's own window and older clients keep using plain HTTP on the same address, so
nothing else changes: no second port, no proxy, no other server.

Algorithm: each accepted connection starts as an ordinary waitress channel. On its first
readable event it peeks at the first byte without consuming it: ``0x16`` opens a TLS
handshake record, anything else is the first letter of an HTTP method. A TLS connection is
wrapped in the hub's ``ssl.SSLContext`` (the handshake then runs non-blocking inside the
event loop, so a slow phone never holds up the others), and its requests carry
``wsgi.url_scheme = "https"``. After that waitress reads and writes as usual; the only
differences are TLS's "want read/want write" answers, which mean "try again when the socket
is ready" exactly as ``EWOULDBLOCK`` does, and a lock, because waitress's worker threads also
write to the socket while an ``SSLSocket`` must not be used by two threads at once.

Reads ask for 64 kB, more than one TLS record (16 kB), so no decrypted data is ever left
waiting inside OpenSSL where ``poll()`` cannot see it.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser

TLS_HANDSHAKE = 0x16
RECV_BYTES = 65536


class HttpsRequestParser(HTTPRequestParser):
    """A request that came over TLS: the app sees ``https`` URLs."""

    def parse_header(self, header_plus):
        super().parse_header(header_plus)
        self.url_scheme = "https"


class SniffingChannel(HTTPChannel):
    """A waitress channel that turns itself into TLS when the client opens with a handshake."""

    protocol: str | None = None  # None until the first byte is seen, then "http" or "https"
    handshaken = False
    handshake_wants_write = False

    def __init__(self, server, sock, addr, adj, map=None):
        super().__init__(server, sock, addr, adj, map)
        self.tls_lock = threading.Lock()

    # --- deciding, and the handshake -----------------------------------------------------------

    def _sniff(self) -> bool:
        """Decide the protocol from the first byte; False while nothing has arrived yet."""
        try:
            first = self.socket.recv(1, socket.MSG_PEEK)
        except BlockingIOError:
            return False
        except OSError:
            self.handle_close()
            return False
        if not first:
            self.handle_close()
            return False
        if first[0] != TLS_HANDSHAKE:
            self.protocol = "http"
            return True
        self.protocol = "https"
        self.parser_class = HttpsRequestParser
        context = self.server.tls_context
        self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
        return True

    def _handshake(self) -> bool:
        """Advance the TLS handshake; True once it is done."""
        try:
            with self.tls_lock:
                self.socket.do_handshake()
        except ssl.SSLWantReadError:
            self.handshake_wants_write = False
            return False
        except ssl.SSLWantWriteError:
            self.handshake_wants_write = True
            return False
        except OSError:  # a bad handshake (or a client that gave up): nothing to answer
            self.handle_close()
            return False
        self.handshaken, self.handshake_wants_write = True, False
        self.last_activity = time.time()
        return True

    # --- waitress's event hooks ----------------------------------------------------------------

    def writable(self):
        return self.handshake_wants_write or super().writable()

    def handle_write(self):
        if self.protocol == "https" and not self.handshaken:
            if not self._handshake():
                return
        super().handle_write()

    def handle_read(self):
        if self.protocol is None and not self._sniff():
            return
        if self.protocol == "http":
            return super().handle_read()
        if not self.handshaken and not self._handshake():
            return
        while True:
            try:
                with self.tls_lock:
                    data = self.socket.recv(RECV_BYTES)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                return
            except OSError:  # a broken record, a reset, or the client's close_notify
                self.handle_close()
                return
            if not data:
                self.handle_close()
                return
            self.last_activity = time.time()
            self.received(data)
            if not self.connected or not self.socket.pending():
                return

    def send(self, data, do_close=True):
        if self.protocol != "https":
            return super().send(data, do_close=do_close)
        if not self.handshaken:
            return 0
        try:
            with self.tls_lock:
                return super().send(data, do_close=do_close)
        except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
            return 0  # OpenSSL keeps the record; waitress offers the same bytes again


def serve_https_too(server, context: ssl.SSLContext) -> None:
    """Let ``server`` (from ``waitress.create_server``) answer TLS as well as plain HTTP."""
    server.tls_context = context
    server.channel_class = SniffingChannel
