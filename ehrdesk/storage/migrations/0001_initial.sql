-- The practice's settings, its users and the audit log.

CREATE TABLE practice_setting (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL             -- JSON
) STRICT;

CREATE TABLE user (
    id                   INTEGER PRIMARY KEY,
    username             TEXT NOT NULL,
    username_key         TEXT NOT NULL UNIQUE,   -- NFKC, case-folded: what sign-in matches
    full_name            TEXT NOT NULL,
    role                 TEXT NOT NULL CHECK (role IN ('owner', 'clinician', 'front_desk')),
    status               TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    totp_secret          TEXT NOT NULL,
    totp_last_step       INTEGER,                -- the newest accepted step: no replay
    recovery_salt        BLOB NOT NULL,
    created_at           TEXT NOT NULL,
    password_changed_at  TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    row_version          INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE recovery_code (
    id        INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL REFERENCES user (id),
    code_hash BLOB NOT NULL,
    used_at   TEXT
) STRICT;
CREATE INDEX recovery_code_user ON recovery_code (user_id);

CREATE TABLE audit_event (
    seq         INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,                   -- UTC, ISO 8601
    user_id     INTEGER,
    username    TEXT,
    role        TEXT,
    action      TEXT NOT NULL,
    object_type TEXT,
    object_id   TEXT,
    reason      TEXT,
    mac         BLOB NOT NULL                    -- HMAC chain: see storage/audit.py
) STRICT;
CREATE INDEX audit_event_at ON audit_event (at);
CREATE INDEX audit_event_user ON audit_event (user_id, seq);
CREATE INDEX audit_event_object ON audit_event (object_type, object_id, seq);

-- Rows are only ever inserted. Someone holding the key can drop these triggers; the
-- HMAC chain and the anchor in vault.json catch what they do after that.
CREATE TRIGGER audit_event_never_updated BEFORE UPDATE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit events are never changed'); END;
CREATE TRIGGER audit_event_never_deleted BEFORE DELETE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit events are never deleted'); END;
