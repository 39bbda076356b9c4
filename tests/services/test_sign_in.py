"""Sign-in: password and second factor, one message for every failure, the throttle,
replay refusal, and a database that a failure does not touch."""

from __future__ import annotations

import pytest

from ehrdesk.core.errors import AccountLocked, AuthenticationFailed, SignInThrottled
from ehrdesk.core.models import Role
from ehrdesk.security import totp
from ehrdesk.services.registry import Services
from ehrdesk.services.session import SessionState
from tests.conftest import Practice


def database_bytes(practice: Practice) -> bytes:
    return practice.services.vaults.store.database_path.read_bytes()


def actions(practice: Practice) -> list[str]:
    return [e.action for e in practice.services.audit.events(limit=1000)]


def test_sign_in_with_password_and_code(practice: Practice) -> None:
    signed = practice.sign_in()
    assert signed.user.username == "owner"
    assert practice.services.session.state is SessionState.SIGNED_IN
    assert not signed.password_change_required
    assert actions(practice)[-1] == "sign_in"


def test_username_is_matched_without_case(practice: Practice) -> None:
    assert practice.sign_in("OWNER", practice.passwords["owner"]).user.username == "owner"


@pytest.mark.parametrize("what", ["password", "code", "username", "both"])
def test_every_failure_says_the_same_and_writes_nothing(practice: Practice, what: str) -> None:
    before = database_bytes(practice)
    username, password = "owner", practice.passwords["owner"]
    code = practice.code("owner")
    if what in ("password", "both"):
        password = password + "x"
    if what in ("code", "both"):
        code = f"{(int(code) + 1) % 1_000_000:06d}"
    if what == "username":
        username = "nobody"
    with pytest.raises(AuthenticationFailed) as caught:
        practice.services.auth.sign_in(username, password, code)
    assert caught.value.message == AuthenticationFailed.default_message
    assert database_bytes(practice) == before
    assert practice.services.session.state is SessionState.SIGNED_OUT


def test_failures_reach_the_audit_log_at_the_next_sign_in(practice: Practice) -> None:
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            practice.services.auth.sign_in("owner", "wrong password here", practice.code("owner"))
    with pytest.raises(AuthenticationFailed):
        practice.services.auth.sign_in("ghost", "wrong password here", "123456")
    assert len(practice.services.vaults.load().pending_failures) == 3
    practice.sign_in()
    events = practice.services.audit.events(limit=1000)
    failed = [e for e in events if e.action == "sign_in_failed"]
    assert [e.username for e in failed] == ["owner", "owner", None]
    assert events[-1].action == "sign_in"
    assert practice.services.vaults.load().pending_failures == []
    practice.services.session.sign_out()
    practice.sign_in()  # copied once only
    assert (
        len([e for e in practice.services.audit.events(limit=1000) if e.action == "sign_in_failed"])
        == 3
    )
    assert practice.services.audit.verify_chain().ok


def test_a_code_is_accepted_only_once(practice: Practice) -> None:
    code = practice.code("owner")
    practice.services.auth.sign_in("owner", practice.passwords["owner"], code)
    practice.services.session.sign_out()
    with pytest.raises(AuthenticationFailed):
        practice.services.auth.sign_in("owner", practice.passwords["owner"], code)


def test_an_older_step_is_refused_after_a_newer_one(practice: Practice) -> None:
    secret = practice.secrets["owner"]
    practice.clock.advance(30)
    older = totp.current_code(secret, practice.clock.now())
    practice.clock.advance(30)
    newer = totp.current_code(secret, practice.clock.now())
    practice.services.auth.sign_in("owner", practice.passwords["owner"], newer)
    practice.services.session.sign_out()
    with pytest.raises(AuthenticationFailed):  # still within skew, but older than accepted
        practice.services.auth.sign_in("owner", practice.passwords["owner"], older)


def test_a_recovery_code_works_once(practice: Practice) -> None:
    code = practice.created.owner.recovery_codes[0]
    signed = practice.services.auth.sign_in("owner", practice.passwords["owner"], code.lower())
    assert signed.used_recovery_code and signed.recovery_codes_left == 9
    practice.services.session.sign_out()
    with pytest.raises(AuthenticationFailed):
        practice.services.auth.sign_in("owner", practice.passwords["owner"], code)


def test_throttle_grows_then_locks_and_survives_a_restart(practice: Practice) -> None:
    auth = practice.services.auth
    for attempt in range(1, 11):
        with pytest.raises(AuthenticationFailed):
            auth.sign_in("owner", "not the password", "000000")
        if attempt < 10:
            status = auth.throttle_status("owner")
            assert status.failures == attempt
            if attempt >= 3:
                assert status.retry_after > 0
                with pytest.raises(SignInThrottled):  # refused before the password is tried
                    auth.sign_in("owner", practice.passwords["owner"], "000000")
                practice.clock.advance(status.retry_after)
    assert auth.throttle_status("owner").locked
    restarted = Services.build(
        practice.services.data_dir, keyring=practice.services.vaults.keyring, clock=practice.clock
    )
    practice.clock.advance(days=365)
    with pytest.raises(AccountLocked):
        restarted.auth.sign_in("owner", practice.passwords["owner"], practice.code("owner"))


def test_throttle_is_per_user_and_a_success_resets_it(practice: Practice, add_user) -> None:  # type: ignore[no-untyped-def]
    add_user("desk", Role.FRONT_DESK)
    auth = practice.services.auth
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            auth.sign_in("owner", "not the password", "000000")
    practice.sign_in("desk")  # another account is not slowed down
    practice.services.session.sign_out()
    practice.clock.advance(auth.throttle_status("owner").retry_after)
    practice.sign_in("owner")
    assert auth.throttle_status("owner").failures == 0


def test_a_locked_account_is_refused_before_any_key_is_derived(practice: Practice) -> None:
    with practice.services.vaults.store.update() as vault:
        tag = next(s.user_tag for s in vault.slots if s.kind == "user")
        assert tag is not None
        from ehrdesk.storage.vault_file import ThrottleEntry

        vault.throttle[tag] = ThrottleEntry(failures=10, locked=True)
    with pytest.raises(AccountLocked) as caught:
        practice.sign_in()
    assert "Emergency Kit" in caught.value.message


def test_recovery_key_unlocks_a_locked_account(practice: Practice) -> None:
    auth = practice.services.auth
    for attempt in range(10):
        practice.clock.advance(auth.throttle_status("owner").retry_after)
        with pytest.raises(AuthenticationFailed):
            auth.sign_in("owner", "not the password", "000000")
        del attempt
    new_password = "harbour velvet compass 2031 birch"
    auth.recover_account(practice.created.recovery_key, "owner", new_password)
    practice.passwords["owner"] = new_password
    practice.sign_in()
    assert "account_recovered" in actions(practice)


def test_a_wrong_recovery_key_is_refused(practice: Practice) -> None:
    from ehrdesk.security.recovery import new_recovery_key

    with pytest.raises(AuthenticationFailed, match="recovery key"):
        practice.services.auth.recover_account(
            new_recovery_key(), "owner", "harbour velvet compass 2031 birch"
        )
