"""Creating a practice's vault, and turning secrets into an open, checked database.

A new vault is built under a temporary database name and appears only when whole: the
database is renamed into place, then vault.json is written. Opening checks the cipher,
refuses a schema newer than this code, and copies the vault aside before migrating.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from ehrdesk import __version__
from ehrdesk.core.clock import Clock
from ehrdesk.core.errors import (
    InvalidInput,
    KeyringUnavailable,
    PasswordRejected,
    VaultExists,
    WorkstationSecretMissing,
)
from ehrdesk.core.models import Role, UserEnrolment
from ehrdesk.security import kdf, keyslots, passwords, recovery, totp
from ehrdesk.security.backup_identity import backup_recipient
from ehrdesk.security.keyslots import KeySlot, WrongSecret
from ehrdesk.security.subkeys import audit_key
from ehrdesk.security.workstation import WorkstationKeyring, new_workstation_secret
from ehrdesk.storage.audit import AuditLog, format_time
from ehrdesk.storage.database import Database
from ehrdesk.storage.migrations import runner
from ehrdesk.storage.users import SettingsRepository, UserRepository
from ehrdesk.storage.vault_file import AuditAnchor, VaultFile, VaultStore

ISSUER = "ehrdesk"
_USERNAME = re.compile(r"^[\w.@-]{2,64}$")
MAX_NAME = 200


@dataclass(frozen=True)
class CreatedVault:
    vault_id: str
    recovery_key: str
    owner: UserEnrolment
    workstation_bound: bool


def validate_username(username: str) -> str:
    username = username.strip()
    if not _USERNAME.match(username):
        raise InvalidInput(
            "A username is 2 to 64 letters, digits, dots, hyphens, underscores or @."
        )
    return username


def validate_name(text: str, what: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise InvalidInput(f"Please enter the {what}.")
    if len(text) > MAX_NAME:
        raise InvalidInput(f"The {what} is too long; {MAX_NAME} characters at most.")
    return text


@dataclass(frozen=True)
class NewVaultPlan:
    """The secrets of a practice not yet created, so first-run setup can show the
    second factor, the recovery codes and the Emergency Kit before anything is
    written: the vault appears only when the person has finished."""

    vault_id: str
    recovery_key: str
    totp_secret: str
    recovery_codes: tuple[str, ...]

    def totp_uri(self, username: str) -> str:
        return totp.provisioning_uri(self.totp_secret, username, ISSUER)


def plan_new_vault() -> NewVaultPlan:
    return NewVaultPlan(
        vault_id=uuid.uuid4().hex,
        recovery_key=recovery.new_recovery_key(),
        totp_secret=totp.new_secret(),
        recovery_codes=tuple(totp.new_recovery_codes(10)),
    )


def enrol_user(
    users: UserRepository,
    user_id: int,
    username: str,
    *,
    secret: str | None = None,
    codes: tuple[str, ...] | None = None,
) -> tuple[str, str, tuple[str, ...]]:
    """Give a user a fresh second factor and ten recovery codes; returns what to show."""
    secret = secret or totp.new_secret()
    users.set_totp_secret(user_id, secret)
    codes = codes or tuple(totp.new_recovery_codes(10))
    salt = users.recovery_salt(user_id)
    users.replace_recovery_codes(user_id, [totp.hash_recovery_code(c, salt) for c in codes])
    return secret, totp.provisioning_uri(secret, username, ISSUER), codes


class Vaults:
    def __init__(self, store: VaultStore, keyring: WorkstationKeyring, clock: Clock) -> None:
        self.store = store
        self.keyring = keyring
        self.clock = clock

    def exists(self) -> bool:
        return self.store.exists()

    def load(self) -> VaultFile:
        return self.store.load()

    def workstation_secret(self, vault: VaultFile) -> bytes:
        """The keyring's secret for a bound vault; fails closed."""
        secret = self.keyring.load(vault.vault_id)
        if secret is None:
            raise WorkstationSecretMissing
        return secret

    # Creating --------------------------------------------------------------------

    def create(
        self,
        *,
        practice_name: str,
        owner_username: str,
        owner_full_name: str,
        owner_password: str,
        bind_workstation: bool | None = None,
        plan: NewVaultPlan | None = None,
        demo: bool = False,
    ) -> CreatedVault:
        """Create the practice; `plan` carries secrets already shown to the person."""
        plan = plan or plan_new_vault()
        practice_name, owner_username, owner_full_name, bind_workstation = self.check_new_vault(
            practice_name=practice_name,
            owner_username=owner_username,
            owner_full_name=owner_full_name,
            owner_password=owner_password,
            bind_workstation=bind_workstation,
        )

        now = self.clock.now()
        vault_id = plan.vault_id
        db_key = os.urandom(32)
        tag_key = os.urandom(32)
        recovery_key = plan.recovery_key
        ws_secret = new_workstation_secret() if bind_workstation else None
        params = kdf.params_for_new_slots()
        tag = keyslots.user_tag(tag_key, owner_username)

        self.store.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp_db = self.store.data_dir / f".creating-{vault_id}.ehrdb"
        try:
            # A demo holds synthetic people only: see Database.open on memory security.
            db = Database.open(temp_db, db_key, create=True, memory_security=not demo)
            try:
                runner.migrate(db)
                enrolment, anchor = self._first_rows(
                    db,
                    db_key,
                    practice_name=practice_name,
                    owner_username=owner_username,
                    owner_full_name=owner_full_name,
                    owner_password=owner_password,
                    ws_secret=ws_secret,
                    plan=plan,
                )
                db.checkpoint()
            finally:
                db.close()
            vault = VaultFile(
                vault_id=vault_id,
                created_at=format_time(now),
                tag_key=tag_key,
                backup_recipient=backup_recipient(recovery.secret_bytes(recovery_key)),
                workstation_binding=ws_secret is not None,
                audit_anchor=anchor,
                demo=demo,
            )
            vault.slots.append(
                self._seal_user(vault, db_key, tag, owner_password, ws_secret, params)
            )
            vault.slots.append(
                keyslots.seal(
                    db_key,
                    recovery.secret_bytes(recovery_key),
                    vault_id=vault_id,
                    slot_id="recovery",
                    kind="recovery",
                    tag=None,
                    params=params,
                    workstation_secret=None,
                )
            )
            if ws_secret is not None:
                self.keyring.store(vault_id, ws_secret)
            os.replace(temp_db, self.store.database_path)
            self.store.create(vault)
        finally:
            for leftover in (temp_db, Path(f"{temp_db}-wal"), Path(f"{temp_db}-shm")):
                leftover.unlink(missing_ok=True)
        return CreatedVault(vault_id, recovery_key, enrolment, ws_secret is not None)

    def check_new_vault(
        self,
        *,
        practice_name: str,
        owner_username: str,
        owner_full_name: str,
        owner_password: str,
        bind_workstation: bool | None = None,
    ) -> tuple[str, str, str, bool]:
        """Everything `create` would refuse, refused now, with nothing written.
        Returns the cleaned names and whether the vault will be bound."""
        if self.store.exists():
            raise VaultExists
        practice_name = validate_name(practice_name, "practice name")
        owner_username = validate_username(owner_username)
        owner_full_name = validate_name(owner_full_name, "owner's full name")
        reasons = passwords.check_password(
            owner_password,
            passwords.PasswordPolicy(),
            context_words=[practice_name, owner_username, *owner_full_name.split()],
        )
        if reasons:
            raise PasswordRejected(reasons)
        usable = self.keyring.is_usable()
        if bind_workstation and not usable:
            raise KeyringUnavailable
        return (
            practice_name,
            owner_username,
            owner_full_name,
            usable if bind_workstation is None else bind_workstation,
        )

    def _first_rows(
        self,
        db: Database,
        db_key: bytes,
        *,
        practice_name: str,
        owner_username: str,
        owner_full_name: str,
        owner_password: str,
        ws_secret: bytes | None,
        plan: NewVaultPlan,
    ) -> tuple[UserEnrolment, AuditAnchor]:
        """Settings, the owner and the first audit events of a new vault."""
        now = self.clock.now()
        with db.transaction() as conn:
            settings = SettingsRepository(conn)
            settings.set("practice_name", practice_name)
            settings.set("password_policy", passwords.PasswordPolicy().to_json())
            if ws_secret is not None:
                # Kept inside the encrypted database so the recovery key can re-bind
                # a restored vault on a new workstation.
                settings.set("workstation_secret", ws_secret.hex())
            users = UserRepository(conn)
            owner = users.add(
                username=owner_username,
                full_name=owner_full_name,
                role=Role.OWNER,
                totp_secret="",
                recovery_salt=os.urandom(16),
                now=now,
            )
            secret, uri, codes = enrol_user(
                users, owner.id, owner.username, secret=plan.totp_secret, codes=plan.recovery_codes
            )
            users.remember_password(owner.id, passwords.hash_for_history(owner_password), now)
            log = AuditLog(conn, audit_key(db_key))
            log.append(at=now, action="vault_created", actor=owner)
            anchor = log.append(
                at=now,
                action="user_added",
                actor=owner,
                object_type="user",
                object_id=str(owner.id),
            )
        return UserEnrolment(owner, uri, secret, codes), anchor

    def _seal_user(
        self,
        vault: VaultFile,
        db_key: bytes,
        tag: str,
        password: str,
        ws_secret: bytes | None,
        params: kdf.Argon2Params | None = None,
    ) -> KeySlot:
        existing = vault.user_slot(tag)
        return keyslots.seal(
            db_key,
            kdf.password_bytes(password),
            vault_id=vault.vault_id,
            slot_id=existing.slot_id if existing else uuid.uuid4().hex[:16],
            kind="user",
            tag=tag,
            params=params or kdf.params_for_new_slots(),
            workstation_secret=ws_secret,
        )

    def seal_user_slot(self, vault: VaultFile, db_key: bytes, username: str, password: str) -> None:
        """Add or replace a user's slot in `vault` (the caller writes vault.json)."""
        ws = self.workstation_secret(vault) if vault.workstation_binding else None
        tag = keyslots.user_tag(vault.tag_key, username)
        vault.replace_slot(self._seal_user(vault, db_key, tag, password, ws))

    # Opening -------------------------------------------------------------------

    def unseal_user(self, vault: VaultFile, username: str, password: str) -> bytes:
        """The database key from a user's password, or WrongSecret."""
        slot = vault.user_slot(keyslots.user_tag(vault.tag_key, username))
        if slot is None:
            keyslots.burn_time(kdf.params_for_new_slots())
            raise WrongSecret
        ws = self.workstation_secret(vault) if slot.bound else None
        return keyslots.unseal(
            slot, kdf.password_bytes(password), vault_id=vault.vault_id, workstation_secret=ws
        )

    def unseal_recovery(self, vault: VaultFile, recovery_key: str) -> bytes:
        return keyslots.unseal(
            vault.recovery_slot(),
            recovery.secret_bytes(recovery_key),
            vault_id=vault.vault_id,
            workstation_secret=None,
        )

    def open_database(self, db_key: bytes) -> Database:
        """Open and self-check; refuses a newer schema. Does not migrate."""
        synthetic = self.store.load().demo  # see Database.open on memory security
        db = Database.open(self.store.database_path, db_key, memory_security=not synthetic)
        try:
            runner.check_not_newer(db)
        except BaseException:
            db.close()
            raise
        return db

    def migrate(self, db: Database) -> int:
        return runner.migrate(db, before_first_step=lambda old, new: self._safety_copy(db, old))

    def _safety_copy(self, db: Database, old_version: int) -> None:
        """Copy the (encrypted) database and vault.json aside before a migration."""
        db.checkpoint()
        stamp = self.clock.now().strftime("%Y%m%dT%H%M%SZ")
        target = self.store.data_dir / "safety-copies" / f"before-schema-{old_version}-{stamp}"
        target.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Through the connection's own descriptor: copying the open file by name would
        # drop this connection's locks on it (see Database.copy_file).
        db.copy_file(target / self.store.database_path.name)
        shutil.copy2(self.store.vault_path, target / self.store.vault_path.name)

    def practice_name(self, db: Database) -> str:
        return str(SettingsRepository(db.conn).get("practice_name", ""))

    def app_version(self) -> str:
        return __version__
