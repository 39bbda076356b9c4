"""A workstation-bound vault through the real OS keyring (gnome-keyring on D-Bus).

The whole path, as the app runs it: `Services` over `SystemKeyring()`, a vault bound by
default, sign-in, the keyring entry gone (the "copied to another computer" case) and
the Emergency Kit's recovery key re-binding the vault. Run through the runner that
starts the daemon and sets EHRDESK_KEYRING_TESTS=1:

    dbus-run-session -- tools/with-keyring python -m pytest -m keyring
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import keyring
import keyring.errors
import pytest
from keyring.backends import fail

from ehrdesk.core.clock import FrozenClock
from ehrdesk.core.errors import AuthenticationFailed, WorkstationSecretMissing
from ehrdesk.core.models import Role
from ehrdesk.security import totp
from ehrdesk.security.workstation import (
    KEYRING_SERVICE,
    SystemKeyring,
    keyring_username,
    new_workstation_secret,
)
from ehrdesk.services.registry import Services
from ehrdesk.services.vault import CreatedVault

pytestmark = [
    pytest.mark.keyring,
    pytest.mark.skipif(
        os.environ.get("EHRDESK_KEYRING_TESTS") != "1",
        reason="needs a Secret Service: dbus-run-session -- tools/with-keyring python -m pytest",
    ),
]

OWNER = "owner"
OWNER_PASSWORD = "lantern orchard quietly 1987 tides"
NEW_PASSWORD = "harbour velvet strawberry 4412 comet"
CLINICIAN_PASSWORD = "meadow copper violin 2024 rain"
PRACTICE = "Riverside Counselling"
START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def forget_vaults() -> Iterator[list[str]]:
    """Vault ids whose keyring entries are removed after the test, whatever happened."""
    vault_ids: list[str] = []
    yield vault_ids
    for vid in vault_ids:
        with contextlib.suppress(keyring.errors.KeyringError):  # already gone
            keyring.delete_password(KEYRING_SERVICE, keyring_username(vid))


@pytest.fixture
def system_keyring() -> SystemKeyring:
    ring = SystemKeyring()
    # Fail, not skip, when the runner's daemon is not there: these tests were asked for.
    assert ring.is_usable(), "EHRDESK_KEYRING_TESTS=1 but no usable Secret Service"
    return ring


@pytest.fixture
def make_vault(
    clock: FrozenClock, forget_vaults: list[str]
) -> Callable[..., tuple[Services, CreatedVault]]:
    def make(
        data_dir: Path, *, bind_workstation: bool | None = None
    ) -> tuple[Services, CreatedVault]:
        services = Services.build(data_dir, keyring=SystemKeyring(), clock=clock)
        created = services.vaults.create(
            practice_name=PRACTICE,
            owner_username=OWNER,
            owner_full_name="Olive Owner",
            owner_password=OWNER_PASSWORD,
            bind_workstation=bind_workstation,
        )
        forget_vaults.append(created.vault_id)
        return services, created

    return make


def sign_in(
    services: Services,
    clock: FrozenClock,
    created: CreatedVault,
    password: str,
    *,
    username: str = OWNER,
    totp_secret: str | None = None,
) -> None:
    """Sign in (the owner, unless told) with a fresh TOTP code: the clock moves a step
    first, so no code is a replay."""
    clock.advance(30)
    code = totp.current_code(totp_secret or created.owner.totp_secret, clock.now())
    services.auth.sign_in(username, password, code)


def vault_json(data_dir: Path) -> dict[str, object]:
    data = json.loads((data_dir / "vault.json").read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def slots_bound(data_dir: Path) -> dict[str, list[bool]]:
    """{"user": [workstation_bound, …], "recovery": [...]} from vault.json."""
    slots = vault_json(data_dir)["slots"]
    assert isinstance(slots, list)
    found: dict[str, list[bool]] = {"user": [], "recovery": []}
    for slot in slots:
        found[slot["kind"]].append(slot["workstation_bound"])
    return found


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_fails_closed(
    services: Services, clock: FrozenClock, created: CreatedVault, data_dir: Path
) -> None:
    """Sign-in refuses with WorkstationSecretMissing, counts nothing, writes nothing."""
    before_db = digest(data_dir / "practice.ehrdb")
    before = vault_json(data_dir)
    # More tries than the lock-out threshold: a missing keyring secret is not a wrong
    # password, so it must never lock the account or start the delays.
    for password in [OWNER_PASSWORD] * 11 + ["not the password at all 12345"]:
        with pytest.raises(WorkstationSecretMissing) as refused:
            sign_in(services, clock, created, password)
        message = str(refused.value)
        assert "Emergency Kit" in message
        assert "recovery key" in message
    after = vault_json(data_dir)
    assert after["throttle"] == before["throttle"] == {}
    assert after["pending_failures"] == before["pending_failures"]
    status = services.auth.throttle_status(OWNER)
    assert (status.failures, status.locked, status.retry_after) == (0, False, 0)
    assert digest(data_dir / "practice.ehrdb") == before_db
    assert not (data_dir / "practice.ehrdb-wal").exists()


def test_bound_by_default_and_recovered_after_the_keyring_entry_is_lost(
    tmp_path: Path,
    clock: FrozenClock,
    system_keyring: SystemKeyring,
    make_vault: Callable[..., tuple[Services, CreatedVault]],
) -> None:
    data_dir = tmp_path / "practice"
    services, created = make_vault(data_dir, bind_workstation=None)
    vid = created.vault_id

    assert created.workstation_bound is True
    secret = system_keyring.load(vid)
    assert secret is not None and len(secret) == 32
    assert keyring.get_password(KEYRING_SERVICE, f"vault-{vid}") is not None
    assert vault_json(data_dir)["workstation_binding"] is True
    assert slots_bound(data_dir) == {"user": [True], "recovery": [False]}

    sign_in(services, clock, created, OWNER_PASSWORD)
    services.session.sign_out()

    system_keyring.delete(vid)
    assert system_keyring.load(vid) is None
    assert_fails_closed(services, clock, created, data_dir)

    services.auth.recover_account(created.recovery_key, OWNER, NEW_PASSWORD)

    # The same secret, from its copy inside the encrypted database: the other users'
    # slots (sealed with it) keep working.
    assert system_keyring.load(vid) == secret
    assert slots_bound(data_dir) == {"user": [True], "recovery": [False]}
    assert vault_json(data_dir)["throttle"] == {}
    with pytest.raises(AuthenticationFailed):
        sign_in(services, clock, created, OWNER_PASSWORD)
    sign_in(services, clock, created, NEW_PASSWORD)
    assert services.session.current_user().username == OWNER
    services.session.sign_out()


def test_copied_vault_on_another_workstation_fails_closed_until_recovered(
    tmp_path: Path,
    clock: FrozenClock,
    system_keyring: SystemKeyring,
    make_vault: Callable[..., tuple[Services, CreatedVault]],
) -> None:
    original = tmp_path / "practice"
    services, created = make_vault(original)
    sign_in(services, clock, created, OWNER_PASSWORD)
    services.session.sign_out()
    secret = system_keyring.load(created.vault_id)
    assert secret is not None

    # The data folder carried to a computer whose keyring never saw this vault.
    copy = tmp_path / "elsewhere" / "practice"
    shutil.copytree(original, copy)
    system_keyring.delete(created.vault_id)
    there = Services.build(copy, keyring=SystemKeyring(), clock=clock)

    assert_fails_closed(there, clock, created, copy)

    there.auth.recover_account(created.recovery_key, OWNER, NEW_PASSWORD)
    assert system_keyring.load(created.vault_id) == secret
    sign_in(there, clock, created, NEW_PASSWORD)
    assert there.session.current_user().username == OWNER
    there.session.sign_out()


@pytest.mark.parametrize("planted", ["damaged", "another secret"])
def test_recovery_key_rebinds_over_a_wrong_keyring_entry(
    tmp_path: Path,
    clock: FrozenClock,
    system_keyring: SystemKeyring,
    make_vault: Callable[..., tuple[Services, CreatedVault]],
    planted: str,
) -> None:
    # The keyring holds something under this vault's name that is not its secret (a
    # damaged entry, or another vault's secret under a reused id): the Emergency Kit
    # must still re-bind, as WorkstationSecretMissing's message promises, to the
    # vault's own secret, or every other user's slot stays sealed under the old one.
    data_dir = tmp_path / "practice"
    services, created = make_vault(data_dir)
    sign_in(services, clock, created, OWNER_PASSWORD)
    clinician = services.users.add_user(
        "clinician", "Clara Clinician", Role.CLINICIAN, CLINICIAN_PASSWORD
    )
    services.session.sign_out()
    secret = system_keyring.load(created.vault_id)
    assert secret is not None
    if planted == "damaged":
        keyring.set_password(KEYRING_SERVICE, keyring_username(created.vault_id), "garbage!")
    else:
        system_keyring.store(created.vault_id, new_workstation_secret())

    services.auth.recover_account(created.recovery_key, OWNER, NEW_PASSWORD)

    assert system_keyring.load(created.vault_id) == secret
    sign_in(services, clock, created, NEW_PASSWORD)
    services.session.sign_out()
    sign_in(
        services,
        clock,
        created,
        CLINICIAN_PASSWORD,
        username="clinician",
        totp_secret=clinician.totp_secret,
    )
    services.session.sign_out()


def test_unbound_vault_needs_no_keyring_entry(
    tmp_path: Path,
    clock: FrozenClock,
    system_keyring: SystemKeyring,
    make_vault: Callable[..., tuple[Services, CreatedVault]],
) -> None:
    data_dir = tmp_path / "practice"
    services, created = make_vault(data_dir, bind_workstation=False)  # --no-workstation-binding

    assert created.workstation_bound is False
    assert system_keyring.load(created.vault_id) is None
    assert vault_json(data_dir)["workstation_binding"] is False
    assert slots_bound(data_dir) == {"user": [False], "recovery": [False]}

    sign_in(services, clock, created, OWNER_PASSWORD)
    services.session.sign_out()
    assert system_keyring.load(created.vault_id) is None  # sign-in did not bind it

    # Not even a keyring is needed: a backend ehrdesk refuses to use changes nothing.
    no_keyring = SystemKeyring(fail.Keyring())
    assert no_keyring.is_usable() is False
    elsewhere = Services.build(data_dir, keyring=no_keyring, clock=clock)
    sign_in(elsewhere, clock, created, OWNER_PASSWORD)
    elsewhere.session.sign_out()
