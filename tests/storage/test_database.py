"""A real SQLCipher file: keys, pragmas, self-check."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

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


def test_a_limit_written_into_sql_is_only_ever_a_number() -> None:
    assert limit_sql(50) == "LIMIT 50"
    assert limit_sql(True) == "LIMIT 1"
    with pytest.raises(ValueError):
        limit_sql("50; DROP TABLE client")  # type: ignore[arg-type]
