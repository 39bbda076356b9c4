"""A real SQLCipher file: keys, pragmas, self-check."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3

from ehrdesk.core.errors import VaultDamaged
from ehrdesk.storage.database import Database, limit_sql

KEY = os.urandom(32)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "practice.ehrdb"
    db = Database.open(path, KEY, create=True)
    with db.transaction() as conn:
        conn.execute("CREATE TABLE note (body TEXT)")
        conn.execute("INSERT INTO note VALUES ('zqx-secret-body')")
    db.close()
    return path


def test_reopens_with_the_key_and_holds_the_pragmas(db_path: Path) -> None:
    db = Database.open(db_path, KEY)
    conn = db.conn
    assert conn.execute("SELECT body FROM note").fetchone()[0] == "zqx-secret-body"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY
    assert str(conn.execute("PRAGMA cipher_version").fetchone()[0]).startswith("4.")
    assert db.integrity_problems() == []
    db.close()
    assert not db.is_open


def test_wrong_key_is_refused_as_damaged(db_path: Path) -> None:
    with pytest.raises(VaultDamaged):
        Database.open(db_path, os.urandom(32))


def test_plain_sqlite_cannot_read_it(db_path: Path) -> None:
    assert not db_path.read_bytes().startswith(b"SQLite format 3")
    assert b"zqx-secret-body" not in db_path.read_bytes()
    conn = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute("SELECT * FROM sqlite_master").fetchall()
    conn.close()


def test_a_missing_file_is_not_created_on_open(tmp_path: Path) -> None:
    with pytest.raises(VaultDamaged):
        Database.open(tmp_path / "nothing.ehrdb", KEY)
    assert not (tmp_path / "nothing.ehrdb").exists()


def test_a_flipped_page_byte_is_caught(db_path: Path) -> None:
    data = bytearray(db_path.read_bytes())
    data[4096 + 100] ^= 0xFF  # inside the second page
    db_path.write_bytes(bytes(data))
    try:
        db = Database.open(db_path, KEY)
        problems = db.integrity_problems()
        db.close()
    except (VaultDamaged, sqlcipher3.DatabaseError):
        return
    assert problems


def test_transaction_rolls_back_on_error(db_path: Path) -> None:
    db = Database.open(db_path, KEY)
    with pytest.raises(RuntimeError), db.transaction() as conn:
        conn.execute("INSERT INTO note VALUES ('half')")
        raise RuntimeError("boom")
    assert db.conn.execute("SELECT count(*) FROM note").fetchone()[0] == 1
    db.close()


def test_the_key_must_be_32_bytes(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        Database.open(tmp_path / "x.ehrdb", b"short", create=True)


# Reading the file's own bytes (what a backup streams) ----------------------------------

#: The bytes SQLite takes a shared lock on while a connection is open (SHARED_FIRST and
#: SHARED_SIZE of its unix VFS: 0x40000000 + 2, 510 bytes).
SHARED_LOCK_START, SHARED_LOCK_BYTES = 0x40000002, 510


def held_by_someone(path: Path) -> bool:
    """Asked from another process: can it lock SQLite's shared bytes exclusively?"""
    child = (
        "import fcntl, os, sys\n"
        f"fd = os.open({str(path)!r}, os.O_RDWR)\n"
        "try:\n"
        f"    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, {SHARED_LOCK_BYTES}, "
        f"{SHARED_LOCK_START})\n"
        "except OSError:\n"
        "    sys.exit(3)\n"
    )
    return subprocess.run([sys.executable, "-c", child], check=False).returncode == 3


def descriptors_of(path: Path) -> list[str]:
    folder = Path("/proc/self/fd")
    found = []
    for entry in folder.iterdir():
        with contextlib.suppress(OSError):
            if os.readlink(entry) == str(path):
                found.append(entry.name)
    return found


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="Linux's /proc")
def test_the_reading_descriptor_never_drops_sqlite_s_locks(db_path: Path) -> None:
    """Closing any descriptor of a file drops every POSIX lock the process holds on it;
    the descriptor a backup reads through stays open until the last connection of this
    process to the file has closed."""
    session = Database.open(db_path, KEY)
    session.conn.execute("SELECT count(*) FROM note").fetchone()
    assert held_by_someone(db_path)  # SQLite's shared lock, for as long as it is open

    backup = Database.open(db_path, KEY)
    fd = backup.read_descriptor()
    assert backup.read_descriptor() == fd  # one per file, whoever asks
    # (Not compared with `db_path.read_bytes()`: that opens and closes the file, and the
    # very thing this test is about would drop the locks.)
    assert len(os.pread(fd, 4096, 0)) == 4096
    backup.close()  # the session's connection is still open: the descriptor stays
    assert held_by_someone(db_path)
    assert os.pread(fd, 16, 0)
    assert session.read_descriptor() == fd

    session.close()  # the last connection: now it goes too
    assert not held_by_someone(db_path)
    assert descriptors_of(db_path) == []  # the session's and ours
    with pytest.raises(RuntimeError):
        session.read_descriptor()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="Linux's /proc")
def test_copying_the_file_keeps_sqlite_s_locks_where_a_copy_by_name_drops_them(
    db_path: Path, tmp_path: Path
) -> None:
    db = Database.open(db_path, KEY)
    db.checkpoint()
    assert held_by_someone(db_path)
    target = tmp_path / "copies" / "practice.ehrdb"
    target.parent.mkdir()

    db.copy_file(target)

    assert held_by_someone(db_path)  # this connection's locks are still there
    assert [p.name for p in target.parent.iterdir()] == ["practice.ehrdb"]  # no temp left
    assert target.stat().st_mode & 0o777 == 0o600
    copy = Database.open(target, KEY)
    try:
        assert copy.conn.execute("SELECT body FROM note").fetchone()[0] == "zqx-secret-body"
    finally:
        copy.close()
    # Why the method exists: the plain copy by name lets go of them.
    shutil.copyfile(db_path, tmp_path / "by-name.ehrdb")
    assert not held_by_someone(db_path)
    db.close()


def test_a_copy_that_fails_leaves_no_file(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database.open(db_path, KEY)
    target = tmp_path / "copies" / "practice.ehrdb"
    target.parent.mkdir()

    def full(fd: int, data: Any) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OSError):
        db.copy_file(target)
    monkeypatch.undo()
    db.close()
    assert list(target.parent.iterdir()) == []


def test_a_limit_written_into_sql_is_only_ever_a_number() -> None:
    assert limit_sql(50) == "LIMIT 50"
    assert limit_sql(True) == "LIMIT 1"
    with pytest.raises(ValueError):
        limit_sql("50; DROP TABLE client")  # type: ignore[arg-type]
