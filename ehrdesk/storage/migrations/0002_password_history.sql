-- Some compliance officers require refusing a user's last N passwords. Only Argon2
-- hashes are kept, inside the encrypted database.

CREATE TABLE password_history (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES user (id),
    hash       TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX password_history_user ON password_history (user_id, id);
