"""Every migration written in fieldkit/migrations.py is registered, once, under a name of its own."""

from __future__ import annotations

import inspect
import re

from fieldkit import migrations


def test_every_migration_function_is_registered_exactly_once():
    written = [
        name
        for name, function in inspect.getmembers(migrations, inspect.isfunction)
        if re.fullmatch(r"m\d+_\w+", name) and function.__module__ == migrations.__name__
    ]
    registered = [function.__name__ for function in migrations.MIGRATIONS]
    assert sorted(written) == sorted(registered)
    assert len(set(registered)) == len(registered)


def test_a_new_database_gets_every_migration_and_a_second_run_applies_none(tmp_path):
    path = tmp_path / "fieldkit.db"
    assert migrations.migrate_path(path) == [function.__name__ for function in migrations.MIGRATIONS]
    assert migrations.migrate_path(path) == []
