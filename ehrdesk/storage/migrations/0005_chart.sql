-- The clinician's chart: progress notes (signed and locked), their addenda,
-- psychotherapy notes (their author's alone), note templates, the intake assessment,
-- diagnoses with their history, treatment plans, measures (PHQ-9, GAD-7), emergency
-- access to a chart, and a full-text index over each clinician's own notes.
--
-- Times are UTC text 'YYYY-MM-DDTHH:MM:SSZ' as in 0003 (fixed width: text order is
-- time order, so the timeline can merge tables by one key); dates are 'YYYY-MM-DD'.
-- Every clinical row carries row_version: an update names the version it read and
-- matches no row when someone saved first (ConcurrentEditError).
--
-- Signed means locked. The triggers below refuse any UPDATE or DELETE of a signed
-- note, intake or plan, and any change to an addendum, as audit_event's do: the
-- services never try, and someone with the key and the sqlcipher tool is the only
-- one who could drop them.
--
-- Sized for a practice with 100,000 notes and a client with 1,000: the chart's
-- timeline is read newest first a page at a time by keyset, (client_id, at, id) on
-- every table it merges.

CREATE TABLE note_template (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    fields      TEXT NOT NULL,          -- JSON: [{"key", "label", "prompt"}, …]
    builtin     INTEGER NOT NULL DEFAULT 0,
    active      INTEGER NOT NULL DEFAULT 1,
    position    INTEGER NOT NULL DEFAULT 100,
    created_at  TEXT NOT NULL,
    created_by  INTEGER REFERENCES user (id),
    row_version INTEGER NOT NULL DEFAULT 1
) STRICT;
INSERT INTO note_template (name, fields, builtin, position, created_at) VALUES
('SOAP', '[{"key":"subjective","label":"Subjective","prompt":"What the client reports: concerns, mood, events since the last session, in their words where it helps."},{"key":"objective","label":"Objective","prompt":"What you observed: appearance, behaviour, affect, mental status, measures given."},{"key":"assessment","label":"Assessment","prompt":"Your clinical impression: progress toward goals, risk, changes in diagnosis."},{"key":"plan","label":"Plan","prompt":"Next steps: interventions, homework, referrals, next session."}]', 1, 1, '2026-01-01T00:00:00Z'),
('DAP', '[{"key":"data","label":"Data","prompt":"What the client said and what you observed in the session."},{"key":"assessment","label":"Assessment","prompt":"What the data mean: progress, risk, response to interventions."},{"key":"plan","label":"Plan","prompt":"What happens next: interventions, homework, next session."}]', 1, 2, '2026-01-01T00:00:00Z'),
('BIRP', '[{"key":"behavior","label":"Behavior","prompt":"The client''s presentation and what they reported."},{"key":"intervention","label":"Intervention","prompt":"What you did: techniques and approaches used in the session."},{"key":"response","label":"Response","prompt":"How the client responded to the interventions."},{"key":"plan","label":"Plan","prompt":"Next steps and the next session."}]', 1, 3, '2026-01-01T00:00:00Z');

CREATE TABLE progress_note (
    id               INTEGER PRIMARY KEY,
    client_id        INTEGER NOT NULL REFERENCES client (id),
    author_id        INTEGER NOT NULL REFERENCES user (id),
    template_id      INTEGER REFERENCES note_template (id),
    template_name    TEXT NOT NULL,      -- as it was when the note began
    appointment_id   INTEGER REFERENCES appointment (id),
    service_at       TEXT NOT NULL,      -- when the service happened (never in the future)
    duration_minutes INTEGER NOT NULL CHECK (duration_minutes BETWEEN 1 AND 720),
    cpt_code         TEXT NOT NULL DEFAULT '',
    location         TEXT NOT NULL DEFAULT '',
    sections         TEXT NOT NULL,      -- JSON: [{"key", "label", "text"}, …]
    status           TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'signed')),
    signed_by        INTEGER REFERENCES user (id),
    signed_at        TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    row_version      INTEGER NOT NULL DEFAULT 1,
    CHECK ((status = 'signed') = (signed_by IS NOT NULL AND signed_at IS NOT NULL))
) STRICT;
CREATE INDEX progress_note_client_time ON progress_note (client_id, service_at, id);
CREATE INDEX progress_note_drafts ON progress_note (author_id, service_at) WHERE status = 'draft';
CREATE INDEX progress_note_appointment ON progress_note (appointment_id)
    WHERE appointment_id IS NOT NULL;

CREATE TRIGGER progress_note_signed_never_changed BEFORE UPDATE ON progress_note
WHEN OLD.status = 'signed'
BEGIN SELECT RAISE(ABORT, 'a signed note is never changed'); END;
CREATE TRIGGER progress_note_signed_never_deleted BEFORE DELETE ON progress_note
WHEN OLD.status = 'signed'
BEGIN SELECT RAISE(ABORT, 'a signed note is never deleted'); END;
CREATE TRIGGER progress_note_stays_with_its_client BEFORE UPDATE ON progress_note
WHEN NEW.client_id IS NOT OLD.client_id OR NEW.author_id IS NOT OLD.author_id
BEGIN SELECT RAISE(ABORT, 'a note stays with its client and author'); END;

-- A correction to a signed note: signed when written, never changed or removed.
CREATE TABLE note_addendum (
    id          INTEGER PRIMARY KEY,
    note_id     INTEGER NOT NULL REFERENCES progress_note (id),
    author_id   INTEGER NOT NULL REFERENCES user (id),
    body        TEXT NOT NULL,
    signed_at   TEXT NOT NULL,
    row_version INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX note_addendum_note ON note_addendum (note_id, id);
CREATE TRIGGER note_addendum_only_to_a_signed_note BEFORE INSERT ON note_addendum
WHEN (SELECT status FROM progress_note WHERE id = NEW.note_id) IS NOT 'signed'
BEGIN SELECT RAISE(ABORT, 'an addendum corrects a signed note'); END;
CREATE TRIGGER note_addendum_never_changed BEFORE UPDATE ON note_addendum
BEGIN SELECT RAISE(ABORT, 'an addendum is never changed'); END;
CREATE TRIGGER note_addendum_never_deleted BEFORE DELETE ON note_addendum
BEGIN SELECT RAISE(ABORT, 'an addendum is never deleted'); END;

-- Psychotherapy notes: their author's alone. The body is opaque bytes to SQL and to
-- every repository; services/psychotherapy.py seals and opens it through one pair of
-- functions, so a later step can put it under the author's own key by adding a
-- body_format. Not in the full-text index.
CREATE TABLE psychotherapy_note (
    id          INTEGER PRIMARY KEY,
    client_id   INTEGER NOT NULL REFERENCES client (id),
    author_id   INTEGER NOT NULL REFERENCES user (id),
    body        BLOB NOT NULL,
    body_format TEXT NOT NULL,          -- 'utf8-v1': the text as UTF-8, unsealed
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    row_version INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX psychotherapy_note_author ON psychotherapy_note (author_id, client_id, created_at, id);
CREATE INDEX psychotherapy_note_client_time ON psychotherapy_note (client_id, created_at, id);
CREATE TRIGGER psychotherapy_note_stays_with_its_author BEFORE UPDATE ON psychotherapy_note
WHEN NEW.client_id IS NOT OLD.client_id OR NEW.author_id IS NOT OLD.author_id
BEGIN SELECT RAISE(ABORT, 'a psychotherapy note stays with its client and author'); END;

CREATE TABLE intake_assessment (
    id             INTEGER PRIMARY KEY,
    client_id      INTEGER NOT NULL REFERENCES client (id),
    author_id      INTEGER NOT NULL REFERENCES user (id),
    answers        TEXT NOT NULL,       -- JSON: {"presenting_problem": "…", …}
    suicide_risk   TEXT NOT NULL DEFAULT 'not_assessed'
        CHECK (suicide_risk IN ('not_assessed', 'none', 'low', 'moderate', 'high')),
    self_harm_risk TEXT NOT NULL DEFAULT 'not_assessed'
        CHECK (self_harm_risk IN ('not_assessed', 'none', 'low', 'moderate', 'high')),
    violence_risk  TEXT NOT NULL DEFAULT 'not_assessed'
        CHECK (violence_risk IN ('not_assessed', 'none', 'low', 'moderate', 'high')),
    safety_plan    TEXT NOT NULL,       -- JSON: {"warning_signs": "…", …}
    status         TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'signed')),
    signed_by      INTEGER REFERENCES user (id),
    signed_at      TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    row_version    INTEGER NOT NULL DEFAULT 1,
    CHECK ((status = 'signed') = (signed_by IS NOT NULL AND signed_at IS NOT NULL))
) STRICT;
CREATE INDEX intake_assessment_client_time ON intake_assessment (client_id, created_at, id);
CREATE TRIGGER intake_assessment_signed_never_changed BEFORE UPDATE ON intake_assessment
WHEN OLD.status = 'signed'
BEGIN SELECT RAISE(ABORT, 'a signed intake is never changed'); END;
CREATE TRIGGER intake_assessment_signed_never_deleted BEFORE DELETE ON intake_assessment
WHEN OLD.status = 'signed'
BEGIN SELECT RAISE(ABORT, 'a signed intake is never deleted'); END;

-- Diagnoses: the row holds the current state (what the header shows); every change
-- of status or primary flag is appended to diagnosis_change, never overwritten there.
CREATE TABLE diagnosis (
    id          INTEGER PRIMARY KEY,
    client_id   INTEGER NOT NULL REFERENCES client (id),
    code        TEXT NOT NULL,          -- ICD-10-CM, with its dot: 'F33.1'
    description TEXT NOT NULL,          -- as the code set said when it was added
    onset       TEXT,                   -- 'YYYY-MM-DD', when known
    status      TEXT NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'resolved', 'entered_in_error')),
    is_primary  INTEGER NOT NULL DEFAULT 0,
    added_by    INTEGER NOT NULL REFERENCES user (id),
    added_at    TEXT NOT NULL,
    row_version INTEGER NOT NULL DEFAULT 1,
    CHECK (is_primary = 0 OR status = 'active')
) STRICT;
CREATE INDEX diagnosis_client ON diagnosis (client_id, status, id);
CREATE UNIQUE INDEX diagnosis_one_primary ON diagnosis (client_id) WHERE is_primary = 1;
CREATE TRIGGER diagnosis_code_never_changed BEFORE UPDATE ON diagnosis
WHEN NEW.code IS NOT OLD.code OR NEW.description IS NOT OLD.description
  OR NEW.client_id IS NOT OLD.client_id OR NEW.onset IS NOT OLD.onset
  OR NEW.added_at IS NOT OLD.added_at OR NEW.added_by IS NOT OLD.added_by
BEGIN SELECT RAISE(ABORT, 'a diagnosis keeps its code; add another instead'); END;
CREATE TRIGGER diagnosis_never_deleted BEFORE DELETE ON diagnosis
BEGIN SELECT RAISE(ABORT, 'a diagnosis is never deleted; mark it resolved or in error'); END;

CREATE TABLE diagnosis_change (
    id           INTEGER PRIMARY KEY,
    diagnosis_id INTEGER NOT NULL REFERENCES diagnosis (id),
    status       TEXT NOT NULL,
    is_primary   INTEGER NOT NULL,
    changed_at   TEXT NOT NULL,
    changed_by   INTEGER NOT NULL REFERENCES user (id),
    row_version  INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX diagnosis_change_diagnosis ON diagnosis_change (diagnosis_id, id);
CREATE TRIGGER diagnosis_change_never_changed BEFORE UPDATE ON diagnosis_change
BEGIN SELECT RAISE(ABORT, 'diagnosis history is never changed'); END;
CREATE TRIGGER diagnosis_change_never_deleted BEFORE DELETE ON diagnosis_change
BEGIN SELECT RAISE(ABORT, 'diagnosis history is never deleted'); END;

-- Treatment plans: problems → measurable goals → objectives (with target dates), and
-- interventions, kept as one JSON document; review_date is a column so the Today
-- view's "review due" is an index range. A signed plan is locked; revising it starts
-- a new draft, and the newest signed plan is the one in force.
CREATE TABLE treatment_plan (
    id          INTEGER PRIMARY KEY,
    client_id   INTEGER NOT NULL REFERENCES client (id),
    author_id   INTEGER NOT NULL REFERENCES user (id),
    problems    TEXT NOT NULL,          -- JSON: [{"text", "goals": [...], "interventions": [...]}]
    target_date TEXT,
    review_date TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'signed')),
    signed_by   INTEGER REFERENCES user (id),
    signed_at   TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    row_version INTEGER NOT NULL DEFAULT 1,
    CHECK ((status = 'signed') = (signed_by IS NOT NULL AND signed_at IS NOT NULL))
) STRICT;
CREATE INDEX treatment_plan_client_time ON treatment_plan (client_id, created_at, id);
CREATE INDEX treatment_plan_review ON treatment_plan (review_date, client_id)
    WHERE status = 'signed';
CREATE TRIGGER treatment_plan_signed_never_changed BEFORE UPDATE ON treatment_plan
WHEN OLD.status = 'signed'
BEGIN SELECT RAISE(ABORT, 'a signed treatment plan is never changed'); END;
CREATE TRIGGER treatment_plan_signed_never_deleted BEFORE DELETE ON treatment_plan
WHEN OLD.status = 'signed'
BEGIN SELECT RAISE(ABORT, 'a signed treatment plan is never deleted'); END;

-- PHQ-9 and GAD-7: each item's answer (0-3), the total and its published band. A
-- result is never changed; one entered in error is voided (and still kept).
CREATE TABLE measure_result (
    id              INTEGER PRIMARY KEY,
    client_id       INTEGER NOT NULL REFERENCES client (id),
    instrument      TEXT NOT NULL CHECK (instrument IN ('phq9', 'gad7')),
    answers         TEXT NOT NULL,      -- '0,1,3,…': one digit an item, in order
    total           INTEGER NOT NULL,
    band            TEXT NOT NULL,
    risk_flag       INTEGER NOT NULL DEFAULT 0,   -- PHQ-9 item 9 above zero
    administered_at TEXT NOT NULL,
    entered_by      INTEGER NOT NULL REFERENCES user (id),
    by_client       INTEGER NOT NULL DEFAULT 0,   -- filled in by the client on the form
    voided_at       TEXT,
    voided_by       INTEGER REFERENCES user (id),
    created_at      TEXT NOT NULL,
    row_version     INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX measure_result_client_time ON measure_result (client_id, administered_at, id);
CREATE TRIGGER measure_result_answers_never_changed BEFORE UPDATE ON measure_result
WHEN NEW.answers IS NOT OLD.answers OR NEW.total IS NOT OLD.total
  OR NEW.instrument IS NOT OLD.instrument OR NEW.client_id IS NOT OLD.client_id
  OR NEW.administered_at IS NOT OLD.administered_at OR OLD.voided_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a measure is never changed; void it instead'); END;
CREATE TRIGGER measure_result_never_deleted BEFORE DELETE ON measure_result
BEGIN SELECT RAISE(ABORT, 'a measure is never deleted; void it instead'); END;

-- Emergency access: someone opened a chart not assigned to them, for a stated reason
-- (a category the audit log may carry, and free text kept here, never in the log),
-- for a limited time. The owner's Today view lists the grants not yet acknowledged.
CREATE TABLE emergency_access (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES user (id),
    client_id       INTEGER NOT NULL REFERENCES client (id),
    reason_category TEXT NOT NULL
        CHECK (reason_category IN ('crisis', 'covering', 'supervision', 'other')),
    reason          TEXT NOT NULL CHECK (length(reason) > 0),
    started_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    ended_at        TEXT,
    acknowledged_by INTEGER REFERENCES user (id),
    acknowledged_at TEXT,
    row_version     INTEGER NOT NULL DEFAULT 1,
    CHECK (expires_at > started_at)
) STRICT;
CREATE INDEX emergency_access_user_client ON emergency_access (user_id, client_id, expires_at);
CREATE INDEX emergency_access_waiting ON emergency_access (started_at)
    WHERE acknowledged_at IS NULL;
CREATE TRIGGER emergency_access_never_deleted BEFORE DELETE ON emergency_access
BEGIN SELECT RAISE(ABORT, 'an emergency access record is never deleted'); END;
CREATE TRIGGER emergency_access_facts_never_changed BEFORE UPDATE ON emergency_access
WHEN NEW.user_id IS NOT OLD.user_id OR NEW.client_id IS NOT OLD.client_id
  OR NEW.reason IS NOT OLD.reason OR NEW.reason_category IS NOT OLD.reason_category
  OR NEW.started_at IS NOT OLD.started_at
BEGIN SELECT RAISE(ABORT, 'an emergency access record keeps its facts'); END;

-- Full-text search over progress notes and addenda, inside the encrypted database.
-- `owner` is one token, 'u<user id>', for the person who wrote the text: a search is
-- always `owner:u<me> AND …`, so nobody searches another person's words. The rowid
-- says what a row is: 2 × note id for a note's sections, 2 × addendum id + 1 for an
-- addendum. Psychotherapy notes are never indexed. Words are stemmed (Porter), so
-- "panic attacks" finds "panicked", "attack"; a query is whole words, never a prefix
-- (FTS5 builds a prefix's whole doclist in memory: seconds over 100,000 notes).
CREATE VIRTUAL TABLE note_search USING fts5(
    owner, body, tokenize = 'porter unicode61 remove_diacritics 2'
);
