-- Handing records out: releases of information (with the client's signed form kept
-- inside this encrypted file, never beside it) and the accounting of disclosures.
--
-- Times are UTC text 'YYYY-MM-DDTHH:MM:SSZ' as in 0003; dates are 'YYYY-MM-DD'. The
-- categories are comma-separated codes of ShareCategory (core/records.py).

CREATE TABLE release_of_information (
    id                INTEGER PRIMARY KEY,
    client_id         INTEGER NOT NULL REFERENCES client (id),
    recipient         TEXT NOT NULL CHECK (length(recipient) > 0),
    recipient_contact TEXT NOT NULL DEFAULT '',
    categories        TEXT NOT NULL CHECK (length(categories) > 0),
    purpose           TEXT NOT NULL CHECK (length(purpose) > 0),
    signed_on         TEXT NOT NULL,
    expires_on        TEXT NOT NULL,
    revoked_at        TEXT,
    revoked_by        INTEGER REFERENCES user (id),
    created_at        TEXT NOT NULL,
    created_by        INTEGER NOT NULL REFERENCES user (id),
    row_version       INTEGER NOT NULL DEFAULT 1,
    CHECK (expires_on > signed_on)
) STRICT;
CREATE INDEX release_of_information_client ON release_of_information (client_id, signed_on);
-- What the client signed never changes; only a revocation is written afterwards.
CREATE TRIGGER release_of_information_facts_never_changed
BEFORE UPDATE ON release_of_information
WHEN NEW.client_id IS NOT OLD.client_id OR NEW.recipient IS NOT OLD.recipient
  OR NEW.recipient_contact IS NOT OLD.recipient_contact
  OR NEW.categories IS NOT OLD.categories OR NEW.purpose IS NOT OLD.purpose
  OR NEW.signed_on IS NOT OLD.signed_on OR NEW.expires_on IS NOT OLD.expires_on
  OR OLD.revoked_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a release keeps what the client signed; record a new one'); END;
CREATE TRIGGER release_of_information_never_deleted BEFORE DELETE ON release_of_information
BEGIN SELECT RAISE(ABORT, 'a release is never deleted; revoke it instead'); END;

-- The signed form (a scanned PDF, PNG or JPEG), apart from the release so that listing
-- releases never reads the scans. It may be replaced (a better scan) until a disclosure
-- has been made under the release; from then on it is the evidence and stays.
CREATE TABLE release_form (
    release_id  INTEGER PRIMARY KEY REFERENCES release_of_information (id),
    media_type  TEXT NOT NULL CHECK (media_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    data        BLOB NOT NULL,
    size        INTEGER NOT NULL,
    attached_at TEXT NOT NULL,
    attached_by INTEGER NOT NULL REFERENCES user (id)
) STRICT;
CREATE TRIGGER release_form_kept_once_used BEFORE UPDATE ON release_form
WHEN EXISTS (SELECT 1 FROM disclosure WHERE release_id = OLD.release_id)
BEGIN SELECT RAISE(ABORT, 'a release used for a disclosure keeps its signed form'); END;
CREATE TRIGGER release_form_never_deleted BEFORE DELETE ON release_form
BEGIN SELECT RAISE(ABORT, 'a signed form is never deleted'); END;

-- The accounting of disclosures: every time a record left for someone other than the
-- client. One row a disclosure, never changed or removed.
CREATE TABLE disclosure (
    id            INTEGER PRIMARY KEY,
    client_id     INTEGER NOT NULL REFERENCES client (id),
    disclosed_at  TEXT NOT NULL,
    recipient     TEXT NOT NULL CHECK (length(recipient) > 0),
    categories    TEXT NOT NULL CHECK (length(categories) > 0),
    purpose       TEXT NOT NULL CHECK (length(purpose) > 0),
    release_id    INTEGER REFERENCES release_of_information (id),
    legal_basis   TEXT CHECK (legal_basis IN ('court_order', 'treatment', 'required_by_law', 'other')),
    legal_detail  TEXT NOT NULL DEFAULT '',
    period_from   TEXT,
    period_until  TEXT,
    delivery      TEXT NOT NULL CHECK (delivery IN ('printed', 'pdf', 'fhir', 'package')),
    disclosed_by  INTEGER NOT NULL REFERENCES user (id),
    CHECK ((release_id IS NULL) != (legal_basis IS NULL)),
    CHECK (legal_basis IS NOT 'other' OR length(legal_detail) > 0)
) STRICT;
CREATE INDEX disclosure_client_time ON disclosure (client_id, disclosed_at);
CREATE INDEX disclosure_release ON disclosure (release_id) WHERE release_id IS NOT NULL;
CREATE TRIGGER disclosure_never_changed BEFORE UPDATE ON disclosure
BEGIN SELECT RAISE(ABORT, 'a disclosure is never changed'); END;
CREATE TRIGGER disclosure_never_deleted BEFORE DELETE ON disclosure
BEGIN SELECT RAISE(ABORT, 'a disclosure is never deleted'); END;
