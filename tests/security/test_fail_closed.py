"""A bound vault fails closed when the keyring cannot be used; nothing falls back.

With the keyring gone (no trustworthy backend) or locked, sign-in, unlock, recovery
and adding a user are refused with KeyringUnavailable, whatever password is typed, and
nothing is written or counted: it is not a wrong password. Setup that was asked to bind
refuses and leaves the folder as it found it; setup left to choose binds when it can
and makes an unbound vault only when there is no keyring at all.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ehrdesk.core.clock import FrozenClock
from ehrdesk.core.errors import KeyringUnavailable, SessionLocked, WorkstationSecretMissing
from ehrdesk.core.models import Role
from ehrdesk.security import totp
from ehrdesk.security.workstation import MemoryKeyring, keyring_username
from ehrdesk.services.registry import Services
from ehrdesk.services.session import SessionState
from ehrdesk.services.vault import CreatedVault

if TYPE_CHECKING:
    from conftest import Practice

PRACTICE = "Riverside Counselling"
OWNER_PASSWORD = "lantern orchard quietly 1987 tides"  # the `practice` fixture's owner's
NEW_PASSWORD = "harbour velvet strawberry 4412 comet"
UNUSABLE = ["no keyring", "locked keyring"]


def make_unusable(ring: MemoryKeyring, how: str) -> None:
    if how == "no keyring":
        ring.usable = False
    else:
        ring.locked = True
    with pytest.raises(KeyringUnavailable):
        ring.load("anything")


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` and a digest of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def vault_json(data_dir: Path) -> dict[str, object]:
    data = json.loads((data_dir / "vault.json").read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def create(services: Services, bind_workstation: bool | None) -> CreatedVault:
    return services.vaults.create(
        practice_name=PRACTICE,
        owner_username="owner",
        owner_full_name="Olive Owner",
        owner_password=OWNER_PASSWORD,
        bind_workstation=bind_workstation,
    )


# A bound vault ---------------------------------------------------------------------


@pytest.mark.parametrize("how", UNUSABLE)
def test_sign_in_refuses_and_counts_nothing(
    practice: Practice, keyring: MemoryKeyring, data_dir: Path, how: str
) -> None:
    assert practice.created.workstation_bound
    assert practice.passwords["owner"] == OWNER_PASSWORD
    stored = dict(keyring.entries)
    make_unusable(keyring, how)
    before = snapshot(data_dir)

    # Right and wrong passwords alike, more often than the lock-out threshold: the
    # answer never depends on the password, and no attempt is counted against it.
    for password in [OWNER_PASSWORD] * 11 + ["not the password at all 12345"]:
        with pytest.raises(KeyringUnavailable) as refused:
            practice.sign_in("owner", password)
        assert "Emergency Kit" in str(refused.value)

    assert practice.services.session.state is SessionState.SIGNED_OUT
    assert snapshot(data_dir) == before  # vault.json's counters, and the database
    assert vault_json(data_dir)["throttle"] == {}
    status = practice.services.auth.throttle_status("owner")
    assert (status.failures, status.locked) == (0, False)
    assert keyring.entries == stored

    keyring.usable, keyring.locked = True, False
    practice.sign_in("owner")  # the keyring back: the same vault opens, unharmed
    assert practice.services.session.current_user().username == "owner"


@pytest.mark.parametrize("how", UNUSABLE)
def test_unlock_refuses_and_counts_nothing(
    practice: Practice, keyring: MemoryKeyring, data_dir: Path, how: str
) -> None:
    services = practice.services
    practice.sign_in("owner")
    services.session.lock()
    make_unusable(keyring, how)
    before = snapshot(data_dir)

    with pytest.raises(KeyringUnavailable):
        services.auth.unlock(OWNER_PASSWORD)

    assert services.session.state is SessionState.LOCKED
    with pytest.raises(SessionLocked):
        _ = services.session.database
    assert snapshot(data_dir) == before
    keyring.usable, keyring.locked = True, False
    services.auth.unlock(OWNER_PASSWORD)
    assert services.session.state is SessionState.SIGNED_IN


@pytest.mark.parametrize("how", UNUSABLE)
def test_recovery_key_refuses_rather_than_unbinding(
    practice: Practice, keyring: MemoryKeyring, data_dir: Path, how: str
) -> None:
    # The recovery slot opens without the keyring, but the new password must not be
    # sealed into an unbound slot: that would quietly drop the binding.
    make_unusable(keyring, how)
    before = snapshot(data_dir)

    with pytest.raises(KeyringUnavailable):
        practice.services.auth.recover_account(practice.created.recovery_key, "owner", NEW_PASSWORD)

    assert snapshot(data_dir) == before
    slots = vault_json(data_dir)["slots"]
    assert isinstance(slots, list)
    assert [s["workstation_bound"] for s in slots if s["kind"] == "user"] == [True]


@pytest.mark.parametrize("how", UNUSABLE)
def test_adding_a_user_refuses_and_adds_nothing(
    practice: Practice, keyring: MemoryKeyring, data_dir: Path, how: str
) -> None:
    services = practice.services
    practice.sign_in("owner")
    before = vault_json(data_dir)
    make_unusable(keyring, how)

    with pytest.raises(KeyringUnavailable):
        services.users.add_user("clinician", "Clara Clinician", Role.CLINICIAN, NEW_PASSWORD)

    assert vault_json(data_dir) == before  # no slot, same audit anchor
    assert [u.username for u, _ in services.users.list_users()] == ["owner"]
    conn = services.session.database.conn
    added = conn.execute("SELECT count(*) FROM audit_event WHERE action = 'user_added'")
    assert added.fetchone()[0] == 1  # the owner's, from setup; the clinician's rolled back


def test_a_missing_secret_is_not_a_wrong_password(
    practice: Practice, keyring: MemoryKeyring, data_dir: Path
) -> None:
    keyring.delete(practice.created.vault_id)
    before = snapshot(data_dir)

    with pytest.raises(WorkstationSecretMissing):
        practice.sign_in("owner")

    assert snapshot(data_dir) == before


def test_a_damaged_secret_is_a_missing_secret(
    practice: Practice, keyring: MemoryKeyring, data_dir: Path
) -> None:
    keyring.put_raw(practice.created.vault_id, "not a secret")
    before = snapshot(data_dir)

    with pytest.raises(WorkstationSecretMissing):
        practice.sign_in("owner")

    assert snapshot(data_dir) == before


def test_recovery_key_rebinds_over_a_damaged_secret(
    practice: Practice, keyring: MemoryKeyring, data_dir: Path
) -> None:
    # WorkstationSecretMissing tells the person to open the practice with the recovery
    # key; with a damaged entry in the keyring, that must work too.
    vault_id = practice.created.vault_id
    secret = keyring.load(vault_id)
    keyring.put_raw(vault_id, "not a secret")

    practice.services.auth.recover_account(practice.created.recovery_key, "owner", NEW_PASSWORD)

    assert keyring.load(vault_id) == secret
    practice.sign_in("owner", NEW_PASSWORD)
    assert practice.services.session.current_user().username == "owner"


# Setup -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("how", "bind_workstation"),
    [("no keyring", True), ("locked keyring", True), ("locked keyring", None)],
)
def test_setup_that_cannot_bind_refuses_and_leaves_no_file(
    data_dir: Path, clock: FrozenClock, how: str, bind_workstation: bool | None
) -> None:
    # A locked keyring is there (is_usable) but refuses to keep the secret; the vault
    # must not be made unbound behind the owner's back, nor half made.
    ring = MemoryKeyring()
    make_unusable(ring, how)
    services = Services.build(data_dir, keyring=ring, clock=clock)

    with pytest.raises(KeyringUnavailable):
        create(services, bind_workstation)

    leftovers = sorted(p.name for p in data_dir.rglob("*")) if data_dir.exists() else []
    assert leftovers == []
    assert ring.entries == {}
    assert not services.vaults.exists()

    # Nothing stands in the way of a second try once the keyring works.
    ring.usable, ring.locked = True, False
    created = create(services, bind_workstation)
    assert created.workstation_bound
    assert sorted(p.name for p in data_dir.iterdir()) == [
        "practice.ehrdb",
        "vault.json",
        "vault.lock",
    ]


def test_setup_without_a_keyring_makes_an_unbound_vault(data_dir: Path, clock: FrozenClock) -> None:
    ring = MemoryKeyring(usable=False)
    services = Services.build(data_dir, keyring=ring, clock=clock)

    created = create(services, None)

    assert created.workstation_bound is False
    assert ring.entries == {}
    vault = vault_json(data_dir)
    assert vault["workstation_binding"] is False
    slots = vault["slots"]
    assert isinstance(slots, list)
    assert sorted((s["kind"], s["workstation_bound"]) for s in slots) == [
        ("recovery", False),
        ("user", False),
    ]
    # It opens with no keyring at all, and later never asks for one.
    clock.advance(30)
    services.auth.sign_in(
        "owner", OWNER_PASSWORD, totp.current_code(created.owner.totp_secret, clock.now())
    )
    assert services.session.current_user().username == "owner"
    services.session.sign_out()
    assert keyring_username(created.vault_id) not in ring.entries
