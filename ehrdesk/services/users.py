"""The practice's users (owner only) and each person's own account.

Adding a user adds a key slot; disabling one deletes it; a password reset reseals one
slot. Each change and its audit event commit together; vault.json is rewritten under
its lock around the transaction, so the slot and the row agree.
"""

from __future__ import annotations

import os

from ehrdesk.core.clock import Clock
from ehrdesk.core.errors import AuthenticationFailed, InvalidInput, NotFound
from ehrdesk.core.models import Role, ThrottleStatus, User, UserEnrolment, UserStatus
from ehrdesk.core.permissions import Action
from ehrdesk.security import keyslots, passwords, totp
from ehrdesk.services.auth import Auth, check_new_password
from ehrdesk.services.guard import requires
from ehrdesk.services.session import Session
from ehrdesk.services.vault import ISSUER, Vaults, enrol_user, validate_name, validate_username
from ehrdesk.storage.users import UserRepository


class UserAdmin:
    def __init__(self, session: Session, vaults: Vaults, auth: Auth, clock: Clock) -> None:
        self._session = session
        self._vaults = vaults
        self._auth = auth
        self._clock = clock

    def _find(self, users: UserRepository, username: str) -> User:
        user = users.find(username)
        if user is None:
            raise NotFound("There is no user with that username.")
        return user

    @requires(Action.VIEW_USERS)
    def list_users(self) -> list[tuple[User, ThrottleStatus]]:
        users = UserRepository(self._session.database.conn).all()
        statuses = self._auth.throttle_statuses([u.username for u in users])
        return [(u, statuses[u.username]) for u in users]

    @requires(Action.MANAGE_USERS)
    def add_user(
        self, username: str, full_name: str, role: Role, initial_password: str
    ) -> UserEnrolment:
        username = validate_username(username)
        full_name = validate_name(full_name, "full name")
        now = self._clock.now()
        db_key = self._session.reauthenticate_key()
        with self._vaults.store.update() as vault, self._session.transaction() as tx:
            users = UserRepository(tx.conn)
            user = users.add(
                username=username,
                full_name=full_name,
                role=role,
                totp_secret="",
                recovery_salt=os.urandom(16),
                now=now,
                must_change_password=True,
            )
            check_new_password(tx.conn, user, initial_password)
            secret, uri, codes = enrol_user(users, user.id, user.username)
            users.remember_password(user.id, passwords.hash_for_history(initial_password), now)
            tx.audit("user_added", object_type="user", object_id=str(user.id), reason=role.value)
            self._vaults.seal_user_slot(vault, db_key, user.username, initial_password)
        return UserEnrolment(user, uri, secret, codes)

    @requires(Action.MANAGE_USERS)
    def disable_user(self, username: str) -> User:
        with self._vaults.store.update() as vault, self._session.transaction() as tx:
            users = UserRepository(tx.conn)
            user = self._find(users, username)
            if user.id == self._session.current_user().id:
                raise InvalidInput("You cannot disable your own account.")
            user = users.set_status(user, UserStatus.DISABLED)
            tx.audit("user_disabled", object_type="user", object_id=str(user.id))
            vault.remove_user_slot(keyslots.user_tag(vault.tag_key, user.username))
        return user

    @requires(Action.MANAGE_USERS)
    def unlock_user(self, username: str) -> User:
        with self._vaults.store.update() as vault, self._session.transaction() as tx:
            user = self._find(UserRepository(tx.conn), username)
            tx.audit("user_unlocked", object_type="user", object_id=str(user.id))
            vault.throttle.pop(keyslots.user_tag(vault.tag_key, user.username), None)
        return user

    @requires(Action.MANAGE_USERS)
    def reset_password(self, username: str, new_password: str) -> User:
        """Give a user a temporary password they must change at their next sign-in."""
        now = self._clock.now()
        db_key = self._session.reauthenticate_key()
        with self._vaults.store.update() as vault, self._session.transaction() as tx:
            users = UserRepository(tx.conn)
            user = self._find(users, username)
            if user.status is not UserStatus.ACTIVE:
                raise InvalidInput("That account is disabled.")
            check_new_password(tx.conn, user, new_password)
            user = users.password_changed(user, now, must_change=True)
            users.remember_password(user.id, passwords.hash_for_history(new_password), now)
            tx.audit("password_reset", object_type="user", object_id=str(user.id))
            self._vaults.seal_user_slot(vault, db_key, user.username, new_password)
            vault.throttle.pop(keyslots.user_tag(vault.tag_key, user.username), None)
        return user

    @requires(Action.MANAGE_USERS)
    def set_role(self, username: str, role: Role) -> User:
        with self._session.transaction() as tx:
            users = UserRepository(tx.conn)
            user = self._find(users, username)
            owners = [
                u for u in users.all() if u.role is Role.OWNER and u.status is UserStatus.ACTIVE
            ]
            if user.role is Role.OWNER and role is not Role.OWNER and len(owners) == 1:
                raise InvalidInput("The practice needs at least one owner.")
            user = users.set_role(user, role)
            tx.audit("role_changed", object_type="user", object_id=str(user.id), reason=role.value)
        if user.id == self._session.current_user().id:
            self._session.replace_user(user)  # permissions follow at once
        return user


class Account:
    """What every signed-in person may do to their own account."""

    def __init__(self, session: Session, vaults: Vaults, auth: Auth, clock: Clock) -> None:
        self._session = session
        self._vaults = vaults
        self._auth = auth
        self._clock = clock
        self._pending_secret: tuple[int, str] | None = None

    def _confirm_password(self, password: str) -> None:
        user = self._session.current_user()
        key = self._auth.verify_password(user.username, password, kind="confirm_password")
        if key != self._session.reauthenticate_key():
            raise AuthenticationFailed("That password is not right.")
        self._auth.forget_failures(user.username)

    @requires(Action.VIEW_OWN_ACCOUNT)
    def me(self) -> User:
        return self._session.current_user()

    @requires(Action.CHANGE_OWN_PASSWORD)
    def change_password(self, current_password: str, new_password: str) -> User:
        self._confirm_password(current_password)
        now = self._clock.now()
        db_key = self._session.reauthenticate_key()
        with self._vaults.store.update() as vault, self._session.transaction() as tx:
            users = UserRepository(tx.conn)
            user = users.get(self._session.current_user().id)
            check_new_password(tx.conn, user, new_password)
            user = users.password_changed(user, now, must_change=False)
            users.remember_password(user.id, passwords.hash_for_history(new_password), now)
            tx.audit("password_changed", object_type="user", object_id=str(user.id))
            self._vaults.seal_user_slot(vault, db_key, user.username, new_password)
        self._session.replace_user(user)
        return user

    @requires(Action.REENROL_OWN_SECOND_FACTOR)
    def start_second_factor(self, current_password: str) -> tuple[str, str]:
        """A new TOTP secret and its otpauth:// URI; nothing changes until confirmed."""
        self._confirm_password(current_password)
        user = self._session.current_user()
        secret = totp.new_secret()
        # Only a secret handed out here, after the password, can be finished: someone
        # at an unlocked screen cannot move the second factor to their own phone.
        self._pending_secret = (user.id, secret)
        return secret, totp.provisioning_uri(secret, user.username, ISSUER)

    @requires(Action.REENROL_OWN_SECOND_FACTOR)
    def finish_second_factor(self, secret: str, code: str) -> tuple[str, ...]:
        """Switch to the new secret once a code from it is typed; new recovery codes."""
        user = self._session.current_user()
        if self._pending_secret != (user.id, secret):
            raise InvalidInput("Please start again by entering your password.")
        step = totp.verify_code(secret, code, self._clock.now(), None)
        if step is None:
            raise InvalidInput("That code does not match; check the authenticator app's clock.")
        with self._session.transaction() as tx:
            users = UserRepository(tx.conn)
            _, _, codes = enrol_user(users, user.id, user.username, secret=secret)
            users.accept_totp_step(user.id, step)
            tx.audit("second_factor_enrolled", object_type="user", object_id=str(user.id))
        self._pending_secret = None
        return codes
