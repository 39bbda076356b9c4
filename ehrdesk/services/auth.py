"""Sign-in, unlock and account recovery.

A sign-in needs the username, the password and a current TOTP code (or an unused
recovery code). Whatever was wrong, the answer is the same sentence, and the database
is not written: the failure is counted in vault.json and copied into the audit log at
the next successful sign-in. The throttle is asked before any key is derived.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from ehrdesk.core.clock import Clock
from ehrdesk.core.errors import (
    AuthenticationFailed,
    InvalidInput,
    PasswordRejected,
    SessionLocked,
    WorkstationSecretMissing,
)
from ehrdesk.core.models import ThrottleStatus, User, UserEnrolment, UserStatus
from ehrdesk.security import keyslots, passwords, throttle, totp
from ehrdesk.security.keyslots import WrongSecret
from ehrdesk.security.subkeys import audit_key
from ehrdesk.services.session import Session, SessionState
from ehrdesk.services.vault import Vaults, enrol_user
from ehrdesk.storage.audit import AuditLog, format_time
from ehrdesk.storage.database import Database
from ehrdesk.storage.users import SettingsRepository, UserRepository
from ehrdesk.storage.vault_file import PendingFailure, ThrottleEntry, VaultFile

RECOVERY_FAILED = "That recovery key does not open this practice."


@dataclass(frozen=True)
class SignedIn:
    user: User
    password_change_required: bool
    used_recovery_code: bool
    recovery_codes_left: int


def _parse(stamp: str | None) -> datetime | None:
    return None if stamp is None else datetime.fromisoformat(stamp)


def password_policy(conn: object) -> passwords.PasswordPolicy:
    raw = SettingsRepository(conn).get("password_policy", {})
    return passwords.PasswordPolicy.from_json(raw if isinstance(raw, dict) else {})


def check_new_password(conn: object, user: User, password: str) -> None:
    """Policy, names and history; raises PasswordRejected with every reason."""
    settings = SettingsRepository(conn)
    policy = password_policy(conn)
    words = [str(settings.get("practice_name", "")), user.username, *user.full_name.split()]
    reasons = passwords.check_password(password, policy, context_words=words)
    history = UserRepository(conn).password_history(user.id, policy.history_count)
    if not reasons and passwords.in_history(password, history):
        reasons.append(passwords.REASON_REUSED)
    if reasons:
        raise PasswordRejected(reasons)


class Auth:
    def __init__(self, vaults: Vaults, session: Session, clock: Clock) -> None:
        self._vaults = vaults
        self._session = session
        self._clock = clock

    # Throttle --------------------------------------------------------------------

    def throttle_status(self, username: str) -> ThrottleStatus:
        return self.throttle_statuses([username])[username]

    def throttle_statuses(self, usernames: list[str]) -> dict[str, ThrottleStatus]:
        """Each account's throttle, reading vault.json once."""
        vault = self._vaults.load()
        now = self._clock.now()
        statuses = {}
        for username in usernames:
            tag = keyslots.user_tag(vault.tag_key, username)
            entry = vault.throttle.get(tag, ThrottleEntry())
            wait = throttle.retry_after(entry.failures, _parse(entry.last_failure_at), now)
            statuses[username] = ThrottleStatus(entry.failures, entry.locked, wait)
        return statuses

    def _check_throttle(self, vault: VaultFile, tag: str) -> None:
        entry = vault.throttle.get(tag, ThrottleEntry())
        throttle.check(
            entry.failures, _parse(entry.last_failure_at), entry.locked, self._clock.now()
        )

    def _record_failure(self, tag: str, kind: str) -> None:
        now = format_time(self._clock.now())
        with self._vaults.store.update() as vault:
            entry = vault.throttle.setdefault(tag, ThrottleEntry())
            entry.failures += 1
            entry.last_failure_at = now
            entry.locked = entry.locked or throttle.locks_now(entry.failures)
            vault.add_pending_failure(PendingFailure(now, tag, f"{kind}:{uuid.uuid4().hex[:12]}"))

    # Sign-in ---------------------------------------------------------------------

    def sign_in(self, username: str, password: str, code: str) -> SignedIn:
        vault = self._vaults.load()
        tag = keyslots.user_tag(vault.tag_key, username)
        self._check_throttle(vault, tag)
        try:
            db_key = self._vaults.unseal_user(vault, username, password)
            db = self._vaults.open_database(db_key)
        except WrongSecret:
            self._record_failure(tag, "sign_in")
            raise AuthenticationFailed from None
        try:
            users = UserRepository(db.conn)
            user = users.find(username)
            if user is None or user.status is not UserStatus.ACTIVE:
                raise WrongSecret
            accept = self._second_factor(users, user, code)
        except WrongSecret:
            db.close()
            self._record_failure(tag, "sign_in")
            raise AuthenticationFailed from None
        except BaseException:
            db.close()
            raise
        return self._begin(db, db_key, vault, tag, user, accept)

    def _second_factor(self, users: UserRepository, user: User, code: str) -> tuple[str, int]:
        """Which second factor matched ("totp", step) or ("recovery", code id); reads only."""
        if totp.looks_like_recovery_code(code):
            digest = totp.hash_recovery_code(code, users.recovery_salt(user.id))
            code_id = users.unused_recovery_code(user.id, digest)
            if code_id is None:
                raise WrongSecret
            return "recovery", code_id
        secret, last_step = users.totp(user.id)
        step = totp.verify_code(secret, code, self._clock.now(), last_step)
        if step is None:
            raise WrongSecret
        return "totp", step

    def _begin(
        self,
        db: Database,
        db_key: bytes,
        vault: VaultFile,
        tag: str,
        user: User,
        accept: tuple[str, int],
    ) -> SignedIn:
        try:
            self._vaults.migrate(db)
        except BaseException:
            db.close()
            raise
        if self._session.state is not SessionState.SIGNED_OUT:
            self._session.sign_out(reason="switch_user")
        self._session.start(db, db_key, user)
        copied = self._copy_pending_failures(vault)
        kind, value = accept
        with self._session.transaction() as tx:
            users = UserRepository(tx.conn)
            if kind == "recovery":
                users.use_recovery_code(value, self._clock.now())
            else:
                users.accept_totp_step(user.id, value)
            for failure, who in copied:
                tx.audit(
                    "sign_in_failed",
                    at=datetime.fromisoformat(failure.at),
                    user=who,
                    object_type="sign_in_attempt",
                    object_id=failure.kind,
                )
            tx.audit("sign_in", reason="recovery code" if kind == "recovery" else None)
            policy = password_policy(tx.conn)
            codes_left = users.recovery_codes_left(user.id)
        self._session.set_idle_seconds(self._idle_setting())
        with self._vaults.store.update() as fresh:
            fresh.throttle.pop(tag, None)
            done = {f.kind for f, _ in copied}
            fresh.pending_failures = [f for f in fresh.pending_failures if f.kind not in done]
            # A restored vault has now been opened once: the copy of the vault it
            # replaced has done its job.
            safety, fresh.restore_safety_copy = fresh.restore_safety_copy, None
        if safety is not None:
            self._vaults.store.remove_restore_safety_copy(safety)
        expired = passwords.is_expired(user.password_changed_at, self._clock.now(), policy)
        return SignedIn(user, user.must_change_password or expired, kind == "recovery", codes_left)

    def _copy_pending_failures(self, vault: VaultFile) -> list[tuple[PendingFailure, User | None]]:
        """Failed attempts waiting in vault.json, with the user each one was for."""
        conn = self._session.database.conn
        by_tag = {
            keyslots.user_tag(vault.tag_key, u.username): u for u in UserRepository(conn).all()
        }
        pending = [f.kind for f in vault.pending_failures]
        already: set[str] = set()
        for start in range(0, len(pending), 500):  # only the ids waiting, through the index
            chunk = pending[start : start + 500]
            marks = ",".join("?" * len(chunk))
            already.update(
                str(r[0])
                for r in conn.execute(
                    "SELECT object_id FROM audit_event "  # noqa: S608 - placeholders only
                    f"WHERE object_type = 'sign_in_attempt' AND object_id IN ({marks})",
                    chunk,
                )
            )
        return [
            (f, by_tag.get(f.user_tag)) for f in vault.pending_failures if f.kind not in already
        ]

    def _idle_setting(self) -> int:
        value = SettingsRepository(self._session.database.conn).get("idle_timeout_seconds", 600)
        return int(value) if isinstance(value, int) else 600

    # Unlock ----------------------------------------------------------------------

    def verify_password(self, username: str, password: str, *, kind: str) -> bytes:
        """The database key if `password` is this user's; throttled and counted like a
        sign-in (used to unlock and to confirm a sensitive change)."""
        vault = self._vaults.load()
        tag = keyslots.user_tag(vault.tag_key, username)
        self._check_throttle(vault, tag)
        try:
            return self._vaults.unseal_user(vault, username, password)
        except WrongSecret:
            self._record_failure(tag, kind)
            raise AuthenticationFailed("That password is not right.") from None

    def forget_failures(self, username: str) -> None:
        with self._vaults.store.update() as vault:
            vault.throttle.pop(keyslots.user_tag(vault.tag_key, username), None)

    def unlock(self, password: str) -> User:
        """Back into a locked session with the same user's password."""
        user = self._session.user
        if self._session.state is not SessionState.LOCKED or user is None:
            raise SessionLocked
        db_key = self.verify_password(user.username, password, kind="unlock")
        db = self._vaults.open_database(db_key)
        self._session.resume(db, db_key)
        with self._session.transaction() as tx:
            tx.audit("unlock")
        self.forget_failures(user.username)
        return user

    # Recovery with the Emergency Kit ---------------------------------------------------

    def recover_account(
        self,
        recovery_key: str,
        username: str,
        new_password: str,
        *,
        new_second_factor: bool = False,
    ) -> UserEnrolment | None:
        """Set a new password for `username` with the recovery key: unlocks the
        account, and re-binds a bound vault to this workstation's keyring."""
        vault = self._vaults.load()
        try:
            db_key = self._vaults.unseal_recovery(vault, recovery_key)
        except WrongSecret:
            self._record_failure("recovery", "recovery")
            raise AuthenticationFailed(RECOVERY_FAILED) from None
        db = self._vaults.open_database(db_key)
        try:
            self._vaults.migrate(db)
            users = UserRepository(db.conn)
            user = users.find(username)
            if user is None or user.status is not UserStatus.ACTIVE:
                raise InvalidInput("There is no active user with that username.")
            check_new_password(db.conn, user, new_password)
            if vault.workstation_binding:
                self._rebind(vault, db)
            now = self._clock.now()
            enrolment = None
            log = AuditLog(db.conn, audit_key(db_key))
            with self._vaults.store.update() as fresh:
                self._vaults.seal_user_slot(fresh, db_key, user.username, new_password)
                with db.transaction() as conn:
                    users = UserRepository(conn)
                    user = users.password_changed(user, now, must_change=False)
                    users.remember_password(user.id, passwords.hash_for_history(new_password), now)
                    if new_second_factor:
                        secret, uri, codes = enrol_user(users, user.id, user.username)
                        enrolment = UserEnrolment(user, uri, secret, codes)
                    anchor = log.append(
                        at=now, action="account_recovered", actor=user, reason="recovery key"
                    )
                fresh.throttle.pop(keyslots.user_tag(fresh.tag_key, user.username), None)
                fresh.throttle.pop("recovery", None)
                if fresh.audit_anchor is None or anchor.seq > fresh.audit_anchor.seq:
                    fresh.audit_anchor = anchor
            return enrolment
        finally:
            db.close()

    def _rebind(self, vault: VaultFile, db: Database) -> None:
        """Put the vault's workstation secret (kept in the database) into this
        workstation's keyring, replacing a missing, damaged or different one."""
        stored = SettingsRepository(db.conn).get("workstation_secret")
        if not isinstance(stored, str):
            raise InvalidInput("This practice's workstation key is missing from its database.")
        secret = bytes.fromhex(stored)
        try:
            if self._vaults.keyring.load(vault.vault_id) == secret:
                return
        except WorkstationSecretMissing:
            pass  # a damaged entry: overwritten below
        self._vaults.keyring.store(vault.vault_id, secret)
