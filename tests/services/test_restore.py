"""Restoring: on a new machine with the Emergency Kit, over the current vault by the
owner, and every way a backup is refused (damage, a wrong key, another practice, a
newer ehrdesk), each with its own sentence and nothing restored.

The round trip compares every table named in sqlite_master, so tables other parts of
ehrdesk add later (clients, appointments, notes) are compared without being listed.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ehrdesk.core.clock import FrozenClock
from ehrdesk.core.errors import (
    BackupDamaged,
    BackupKeyWrong,
    BackupOfAnotherPractice,
    BackupTooNew,
    InvalidInput,
    KeyringUnavailable,
    VaultExists,
)
from ehrdesk.core.models import Role
from ehrdesk.security import recovery, totp
from ehrdesk.security.subkeys import audit_key
from ehrdesk.security.workstation import MemoryKeyring, keyring_username
from ehrdesk.services.registry import Services
from ehrdesk.services.session import SessionState
from ehrdesk.storage import backup_file
from ehrdesk.storage.audit import AuditLog
from ehrdesk.storage.database import Database
from ehrdesk.storage.vault_file import VaultFile
from tests.conftest import OWNER_PASSWORD, Practice
from tests.services.backup_support import add_clinical_tables, database_key, dump, schema

pytestmark = pytest.mark.usefixtures("no_threads_left")

CLINICIAN_PASSWORD = "meadow copper violin 2024 rain"


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    folder = tmp_path / "usb"
    folder.mkdir()
    return folder


def new_machine(tmp_path: Path, clock: FrozenClock, name: str = "new-machine") -> Services:
    """Another computer: its own data folder and its own, empty keyring."""
    return Services.build(tmp_path / name / "practice", keyring=MemoryKeyring(), clock=clock)


def sign_in(
    services: Services, clock: FrozenClock, username: str, password: str, secret: str
) -> None:
    clock.advance(30)
    services.auth.sign_in(username, password, totp.current_code(secret, clock.now()))


# The round trip -------------------------------------------------------------------------


def test_a_practice_restored_on_a_new_machine_is_the_same_and_its_people_sign_in(
    practice: Practice, add_user: Any, drive: Path, tmp_path: Path
) -> None:
    add_user("carla", Role.CLINICIAN)
    practice.sign_in("owner")
    services = practice.services
    add_clinical_tables(services)
    key = database_key(services, practice.created.recovery_key)
    before, before_schema = (
        dump(services.vaults.store.database_path, key),
        schema(services.vaults.store.database_path, key),
    )
    result = services.backups.backup_job(drive).run()
    services.session.sign_out()
    original_vault = json.loads(services.vaults.store.vault_path.read_text())
    assert original_vault["workstation_binding"] is True

    machine = new_machine(tmp_path, practice.clock)
    preview = machine.restorer.prepare(result.path, practice.created.recovery_key)
    assert preview.practice_name == "Riverside Counselling"
    assert preview.created_at == result.record.created_at
    assert preview.row_counts == {table: len(rows) for table, rows in before.items()}
    assert not machine.vaults.exists()  # seen before confirming: nothing in place yet
    restored = machine.restorer.finish(preview)
    assert restored.workstation_bound

    # Table by table, row by row: the same, plus one audit event saying it was restored.
    after = dump(machine.vaults.store.database_path, key)
    assert after.keys() == before.keys()
    for table in before:
        if table == "audit_event":
            assert after[table][:-1] == before[table]
            assert after[table][-1][5] == "restored"
        else:
            assert after[table] == before[table], table
    assert schema(machine.vaults.store.database_path, key) == before_schema
    vault = json.loads(machine.vaults.store.vault_path.read_text())
    assert vault["slots"] == original_vault["slots"]
    assert vault["vault_id"] == original_vault["vault_id"]
    assert vault["throttle"] == {} and vault["restore_safety_copy"] is None

    # Re-bound to this machine's keyring, so the bound slots open here.
    ring = machine.vaults.keyring
    assert isinstance(ring, MemoryKeyring)
    assert keyring_username(restored.vault_id) in ring.entries
    sign_in(machine, practice.clock, "carla", CLINICIAN_PASSWORD, practice.secrets["carla"])
    machine.session.sign_out()
    sign_in(machine, practice.clock, "owner", OWNER_PASSWORD, practice.secrets["owner"])
    report = machine.audit.check_vault()
    assert report.database_problems == () and report.chain.ok, report
    events = machine.audit.events(limit=100_000)
    restored_event = next(e for e in events if e.action == "restored")
    assert restored_event.seq == result.record.audit_seq + 1
    assert restored_event.object_id == result.path.name
    assert restored_event.reason == "recovery key" and restored_event.username is None
    after_restore = [e.action for e in events if e.seq > restored_event.seq]
    assert after_restore == ["sign_in", "sign_out", "sign_in", "vault_checked"]
    # And the restored practice backs up like any other.
    machine.backups.backup_job(drive).run()


def test_restore_only_into_a_folder_without_a_practice(practice: Practice, drive: Path) -> None:
    practice.sign_in("owner")
    result = practice.services.backups.backup_job(drive).run()
    practice.services.session.sign_out()
    before = {p.name: p.read_bytes() for p in practice.services.data_dir.iterdir() if p.is_file()}
    with pytest.raises(VaultExists) as refused:
        practice.services.restorer.restore(result.path, practice.created.recovery_key)
    assert "new, empty folder" in refused.value.message
    after = {p.name: p.read_bytes() for p in practice.services.data_dir.iterdir() if p.is_file()}
    assert after == before


def test_a_bound_practice_is_not_restored_where_no_keyring_can_hold_its_secret(
    practice: Practice, drive: Path, tmp_path: Path
) -> None:
    practice.sign_in("owner")
    result = practice.services.backups.backup_job(drive).run()
    practice.services.session.sign_out()
    machine = Services.build(
        tmp_path / "no-keyring", keyring=MemoryKeyring(usable=False), clock=practice.clock
    )
    with pytest.raises(KeyringUnavailable):
        machine.restorer.restore(result.path, practice.created.recovery_key)
    assert not (tmp_path / "no-keyring").exists()


def test_a_prepared_restore_that_is_not_confirmed_leaves_nothing(
    practice: Practice, drive: Path, tmp_path: Path
) -> None:
    practice.sign_in("owner")
    result = practice.services.backups.backup_job(drive).run()
    practice.services.session.sign_out()
    machine = new_machine(tmp_path, practice.clock)
    prepared = machine.restorer.prepare(result.path, practice.created.recovery_key)
    prepared.discard()
    assert not machine.data_dir.exists()


# Restoring over the current vault ----------------------------------------------------------


def test_the_owner_restores_over_the_vault_with_a_safety_copy_until_it_is_opened(
    practice: Practice, add_user: Any, drive: Path
) -> None:
    services = practice.services
    practice.sign_in("owner")
    result = services.backups.backup_job(drive).run()
    services.session.sign_out()
    add_user("later", Role.FRONT_DESK)  # made after the backup: gone after the restore
    practice.sign_in("owner")
    key = database_key(services, practice.created.recovery_key)

    prepared = services.backups.restore_over_job(result.path).run()
    assert services.session.state is SessionState.SIGNED_IN  # nothing changed yet
    safety = services.backups.finish_restore_over(prepared)

    assert services.session.state is SessionState.SIGNED_OUT
    assert safety.parent == services.data_dir / "safety-copies"
    assert {p.name for p in safety.iterdir()} >= {"practice.ehrdb", "vault.json"}
    kept = dump(safety / "practice.ehrdb", key)  # the vault as it was, "later" and all
    assert "later" in [row[1] for row in kept["user"]]
    vault = VaultFile.from_json(json.loads(services.vaults.store.vault_path.read_text()))
    assert vault.restore_safety_copy == safety.name
    assert not [p for p in services.data_dir.iterdir() if p.name.startswith(".restore-")]

    practice.sign_in("owner")  # opened once: the safety copy has done its job
    assert not safety.exists()
    assert services.vaults.load().restore_safety_copy is None
    names = [u.username for u, _ in services.users.list_users()]
    assert "later" not in names
    events = services.audit.events(limit=100_000)
    restored = next(e for e in events if e.action == "restored")
    assert restored.username == "owner" and restored.object_id == result.path.name
    report = services.audit.check_vault()
    assert report.database_problems == () and report.chain.ok


def test_a_damaged_backup_leaves_the_current_vault_alone(practice: Practice, drive: Path) -> None:
    services = practice.services
    practice.sign_in("owner")
    result = services.backups.backup_job(drive).run()
    result.path.write_bytes(result.path.read_bytes()[:-1])
    with pytest.raises(BackupDamaged):
        services.backups.restore_over_job(result.path).run()
    assert services.session.state is SessionState.SIGNED_IN
    assert not (services.data_dir / "safety-copies").exists()
    assert not [p for p in services.data_dir.iterdir() if p.name.startswith(".restore-")]


# Refusals, each with its own sentence ---------------------------------------------------------


def test_the_four_refusals_say_four_different_things() -> None:
    messages = {
        BackupDamaged().message,
        BackupKeyWrong().message,
        BackupOfAnotherPractice().message,
        BackupTooNew().message,
    }
    assert len(messages) == 4
    assert "damaged" in BackupDamaged().message
    assert "recovery key" in BackupKeyWrong().message
    assert "another practice" in BackupOfAnotherPractice().message
    assert "newer version" in BackupTooNew().message


def test_a_wrong_recovery_key_is_refused_as_such(
    practice: Practice, drive: Path, tmp_path: Path
) -> None:
    practice.sign_in("owner")
    result = practice.services.backups.backup_job(drive).run()
    practice.services.session.sign_out()
    machine = new_machine(tmp_path, practice.clock)
    with pytest.raises(BackupKeyWrong):
        machine.restorer.restore(result.path, recovery.new_recovery_key())
    with pytest.raises(BackupKeyWrong):
        machine.restorer.verify(result.path, recovery.new_recovery_key())
    typo = practice.created.recovery_key.replace("-", "")
    typo = typo[:5] + ("0" if typo[5] != "0" else "1") + typo[6:]
    with pytest.raises(InvalidInput, match="typo"):
        machine.restorer.restore(result.path, typo)
    assert not machine.data_dir.exists()


def test_another_practice_s_backup_is_refused_as_such_against_this_vault(
    practice: Practice, drive: Path, tmp_path: Path
) -> None:
    """With this practice's own recovery key in hand, a backup that does not open with
    it is another practice's (the key is known to be right)."""
    other = new_machine(tmp_path, practice.clock, "other-practice")
    created = other.vaults.create(
        practice_name="Hillside Therapy",
        owner_username="hilda",
        owner_full_name="Hilda Hill",
        owner_password=OWNER_PASSWORD,
    )
    sign_in(other, practice.clock, "hilda", OWNER_PASSWORD, created.owner.totp_secret)
    theirs = other.backups.backup_job(drive).run()
    other.session.sign_out()
    with pytest.raises(BackupOfAnotherPractice):
        practice.services.restorer.verify(theirs.path, practice.created.recovery_key)


def test_a_backup_from_a_newer_ehrdesk_is_refused_as_such(
    practice: Practice, drive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    practice.sign_in("owner")
    with monkeypatch.context() as newer:
        newer.setattr(backup_file, "FORMAT_VERSION", backup_file.FORMAT_VERSION + 1)
        result = practice.services.backups.backup_job(drive).run()
    practice.services.session.sign_out()
    machine = new_machine(tmp_path, practice.clock)
    with pytest.raises(BackupTooNew):
        machine.restorer.restore(result.path, practice.created.recovery_key)
    assert not machine.data_dir.exists()


# Damage: every flipped byte and every cut -----------------------------------------------------


@dataclass(frozen=True)
class Made:
    path: Path
    data: bytes
    recovery_key: str
    clock: FrozenClock
    scratch: Path


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Made:
    """One real backup spanning several of age's 64 KiB chunks, made once."""
    root = tmp_path_factory.mktemp("damage")
    clock = FrozenClock(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
    services = Services.build(root / "practice", keyring=MemoryKeyring(), clock=clock)
    created = services.vaults.create(
        practice_name="Riverside Counselling",
        owner_username="owner",
        owner_full_name="Olive Owner",
        owner_password=OWNER_PASSWORD,
    )
    sign_in(services, clock, "owner", OWNER_PASSWORD, created.owner.totp_secret)
    add_clinical_tables(services, clients=300)
    (root / "usb").mkdir()
    result = services.backups.backup_job(root / "usb").run()
    services.session.sign_out()
    data = result.path.read_bytes()
    assert len(data) > 3 * 65536
    (root / "scratch").mkdir()
    return Made(result.path, data, created.recovery_key, clock, root / "scratch")


def refused_as_damaged(made: Made, damaged: bytes) -> None:
    """Restoring `damaged` on a new machine: the damage sentence, nothing restored."""
    with tempfile.TemporaryDirectory(dir=made.scratch) as scratch:
        root = Path(scratch)
        path = root / made.path.name
        path.write_bytes(damaged)
        data_dir = root / "practice"
        machine = Services.build(data_dir, keyring=MemoryKeyring(), clock=made.clock)
        with pytest.raises(BackupDamaged) as refused:
            machine.restorer.restore(path, made.recovery_key)
        assert refused.value.message == BackupDamaged.default_message
        assert not data_dir.exists()


def spread(size: int) -> list[int]:
    """A few hundred positions: the whole age header densely, the body evenly, the
    last bytes (the final chunk and its tag) densely."""
    header_end = 1024
    positions = set(range(0, header_end, 5))
    positions |= set(range(header_end, size - 512, max(1, (size - header_end) // 100)))
    positions |= set(range(max(0, size - 512), size, 7))
    return sorted(positions)


def test_every_spread_single_byte_flip_is_refused_as_damage(made: Made) -> None:
    positions = spread(len(made.data))
    assert len(positions) >= 300
    for position in positions:
        damaged = bytearray(made.data)
        damaged[position] ^= (position % 255) + 1
        refused_as_damaged(made, bytes(damaged))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_single_byte_flips_are_refused_as_damage(made: Made, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(made.data) - 1), label="position")
    xor = data.draw(st.integers(1, 255), label="xor")
    damaged = bytearray(made.data)
    damaged[position] ^= xor
    refused_as_damaged(made, bytes(damaged))


def cut_lengths(data: bytes) -> list[int]:
    size = len(data)
    header_end = data.index(b"\n", data.index(b"\n--- ") + 1) + 1
    payload = header_end + 16  # age's stream nonce, then 64 KiB chunks with 16-byte tags
    lengths = set(range(0, header_end + 32, 7)) | {header_end - 1, header_end, payload}
    lengths |= set(range(payload, size, max(1, size // 40)))
    for boundary in range(payload, size, 65536 + 16):  # at and around each chunk's end
        lengths |= {boundary - 1, boundary, boundary + 1, boundary + 16}
    lengths |= {size - 1, size - 16, size - 17}
    return sorted(n for n in lengths if 0 <= n < size)


def test_truncations_at_many_lengths_are_refused_as_damage(made: Made) -> None:
    lengths = cut_lengths(made.data)
    assert len(lengths) >= 80
    for length in lengths:
        refused_as_damaged(made, made.data[:length])


def test_bytes_added_at_the_end_are_refused_as_damage(made: Made) -> None:
    refused_as_damaged(made, made.data + b"\x00")
    refused_as_damaged(made, made.data + made.data[-65552:])


@pytest.fixture(autouse=True)
def _no_leftovers(made: Made) -> Iterator[None]:
    yield
    shutil.rmtree(made.scratch, ignore_errors=True)
    made.scratch.mkdir(exist_ok=True)


# Backups written before container version 2 --------------------------------------------

FORMAT_1 = Path(__file__).parent / "fixtures" / "backup-format-1"


def test_a_backup_of_container_version_1_still_verifies_and_restores(
    tmp_path: Path, clock: FrozenClock
) -> None:
    """Made by ehrdesk before format 2 (its snapshot under a fresh key of its own,
    which restore re-keys): a practice's older backups stay restorable."""
    info = json.loads((FORMAT_1 / "info.json").read_text())
    path = FORMAT_1 / info["file"]
    machine = new_machine(tmp_path, clock)

    verified = machine.restorer.verify(path, info["recovery_key"])
    assert verified.manifest.format == 1 and verified.manifest.snapshot_key is not None
    assert verified.manifest.row_counts == info["row_counts"]
    assert verified.practice_name == "Riverside Counselling"

    restored = machine.restorer.restore(path, info["recovery_key"])
    assert restored.vault_id == info["vault_id"]
    key = database_key(machine, info["recovery_key"])
    after = dump(machine.vaults.store.database_path, key)
    counts = {table: len(rows) for table, rows in after.items()}
    assert counts == {**info["row_counts"], "audit_event": info["row_counts"]["audit_event"] + 1}
    assert after["audit_event"][-1][5] == "restored"
    db = Database.open(machine.vaults.store.database_path, key)
    try:
        assert db.integrity_problems() == []
        assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        report = AuditLog(db.conn, audit_key(key)).verify(machine.vaults.load().audit_anchor)
        assert report.ok and report.events_checked == len(after["audit_event"])
    finally:
        db.close()
