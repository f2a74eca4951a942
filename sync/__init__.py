"""FieldKit's conflict-aware replication engine: ops journal, merge, protocol, transports.

A library: it takes a database connection and a transport and never imports Flask views.
"""

from . import journal, merge, protocol, server
from .client import Client, Summary
from .errors import (
    AuthError,
    BundleError,
    Forbidden,
    Incompatible,
    ProtocolError,
    SyncError,
    TooLarge,
    UnknownTable,
)
from .ids import uuid7
from .server import Peer

__all__ = [
    "AuthError",
    "BundleError",
    "Client",
    "Forbidden",
    "Incompatible",
    "Peer",
    "ProtocolError",
    "Summary",
    "SyncError",
    "TooLarge",
    "UnknownTable",
    "journal",
    "merge",
    "protocol",
    "server",
    "uuid7",
]
