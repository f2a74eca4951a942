"""Read API tokens: every SQL statement about them.

A token is shown once, when it is made, and stored only as its SHA-256. It is bound to its
account: each use reads the account again, so the token reads with the account's current role
and country and stops working when the account is disabled or the token revoked.
"""

from __future__ import annotations

import secrets

from sync import keys

from ..db import transaction
from . import accounts
from .queries import now_iso

#: Tokens start with this, so a leaked one is recognised for what it is.
PREFIX = "fkr_"


def create(conn, username: str, label: str) -> str:
    """A new token for ``username``; the only time its text exists outside the caller."""
    token = PREFIX + secrets.token_urlsafe(32)
    with transaction(conn):
        conn.execute(
            "INSERT INTO central_read_tokens (username, label, token_hash, created_at) VALUES (?, ?, ?, ?)",
            (username, label, keys.hash_secret(token), now_iso()),
        )
    return token


def of(conn, username: str) -> list[dict]:
    """The account's tokens that still work, newest first (never their text)."""
    names = ("id", "label", "created_at", "last_used_at")
    cursor = conn.execute(
        f"SELECT {', '.join(names)} FROM central_read_tokens WHERE username = ? AND revoked_at IS NULL "
        "ORDER BY id DESC",
        (username,),
    )
    return [dict(zip(names, row, strict=True)) for row in cursor]


def revoke(conn, username: str, token_id: int) -> bool:
    """Revoke one of the account's own tokens; False if it has no such token."""
    with transaction(conn):
        cursor = conn.execute(
            "UPDATE central_read_tokens SET revoked_at = ? WHERE id = ? AND username = ? AND revoked_at IS NULL",
            (now_iso(), token_id, username),
        )
    return cursor.rowcount == 1


def account_for(conn, token: str) -> dict | None:
    """The enabled account a working token belongs to, or None."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    row = conn.execute(
        "SELECT id, username FROM central_read_tokens WHERE token_hash = ? AND revoked_at IS NULL",
        (keys.hash_secret(token),),
    ).fetchone()
    if row is None:
        return None
    account = accounts.get(conn, row[1])
    if account is None or account["disabled_at"]:
        return None
    with transaction(conn):
        conn.execute("UPDATE central_read_tokens SET last_used_at = ? WHERE id = ?", (now_iso(), row[0]))
    return account
