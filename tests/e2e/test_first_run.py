"""The first morning, end to end: the real app in a real X window under Xvfb, driven
only with the keyboard.

First-run setup (practice, owner, workstation, second factor, recovery codes,
Emergency Kit), sign-in with a TOTP code computed by pyotp from the key the wizard's
"Copy the key" button put on the clipboard, the workspace, and then the idle lock after
`EHRDESK_TEST_IDLE_SECONDS`. The window title is what the test reads: it names the
practice in the workspace and says "Locked" on the lock screen. Screenshots of every
screen are kept in the test's folder and copied to /tmp/e2e-shots/.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pyotp
import pytest

from tests.e2e.conftest import App, Screen, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

PRACTICE = "Hillside Therapy"
USERNAME = "hmoss"
FULL_NAME = "Harriet Moss"
PASSWORD = "copper lantern meadow 4471 tides"
IDLE_SECONDS = 4
BASE32_SECRET = re.compile(r"[A-Z2-7]{16,}")


class Run:
    """One run of the app on one screen, with what a failure message needs."""

    def __init__(self, app: App, screen: Screen) -> None:
        self.app = app
        self.screen = screen

    def alive(self) -> None:
        code = self.app.process.poll()
        if code is not None:
            raise AssertionError(f"the app exited with {code}")

    def wait_for(self, probe: Callable[[], object], timeout: float, what: str) -> object:
        def checked() -> object:
            self.alive()
            return probe()

        return wait_until(checked, timeout, what)

    def shoot(self, name: str) -> Path:
        time.sleep(0.3)  # let the page paint; screenshots are for people, not for asserts
        return self.screen.screenshot(name)

    @property
    def title(self) -> str:
        return self.screen.title()


@pytest.fixture
def run(tmp_path: Path, screen: Screen, start_app: Callable[..., App]) -> Run:
    """The app over an empty practice folder; `start_app` ends it whatever happens."""
    app = start_app(
        "--data-dir", str(tmp_path / "practice"), EHRDESK_TEST_IDLE_SECONDS=str(IDLE_SECONDS)
    )
    return Run(app, screen)


def test_first_run_sign_in_and_idle_lock(tmp_path: Path, run: Run) -> None:
    try:
        _first_morning(tmp_path, run)
    except (AssertionError, subprocess.SubprocessError) as error:
        try:
            shot = run.screen.screenshot("failure")
        except Exception as shot_error:  # the display may be what failed
            shot = Path(f"(no screenshot: {shot_error})")
        raise AssertionError(
            f"{error}\nwindow title: {run.title if run.screen.window else '-'}\n"
            f"screenshot: {shot}\napp output:\n{run.app.output()[-4000:]}"
        ) from error


def _first_morning(tmp_path: Path, run: Run) -> None:
    screen, app = run.screen, run.app
    data_dir = tmp_path / "practice"
    started = time.monotonic()

    window = run.wait_for(lambda: screen.find_window(app.pid), 30, "the app's window")
    assert isinstance(window, str)
    screen.focus(window)
    assert run.title == "ehrdesk"
    assert not (data_dir / "vault.json").exists()  # an empty folder: the start page
    run.shoot("01-start")

    # Start page: "Set up my practice" has the focus.
    screen.key("Return")
    # 1. Practice.
    screen.key("alt+p")
    screen.type(PRACTICE)
    run.shoot("02-practice")
    screen.key("Return")
    # 2. Owner: username, full name, password twice, in tab order.
    screen.key("alt+u")
    screen.type(USERNAME)
    screen.key("Tab")
    screen.type(FULL_NAME)
    screen.key("Tab")
    screen.type(PASSWORD)
    screen.key("Tab")
    screen.type(PASSWORD)
    run.shoot("03-owner")
    screen.key("Return")
    # 3. This computer: no keyring here (the fail backend), so nothing to choose.
    run.shoot("04-workstation")
    screen.key("Return")

    # 4. Second factor: the "Copy the key" button, then the clipboard, read from outside.
    screen.key("alt+c")
    copied = run.wait_for(
        lambda: BASE32_SECRET.fullmatch(screen.clipboard().strip()), 10, "the key on the clipboard"
    )
    assert isinstance(copied, re.Match)
    authenticator = pyotp.TOTP(copied.group())
    screen.key("alt+d")
    screen.type(authenticator.now())
    run.shoot("05-second-factor")
    screen.key("Return")
    # 5. Recovery codes: Enter moves on even past the "Copy the codes" button.
    run.shoot("06-recovery-codes")
    screen.key("Return")

    # 6. Emergency Kit: the path is filled in under HOME; save, tick, Finish.
    screen.key("alt+s")
    kits = run.wait_for(lambda: list(tmp_path.glob("*.pdf")), 10, "the Emergency Kit PDF")
    assert isinstance(kits, list)
    assert len(kits) == 1, kits
    kit = kits[0]
    screen.key("alt+i")
    run.shoot("07-emergency-kit")
    assert not (data_dir / "vault.json").exists()  # nothing is created before Finish
    screen.key("Return")
    run.wait_for(
        lambda: (data_dir / "vault.json").exists() and (data_dir / "practice.ehrdb").exists(),
        30,
        "the practice to be created",
    )
    # The vault is written off the GUI thread; the sign-in page follows on the GUI
    # thread, and nothing on it can be read from outside: give it a moment.
    time.sleep(0.5)
    run.shoot("08-sign-in")
    setup_done = time.monotonic()

    # Sign-in, two steps. The wizard's check of a code does not use up its step, so
    # the code the authenticator shows now is accepted (one step of skew either way).
    screen.key("alt+u", "ctrl+a")
    screen.type(USERNAME)
    screen.key("Tab")
    screen.type(PASSWORD)
    screen.key("Return")
    run.shoot("09-sign-in-code")
    screen.type(authenticator.now())
    screen.key("Return")
    active = time.monotonic()  # the last keystroke: the idle timer starts here
    run.wait_for(lambda: PRACTICE in run.title, 15, f"the workspace of {PRACTICE}")
    assert "Locked" not in run.title
    run.shoot("10-workspace")

    # Idle: nobody touches the keyboard, and the app locks itself.
    run.wait_for(lambda: "Locked" in run.title, IDLE_SECONDS + 10, "the idle lock")
    waited = time.monotonic() - active
    assert waited >= IDLE_SECONDS - 1, f"locked after {waited:.1f} s, before the idle timeout"
    assert PRACTICE not in run.title
    lock_shot = run.shoot("lock")
    assert lock_shot.stat().st_size > 0
    # Locking took back the key the wizard put on the clipboard.
    assert screen.clipboard() == ""

    # Closing the window (as a window manager's close button does) ends the app cleanly.
    screen.close_window(window)
    assert app.wait(timeout=15) == 0
    finished = time.monotonic()

    vault = json.loads((data_dir / "vault.json").read_text())
    assert vault.get("demo") is False
    assert (data_dir / "practice.ehrdb").stat().st_size > 0
    assert kit.parent == tmp_path  # HOME: where the wizard suggested it
    assert kit.read_bytes().startswith(b"%PDF")
    assert "Traceback" not in app.output()
    print(
        f"\ne2e timing: setup {setup_done - started:.1f} s, "
        f"sign-in and idle lock {finished - setup_done:.1f} s, total {finished - started:.1f} s"
    )
