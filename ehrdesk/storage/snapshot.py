"""Consistent, encrypted copies of a SQLCipher database: the heart of a backup.

`take_snapshot` copies the live database into a new SQLCipher file under another key
with `sqlcipher_export`, on a connection of its own, inside one read transaction: in
WAL mode that transaction sees one moment of the database however much another
connection writes meanwhile, and the row counts and audit anchor it returns are read
in the same transaction, so they describe exactly what was copied. `copy_rekeyed` is
the same copy the other way, for restore (snapshot key → database key).

Invariants: the copy is encrypted from its first page (no plaintext database is ever
written anywhere, and `temp_store=MEMORY` keeps SQLite's temporary tables off disk);
the copy's file is created owner-only before SQLCipher opens it; on any failure or
cancel the half-made copy is deleted before the error is raised.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

import sqlcipher3

from ehrdesk.core.errors import UserCancelled, VaultDamaged
from ehrdesk.core.progress import CancelToken, Progress, no_progress
from ehrdesk.storage.atomic import fsync_file
from ehrdesk.storage.database import Connection, Database
from ehrdesk.storage.vault_file import AuditAnchor

_COPY = "ehrdesk_copy"  # the schema name of the attached copy
#: How many SQLite virtual-machine steps between two looks at the cancel token
#: (a few hundred rows' worth); progress is reported at most every `_REPORT_SECONDS`.
_PROGRESS_STEPS = 1_000
_REPORT_SECONDS = 0.1


@dataclass(frozen=True)
class SnapshotFacts:
    """What a snapshot holds, read in the same transaction that copied it."""

    schema_version: int
    row_counts: dict[str, int]
    audit_anchor: AuditAnchor | None
    size: int


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def table_names(conn: Connection, schema: str = "main") -> list[str]:
    """Every table of the schema, SQLite's own excepted, in a stable order. New tables
    (clients, appointments, notes …) are included without anyone listing them."""
    rows = conn.execute(
        f"SELECT name FROM {_quote(schema)}.sqlite_master "  # noqa: S608 - a fixed schema name
        "WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
    )
    return [str(r[0]) for r in rows]


def row_counts(conn: Connection, schema: str = "main") -> dict[str, int]:
    """The number of rows in every table."""
    counts = {}
    for name in table_names(conn, schema):
        query = f"SELECT count(*) FROM {_quote(schema)}.{_quote(name)}"  # noqa: S608 - quoted names
        counts[name] = int(conn.execute(query).fetchone()[0])
    return counts


def newest_audit_anchor(conn: Connection, schema: str = "main") -> AuditAnchor | None:
    row = conn.execute(
        f"SELECT seq, mac FROM {_quote(schema)}.audit_event ORDER BY seq DESC LIMIT 1"  # noqa: S608
    ).fetchone()
    return None if row is None else AuditAnchor(int(row[0]), bytes(row[1]))


def _key_literal(key: bytes) -> str:
    if len(key) != 32:
        raise ValueError("a database key is 32 bytes")
    return f"x'{key.hex()}'"


def _create_owner_only(path: Path) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _remove(path: Path) -> None:
    for leftover in (path, Path(f"{path}-journal"), Path(f"{path}-wal"), Path(f"{path}-shm")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        fsync_file(fd)
    finally:
        os.close(fd)


class _Watcher:
    """SQLite's progress handler: the cancel token, and a rough fraction done from how
    large the copy has grown against the source (SQLite cannot say how far it is)."""

    def __init__(
        self, copy: Path, expected: int, cancel: CancelToken, progress: Progress, label: str
    ) -> None:
        self._copy = copy
        self._expected = max(expected, 1)
        self._cancel = cancel
        self._progress = progress
        self._label = label
        self._next_report = 0.0

    def __call__(self) -> int:
        if self._cancel.cancelled:
            return 1  # SQLite stops the statement with "interrupted"
        now = time.monotonic()
        if now < self._next_report:
            return 0
        self._next_report = now + _REPORT_SECONDS
        try:
            size = self._copy.stat().st_size
        except OSError:
            size = 0
        self._progress(min(size, self._expected - 1), self._expected, self._label)
        return 0


def _export(
    conn: Connection,
    target: Path,
    target_key: bytes,
    *,
    expected_size: int,
    cancel: CancelToken,
    progress: Progress,
    label: str,
    wal: bool,
) -> SnapshotFacts:
    """Copy `main` of `conn` into a new file at `target`; returns what was copied."""
    cancel.raise_if_cancelled()
    _create_owner_only(target)
    watcher = _Watcher(target, expected_size, cancel, progress, label)
    try:
        # Rows are copied table by table in an order SQLite chooses; the copy's own
        # foreign keys are checked by integrity checks later, not mid-copy.
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute(f"ATTACH DATABASE ? AS {_COPY} KEY ?", (str(target), _key_literal(target_key)))
        # A failed copy is deleted whole, so it needs no journal of its own; it is
        # fsynced once at the end instead of at every page.
        conn.execute(f"PRAGMA {_COPY}.journal_mode = OFF")
        conn.execute(f"PRAGMA {_COPY}.synchronous = OFF")
        conn.set_progress_handler(watcher, _PROGRESS_STEPS)
        conn.execute("BEGIN")
        try:
            version = int(conn.execute("PRAGMA main.user_version").fetchone()[0])
            counts = row_counts(conn)
            anchor = newest_audit_anchor(conn)
            conn.execute(f"SELECT sqlcipher_export('{_COPY}')")
            conn.execute(f"PRAGMA {_COPY}.user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.set_progress_handler(None, 0)
        conn.execute(f"DETACH DATABASE {_COPY}")
        if wal:
            _set_wal(target, target_key)
        _fsync_path(target)
    except sqlcipher3.OperationalError as error:
        _remove(target)
        if cancel.cancelled or "interrupt" in str(error).lower():
            raise UserCancelled from None  # the token, or Ctrl+C inside the handler
        raise _storage_error(error) from None
    except BaseException:
        _remove(target)
        raise
    size = target.stat().st_size
    progress(size, size, label)
    return SnapshotFacts(version, counts, anchor, size)


def _storage_error(error: sqlcipher3.OperationalError) -> Exception:
    """A full or failing disk is the person's to fix; anything else is damage."""
    text = str(error).lower()
    if "full" in text or "disk i/o" in text:
        return OSError(f"the copy could not be written ({text})")
    return VaultDamaged()


def _set_wal(path: Path, key: bytes) -> None:
    """The live database runs in WAL mode; a restored one must too."""
    db = Database.open(path, key)
    try:
        db.conn.execute("PRAGMA journal_mode = WAL")
        db.checkpoint()
    finally:
        db.close()


def take_snapshot(
    source: Path,
    source_key: bytes,
    target: Path,
    target_key: bytes,
    *,
    cancel: CancelToken | None = None,
    progress: Progress = no_progress,
) -> SnapshotFacts:
    """A consistent copy of the database at `source` into a new file `target` under
    `target_key`, on a connection opened here (so any thread may call this)."""
    db = Database.open(source, source_key)
    try:
        expected = _page_bytes(db.conn)
        return _export(
            db.conn,
            target,
            target_key,
            expected_size=expected,
            cancel=cancel or CancelToken(),
            progress=progress,
            label="Taking a snapshot of the practice's records",
            wal=False,
        )
    finally:
        db.close()


def copy_rekeyed(
    source: Path,
    source_key: bytes,
    target: Path,
    target_key: bytes,
    *,
    cancel: CancelToken | None = None,
    progress: Progress = no_progress,
) -> SnapshotFacts:
    """Restore's copy: a snapshot into a new database under the practice's own key,
    in WAL mode like every live database."""
    db = Database.open(source, source_key)
    try:
        return _export(
            db.conn,
            target,
            target_key,
            expected_size=_page_bytes(db.conn),
            cancel=cancel or CancelToken(),
            progress=progress,
            label="Writing the restored records",
            wal=True,
        )
    finally:
        db.close()


def _page_bytes(conn: Connection) -> int:
    pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
    size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    return pages * size
