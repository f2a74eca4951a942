"""Errors raised by the sync library.

    SyncError
    ├── UnknownTable       an op names a table or field that is not synced
    ├── ProtocolError      the other side answered something this version cannot read
    ├── AuthError          token missing, wrong or revoked; op outside the device's scope
    └── BundleError        a bundle file is damaged, tampered with or not for us
"""


class SyncError(Exception):
    """Base of every sync error."""


class UnknownTable(SyncError):
    """An op names a table or field that is not synced."""


class ProtocolError(SyncError):
    """The other side spoke a protocol this version cannot read."""


class AuthError(SyncError):
    """Authentication or authorisation failed."""


class BundleError(SyncError):
    """A bundle file is damaged, tampered with or addressed to someone else."""
