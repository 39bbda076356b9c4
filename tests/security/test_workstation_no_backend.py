"""The workstation keyring fails closed, with no Secret Service daemon needed.

keyring's fail and null backends, a plaintext backend, keyring's chainer, a backend
that is locked or whose D-Bus is gone: none of them may be used, and each refusal is
KeyringUnavailable, never a None that would read as "this vault was never bound".
Also the in-memory fake that other tests use.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import jeepney
import keyring
import keyring.backends.fail
import keyring.backends.null
import keyring.core
import keyring.errors
import pytest
import secretstorage.exceptions
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend
from keyring.backends.SecretService import Keyring as SecretServiceKeyring

import ehrdesk
from ehrdesk.core.errors import KeyringUnavailable, WorkstationSecretMissing
from ehrdesk.security.workstation import (
    KEYRING_SERVICE,
    WORKSTATION_SECRET_BYTES,
    MemoryKeyring,
    SystemKeyring,
    WorkstationKeyring,
    keyring_username,
    new_workstation_secret,
)

VAULT = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


class DictKeyring(KeyringBackend):
    """A keyring that keeps passwords in a plain dict, as keyrings.alt's files do."""

    priority = 1  # claims to be "recommended"; must still be refused
    # keyring registers every KeyringBackend subclass for auto-detection; without
    # this, defining the class would make keyring pick its chainer for other tests.
    viable = False

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.store[(service, username)]


class LookalikeSecretService(SecretServiceKeyring):
    """A subclass of a trusted backend is somebody else's code: not trusted."""

    viable = False  # see DictKeyring


def broken_secret_service(error: BaseException) -> SecretServiceKeyring:
    """The real Secret Service backend class, raising `error` on every call."""
    backend = SecretServiceKeyring()

    def fail(*args: object) -> None:
        raise error

    # Instance attributes shadow the class's methods; the class stays the trusted one.
    backend.get_password = fail  # type: ignore[method-assign,assignment]
    backend.set_password = fail  # type: ignore[method-assign]
    backend.delete_password = fail  # type: ignore[method-assign]
    return backend


@pytest.fixture
def fresh_keyring_choice(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make keyring choose its backend again on the next call; restore it afterwards.

    keyring caches its choice in a module global. monkeypatch fails here (rather than
    silently testing nothing) if a keyring release renames it, and puts the original
    choice back after the test.
    """
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    yield


def assert_every_operation_refused(kr: WorkstationKeyring) -> None:
    with pytest.raises(KeyringUnavailable):
        kr.load(VAULT)
    with pytest.raises(KeyringUnavailable):
        kr.store(VAULT, new_workstation_secret())
    with pytest.raises(KeyringUnavailable):
        kr.delete(VAULT)


# --- keyring's own "no backend" choices -------------------------------------------


@pytest.mark.usefixtures("fresh_keyring_choice")
def test_fail_backend_from_environment_is_unusable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    assert isinstance(keyring.get_keyring(), keyring.backends.fail.Keyring)

    kr = SystemKeyring()
    assert kr.is_usable() is False
    assert_every_operation_refused(kr)


@pytest.mark.usefixtures("fresh_keyring_choice")
def test_null_backend_from_environment_is_unusable(monkeypatch: pytest.MonkeyPatch) -> None:
    # The null backend answers None to everything: taken at its word, a bound vault
    # would look unbound. It must be refused, not believed.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    assert isinstance(keyring.get_keyring(), keyring.backends.null.Keyring)

    kr = SystemKeyring()
    assert kr.is_usable() is False
    assert_every_operation_refused(kr)


@pytest.mark.usefixtures("fresh_keyring_choice")
def test_backend_that_cannot_be_loaded_is_unusable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "no.such.module.Keyring")

    kr = SystemKeyring()
    assert kr.is_usable() is False
    assert_every_operation_refused(kr)


def test_set_keyring_fail_backend_is_unusable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    keyring.set_keyring(keyring.backends.fail.Keyring())  # undone by monkeypatch

    kr = SystemKeyring()
    assert kr.is_usable() is False
    assert_every_operation_refused(kr)


# --- backends that work but are not to be trusted ---------------------------------


def test_plaintext_backend_is_refused_and_never_written() -> None:
    plaintext = DictKeyring()
    kr = SystemKeyring(plaintext)

    assert kr.is_usable() is False
    assert_every_operation_refused(kr)
    assert plaintext.store == {}


def test_plaintext_backend_value_is_never_read() -> None:
    plaintext = DictKeyring()
    secret = base64.b64encode(new_workstation_secret()).decode()
    plaintext.set_password(KEYRING_SERVICE, keyring_username(VAULT), secret)

    with pytest.raises(KeyringUnavailable):
        SystemKeyring(plaintext).load(VAULT)


def test_subclass_of_trusted_backend_is_refused() -> None:
    kr = SystemKeyring(LookalikeSecretService())
    assert kr.is_usable() is False
    assert_every_operation_refused(kr)


def test_chainer_with_a_weak_backend_first_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    plaintext = DictKeyring()
    monkeypatch.setattr(ChainerBackend, "backends", [plaintext])

    kr = SystemKeyring(ChainerBackend())
    assert kr.is_usable() is False
    assert_every_operation_refused(kr)
    assert plaintext.store == {}


def test_empty_chainer_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ChainerBackend, "backends", [])

    kr = SystemKeyring(ChainerBackend())
    assert kr.is_usable() is False
    assert_every_operation_refused(kr)


def test_chainer_never_falls_back_to_a_weaker_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    # The trusted backend first in the chain is locked; the plaintext one behind it
    # holds a perfectly good secret. The chainer itself would hand that one out.
    plaintext = DictKeyring()
    secret = base64.b64encode(new_workstation_secret()).decode()
    plaintext.set_password(KEYRING_SERVICE, keyring_username(VAULT), secret)
    locked = broken_secret_service(keyring.errors.KeyringLocked("locked"))
    monkeypatch.setattr(ChainerBackend, "backends", [locked, plaintext])

    assert_every_operation_refused(SystemKeyring(ChainerBackend()))
    assert plaintext.store == {(KEYRING_SERVICE, keyring_username(VAULT)): secret}


# --- a trusted backend that fails --------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        keyring.errors.KeyringLocked("Failed to unlock the collection!"),
        keyring.errors.InitError("Failed to create the collection"),
        keyring.errors.NoKeyringError("no backend"),
        keyring.errors.PasswordSetError("cannot set"),
        keyring.errors.PasswordDeleteError("cannot delete"),
        secretstorage.exceptions.LockedException("locked"),
        secretstorage.exceptions.PromptDismissedException("dismissed"),
        secretstorage.exceptions.SecretServiceNotAvailableException("no service"),
        ConnectionRefusedError(111, "Connection refused"),
        FileNotFoundError(2, "No such file or directory"),
        KeyError("DBUS_SESSION_BUS_ADDRESS"),
        RuntimeError("The Secret Service daemon is neither running nor activatable"),
        jeepney.wrappers.DBusErrorResponse(
            jeepney.new_error(
                jeepney.new_method_call(
                    jeepney.DBusAddress("/", bus_name="org.freedesktop.secrets"), "Nope"
                ),
                "org.freedesktop.DBus.Error.ServiceUnknown",
            )
        ),
    ],
    ids=lambda e: type(e).__name__,
)
def test_backend_errors_become_keyring_unavailable(error: BaseException) -> None:
    kr = SystemKeyring(broken_secret_service(error))
    for call in (
        lambda: kr.load(VAULT),
        lambda: kr.store(VAULT, new_workstation_secret()),
        lambda: kr.delete(VAULT),
    ):
        with pytest.raises(KeyringUnavailable) as raised:
            call()
        assert raised.value.__cause__ is error  # kept for the log, not for the person
        assert "Unlock it" in raised.value.message


@pytest.mark.parametrize("address", ["unix:path=/nonexistent/ehrdesk-test-bus", None])
def test_real_secret_service_backend_without_dbus(
    monkeypatch: pytest.MonkeyPatch, address: str | None
) -> None:
    # No mocks: the real backend, talking to a bus that is not there.
    if address is None:
        monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
        monkeypatch.delenv("DISPLAY", raising=False)
    else:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)

    kr = SystemKeyring(SecretServiceKeyring())
    assert kr.is_usable() is False
    assert_every_operation_refused(kr)


def test_store_that_does_not_stick_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # A backend that accepts the write and then does not have it: binding a vault to
    # that secret would lock everyone out, so store() must say so.
    backend = SecretServiceKeyring()
    monkeypatch.setattr(backend, "set_password", lambda *args: None)
    monkeypatch.setattr(backend, "get_password", lambda *args: None)

    with pytest.raises(KeyringUnavailable):
        SystemKeyring(backend).store(VAULT, new_workstation_secret())


# --- arguments ---------------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64])
def test_store_refuses_a_secret_of_the_wrong_length(length: int) -> None:
    memory = MemoryKeyring()
    with pytest.raises(ValueError, match="32 bytes"):
        memory.store(VAULT, bytes(length))
    with pytest.raises(ValueError, match="32 bytes"):
        SystemKeyring(broken_secret_service(AssertionError("not reached"))).store(
            VAULT, bytes(length)
        )
    assert memory.entries == {}


@pytest.mark.parametrize("vault_id", ["", " x", "x ", "a\nb", "\t"])
def test_bad_vault_ids_are_refused(vault_id: str) -> None:
    with pytest.raises(ValueError):
        keyring_username(vault_id)
    with pytest.raises(ValueError):
        MemoryKeyring().load(vault_id)


def test_keyring_names() -> None:
    assert KEYRING_SERVICE == ehrdesk.APP_ID
    assert keyring_username(VAULT) == f"vault-{VAULT}"


def test_new_workstation_secret_is_random_and_32_bytes() -> None:
    secrets = {new_workstation_secret() for _ in range(64)}
    assert len(secrets) == 64
    assert all(len(s) == WORKSTATION_SECRET_BYTES == 32 for s in secrets)


def test_both_keyrings_satisfy_the_protocol() -> None:
    assert isinstance(MemoryKeyring(), WorkstationKeyring)
    assert isinstance(SystemKeyring(), WorkstationKeyring)


# --- MemoryKeyring -------------------------------------------------------------------


def test_memory_keyring_round_trip() -> None:
    kr = MemoryKeyring()
    secret = new_workstation_secret()

    assert kr.is_usable() is True
    assert kr.load(VAULT) is None
    kr.store(VAULT, secret)
    assert kr.load(VAULT) == secret
    assert kr.entries == {f"vault-{VAULT}": base64.b64encode(secret).decode()}
    kr.delete(VAULT)
    assert kr.load(VAULT) is None
    kr.delete(VAULT)  # absent: no error


def test_memory_keyring_overwrites_and_keeps_vaults_apart() -> None:
    kr = MemoryKeyring()
    first, second, other = (new_workstation_secret() for _ in range(3))

    kr.store(VAULT, first)
    kr.store("other", other)
    kr.store(VAULT, second)

    assert kr.load(VAULT) == second
    assert kr.load("other") == other
    assert len(kr.entries) == 2


def test_memory_keyring_unusable() -> None:
    kr = MemoryKeyring(usable=False)
    assert kr.is_usable() is False
    assert_every_operation_refused(kr)


def test_memory_keyring_locked() -> None:
    kr = MemoryKeyring(locked=True)
    assert kr.is_usable() is True
    assert_every_operation_refused(kr)


def test_memory_keyring_can_be_locked_mid_test() -> None:
    kr = MemoryKeyring()
    secret = new_workstation_secret()
    kr.store(VAULT, secret)

    kr.locked = True
    assert_every_operation_refused(kr)

    kr.locked = False
    assert kr.load(VAULT) == secret  # locking lost nothing


@pytest.mark.parametrize(
    "garbage", ["", "not base64!", "c2hvcnQ=", "A" * 43 + "=\n", "QUFB" * 12, "ünïcode"]
)
def test_memory_keyring_garbage_is_a_missing_secret(garbage: str) -> None:
    kr = MemoryKeyring()
    kr.put_raw(VAULT, garbage)
    with pytest.raises(WorkstationSecretMissing):
        kr.load(VAULT)
