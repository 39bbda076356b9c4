"""No name, password, secret or record is readable in any file that taking, verifying,
drilling or restoring a backup writes: the drive, the data folders, and the system's
temporary folder (TMPDIR is pointed at a folder of the test's own, then searched).

The search runs after every step and also in the middle of the long work, each time
it moves to a new phase, so temporary files are searched while they exist.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from ehrdesk.security.workstation import MemoryKeyring
from ehrdesk.services.registry import Services
from tests.security import test_no_plaintext as plain
from tests.security.test_no_plaintext import (
    MARKERS,
    OWNER,
    OWNER_PASSWORD,
    MarkedPractice,
    files_under,
)
from tests.services.backup_support import CLIENT_MARKER, NOTE_MARKER, add_clinical_tables

pytestmark = pytest.mark.usefixtures("no_threads_left")

# The marked practice of the vault's own marker test, shared.
marked = plain.marked
owner_only_umask = plain.owner_only_umask


class Watch:
    """The folders to search, and a progress callback that searches at each phase."""

    def __init__(self, practice: MarkedPractice, folders: list[Path]) -> None:
        self.marked = practice
        self.folders = folders
        self.phases: list[str] = []

    def check(self, when: str) -> None:
        found = [
            f"{folder}: {hit}"
            for folder in self.folders
            for hit in self.marked.needles.scan(folder)
        ]
        assert found == [], f"{when}: found in plain sight: {found[:10]}"
        names = [str(p) for folder in self.folders for p in folder.rglob("*")]
        for marker in (*MARKERS, CLIENT_MARKER, NOTE_MARKER):
            assert not [n for n in names if marker.casefold() in n.casefold()], when

    @property
    def progress(self) -> Callable[[int, int, str], None]:
        """A fresh callback for one piece of work: it searches once in each of its
        phases (each search reads every file, so not at every report)."""
        seen: list[str] = []

        def progress(done: int, total: int, label: str) -> None:
            if label not in seen:
                seen.append(label)
                self.phases.append(label)
                self.check(f"during: {label}")

        return progress


@pytest.fixture
def temp_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system's temporary folder, for this test only (Python's and SQLite's)."""
    folder = tmp_path / "tmpdir"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setenv("SQLITE_TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_backup_verify_drill_and_restore_write_nothing_readable(
    marked: MarkedPractice, tmp_path: Path, temp_folder: Path
) -> None:
    services = marked.services
    services.auth.sign_in(OWNER, OWNER_PASSWORD, marked.code(OWNER))
    for marker in (CLIENT_MARKER, NOTE_MARKER):
        marked.needles.add_text("record marker", marker)
    add_clinical_tables(services, clients=120)
    # The records really are there to be found (so the search below can fail).
    rows = services.session.database.conn.execute("SELECT name FROM test_client LIMIT 1")
    assert CLIENT_MARKER in rows.fetchone()[0]

    drive = tmp_path / "usb"
    drive.mkdir()
    elsewhere = tmp_path / "new-machine"
    watch = Watch(marked, [marked.data_dir, drive, temp_folder, tmp_path / "new-machine"])
    elsewhere.mkdir()

    def step(name: str, work: Callable[[], object]) -> None:
        work()
        watch.check(f"after {name}")

    result = services.backups.backup_job(drive).run(progress=watch.progress)
    watch.check("after the backup")
    assert any(p.startswith("Encrypting") for p in watch.phases)
    assert any(p.startswith("Decrypting") for p in watch.phases)  # the read-back

    step("verify", lambda: services.backups.verify_job(result.path).run(progress=watch.progress))
    step(
        "verify with the recovery key",
        lambda: services.restorer.verify(result.path, marked.recovery_key, progress=watch.progress),
    )
    step(
        "restore drill",
        lambda: services.backups.restore_drill_job(result.path).run(progress=watch.progress),
    )
    machine = Services.build(elsewhere / "practice", keyring=MemoryKeyring(), clock=marked.clock)
    step(
        "restore on a new machine",
        lambda: machine.restorer.restore(result.path, marked.recovery_key, progress=watch.progress),
    )
    prepared = services.backups.restore_over_job(result.path).run(progress=watch.progress)
    watch.check("restore over, prepared")
    services.backups.finish_restore_over(prepared)
    watch.check("restore over, in place")
    services.auth.sign_in(OWNER, OWNER_PASSWORD, marked.code(OWNER))
    services.session.sign_out()
    marked.check("after all of it")  # and everything in the data folder is owner-only

    assert files_under(drive) and files_under(elsewhere)  # the search had work to do
    assert {p.name for p in files_under(temp_folder)} == set()  # and nothing lingers
