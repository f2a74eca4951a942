"""Central's own records: one-time enrolment codes and enrolled devices (accounts: accounts.py)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sync import keys

from ..db import transaction


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


#: Letters and digits nobody confuses when reading a code aloud or typing it from a screen.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def normalise_code(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def create_code(
    conn,
    org: str,
    country: str,
    *,
    created_by: str = "",
    hours: int = 72,
    for_device: str | None = None,
    grants: str = "",
    device_name: str = "",
) -> str:
    """A one-time enrolment code for one device of ``org`` in ``country``; only its hash is kept.

    With ``for_device``, the code re-enrols that (already enrolled) device and no other; a code
    without it enrols only a device central has never seen. ``device_name`` names the device
    it enrols (pages show it instead of the device id).
    """
    code = "-".join("".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(5))
    expires = datetime.now(UTC) + timedelta(hours=hours)
    with transaction(conn):
        conn.execute(
            "INSERT INTO central_codes (code_hash, org, country, created_by, created_at, expires_at, "
            "for_device, device_name, grants) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                keys.hash_secret(normalise_code(code)),
                org,
                country,
                created_by,
                now_iso(),
                expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                for_device,
                device_name,
                grants,
            ),
        )
    return code


def redeem_code(conn, code: str, device_id: str, public_key: str, app_version: str) -> dict | None:
    """Use a code once, full stop: register the device and return its token and scope, or None.

    A spent code is refused even to the device that spent it (whoever replays it would
    otherwise take the device's place). A device central already knows is re-enrolled only by
    a code made for it (an admin's decision); a new device only by a code made for no device.
    """
    token = keys.new_secret()
    code_hash = keys.hash_secret(normalise_code(code))
    with transaction(conn):
        row = conn.execute(
            "SELECT org, country, for_device, device_name, grants FROM central_codes "
            "WHERE code_hash = ? AND expires_at > ? AND used_at IS NULL",
            (code_hash, now_iso()),
        ).fetchone()
        if row is None:
            return None
        org, country, for_device, name, grants = row
        known = conn.execute("SELECT 1 FROM central_devices WHERE device_id = ?", (device_id,)).fetchone()
        if for_device != (device_id if known else None):
            return None
        conn.execute(
            "UPDATE central_codes SET used_at = ?, device_id = ? WHERE code_hash = ?",
            (now_iso(), device_id, code_hash),
        )
        conn.execute(
            "INSERT INTO central_devices (device_id, org, country, token_hash, public_key, app_version, "
            "enrolled_at, name, grants) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET "
            "name = COALESCE(NULLIF(excluded.name, ''), central_devices.name), org = excluded.org, "
            "country = excluded.country, token_hash = excluded.token_hash, public_key = excluded.public_key, "
            "app_version = excluded.app_version, enrolled_at = excluded.enrolled_at, revoked_at = NULL, "
            "grants = excluded.grants",
            (
                device_id,
                org,
                country,
                keys.hash_secret(token),
                public_key,
                app_version,
                now_iso(),
                name,
                grants,
            ),
        )
    return {"token": token, "org": org, "country": country}


def grants_of(device: dict) -> frozenset:
    """What else an enrolled device may write (``records.TRANSLATE``), from its enrolment code."""
    return frozenset(filter(None, (device.get("grants") or "").split(",")))


def device_by_token(conn, token: str) -> dict | None:
    row = conn.execute(
        "SELECT device_id, org, country, revoked_at, public_key, grants FROM central_devices WHERE token_hash = ?",
        (keys.hash_secret(token),),
    ).fetchone()
    return (
        dict(zip(("device_id", "org", "country", "revoked_at", "public_key", "grants"), row, strict=False))
        if row
        else None
    )


def device(conn, device_id: str) -> dict | None:
    row = conn.execute(
        "SELECT device_id, org, country, revoked_at, public_key, grants FROM central_devices WHERE device_id = ?",
        (device_id,),
    ).fetchone()
    return (
        dict(zip(("device_id", "org", "country", "revoked_at", "public_key", "grants"), row, strict=False))
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


def device_registry(conn) -> dict[str, dict]:
    """Every enrolled device's partner and enrolment date, by device id (for naming devices on pages)."""
    rows = conn.execute("SELECT device_id, org, country, enrolled_at, name FROM central_devices").fetchall()
    return {r[0]: {"org": r[1], "country": r[2], "enrolled_at": r[3], "name": r[4]} for r in rows}


def list_devices(conn, country: str = "*") -> list[dict]:
    """Every enrolled device with its last sync, app version, clock offset and pending conflicts."""
    rows = conn.execute(
        "SELECT device_id, org, country, app_version, enrolled_at, last_sync_at, clock_offset_ms, "
        "implausible_times, revoked_at, name FROM central_devices WHERE (? = '*' OR country = ?) "
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
        "name",
    )
    devices = [dict(zip(names, r, strict=False)) for r in rows]
    for item in devices:
        item["conflicts"] = conn.execute(
            "SELECT COUNT(*) FROM sync_conflicts WHERE instr(candidates, ?) > 0",
            (f'"device_id": "{item["device_id"]}"',),
        ).fetchone()[0]
    return devices
