"""Issues at scale: import, list, filter, search, create, database size and server memory.

    .venv/bin/python bench/issues.py [--count 100000] [--requests 40] [--keep]

Generates a realistic multilingual CSV (six countries with their regions, districts and
communities; every sector and status; titles and descriptions in English, French, Swahili,
Hindi and Tamil), loads it with the real ``fieldkit import FILE``, adds government
commitments (some past due) through the timeline code, then runs ``fieldkit serve`` and
times, over HTTP on 127.0.0.1, the pages a user opens: the issue list, the list filtered by
status, sector, district, severity and overdue commitments, searches in several languages,
the home page's attention lists, and recording a new issue through its form (CSRF and
one-time form token included). Last, it reads the server's resident memory from /proc.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import require_fieldkit  # noqa: E402

require_fieldkit()

from common import (  # noqa: E402
    CSRF,
    FORM_TOKEN,
    Served,
    files_size_mb,
    load_average,
    print_machine,
    print_table,
    run_fieldkit,
    summary_ms,
    timer,
)

TARGETS_MS = {"list": 50, "search": 100, "create": 30}
TARGET_IMPORT_S = 60  # for 100,000 issues
TARGET_RSS_MB = 150

# country, region -> districts -> communities, currency, languages written there
PLACES = {
    "KE": (
        "KES",
        ["sw", "en"],
        {
            "Kisumu": {
                "Kisumu East": ["Kolwa", "Manyatta", "Nyalenda"],
                "Nyando": ["Ahero", "Awasi"],
                "Seme": ["Kombewa", "Otieno Owala"],
            },
            "Turkana": {"Loima": ["Lorugum", "Lokiriama"], "Turkana Central": ["Lodwar", "Kanamkemer"]},
            "Kilifi": {"Malindi": ["Gede", "Shella"], "Ganze": ["Bamba", "Jaribuni"]},
        },
    ),
    "GH": (
        "GHS",
        ["en"],
        {
            "Ashanti": {
                "Ejisu": ["Besease", "Onwe"],
                "Kwabre East": ["Mamponteng", "Aboaso"],
                "Bosomtwe": ["Kuntanase", "Jachie"],
            },
            "Northern": {"Tolon": ["Nyankpala", "Gbulahagu"], "Savelugu": ["Pong-Tamale", "Diare"]},
        },
    ),
    "IN": (
        "INR",
        ["hi", "ta", "en"],
        {
            "Uttar Pradesh": {
                "Lucknow": ["Malihabad", "Bakshi Ka Talab"],
                "Barabanki": ["Dewa", "Fatehpur"],
                "Sitapur": ["Biswan", "Laharpur"],
            },
            "Tamil Nadu": {
                "Madurai": ["Melur", "Thirumangalam"],
                "Villupuram": ["Gingee", "Tindivanam"],
                "Tiruvannamalai": ["Polur", "Chengam"],
            },
            "Bihar": {"Gaya": ["Bodh Gaya", "Sherghati"], "Darbhanga": ["Benipur", "Jale"]},
        },
    ),
    "ID": (
        "IDR",
        ["en"],
        {
            "Nusa Tenggara Timur": {
                "Kupang": ["Oesao", "Baumata"],
                "Belu": ["Atambua", "Halilulik"],
                "Sikka": ["Maumere", "Nita"],
            },
        },
    ),
    "SN": (
        "XOF",
        ["fr", "en"],
        {
            "Thiès": {
                "Thiès Nord": ["Keur Massar", "Cité Lamy"],
                "Mbour": ["Joal", "Saly", "Nguékhokh"],
                "Tivaouane": ["Pire", "Mékhé"],
            },
            "Kolda": {"Vélingara": ["Kounkané", "Diaobé"], "Médina Yoro Foulah": ["Pata", "Badion"]},
        },
    ),
    "ZA": (
        "ZAR",
        ["en"],
        {
            "KwaZulu-Natal": {
                "uMgungundlovu": ["Imbali", "Edendale"],
                "eThekwini": ["Inanda", "Umlazi"],
                "Zululand": ["Ulundi", "Nongoma"],
            },
            "Eastern Cape": {"OR Tambo": ["Mthatha", "Libode"], "Amathole": ["Butterworth", "Idutywa"]},
        },
    ),
}

# language -> sector -> [(title, description)]; details are appended for variety.
TEXTS = {
    "en": {
        "water": [
            ("Borehole broken since March", "The hand pump at the community water point no longer works."),
            ("Water tank leaking", "Half of the water is lost before it reaches the taps."),
        ],
        "sanitation": [("School latrines blocked", "Pupils use the bush because the latrines are full.")],
        "health": [
            ("Clinic has no malaria medicine", "Patients are sent home without treatment for two weeks."),
            ("No nurse at night at the health post", "Women give birth without help after dark."),
        ],
        "education": [
            ("Classroom roof blown off", "Children learn under a tree since the storm."),
            ("Teachers absent for weeks", "Only one teacher comes for three classes."),
        ],
        "roads": [("Bridge washed away by floods", "The market cannot be reached by car during the rains.")],
        "electricity": [("Transformer burnt out", "The whole village has had no power for a month.")],
        "housing": [
            ("Houses crack after one year", "The new houses built by the programme are already cracking.")
        ],
        "grants": [("Old age grant not paid", "Pensioners have not received their grant since March.")],
        "waste": [("Rubbish not collected near the market", "Waste piles up and burns every evening.")],
        "safety": [("Street lights out near the clinic", "Nurses walk home in the dark after night shifts.")],
        "other": [("Market shed roof collapsed", "Traders have nowhere to sell when it rains.")],
    },
    "fr": {
        "water": [
            ("Forage en panne depuis trois mois", "La pompe du quartier ne donne plus d'eau potable."),
            ("Château d'eau fissuré", "L'eau coule sur la route et les robinets sont à sec."),
        ],
        "sanitation": [
            ("Latrines de l'école fermées", "Les élèves n'ont plus accès aux toilettes depuis janvier.")
        ],
        "health": [
            ("Poste de santé sans médicaments", "Les malades repartent sans traitement contre le paludisme."),
            ("Maternité sans sage-femme", "Les femmes accouchent sans aide la nuit."),
        ],
        "education": [
            ("Salle de classe sans toit", "Les élèves étudient sous un arbre depuis l'hivernage."),
            ("École sans enseignants", "Un seul maître pour trois classes depuis la rentrée."),
        ],
        "roads": [("Piste coupée par les pluies", "Les charrettes ne peuvent plus rejoindre le marché.")],
        "electricity": [
            ("Coupures d'électricité chaque soir", "Le poste de santé travaille à la lampe torche.")
        ],
        "housing": [("Logements sociaux inachevés", "Les familles attendent les clés depuis deux ans.")],
        "grants": [
            ("Bourses familiales non versées", "Les ménages n'ont rien reçu depuis le trimestre dernier.")
        ],
        "waste": [
            ("Dépôt d'ordures à côté du marché", "Les ordures ne sont plus ramassées depuis trois semaines.")
        ],
        "safety": [("Éclairage public en panne", "Les rues du quartier sont dans le noir complet.")],
        "other": [("Marché hebdomadaire sans hangar", "Les commerçantes vendent en plein soleil.")],
    },
    "sw": {
        "water": [
            ("Kisima cha maji kimeharibika", "Wakazi wanatembea kilomita tatu kuchota maji mtoni."),
            ("Bomba la maji limepasuka", "Maji yanapotea barabarani kila siku."),
        ],
        "sanitation": [("Vyoo vya shule vimejaa", "Wanafunzi wanakosa vyoo safi shuleni.")],
        "health": [
            ("Zahanati haina dawa za malaria", "Wagonjwa wanarudishwa nyumbani bila dawa kwa wiki mbili."),
            ("Hakuna muuguzi usiku", "Akina mama wanajifungua bila msaada usiku."),
        ],
        "education": [
            ("Darasa halina paa", "Watoto wanasoma chini ya mti tangu mvua kubwa."),
            ("Walimu hawapo shuleni", "Mwalimu mmoja anafundisha madarasa matatu."),
        ],
        "roads": [("Daraja limesombwa na mafuriko", "Soko haliwezi kufikiwa wakati wa mvua.")],
        "electricity": [("Transfoma imeungua", "Kijiji kizima hakina umeme kwa mwezi mmoja.")],
        "housing": [("Nyumba zina nyufa", "Nyumba mpya tayari zina nyufa baada ya mwaka mmoja.")],
        "grants": [("Pesa za wazee hazijalipwa", "Wazee hawajapokea pesa zao tangu Machi.")],
        "waste": [("Taka hazijakusanywa sokoni", "Taka zinarundikana na kuchomwa kila jioni.")],
        "safety": [("Taa za barabarani hazifanyi kazi", "Wauguzi wanatembea gizani baada ya zamu ya usiku.")],
        "other": [("Paa la soko limeanguka", "Wafanyabiashara hawana mahali pa kuuzia mvua ikinyesha.")],
    },
    "hi": {
        "water": [
            ("पानी की टंकी टूटी हुई है", "गाँव में तीन महीने से पीने का पानी नहीं है।"),
            ("हैंडपंप खराब है", "महिलाएँ दो किलोमीटर दूर से पानी लाती हैं।"),
        ],
        "sanitation": [("स्कूल में शौचालय नहीं है", "लड़कियाँ स्कूल आना बंद कर रही हैं क्योंकि शौचालय नहीं है।")],
        "health": [
            ("स्वास्थ्य केंद्र में दवाई नहीं है", "मरीज़ों को बिना इलाज के लौटाया जा रहा है।"),
            ("रात में कोई नर्स नहीं", "प्रसव के समय कोई मदद नहीं मिलती।"),
        ],
        "education": [
            ("कक्षा की छत गिर गई", "बच्चे पेड़ के नीचे पढ़ रहे हैं।"),
            ("शिक्षक हफ्तों से गायब", "तीन कक्षाओं के लिए एक ही शिक्षक आता है।"),
        ],
        "roads": [("बाढ़ में पुल बह गया", "बारिश में बाज़ार तक पहुँचना संभव नहीं है।")],
        "electricity": [("ट्रांसफार्मर जल गया", "पूरे गाँव में एक महीने से बिजली नहीं है।")],
        "housing": [("आवास योजना के घरों में दरारें", "नए घरों में एक साल में ही दरारें आ गईं।")],
        "grants": [("वृद्धावस्था पेंशन नहीं मिली", "बुज़ुर्गों को मार्च से पेंशन नहीं मिली है।")],
        "waste": [("बाज़ार के पास कूड़ा नहीं उठाया गया", "कूड़ा हर शाम जलाया जाता है।")],
        "safety": [("स्ट्रीट लाइट बंद हैं", "नर्सें रात की पाली के बाद अंधेरे में घर जाती हैं।")],
        "other": [("राशन की दुकान बंद रहती है", "परिवारों को महीने का राशन नहीं मिला।")],
    },
    "ta": {
        "water": [
            ("குடிநீர் குழாய் உடைந்துள்ளது", "கிராமத்தில் மூன்று மாதங்களாக தண்ணீர் இல்லை."),
            ("அடிகுழாய் பழுதடைந்துள்ளது", "பெண்கள் இரண்டு கிலோமீட்டர் நடந்து தண்ணீர் கொண்டு வருகிறார்கள்."),
        ],
        "sanitation": [("பள்ளியில் கழிப்பறை இல்லை", "மாணவிகள் பள்ளிக்கு வருவதை நிறுத்துகிறார்கள்.")],
        "health": [
            ("ஆரம்ப சுகாதார நிலையத்தில் மருந்து இல்லை", "நோயாளிகள் சிகிச்சை இல்லாமல் திருப்பி அனுப்பப்படுகிறார்கள்."),
            ("இரவில் செவிலியர் இல்லை", "பிரசவத்தின் போது உதவி கிடைப்பதில்லை."),
        ],
        "education": [
            ("வகுப்பறை கூரை இடிந்தது", "குழந்தைகள் மரத்தடியில் படிக்கிறார்கள்."),
            ("ஆசிரியர்கள் வருவதில்லை", "மூன்று வகுப்புகளுக்கு ஒரே ஆசிரியர்."),
        ],
        "roads": [("வெள்ளத்தில் பாலம் அடித்துச் செல்லப்பட்டது", "மழைக்காலத்தில் சந்தைக்குச் செல்ல முடியவில்லை.")],
        "electricity": [("மின்மாற்றி எரிந்துவிட்டது", "ஒரு மாதமாக கிராமத்தில் மின்சாரம் இல்லை.")],
        "housing": [("வீடுகளில் விரிசல்", "புதிய வீடுகளில் ஒரு வருடத்திலேயே விரிசல்.")],
        "grants": [("முதியோர் உதவித்தொகை வழங்கப்படவில்லை", "மார்ச் முதல் முதியோருக்கு உதவித்தொகை இல்லை.")],
        "waste": [("சந்தை அருகே குப்பை அகற்றப்படவில்லை", "குப்பை ஒவ்வொரு மாலையும் எரிக்கப்படுகிறது.")],
        "safety": [("தெரு விளக்குகள் எரியவில்லை", "செவிலியர்கள் இருட்டில் வீடு திரும்புகிறார்கள்.")],
        "other": [("நியாய விலைக் கடை மூடியே உள்ளது", "குடும்பங்களுக்கு மாத ரேஷன் கிடைக்கவில்லை.")],
    },
}

DETAILS = {
    "en": [
        "The district officer was informed in writing.",
        "About {n} households are affected.",
        "The community raised it at the last meeting.",
        "Repairs were promised before the rains.",
        "Photos were taken during the follow-up visit.",
    ],
    "fr": [
        "Le sous-préfet a été informé par écrit.",
        "Environ {n} ménages sont touchés.",
        "La communauté l'a soulevé lors de la dernière réunion.",
        "Des réparations étaient promises avant l'hivernage.",
        "Des photos ont été prises lors de la visite de suivi.",
    ],
    "sw": [
        "Afisa wa kaunti alijulishwa kwa barua.",
        "Takriban kaya {n} zimeathirika.",
        "Jamii ililalamika katika mkutano uliopita.",
        "Matengenezo yaliahidiwa kabla ya mvua.",
    ],
    "hi": [
        "ज़िला अधिकारी को लिखित में सूचना दी गई।",
        "लगभग {n} परिवार प्रभावित हैं।",
        "ग्राम सभा में यह मुद्दा उठाया गया।",
        "बारिश से पहले मरम्मत का वादा किया गया था।",
    ],
    "ta": [
        "மாவட்ட அலுவலருக்கு எழுத்து மூலம் தெரிவிக்கப்பட்டது.",
        "சுமார் {n} குடும்பங்கள் பாதிக்கப்பட்டுள்ளன.",
        "கிராம சபையில் இது எழுப்பப்பட்டது.",
        "மழைக்கு முன் பழுது பார்ப்பதாக உறுதி அளிக்கப்பட்டது.",
    ],
}

# Indian regions write in the region's language; elsewhere the country's languages.
REGION_LANGUAGES = {"Uttar Pradesh": ["hi", "en"], "Bihar": ["hi", "en"], "Tamil Nadu": ["ta", "en"]}

STATUS_WEIGHTS = {
    "reported": 30,
    "verified": 12,
    "raised": 14,
    "acknowledged": 8,
    "committed": 8,
    "in_progress": 8,
    "resolved": 12,
    "unresolved": 5,
    "duplicate": 3,
}
BODIES = {
    "KE": "County department of water",
    "GH": "District assembly",
    "IN": "Block development office",
    "ID": "Dinas kesehatan",
    "SN": "Mairie",
    "ZA": "Local municipality",
}

#: What the bench searches for: English, French with and without accents, Swahili, Hindi,
#: Tamil, a word's start, two words, and a place.
SEARCHES = [
    "borehole",
    "école",
    "ecole",
    "médicaments",
    "maji",
    "पानी",
    "शौचालय",
    "தண்ணீர்",
    "clinic medicine",
    "transfo",
    "Kisumu",
    "zahanati dawa",
]


def generate_csv(path: Path, count: int, seed: int = 2026) -> None:
    """Write ``count`` realistic issues to a CSV in the documented import columns."""
    from fieldkit.transfer import COLUMNS

    rng = random.Random(seed)
    today = date.today()
    places = [
        (country, region, districts)
        for country, (_, _, regions) in PLACES.items()
        for region, districts in regions.items()
    ]
    statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for _ in range(count):
            country, region, districts = rng.choice(places)
            currency, languages, _ = PLACES[country]
            language = rng.choice(REGION_LANGUAGES.get(region, languages))
            district = rng.choice(sorted(districts))
            community = rng.choice(districts[district])
            sector = rng.choice(list(TEXTS[language]))
            title, description = rng.choice(TEXTS[language][sector])
            details = " ".join(
                d.format(n=rng.randint(5, 400)) for d in rng.sample(DETAILS[language], rng.randint(1, 3))
            )
            observed = today - timedelta(days=rng.randint(1, 730))
            created = observed + timedelta(days=rng.randint(0, 20))
            if created > today:
                created = today
            writer.writerow(
                {
                    "created_at": f"{created.isoformat()}T{rng.randint(6, 19):02d}:{rng.randint(0, 59):02d}:00Z",
                    "language": language,
                    "title": title if rng.random() < 0.7 else f"{title} — {community}",
                    "description": f"{description} {details}",
                    "sector": sector,
                    "status": rng.choices(statuses, weights)[0],
                    "severity": rng.choice("1223334"),
                    "country": country,
                    "region": region,
                    "district": district,
                    "ward": f"Ward {rng.randint(1, 12)}",
                    "community": community,
                    "facility": rng.choice(
                        ["", "", "Primary school", "Health post", "Water point", "Market"]
                    ),
                    "address": "",
                    "observed_on": observed.isoformat(),
                    "people_affected": rng.randint(5, 5000),
                    "households_affected": rng.randint(1, 800),
                    "responsible_body": BODIES[country],
                    "responsible_official": "",
                    "budget_year": f"{today.year - 1}/{str(today.year)[2:]}" if rng.random() < 0.3 else "",
                    "budget_code": "",
                    "budget_description": "",
                    "budget_currency": currency,
                    "budget_allocated": str(rng.randint(1, 500) * 10000) if rng.random() < 0.3 else "",
                    "budget_released": "",
                    "budget_spent": "",
                    "tags": rng.choice(["", "", "urgent", "women, children", "rainy season"]),
                    "visibility": rng.choice(["programme", "programme", "public", "private"]),
                }
            )


def add_commitments(data_dir: Path, share: float, seed: int = 2026) -> int:
    """Give ``share`` of the open issues a government response with a commitment and due date
    (a third of them already past), through the timeline code; returns how many."""
    from fieldkit import create_app
    from fieldkit.db import connect, transaction
    from fieldkit.queries.events import add_event
    from fieldkit.records import CLOSED_STATUSES

    rng = random.Random(seed)
    app = create_app({"DATA_DIR": data_dir})
    today = date.today()
    conn = connect(app.config["DATABASE"])
    conn.row_factory = __import__("sqlite3").Row
    added = 0
    try:
        with app.app_context(), transaction(conn):
            rows = conn.execute(
                "SELECT * FROM issues WHERE status NOT IN (?, ?, ?) ORDER BY rowid", CLOSED_STATUSES
            ).fetchall()
            for row in rows:
                if rng.random() >= share:
                    continue
                issue = dict(row)
                occurred = date.fromisoformat(issue["observed_on"]) + timedelta(days=rng.randint(1, 30))
                occurred = min(occurred, today)
                due = today + timedelta(days=rng.randint(-60, 120))
                add_event(
                    conn,
                    issue,
                    {
                        "kind": "response",
                        "occurred_on": occurred.isoformat(),
                        "language": "en",
                        "channel": rng.choice(["meeting", "letter", "phone"]),
                        "official": "District officer",
                        "said": "The office promised to send a technician.",
                        "commitment": "Repair",
                        "due_on": due.isoformat(),
                        "fulfilled": 0,
                    },
                    author="bench",
                )
                added += 1
    finally:
        conn.close()
    return added


def time_pages(served: Served, paths: list[str], requests: int, headers: dict) -> list[float]:
    """Wall time of each GET (after one untimed warm-up of each path)."""
    for path in paths:
        served.get(path, headers=headers)
    samples = []
    for n in range(requests):
        path = paths[n % len(paths)]
        with timer() as elapsed:
            served.get(path, headers=headers)
        samples.append(elapsed())
    return samples


def ms(samples: list[float]) -> str:
    """ "p50 / p95 ms" of samples in seconds."""
    p50, p95 = summary_ms(samples)
    return f"{p50:.1f} / {p95:.1f} ms"


def issue_form(page: str, n: int) -> dict:
    """A new-issue form as a browser would post it, with the page's CSRF and one-time tokens."""
    return {
        "csrf_token": CSRF.search(page).group(1),
        "form_token": FORM_TOKEN.search(page).group(1),
        "title": f"Puits tari à Joal n°{n}",
        "sector": "water",
        "language": "fr",
        "description": "Le forage ne donne plus d'eau depuis la semaine dernière.",
        "observed_on": date.today().isoformat(),
        "severity": "3",
        "country": "SN",
        "region": "Thiès",
        "district": "Mbour",
        "community": "Joal",
        "people_affected": "120",
        "anonymous": "1",
        "status": "reported",
        "visibility": "programme",
    }


def time_creates(served: Served, requests: int) -> list[float]:
    """Wall time of each POST /issues/new (the form page is fetched first, untimed, for its tokens)."""
    samples = []
    for n in range(requests):
        form = issue_form(served.get("/issues/new").text, n)
        with timer() as elapsed:
            response = served.http.post("/issues/new", data=form)
        if response.status_code != 303:
            raise RuntimeError(f"POST /issues/new answered {response.status_code}: {response.text[:500]}")
        samples.append(elapsed())
    return samples


def cpu_per_request(data_dir: Path, cases: list, requests: int, creates: int) -> dict[str, list[float]]:
    """CPU time of each request (same app, same database, Flask test client in this process,
    this thread only): what serving costs, however busy others keep a shared machine."""
    from fieldkit import create_app
    from fieldkit.db import connect

    app = create_app({"DATA_DIR": data_dir})
    client = app.test_client()
    keep_open = connect(app.config["DATABASE"])  # as `fieldkit serve` does (fieldkit.server)
    found = {}
    for label, paths, headers in cases:
        for path in paths:
            client.get(path, headers=headers)
        samples = []
        for n in range(requests):
            start = time.thread_time()
            response = client.get(paths[n % len(paths)], headers=headers)
            samples.append(time.thread_time() - start)
            assert response.status_code == 200, response.status_code
        found[label] = samples
    samples = []
    for n in range(creates):
        form = issue_form(client.get("/issues/new").get_data(as_text=True), 1000 + n)
        start = time.thread_time()
        response = client.post("/issues/new", data=form)
        samples.append(time.thread_time() - start)
        assert response.status_code == 303, response.status_code
    found["create"] = samples
    keep_open.close()
    return found


def run(count: int, requests: int, keep: bool) -> list[tuple[str, str, str]]:
    from urllib.parse import urlencode

    from fieldkit.server import free_port

    work = Path(tempfile.mkdtemp(prefix="fieldkit-bench-"))
    data_dir = work / "data"
    source = work / "issues.csv"
    rows = [("Measure", "Wall time (HTTP)", "CPU time", "Target")]

    with timer() as elapsed:
        generate_csv(source, count)
    print(
        f"generated {count:,} issues in {elapsed():.1f} s ({source.stat().st_size / 1e6:.1f} MB CSV)",
        flush=True,
    )

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with timer() as elapsed:
        out = run_fieldkit(data_dir, "import", str(source))
    import_s = elapsed()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"fieldkit import: {out.stdout.strip()} in {import_s:.1f} s ({cpu_s:.1f} s CPU)", flush=True)
    target = f"< {TARGET_IMPORT_S} s" + ("" if count == 100_000 else " for 100,000")
    rows.append(
        (
            f"Import {count:,} issues (`fieldkit import FILE.csv`)",
            f"{import_s:.1f} s",
            f"{cpu_s:.1f} s",
            target,
        )
    )

    with timer() as elapsed:
        commitments = add_commitments(data_dir, share=0.12)
    print(f"added {commitments:,} commitments in {elapsed():.1f} s", flush=True)

    database = data_dir / "fieldkit.db"
    with Served(data_dir, free_port()) as served:
        page = served.get("/issues/").text
        districts = sorted(set(__import__("re").findall(r'<option value="([^"]+)"', page)))
        filters = [
            {"status": "reported"},
            {"sector": "health"},
            {"district": "Mbour"},
            {"severity": "4"},
            {"overdue": "1"},
            {"status": "raised", "sector": "water"},
            {"district": "Lucknow", "severity": "3"},
            {"sort": "severity"},
        ]
        assert "Mbour" in districts or count < 1000, "filter choices are missing a district"
        htmx = {"HX-Request": "true", "HX-Target": "results"}
        cases = [
            ("Issue list, first page", ["/issues/"], {}, "list"),
            (
                "Issue list, filtered (status, sector, district, severity, overdue, sort)",
                [f"/issues/?{urlencode(f)}" for f in filters],
                {},
                "list",
            ),
            ("Same, htmx fragment", [f"/issues/?{urlencode(f)}" for f in filters], htmx, "list"),
            (
                "Search (English, French, Swahili, Hindi, Tamil, places)",
                [f"/issues/?{urlencode({'q': q})}" for q in SEARCHES],
                {},
                "search",
            ),
            ("Home page (overdue commitments, no response, recent)", ["/"], {}, "list"),
        ]
        wall = {}
        for label, paths, headers, _kind in cases:
            wall[label] = time_pages(served, paths, requests, headers)
            print(f"{label}: {ms(wall[label])}", flush=True)
        creates = max(3, requests)
        wall["create"] = time_creates(served, creates)
        print(
            f"create: p50 / p95 {ms(wall['create'])}, slowest {max(wall['create']) * 1000:.1f} ms", flush=True
        )
        rss, peak = served.rss_mb()
        print(f"server RSS {rss:.0f} MB, peak {peak:.0f} MB", flush=True)

    cpu = cpu_per_request(data_dir, [c[:3] for c in cases], requests, creates)
    for label, _paths, _headers, kind in [*cases, ("create", [], {}, "create")]:
        target = TARGETS_MS["search" if kind == "search" else "create" if kind == "create" else "list"]
        name = "Record an issue (POST /issues/new with CSRF and form tokens)" if kind == "create" else label
        rows.append(
            (
                f"{name}: p50 / p95",
                ms(wall[label]),
                ms(cpu[label]),
                f"p95 < {target} ms",
            )
        )
    rows.append(
        (
            "Server memory (RSS of `fieldkit serve` after these requests)",
            f"{rss:.0f} MB (peak {peak:.0f} MB)",
            "",
            f"< {TARGET_RSS_MB} MB",
        )
    )

    size = files_size_mb(database, database.with_name("fieldkit.db-wal"))
    rows.append(
        (
            f"Database size ({count:,} issues, {commitments:,} commitments, with journal)",
            f"{size:.0f} MB",
            "",
            "—",
        )
    )
    if keep:
        print(f"kept the data folder: {data_dir}")
    else:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="How many issues to import.")
    parser.add_argument("--requests", type=int, default=40, help="Timed requests per measure.")
    parser.add_argument("--keep", action="store_true", help="Keep the generated data folder.")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    load_before = load_average()
    rows = run(args.count, args.requests, args.keep)
    print()
    print_machine()
    print(f"Load average (1 min) before / after: {load_before} / {load_average()} on {os.cpu_count()} CPU(s)")
    print()
    print_table(rows)
    print(f"\n(bench ran in {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
