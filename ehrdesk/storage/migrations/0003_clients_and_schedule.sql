-- Clients and the schedule: the front desk's day. Nothing in these tables is clinical
-- content; the chart's tables (notes, diagnoses, plans, measures) come in a later step.
--
-- Times of appointments are UTC text 'YYYY-MM-DDTHH:MM:SSZ' (fixed width, so text order
-- is time order); dates are 'YYYY-MM-DD'. Repeating appointments are expanded into one
-- row per occurrence, so every view of the schedule is a plain range query.
-- Sized for 100,000 clients and a million appointments: every list and search below
-- has an index that serves it without a scan.

CREATE TABLE client (
    id                    INTEGER PRIMARY KEY,
    legal_first_name      TEXT NOT NULL,
    legal_middle_name     TEXT NOT NULL DEFAULT '',
    legal_last_name       TEXT NOT NULL,
    preferred_name        TEXT NOT NULL DEFAULT '',
    date_of_birth         TEXT NOT NULL,
    pronouns              TEXT NOT NULL DEFAULT '',
    -- Contact, and what the practice may do with it.
    phone_mobile          TEXT NOT NULL DEFAULT '',
    phone_home            TEXT NOT NULL DEFAULT '',
    email                 TEXT NOT NULL DEFAULT '',
    preferred_contact     TEXT NOT NULL DEFAULT 'phone'
        CHECK (preferred_contact IN ('phone', 'text', 'email', 'mail')),
    ok_to_leave_voicemail INTEGER NOT NULL DEFAULT 0,
    ok_to_text            INTEGER NOT NULL DEFAULT 0,
    ok_to_email           INTEGER NOT NULL DEFAULT 0,
    address_line1         TEXT NOT NULL DEFAULT '',
    address_line2         TEXT NOT NULL DEFAULT '',
    city                  TEXT NOT NULL DEFAULT '',
    region                TEXT NOT NULL DEFAULT '',
    postal_code           TEXT NOT NULL DEFAULT '',
    emergency_name        TEXT NOT NULL DEFAULT '',
    emergency_relationship TEXT NOT NULL DEFAULT '',
    emergency_phone       TEXT NOT NULL DEFAULT '',
    insurance_payer       TEXT NOT NULL DEFAULT '',
    insurance_member_id   TEXT NOT NULL DEFAULT '',
    insurance_group       TEXT NOT NULL DEFAULT '',
    assigned_clinician_id INTEGER REFERENCES user (id),
    status                TEXT NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'inactive', 'discharged')),
    admin_notes           TEXT NOT NULL DEFAULT '',   -- administrative, never clinical
    -- Folded "last first middle" plus the id: the list's order, and a unique keyset
    -- for paging (storage writes it; a person never sees it).
    sort_key              TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    row_version           INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE UNIQUE INDEX client_sort ON client (sort_key);
CREATE INDEX client_status_sort ON client (status, sort_key);
CREATE INDEX client_clinician_sort ON client (assigned_clinician_id, status, sort_key);
CREATE INDEX client_birth ON client (date_of_birth);
-- A compact copy of what search filters and orders by, keyed by id: a search driven
-- by a word's terms reads this (about a hundred clients to a page) instead of whole
-- client rows, and reads whole rows only for the page it shows.
CREATE INDEX client_keyset ON client (id, sort_key, status, assigned_clinician_id);

-- What search-as-you-type matches: each word of every name (folded: case and accents
-- removed), the date of birth in the ways people type it, and every ending of each
-- phone number's digits (so any part of a number is the start of some term). A query
-- word matches a term that starts with it: one index range per word.
CREATE TABLE client_search_term (
    term      TEXT NOT NULL,
    client_id INTEGER NOT NULL REFERENCES client (id),
    PRIMARY KEY (term, client_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX client_search_term_client ON client_search_term (client_id);

CREATE TABLE appointment_type (
    code            TEXT PRIMARY KEY,
    label           TEXT NOT NULL,
    default_minutes INTEGER NOT NULL CHECK (default_minutes BETWEEN 5 AND 720),
    is_group        INTEGER NOT NULL DEFAULT 0,   -- one row per client, shared time and room
    is_telehealth   INTEGER NOT NULL DEFAULT 0,   -- has a link instead of a room
    active          INTEGER NOT NULL DEFAULT 1,
    position        INTEGER NOT NULL DEFAULT 0    -- order in pickers
) STRICT;
INSERT INTO appointment_type (code, label, default_minutes, is_group, is_telehealth, position)
VALUES
    ('intake', 'Intake', 60, 0, 0, 1),
    ('individual', 'Individual', 50, 0, 0, 2),
    ('family', 'Family', 50, 0, 0, 3),
    ('group', 'Group', 90, 1, 0, 4),
    ('telehealth', 'Telehealth', 50, 0, 1, 5);

CREATE TABLE room (
    id     INTEGER PRIMARY KEY,
    name   TEXT NOT NULL UNIQUE,
    active INTEGER NOT NULL DEFAULT 1
) STRICT;

-- A repeating appointment: the rule (RFC 5545 RRULE, always bounded by UNTIL or
-- COUNT) is expanded in the practice's time zone, so 10:00 stays 10:00 across daylight
-- saving; each occurrence is a row of `appointment` that points back here.
CREATE TABLE appointment_series (
    id          INTEGER PRIMARY KEY,
    rule        TEXT NOT NULL,
    first_start TEXT NOT NULL,                  -- local wall-clock time, no offset
    time_zone   TEXT NOT NULL,                  -- IANA name, e.g. 'America/Chicago'
    created_at  TEXT NOT NULL,
    created_by  INTEGER REFERENCES user (id),
    row_version INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE appointment (
    id                INTEGER PRIMARY KEY,
    clinician_id      INTEGER NOT NULL REFERENCES user (id),
    client_id         INTEGER NOT NULL REFERENCES client (id),
    type_code         TEXT NOT NULL REFERENCES appointment_type (code),
    starts_at         TEXT NOT NULL,
    ends_at           TEXT NOT NULL,            -- at most 12 hours after starts_at
    room_id           INTEGER REFERENCES room (id),
    location          TEXT NOT NULL DEFAULT '',
    telehealth_link   TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL DEFAULT 'booked'
        CHECK (status IN ('booked', 'checked_in', 'completed', 'cancelled', 'no_show')),
    cancelled_by      TEXT CHECK (cancelled_by IN ('client', 'clinician', 'practice')),
    late_cancel       INTEGER NOT NULL DEFAULT 0,
    status_changed_at TEXT,
    status_changed_by INTEGER REFERENCES user (id),
    series_id         INTEGER REFERENCES appointment_series (id),
    detached          INTEGER NOT NULL DEFAULT 0,  -- edited alone: series edits skip it
    override_reason   TEXT,                        -- booked over a conflict, and why
    created_at        TEXT NOT NULL,
    created_by        INTEGER REFERENCES user (id),
    updated_at        TEXT NOT NULL,
    row_version       INTEGER NOT NULL DEFAULT 1,
    CHECK (ends_at > starts_at)
) STRICT;
-- Overlap checks bound starts_at on both sides (an appointment lasts at most 12
-- hours), so each of these answers them with one short index range.
CREATE INDEX appointment_clinician_time ON appointment (clinician_id, starts_at);
CREATE INDEX appointment_client_time ON appointment (client_id, starts_at);
CREATE INDEX appointment_room_time ON appointment (room_id, starts_at) WHERE room_id IS NOT NULL;
CREATE INDEX appointment_time ON appointment (starts_at);
CREATE INDEX appointment_series_time ON appointment (series_id, starts_at)
    WHERE series_id IS NOT NULL;

-- Clients waiting for a slot, and what would suit them.
CREATE TABLE waitlist_entry (
    id           INTEGER PRIMARY KEY,
    client_id    INTEGER NOT NULL REFERENCES client (id),
    clinician_id INTEGER REFERENCES user (id),     -- NULL: any clinician
    type_code    TEXT NOT NULL REFERENCES appointment_type (code),
    weekdays     TEXT NOT NULL DEFAULT '',         -- 'MO,WE' as in RRULE BYDAY; '' any day
    times_of_day TEXT NOT NULL DEFAULT '',         -- 'morning,afternoon,evening'; '' any
    notes        TEXT NOT NULL DEFAULT '',         -- administrative, never clinical
    status       TEXT NOT NULL DEFAULT 'waiting'
        CHECK (status IN ('waiting', 'booked', 'removed')),
    added_at     TEXT NOT NULL,
    added_by     INTEGER REFERENCES user (id),
    row_version  INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX waitlist_entry_open ON waitlist_entry (status, added_at);
CREATE INDEX waitlist_entry_client ON waitlist_entry (client_id);
