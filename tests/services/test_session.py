"""The session state machine with a frozen clock: idle lock, absolute limit, events."""

from __future__ import annotations

import pytest

from ehrdesk.core.errors import AuthenticationFailed, SessionLocked
from ehrdesk.services.session import ABSOLUTE_LIMIT_SECONDS, SessionState
from tests.conftest import Practice


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []

    def locked(self, reason: str) -> None:
        self.seen.append(("locked", reason))

    def unlocked(self, user: object) -> None:
        self.seen.append(("unlocked", None))


def test_idle_timeout_locks_and_closes_the_database(practice: Practice) -> None:
    practice.sign_in()
    session = practice.services.session
    recorder = Recorder()
    practice.services.events.subscribe("session.locked", recorder.locked)
    db = session.database
    practice.clock.advance(9 * 60)
    assert session.check_timers() is SessionState.SIGNED_IN
    session.touch()
    practice.clock.advance(9 * 60)
    assert session.check_timers() is SessionState.SIGNED_IN  # activity restarted the timer
    practice.clock.advance(61)
    assert session.check_timers() is SessionState.LOCKED
    assert recorder.seen == [("locked", "idle")]
    assert not db.is_open
    with pytest.raises(SessionLocked):
        _ = session.database
    with pytest.raises(SessionLocked):
        practice.services.users.list_users()


def test_unlock_with_the_password_only(practice: Practice) -> None:
    practice.sign_in()
    session = practice.services.session
    session.lock()
    with pytest.raises(AuthenticationFailed):
        practice.services.auth.unlock("wrong password entirely")
    assert session.state is SessionState.LOCKED
    practice.services.auth.unlock(practice.passwords["owner"])
    assert session.state is SessionState.SIGNED_IN
    actions = [e.action for e in practice.services.audit.events(limit=100)]
    assert actions[-2:] == ["lock", "unlock"]


def test_the_absolute_limit_signs_out_even_when_active(practice: Practice) -> None:
    practice.sign_in()
    session = practice.services.session
    for _ in range(ABSOLUTE_LIMIT_SECONDS // 300):
        practice.clock.advance(300)
        session.touch()
        session.check_timers()
    assert session.state is SessionState.SIGNED_OUT
    assert session.user is None


def test_idle_timeout_is_clamped_and_stored(practice: Practice) -> None:
    practice.sign_in()
    settings = practice.services.settings
    settings.set_idle_timeout_minutes(3)
    assert practice.services.session.idle_seconds == 180
    practice.services.session.sign_out()
    practice.sign_in()
    assert practice.services.session.idle_seconds == 180
    for bad in (0, 61):
        with pytest.raises(Exception, match="1 to 60 minutes"):
            settings.set_idle_timeout_minutes(bad)


def test_switch_user_signs_the_first_out(practice: Practice, add_user) -> None:  # type: ignore[no-untyped-def]
    from ehrdesk.core.models import Role

    add_user("desk", Role.FRONT_DESK)
    practice.sign_in("owner")
    practice.services.session.lock()
    practice.sign_in("desk")
    assert practice.services.session.current_user().username == "desk"


def test_lock_waits_for_a_running_write(practice: Practice) -> None:
    """A write holds the database's write lock until it commits; lock() takes that lock
    first, so it never closes the connection under half a transaction."""
    import threading

    practice.sign_in()
    session = practice.services.session
    write_lock = session.database.write_lock
    entered, release = threading.Event(), threading.Event()
    order: list[str] = []

    def running_write() -> None:
        with write_lock:
            entered.set()
            release.wait(5)
            order.append("write done")

    writer = threading.Thread(target=running_write)
    writer.start()
    entered.wait(5)
    threading.Timer(0.3, release.set).start()
    session.lock()  # blocks until the write is done
    order.append("locked")
    writer.join(5)
    assert order == ["write done", "locked"]
    assert session.state is SessionState.LOCKED
