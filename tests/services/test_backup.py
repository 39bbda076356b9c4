"""Taking and checking backups as the owner: what lands on the drive, what is recorded
and audited, and what a failure or a cancel at any point leaves behind (nothing under a
backup's name, no earlier backup touched, no work folder left).

Real SQLCipher files in tmp_path throughout; nothing in storage is mocked.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ehrdesk.core.errors import (
    BackupDamaged,
    BackupOfAnotherPractice,
    BackupTargetUnavailable,
    BackupTooNew,
    NotFound,
    UserCancelled,
)
from ehrdesk.core.progress import CancelToken
from ehrdesk.security import totp
from ehrdesk.security.workstation import MemoryKeyring
from ehrdesk.services import backup_jobs
from ehrdesk.services.registry import Services
from ehrdesk.storage import backup_file
from ehrdesk.storage.backup_records import BackupSettings, BackupState
from ehrdesk.storage.migrations import runner
from tests.conftest import OWNER_PASSWORD, Practice
from tests.services.backup_support import add_clinical_tables, database_key, dump

pytestmark = pytest.mark.usefixtures("no_threads_left")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    folder = tmp_path / "usb"
    folder.mkdir()
    return folder


@pytest.fixture
def owner(practice: Practice) -> Services:
    practice.sign_in("owner")
    add_clinical_tables(practice.services)
    return practice.services


def backup(services: Services, drive: Path, **kwargs: Any) -> backup_jobs.BackupResult:
    return services.backups.backup_job(drive).run(**kwargs)


def on_drive(drive: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(drive.iterdir())}


def work_folders(services: Services) -> list[str]:
    return sorted(p.name for p in services.data_dir.iterdir() if p.name.startswith("."))


def actions(services: Services) -> list[tuple[str, str | None, str | None]]:
    return [(e.action, e.object_id, e.reason) for e in services.audit.events(limit=10_000)]


# Taking a backup ---------------------------------------------------------------------------


def test_a_backup_is_written_verified_recorded_and_audited(
    owner: Services, drive: Path, practice: Practice
) -> None:
    result = backup(owner, drive)

    assert list(on_drive(drive)) == [result.path.name]
    assert result.path.name.startswith(f"ehrdesk-{practice.created.vault_id[:8]}-20260302T")
    assert result.record.state is BackupState.VERIFIED
    assert result.record.folder == str(drive)
    assert owner.backups.recent_backups() == [result.record]
    assert owner.backups.newest_verified_backup() == result.record
    assert owner.backups.settings().last_folder == str(drive)
    assert actions(owner)[-1] == ("backup_created", result.path.name, None)
    assert owner.audit.verify_chain().ok
    assert work_folders(owner) == []  # the snapshot and the read-back are gone


def test_the_backup_holds_the_practice_as_it_was(
    owner: Services, drive: Path, practice: Practice
) -> None:
    key = database_key(owner, practice.created.recovery_key)
    before = dump(owner.vaults.store.database_path, key)
    result = backup(owner, drive)
    verified = owner.backups.verify_job(result.path).run()
    manifest = verified.backup.manifest
    assert manifest.row_counts == {table: len(rows) for table, rows in before.items()}
    assert manifest.row_counts["test_note"] == 400
    assert manifest.schema_version == runner.LATEST_VERSION
    assert manifest.vault_id == practice.created.vault_id
    assert manifest.audit_anchor.seq == before["audit_event"][-1][0]
    assert verified.backup.practice_name == "Riverside Counselling"
    assert manifest.vault["slots"] == json.loads(owner.vaults.store.vault_path.read_text())["slots"]
    assert manifest.vault["throttle"] == {} and manifest.vault["pending_failures"] == []


def test_a_backup_is_one_moment_while_the_app_keeps_writing(
    owner: Services, drive: Path, practice: Practice
) -> None:
    """The app's own connection commits in the middle of the snapshot; the backup still
    verifies in full, and holds the practice as it was when the snapshot began."""
    key = database_key(owner, practice.created.recovery_key)
    before = dump(owner.vaults.store.database_path, key)
    written: list[str] = []

    def progress(done: int, total: int, label: str) -> None:
        if label.startswith("Taking a snapshot") and done < total and not written:
            with owner.session.transaction() as tx:
                tx.audit("client_viewed", object_type="client", object_id="7")
                tx.conn.execute("INSERT INTO test_client (name) VALUES ('during the backup')")
            written.append(label)

    result = backup(owner, drive, progress=progress)

    assert written
    counts = owner.backups.verify_job(result.path).run().backup.manifest.row_counts
    assert counts == {table: len(rows) for table, rows in before.items()}
    assert owner.audit.verify_chain().ok


def test_keep_only_the_newest_n_on_the_drive(
    owner: Services, drive: Path, practice: Practice
) -> None:
    owner.backups.set_settings(BackupSettings(keep=3))
    names = []
    for _ in range(5):
        practice.clock.advance(3600)
        names.append(backup(owner, drive).path.name)
    assert sorted(on_drive(drive)) == sorted(names[-3:])
    assert [r.file_name for r in owner.backups.recent_backups()] == names[::-1][:3]


def test_a_missing_folder_is_refused_plainly(owner: Services, tmp_path: Path) -> None:
    with pytest.raises(BackupTargetUnavailable) as refused:
        backup(owner, tmp_path / "not-plugged-in")
    assert "drive is connected" in refused.value.message


# Verifying ---------------------------------------------------------------------------------


def test_verify_changes_nothing_but_the_record(owner: Services, drive: Path) -> None:
    result = backup(owner, drive)
    files = on_drive(drive)
    data_before = {p.name for p in owner.data_dir.iterdir()}

    verified = owner.backups.verify_job(result.path).run()

    assert on_drive(drive) == files
    assert {p.name for p in owner.data_dir.iterdir()} == data_before
    assert verified.backup.file_sha256 == result.record.sha256
    assert actions(owner)[-1] == ("backup_verified", result.path.name, "ok")


def test_verify_finds_damage_and_a_missing_file_and_records_both(
    owner: Services, drive: Path
) -> None:
    result = backup(owner, drive)
    data = bytearray(result.path.read_bytes())
    data[len(data) // 2] ^= 0x40
    result.path.write_bytes(bytes(data))
    with pytest.raises(BackupDamaged):
        owner.backups.verify_job(result.path).run()
    assert owner.backups.recent_backups()[0].state is BackupState.DAMAGED
    assert owner.backups.newest_verified_backup() is None
    assert actions(owner)[-1] == ("backup_verified", result.path.name, "damaged")

    result.path.unlink()
    with pytest.raises(NotFound):
        owner.backups.verify_job(result.path).run()
    assert owner.backups.recent_backups()[0].state is BackupState.MISSING


def test_a_backup_of_another_practice_is_named_as_such(
    owner: Services, drive: Path, tmp_path: Path, clock: Any
) -> None:
    other = Services.build(tmp_path / "other", keyring=MemoryKeyring(), clock=clock)
    created = other.vaults.create(
        practice_name="Hillside Therapy",
        owner_username="hilda",
        owner_full_name="Hilda Hill",
        owner_password=OWNER_PASSWORD,
    )
    clock.advance(30)
    other.auth.sign_in(
        "hilda", OWNER_PASSWORD, totp.current_code(created.owner.totp_secret, clock.now())
    )
    theirs = other.backups.backup_job(drive).run()
    other.session.sign_out()

    with pytest.raises(BackupOfAnotherPractice) as refused:
        owner.backups.verify_job(theirs.path).run()
    assert "another practice" in refused.value.message
    with pytest.raises(BackupOfAnotherPractice):
        owner.backups.restore_drill_job(theirs.path).run()
    with pytest.raises(BackupOfAnotherPractice):
        owner.backups.restore_over_job(theirs.path).run()
    assert work_folders(owner) == []


def test_a_backup_from_a_newer_ehrdesk_is_named_as_such(
    owner: Services, drive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as newer:
        newer.setattr(backup_file, "FORMAT_VERSION", backup_file.FORMAT_VERSION + 1)
        result = backup(owner, drive)
    with pytest.raises(BackupTooNew) as refused:
        owner.backups.verify_job(result.path).run()
    assert "newer version of ehrdesk" in refused.value.message

    plain = backup(owner, drive)
    monkeypatch.setattr(runner, "LATEST_VERSION", runner.LATEST_VERSION - 1)
    with pytest.raises(BackupTooNew):
        owner.backups.verify_job(plain.path).run()


# Restore drills ----------------------------------------------------------------------------


def test_a_restore_drill_restores_checks_deletes_and_records(owner: Services, drive: Path) -> None:
    result = backup(owner, drive)
    files = on_drive(drive)

    drill = owner.backups.restore_drill_job(result.path).run()

    assert drill.ok and drill.file_name == result.path.name
    assert "rows in" in drill.detail
    assert owner.backups.last_restore_drill() == drill
    assert actions(owner)[-1] == ("restore_drill", result.path.name, "ok")
    assert on_drive(drive) == files
    assert work_folders(owner) == []


def test_a_failed_restore_drill_is_recorded_too(owner: Services, drive: Path) -> None:
    result = backup(owner, drive)
    result.path.write_bytes(result.path.read_bytes()[:-100])
    with pytest.raises(BackupDamaged):
        owner.backups.restore_drill_job(result.path).run()
    drill = owner.backups.last_restore_drill()
    assert drill is not None and not drill.ok
    assert drill.detail == BackupDamaged.default_message
    assert actions(owner)[-1] == ("restore_drill", result.path.name, "failed")
    assert work_folders(owner) == []


def test_the_security_check_counts_verified_backups_and_passed_drills_only(
    owner: Services, drive: Path
) -> None:
    def item(key: str) -> str:
        return next(i.status.value for i in owner.security.run().items if i.key == key)

    assert (item("backups"), item("restore_drill")) == ("to_do", "to_do")
    good = backup(owner, drive)
    damaged = backup(owner, drive)
    damaged.path.write_bytes(damaged.path.read_bytes()[:-100])
    with pytest.raises(BackupDamaged):
        owner.backups.restore_drill_job(damaged.path).run()

    assert (item("backups"), item("restore_drill")) == ("good", "to_do")  # a failed drill

    owner.backups.restore_drill_job(good.path).run()

    assert item("restore_drill") == "good"
    assert owner.backups.last_passed_restore_drill() is not None


# What the Today screen and automatic backups ask ------------------------------------------


def test_the_reminder_follows_the_newest_verified_backup(
    owner: Services, drive: Path, practice: Practice
) -> None:
    reminder = owner.backups.reminder()
    assert reminder is not None and "no verified backup" in reminder
    backup(owner, drive)
    assert owner.backups.reminder() is None
    practice.clock.advance(timedelta(days=6, hours=23).total_seconds())
    assert owner.backups.reminder() is None
    practice.clock.advance(timedelta(hours=2).total_seconds())
    reminder = owner.backups.reminder()
    assert reminder is not None and "7 days old" in reminder
    owner.backups.set_settings(BackupSettings(reminder_days=14))
    assert owner.backups.reminder() is None


def test_automatic_backups_go_to_the_last_drive_only_when_it_is_there(
    owner: Services, drive: Path, practice: Practice
) -> None:
    assert owner.backups.automatic_folder() is None  # no backup yet: nowhere to go
    backup(owner, drive)
    assert owner.backups.automatic_folder() == drive
    drive.rename(drive.with_name("unplugged"))
    assert owner.backups.automatic_folder() is None


def test_the_daily_backup_is_due_once_the_set_time_has_passed(
    owner: Services, drive: Path, practice: Practice
) -> None:
    assert not owner.backups.daily_backup_due()  # not set
    now = practice.clock.now().astimezone()
    later = (now + timedelta(hours=1)).strftime("%H:%M")
    owner.backups.set_settings(BackupSettings(daily_at=later))
    assert not owner.backups.daily_backup_due()
    practice.clock.advance(2 * 3600)
    assert owner.backups.daily_backup_due()
    backup(owner, drive)
    assert not owner.backups.daily_backup_due()


# Failures part-way -------------------------------------------------------------------------

# A backup's phases. The full checks of the database ("Checking the database") are
# Verify's, the drill's and a restore's, and are cancelled in tests of their own below.
PHASES = (
    "Taking a snapshot",
    "Encrypting and writing the backup",
    "Decrypting and checking the backup",
)


@pytest.mark.parametrize("phase", PHASES)
def test_cancel_in_any_phase_leaves_nothing_behind(
    owner: Services, drive: Path, practice: Practice, phase: str
) -> None:
    earlier = backup(owner, drive)
    files = on_drive(drive)
    practice.clock.advance(60)
    cancel = CancelToken()
    seen: list[str] = []

    def progress(done: int, total: int, label: str) -> None:
        seen.append(label)
        if label.startswith(phase):
            cancel.cancel()

    with pytest.raises(UserCancelled):
        backup(owner, drive, progress=progress, cancel=cancel)
    assert any(label.startswith(phase) for label in seen)
    assert on_drive(drive) == files
    assert work_folders(owner) == []
    assert owner.backups.recent_backups() == [earlier.record]


@pytest.mark.parametrize(
    "phase", ["Decrypting and checking", "Checking the database", "Checking the audit log"]
)
@pytest.mark.parametrize("job", ["verify", "drill"])
def test_cancel_while_checking_leaves_nothing_behind(
    owner: Services, drive: Path, job: str, phase: str
) -> None:
    result = backup(owner, drive)
    files = on_drive(drive)
    before = owner.backups.recent_backups()
    cancel = CancelToken()
    seen: list[str] = []

    def progress(done: int, total: int, label: str) -> None:
        seen.append(label)
        if label.startswith(phase):
            cancel.cancel()

    work = (
        owner.backups.verify_job(result.path)
        if job == "verify"
        else owner.backups.restore_drill_job(result.path)
    )
    with pytest.raises(UserCancelled):
        work.run(progress=progress, cancel=cancel)
    assert any(label.startswith(phase) for label in seen)
    assert on_drive(drive) == files
    assert work_folders(owner) == []
    assert owner.backups.recent_backups() == before


@pytest.mark.parametrize("fail_at", [0, 50_000, 200_000])
def test_an_error_part_way_through_the_write_leaves_the_earlier_backups(
    owner: Services, drive: Path, practice: Practice, monkeypatch: pytest.MonkeyPatch, fail_at: int
) -> None:
    backup(owner, drive)
    files = on_drive(drive)
    practice.clock.advance(60)
    original = backup_file._CountingWriter.write

    def write(self: Any, data: Any) -> int:
        if self.written + len(data) > fail_at:
            self.failure = OSError(28, "No space left on device")  # as the real one keeps it
            raise self.failure
        return original(self, data)

    monkeypatch.setattr(backup_file._CountingWriter, "write", write)
    with pytest.raises(Exception) as failed:
        backup(owner, drive)
    assert "free space" in str(failed.value)
    assert on_drive(drive) == files
    assert work_folders(owner) == []


def test_a_backup_process_killed_mid_write_leaves_no_backup_and_is_cleaned_up_later(
    tmp_path: Path, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGKILL cannot be caught: whatever was half-written stays where it was, under a
    temporary name. The next backup removes such leftovers once they are old."""

    data_dir, drive = tmp_path / "practice", tmp_path / "usb"
    drive.mkdir()
    services = Services.build(data_dir, keyring=MemoryKeyring(), clock=clock)
    created = services.vaults.create(
        practice_name="Riverside Counselling",
        owner_username="owner",
        owner_full_name="Olive Owner",
        owner_password=OWNER_PASSWORD,
        bind_workstation=False,  # the child process has a keyring of its own
    )
    secret = created.owner.totp_secret

    def sign_in() -> None:
        clock.advance(30)
        services.auth.sign_in("owner", OWNER_PASSWORD, totp.current_code(secret, clock.now()))

    sign_in()
    add_clinical_tables(services, clients=600)
    earlier = backup(services, drive)
    services.session.sign_out()
    files = on_drive(drive)

    child_now = (clock.now() + timedelta(hours=1)).isoformat()
    child = textwrap.dedent(
        f"""
        import os, sys, time
        from datetime import datetime
        from pathlib import Path
        from ehrdesk.core.clock import FrozenClock
        from ehrdesk.security import totp
        from ehrdesk.security.workstation import MemoryKeyring
        from ehrdesk.services.registry import Services

        clock = FrozenClock(datetime.fromisoformat({child_now!r}))
        services = Services.build(Path({str(data_dir)!r}), keyring=MemoryKeyring(), clock=clock)
        code = totp.current_code({secret!r}, clock.now())
        services.auth.sign_in("owner", {OWNER_PASSWORD!r}, code)

        def progress(done, total, label):
            if label.startswith("Encrypting") and done > total // 2:
                print("WRITING", flush=True)
                time.sleep(60)

        services.backups.backup_job(Path({str(drive)!r})).run(progress=progress)
        """
    )
    env = dict(os.environ, EHRDESK_TEST_FAST_KDF="1")
    process = subprocess.Popen(
        [sys.executable, "-c", child], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "WRITING"
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()
    assert process.returncode == -signal.SIGKILL

    left = on_drive(drive)
    temps = [name for name in left if name.endswith(".tmp")]
    assert len(temps) == 1 and temps[0].startswith(f".ehrdesk-{created.vault_id[:8]}-")
    assert {n: b for n, b in left.items() if n not in temps} == files  # nothing final
    assert earlier.path.read_bytes() == files[earlier.path.name]
    assert [p for p in data_dir.iterdir() if p.name.startswith(".backup-")]

    # Later (here: "six hours" are now), the next backup tidies up after it.
    monkeypatch.setattr(backup_jobs, "STALE_SECONDS", 0)
    clock.advance(7200)  # past the child's clock: its TOTP step is used up
    sign_in()
    latest = backup(services, drive)
    assert sorted(on_drive(drive)) == sorted([earlier.path.name, latest.path.name])
    assert work_folders(services) == []
