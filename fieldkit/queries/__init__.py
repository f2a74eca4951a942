"""All SQL, one module per noun; functions take the connection first and return plain data."""

from __future__ import annotations


def in_country(alias: str, country: str | None) -> tuple[str, list]:
    """`` AND <alias>.country = ?`` with its bound value, or nothing when the scope is everything.

    ``country`` comes from :func:`fieldkit.scope.current` (None on a field device, where the
    SQL stays exactly as it was).
    """
    if country is None:
        return "", []
    return f" AND {alias}.country = ?", [country]
