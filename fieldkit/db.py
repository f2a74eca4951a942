"""SQLite access: one connection per request, explicit write transactions, WAL mode."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils
from flask import current_app, g

from sync.journal import transaction  # noqa: F401 - the one write-transaction helper, shared with sync


def connect(path: str | Path) -> sqlite3.Connection:
    """Open the database in autocommit mode; writes use :func:`transaction`."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.row_factory = sqlite3.Row
    return conn


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run several statements inside the current transaction.

    ``executescript`` would commit first, silently breaking a migration's transaction.
    """
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        conn.execute(statement)


def get_db() -> sqlite3.Connection:
    """The request's connection, opened on first use and closed at teardown."""
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def close_db(_error=None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def utils(conn: sqlite3.Connection) -> sqlite_utils.Database:
    """sqlite-utils over an open connection, for schema and bulk work."""
    return sqlite_utils.Database(conn)


def init_app(app) -> None:
    app.teardown_appcontext(close_db)
