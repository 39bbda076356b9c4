"""Growing delays after three failures; locked after ten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ehrdesk.core.errors import AccountLocked, SignInThrottled
from ehrdesk.security import throttle

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_first_three_failures_are_free() -> None:
    for failures in range(3):
        throttle.check(failures, NOW, False, NOW)


def test_delays_grow_from_the_third_failure() -> None:
    delays = [throttle.delay_after(n) for n in range(3, 10)]
    assert delays == [5, 10, 20, 40, 80, 160, 320]


def test_waiting_out_the_delay_allows_a_try() -> None:
    with pytest.raises(SignInThrottled) as caught:
        throttle.check(4, NOW, False, NOW + timedelta(seconds=3))
    assert 6.9 < caught.value.retry_after <= 7
    assert "7 seconds" in caught.value.message
    throttle.check(4, NOW, False, NOW + timedelta(seconds=10))


def test_locked_after_ten() -> None:
    assert not throttle.locks_now(9)
    assert throttle.locks_now(10)
    with pytest.raises(AccountLocked):
        throttle.check(10, NOW, True, NOW + timedelta(days=30))
