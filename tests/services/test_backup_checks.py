"""The checks every Verify, drill and restore runs, at once on their own connections:
each finds the damage only it can see, and the first problem found (or a cancel)
stops the others instead of waiting for them.

Each kind of damage is made so that exactly one check can see it, and the test first
proves that (the other checks pass on it), so each test can fail for one reason only.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Any

import pytest

from ehrdesk.core.errors import BackupDamaged, UserCancelled
from ehrdesk.core.progress import CancelToken, no_progress
from ehrdesk.security.backup_identity import derive_practice_identity
from ehrdesk.services import backup_verify
from ehrdesk.services.backup_verify import check_database, read_backup
from ehrdesk.storage.backup_file import Manifest
from ehrdesk.storage.database import Database
from tests.conftest import Practice
from tests.services.backup_support import add_clinical_tables, database_key

pytestmark = pytest.mark.usefixtures("no_threads_left")

ENDLESS = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT count(*) FROM c"


@dataclasses.dataclass
class Decrypted:
    path: Path
    manifest: Manifest
    key: bytes

    def pragma(self, name: str) -> list[str]:
        db = Database.open(self.path, self.key)
        try:
            return [str(r[0]) for r in db.conn.execute(f"PRAGMA {name}")]
        finally:
            db.close()

    def check(self, manifest: Manifest | None = None, **kwargs: Any) -> tuple[str, int]:
        return check_database(
            self.path,
            manifest or self.manifest,
            self.key,
            cancel=kwargs.pop("cancel", CancelToken()),
            progress=kwargs.pop("progress", no_progress),
        )


@pytest.fixture
def decrypted(practice: Practice, tmp_path: Path) -> Decrypted:
    """A practice's backup, decrypted as a restore would, not yet checked. Before the
    backup a large table was made and dropped, so the file ends in free pages."""
    services = practice.services
    practice.sign_in("owner")
    add_clinical_tables(services, clients=150)
    with services.session.transaction() as tx:
        tx.conn.execute("CREATE TABLE scratch (pad BLOB)")
        tx.conn.executemany("INSERT INTO scratch VALUES (randomblob(3000))", [()] * 300)
    with services.session.transaction() as tx:
        tx.conn.execute("DROP TABLE scratch")
    drive = tmp_path / "usb"
    drive.mkdir()
    result = services.backups.backup_job(drive).run()
    key = database_key(services, practice.created.recovery_key)
    work = tmp_path / "work"
    work.mkdir()
    opened = read_backup(
        result.path,
        [derive_practice_identity(key)],
        work / "practice.ehrdb",
        database_key=lambda head: key,
        hash_file=False,
        durable=False,
        cancel=CancelToken(),
        progress=no_progress,
    )
    return Decrypted(work / "practice.ehrdb", opened.manifest, key)


def test_a_sound_backup_passes_every_check(decrypted: Decrypted) -> None:
    name, events = decrypted.check()
    assert name == "Riverside Counselling"
    assert events == decrypted.manifest.audit_anchor.seq


def flip(path: Path, offset: int) -> None:
    with path.open("r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0x55]))


def test_a_damaged_free_page_is_found_by_cipher_integrity_check_alone(
    decrypted: Decrypted,
) -> None:
    size = decrypted.path.stat().st_size
    flip(decrypted.path, size - 4096 + 1000)  # inside the last page: a free one
    assert decrypted.pragma("integrity_check") == ["ok"]  # no b-tree uses that page
    assert decrypted.pragma("cipher_integrity_check") != []
    with pytest.raises(BackupDamaged):
        decrypted.check()


def test_an_index_that_disagrees_with_its_table_is_found_by_integrity_check_alone(
    decrypted: Decrypted,
) -> None:
    """Every page authentic (SQLCipher wrote them), every count right, but an index
    that no longer describes its table."""
    db = Database.open(decrypted.path, decrypted.key)
    try:
        db.conn.execute("PRAGMA writable_schema = ON")
        db.conn.execute(
            "UPDATE sqlite_master SET sql = 'CREATE INDEX audit_event_at ON audit_event (action)' "
            "WHERE name = 'audit_event_at'"
        )
        db.conn.execute("PRAGMA writable_schema = OFF")
    finally:
        db.close()
    assert decrypted.pragma("cipher_integrity_check") == []
    assert decrypted.pragma("integrity_check") != ["ok"]
    with pytest.raises(BackupDamaged):
        decrypted.check()


def test_counts_that_disagree_with_the_manifest_are_found(decrypted: Decrypted) -> None:
    counts = {**decrypted.manifest.row_counts, "test_note": 149}
    with pytest.raises(BackupDamaged):
        decrypted.check(dataclasses.replace(decrypted.manifest, row_counts=counts))


def test_an_edited_audit_event_is_found_by_the_chain(decrypted: Decrypted) -> None:
    db = Database.open(decrypted.path, decrypted.key)
    try:
        db.conn.execute("DROP TRIGGER audit_event_never_updated")
        db.conn.execute("UPDATE audit_event SET object_id = '999' WHERE seq = 3")
    finally:
        db.close()
    assert decrypted.pragma("cipher_integrity_check") == []
    assert decrypted.pragma("integrity_check") == ["ok"]
    with pytest.raises(BackupDamaged):
        decrypted.check()


# The first problem stops the others ------------------------------------------------------


def test_a_problem_found_here_stops_the_checks_on_the_other_threads(
    decrypted: Decrypted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other threads' checks would never end on their own."""
    monkeypatch.setattr(backup_verify, "_THREAD_CHECKS", ((ENDLESS, ["0"], None),) * 2)
    counts = {**decrypted.manifest.row_counts, "test_note": 149}
    started = time.monotonic()
    with pytest.raises(BackupDamaged):
        decrypted.check(dataclasses.replace(decrypted.manifest, row_counts=counts))
    assert time.monotonic() - started < 30


def test_a_problem_found_on_another_thread_stops_the_checks_here(
    decrypted: Decrypted, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backup_verify, "_THREAD_CHECKS", (("SELECT 'a problem'", ["ok"], None),))

    def endless(conn: Any, *args: Any) -> tuple[str, int]:
        conn.execute(ENDLESS).fetchone()  # only an interruption ends it
        raise AssertionError("never reached")

    monkeypatch.setattr(backup_verify, "_compare_with_manifest", endless)
    started = time.monotonic()
    with pytest.raises(BackupDamaged):
        decrypted.check()
    assert time.monotonic() - started < 30


def test_a_cancel_stops_every_check(decrypted: Decrypted, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backup_verify, "_THREAD_CHECKS", ((ENDLESS, ["0"], None),) * 2)

    def endless(conn: Any, *args: Any) -> tuple[str, int]:
        conn.execute(ENDLESS).fetchone()
        raise AssertionError("never reached")

    monkeypatch.setattr(backup_verify, "_compare_with_manifest", endless)
    cancel = CancelToken()

    def progress(done: int, total: int, label: str) -> None:
        cancel.cancel()  # as soon as the checks start

    with pytest.raises(UserCancelled):
        decrypted.check(cancel=cancel, progress=progress)


def test_the_checks_really_run_at_once(
    decrypted: Decrypted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each thread's check waits until every other check has started; run one after
    another they would wait forever (and time out)."""
    arrived: list[str] = []
    everyone = 3  # two threads and this one

    def rendezvous(name: str) -> str:
        arrived.append(name)
        deadline = time.monotonic() + 20
        while len(arrived) < everyone:
            if time.monotonic() > deadline:
                return "alone"
            time.sleep(0.01)
        return "together"

    monkeypatch.setattr(
        backup_verify,
        "_THREAD_CHECKS",
        (
            ("SELECT rendezvous('a')", ["together"], None),
            ("SELECT rendezvous('b')", ["together"], None),
        ),
    )
    real_open = backup_verify._Checks.open

    def open_with_rendezvous(self: Any) -> Database:
        db = real_open(self)
        db.conn.create_function("rendezvous", 1, rendezvous)
        return db

    monkeypatch.setattr(backup_verify._Checks, "open", open_with_rendezvous)
    real_compare = backup_verify._compare_with_manifest

    def compare(conn: Any, *args: Any) -> tuple[str, int]:
        assert conn.execute("SELECT rendezvous('here')").fetchone()[0] == "together"
        return real_compare(conn, *args)

    monkeypatch.setattr(backup_verify, "_compare_with_manifest", compare)
    decrypted.check()
    assert sorted(arrived) == ["a", "b", "here"]


def test_a_database_that_does_not_open_is_damage(decrypted: Decrypted) -> None:
    with decrypted.path.open("r+b") as f:
        f.write(os.urandom(4096))  # page 1, salt and all
    with pytest.raises(BackupDamaged):
        decrypted.check()
