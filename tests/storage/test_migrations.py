"""Schema migrations: in order, one transaction a step, safety copy, newer refused.

The fixture vault is made at test time at schema version 1 (the first released
schema) by the real runner, filled, and then opened by the current code; committing a
binary vault into the repository is what the project avoids (no data files in git).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ehrdesk.core.errors import VaultTooNew
from ehrdesk.storage.database import Database
from ehrdesk.storage.migrations import runner

KEY = os.urandom(32)


def make_v1(path: Path) -> None:
    db = Database.open(path, KEY, create=True)
    runner.migrate(db, target=1)
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO user (username, username_key, full_name, role, totp_secret, "
            "recovery_salt, created_at, password_changed_at) "
            "VALUES ('olive', 'olive', 'Olive', 'owner', 'S', x'00', 't', 't')"
        )
    db.close()


def test_migrations_are_numbered_without_gaps() -> None:
    versions = [m.version for m in runner.all_migrations()]
    assert versions == list(range(1, runner.LATEST_VERSION + 1))
    assert runner.LATEST_VERSION >= 2


def test_upgrade_from_a_version_1_vault_keeps_data_and_copies_first(tmp_path: Path) -> None:
    path = tmp_path / "practice.ehrdb"
    make_v1(path)
    db = Database.open(path, KEY)
    assert db.user_version() == 1
    copies: list[tuple[int, int]] = []
    applied = runner.migrate(db, before_first_step=lambda old, new: copies.append((old, new)))
    assert applied == runner.LATEST_VERSION - 1
    assert copies == [(1, runner.LATEST_VERSION)]
    assert db.user_version() == runner.LATEST_VERSION
    assert db.conn.execute("SELECT username FROM user").fetchone()[0] == "olive"
    db.conn.execute("SELECT count(*) FROM password_history").fetchone()
    assert runner.migrate(db, before_first_step=lambda *_: copies.append((0, 0))) == 0
    assert len(copies) == 1
    db.close()


def test_a_failing_step_leaves_the_previous_version_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "practice.ehrdb"
    make_v1(path)
    broken = [
        m
        if m.version == 1
        else runner.Migration(m.version, m.name, "CREATE TABLE t (x); SELECT nope();")
        for m in runner.all_migrations()
    ]
    monkeypatch.setattr(runner, "all_migrations", lambda: broken)
    db = Database.open(path, KEY)
    with pytest.raises(Exception, match="nope"):
        runner.migrate(db)
    assert db.user_version() == 1
    tables = {r[0] for r in db.conn.execute("SELECT name FROM sqlite_master")}
    assert "t" not in tables
    db.close()


def test_a_newer_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "practice.ehrdb"
    db = Database.open(path, KEY, create=True)
    runner.migrate(db)
    db.conn.execute(f"PRAGMA user_version = {runner.LATEST_VERSION + 1}")
    db.close()
    before = path.read_bytes()
    db = Database.open(path, KEY)
    with pytest.raises(VaultTooNew):
        runner.migrate(db)
    db.close()
    assert path.read_bytes() == before


def test_version_6_turns_the_note_index_newest_first_and_keeps_every_hit(
    tmp_path: Path,
) -> None:
    """Notes and an addendum indexed under version 5's rowids (2 × id, 2 × id + 1) are
    found after the upgrade, newest first, with the addendum still naming its note."""
    from ehrdesk.storage.notes import NoteRepository

    path = tmp_path / "practice.ehrdb"
    make_v1(path)
    db = Database.open(path, KEY)
    runner.migrate(db, target=5)
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO client (legal_first_name, legal_last_name, date_of_birth, sort_key, "
            "created_at, updated_at) VALUES ('Ann', 'Bell', '1980-01-01', 'bell', 't', 't')"
        )
        for n in (1, 2, 3):
            conn.execute(
                "INSERT INTO progress_note (id, client_id, author_id, template_name, service_at, "
                "duration_minutes, sections, status, signed_by, signed_at, created_at, "
                "updated_at) VALUES (?, 1, 1, 'SOAP', ?, 50, '[]', 'signed', 1, ?, ?, ?)",
                (n, *[f"2026-01-0{n}T10:00:00Z"] * 4),
            )
            conn.execute(
                "INSERT INTO note_search (rowid, owner, body) VALUES (?, 'u1', ?)",
                (2 * n, f"panic attacks, session {n}"),
            )
        conn.execute(
            "INSERT INTO note_addendum (id, note_id, author_id, body, signed_at) "
            "VALUES (7, 1, 1, 'panic: a correction', '2026-01-05T10:00:00Z')"
        )
        conn.execute("INSERT INTO note_search (rowid, owner, body) VALUES (15, 'u1', 'panic')")
    runner.migrate(db)
    assert db.user_version() == runner.LATEST_VERSION
    rowids = [r[0] for r in db.conn.execute("SELECT rowid FROM note_search ORDER BY rowid")]
    assert rowids == [-15, -6, -4, -2]
    hits = NoteRepository(db.conn).search("panic", 1, 50)
    assert [(h.note_id, h.in_addendum) for h in hits] == [
        (3, False),
        (2, False),
        (1, True),
        (1, False),
    ]
    assert NoteRepository(db.conn).search("session", 1, 2)[0].note_id == 3
    db.close()
