"""Practice settings the owner changes: idle timeout and password policy."""

from __future__ import annotations

from ehrdesk.core.errors import InvalidInput
from ehrdesk.core.permissions import Action
from ehrdesk.security.passwords import PasswordPolicy
from ehrdesk.services.auth import password_policy
from ehrdesk.services.guard import requires
from ehrdesk.services.session import MAX_IDLE_SECONDS, MIN_IDLE_SECONDS, Session
from ehrdesk.storage.users import SettingsRepository


class PracticeSettings:
    def __init__(self, session: Session) -> None:
        self._session = session

    @requires(Action.VIEW_OWN_ACCOUNT)
    def practice_name(self) -> str:
        return str(SettingsRepository(self._session.database.conn).get("practice_name", ""))

    @requires(Action.VIEW_OWN_ACCOUNT)
    def password_policy(self) -> PasswordPolicy:
        return password_policy(self._session.database.conn)

    @requires(Action.EDIT_PRACTICE_SETTINGS)
    def set_password_policy(self, policy: PasswordPolicy) -> None:
        with self._session.transaction() as tx:
            SettingsRepository(tx.conn).set("password_policy", policy.to_json())
            tx.audit("settings_changed", object_type="setting", object_id="password_policy")

    @requires(Action.VIEW_OWN_ACCOUNT)
    def idle_timeout_minutes(self) -> int:
        return self._session.idle_seconds // 60

    @requires(Action.EDIT_PRACTICE_SETTINGS)
    def set_idle_timeout_minutes(self, minutes: int) -> None:
        low, high = MIN_IDLE_SECONDS // 60, MAX_IDLE_SECONDS // 60
        if not low <= minutes <= high:
            raise InvalidInput(f"The idle timeout is {low} to {high} minutes.")
        with self._session.transaction() as tx:
            SettingsRepository(tx.conn).set("idle_timeout_seconds", minutes * 60)
            tx.audit("settings_changed", object_type="setting", object_id="idle_timeout")
        self._session.set_idle_seconds(minutes * 60)
