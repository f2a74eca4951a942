"""Central's own records: country-team accounts, one-time enrolment codes, enrolled devices."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from werkzeug.security import check_password_hash, generate_password_hash

from sync import keys

from ..db import transaction


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_user(conn, username: str, password: str, *, country: str = "*") -> None:
    """Create or update a country-team account (password stored hashed)."""
    with transaction(conn):
        conn.execute(
            "INSERT INTO central_users (username, password_hash, country, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, "
            "country = excluded.country",
            (username, generate_password_hash(password), country, now_iso()),
        )


def check_user(conn, username: str, password: str) -> dict | None:
    """The account if the password is right, else None."""
    row = conn.execute(
        "SELECT username, password_hash, country FROM central_users WHERE username = ?", (username,)
    ).fetchone()
    if row is None or not check_password_hash(row[1], password):
        return None
    return {"username": row[0], "country": row[2]}


def count_users(conn) -> int:
    return conn.execute("SELECT COUNT(*) FROM central_users").fetchone()[0]


#: Letters and digits nobody confuses when reading a code aloud or typing it from a screen.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def normalise_code(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def create_code(conn, org: str, country: str, *, created_by: str = "", hours: int = 72) -> str:
    """A one-time enrolment code for one device of ``org`` in ``country``; only its hash is kept."""
    code = "-".join("".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(5))
    expires = datetime.now(UTC) + timedelta(hours=hours)
    with transaction(conn):
        conn.execute(
            "INSERT INTO central_codes (code_hash, org, country, created_by, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                keys.hash_secret(normalise_code(code)),
                org,
                country,
                created_by,
                now_iso(),
                expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
            ),
        )
    return code


def redeem_code(conn, code: str, device_id: str, public_key: str, app_version: str) -> dict | None:
    """Use a code once: register the device and return its new token and scope, or None."""
    token = keys.new_secret()
    code = normalise_code(code)
    with transaction(conn):
        # A retry by the same device (its answer was lost on a cut connection) gets a fresh
        # token; anyone else finds the code used.
        row = conn.execute(
            "SELECT org, country FROM central_codes c WHERE code_hash = ? AND expires_at > ? AND "
            "(used_at IS NULL OR (c.device_id = ? AND EXISTS (SELECT 1 FROM central_devices d "
            "WHERE d.device_id = c.device_id AND d.public_key = ? AND d.revoked_at IS NULL)))",
            (keys.hash_secret(code), now_iso(), device_id, public_key),
        ).fetchone()
        if row is None:
            return None
        org, country = row
        conn.execute(
            "UPDATE central_codes SET used_at = ?, device_id = ? WHERE code_hash = ?",
            (now_iso(), device_id, keys.hash_secret(code)),
        )
        conn.execute(
            "INSERT INTO central_devices (device_id, org, country, token_hash, public_key, app_version, enrolled_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET org = excluded.org, "
            "country = excluded.country, token_hash = excluded.token_hash, public_key = excluded.public_key, "
            "app_version = excluded.app_version, revoked_at = NULL",
            (device_id, org, country, keys.hash_secret(token), public_key, app_version, now_iso()),
        )
    return {"token": token, "org": org, "country": country}


def device_by_token(conn, token: str) -> dict | None:
    row = conn.execute(
        "SELECT device_id, org, country, revoked_at, public_key FROM central_devices WHERE token_hash = ?",
        (keys.hash_secret(token),),
    ).fetchone()
    return (
        dict(zip(("device_id", "org", "country", "revoked_at", "public_key"), row, strict=False))
        if row
        else None
    )


def device(conn, device_id: str) -> dict | None:
    row = conn.execute(
        "SELECT device_id, org, country, revoked_at, public_key FROM central_devices WHERE device_id = ?",
        (device_id,),
    ).fetchone()
    return (
        dict(zip(("device_id", "org", "country", "revoked_at", "public_key"), row, strict=False))
        if row
        else None
    )


def saw_device(
    conn, device_id: str, *, app_version: str, clock_offset_ms: int | None, implausible: int = 0
) -> None:
    """Record a device's visit: when, its app version, its clock offset, implausible times seen."""
    with transaction(conn):
        conn.execute(
            "UPDATE central_devices SET last_sync_at = ?, app_version = COALESCE(NULLIF(?, ''), app_version), "
            "clock_offset_ms = COALESCE(?, clock_offset_ms), implausible_times = implausible_times + ? "
            "WHERE device_id = ?",
            (now_iso(), app_version, clock_offset_ms, implausible, device_id),
        )


def revoke(conn, device_id: str) -> bool:
    """Cut a device off; True if it was enrolled and not yet revoked."""
    with transaction(conn):
        cursor = conn.execute(
            "UPDATE central_devices SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL",
            (now_iso(), device_id),
        )
    return cursor.rowcount == 1


def list_devices(conn, country: str = "*") -> list[dict]:
    """Every enrolled device with its last sync, app version, clock offset and pending conflicts."""
    rows = conn.execute(
        "SELECT device_id, org, country, app_version, enrolled_at, last_sync_at, clock_offset_ms, "
        "implausible_times, revoked_at FROM central_devices WHERE (? = '*' OR country = ?) "
        "ORDER BY country, org, enrolled_at",
        (country, country),
    ).fetchall()
    names = (
        "device_id",
        "org",
        "country",
        "app_version",
        "enrolled_at",
        "last_sync_at",
        "clock_offset_ms",
        "implausible_times",
        "revoked_at",
    )
    devices = [dict(zip(names, r, strict=False)) for r in rows]
    for item in devices:
        item["conflicts"] = conn.execute(
            "SELECT COUNT(*) FROM sync_conflicts WHERE instr(candidates, ?) > 0",
            (f'"device_id": "{item["device_id"]}"',),
        ).fetchone()[0]
    return devices
