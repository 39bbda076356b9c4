"""`ehrdesk demo`: a demo practice with published credentials, marked DEMO.

The command runs in-process through `cli.run` over a frozen clock and a memory keyring;
the second factor comes from pyotp and the published secret, not from ehrdesk's own
TOTP code. The last tests open a main window over the demo (pytest-qt, offscreen).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyotp
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from ehrdesk import cli
from ehrdesk.core.clock import FrozenClock
from ehrdesk.core.models import Role
from ehrdesk.security.workstation import MemoryKeyring
from ehrdesk.services import demo
from ehrdesk.services.registry import Services
from ehrdesk.services.session import SessionState

REAL_PASSWORD = "lantern orchard quietly 1987 tides"


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class DemoCli:
    """`cli.run` in-process, with a frozen clock, a memory keyring and its own folders."""

    def __init__(self, tmp_path: Path) -> None:
        self.data_dir = tmp_path / "demo"
        self.default_data_dir = tmp_path / "practice"  # where a real practice would go
        self.demo_data_dir = tmp_path / "default-demo"  # where `demo` goes by default
        self.clock = FrozenClock(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
        self.keyring = MemoryKeyring()

    def services(self, data_dir: Path | None = None) -> Services:
        return Services.build(data_dir or self.data_dir, keyring=self.keyring, clock=self.clock)

    def run(self, *argv: str) -> Result:
        out, err = io.StringIO(), io.StringIO()
        code = cli.run(
            list(argv),
            make_services=self.services,
            default_data_dir=self.default_data_dir,
            stdin=io.StringIO(""),
            stdout=out,
            stderr=err,
            demo_data_dir=self.demo_data_dir,
        )
        return Result(code, out.getvalue(), err.getvalue())

    def create(self) -> Result:
        return self.run("demo", "--create-only", "--json", "--data-dir", str(self.data_dir))

    def code(self) -> str:
        """The published authenticator's code, a step on: no code is a replay."""
        self.clock.advance(30)
        return pyotp.TOTP(demo.TOTP_SECRET).at(self.clock.now())

    def files(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(self.data_dir.iterdir()) if p.is_file()}


@pytest.fixture
def run(tmp_path: Path) -> DemoCli:
    return DemoCli(tmp_path)


@pytest.fixture
def demo_practice(run: DemoCli) -> DemoCli:
    result = run.create()
    assert (result.code, result.err) == (0, "")
    return run


def test_demo_creates_a_practice_and_prints_the_published_credentials(run: DemoCli) -> None:
    result = run.create()

    assert (result.code, result.err) == (0, "")
    generated = result.json().pop("generated")
    assert result.json() == {
        "data_dir": str(run.data_dir),
        "usernames": [user.username for user in demo.USERS],
        "password": demo.PASSWORD,
        "totp_secret": demo.TOTP_SECRET,
        "generated": generated,
    }
    assert generated["clients"] == demo.DEFAULT_PATIENTS
    assert generated["appointments"] > 5 * demo.DEFAULT_PATIENTS
    assert generated["notes"] > 3 * demo.DEFAULT_PATIENTS  # the charts come with it
    vault = json.loads((run.data_dir / "vault.json").read_text())
    assert vault["demo"] is True
    assert vault["workstation_binding"] is False  # a demo is never tied to the keyring
    assert run.keyring.entries == {}
    assert (run.data_dir / "practice.ehrdb").stat().st_size > 0
    assert not run.default_data_dir.exists() and not run.demo_data_dir.exists()


def test_every_demo_user_signs_in_with_the_published_password_and_code(
    demo_practice: DemoCli,
) -> None:
    services = demo_practice.services()
    for user in demo.USERS:
        signed = services.auth.sign_in(user.username, demo.PASSWORD, demo_practice.code())
        assert signed.user.username == user.username
        assert signed.user.full_name == user.full_name
        assert signed.user.role is user.role
        assert not signed.password_change_required  # a newcomer is straight in
        assert services.session.state is SessionState.SIGNED_IN
        services.session.sign_out()
    # One of each role, so a newcomer can see what each person at a practice sees.
    assert {user.role for user in demo.USERS} == set(Role)


def test_the_demo_practice_is_named_as_a_demo(demo_practice: DemoCli) -> None:
    services = demo_practice.services()
    services.auth.sign_in(demo.USERS[0].username, demo.PASSWORD, demo_practice.code())
    try:
        assert services.settings.practice_name() == demo.PRACTICE_NAME
    finally:
        services.session.sign_out()


def test_running_demo_twice_keeps_the_practice_it_made(demo_practice: DemoCli) -> None:
    before = demo_practice.files()

    again = demo_practice.create()

    assert (again.code, again.err) == (0, "")
    assert again.json()["password"] == demo.PASSWORD
    assert demo_practice.files() == before  # not recreated, not touched
    services = demo_practice.services()
    services.auth.sign_in("clinician", demo.PASSWORD, demo_practice.code())
    services.session.sign_out()


def test_demo_generates_the_size_asked_for(run: DemoCli) -> None:
    result = run.run(
        "demo",
        "--create-only",
        "--json",
        "--data-dir",
        str(run.data_dir),
        "--patients",
        "60",
        "--years",
        "0.5",
    )
    assert (result.code, result.err) == (0, "")
    assert result.json()["generated"]["clients"] == 60
    services = run.services()
    services.auth.sign_in("desk", demo.PASSWORD, run.code())
    assert len(services.clients.search("", limit=200).rows) == 60
    services.session.sign_out()
    again = run.run("demo", "--create-only", "--data-dir", str(run.data_dir), "--patients", "5")
    assert again.code == 1
    assert "already holds a demo practice" in again.err


def test_demo_refuses_a_folder_with_a_real_practice(run: DemoCli) -> None:
    services = run.services()
    services.vaults.create(
        practice_name="Riverside Counselling",
        owner_username="owner",
        owner_full_name="Olive Owner",
        owner_password=REAL_PASSWORD,
    )
    before = run.files()

    result = run.create()

    assert result.code == 1
    assert result.out == ""
    assert result.err == "ehrdesk: That folder holds a real practice, not the demo.\n"
    assert run.files() == before
    assert json.loads((run.data_dir / "vault.json").read_text())["demo"] is False


def test_demo_without_a_folder_uses_its_own_not_the_practice(run: DemoCli) -> None:
    result = run.run("demo", "--create-only")

    assert (result.code, result.err) == (0, "")
    assert str(run.demo_data_dir) in result.out
    assert demo.PASSWORD in result.out
    for user in demo.USERS:
        assert user.username in result.out
    assert json.loads((run.demo_data_dir / "vault.json").read_text())["demo"] is True
    assert not run.default_data_dir.exists()


# The desktop app over a demo practice -----------------------------------------------


def test_the_window_says_demo_and_shows_the_credentials(
    demo_practice: DemoCli, qtbot: QtBot
) -> None:
    from ehrdesk.ui.main_window import MainWindow

    services = demo_practice.services()
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()  # Ctrl+L, an application shortcut, needs an active window
    qtbot.waitUntil(window.isActiveWindow)

    assert window.stack.currentWidget() is window.sign_in
    assert "DEMO" in window.windowTitle()
    hint = window.sign_in._demo_hint
    assert not hint.isHidden()
    assert demo.PASSWORD in hint.text()
    for user in demo.USERS:
        assert user.username in hint.text()
    now = pyotp.TOTP(demo.TOTP_SECRET).at(demo_practice.clock.now())
    assert f"{now[:3]} {now[3:]}" in hint.text()  # the code of this moment, as shown

    view = window.sign_in
    view.username.setText(demo.USERS[0].username)
    view.password.setText(demo.PASSWORD)
    qtbot.keyClick(view.password, Qt.Key.Key_Return)
    view.code.setText(demo_practice.code())
    qtbot.keyClick(view.code, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.workspace
    assert "DEMO" in window.windowTitle()
    assert demo.PRACTICE_NAME in window.windowTitle()

    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert services.session.state is SessionState.LOCKED
    assert window.stack.currentWidget() is window.lock_screen
    assert window.lock_screen.practice.text().startswith("DEMO")
    assert demo.PRACTICE_NAME in window.lock_screen.practice.text()
    assert "DEMO" in window.windowTitle() and "Locked" in window.windowTitle()
    window.close()
