"""FieldKit's conflict-aware replication engine: ops journal, merge, protocol, transports.

A library: it takes a database connection and a transport and never imports Flask views.
"""

from . import journal
from .errors import AuthError, BundleError, ProtocolError, SyncError, UnknownTable
from .ids import uuid7

__all__ = [
    "AuthError",
    "BundleError",
    "ProtocolError",
    "SyncError",
    "UnknownTable",
    "journal",
    "uuid7",
]
