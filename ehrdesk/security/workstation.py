"""The workstation secret: what binds a vault to this computer's OS keyring.

A bound vault mixes a random 32-byte secret into every user slot's derived key, so a
copied database and ``vault.json`` are useless without this workstation's keyring.
The secret lives in the OS keyring (through the ``keyring`` package), base64-encoded,
under the service name :data:`ehrdesk.APP_ID` and the username ``vault-<vault_id>``.

Invariant: this module fails closed. It talks only to a real OS keyring (Secret
Service, KWallet, macOS Keychain, Windows Credential Manager); a null, failing,
chained-to-something-weaker or plaintext backend is never used. Every backend error
becomes :class:`KeyringUnavailable`, and a stored value that is not the base64 of
exactly 32 bytes becomes :class:`WorkstationSecretMissing`. There is no fallback to a
file or to a weaker key, ever.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

from ehrdesk import APP_ID
from ehrdesk.core.errors import KeyringUnavailable, WorkstationSecretMissing

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

__all__ = [
    "KEYRING_SERVICE",
    "TRUSTED_BACKENDS",
    "WORKSTATION_SECRET_BYTES",
    "MemoryKeyring",
    "SystemKeyring",
    "WorkstationKeyring",
    "decode_workstation_secret",
    "encode_workstation_secret",
    "keyring_username",
    "new_workstation_secret",
]

WORKSTATION_SECRET_BYTES = 32

#: The keyring "service" every workstation secret is stored under.
KEYRING_SERVICE = APP_ID

#: The only backends ehrdesk trusts with a workstation secret, by exact class name.
#: An allow-list, so that a backend nobody reviewed (keyrings.alt's plaintext and
#: "encrypted" files, keyring's null and fail backends, third-party plugins) is refused
#: instead of trusted. Subclasses do not count: they are someone else's code.
TRUSTED_BACKENDS = frozenset(
    {
        "keyring.backends.SecretService.Keyring",
        "keyring.backends.libsecret.Keyring",
        "keyring.backends.kwallet.DBusKeyring",
        "keyring.backends.kwallet.DBusKeyringKWallet4",
        "keyring.backends.macOS.Keyring",
        "keyring.backends.Windows.WinVaultKeyring",
    }
)

_T = TypeVar("_T")


def new_workstation_secret() -> bytes:
    """Return a fresh random workstation secret (32 bytes from the OS CSPRNG)."""
    return secrets.token_bytes(WORKSTATION_SECRET_BYTES)


def keyring_username(vault_id: str) -> str:
    """The keyring username that holds the secret of vault `vault_id`."""
    if not vault_id or not vault_id.isprintable() or vault_id != vault_id.strip():
        raise ValueError("a vault id must be a non-empty printable string")
    return f"vault-{vault_id}"


def encode_workstation_secret(secret: bytes) -> str:
    """The text form of `secret` as kept in the keyring (standard base64)."""
    if len(secret) != WORKSTATION_SECRET_BYTES:
        raise ValueError(f"a workstation secret is exactly {WORKSTATION_SECRET_BYTES} bytes")
    return base64.b64encode(secret).decode("ascii")


def decode_workstation_secret(value: str) -> bytes:
    """Turn the keyring's text back into the secret, or raise WorkstationSecretMissing.

    Anything but the strict base64 of exactly 32 bytes means the secret this vault was
    bound to is not here any more, whatever else the keyring holds under its name.
    """
    try:
        secret = base64.b64decode(value.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError) as exc:
        raise WorkstationSecretMissing() from exc
    if len(secret) != WORKSTATION_SECRET_BYTES:
        raise WorkstationSecretMissing()
    return secret


@runtime_checkable
class WorkstationKeyring(Protocol):
    """Where workstation secrets are kept. Every method fails closed."""

    def is_usable(self) -> bool:
        """True if a trustworthy keyring backend is there to be used."""
        ...

    def load(self, vault_id: str) -> bytes | None:
        """The vault's secret; None if none was ever stored (or it was deleted).

        Raises KeyringUnavailable if the keyring cannot be reached, and
        WorkstationSecretMissing if what it holds is not a workstation secret.
        """
        ...

    def store(self, vault_id: str, secret: bytes) -> None:
        """Keep `secret` for the vault, replacing any earlier one."""
        ...

    def delete(self, vault_id: str) -> None:
        """Forget the vault's secret; nothing happens if there is none."""
        ...


def _backend_name(backend: KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_trusted(backend: KeyringBackend) -> bool:
    return _backend_name(backend) in TRUSTED_BACKENDS


class SystemKeyring:
    """A :class:`WorkstationKeyring` over the OS keyring, through ``keyring``.

    By default it uses the backend ``keyring`` selects (``keyring.get_keyring()``, which
    honours ``PYTHON_KEYRING_BACKEND`` and ``keyringrc.cfg``), asked afresh on every call;
    a `backend` may be passed instead. Either way the backend must be one of
    :data:`TRUSTED_BACKENDS`. keyring's chainer is looked through: only the backend it
    would write to is used, and only if it is trusted, so a secret is never read from
    a weaker backend further down the chain.
    """

    def __init__(self, backend: KeyringBackend | None = None) -> None:
        self._backend = backend

    def is_usable(self) -> bool:
        try:
            backend = self._trusted_backend()
            # Re-evaluating the priority is the backend's own viability check (for
            # Secret Service: is the daemon on the session bus). It is one D-Bus round
            # trip, cheap enough, and it raises or returns < 1 when the backend is gone.
            return float(type(backend).priority) >= 1
        except Exception:
            return False

    def load(self, vault_id: str) -> bytes | None:
        username = keyring_username(vault_id)
        backend = self._trusted_backend()
        value = _guarded(lambda: backend.get_password(KEYRING_SERVICE, username))
        if value is None:
            return None
        return decode_workstation_secret(value)

    def store(self, vault_id: str, secret: bytes) -> None:
        username = keyring_username(vault_id)
        value = encode_workstation_secret(secret)
        backend = self._trusted_backend()
        _guarded(lambda: backend.set_password(KEYRING_SERVICE, username, value))
        # A vault bound to a secret the keyring did not really keep could only be
        # opened with the Emergency Kit, so read it back before anyone relies on it.
        if _guarded(lambda: backend.get_password(KEYRING_SERVICE, username)) != value:
            raise KeyringUnavailable()

    def delete(self, vault_id: str) -> None:
        username = keyring_username(vault_id)
        backend = self._trusted_backend()
        # Backends signal "no such entry" with the same PasswordDeleteError they use
        # for real failures, so look first instead of guessing from the exception.
        if _guarded(lambda: backend.get_password(KEYRING_SERVICE, username)) is None:
            return
        _guarded(lambda: backend.delete_password(KEYRING_SERVICE, username))

    def _trusted_backend(self) -> KeyringBackend:
        """The backend to use, or KeyringUnavailable if there is no trustworthy one."""
        # Imported here, not with the module: loading keyring and its backends takes a
        # noticeable part of start-up, and the sign-in window needs no keyring.
        import keyring  # noqa: PLC0415
        from keyring.backends.chainer import ChainerBackend  # noqa: PLC0415

        backend = self._backend if self._backend is not None else _guarded(keyring.get_keyring)
        if isinstance(backend, ChainerBackend):
            chained: list[KeyringBackend] = _guarded(lambda: list(ChainerBackend.backends))
            if not chained:
                raise KeyringUnavailable()
            backend = chained[0]
        if not _is_trusted(backend):
            raise KeyringUnavailable()
        return backend


def _guarded(call: Callable[[], _T]) -> _T:
    """Run one keyring call; whatever goes wrong in it becomes KeyringUnavailable.

    Deliberately broad: besides keyring's own errors, Secret Service failures arrive as
    secretstorage and jeepney exceptions, OSError (no bus socket), KeyError (no bus
    address), RuntimeError (backend not viable) and more. Any of them means the secret
    cannot be trusted to be there, and the only safe answer is to refuse.
    """
    try:
        return call()
    except KeyringUnavailable:
        raise
    except Exception as exc:
        raise KeyringUnavailable() from exc


class MemoryKeyring:
    """An in-memory :class:`WorkstationKeyring` for tests elsewhere.

    `usable=False` behaves like a machine with no trustworthy keyring: ``is_usable()``
    is False and every operation raises KeyringUnavailable. `locked=True` behaves like
    a keyring that is there but locked: ``is_usable()`` is True and every operation
    raises KeyringUnavailable. Both can be flipped on the instance mid-test.
    Values are kept in their keyring text form, so :meth:`put_raw` can plant a damaged
    one, and ``entries`` shows exactly what a real keyring would hold.
    """

    def __init__(self, *, usable: bool = True, locked: bool = False) -> None:
        self.usable = usable
        self.locked = locked
        #: keyring username -> stored text, as in the OS keyring.
        self.entries: dict[str, str] = {}

    def is_usable(self) -> bool:
        return self.usable

    def load(self, vault_id: str) -> bytes | None:
        username = keyring_username(vault_id)
        self._check()
        value = self.entries.get(username)
        return None if value is None else decode_workstation_secret(value)

    def store(self, vault_id: str, secret: bytes) -> None:
        username = keyring_username(vault_id)
        value = encode_workstation_secret(secret)
        self._check()
        self.entries[username] = value

    def delete(self, vault_id: str) -> None:
        username = keyring_username(vault_id)
        self._check()
        self.entries.pop(username, None)

    def put_raw(self, vault_id: str, value: str) -> None:
        """Plant any text as the vault's keyring value (to test damaged entries)."""
        self.entries[keyring_username(vault_id)] = value

    def _check(self) -> None:
        if not self.usable or self.locked:
            raise KeyringUnavailable()
