"""Docs as tests: the README lists every setting and every command, with the two commands first."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fieldkit.cli import main
from fieldkit.settings import SETTINGS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_readme_documents_every_setting(setting):
    assert f"`{setting.env}`" in README, f"README settings table lacks {setting.env}"


def commands(group=main, prefix=("fieldkit",)):
    for name, command in group.commands.items():
        words = (*prefix, name)
        if hasattr(command, "commands"):
            yield from commands(command, words)
        else:
            yield " ".join(words)


@pytest.mark.parametrize("command", sorted(commands()))
def test_readme_documents_every_command(command):
    pattern = re.escape(command).replace(r"\ ", r"(\s+\[--data DIR\])?\s+", 1)
    assert re.search(pattern, README), f"README does not show `{command}`"


def test_readme_test_command_is_what_ci_runs():
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "scripts/test" in ci and "scripts/test" in README


def test_every_test_security_md_names_exists():
    """SECURITY.md says which test proves each line: each named file and test must be there."""
    root = Path(__file__).resolve().parent
    text = (root.parent / "SECURITY.md").read_text(encoding="utf-8")
    missing = []
    for cell in text.split("|"):
        current = None
        for ref in re.findall(r"`((?:[\w/]+\.py)?(?:::\w+)?)`", cell):
            path, _, name = ref.partition("::")
            if path and not Path(path).name.startswith("test_"):
                current = None  # a module of the code, not a test
                continue
            if path:
                path = path.removeprefix("tests/")
                current = next((p for p in (root / path, root / "sync" / path) if p.exists()), None)
                if current is None:
                    missing.append(path)
                    continue
            if name and current is not None and f"def {name}(" not in current.read_text(encoding="utf-8"):
                missing.append(f"{current.relative_to(root)}::{name}")
    assert not missing
