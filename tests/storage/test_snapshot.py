"""Snapshots: one moment of a live database, as its file's bytes, while others write.

The pinned path (the write lock for a moment, then a pinned read) and the exported one
(when pinning is not possible) must both give a database that opens under the live key,
holds exactly the rows its counts say, passes every integrity check, and leaves no lock,
thread, descriptor or file behind, however the block ends.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3

from ehrdesk.core.errors import UserCancelled, VaultDamaged
from ehrdesk.core.progress import CancelToken
from ehrdesk.storage import snapshot as snapshot_module
from ehrdesk.storage.database import Database
from ehrdesk.storage.migrations import runner
from ehrdesk.storage.snapshot import (
    Snapshot,
    copy_rekeyed,
    frozen_snapshot,
    row_counts,
    table_names,
)

pytestmark = pytest.mark.usefixtures("no_threads_left")

LIVE_KEY = os.urandom(32)
OTHER_KEY = os.urandom(32)
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


@pytest.fixture
def work(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def rows(db: Database, table: str) -> list[tuple[object, ...]]:
    quoted = '"' + table.replace('"', '""') + '"'
    width = len(db.conn.execute(f"PRAGMA table_info({quoted})").fetchall())
    order = ", ".join(str(i) for i in range(1, width + 1))  # WITHOUT ROWID tables too
    return db.conn.execute(f"SELECT * FROM {quoted} ORDER BY {order}").fetchall()


def save(snap: Snapshot, target: Path, *, halfway: Callable[[], None] | None = None) -> bytes:
    """The snapshot's bytes, written to `target` (as a backup would stream them);
    `halfway` runs when half of them have been read."""
    with snap.open() as source:
        pieces = [source.read(snap.size // 2)]
        if halfway is not None:
            halfway()
        while piece := source.read(1 << 16):
            pieces.append(piece)
    data = b"".join(pieces)
    assert len(data) == snap.size
    target.write_bytes(data)
    return data


def sound(path: Path, key: bytes) -> dict[str, int]:
    """Open the copy, check it in full, and count its rows."""
    db = Database.open(path, key)
    try:
        assert db.integrity_problems() == []
        return row_counts(db.conn)
    finally:
        db.close()


def nothing_holds(path: Path) -> None:
    """No lock, pin or thread left: a writer gets in at once and a full
    checkpoint completes (no reader keeps an older moment)."""
    assert not [t for t in threading.enumerate() if t.name == "ehrdesk-row-count"]
    conn = sqlcipher3.connect(str(path), isolation_level=None, timeout=0)
    try:
        conn.execute(f"PRAGMA key = \"x'{LIVE_KEY.hex()}'\"")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("COMMIT")
        busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert (busy, frames, copied) == (0, 0, 0)
    finally:
        conn.close()


def test_the_copy_is_the_live_database_under_its_own_key(
    live: Database, tmp_path: Path, work: Path
) -> None:
    target = tmp_path / "copy.ehrdb"
    with frozen_snapshot(live.path, LIVE_KEY, work, cancel=CancelToken()) as snap:
        assert type(snap).__name__ == "_PinnedSnapshot"  # the fast way, here
        data = save(snap, target)
        counts = snap.row_counts(CancelToken())
        assert snap.schema_version == runner.LATEST_VERSION
        assert snap.audit_anchor is None  # this database has no audit events
    assert counts == row_counts(live.conn)
    assert counts["stand_in_client"] == 3000 and 'odd "name' in counts
    assert sound(target, LIVE_KEY) == counts
    copy = Database.open(target, LIVE_KEY)
    try:
        assert copy.user_version() == runner.LATEST_VERSION
        assert copy.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert table_names(copy.conn) == table_names(live.conn)
        for table in table_names(live.conn):
            assert rows(copy, table) == rows(live, table), table
    finally:
        copy.close()
    # Encrypted from its first page: not SQLite, no marker, and no other key opens it.
    assert not data.startswith(b"SQLite format 3")
    assert MARKER.encode() not in data
    with pytest.raises(VaultDamaged):
        Database.open(target, OTHER_KEY)
    assert list(work.iterdir()) == []  # nothing was written to make it
    nothing_holds(live.path)


def test_the_copy_is_one_moment_while_another_connection_writes_in_a_loop(
    live: Database, tmp_path: Path, work: Path
) -> None:
    """Another connection commits as fast as it can, each transaction adding five rows
    and rewriting three old ones anywhere in the file, and checkpoints the WAL into the
    database file after every commit; half-way through the copy, it is let commit dozens
    of times more before the copy goes on."""
    stop = threading.Event()
    committed: list[int] = []  # rows inserted, after each transaction

    def writer() -> None:
        db = Database.open(live.path, LIVE_KEY)
        try:
            db.conn.execute(
                "CREATE TABLE IF NOT EXISTS busy (n INTEGER PRIMARY KEY, touched INTEGER, pad BLOB)"
            )
            n = 0
            while not stop.is_set():
                with db.transaction() as conn:
                    transaction = n // 5 + 1
                    for _ in range(5):
                        n += 1
                        conn.execute(
                            "INSERT INTO busy VALUES (?, ?, randomblob(3000))", (n, transaction)
                        )
                    conn.execute(
                        "UPDATE busy SET touched = ?, pad = randomblob(3000) "
                        "WHERE n IN (SELECT abs(random()) % ? + 1 FROM busy LIMIT 3)",
                        (transaction, n),
                    )
                db.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                committed.append(n)
        finally:
            db.close()

    def wait_for(count: int) -> None:
        deadline = time.monotonic() + 60
        while len(committed) < count:
            assert time.monotonic() < deadline and thread.is_alive()
            time.sleep(0.005)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        wait_for(20)  # the table exists and the WAL is busy
        target = tmp_path / "copy.ehrdb"
        with frozen_snapshot(live.path, LIVE_KEY, work, cancel=CancelToken()) as snap:
            assert type(snap).__name__ == "_PinnedSnapshot"
            at_pin = len(committed)
            save(snap, target, halfway=lambda: wait_for(at_pin + 40))
            counts = snap.row_counts(CancelToken())
    finally:
        stop.set()
        thread.join()
    copied = sound(target, LIVE_KEY)  # every page and every b-tree sound
    assert copied == counts
    copy = Database.open(target, LIVE_KEY)
    try:
        numbers = [r[0] for r in copy.conn.execute("SELECT n FROM busy ORDER BY n")]
        newest = copy.conn.execute("SELECT max(touched) FROM busy").fetchone()[0]
    finally:
        copy.close()
    # Exactly the first K transactions, whole: their rows, and no row that a later
    # transaction rewrote (whose page a checkpoint would have copied into the file).
    transactions = len(numbers) // 5
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) % 5 == 0
    assert newest == transactions
    assert len(numbers) <= committed[at_pin] < committed[-1] - 150  # none from later
    nothing_holds(live.path)


def test_the_app_can_write_while_the_snapshot_is_held(
    live: Database, tmp_path: Path, work: Path
) -> None:
    before = row_counts(live.conn)
    with frozen_snapshot(live.path, LIVE_KEY, work, cancel=CancelToken()) as snap:
        other = sqlcipher3.connect(str(live.path), isolation_level=None, timeout=0)
        other.execute(f"PRAGMA key = \"x'{LIVE_KEY.hex()}'\"")
        other.execute("BEGIN IMMEDIATE")  # no lock is held: no waiting at all
        other.execute("INSERT INTO stand_in_client (name) VALUES ('after the moment')")
        other.execute("COMMIT")
        other.close()
        save(snap, tmp_path / "copy.ehrdb")
        assert snap.row_counts(CancelToken()) == before
    assert sound(tmp_path / "copy.ehrdb", LIVE_KEY) == before
    assert row_counts(live.conn)["stand_in_client"] == before["stand_in_client"] + 1


@pytest.mark.parametrize("how", ["cancel", "error", "cancel while counting"])
def test_the_snapshot_lets_everything_go_however_the_block_ends(
    live: Database, work: Path, how: str
) -> None:
    cancel = CancelToken()
    with pytest.raises((UserCancelled, RuntimeError)):  # noqa: SIM117
        with frozen_snapshot(live.path, LIVE_KEY, work, cancel=cancel) as snap:
            source = snap.open()
            source.read(4096)  # part-way through the file
            if how == "error":
                raise RuntimeError("injected")
            cancel.cancel()
            if how == "cancel while counting":
                snap.row_counts(cancel)
            cancel.raise_if_cancelled()
    nothing_holds(live.path)
    assert list(work.iterdir()) == []


def test_a_cancel_before_the_copy_leaves_nothing(live: Database, work: Path) -> None:
    cancel = CancelToken()

    def progress(done: int, total: int, label: str) -> None:
        assert done < total and label.startswith("Taking a snapshot")
        cancel.cancel()

    with pytest.raises(UserCancelled):  # noqa: SIM117
        with frozen_snapshot(live.path, LIVE_KEY, work, cancel=cancel, progress=progress):
            pytest.fail("the block never runs")
    nothing_holds(live.path)


# When pinning is not possible: the exported copy ----------------------------------------


@pytest.fixture
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot_module, "_PIN_WAIT_SECONDS", 0.001)


def exported_is_sound(live: Database, work: Path, tmp_path: Path, **kwargs: Any) -> None:
    target = tmp_path / "copy.ehrdb"
    with frozen_snapshot(live.path, LIVE_KEY, work, cancel=CancelToken(), **kwargs) as snap:
        assert type(snap).__name__ == "_ExportedSnapshot"
        assert [p.name for p in work.iterdir()] == ["snapshot.ehrdb"]
        save(snap, target)
        counts = snap.row_counts(CancelToken())
    assert counts == row_counts(live.conn)
    assert sound(target, LIVE_KEY) == counts
    assert list(work.iterdir()) == []  # the export is removed with the block


def test_a_reader_keeping_an_older_moment_makes_it_export(
    live: Database, tmp_path: Path, work: Path, no_waiting: None
) -> None:
    old_reader = sqlcipher3.connect(str(live.path), isolation_level=None)
    old_reader.execute(f"PRAGMA key = \"x'{LIVE_KEY.hex()}'\"")
    old_reader.execute("BEGIN")
    old_reader.execute("SELECT count(*) FROM stand_in_client").fetchone()
    with live.transaction() as conn:  # a frame the old reader's moment does not include
        conn.execute("INSERT INTO stand_in_client (name) VALUES ('newer')")
    try:
        exported_is_sound(live, work, tmp_path)
    finally:
        old_reader.close()
    nothing_holds(live.path)


def test_a_reader_that_finishes_soon_is_waited_for(
    live: Database, tmp_path: Path, work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_reader = sqlcipher3.connect(str(live.path), isolation_level=None)
    old_reader.execute(f"PRAGMA key = \"x'{LIVE_KEY.hex()}'\"")
    old_reader.execute("BEGIN")
    old_reader.execute("SELECT count(*) FROM stand_in_client").fetchone()
    with live.transaction() as conn:
        conn.execute("INSERT INTO stand_in_client (name) VALUES ('newer')")
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # the old reader finishes while ehrdesk waits
        waits.append(seconds)
        old_reader.execute("COMMIT")

    monkeypatch.setattr(snapshot_module.time, "sleep", sleep)
    with frozen_snapshot(live.path, LIVE_KEY, work, cancel=CancelToken()) as snap:
        assert type(snap).__name__ == "_PinnedSnapshot"
        save(snap, tmp_path / "copy.ehrdb")
        assert snap.row_counts(CancelToken()) == row_counts(live.conn)
    old_reader.close()
    assert len(waits) == 1
    assert sound(tmp_path / "copy.ehrdb", LIVE_KEY)["stand_in_client"] == 3001


def test_where_files_cannot_be_read_at_offsets_it_exports(
    live: Database, tmp_path: Path, work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot_module, "_can_read_files", lambda: False)
    exported_is_sound(live, work, tmp_path)


def test_a_database_not_in_wal_mode_is_exported(
    tmp_path: Path, work: Path, no_waiting: None
) -> None:
    db = Database.open(tmp_path / "rollback.ehrdb", LIVE_KEY, create=True)
    try:
        db.conn.execute("PRAGMA journal_mode = DELETE")
        runner.migrate(db)
        exported_is_sound(db, work, tmp_path)
    finally:
        db.close()


def test_an_existing_file_in_the_work_folder_is_never_overwritten(
    live: Database, work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot_module, "_can_read_files", lambda: False)
    (work / "snapshot.ehrdb").write_bytes(b"someone else's file")
    with pytest.raises(FileExistsError):  # noqa: SIM117
        with frozen_snapshot(live.path, LIVE_KEY, work, cancel=CancelToken()):
            pytest.fail("the block never runs")
    assert (work / "snapshot.ehrdb").read_bytes() == b"someone else's file"


def test_cancel_while_exporting_leaves_no_copy(
    live: Database, work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot_module, "_can_read_files", lambda: False)
    cancel = CancelToken()

    def progress(done: int, total: int, label: str) -> None:
        cancel.cancel()

    with pytest.raises(UserCancelled):  # noqa: SIM117
        with frozen_snapshot(live.path, LIVE_KEY, work, cancel=cancel, progress=progress):
            pytest.fail("the block never runs")
    assert list(work.iterdir()) == []
    nothing_holds(live.path)


def test_copy_rekeyed_makes_a_wal_database_under_the_new_key(
    live: Database, tmp_path: Path
) -> None:
    """What restoring a container-version-1 backup (a snapshot under a key of its own)
    still needs."""
    other = tmp_path / "other.ehrdb"
    copy_rekeyed(live.path, LIVE_KEY, other, OTHER_KEY)
    restored = tmp_path / "restored.ehrdb"
    copy_rekeyed(other, OTHER_KEY, restored, LIVE_KEY)
    db = Database.open(restored, LIVE_KEY)
    try:
        assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert row_counts(db.conn) == row_counts(live.conn)
        assert db.user_version() == runner.LATEST_VERSION
        assert db.integrity_problems() == []
    finally:
        db.close()
    assert os.stat(restored).st_mode & 0o077 == 0
