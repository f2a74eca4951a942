"""Errors raised by the sync library; each carries the HTTP status and problem code it maps to.

SyncError                 (500, "sync")
├── UnknownTable          an op names a table or field that is not synced
├── ProtocolError         (400, "protocol") the other side sent something this version cannot read
│   ├── Incompatible      (400, "protocol-version") the other side speaks another protocol version
│   └── TooLarge          (413, "too-large") a batch or body over the limits
├── AuthError             (401, "auth") token missing, wrong or revoked
│   └── Forbidden         (403, "forbidden") an op outside the device's scope, or of another device
└── BundleError           (422, "bundle") a bundle file is damaged, tampered with or not for us
"""


class SyncError(Exception):
    """Base of every sync error."""

    status = 500
    code = "sync"


class UnknownTable(SyncError):
    """An op names a table or field that is not synced."""


class ProtocolError(SyncError):
    """The other side spoke a protocol this version cannot read."""

    status = 400
    code = "protocol"


class Incompatible(ProtocolError):
    """The other side speaks another protocol version."""

    code = "protocol-version"


class TooLarge(ProtocolError):
    """A batch or request body is over the limits."""

    status = 413
    code = "too-large"


class AuthError(SyncError):
    """Authentication failed: no token, a wrong one, or a revoked one."""

    status = 401
    code = "auth"


class Forbidden(AuthError):
    """Authenticated, but the op or record is outside what this device may touch."""

    status = 403
    code = "forbidden"


class BundleError(SyncError):
    """A bundle file is damaged, tampered with or addressed to someone else.

    ``reason`` says which, for a translated message: ``damaged``, ``limits`` (too many or too
    large files, or a zip bomb) or ``signature`` (changed, or not from its sender).
    """

    status = 422
    code = "bundle"

    def __init__(self, message: str = "", reason: str = "damaged"):
        super().__init__(message)
        self.reason = reason
