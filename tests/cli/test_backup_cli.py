"""`ehrdesk backup`, `verify-backup` and `restore` on the command line (DESIGN §6).

The owner signs in for `backup` (password and code on standard input); the recovery key
for `verify-backup` and `restore` comes from --recovery-key or, better, from the first
line of standard input. Refusals are one line on stderr with exit code 1.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ehrdesk.core.errors import BackupDamaged, BackupKeyWrong
from ehrdesk.security import recovery, totp
from tests.cli.test_cli import OWNER_PASSWORD, Cli, _ehrdesk, _secret, _subprocess_init


class Practice(Cli):
    """A practice made with `init`, and its recovery key."""

    recovery_key = ""


@pytest.fixture
def ready(tmp_path: Path) -> Practice:
    practice = Practice(tmp_path)
    result = practice.init()
    assert result.code == 0, result.err
    practice.recovery_key = result.json()["recovery_key"]
    return practice


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    folder = tmp_path / "usb"
    folder.mkdir()
    return folder


def backed_up(ready: Practice, drive: Path) -> Path:
    result = ready.as_owner("backup", "--to", str(drive))
    assert result.code == 0, result.err
    return Path(result.json()["path"])


def test_backup_to_a_folder_prints_the_verified_file(ready: Practice, drive: Path) -> None:
    result = ready.as_owner("backup", "--to", str(drive))

    assert (result.code, result.err) == (0, "")
    data = result.json()
    path = Path(data["path"])
    assert path.parent == drive and path.suffix == ".ehrbackup"
    assert data["verified"] is True and data["size"] == path.stat().st_size
    assert [p.name for p in drive.iterdir()] == [path.name]


def test_backup_without_json_says_where_in_one_line(ready: Practice, drive: Path) -> None:
    result = ready.run(
        "backup", "--to", str(drive), "--data-dir", str(ready.data_dir), "--user", "owner",
        stdin=ready.credentials("owner", OWNER_PASSWORD),
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.out.startswith(f"Backed up to {drive}/ehrdesk-")
    assert "verified" in result.out and result.out.count("\n") == 1


def test_backup_is_the_owner_s(ready: Practice, drive: Path) -> None:
    added = ready.as_owner(
        "user", "add", "carla", "--role", "clinician", "--full-name", "Carla Smith",
        more=("meadow copper violin 2024 rain",),
    )  # fmt: skip
    ready.secrets["carla"] = _secret(added.json()["totp_uri"])
    result = ready.run(
        "backup", "--to", str(drive), "--data-dir", str(ready.data_dir), "--user", "carla",
        stdin=ready.credentials("carla", "meadow copper violin 2024 rain"),
    )  # fmt: skip
    assert result.code == 1
    assert result.one_line_error() == "ehrdesk: Your role does not allow this.\n"
    assert list(drive.iterdir()) == []


def test_a_full_or_missing_drive_is_one_sentence(ready: Practice, tmp_path: Path) -> None:
    result = ready.as_owner("backup", "--to", str(tmp_path / "unplugged"))
    assert result.code == 1
    assert "drive is connected" in result.one_line_error()


@pytest.mark.parametrize("how", ["stdin", "option"])
def test_verify_backup_with_the_recovery_key(ready: Practice, drive: Path, how: str) -> None:
    path = backed_up(ready, drive)
    key = ready.recovery_key
    if how == "stdin":
        result = ready.run("verify-backup", str(path), "--json", stdin=key + "\n")
    else:
        result = ready.run("verify-backup", str(path), "--recovery-key", key, "--json")
    assert (result.code, result.err) == (0, "")
    data = result.json()
    assert data["ok"] is True and data["practice"] == "Riverside Counselling"
    assert data["row_counts"]["user"] == 1 and data["audit_events"] >= 3


def test_verify_backup_signed_in_as_the_owner_records_the_check(
    ready: Practice, drive: Path
) -> None:
    path = backed_up(ready, drive)
    result = ready.as_owner("verify-backup", str(path))
    assert (result.code, result.err) == (0, "")
    events = ready.services()
    ready.clock.advance(30)
    events.auth.sign_in("owner", OWNER_PASSWORD, ready.code("owner"))
    actions = [(e.action, e.reason) for e in events.audit.events(limit=1000)]
    events.session.sign_out()
    assert ("backup_verified", "ok") in actions


def test_verify_backup_refusals_are_one_line_each(ready: Practice, drive: Path) -> None:
    path = backed_up(ready, drive)
    key = ready.recovery_key
    wrong = ready.run("verify-backup", str(path), stdin=recovery.new_recovery_key() + "\n")
    assert wrong.code == 1
    assert wrong.one_line_error() == f"ehrdesk: {BackupKeyWrong.default_message}\n"
    path.write_bytes(path.read_bytes()[:-5])
    damaged = ready.run("verify-backup", str(path), stdin=key + "\n")
    assert damaged.code == 1
    assert damaged.one_line_error() == f"ehrdesk: {BackupDamaged.default_message}\n"
    missing = ready.run("verify-backup", str(path.with_name("nothing.ehrbackup")), stdin=key)
    assert missing.code == 1 and "does not exist" in missing.one_line_error()
    no_key = ready.run("verify-backup", str(path))
    assert no_key.code == 2 and "recovery key on line 1" in no_key.one_line_error()


def test_restore_into_a_new_folder_then_sign_in(
    ready: Practice, drive: Path, tmp_path: Path
) -> None:
    path = backed_up(ready, drive)
    new = tmp_path / "restored"
    result = ready.run(
        "restore", str(path), "--data-dir", str(new), "--json",
        stdin=ready.recovery_key + "\n",
    )  # fmt: skip
    assert (result.code, result.err) == (0, "")
    data = result.json()
    assert data["data_dir"] == str(new) and data["practice"] == "Riverside Counselling"
    assert {p.name for p in new.iterdir()} >= {"practice.ehrdb", "vault.json"}
    check = ready.run(
        "check", "--data-dir", str(new), "--user", "owner", "--json",
        stdin=ready.credentials("owner", OWNER_PASSWORD),
    )  # fmt: skip
    assert check.code in (0, 1), check.err  # 1 only for the test's weak key slots
    report = check.json()
    assert report["database_problems"] == [] and report["audit_first_bad_seq"] is None


def test_restore_never_overwrites_a_practice(ready: Practice, drive: Path) -> None:
    path = backed_up(ready, drive)
    before = ready.vault_bytes()
    result = ready.run(
        "restore", str(path), "--data-dir", str(ready.data_dir),
        stdin=ready.recovery_key + "\n",
    )  # fmt: skip
    assert result.code == 1 and "new, empty folder" in result.one_line_error()
    assert ready.vault_bytes() == before


def test_restore_replace_is_the_owner_s_and_keeps_a_safety_copy(
    ready: Practice, drive: Path
) -> None:
    path = backed_up(ready, drive)
    result = ready.as_owner("restore", str(path), "--replace")
    assert (result.code, result.err) == (0, "")
    safety = Path(result.json()["safety_copy"])
    assert (safety / "practice.ehrdb").exists()
    with_key = ready.run(
        "restore", str(path), "--replace", "--recovery-key", "X", "--user", "owner"
    )
    assert with_key.code == 2


# python -m ehrdesk ------------------------------------------------------------------------


def test_subprocess_backup_verify_and_restore(tmp_path: Path) -> None:
    created = _subprocess_init(tmp_path)
    drive = tmp_path / "usb"
    drive.mkdir()
    code = totp.current_code(_secret(created["totp_uri"]), datetime.now(UTC))
    done = _ehrdesk(
        tmp_path, "backup", "--to", str(drive), "--user", "owner", "--json",
        stdin=f"{OWNER_PASSWORD}\n{code}\n",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    path = json.loads(done.stdout)["path"]

    key = created["recovery_key"] + "\n"
    verified = _ehrdesk(tmp_path, "verify-backup", path, stdin=key)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("The backup is sound: Riverside Counselling, taken ")

    restored = _ehrdesk(
        tmp_path, "restore", path, "--data-dir", str(tmp_path / "elsewhere"), stdin=key
    )
    assert restored.returncode == 0, restored.stderr
    assert "Restored Riverside Counselling into" in restored.stdout

    Path(path).write_bytes(Path(path).read_bytes()[:1000])
    damaged = _ehrdesk(tmp_path, "verify-backup", path, stdin=key)
    assert damaged.returncode == 1
    assert damaged.stderr == f"ehrdesk: {BackupDamaged.default_message}\n"
    assert damaged.stdout == ""
