"""One-time form tokens: the same form submitted twice yields its first result."""

from __future__ import annotations

from datetime import UTC, datetime


def seen(conn, token: str | None) -> str | None:
    """The result URL stored for a token already used, else None."""
    if not token:
        return None
    row = conn.execute("SELECT result FROM form_tokens WHERE token = ?", (token,)).fetchone()
    return row[0] if row else None


def claim(conn, token: str | None, result: str) -> None:
    """Record that ``token`` produced ``result`` (inside the write's transaction)."""
    if token:
        conn.execute(
            "INSERT INTO form_tokens (token, created_at, result) VALUES (?, ?, ?)",
            (token, datetime.now(UTC).isoformat(timespec="seconds"), result),
        )
