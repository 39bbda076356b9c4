"""Shared fixtures: a frozen clock, an in-memory keyring, and a practice to sign in to.

The one explicit test setting: new key slots use a cheap Argon2id profile
(`EHRDESK_TEST_FAST_KDF=1`). `tests/security/test_kdf.py` asserts the shipped defaults
separately, so the speed-up cannot leak into a release.
"""

from __future__ import annotations

import os

os.environ["EHRDESK_TEST_FAST_KDF"] = "1"

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ehrdesk.core.clock import FrozenClock
from ehrdesk.security import totp
from ehrdesk.security.workstation import MemoryKeyring
from ehrdesk.services.auth import SignedIn
from ehrdesk.services.registry import Services
from ehrdesk.services.vault import CreatedVault

#: The chart's fixtures, and a chart full enough to hand out (tests/records_support.py).
pytest_plugins = ["tests.chart_support", "tests.records_support"]

OWNER_PASSWORD = "lantern orchard quietly 1987 tides"
PRACTICE = "Riverside Counselling"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))


@pytest.fixture
def keyring() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "practice"


@pytest.fixture
def services(data_dir: Path, clock: FrozenClock, keyring: MemoryKeyring) -> Services:
    return Services.build(data_dir, keyring=keyring, clock=clock)


@dataclass
class Practice:
    services: Services
    clock: FrozenClock
    created: CreatedVault
    secrets: dict[str, str]
    passwords: dict[str, str]

    def code(self, username: str) -> str:
        """A fresh TOTP code: moves the clock a step on, so no code is a replay."""
        self.clock.advance(30)
        return totp.current_code(self.secrets[username.casefold()], self.clock.now())

    def sign_in(self, username: str = "owner", password: str | None = None) -> SignedIn:
        return self.services.auth.sign_in(
            username, password or self.passwords[username], self.code(username)
        )


@pytest.fixture
def practice(services: Services, clock: FrozenClock) -> Practice:
    created = services.vaults.create(
        practice_name=PRACTICE,
        owner_username="owner",
        owner_full_name="Olive Owner",
        owner_password=OWNER_PASSWORD,
    )
    return Practice(
        services,
        clock,
        created,
        {"owner": created.owner.totp_secret},
        {"owner": OWNER_PASSWORD},
    )


@pytest.fixture
def add_user(practice: Practice) -> Callable[..., None]:
    """Add a user (signed in as the owner), then sign out again."""
    from ehrdesk.core.models import Role

    def add(username: str, role: Role, password: str = "meadow copper violin 2024 rain") -> None:
        practice.sign_in("owner")
        enrolment = practice.services.users.add_user(username, username.title(), role, password)
        practice.services.session.sign_out()
        practice.secrets[username] = enrolment.totp_secret
        practice.passwords[username] = password

    return add


@pytest.fixture
def no_threads_left() -> Iterator[None]:
    """After the test, no thread of ehrdesk's own (hashing, flushing, counting rows,
    checking, unsealing: all named "ehrdesk-…") is still running, however it ended."""
    yield
    assert [t.name for t in threading.enumerate() if t.name.startswith("ehrdesk-")] == []


_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """On CI nothing may be skipped: a test that needs the keyring daemon or Xvfb is
    run by tools/check, which starts them, so a skip there means a broken setup."""
    if os.environ.get("CI") and _skipped and exitstatus == 0:
        print(f"\nCI: {len(_skipped)} tests were skipped; every test must run here.")
        session.exitstatus = 1


# The front desk's practice (a clinician, a desk user, rooms), for services and ui tests.
from tests.services.front_desk_fixtures import desk  # noqa: E402, F401
