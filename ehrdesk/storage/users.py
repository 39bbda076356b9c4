"""Users, their second factor and recovery codes, password history, practice settings."""

from __future__ import annotations

import json
from datetime import datetime

from ehrdesk.core.errors import ConcurrentEditError, InvalidInput, NotFound
from ehrdesk.core.models import Role, User, UserStatus
from ehrdesk.security.keyslots import canonical_username
from ehrdesk.security.passwords import PasswordPolicy, policy_fingerprint
from ehrdesk.storage.audit import format_time
from ehrdesk.storage.database import Connection
from ehrdesk.storage.safeguards import PasswordPolicyChecks

_USER_COLUMNS = (
    "id, username, full_name, role, status, created_at, password_changed_at, "
    "must_change_password, row_version"
)


def _user(row: tuple[object, ...]) -> User:
    uid, username, full_name, role, status, created, changed, must_change, version = row
    return User(
        id=int(str(uid)),
        username=str(username),
        full_name=str(full_name),
        role=Role(str(role)),
        status=UserStatus(str(status)),
        created_at=datetime.fromisoformat(str(created)),
        password_changed_at=datetime.fromisoformat(str(changed)),
        must_change_password=bool(must_change),
        row_version=int(str(version)),
    )


class UserRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(
        self,
        *,
        username: str,
        full_name: str,
        role: Role,
        totp_secret: str,
        recovery_salt: bytes,
        now: datetime,
        must_change_password: bool = False,
    ) -> User:
        key = canonical_username(username)
        if self._conn.execute("SELECT 1 FROM user WHERE username_key = ?", (key,)).fetchone():
            raise InvalidInput("That username is already taken.")
        stamp = format_time(now)
        cur = self._conn.execute(
            "INSERT INTO user (username, username_key, full_name, role, totp_secret, "
            "recovery_salt, created_at, password_changed_at, must_change_password) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                username,
                key,
                full_name,
                role.value,
                totp_secret,
                recovery_salt,
                stamp,
                stamp,
                int(must_change_password),
            ),
        )
        return self.get(int(cur.lastrowid))

    def get(self, user_id: int) -> User:
        row = self._conn.execute(
            f"SELECT {_USER_COLUMNS} FROM user WHERE id = ?",  # noqa: S608
            (user_id,),
        ).fetchone()
        if row is None:
            raise NotFound("That user does not exist.")
        return _user(row)

    def find(self, username: str) -> User | None:
        row = self._conn.execute(
            f"SELECT {_USER_COLUMNS} FROM user WHERE username_key = ?",  # noqa: S608
            (canonical_username(username),),
        ).fetchone()
        return None if row is None else _user(row)

    def all(self) -> list[User]:
        rows = self._conn.execute(
            f"SELECT {_USER_COLUMNS} FROM user ORDER BY username_key"  # noqa: S608
        ).fetchall()
        return [_user(r) for r in rows]

    def usernames(self) -> list[str]:
        return [str(r[0]) for r in self._conn.execute("SELECT username FROM user")]

    def _update(self, user: User, assignments: str, values: tuple[object, ...]) -> User:
        cur = self._conn.execute(
            f"UPDATE user SET {assignments}, row_version = row_version + 1 "  # noqa: S608
            "WHERE id = ? AND row_version = ?",
            (*values, user.id, user.row_version),
        )
        if cur.rowcount != 1:
            raise ConcurrentEditError
        return self.get(user.id)

    def set_status(self, user: User, status: UserStatus) -> User:
        return self._update(user, "status = ?", (status.value,))

    def set_role(self, user: User, role: Role) -> User:
        return self._update(user, "role = ?", (role.value,))

    def password_changed(self, user: User, now: datetime, *, must_change: bool) -> User:
        return self._update(
            user,
            "password_changed_at = ?, must_change_password = ?",
            (format_time(now), int(must_change)),
        )

    # Second factor -------------------------------------------------------------

    def totp(self, user_id: int) -> tuple[str, int | None]:
        row = self._conn.execute(
            "SELECT totp_secret, totp_last_step FROM user WHERE id = ?", (user_id,)
        ).fetchone()
        if row is None:
            raise NotFound("That user does not exist.")
        return str(row[0]), None if row[1] is None else int(row[1])

    def accept_totp_step(self, user_id: int, step: int) -> None:
        self._conn.execute("UPDATE user SET totp_last_step = ? WHERE id = ?", (step, user_id))

    def set_totp_secret(self, user_id: int, secret: str) -> None:
        self._conn.execute(
            "UPDATE user SET totp_secret = ?, totp_last_step = NULL WHERE id = ?", (secret, user_id)
        )

    def recovery_salt(self, user_id: int) -> bytes:
        row = self._conn.execute(
            "SELECT recovery_salt FROM user WHERE id = ?", (user_id,)
        ).fetchone()
        return bytes(row[0])

    def replace_recovery_codes(self, user_id: int, hashes: list[bytes]) -> None:
        self._conn.execute("DELETE FROM recovery_code WHERE user_id = ?", (user_id,))
        self._conn.executemany(
            "INSERT INTO recovery_code (user_id, code_hash) VALUES (?, ?)",
            [(user_id, h) for h in hashes],
        )

    def unused_recovery_code(self, user_id: int, code_hash: bytes) -> int | None:
        row = self._conn.execute(
            "SELECT id FROM recovery_code WHERE user_id = ? AND code_hash = ? AND used_at IS NULL",
            (user_id, code_hash),
        ).fetchone()
        return None if row is None else int(row[0])

    def use_recovery_code(self, code_id: int, now: datetime) -> None:
        self._conn.execute(
            "UPDATE recovery_code SET used_at = ? WHERE id = ?", (format_time(now), code_id)
        )

    def recovery_codes_left(self, user_id: int) -> int:
        row = self._conn.execute(
            "SELECT count(*) FROM recovery_code WHERE user_id = ? AND used_at IS NULL", (user_id,)
        ).fetchone()
        return int(row[0])

    # Password history -----------------------------------------------------------

    def password_history(self, user_id: int, count: int) -> list[str]:
        if count <= 0:
            return []
        rows = self._conn.execute(
            "SELECT hash FROM password_history WHERE user_id = ? ORDER BY id DESC LIMIT ?",
            (user_id, count),
        )
        return [str(r[0]) for r in rows]

    def remember_password(self, user_id: int, hashed: str, now: datetime) -> None:
        """Called at every password set, after the policy accepted the password: keeps
        its hash for the history rule and records which policy it passed (the
        security check compares that with today's policy)."""
        self._conn.execute(
            "INSERT INTO password_history (user_id, hash, created_at) VALUES (?, ?, ?)",
            (user_id, hashed, format_time(now)),
        )
        raw = SettingsRepository(self._conn).get("password_policy", {})
        policy = PasswordPolicy.from_json(raw if isinstance(raw, dict) else {})
        PasswordPolicyChecks(self._conn).record(user_id, policy_fingerprint(policy), now)


class SettingsRepository:
    """Practice settings as JSON values under a name."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, name: str, default: object = None) -> object:
        row = self._conn.execute(
            "SELECT value FROM practice_setting WHERE name = ?", (name,)
        ).fetchone()
        return default if row is None else json.loads(row[0])

    def set(self, name: str, value: object) -> None:
        self._conn.execute(
            "INSERT INTO practice_setting (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, json.dumps(value)),
        )
