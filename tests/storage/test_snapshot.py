"""Snapshots: a consistent, encrypted copy of a live database, under another key."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ehrdesk.core.errors import UserCancelled, VaultDamaged
from ehrdesk.core.progress import CancelToken
from ehrdesk.storage.database import Database
from ehrdesk.storage.migrations import runner
from ehrdesk.storage.snapshot import copy_rekeyed, row_counts, table_names, take_snapshot

LIVE_KEY = os.urandom(32)
SNAP_KEY = os.urandom(32)
MARKER = "Zqxsnapshotmarker"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Database]:
    db = Database.open(tmp_path / "live.ehrdb", LIVE_KEY, create=True)
    runner.migrate(db)
    with db.transaction() as conn:
        conn.execute("CREATE TABLE stand_in_client (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        conn.executemany(
            "INSERT INTO stand_in_client (name) VALUES (?)",
            [(f"{MARKER} {i}",) for i in range(3000)],
        )
        conn.execute('CREATE TABLE "odd ""name" (x)')  # any table name is copied
        conn.execute('INSERT INTO "odd ""name" VALUES (1)')
    yield db
    db.close()


def rows(db: Database, table: str) -> list[tuple[object, ...]]:
    quoted = '"' + table.replace('"', '""') + '"'
    width = len(db.conn.execute(f"PRAGMA table_info({quoted})").fetchall())
    order = ", ".join(str(i) for i in range(1, width + 1))  # WITHOUT ROWID tables too
    return db.conn.execute(f"SELECT * FROM {quoted} ORDER BY {order}").fetchall()


def test_the_copy_holds_every_table_and_row_under_its_own_key(
    live: Database, tmp_path: Path
) -> None:
    target = tmp_path / "snap.ehrdb"
    facts = take_snapshot(live.path, LIVE_KEY, target, SNAP_KEY)

    assert facts.schema_version == runner.LATEST_VERSION
    assert facts.row_counts["stand_in_client"] == 3000
    assert facts.row_counts == row_counts(live.conn)
    assert 'odd "name' in facts.row_counts
    assert facts.size == target.stat().st_size
    copy = Database.open(target, SNAP_KEY)
    try:
        assert copy.user_version() == runner.LATEST_VERSION
        assert copy.integrity_problems() == []
        assert table_names(copy.conn) == table_names(live.conn)
        for table in table_names(live.conn):
            assert rows(copy, table) == rows(live, table), table
        triggers = copy.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        assert {"audit_event_never_updated", "audit_event_never_deleted"} <= {
            r[0] for r in triggers
        }
    finally:
        copy.close()
    # Encrypted from its first page: not SQLite, no marker, and not the live key.
    data = target.read_bytes()
    assert not data.startswith(b"SQLite format 3")
    assert MARKER.encode() not in data
    with pytest.raises(VaultDamaged):
        Database.open(target, LIVE_KEY)
    assert os.stat(target).st_mode & 0o077 == 0


def test_the_copy_is_one_moment_while_another_connection_writes(
    live: Database, tmp_path: Path
) -> None:
    """Writes committed by another connection in the middle of the copy are not in it,
    and the counts returned describe exactly what was copied."""
    writes = []

    def progress(done: int, total: int, label: str) -> None:
        if not writes:
            assert done < total  # the copy is under way, not finished
            for _ in range(5):
                with live.transaction() as conn:
                    conn.execute(
                        "INSERT INTO stand_in_client (name) VALUES ('written during the copy')"
                    )
                writes.append(done)

    before = row_counts(live.conn)
    target = tmp_path / "snap.ehrdb"
    facts = take_snapshot(live.path, LIVE_KEY, target, SNAP_KEY, progress=progress)

    assert len(writes) == 5  # the copy really was under way while they committed
    assert facts.row_counts == before
    assert row_counts(live.conn)["stand_in_client"] == before["stand_in_client"] + 5
    copy = Database.open(target, SNAP_KEY)
    try:
        assert row_counts(copy.conn) == before
    finally:
        copy.close()


def test_cancel_leaves_no_copy(live: Database, tmp_path: Path) -> None:
    cancel = CancelToken()

    def progress(done: int, total: int, label: str) -> None:
        cancel.cancel()

    target = tmp_path / "snap.ehrdb"
    with pytest.raises(UserCancelled):
        take_snapshot(live.path, LIVE_KEY, target, SNAP_KEY, progress=progress, cancel=cancel)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in tmp_path.iterdir() if p.name.startswith("live.ehrdb")
    )


def test_an_existing_target_is_never_overwritten(live: Database, tmp_path: Path) -> None:
    target = tmp_path / "snap.ehrdb"
    target.write_bytes(b"someone else's file")
    with pytest.raises(FileExistsError):
        take_snapshot(live.path, LIVE_KEY, target, SNAP_KEY)
    assert target.read_bytes() == b"someone else's file"


def test_copy_rekeyed_makes_a_wal_database_under_the_new_key(
    live: Database, tmp_path: Path
) -> None:
    snap = tmp_path / "snap.ehrdb"
    take_snapshot(live.path, LIVE_KEY, snap, SNAP_KEY)
    restored = tmp_path / "restored.ehrdb"
    new_key = os.urandom(32)
    copy_rekeyed(snap, SNAP_KEY, restored, new_key)
    db = Database.open(restored, new_key)
    try:
        assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert row_counts(db.conn) == row_counts(live.conn)
        assert db.user_version() == runner.LATEST_VERSION
    finally:
        db.close()
