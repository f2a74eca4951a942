"""Central's accounts and their sign-in limits: every SQL statement about them.

An account has a role (admin, member, viewer), a country (``*`` = all), a password hash, and a
``session_version``: a session is valid only while it carries the account's current version,
so signing out, changing or resetting the password and disabling all end every session of the
account at once, even a copied cookie.

Sign-in limits (:func:`claim_attempt`) live in SQLite so that every server thread and process
agrees: each attempt is counted *before* the password is checked, in one ``BEGIN IMMEDIATE``
transaction, and a success gives the attempt back.
"""

from __future__ import annotations

import functools
import math
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

from .. import roles
from ..db import transaction
from .queries import now_iso

COLUMNS = (
    "username",
    "role",
    "country",
    "disabled_at",
    "session_version",
    "last_seen_at",
    "created_at",
    "time_zone",
)

#: Failures forgotten after this long without another one.
FAILURE_WINDOW = 15 * 60
#: Longest wait between two attempts once an account or address is locked.
MAX_WAIT = 15 * 60
#: Attempts without any wait: per account name, and per client address (a room behind one NAT).
FREE_PER_ACCOUNT = 5
FREE_PER_ADDRESS = 20


def default_role(country: str) -> str:
    """The role an account gets when none is named: as before roles existed (see m10)."""
    return roles.ADMIN if country == "*" else roles.MEMBER


def add_user(conn, username: str, password: str, *, country: str = "*", role: str | None = None) -> None:
    """Create an account, or give an existing one this password, role and country (ends its sessions)."""
    role = role or default_role(country)
    with transaction(conn):
        conn.execute(
            "INSERT INTO central_users (username, password_hash, country, role, created_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (username) DO UPDATE SET "
            "password_hash = excluded.password_hash, country = excluded.country, role = excluded.role, "
            "session_version = session_version + 1",
            (username, generate_password_hash(password), country, role, now_iso()),
        )


def exists(conn, username: str) -> bool:
    return conn.execute("SELECT 1 FROM central_users WHERE username = ?", (username,)).fetchone() is not None


def get(conn, username: str) -> dict | None:
    """The account (without its hash), or None."""
    row = conn.execute(
        f"SELECT {', '.join(COLUMNS)} FROM central_users WHERE username = ?", (username,)
    ).fetchone()
    return dict(zip(COLUMNS, row, strict=True)) if row else None


def list_users(conn) -> list[dict]:
    rows = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM central_users ORDER BY username").fetchall()
    return [dict(zip(COLUMNS, r, strict=True)) for r in rows]


def count_admins(conn) -> int:
    return conn.execute(
        "SELECT COUNT(*) FROM central_users WHERE role = 'admin' AND disabled_at IS NULL"
    ).fetchone()[0]


@functools.cache
def _dummy_hash() -> str:
    # Made the same way as real hashes, so an unknown name costs the same time as a known one.
    return generate_password_hash(secrets.token_hex(16))


def check_password(conn, username: str, password: str) -> dict | None:
    """The account if ``password`` is its password (disabled or not), else None.

    The hash is always computed, for unknown names too: the answer takes the same time either way.
    """
    row = conn.execute(
        f"SELECT password_hash, {', '.join(COLUMNS)} FROM central_users WHERE username = ?", (username,)
    ).fetchone()
    right = check_password_hash(row[0] if row else _dummy_hash(), password)
    return dict(zip(COLUMNS, row[1:], strict=True)) if row and right else None


def set_password(conn, username: str, password: str) -> int:
    """A new password; every session of the account ends. Returns the new session version."""
    with transaction(conn):
        conn.execute(
            "UPDATE central_users SET password_hash = ?, session_version = session_version + 1 "
            "WHERE username = ?",
            (generate_password_hash(password), username),
        )
        return conn.execute(
            "SELECT session_version FROM central_users WHERE username = ?", (username,)
        ).fetchone()[0]


def end_sessions(conn, username: str) -> None:
    """Sign the account out everywhere (signing out ends every session of the account)."""
    with transaction(conn):
        conn.execute(
            "UPDATE central_users SET session_version = session_version + 1 WHERE username = ?", (username,)
        )


def set_disabled(conn, username: str, disabled: bool) -> bool:
    """Disable (ending every session) or enable an account; True if it exists."""
    with transaction(conn):
        cursor = conn.execute(
            "UPDATE central_users SET disabled_at = ?, session_version = session_version + 1 "
            "WHERE username = ?",
            (now_iso() if disabled else None, username),
        )
    return cursor.rowcount == 1


def set_time_zone(conn, username: str, zone: str) -> None:
    """The zone this account's pages show times in ("": its country's main zone)."""
    with transaction(conn):
        conn.execute("UPDATE central_users SET time_zone = ? WHERE username = ?", (zone, username))


def touch(conn, username: str) -> None:
    """Remember when the account was last active (shown on the accounts page)."""
    with transaction(conn):
        conn.execute("UPDATE central_users SET last_seen_at = ? WHERE username = ?", (now_iso(), username))


# --- sign-in limits ---------------------------------------------------------------------------


def wait_after(failures: int, free: int) -> float:
    """Seconds to wait after ``failures`` failures in a row: none for the first ``free``, then
    1, 2, 4 … seconds, at most :data:`MAX_WAIT`."""
    if failures <= free:
        return 0.0
    return float(min(2 ** min(failures - free - 1, 30), MAX_WAIT))


def claim_attempt(conn, limits: list[tuple[str, int]], now: float) -> int:
    """Count one sign-in attempt against each ``(key, free)``; or, if a key is locked, the whole
    seconds still to wait (nothing counted)."""
    with transaction(conn):
        rows = {}
        for key, _free in limits:
            row = conn.execute(
                "SELECT failures, last_at, locked_until FROM central_login_limits WHERE key = ?", (key,)
            ).fetchone()
            if row and row[2] > now:
                return max(1, math.ceil(row[2] - now))
            rows[key] = row
        for key, free in limits:
            row = rows[key]
            failures = (row[0] if row and now - row[1] < FAILURE_WINDOW else 0) + 1
            conn.execute(
                "INSERT INTO central_login_limits (key, failures, last_at, locked_until) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last_at = excluded.last_at, "
                "locked_until = excluded.locked_until",
                (key, failures, now, now + wait_after(failures, free)),
            )
    return 0


def attempt_succeeded(conn, account_key: str, address_key: str) -> None:
    """The right password: the account starts afresh; the address gets its attempt back."""
    with transaction(conn):
        conn.execute("DELETE FROM central_login_limits WHERE key = ?", (account_key,))
        conn.execute(
            "UPDATE central_login_limits SET failures = MAX(0, failures - 1), locked_until = 0 WHERE key = ?",
            (address_key,),
        )
