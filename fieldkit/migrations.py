"""Named, ordered schema migrations, each applied in a transaction with its bookkeeping row."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

from sync import journal

from .db import connect, run_script, transaction

MIGRATIONS = []


def migration(function):
    """Register a migration; its name is the function's name, its order the file's."""
    MIGRATIONS.append(function)
    return function


def _indic_marks() -> str:
    # Vowel signs and viramas of Indic scripts are combining marks, which FTS5's unicode61
    # tokenizer would treat as separators and cut words apart; keep them inside tokens.
    marks = (chr(c) for c in range(0x0900, 0x0E00) if unicodedata.category(chr(c)) in {"Mn", "Mc", "Me"})
    return "".join(marks) + "\u200c\u200d"


SYNCED_COLUMNS = """
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT,
    org TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    deleted INTEGER NOT NULL DEFAULT 0
"""


@migration
def m0001_journal(conn):
    journal.install(conn)


@migration
def m0002_issues(conn):
    run_script(
        conn,
        f"""
        CREATE TABLE issues (
            {SYNCED_COLUMNS},
            ref TEXT NOT NULL,
            language TEXT NOT NULL DEFAULT 'en',
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            sector TEXT NOT NULL,
            region TEXT NOT NULL DEFAULT '',
            district TEXT NOT NULL DEFAULT '',
            ward TEXT NOT NULL DEFAULT '',
            community TEXT NOT NULL DEFAULT '',
            facility TEXT NOT NULL DEFAULT '',
            address TEXT NOT NULL DEFAULT '',
            lat REAL, lon REAL, gps_accuracy REAL,
            observed_on TEXT,
            severity INTEGER NOT NULL DEFAULT 2,
            people_affected INTEGER,
            households_affected INTEGER,
            status TEXT NOT NULL DEFAULT 'reported',
            responsible_body TEXT NOT NULL DEFAULT '',
            responsible_official TEXT NOT NULL DEFAULT '',
            budget_year TEXT NOT NULL DEFAULT '',
            budget_code TEXT NOT NULL DEFAULT '',
            budget_description TEXT NOT NULL DEFAULT '',
            budget_allocated TEXT, budget_released TEXT, budget_spent TEXT,
            budget_currency TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT '[]',
            anonymous INTEGER NOT NULL DEFAULT 1,
            consent INTEGER NOT NULL DEFAULT 0,
            visibility TEXT NOT NULL DEFAULT 'programme',
            recorded_by TEXT NOT NULL DEFAULT '',
            -- derived from issue_events by triggers below, never journaled:
            last_response_on TEXT,
            commitment_due_on TEXT
        );
        -- Each list filter has an index that also gives the list's order (most recently
        -- updated first), so a page reads 25 index entries instead of sorting every match;
        -- district and community ones also list the places in use (queries.issues.places).
        CREATE INDEX issues_updated ON issues (deleted, updated_at DESC);
        -- Trailing columns let a second filter be checked in the index, without the row.
        CREATE INDEX issues_status ON issues (deleted, status, updated_at DESC, sector, severity);
        CREATE INDEX issues_sector ON issues (deleted, sector, updated_at DESC, severity);
        CREATE INDEX issues_district ON issues (deleted, district, updated_at DESC, status, sector, severity);
        CREATE INDEX issues_community ON issues (deleted, community, updated_at DESC, status, sector, severity);
        CREATE INDEX issues_severity ON issues (deleted, severity DESC, updated_at DESC);
        CREATE INDEX issues_observed ON issues (deleted, observed_on DESC, updated_at DESC);
        CREATE INDEX issues_title ON issues (deleted, title COLLATE NOCASE);
        -- Overdue commitments: filtered and sorted from the index alone (few issues have one).
        CREATE INDEX issues_due ON issues (deleted, commitment_due_on, status, updated_at)
            WHERE commitment_due_on IS NOT NULL;
        CREATE INDEX issues_ref ON issues (ref);

        CREATE TABLE issue_events (
            {SYNCED_COLUMNS},
            issue_id TEXT NOT NULL REFERENCES issues (id),
            kind TEXT NOT NULL,
            occurred_on TEXT NOT NULL,
            language TEXT NOT NULL DEFAULT 'en',
            status TEXT,
            channel TEXT,
            official TEXT NOT NULL DEFAULT '',
            said TEXT NOT NULL DEFAULT '',
            commitment TEXT NOT NULL DEFAULT '',
            due_on TEXT,
            fulfilled INTEGER,
            still_broken INTEGER,
            note TEXT NOT NULL DEFAULT '',
            recorded_by TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX issue_events_issue ON issue_events (issue_id, occurred_on);

        CREATE TABLE attachments (
            {SYNCED_COLUMNS},
            issue_id TEXT NOT NULL REFERENCES issues (id),
            event_id TEXT,
            sha256 TEXT NOT NULL,
            filename TEXT NOT NULL,
            media_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            width INTEGER, height INTEGER,
            caption TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX attachments_issue ON attachments (issue_id);
        CREATE INDEX attachments_sha ON attachments (sha256);

        -- Reporter details shared with the programme because the reporter consented.
        CREATE TABLE reporters (
            {SYNCED_COLUMNS},
            issue_id TEXT NOT NULL REFERENCES issues (id),
            name TEXT NOT NULL DEFAULT '',
            contact TEXT NOT NULL DEFAULT '',
            consent INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX reporters_issue ON reporters (issue_id);

        -- Reporter details without consent: never journaled, so never synced.
        CREATE TABLE private_reporters (
            issue_id TEXT PRIMARY KEY REFERENCES issues (id),
            name TEXT NOT NULL DEFAULT '',
            contact TEXT NOT NULL DEFAULT ''
        );

        -- One-time form tokens: a second submit of the same form finds its first result.
        CREATE TABLE form_tokens (
            token TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            result TEXT NOT NULL
        );

        CREATE TRIGGER issue_events_derive AFTER INSERT ON issue_events BEGIN
            UPDATE issues SET
                last_response_on = (
                    SELECT MAX(occurred_on) FROM issue_events
                    WHERE issue_id = NEW.issue_id AND kind = 'response' AND deleted = 0),
                commitment_due_on = (
                    SELECT MIN(due_on) FROM issue_events
                    WHERE issue_id = NEW.issue_id AND kind = 'response' AND deleted = 0
                      AND due_on IS NOT NULL AND COALESCE(fulfilled, 0) = 0)
            WHERE id = NEW.issue_id;
        END;
        CREATE TRIGGER issue_events_rederive AFTER UPDATE ON issue_events BEGIN
            UPDATE issues SET
                last_response_on = (
                    SELECT MAX(occurred_on) FROM issue_events
                    WHERE issue_id = NEW.issue_id AND kind = 'response' AND deleted = 0),
                commitment_due_on = (
                    SELECT MIN(due_on) FROM issue_events
                    WHERE issue_id = NEW.issue_id AND kind = 'response' AND deleted = 0
                      AND due_on IS NOT NULL AND COALESCE(fulfilled, 0) = 0)
            WHERE id = NEW.issue_id;
        END;
        """,
    )
    tokenizer = f"unicode61 remove_diacritics 2 tokenchars '{_indic_marks()}'"
    conn.execute(
        "CREATE VIRTUAL TABLE issues_fts USING fts5("
        "title, description, place, content='', contentless_delete=1, "
        f'tokenize="{tokenizer}")'
    ) if _supports_contentless_delete(conn) else conn.execute(
        "CREATE VIRTUAL TABLE issues_fts USING fts5("
        f"title, description, place, content='', tokenize=\"{tokenizer}\")"
    )
    place = (
        "{p}.region || ' ' || {p}.district || ' ' || {p}.ward || ' ' || {p}.community"
        " || ' ' || {p}.facility || ' ' || {p}.address || ' ' || {p}.ref"
    )
    run_script(
        conn,
        f"""
        CREATE TRIGGER issues_fts_insert AFTER INSERT ON issues BEGIN
            INSERT INTO issues_fts (rowid, title, description, place)
            VALUES (NEW.rowid, NEW.title, NEW.description, {place.format(p="NEW")});
        END;
        CREATE TRIGGER issues_fts_update AFTER UPDATE OF
            title, description, region, district, ward, community, facility, address
            ON issues BEGIN
            INSERT INTO issues_fts (issues_fts, rowid, title, description, place)
            VALUES ('delete', OLD.rowid, OLD.title, OLD.description, {place.format(p="OLD")});
            INSERT INTO issues_fts (rowid, title, description, place)
            VALUES (NEW.rowid, NEW.title, NEW.description, {place.format(p="NEW")});
        END;
        """,
    )


def _supports_contentless_delete(conn) -> bool:
    version = tuple(int(p) for p in conn.execute("SELECT sqlite_version()").fetchone()[0].split("."))
    return version >= (3, 43, 0)


def migrate(conn) -> list[str]:
    """Apply every migration not yet applied, in order; returns the names applied."""
    conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
    applied = []
    for function in MIGRATIONS:
        name = function.__name__
        if name in done:
            continue
        with transaction(conn):
            function(conn)
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                (name, datetime.now(UTC).isoformat(timespec="seconds")),
            )
        applied.append(name)
    return applied


def migrate_path(path) -> list[str]:
    """Open the database file at ``path`` and bring it up to date."""
    conn = connect(path)
    try:
        return migrate(conn)
    finally:
        conn.close()


# --- Meetings (issue 3): notes, attendance, action items and links to issues -------------


@migration
def m01_meetings(conn):
    run_script(
        conn,
        f"""
        CREATE TABLE meetings (
            {SYNCED_COLUMNS},
            ref TEXT NOT NULL,
            language TEXT NOT NULL DEFAULT 'en',
            title TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'community',
            held_on TEXT NOT NULL,
            starts_at TEXT NOT NULL DEFAULT '',
            ends_at TEXT NOT NULL DEFAULT '',
            place TEXT NOT NULL DEFAULT '',
            facilitator TEXT NOT NULL DEFAULT '',
            attendance_total INTEGER,
            attendance_women INTEGER,
            attendance_men INTEGER,
            attendance_youth INTEGER,
            officials TEXT NOT NULL DEFAULT '',
            agenda TEXT NOT NULL DEFAULT '',
            notes TEXT NOT NULL DEFAULT '',
            decisions TEXT NOT NULL DEFAULT '',
            what_changed TEXT NOT NULL DEFAULT '',
            what_learned TEXT NOT NULL DEFAULT '',
            recorded_by TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX meetings_held ON meetings (deleted, held_on DESC, starts_at DESC);
        CREATE INDEX meetings_kind ON meetings (deleted, kind, held_on DESC);
        CREATE INDEX meetings_ref ON meetings (ref);

        -- Action items: an add-only set per meeting; status and done date are later edits.
        CREATE TABLE meeting_actions (
            {SYNCED_COLUMNS},
            meeting_id TEXT NOT NULL REFERENCES meetings (id),
            language TEXT NOT NULL DEFAULT 'en',
            what TEXT NOT NULL,
            owner_kind TEXT NOT NULL DEFAULT 'community',
            owner_name TEXT NOT NULL DEFAULT '',
            due_on TEXT,
            issue_id TEXT REFERENCES issues (id),
            status TEXT NOT NULL DEFAULT 'open',
            done_on TEXT,
            recorded_by TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX meeting_actions_meeting ON meeting_actions (meeting_id, created_at);
        CREATE INDEX meeting_actions_issue ON meeting_actions (issue_id) WHERE issue_id IS NOT NULL;
        CREATE INDEX meeting_actions_due ON meeting_actions (status, deleted, due_on)
            WHERE due_on IS NOT NULL;

        -- Issues discussed at a meeting, with the outcome: an add-only set as well.
        CREATE TABLE meeting_issues (
            {SYNCED_COLUMNS},
            meeting_id TEXT NOT NULL REFERENCES meetings (id),
            issue_id TEXT NOT NULL REFERENCES issues (id),
            outcome TEXT NOT NULL DEFAULT 'discussed',
            note TEXT NOT NULL DEFAULT '',
            language TEXT NOT NULL DEFAULT 'en',
            recorded_by TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX meeting_issues_meeting ON meeting_issues (meeting_id, created_at);
        CREATE INDEX meeting_issues_issue ON meeting_issues (issue_id, created_at);

        -- Unsaved text of a meeting form, saved every few seconds while typing. Local only:
        -- never journaled, so never synced; removed when the form is saved.
        CREATE TABLE meeting_drafts (
            key TEXT PRIMARY KEY,
            meeting_id TEXT,
            data TEXT NOT NULL,
            saved_at TEXT NOT NULL
        );
        """,
    )
    tokenizer = f"unicode61 remove_diacritics 2 tokenchars '{_indic_marks()}'"
    conn.execute(
        "CREATE VIRTUAL TABLE meetings_fts USING fts5("
        f"title, body, place, content='', tokenize=\"{tokenizer}\")"
    )
    body = (
        "{p}.agenda || ' ' || {p}.notes || ' ' || {p}.decisions || ' ' || {p}.what_changed"
        " || ' ' || {p}.what_learned || ' ' || {p}.officials"
    )
    place = "{p}.place || ' ' || {p}.facilitator || ' ' || {p}.ref"
    columns = "title, agenda, notes, decisions, what_changed, what_learned, officials, place, facilitator"
    run_script(
        conn,
        f"""
        CREATE TRIGGER meetings_fts_insert AFTER INSERT ON meetings BEGIN
            INSERT INTO meetings_fts (rowid, title, body, place)
            VALUES (NEW.rowid, NEW.title, {body.format(p="NEW")}, {place.format(p="NEW")});
        END;
        CREATE TRIGGER meetings_fts_update AFTER UPDATE OF {columns} ON meetings BEGIN
            INSERT INTO meetings_fts (meetings_fts, rowid, title, body, place)
            VALUES ('delete', OLD.rowid, OLD.title, {body.format(p="OLD")}, {place.format(p="OLD")});
            INSERT INTO meetings_fts (rowid, title, body, place)
            VALUES (NEW.rowid, NEW.title, {body.format(p="NEW")}, {place.format(p="NEW")});
        END;
        """,
    )


# --- Languages (issue 4): translations of record text, substring search for names ---------


def _supports(conn, version: tuple[int, ...]) -> bool:
    current = tuple(int(p) for p in conn.execute("SELECT sqlite_version()").fetchone()[0].split("."))
    return current >= version


@migration
def m04_text_translations(conn):
    """Translations of a record's text beside the untouched original, searchable; names by substring."""
    run_script(
        conn,
        f"""
        CREATE TABLE text_translations (
            {SYNCED_COLUMNS},
            record_table TEXT NOT NULL,
            record_id TEXT NOT NULL,
            field TEXT NOT NULL,
            language TEXT NOT NULL,
            text TEXT NOT NULL,
            recorded_by TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX text_translations_record
            ON text_translations (record_table, record_id, field, language);
        """,
    )
    tokenizer = f"unicode61 remove_diacritics 2 tokenchars '{_indic_marks()}'"
    conn.execute(
        f"CREATE VIRTUAL TABLE text_translations_fts USING fts5(text, content='', tokenize=\"{tokenizer}\")"
    )
    # Names (community, facility, officials ...) are found by any part: "olw" finds "Kolwa".
    trigram = "trigram remove_diacritics 1" if _supports(conn, (3, 45, 0)) else "trigram"
    conn.execute(f"CREATE VIRTUAL TABLE issues_names USING fts5(names, content='', tokenize=\"{trigram}\")")
    # Only the names people half-remember; districts and regions are filters and full words.
    names = "{p}.community || ' ' || {p}.facility || ' ' || {p}.responsible_official"
    run_script(
        conn,
        f"""
        CREATE TRIGGER text_translations_fts_insert AFTER INSERT ON text_translations
            WHEN NEW.deleted = 0 BEGIN
            INSERT INTO text_translations_fts (rowid, text) VALUES (NEW.rowid, NEW.text);
        END;
        CREATE TRIGGER text_translations_fts_unindex AFTER UPDATE OF text, deleted ON text_translations
            WHEN OLD.deleted = 0 BEGIN
            INSERT INTO text_translations_fts (text_translations_fts, rowid, text)
            VALUES ('delete', OLD.rowid, OLD.text);
        END;
        CREATE TRIGGER text_translations_fts_reindex AFTER UPDATE OF text, deleted ON text_translations
            WHEN NEW.deleted = 0 BEGIN
            INSERT INTO text_translations_fts (rowid, text) VALUES (NEW.rowid, NEW.text);
        END;
        CREATE TRIGGER issues_names_insert AFTER INSERT ON issues BEGIN
            INSERT INTO issues_names (rowid, names) VALUES (NEW.rowid, {names.format(p="NEW")});
        END;
        CREATE TRIGGER issues_names_update AFTER UPDATE OF community, facility, responsible_official
            ON issues BEGIN
            INSERT INTO issues_names (issues_names, rowid, names)
            VALUES ('delete', OLD.rowid, {names.format(p="OLD")});
            INSERT INTO issues_names (rowid, names) VALUES (NEW.rowid, {names.format(p="NEW")});
        END;
        INSERT INTO issues_names (rowid, names) SELECT rowid, {names.format(p="issues")} FROM issues;
        """,
    )


@migration
def m02_sync(conn):
    """Sync (issue 6): the sequencer's tables on every replica; central's accounts and devices."""
    from sync import server

    server.install(conn)
    run_script(
        conn,
        """
        CREATE TABLE central_users (
            username TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            country TEXT NOT NULL DEFAULT '*',
            created_at TEXT NOT NULL
        );
        CREATE TABLE central_codes (
            code_hash TEXT PRIMARY KEY,
            org TEXT NOT NULL,
            country TEXT NOT NULL,
            created_by TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT,
            device_id TEXT
        );
        CREATE TABLE central_devices (
            device_id TEXT PRIMARY KEY,
            org TEXT NOT NULL,
            country TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            public_key TEXT NOT NULL,
            app_version TEXT NOT NULL DEFAULT '',
            enrolled_at TEXT NOT NULL,
            last_sync_at TEXT,
            clock_offset_ms INTEGER,
            implausible_times INTEGER NOT NULL DEFAULT 0,
            revoked_at TEXT
        );
        """,
    )


@migration
def m06_central_scope(conn):
    """Central (issue 6): a country team's lists read their own country's slice in order."""
    run_script(
        conn,
        """
        CREATE INDEX IF NOT EXISTS issues_country ON issues (deleted, country, updated_at DESC);
        CREATE INDEX IF NOT EXISTS meetings_country ON meetings (deleted, country, held_on DESC, starts_at DESC);
        """,
    )


@migration
def m07_sync_checks(conn):
    """Issue 9: central records the ops it refuses; devices keep refusals and ops set aside."""
    from sync import server

    journal.install(conn)
    server.install(conn)


@migration
def m08_withheld(conn):
    """Issue 9: rows a device keeps to itself (outside its enrolled scope) are never sent."""
    journal.install(conn)


@migration
def m10_central_roles(conn):
    """Who may do what (issue 10): account roles, session ends, login limits, the audit log,
    re-enrolment codes bound to one device, and meeting drafts kept in their country.

    Existing accounts keep what they could do: a ``*`` account (``central init``'s admin, or
    ``add-user`` without ``--country``) already managed every country, so it becomes an admin;
    an account of one country becomes a member of that country's team.
    """
    run_script(
        conn,
        """
        ALTER TABLE central_users ADD COLUMN role TEXT NOT NULL DEFAULT 'member';
        ALTER TABLE central_users ADD COLUMN disabled_at TEXT;
        ALTER TABLE central_users ADD COLUMN session_version INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE central_users ADD COLUMN last_seen_at TEXT;
        UPDATE central_users SET role = 'admin' WHERE country = '*';
        CREATE TABLE central_login_limits (
            key TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            last_at REAL NOT NULL,
            locked_until REAL NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE central_audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            role TEXT NOT NULL,
            country TEXT NOT NULL,
            action TEXT NOT NULL,
            record TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT ''
        );
        ALTER TABLE central_codes ADD COLUMN for_device TEXT;
        ALTER TABLE meeting_drafts ADD COLUMN country TEXT;
        UPDATE meeting_drafts SET country = json_extract(data, '$.country') WHERE json_valid(data);
        """,
    )


@migration
def m11_read_tokens(conn):
    """Read API tokens (issue 11): an account's tokens, stored as their SHA-256 only. A token
    reads with its account's current role and country, and stops with the account."""
    run_script(
        conn,
        """
        CREATE TABLE central_read_tokens (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL REFERENCES central_users (username),
            label TEXT NOT NULL DEFAULT '',
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            last_used_at TEXT,
            revoked_at TEXT
        );
        CREATE INDEX central_read_tokens_user ON central_read_tokens (username);
        """,
    )


@migration
def m23_places(conn):
    """Places to pick (issue 12): regions, districts, wards, communities and facilities per country,
    synced to every device of the country; filled at once from the issues and meetings already
    recorded (journaled, so they reach the others)."""
    run_script(
        conn,
        f"""
        CREATE TABLE places (
            {SYNCED_COLUMNS},
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            parent_id TEXT,
            other_names TEXT NOT NULL DEFAULT '[]'
        );
        CREATE INDEX places_country_kind ON places (country, kind);
        CREATE INDEX places_parent ON places (parent_id);
        """,
    )
    from .queries import places

    places.learn_existing(conn)


@migration
def m21_learning(conn):
    """What changed and why (issue 11): the day an issue's budget release was recorded, the
    indexes that list the changes (resolved, committed, released) and the reflection sessions
    newest first, and central's findings for the learning reports.

    ``budget_released_on`` is derived (never journaled), like ``last_response_on``: the time of
    the change that raised the released amount, as the journal stamped it. The partial indexes
    hold only the rows the learning view lists; its queries repeat their WHERE terms word for
    word so that SQLite uses them (``queries/learning.py``).
    """
    run_script(
        conn,
        """
        ALTER TABLE issues ADD COLUMN budget_released_on TEXT;
        UPDATE issues SET budget_released_on = substr(COALESCE(updated_at, created_at), 1, 10)
            WHERE CAST(budget_released AS REAL) > 0;
        CREATE TRIGGER issues_budget_released AFTER UPDATE OF budget_released ON issues
            WHEN CAST(NEW.budget_released AS REAL) > COALESCE(CAST(OLD.budget_released AS REAL), 0) BEGIN
            UPDATE issues SET budget_released_on = substr(COALESCE(NEW.updated_at, NEW.created_at), 1, 10)
            WHERE id = NEW.id;
        END;
        CREATE TRIGGER issues_budget_released_new AFTER INSERT ON issues
            WHEN CAST(NEW.budget_released AS REAL) > 0 BEGIN
            UPDATE issues SET budget_released_on = substr(COALESCE(NEW.updated_at, NEW.created_at), 1, 10)
            WHERE id = NEW.id;
        END;
        CREATE INDEX issue_events_changes ON issue_events (occurred_on DESC, country, org)
            WHERE deleted = 0 AND (kind = 'status' AND status IN ('resolved', 'committed')
                                   OR kind = 'response' AND commitment > '');
        CREATE INDEX issues_released ON issues (budget_released_on DESC, country, org, sector)
            WHERE budget_released_on IS NOT NULL;
        CREATE INDEX meetings_reflected ON meetings (held_on DESC, country, org)
            WHERE deleted = 0 AND (what_changed > '' OR what_learned > '');
        CREATE TABLE central_findings (
            id INTEGER PRIMARY KEY,
            country TEXT NOT NULL,
            source TEXT NOT NULL,
            record_id TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            marked_by TEXT NOT NULL,
            marked_at TEXT NOT NULL,
            UNIQUE (source, record_id)
        );
        CREATE INDEX central_findings_country ON central_findings (country, marked_at DESC);
        """,
    )


@migration
def m24_device_names(conn):
    """Device names at central (issue 12): the name given with an enrolment code ("Kisumu office
    laptop") becomes the enrolled device's name, so pages say it instead of a hex id."""
    run_script(
        conn,
        """
        ALTER TABLE central_codes ADD COLUMN device_name TEXT NOT NULL DEFAULT '';
        ALTER TABLE central_devices ADD COLUMN name TEXT NOT NULL DEFAULT '';
        """,
    )


@migration
def m24_account_time_zone(conn):
    """An account's own time zone at central (issue 12); empty: its country's main zone."""
    run_script(conn, "ALTER TABLE central_users ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';")


@migration
def m20_dashboard(conn):
    """Dashboards and follow-up lists (issue 11): when each issue first had a government response
    and when it was first resolved, and how many days after its report, derived from its timeline
    by triggers (never journaled, like ``last_response_on``), and the covering indexes that keep
    central's figures and lists fast.

    The kinds and the status come from fieldkit.records, so the SQL never restates them.
    """
    from .records import RESOLVED_STATUS, RESPONSE_KINDS

    def quoted(values) -> str:
        return ", ".join("'" + value.replace("'", "''") + "'" for value in values)

    responses, resolved = quoted(RESPONSE_KINDS), quoted([RESOLVED_STATUS])
    first = {
        "first_response_on": f"kind IN ({responses})",
        "resolved_on": f"status = {resolved}",
    }
    days = {"first_response_on": "response_days", "resolved_on": "resolution_days"}

    def assignments(issue: str) -> str:
        found = {
            column: f"(SELECT MIN(occurred_on) FROM issue_events e WHERE e.issue_id = {issue} "
            f"AND e.{condition} AND e.deleted = 0)"
            for column, condition in first.items()
        }
        # A day before the report (an answer recorded late) counts as 0 days.
        return ", ".join(
            [f"{column} = {query}" for column, query in found.items()]
            + [
                f"{days[column]} = MAX(0, CAST(julianday({query}) - julianday(substr(created_at, 1, 10)) "
                "AS INTEGER))"
                for column, query in found.items()
            ]
        )

    derive = f"UPDATE issues SET {assignments('NEW.issue_id')} WHERE id = NEW.issue_id;"
    run_script(
        conn,
        f"""
        ALTER TABLE issues ADD COLUMN first_response_on TEXT;
        ALTER TABLE issues ADD COLUMN resolved_on TEXT;
        ALTER TABLE issues ADD COLUMN response_days INTEGER;
        ALTER TABLE issues ADD COLUMN resolution_days INTEGER;
        UPDATE issues SET {assignments("issues.id")};
        CREATE TRIGGER issue_events_first_dates AFTER INSERT ON issue_events
            WHEN NEW.kind IN ({responses}) OR NEW.status = {resolved}
        BEGIN {derive} END;
        CREATE TRIGGER issue_events_first_dates_again AFTER UPDATE ON issue_events BEGIN {derive} END;
        -- Every issue count reads this index alone (a country's slice, or all of it for '*'),
        -- in the order the counts are grouped by, so they are summed without sorting.
        CREATE INDEX issues_dashboard ON issues (deleted, country, sector, status, district, org,
            created_at, first_response_on, resolved_on);
        -- Issues reported per month: the period's range of a country's slice.
        CREATE INDEX issues_reported ON issues (deleted, country, created_at, org);
        CREATE INDEX issues_resolved ON issues (deleted, country, resolved_on, org)
            WHERE resolved_on IS NOT NULL;
        -- Medians: the days in order, so the middle one is found without sorting.
        CREATE INDEX issues_response_days ON issues (deleted, response_days, country, org, created_at)
            WHERE response_days IS NOT NULL;
        CREATE INDEX issues_resolution_days ON issues (deleted, resolution_days, country, org, created_at)
            WHERE resolution_days IS NOT NULL;
        CREATE INDEX issues_budget ON issues (deleted, country, org, created_at, budget_currency,
            budget_allocated, budget_released, budget_spent) WHERE budget_code <> '';
        -- Open issues waiting for a response, by partner, longest silence first.
        CREATE INDEX issues_silent ON issues (deleted, country, org,
            COALESCE(last_response_on, substr(created_at, 1, 10)), status);
        CREATE INDEX issue_events_commitments ON issue_events (kind, deleted, country, org, due_on,
            fulfilled, occurred_on, issue_id) WHERE due_on IS NOT NULL OR commitment <> '';
        CREATE INDEX meeting_actions_followup ON meeting_actions (status, deleted, country, org, due_on,
            meeting_id);
        -- A commitment's issue, an action item's meeting: whether it is deleted (and the issue's
        -- status) read from an index, not from each whole row.
        CREATE INDEX issues_id_state ON issues (id, deleted, status);
        CREATE INDEX meetings_id_state ON meetings (id, deleted);
        """,
    )


@migration
def m22_catalog_entries(conn):
    """Translators work inside FieldKit (issue 13): local catalog entries (synced to every replica),
    a version per language that triggers bump on every change (so pages re-read the entries only
    when one changed, whichever process wrote it), a glossary per language, and the grant that
    lets an enrolled device push translations."""
    run_script(
        conn,
        """
        CREATE TABLE catalog_entries (
            id TEXT PRIMARY KEY,
            updated_at TEXT,
            deleted INTEGER NOT NULL DEFAULT 0,
            language TEXT NOT NULL,
            msgctxt TEXT NOT NULL DEFAULT '',
            msgid TEXT NOT NULL,
            msgid_plural TEXT NOT NULL DEFAULT '',
            msgstr TEXT NOT NULL DEFAULT '[]',
            status TEXT NOT NULL DEFAULT 'draft',
            reviewed_by TEXT NOT NULL DEFAULT '',
            reviewed_on TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX catalog_entries_language ON catalog_entries (language, msgid);
        CREATE TABLE catalog_versions (language TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TRIGGER catalog_entries_insert AFTER INSERT ON catalog_entries BEGIN
            INSERT INTO catalog_versions (language, version) VALUES (NEW.language, 1)
            ON CONFLICT (language) DO UPDATE SET version = version + 1;
        END;
        CREATE TRIGGER catalog_entries_update AFTER UPDATE ON catalog_entries BEGIN
            INSERT INTO catalog_versions (language, version) VALUES (NEW.language, 1)
            ON CONFLICT (language) DO UPDATE SET version = version + 1;
        END;
        CREATE TABLE glossary_terms (
            language TEXT NOT NULL,
            term TEXT NOT NULL,
            translation TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (language, term)
        ) WITHOUT ROWID;
        ALTER TABLE central_codes ADD COLUMN grants TEXT NOT NULL DEFAULT '';
        ALTER TABLE central_devices ADD COLUMN grants TEXT NOT NULL DEFAULT '';
        """,
    )


@migration
def m22_ui_languages(conn):
    """Languages added from the Translate page (issue 13), synced to every replica like the entries."""
    run_script(
        conn,
        """
        CREATE TABLE ui_languages (
            id TEXT PRIMARY KEY,
            updated_at TEXT,
            deleted INTEGER NOT NULL DEFAULT 0,
            code TEXT NOT NULL,
            endonym TEXT NOT NULL,
            english TEXT NOT NULL DEFAULT '',
            fallbacks TEXT NOT NULL DEFAULT '["en"]',
            plural_rule TEXT NOT NULL,
            formatting TEXT NOT NULL DEFAULT 'en'
        );
        """,
    )


@migration
def m25_resolved_without_an_event(conn):
    """An issue set to resolved on its edit form (or arriving resolved) has no "resolved" event
    on its timeline, so ``m20_dashboard`` left its resolution date empty: it counted as resolved
    in the dashboard's sector x status figures but not in the resolutions per month nor the
    median days to resolution.

    Its resolution date is now the first "resolved" event if there is one, else, while it is
    resolved, the day of its last change (``updated_at``). Like every derived column it is a
    function of the converged row and its timeline only (never of the order in which a replica
    received the ops), so every replica derives the same: it is recomputed whenever the events,
    the status or ``updated_at`` change.
    """
    from .records import RESOLVED_STATUS, RESPONSE_KINDS

    def quoted(values) -> str:
        return ", ".join("'" + value.replace("'", "''") + "'" for value in values)

    responses, resolved = quoted(RESPONSE_KINDS), quoted([RESOLVED_STATUS])

    def first(issue: str, condition: str) -> str:
        return (
            f"(SELECT MIN(occurred_on) FROM issue_events e WHERE e.issue_id = {issue} "
            f"AND e.{condition} AND e.deleted = 0)"
        )

    def days(on: str) -> str:
        # A day before the report (an answer recorded late) counts as 0 days.
        return f"MAX(0, CAST(julianday({on}) - julianday(substr(created_at, 1, 10)) AS INTEGER))"

    def assignments(issue: str) -> str:
        response = first(issue, f"kind IN ({responses})")
        resolution = (
            f"COALESCE({first(issue, f'status = {resolved}')}, CASE WHEN status = {resolved} "
            "THEN substr(COALESCE(updated_at, created_at), 1, 10) END)"
        )
        return (
            f"first_response_on = {response}, resolved_on = {resolution}, "
            f"response_days = {days(response)}, resolution_days = {days(resolution)}"
        )

    derive_event = f"UPDATE issues SET {assignments('NEW.issue_id')} WHERE id = NEW.issue_id;"
    derive_issue = f"UPDATE issues SET {assignments('NEW.id')} WHERE id = NEW.id;"
    run_script(
        conn,
        f"""
        DROP TRIGGER issue_events_first_dates;
        DROP TRIGGER issue_events_first_dates_again;
        CREATE TRIGGER issue_events_first_dates AFTER INSERT ON issue_events
            WHEN NEW.kind IN ({responses}) OR NEW.status = {resolved}
        BEGIN {derive_event} END;
        CREATE TRIGGER issue_events_first_dates_again AFTER UPDATE ON issue_events BEGIN {derive_event} END;
        CREATE TRIGGER issues_resolved_without_an_event AFTER UPDATE OF status, updated_at ON issues
            WHEN NEW.status = {resolved} OR OLD.status = {resolved}
        BEGIN {derive_issue} END;
        CREATE TRIGGER issues_arriving_resolved AFTER INSERT ON issues WHEN NEW.status = {resolved}
        BEGIN {derive_issue} END;
        UPDATE issues SET {assignments("issues.id")} WHERE status = {resolved} AND resolved_on IS NULL;
        """,
    )
