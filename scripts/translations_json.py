#!/usr/bin/env python3
"""Move a catalog's texts to and from JSON, for bulk translation with other tools.

    python scripts/translations_json.py export sw [--all] > sw.json
    python scripts/translations_json.py import sw sw.json

``export`` writes the untranslated (and fuzzy) entries of a locale, or all with ``--all``, as a
JSON list of {"context", "id", "plural", "notes", "forms", "string"}: ``string`` is a text,
or a list of ``forms`` texts for counted messages. ``import`` fills the catalog from such a
list; an entry whose placeholders or HTML tags differ from the English is refused and reported
(nothing else changes). Run ``fieldkit translations check`` afterwards.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fieldkit import catalogs  # noqa: E402
from fieldkit.i18n import html_tags, placeholders  # noqa: E402


def export(code: str, everything: bool) -> list[dict]:
    catalog = catalogs.read(catalogs.po_path(code), code)
    entries = []
    for message in catalog:
        if not message.id:
            continue
        done = catalogs._translated(message) and not message.fuzzy
        if done and not everything:
            continue
        plural = isinstance(message.id, (list, tuple))
        entries.append(
            {
                "context": message.context,
                "id": message.id[0] if plural else message.id,
                "plural": message.id[1] if plural else None,
                "notes": list(message.auto_comments),
                "forms": catalog.num_plurals if plural else 1,
                "string": list(message.string) if plural else message.string,
            }
        )
    return entries


def _problem(english: list[str], texts: list[str]) -> str | None:
    allowed = set().union(*(placeholders(e) for e in english))
    needed = set(placeholders(english[-1])) - {"num"}
    for text in texts:
        if not text:
            return "empty form"
        found = set(placeholders(text))
        if found - allowed or needed - found:
            return f"placeholders {sorted(found)} != {sorted(allowed)}"
        if html_tags(text) != html_tags(english[0]):
            return "HTML tags differ from the English"
    return None


def load(code: str, entries: list[dict]) -> tuple[int, list[str]]:
    path = catalogs.po_path(code)
    catalog = catalogs.read(path, code)
    by_key = {}
    for message in catalog:
        if message.id:
            first = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
            by_key[(message.context, first)] = message
    filled, problems = 0, []
    for entry in entries:
        message = by_key.get((entry.get("context"), entry["id"]))
        if message is None:
            problems.append(f"{entry['id']!r}: not in the catalog (run fieldkit translations update?)")
            continue
        string = entry.get("string")
        if not string or (isinstance(string, list) and not any(string)):
            continue  # still untranslated
        plural = isinstance(message.id, (list, tuple))
        texts = list(string) if isinstance(string, list) else [string]
        if plural and len(texts) != catalog.num_plurals:
            problems.append(f"{entry['id']!r}: {len(texts)} forms, the language needs {catalog.num_plurals}")
            continue
        english = list(message.id) if plural else [message.id]
        problem = _problem(english, texts)
        if problem:
            problems.append(f"{entry['id']!r}: {problem}")
            continue
        message.string = tuple(texts) if plural else texts[0]
        message.flags.discard("fuzzy")
        filled += 1
    catalogs.write(path, catalog)
    return filled, problems


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "export":
        json.dump(export(argv[1], "--all" in argv), sys.stdout, ensure_ascii=False, indent=1)
        return 0
    if len(argv) == 3 and argv[0] == "import":
        entries = json.loads(Path(argv[2]).read_text(encoding="utf-8"))
        filled, problems = load(argv[1], entries)
        for line in problems:
            print(line, file=sys.stderr)
        print(f"{argv[1]}: {filled} translation(s) filled, {len(problems)} refused")
        return 1 if problems else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
