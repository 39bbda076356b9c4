"""The sign-in throttle: growing delays after three failures, locked after ten.

Pure functions over one account's counters, so the rule is stated once and tested
with a frozen clock. The counters live in vault.json and survive a restart; they slow
down a person at the keyboard, not someone holding a copy of the files (DESIGN §7).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ehrdesk.core.errors import AccountLocked, SignInThrottled

FREE_FAILURES = 3
LOCK_AFTER = 10
FIRST_DELAY_SECONDS = 5


def delay_after(failures: int) -> float:
    """Seconds to wait after `failures` consecutive failures: 5, 10, 20, … 320."""
    if failures < FREE_FAILURES:
        return 0.0
    return float(FIRST_DELAY_SECONDS * 2 ** (failures - FREE_FAILURES))


def retry_after(failures: int, last_failure_at: datetime | None, now: datetime) -> float:
    if last_failure_at is None:
        return 0.0
    ready = last_failure_at + timedelta(seconds=delay_after(failures))
    return max(0.0, (ready - now).total_seconds())


def check(failures: int, last_failure_at: datetime | None, locked: bool, now: datetime) -> None:
    """Raise if this account may not try now."""
    if locked:
        raise AccountLocked
    wait = retry_after(failures, last_failure_at, now)
    if wait > 0:
        raise SignInThrottled(wait)


def locks_now(failures: int) -> bool:
    return failures >= LOCK_AFTER
