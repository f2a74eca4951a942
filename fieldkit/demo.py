"""Realistic, multilingual sample data for trying FieldKit (never mixed with real records)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sync import journal, merge

from .db import connect, transaction
from .migrations import migrate
from .queries import places
from .queries.actions import add_action
from .queries.events import add_event
from .queries.issues import create_issue, get_issue, update_issue
from .queries.meetings import create_meeting, get_meeting, link_issue

#: Who the sample records say made them (the org keeps them apart from real records).
DEMO_ORG = "demo"

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


# (country, language, kind, title, place, facilitator, agenda, notes, decisions, actions)
# where each action is (what, owner kind, owner name, due in days from today, status).
MEETINGS = [
    (
        "KE",
        "sw",
        "community",
        "Mkutano wa kijiji kuhusu maji",
        "Ukumbi wa Kolwa",
        "Wanjiru Achieng",
        "Kisima kilichoharibika; zahanati",
        "Wakazi walieleza jinsi wanavyotembea kilomita tatu kuchota maji.",
        "Kuandikia ofisi ya kaunti barua rasmi.",
        [
            ("Kuandika barua kwa ofisi ya maji ya kaunti", "partner", "Wanjiru Achieng", -12, "open"),
            ("Kuhesabu kaya zisizo na maji", "community", "Kamati ya maji", 9, "open"),
        ],
    ),
    (
        "SN",
        "fr",
        "dialogue",
        "Dialogue avec la mairie sur l'assainissement",
        "Mairie de Thiès",
        "Awa Diop",
        "Latrines de l'école ; ramassage des ordures",
        "Le maire adjoint a reconnu le retard du ramassage.",
        "La mairie enverra un camion chaque semaine.",
        [
            ("Envoyer un camion de ramassage chaque lundi", "official", "Service de la propreté", 20, "open"),
            ("Afficher le calendrier au marché", "partner", "Awa Diop", -30, "done"),
        ],
    ),
    (
        "IN",
        "hi",
        "social_audit",
        "मनरेगा का सामाजिक अंकेक्षण",
        "पंचायत भवन, मलीहाबाद",
        "सुनीता वर्मा",
        "पानी की टंकी; स्कूल शौचालय",
        "ग्रामसभा में बजट पढ़कर सुनाया गया।",
        "ब्लॉक अधिकारी को रिपोर्ट सौंपी जाएगी।",
        [("ब्लॉक अधिकारी को रिपोर्ट देना", "partner", "सुनीता वर्मा", 14, "open")],
    ),
    (
        "GH",
        "en",
        "budget_hearing",
        "District budget hearing on school facilities",
        "Ejisu assembly hall",
        "Kwame Mensah",
        "School toilets; road repairs",
        "The assembly read out this year's allocations for education.",
        "Partners will track the release of the school sanitation funds.",
        [("Ask the assembly for the release dates", "partner", "Kwame Mensah", 30, "open")],
    ),
    (
        "ZA",
        "en",
        "reflection",
        "Quarterly reflection session",
        "Imbali community hall",
        "Thandi Dlamini",
        "What changed this quarter",
        "Grant payments resumed for most older women after the dialogue.",
        "Keep visiting the pay point every month.",
        [("Visit the pay point and count who was paid", "community", "Ward committee", 5, "open")],
    ),
]

#: The one dispute: two devices set one issue's status from the same starting point.
DISPUTE = (("in_progress", "Wanjiru Achieng"), ("resolved", "Otieno Odhiambo"))


def has_records(app) -> tuple[bool, bool]:
    """Whether the data folder holds any record, and whether any of them is not sample data."""
    conn = connect(app.config["DATABASE"])
    try:
        found = real = False
        for table in ("issues", "meetings"):
            row = conn.execute(f"SELECT COUNT(*), COUNT(NULLIF(org, ?)) FROM {table}", (DEMO_ORG,)).fetchone()
            found, real = found or row[0] > 0, real or row[1] > 0
        return found, real
    finally:
        conn.close()


def fill(app, count: int = 300, seed: int = 7) -> int:
    """Add ``count`` sample issues, meetings with action items, and one dispute to an empty
    database; returns how many issues were added (0 if it held records already)."""
    if has_records(app)[0]:
        return 0
    conn = connect(app.config["DATABASE"])
    try:
        rng = random.Random(seed)
        today = date.today()
        issues = _issues(conn, rng, today, count)
        _meetings(conn, today, issues)
        with transaction(conn):
            places.learn_existing(conn)
        _dispute(conn, issues[0])
        return count
    finally:
        conn.close()


def _issues(conn, rng: random.Random, today: date, count: int) -> list[str]:
    """Sample issues in every country and language, half with a government commitment."""
    ids = []
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
                org=DEMO_ORG,
            )
            ids.append(issue_id)
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
    return ids


def _meetings(conn, today: date, issues: list[str]) -> None:
    """A meeting per sample country with its action items (one overdue) and an issue discussed."""
    by_country: dict[str, str] = {}
    for issue_id in issues:
        by_country.setdefault(get_issue(conn, issue_id)["country"], issue_id)
    with transaction(conn):
        for n, (
            country,
            language,
            kind,
            title,
            place,
            facilitator,
            agenda,
            notes,
            decisions,
            actions,
        ) in enumerate(MEETINGS):
            meeting_id = create_meeting(
                conn,
                {
                    "title": title,
                    "language": language,
                    "kind": kind,
                    "country": country,
                    "held_on": (today - timedelta(days=7 + 9 * n)).isoformat(),
                    "starts_at": "10:00",
                    "ends_at": "12:00",
                    "place": place,
                    "facilitator": facilitator,
                    "attendance_total": 40 + 7 * n,
                    "attendance_women": 22 + 3 * n,
                    "attendance_men": 18 + 4 * n,
                    "agenda": agenda,
                    "notes": notes,
                    "decisions": decisions,
                },
                author=facilitator,
                org=DEMO_ORG,
            )
            meeting = get_meeting(conn, meeting_id)
            issue_id = by_country.get(country)
            if issue_id:
                link_issue(
                    conn,
                    meeting,
                    {"issue_id": issue_id, "outcome": "raised", "note": "", "language": language},
                    author=facilitator,
                )
            for what, owner_kind, owner_name, due_in, status in actions:
                add_action(
                    conn,
                    meeting,
                    {
                        "what": what,
                        "language": language,
                        "owner_kind": owner_kind,
                        "owner_name": owner_name,
                        "due_on": (today + timedelta(days=due_in)).isoformat(),
                        "issue_id": issue_id,
                        "status": status,
                        "done_on": today.isoformat() if status == "done" else None,
                    },
                    author=facilitator,
                )


def _dispute(conn, issue_id: str) -> None:
    """One true conflict for the Review queue, made the way sync makes one.

    A second device (an in-memory replica) receives the issue's ops, and both devices change
    its status from the same starting value; the other device's op is then merged here with
    the sync merge, which keeps both values and marks the field disputed.
    """
    (mine, my_author), (theirs, their_author) = DISPUTE
    other = connect(":memory:")
    try:
        migrate(other)
        with transaction(other):
            for op in _ops_of(conn, issue_id):
                merge.apply_remote(other, op)
            journal.update(other, "issues", issue_id, {"status": theirs}, author=their_author)
        update_issue(conn, issue_id, {"status": mine}, author=my_author)
        device = journal.device_id(other)
        with transaction(conn):
            for op in _ops_of(other, issue_id):
                if op["device_id"] == device:
                    merge.apply_remote(conn, op)
    finally:
        other.close()


def _ops_of(conn, issue_id: str) -> list[dict]:
    rows = conn.execute(
        f"SELECT {merge.OP_COLUMNS} FROM sync_ops WHERE tbl = 'issues' AND row_id = ? ORDER BY device_id, dseq",
        (issue_id,),
    ).fetchall()
    return [merge.op_from_row(row) for row in rows]
