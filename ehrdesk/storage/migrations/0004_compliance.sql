-- Audit review and the practice's compliance records: incidents, training, business
-- associates, the incident-response plan, and what each password was checked against.
--
-- Dates are 'YYYY-MM-DD'; times are UTC ISO 8601 text as in audit_event.

-- The audit screen pages newest first by (at, seq) under any mix of filters. Each
-- filter leads an index that ends in `at` (and the rowid, seq), so a page is one
-- index range however many events there are (see bench/audit.py for the plans).
CREATE INDEX audit_event_user_at ON audit_event (user_id, at);
CREATE INDEX audit_event_action_at ON audit_event (action, at);
CREATE INDEX audit_event_object_at ON audit_event (object_type, object_id, at);
CREATE INDEX audit_event_type_at ON audit_event (object_type, at);
-- Superseded by the ones above: keyset paging is on (at, seq) now.
DROP INDEX audit_event_user;
DROP INDEX audit_event_object;

CREATE TABLE incident (
    id                   INTEGER PRIMARY KEY,
    title                TEXT NOT NULL,
    what_happened        TEXT NOT NULL DEFAULT '',
    occurred_from        TEXT,
    occurred_until       TEXT,
    discovered_at        TEXT NOT NULL,
    -- The four factors of the HIPAA breach rule's risk assessment (45 CFR 164.402(2)).
    risk_nature_extent   TEXT NOT NULL DEFAULT '',
    risk_unauthorized    TEXT NOT NULL DEFAULT '',
    risk_acquired_viewed TEXT NOT NULL DEFAULT '',
    risk_mitigation      TEXT NOT NULL DEFAULT '',
    risk_conclusion      TEXT NOT NULL DEFAULT 'undetermined'
        CHECK (risk_conclusion IN ('undetermined', 'low_probability', 'breach')),
    decisions            TEXT NOT NULL DEFAULT '',
    status               TEXT NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'notified', 'closed')),
    notified_on          TEXT,
    created_at           TEXT NOT NULL,
    created_by           INTEGER REFERENCES user (id),
    updated_at           TEXT NOT NULL,
    row_version          INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX incident_status ON incident (status, discovered_at);

-- Clients an incident may affect. No foreign key to client: the incident keeps the
-- id even if the record is later merged or removed.
CREATE TABLE incident_client (
    incident_id INTEGER NOT NULL REFERENCES incident (id),
    client_id   INTEGER NOT NULL,
    source      TEXT NOT NULL DEFAULT 'picked' CHECK (source IN ('picked', 'audit_log')),
    added_at    TEXT NOT NULL,
    PRIMARY KEY (incident_id, client_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE training_record (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES user (id),
    completed_on TEXT NOT NULL,
    topic        TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    recorded_by  INTEGER REFERENCES user (id)
) STRICT;
CREATE INDEX training_record_user ON training_record (user_id, completed_on);

CREATE TABLE business_associate (
    id                  INTEGER PRIMARY KEY,
    vendor              TEXT NOT NULL,
    handles             TEXT NOT NULL DEFAULT '',
    agreement_signed_on TEXT,
    next_review_on      TEXT,
    active              INTEGER NOT NULL DEFAULT 1,
    updated_at          TEXT NOT NULL,
    row_version         INTEGER NOT NULL DEFAULT 1
) STRICT;

-- The written incident-response plan: each save is a new version; none is changed.
CREATE TABLE response_plan_version (
    version  INTEGER PRIMARY KEY,
    roles    TEXT NOT NULL,
    steps    TEXT NOT NULL,
    contacts TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    saved_by INTEGER REFERENCES user (id)
) STRICT;

-- Stored password hashes cannot be run through a new blocklist, so each password set
-- records the fingerprint of the policy it passed; the security check compares it
-- with the current policy. No row: set before ehrdesk recorded this.
CREATE TABLE password_policy_check (
    user_id            INTEGER PRIMARY KEY REFERENCES user (id),
    policy_fingerprint TEXT NOT NULL,
    checked_at         TEXT NOT NULL
) STRICT;
