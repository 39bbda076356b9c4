"""The practice's users, as the owner manages them, and each person's own account.

Each test does one thing to a user through the services, then checks what a person
would notice (who can sign in, with what) and what the audit log says about it, and
that the audit chain still verifies.
"""

from __future__ import annotations

import contextlib
import json
import signal
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from ehrdesk.core.errors import (
    AccountLocked,
    AuthenticationFailed,
    InvalidInput,
    PasswordRejected,
    PermissionDenied,
    UserFacingError,
)
from ehrdesk.core.models import AuditEvent, Role, UserEnrolment, UserStatus
from ehrdesk.security import passwords, throttle, totp
from ehrdesk.security.passwords import PasswordPolicy
from ehrdesk.services.auth import SignedIn
from ehrdesk.services.registry import Services
from ehrdesk.services.session import SessionState

USER_PASSWORD = "meadow copper violin 2024 rain"  # what conftest's add_user gives
TEMPORARY_PASSWORD = "granite pelican whistle 5812 fog"
NEW_PASSWORD = "harbour saffron pencil 4471 dunes"
WRONG_PASSWORD = "this is not the password 1234"


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    def timed_out(signum: int, frame: object) -> None:
        raise TimeoutError(f"over {seconds:g} s: is something waiting on itself?")

    previous = signal.signal(signal.SIGALRM, timed_out)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(autouse=True)
def _fail_instead_of_hanging() -> Iterator[None]:
    """A deadlock (say, on vault.lock) fails the test instead of stalling the run."""
    with _deadline(10):
        yield


# Helpers -------------------------------------------------------------------------------


def _as_owner(practice: Any) -> Services:
    services: Services = practice.services
    session = services.session
    if session.state is SessionState.SIGNED_IN and session.user and session.user.role is Role.OWNER:
        return services
    if session.state is not SessionState.SIGNED_OUT:
        session.sign_out()
    practice.sign_in("owner")
    return services


def _events(practice: Any) -> list[AuditEvent]:
    return _as_owner(practice).audit.events(limit=100_000)


def _assert_audited(practice: Any, *expected: str) -> list[AuditEvent]:
    """`expected` actions appear in the log in this order, and the chain verifies."""
    events = _events(practice)
    actions = iter(e.action for e in events)
    missing = [a for a in expected if a not in actions]  # consumes: an ordered subsequence
    assert missing == [], f"not audited in order: {missing} in {[e.action for e in events]}"
    report = practice.services.audit.verify_chain()
    assert report.ok, report
    return events


def _assert_anchor_is_newest_event(practice: Any) -> None:
    """vault.json's audit anchor names the newest event (signed in as the owner)."""
    services: Services = practice.services
    newest = services.audit.events(limit=100_000)[-1]
    anchor = json.loads(services.vaults.store.vault_path.read_text())["audit_anchor"]
    assert (anchor["seq"], anchor["mac"]) == (newest.seq, newest.mac.hex())


def _user_slots(practice: Any) -> list[str]:
    vault = json.loads(practice.services.vaults.store.vault_path.read_text())
    return sorted(s["slot_id"] for s in vault["slots"] if s["kind"] == "user")


def _users(services: Services) -> dict[str, Any]:
    return {u.username: (u, t) for u, t in services.users.list_users()}


def _enrol(practice: Any, username: str, role: Role) -> UserEnrolment:
    """Like conftest's add_user, but keeps the enrolment (recovery codes and all)."""
    services = _as_owner(practice)
    enrolment = services.users.add_user(username, username.title(), role, USER_PASSWORD)
    services.session.sign_out()
    practice.secrets[username] = enrolment.totp_secret
    practice.passwords[username] = USER_PASSWORD
    return enrolment


def _sign_in_with(
    practice: Any, username: str, password: str, *, secret: str = "", code: str = ""
) -> SignedIn:
    """Sign in (signing out whoever is in) with a fresh code from `secret`, or `code`."""
    services: Services = practice.services
    if services.session.state is not SessionState.SIGNED_OUT:
        services.session.sign_out()
    practice.clock.advance(30)  # a TOTP code is accepted only once
    if secret:
        code = totp.current_code(secret, practice.clock.now())
    return services.auth.sign_in(username, password, code)


def _fresh_code(practice: Any, secret: str) -> str:
    practice.clock.advance(30)
    return totp.current_code(secret, practice.clock.now())


# Adding users ----------------------------------------------------------------------------


def test_the_owner_adds_a_clinician_and_a_front_desk_user(practice: Any) -> None:
    services = _as_owner(practice)
    added: dict[str, UserEnrolment] = {}
    for username, role in (("carla", Role.CLINICIAN), ("frank", Role.FRONT_DESK)):
        slots = _user_slots(practice)
        enrolment = services.users.add_user(
            username, f"{username.title()} Smith", role, USER_PASSWORD
        )
        added[username] = enrolment

        assert enrolment.user.username == username
        assert enrolment.user.role is role
        assert enrolment.user.status is UserStatus.ACTIVE
        assert enrolment.user.must_change_password is True
        uri = urlparse(enrolment.totp_uri)
        assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
        assert username in unquote(uri.path)
        query = parse_qs(uri.query)
        assert query["secret"] == [enrolment.totp_secret]
        assert query["issuer"] == ["ehrdesk"]
        assert len(enrolment.recovery_codes) == 10
        assert len(set(enrolment.recovery_codes)) == 10
        assert all(totp.looks_like_recovery_code(c) for c in enrolment.recovery_codes)
        assert len(_user_slots(practice)) == len(slots) + 1
        _assert_anchor_is_newest_event(practice)
    assert {"owner", "carla", "frank"} == set(_users(services))

    for username, enrolment in added.items():
        secret = parse_qs(urlparse(enrolment.totp_uri).query)["secret"][0]
        signed = _sign_in_with(practice, username, USER_PASSWORD, secret=secret)
        assert signed.user.username == username
        assert signed.user.role is enrolment.user.role
        assert signed.password_change_required is True  # the owner chose this password
        assert signed.used_recovery_code is False
        assert signed.recovery_codes_left == 10
    practice.services.session.sign_out()
    assert practice.sign_in("owner").password_change_required is False  # chose their own

    events = _assert_audited(practice, "user_added", "user_added", "sign_in", "sign_in")
    added_events = [(e.object_id, e.reason) for e in events if e.action == "user_added"]
    assert (str(added["carla"].user.id), "clinician") in added_events
    assert (str(added["frank"].user.id), "front_desk") in added_events


@pytest.mark.parametrize("clash", ["carla", "CARLA", "Carla ", "\uff43\uff41\uff52\uff4c\uff41"])
def test_usernames_are_unique_ignoring_case_and_width(
    practice: Any, add_user: Callable[..., None], clash: str
) -> None:
    add_user("carla", Role.CLINICIAN)
    services = _as_owner(practice)
    users, slots = _users(services), _user_slots(practice)

    with pytest.raises(InvalidInput, match="already taken"):
        services.users.add_user(clash, "Another Person", Role.FRONT_DESK, NEW_PASSWORD)

    assert _users(services).keys() == users.keys()
    assert _user_slots(practice) == slots
    # The same NFKC, case-folded name signs carla in.
    signed = _sign_in_with(practice, clash, USER_PASSWORD, secret=practice.secrets["carla"])
    assert signed.user.username == "carla"
    events = _assert_audited(practice, "user_added")
    assert [e.action for e in events].count("user_added") == 2  # the owner's and carla's


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Tk7#qpz2", "too short"),
        ("password1234", passwords.REASON_TOO_COMMON),
        ("Nina Newcomer river 88 rowing", passwords.REASON_CONTEXT),
    ],
    ids=["too-short", "common", "own-name"],
)
def test_a_weak_initial_password_is_refused_and_nothing_is_added(
    practice: Any, password: str, reason: str
) -> None:
    services = _as_owner(practice)
    users = _users(services)
    vault_bytes = services.vaults.store.vault_path.read_bytes()

    with pytest.raises(PasswordRejected) as refused:
        services.users.add_user("nina", "Nina Newcomer", Role.CLINICIAN, password)

    assert any(reason in r for r in refused.value.reasons), refused.value.reasons
    assert _users(services).keys() == users.keys()
    assert services.vaults.store.vault_path.read_bytes() == vault_bytes  # no new key slot
    assert "user_added" not in [e.action for e in _events(practice)[2:]]  # past the owner's
    # Nothing half-made is left behind: the name is still free.
    services.users.add_user("nina", "Nina Newcomer", Role.CLINICIAN, NEW_PASSWORD)
    assert "nina" in _users(services)


# Disabling, roles, unlocking -----------------------------------------------------------


def test_a_disabled_user_loses_their_key_slot_and_cannot_sign_in(
    practice: Any, add_user: Callable[..., None]
) -> None:
    add_user("carla", Role.CLINICIAN)
    add_user("frank", Role.FRONT_DESK)
    services = _as_owner(practice)
    slots = _user_slots(practice)
    carla_id = _users(services)["carla"][0].id

    disabled = services.users.disable_user("carla")

    assert disabled.status is UserStatus.DISABLED
    remaining = _user_slots(practice)
    assert set(remaining) < set(slots)  # one slot gone, the others untouched
    assert len(remaining) == len(slots) - 1
    _assert_anchor_is_newest_event(practice)
    services.session.sign_out()
    with pytest.raises(AuthenticationFailed) as refused:
        practice.sign_in("carla")  # the right password and a fresh code
    with pytest.raises(AuthenticationFailed) as wrong_password:
        practice.sign_in("frank", password=WRONG_PASSWORD)
    assert str(refused.value) == str(wrong_password.value)  # says nothing about why

    services = _as_owner(practice)
    assert _users(services)["carla"][0].status is UserStatus.DISABLED
    events = _assert_audited(practice, "user_disabled", "sign_in_failed")
    assert ("user_disabled", str(carla_id)) in [(e.action, e.object_id) for e in events]


def test_the_owner_cannot_disable_themselves(practice: Any) -> None:
    services = _as_owner(practice)
    slots = _user_slots(practice)

    with pytest.raises(InvalidInput):
        services.users.disable_user("owner")

    assert services.account.me().status is UserStatus.ACTIVE
    assert _user_slots(practice) == slots
    services.session.sign_out()
    practice.sign_in("owner")
    assert "user_disabled" not in [e.action for e in _assert_audited(practice, "sign_in")]


def test_the_last_owner_cannot_be_demoted(practice: Any, add_user: Callable[..., None]) -> None:
    add_user("oscar", Role.OWNER)
    services = _as_owner(practice)

    # A disabled owner does not count as a second one.
    services.users.disable_user("oscar")
    for role in (Role.CLINICIAN, Role.FRONT_DESK):
        with pytest.raises(InvalidInput, match="at least one owner"):
            services.users.set_role("owner", role)
    assert _users(services)["owner"][0].role is Role.OWNER

    # With two active owners, one of them may be demoted.
    add_user("olga", Role.OWNER)
    services = _as_owner(practice)
    olga = services.users.set_role("olga", Role.CLINICIAN)
    assert olga.role is Role.CLINICIAN
    with pytest.raises(InvalidInput, match="at least one owner"):
        services.users.set_role("owner", Role.CLINICIAN)

    events = _assert_audited(practice, "user_disabled", "role_changed")
    assert [(e.object_id, e.reason) for e in events if e.action == "role_changed"] == [
        (str(olga.id), "clinician")
    ]


def test_demoting_yourself_takes_effect_in_your_own_session(
    practice: Any, add_user: Callable[..., None]
) -> None:
    add_user("olga", Role.OWNER)
    services = _as_owner(practice)

    services.users.set_role("owner", Role.CLINICIAN)

    assert services.account.me().role is Role.CLINICIAN
    with pytest.raises(PermissionDenied):
        services.users.list_users()


def test_ten_failures_lock_an_account_until_the_owner_unlocks_it(
    practice: Any, add_user: Callable[..., None]
) -> None:
    add_user("carla", Role.CLINICIAN)
    auth = practice.services.auth
    for _ in range(throttle.LOCK_AFTER):
        practice.clock.advance(3600)  # past every delay, so each try is a real one
        with pytest.raises(AuthenticationFailed):
            auth.sign_in("carla", WRONG_PASSWORD, "123456")
    practice.clock.advance(3600)
    with pytest.raises(AccountLocked):
        practice.sign_in("carla")  # even the right password and code

    services = _as_owner(practice)
    carla, status = _users(services)["carla"]
    assert (status.locked, status.failures) == (True, throttle.LOCK_AFTER)
    services.users.unlock_user("carla")
    _assert_anchor_is_newest_event(practice)
    assert _users(services)["carla"][1].locked is False

    services.session.sign_out()
    assert practice.sign_in("carla").user.username == "carla"
    events = _assert_audited(practice, "sign_in_failed", "user_unlocked", "sign_in")
    failed_for_carla = [e for e in events if e.action == "sign_in_failed" and e.user_id == carla.id]
    assert len(failed_for_carla) == throttle.LOCK_AFTER


# Passwords ---------------------------------------------------------------------------------


def test_a_password_reset_must_be_changed_and_the_old_password_stops_working(
    practice: Any, add_user: Callable[..., None]
) -> None:
    add_user("carla", Role.CLINICIAN)
    services = _as_owner(practice)

    user = services.users.reset_password("carla", TEMPORARY_PASSWORD)

    assert user.must_change_password is True
    _assert_anchor_is_newest_event(practice)
    services.session.sign_out()
    with pytest.raises(AuthenticationFailed):
        practice.sign_in("carla", password=USER_PASSWORD)
    signed = practice.sign_in("carla", password=TEMPORARY_PASSWORD)
    assert signed.password_change_required is True
    _assert_audited(practice, "password_reset", "sign_in_failed", "sign_in")


def test_changing_your_own_password(practice: Any, add_user: Callable[..., None]) -> None:
    add_user("carla", Role.CLINICIAN)
    _as_owner(practice).settings.set_password_policy(PasswordPolicy(history_count=3))
    practice.services.session.sign_out()
    practice.sign_in("carla")
    account = practice.services.account

    with pytest.raises(AuthenticationFailed):
        account.change_password(WRONG_PASSWORD, NEW_PASSWORD)
    assert account.me().must_change_password is True
    with pytest.raises(PasswordRejected):
        account.change_password(USER_PASSWORD, "password1234")

    changed = account.change_password(USER_PASSWORD, NEW_PASSWORD)
    assert changed.must_change_password is False
    assert account.me().must_change_password is False
    for earlier in (USER_PASSWORD, NEW_PASSWORD):  # both within the last three
        with pytest.raises(PasswordRejected, match="not used"):
            account.change_password(NEW_PASSWORD, earlier)

    practice.services.session.sign_out()
    with pytest.raises(AuthenticationFailed):
        practice.sign_in("carla", password=USER_PASSWORD)
    signed = practice.sign_in("carla", password=NEW_PASSWORD)
    assert signed.password_change_required is False
    events = _assert_audited(practice, "settings_changed", "password_changed", "sign_in")
    assert [e.action for e in events].count("password_changed") == 1


# Second factor ----------------------------------------------------------------------------


def test_re_enrolling_the_second_factor(practice: Any) -> None:
    old = _enrol(practice, "carla", Role.CLINICIAN)
    practice.sign_in("carla")
    account = practice.services.account

    with pytest.raises(AuthenticationFailed):
        account.start_second_factor(WRONG_PASSWORD)
    secret, uri = account.start_second_factor(USER_PASSWORD)
    assert secret != old.totp_secret
    assert parse_qs(urlparse(uri).query)["secret"] == [secret]
    with pytest.raises(InvalidInput):
        account.finish_second_factor(secret, _fresh_code(practice, old.totp_secret))

    codes = account.finish_second_factor(secret, _fresh_code(practice, secret))

    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert not set(codes) & set(old.recovery_codes)
    practice.services.session.sign_out()
    with pytest.raises(AuthenticationFailed):
        _sign_in_with(practice, "carla", USER_PASSWORD, secret=old.totp_secret)
    with pytest.raises(AuthenticationFailed):
        _sign_in_with(practice, "carla", USER_PASSWORD, code=old.recovery_codes[0])
    signed = _sign_in_with(practice, "carla", USER_PASSWORD, secret=secret)
    assert signed.recovery_codes_left == 10
    signed = _sign_in_with(practice, "carla", USER_PASSWORD, code=codes[0])
    assert signed.used_recovery_code is True
    _assert_audited(practice, "second_factor_enrolled", "sign_in_failed", "sign_in")


def test_finishing_a_second_factor_needs_a_secret_from_start(practice: Any) -> None:
    """`start_second_factor` asks for the password so that someone at an unlocked screen
    cannot switch the second factor to their own phone; calling `finish_second_factor`
    with a secret of their own choosing must not get round that."""
    old = _enrol(practice, "carla", Role.CLINICIAN)
    practice.sign_in("carla")
    strangers = totp.new_secret()

    with pytest.raises(UserFacingError):
        practice.services.account.finish_second_factor(strangers, _fresh_code(practice, strangers))

    with pytest.raises(AuthenticationFailed):
        _sign_in_with(practice, "carla", USER_PASSWORD, secret=strangers)
    assert _sign_in_with(practice, "carla", USER_PASSWORD, secret=old.totp_secret)
    events = _assert_audited(practice, "sign_in_failed", "sign_in")
    assert "second_factor_enrolled" not in [e.action for e in events]


def test_a_recovery_code_works_once_at_sign_in(practice: Any) -> None:
    enrolment = _enrol(practice, "carla", Role.CLINICIAN)
    first, second = enrolment.recovery_codes[:2]

    signed = _sign_in_with(practice, "carla", USER_PASSWORD, code=first)
    assert (signed.used_recovery_code, signed.recovery_codes_left) == (True, 9)
    with pytest.raises(AuthenticationFailed):
        _sign_in_with(practice, "carla", USER_PASSWORD, code=first)
    # Typed carelessly (lower case, no hyphen) the next one still works, once.
    signed = _sign_in_with(practice, "carla", USER_PASSWORD, code=second.lower().replace("-", " "))
    assert (signed.used_recovery_code, signed.recovery_codes_left) == (True, 8)

    events = _assert_audited(practice, "sign_in", "sign_in_failed", "sign_in")
    by_recovery = [e for e in events if e.action == "sign_in" and e.reason == "recovery code"]
    assert len(by_recovery) == 2
