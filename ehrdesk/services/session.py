"""The signed-in session: a small state machine driven by an injected clock.

    SIGNED_OUT ──sign in──▶ SIGNED_IN ──idle / Ctrl+L / OS lock──▶ LOCKED
        ▲                      │  ▲                                  │
        └──sign out / 12 h─────┘  └───────────unlock (password)──────┘

Locking first publishes `session.locking` while the connection is still open, so an
editor saves its draft (a lock loses at most the seconds since the last keystroke);
then it waits for a running write to finish, writes the `lock` audit event, closes the
database connection and drops the key; subscribers to `session.locked` clear every
view that showed client data. The UI only reports activity (`touch`) and asks the
clock questions (`check_timers`); this class decides.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ehrdesk import crashlog
from ehrdesk.core.clock import Clock
from ehrdesk.core.errors import SessionLocked
from ehrdesk.core.events import EventBus
from ehrdesk.core.models import User
from ehrdesk.security.subkeys import audit_key
from ehrdesk.storage.audit import AuditLog, AuditRecord
from ehrdesk.storage.database import Connection, Database
from ehrdesk.storage.vault_file import AuditAnchor, VaultStore

DEFAULT_IDLE_SECONDS = 10 * 60
MIN_IDLE_SECONDS = 60
MAX_IDLE_SECONDS = 60 * 60
ABSOLUTE_LIMIT_SECONDS = 12 * 60 * 60


class SessionState(StrEnum):
    SIGNED_OUT = "signed_out"
    SIGNED_IN = "signed_in"
    LOCKED = "locked"


class _SessionUser:
    """Marker: the event is the signed-in user's."""


SESSION_USER = _SessionUser()


@dataclass
class Transaction:
    """What a use case gets inside `Session.transaction()`: the connection and a way
    to write audit events that belong to the same transaction."""

    conn: Connection
    _log: AuditLog
    _session: Session
    newest: AuditAnchor | None = None

    def audit(
        self,
        action: str,
        *,
        object_type: str | None = None,
        object_id: str | None = None,
        reason: str | None = None,
        at: datetime | None = None,
        user: User | _SessionUser | None = SESSION_USER,
    ) -> None:
        """Append one event; by default it names the signed-in user. Pass `user=None`
        for an event with no known person (a failed sign-in for an unknown name)."""
        actor = self._session.user if isinstance(user, _SessionUser) else user
        self.newest = self._log.append(
            at=at or self._session.clock.now(),
            action=action,
            actor=actor,
            object_type=object_type,
            object_id=object_id,
            reason=reason,
        )

    def audit_many(self, records: Iterable[AuditRecord]) -> None:
        """Append many events at once, chained exactly as `audit` would chain them
        (bulk work: the demo generator)."""
        newest = self._log.append_many(records)
        if newest is not None:
            self.newest = newest


class Session:
    def __init__(self, store: VaultStore, clock: Clock, events: EventBus) -> None:
        self.store = store
        self.clock = clock
        self.events = events
        self.state = SessionState.SIGNED_OUT
        self.user: User | None = None
        self.idle_seconds = DEFAULT_IDLE_SECONDS
        #: Set only by app.py from the end-to-end tests' one setting; see TEST_IDLE_SETTING.
        self.idle_override_seconds: int | None = None
        self._db: Database | None = None
        self._db_key: bytearray | None = None
        self._signed_in_at = 0.0
        self._last_activity = 0.0

    # Starting and ending -------------------------------------------------------

    def start(self, db: Database, db_key: bytes, user: User) -> None:
        """Begin a session for `user` over an open database (called by auth)."""
        if self._db is not None:
            self._close()
        self._db, self._db_key, self.user = db, bytearray(db_key), user
        self._signed_in_at = self._last_activity = self.clock.monotonic()
        self.state = SessionState.SIGNED_IN
        self.events.publish("session.signed_in", user=user)

    def resume(self, db: Database, db_key: bytes) -> None:
        """Unlock: the same user, a fresh connection."""
        if self.state is not SessionState.LOCKED:
            raise SessionLocked
        self._db, self._db_key = db, bytearray(db_key)
        self._last_activity = self.clock.monotonic()
        self.state = SessionState.SIGNED_IN
        self.events.publish("session.unlocked", user=self.user)

    def lock(self, reason: str = "manual") -> None:
        if self.state is not SessionState.SIGNED_IN:
            return
        self._announce_locking(reason)
        with self.transaction() as tx:
            tx.audit("lock", reason=reason)
        self._close()
        self.state = SessionState.LOCKED
        self.events.publish("session.locked", reason=reason)

    def sign_out(self, reason: str = "sign_out") -> None:
        if self.state is SessionState.SIGNED_IN:
            self._announce_locking(reason)
            with self.transaction() as tx:
                tx.audit("sign_out", reason=reason)
        was_locked = self.state is SessionState.LOCKED
        self._close()
        self.state = SessionState.SIGNED_OUT
        self.user = None
        if not was_locked:
            self.events.publish("session.locked", reason=reason)
        self.events.publish("session.signed_out", reason=reason)

    def _announce_locking(self, reason: str) -> None:
        """Subscribers save what they hold, on this thread, while the database is open.
        One that fails is recorded and the lock goes on: locking matters more."""
        try:
            self.events.publish("session.locking", reason=reason)
        except Exception as error:
            crashlog.record(error)

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()  # waits for a running write: Database.close takes its lock
        self._db = None
        if self._db_key is not None:
            self._db_key[:] = bytes(len(self._db_key))
        self._db_key = None

    # Timers --------------------------------------------------------------------

    def touch(self) -> None:
        """The person did something: restart the idle timer."""
        if self.state is SessionState.SIGNED_IN:
            self._last_activity = self.clock.monotonic()

    def seconds_until_lock(self) -> float:
        now = self.clock.monotonic()
        idle_left = self.idle_seconds - (now - self._last_activity)
        absolute_left = ABSOLUTE_LIMIT_SECONDS - (now - self._signed_in_at)
        return max(0.0, min(idle_left, absolute_left))

    def check_timers(self) -> SessionState:
        """Lock after the idle period; sign out after the absolute limit."""
        if self.state is SessionState.SIGNED_OUT:
            return self.state
        now = self.clock.monotonic()
        if now - self._signed_in_at >= ABSOLUTE_LIMIT_SECONDS:
            self.sign_out(reason="time_limit")
        elif (
            self.state is SessionState.SIGNED_IN and now - self._last_activity >= self.idle_seconds
        ):
            self.lock(reason="idle")
        return self.state

    def set_idle_seconds(self, seconds: int) -> None:
        if self.idle_override_seconds is not None:
            self.idle_seconds = self.idle_override_seconds
            return
        self.idle_seconds = max(MIN_IDLE_SECONDS, min(MAX_IDLE_SECONDS, int(seconds)))

    # Data access ---------------------------------------------------------------

    @property
    def database(self) -> Database:
        if self.state is not SessionState.SIGNED_IN or self._db is None:
            raise SessionLocked
        return self._db

    def current_user(self) -> User:
        if self.state is not SessionState.SIGNED_IN or self.user is None:
            raise SessionLocked
        return self.user

    def replace_user(self, user: User) -> None:
        """The signed-in user's own record changed (password, role)."""
        self.user = user

    def audit_log(self) -> AuditLog:
        if self._db_key is None:
            raise SessionLocked
        return AuditLog(self.database.conn, audit_key(bytes(self._db_key)))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One transaction; audit events written in it are anchored after commit."""
        db = self.database
        with db.transaction() as conn:
            tx = Transaction(conn, self.audit_log(), self)
            yield tx
        if tx.newest is not None:
            self.anchor(tx.newest)

    def anchor(self, newest: AuditAnchor) -> None:
        with self.store.update() as vault:
            if vault.audit_anchor is None or newest.seq > vault.audit_anchor.seq:
                vault.audit_anchor = newest

    def reauthenticate_key(self) -> bytes:
        """The database key, for sealing a slot while signed in (password change)."""
        if self._db_key is None or self.state is not SessionState.SIGNED_IN:
            raise SessionLocked
        return bytes(self._db_key)
