"""Realistic, multilingual sample data for trying FieldKit (never mixed with real records)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from .db import connect, transaction
from .queries.events import add_event
from .queries.issues import create_issue, get_issue

# (country, language, region, districts, communities, currency)
PLACES = [
    (
        "KE",
        "sw",
        "Kisumu",
        ["Kisumu East", "Nyando", "Seme"],
        ["Kolwa", "Ahero", "Kombewa", "Manyatta"],
        "KES",
    ),
    (
        "GH",
        "ak",
        "Ashanti",
        ["Ejisu", "Kwabre East", "Bosomtwe"],
        ["Besease", "Mamponteng", "Kuntanase"],
        "GHS",
    ),
    (
        "IN",
        "hi",
        "Uttar Pradesh",
        ["Lucknow", "Barabanki", "Sitapur"],
        ["Malihabad", "Dewa", "Biswan"],
        "INR",
    ),
    ("ID", "id", "Nusa Tenggara Timur", ["Kupang", "Belu", "Sikka"], ["Oesao", "Atambua", "Maumere"], "IDR"),
    ("SN", "fr", "Thiès", ["Thiès Nord", "Mbour", "Tivaouane"], ["Keur Massar", "Joal", "Pire"], "XOF"),
    (
        "ZA",
        "zu",
        "KwaZulu-Natal",
        ["uMgungundlovu", "eThekwini", "Zululand"],
        ["Imbali", "Inanda", "Ulundi"],
        "ZAR",
    ),
]

TEXTS = {
    "sw": [
        (
            "water",
            "Kisima cha maji kimeharibika tangu Machi",
            "Wakazi wanatembea kilomita tatu kuchota maji mtoni.",
        ),
        (
            "health",
            "Zahanati haina dawa za malaria",
            "Wagonjwa wanarudishwa nyumbani bila dawa kwa wiki mbili.",
        ),
    ],
    "ak": [
        ("education", "Sukuu no nni nsutae", "Mmofra no nnya nsuo pa wɔ sukuu hɔ."),
        ("roads", "Kwan no asɛe", "Kar biara ntumi mfa kwan no so wɔ osutɔ bere mu."),
    ],
    "hi": [
        ("water", "पानी की टंकी टूटी हुई है", "गाँव में तीन महीने से पीने का पानी नहीं है।"),
        ("education", "स्कूल में शौचालय नहीं है", "लड़कियाँ स्कूल आना बंद कर रही हैं क्योंकि शौचालय नहीं है।"),
    ],
    "id": [
        (
            "health",
            "Puskesmas kekurangan obat",
            "Stok obat habis sejak bulan lalu dan pasien dirujuk ke kota.",
        ),
        (
            "electricity",
            "Listrik padam setiap malam",
            "Sekolah dan puskesmas tidak bisa bekerja setelah gelap.",
        ),
    ],
    "fr": [
        (
            "sanitation",
            "Latrines de l'école fermées",
            "Les élèves de l'école de Thiès n'ont plus accès aux toilettes depuis janvier.",
        ),
        (
            "waste",
            "Dépôt d'ordures à côté du marché",
            "Les ordures ne sont plus ramassées depuis trois semaines.",
        ),
    ],
    "zu": [
        (
            "grants",
            "Isibonelelo asikhokhelwanga",
            "Omama abadala abakatholi imali yabo yesibonelelo kusukela ngoMashi.",
        ),
        ("housing", "Izindlu ziyavuza", "Izindlu ze-RDP ziyavuza uma lina."),
    ],
    "en": [
        (
            "water",
            "Borehole broken since March",
            "The hand pump at the community water point no longer works.",
        ),
        ("safety", "Street lights out near the clinic", "Nurses walk home in the dark after night shifts."),
    ],
}


def fill(app, count: int = 300, seed: int = 7) -> int:
    """Add ``count`` sample issues to an empty database; returns how many were added."""
    conn = connect(app.config["DATABASE"])
    try:
        if conn.execute("SELECT COUNT(*) FROM issues").fetchone()[0]:
            return 0
        rng = random.Random(seed)
        today = date.today()
        with transaction(conn):
            for n in range(count):
                country, language, region, districts, communities, currency = PLACES[n % len(PLACES)]
                if rng.random() < 0.25:
                    language = "en"
                sector, title, description = rng.choice(TEXTS[language])
                observed = today - timedelta(days=rng.randint(5, 400))
                issue_id = create_issue(
                    conn,
                    {
                        "title": title,
                        "description": description,
                        "language": language,
                        "sector": sector,
                        "status": "reported",
                        "country": country,
                        "region": region,
                        "district": rng.choice(districts),
                        "community": rng.choice(communities),
                        "facility": "",
                        "address": "",
                        "observed_on": observed.isoformat(),
                        "severity": rng.randint(1, 4),
                        "people_affected": rng.randint(10, 5000),
                        "responsible_body": "County department" if country == "KE" else "District assembly",
                        "budget_year": f"{today.year - 1}/{str(today.year)[2:]}",
                        "budget_currency": currency,
                        "budget_allocated": str(rng.randint(1, 500) * 10000),
                        "tags": ["demo"],
                        "visibility": "programme",
                    },
                    author="demo",
                    org="demo",
                )
                issue = get_issue(conn, issue_id)
                if rng.random() < 0.5:
                    said = rng.choice(
                        [
                            "The office promised to send a technician.",
                            "Le service a promis une réparation avant la fin du mois.",
                            "Ofisi imeahidi kurekebisha kisima.",
                        ]
                    )
                    due = observed + timedelta(days=rng.randint(10, 120))
                    add_event(
                        conn,
                        issue,
                        {
                            "kind": "response",
                            "occurred_on": (observed + timedelta(days=3)).isoformat(),
                            "channel": "meeting",
                            "official": "District officer",
                            "said": said,
                            "commitment": "Repair",
                            "due_on": due.isoformat(),
                            "fulfilled": 0,
                            "language": "en",
                        },
                        author="demo",
                    )
        return count
    finally:
        conn.close()
