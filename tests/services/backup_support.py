"""Helpers the backup tests share: a practice with clinical-looking tables, and ways
to read every table of a database so two can be compared.

The clinical tables stand in for the ones other parts of ehrdesk add (clients,
appointments, notes): the comparison walks sqlite_master, so when those tables exist
they are compared too without anyone listing them here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ehrdesk.core.models import Role
from ehrdesk.services.registry import Services
from ehrdesk.storage.database import Database
from ehrdesk.storage.snapshot import table_names

CLIENT_MARKER = "Zqxclientmarker"
NOTE_MARKER = "Zqxnotemarker"


def add_clinical_tables(services: Services, *, clients: int = 400) -> None:
    """Tables and rows like a practice's own (the owner must be signed in). Enough
    text to span several of age's 64 KiB chunks."""
    with services.session.transaction() as tx:
        conn = tx.conn
        conn.execute(
            "CREATE TABLE IF NOT EXISTS test_client "
            "(id INTEGER PRIMARY KEY, name TEXT NOT NULL, born TEXT)"
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS test_appointment (id INTEGER PRIMARY KEY, "
            "client_id INTEGER REFERENCES test_client (id), at TEXT NOT NULL)"
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS test_note (id INTEGER PRIMARY KEY, "
            "client_id INTEGER REFERENCES test_client (id), body TEXT NOT NULL, sig BLOB)"
        )
        start = int(conn.execute("SELECT count(*) FROM test_client").fetchone()[0])
        for i in range(start, start + clients):
            conn.execute(
                "INSERT INTO test_client (id, name, born) VALUES (?, ?, ?)",
                (i + 1, f"{CLIENT_MARKER} {i}", "1980-01-01"),
            )
            conn.execute(
                "INSERT INTO test_appointment (client_id, at) VALUES (?, ?)",
                (i + 1, f"2026-03-{i % 28 + 1:02d}T10:00"),
            )
            conn.execute(
                "INSERT INTO test_note (client_id, body, sig) VALUES (?, ?, ?)",
                (
                    i + 1,
                    f"{NOTE_MARKER} {i} " + "felt better this week. " * 20,
                    bytes([i % 256]) * 8,
                ),
            )
            if i % 50 == 0:
                tx.audit("client_viewed", object_type="client", object_id=str(i + 1))


def dump(path: Path, key: bytes) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (sqlite_master decides which), in a stable order."""
    db = Database.open(path, key)
    try:
        result = {}
        for table in table_names(db.conn):
            quoted = '"' + table.replace('"', '""') + '"'
            # Every column, in order: WITHOUT ROWID tables (the search terms) have no rowid.
            width = len(db.conn.execute(f"PRAGMA table_info({quoted})").fetchall())
            order = ", ".join(str(i) for i in range(1, width + 1))
            result[table] = db.conn.execute(f"SELECT * FROM {quoted} ORDER BY {order}").fetchall()
        return result
    finally:
        db.close()


def schema(path: Path, key: bytes) -> list[tuple[Any, ...]]:
    db = Database.open(path, key)
    try:
        return db.conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()
    finally:
        db.close()


def database_key(services: Services, recovery_key: str) -> bytes:
    return services.vaults.unseal_recovery(services.vaults.load(), recovery_key)


def owner_and_clinician(practice: Any, add_user: Any) -> None:
    """A clinician besides the owner, so more than one person must sign in again."""
    add_user("carla", Role.CLINICIAN)
