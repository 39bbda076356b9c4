"""SystemKeyring against a real Secret Service (gnome-keyring under dbus-run-session).

Run through the runner that starts the daemon and sets EHRDESK_KEYRING_TESTS=1:

    dbus-run-session -- tools/with-keyring python -m pytest -m keyring

With EHRDESK_KEYRING_TESTS=1 and no reachable Secret Service these tests fail; they
are skipped only when the variable is not "1" (a bare ``pytest`` on a laptop).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend
from keyring.backends.SecretService import Keyring as SecretServiceKeyring

from ehrdesk.core.errors import WorkstationSecretMissing
from ehrdesk.security.workstation import (
    KEYRING_SERVICE,
    SystemKeyring,
    keyring_username,
    new_workstation_secret,
)

pytestmark = [
    pytest.mark.keyring,
    pytest.mark.skipif(
        os.environ.get("EHRDESK_KEYRING_TESTS") != "1",
        reason="needs a Secret Service: dbus-run-session -- tools/with-keyring python -m pytest",
    ),
]


@pytest.fixture
def vault_id() -> Iterator[str]:
    """A vault id no other test uses; its keyring entry is removed afterwards."""
    vid = uuid.uuid4().hex
    yield vid
    with contextlib.suppress(keyring.errors.KeyringError):  # absent, or no keyring at all
        keyring.delete_password(KEYRING_SERVICE, keyring_username(vid))


@pytest.fixture
def system_keyring() -> SystemKeyring:
    # Fail loudly, and first, if the runner's daemon is not what keyring picked.
    # keyring picks its chainer when more than one backend is installed; SystemKeyring
    # then uses the chain's first backend only, so that is the one to check.
    backend = keyring.get_keyring()
    if isinstance(backend, ChainerBackend):
        backend = ChainerBackend.backends[0]
    assert isinstance(backend, SecretServiceKeyring), str(backend)
    assert SecretServiceKeyring.priority >= 1  # the daemon is on the bus
    return SystemKeyring()


def test_is_usable(system_keyring: SystemKeyring) -> None:
    assert system_keyring.is_usable() is True


def test_store_load_delete_round_trip(system_keyring: SystemKeyring, vault_id: str) -> None:
    secret = new_workstation_secret()

    system_keyring.store(vault_id, secret)
    assert system_keyring.load(vault_id) == secret
    # Stored where the design says, in the form it says.
    stored = keyring.get_password(KEYRING_SERVICE, f"vault-{vault_id}")
    assert stored is not None
    assert len(stored) == 44  # base64 of 32 bytes

    system_keyring.delete(vault_id)
    assert system_keyring.load(vault_id) is None
    assert keyring.get_password(KEYRING_SERVICE, f"vault-{vault_id}") is None


def test_never_stored_loads_as_none(system_keyring: SystemKeyring, vault_id: str) -> None:
    assert system_keyring.load(vault_id) is None


def test_delete_of_absent_secret_is_a_no_op(system_keyring: SystemKeyring, vault_id: str) -> None:
    system_keyring.delete(vault_id)
    assert system_keyring.load(vault_id) is None


def test_store_overwrites(system_keyring: SystemKeyring, vault_id: str) -> None:
    first, second = new_workstation_secret(), new_workstation_secret()
    assert first != second

    system_keyring.store(vault_id, first)
    system_keyring.store(vault_id, second)

    assert system_keyring.load(vault_id) == second
    system_keyring.delete(vault_id)
    assert system_keyring.load(vault_id) is None  # one entry, not two


def test_vaults_are_kept_apart(system_keyring: SystemKeyring, vault_id: str) -> None:
    other = uuid.uuid4().hex
    mine, theirs = new_workstation_secret(), new_workstation_secret()
    try:
        system_keyring.store(vault_id, mine)
        system_keyring.store(other, theirs)
        system_keyring.delete(other)
        assert system_keyring.load(vault_id) == mine
        assert system_keyring.load(other) is None
    finally:
        system_keyring.delete(other)


@pytest.mark.parametrize(
    "garbage",
    [
        "not base64 at all!",
        "c2hvcnQ=",  # valid base64, but of 5 bytes
        "A" * 43 + "=\n",  # 32 bytes, but a trailing newline is not strict base64
        "QUFB" * 12,  # valid base64 of 36 bytes
        "ünïcode",
    ],
)
def test_garbage_value_is_a_missing_secret(
    system_keyring: SystemKeyring, vault_id: str, garbage: str
) -> None:
    keyring.set_password(KEYRING_SERVICE, keyring_username(vault_id), garbage)

    with pytest.raises(WorkstationSecretMissing):
        system_keyring.load(vault_id)


class DictKeyring(KeyringBackend):
    """A plaintext backend, as keyrings.alt installs next to the real one."""

    priority = 1
    viable = False  # keep it out of keyring's auto-detection for other tests

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.store[(service, username)]


def test_chainer_uses_only_the_secret_service(
    system_keyring: SystemKeyring, vault_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What keyring picks when keyrings.alt is installed too: its chainer, over the
    # Secret Service and a plaintext file. Only the Secret Service may be used.
    plaintext = DictKeyring()
    monkeypatch.setattr(ChainerBackend, "backends", [SecretServiceKeyring(), plaintext])
    chained = SystemKeyring(ChainerBackend())
    secret = new_workstation_secret()

    assert chained.is_usable() is True
    chained.store(vault_id, secret)
    assert system_keyring.load(vault_id) == secret  # it is in the Secret Service
    assert chained.load(vault_id) == secret
    chained.delete(vault_id)
    assert system_keyring.load(vault_id) is None
    assert plaintext.store == {}
