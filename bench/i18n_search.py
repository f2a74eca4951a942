"""Multilingual search at scale: words in five scripts, parts of names, and translated text.

    .venv/bin/python bench/i18n_search.py [--count 100000] [--translations 5000] [--requests 60] [--data DIR]

Loads ``count`` generated issues with the real ``fieldkit import`` (the same data as
bench/issues.py), adds ``translations`` translations of issue text through the same code the
issue page uses, then serves FieldKit and times over HTTP: word searches (Hindi, Tamil,
French without accents), substring searches on names (community, facility, responsible
office: the trigram index), and searches that only a translation matches.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import require_fieldkit  # noqa: E402

require_fieldkit()

from common import Served, print_machine, print_table, run_fieldkit, summary_ms, timer  # noqa: E402
from issues import generate_csv  # noqa: E402

TARGET_MS = 100

CASES = {
    "Words (Hindi, Tamil, French without accents)": ["पानी", "शौचालय", "தண்ணீர்", "ecole", "medicaments"],
    "Part of a name (trigram: community, facility, official)": [
        "olwa",
        "anyatt",
        "ealth pos",
        "arket",
        "Lodw",
    ],
    "Only a translation matches": ["rompue", "tuyau", "inondation"],
    "No match": ["zzzqqq", "xylophone"],
}
TRANSLATED = ["La conduite d'eau est rompue", "Le tuyau fuit depuis des mois", "Risque d'inondation"]


def add_translations(data_dir: Path, count: int, seed: int = 2026) -> int:
    """Translations of issue titles into French, through the query the issue page uses."""
    from fieldkit import create_app
    from fieldkit.db import connect
    from fieldkit.queries import issues as issue_queries
    from fieldkit.queries import text_translations

    rng = random.Random(seed)
    app = create_app({"DATA_DIR": data_dir})
    conn = connect(app.config["DATABASE"])
    try:
        ids = [row[0] for row in conn.execute("SELECT id FROM issues WHERE language != 'fr'")]
        for issue_id in rng.sample(ids, min(count, len(ids))):
            issue = issue_queries.get_issue(conn, issue_id)
            text_translations.add_translation(conn, "issues", issue, "title", "fr", rng.choice(TRANSLATED))
    finally:
        conn.close()
    return min(count, len(ids))


def free_port() -> int:
    from fieldkit.server import free_port as port

    return port()


def time_pages(served: Served, paths: list[str], requests: int) -> list[float]:
    """Wall time of each GET, after one untimed warm-up of each path."""
    for path in paths:
        served.get(path)
    samples = []
    for n in range(requests):
        with timer() as elapsed:
            served.get(paths[n % len(paths)])
        samples.append(elapsed())
    return samples


def run(count: int, translations: int, requests: int, data: Path | None = None) -> list[tuple[str, str, str]]:
    with tempfile.TemporaryDirectory(prefix="fieldkit-bench-") as tmp:
        data_dir = data or Path(tmp) / "data"
        if data is None:
            csv_path = Path(tmp) / "issues.csv"
            generate_csv(csv_path, count)
            run_fieldkit(data_dir, "import", str(csv_path))
            added = add_translations(data_dir, translations)
            print(f"{count:,} issues, {added:,} translations", flush=True)
        rows = []
        with Served(data_dir, free_port()) as served:
            for label, queries in CASES.items():
                paths = [f"/issues/?{urlencode({'q': q})}" for q in queries]
                p50, p95 = summary_ms(time_pages(served, paths, requests))
                rows.append((f"{label}: p50 / p95", f"{p50:.1f} / {p95:.1f} ms", f"p95 < {TARGET_MS} ms"))
                print(f"{label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms", flush=True)
        return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--translations", type=int, default=5_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--data", type=Path, help="Time an existing data folder (e.g. one kept by a run).")
    args = parser.parse_args(argv)
    print_machine()
    print_table(run(args.count, args.translations, args.requests, args.data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
