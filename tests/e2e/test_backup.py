"""A backup from the real app under Xvfb, driven with the keyboard only.

A practice made with `ehrdesk init` has been backed up once from the command line, so
the Backups screen offers that folder; the owner signs in, goes to Backups with the
arrow keys, presses Alt+B, and a second verified backup appears in the folder. The
screenshot shows the list with its "Verified" states.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest

from tests.e2e.conftest import ROOT, App, Screen, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

PASSWORD = "copper lantern meadow 4471 tides"


def ehrdesk(tmp_path: Path, *argv: str, stdin: str) -> dict[str, object]:
    env = {
        **os.environ,
        "EHRDESK_TEST_FAST_KDF": "1",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "HOME": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "ehrdesk", "--data-dir", str(tmp_path / "practice"), *argv],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_back_up_now_from_the_backups_screen(
    tmp_path: Path, screen: Screen, start_app: Callable[..., App]
) -> None:
    created = ehrdesk(
        tmp_path,
        "init", "--practice", "Hillside Therapy", "--owner", "hmoss",
        "--full-name", "Harriet Moss", "--emergency-kit", str(tmp_path / "kit.pdf"), "--json",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    authenticator = pyotp.TOTP(parse_qs(urlparse(str(created["totp_uri"])).query)["secret"][0])
    drive = tmp_path / "usb"
    drive.mkdir()
    first_code = authenticator.now()
    ehrdesk(
        tmp_path, "backup", "--to", str(drive), "--user", "hmoss", "--json",
        stdin=f"{PASSWORD}\n{first_code}\n",
    )  # fmt: skip
    assert len(list(drive.iterdir())) == 1

    app = start_app("--data-dir", str(tmp_path / "practice"))
    try:
        window = wait_until(lambda: screen.find_window(app.pid), 30, "the app's window")
        screen.focus(window)
        screen.key("alt+u", "ctrl+a")
        screen.type("hmoss")
        screen.key("Tab")
        screen.type(PASSWORD)
        screen.key("Return")
        # The command line used this step's code: the app accepts each code once.
        wait_until(lambda: authenticator.now() != first_code, 35, "a fresh code", interval=0.5)
        time.sleep(0.3)
        screen.type(authenticator.now())
        screen.key("Return")
        wait_until(lambda: "Hillside Therapy" in screen.title(), 15, "the workspace")
        # Typing a place's name in the navigation moves to it (Qt's keyboard search).
        screen.type("Backups")
        time.sleep(0.5)
        screen.key("alt+b")
        wait_until(lambda: len(list(drive.glob("*.ehrbackup"))) == 2, 30, "the second backup")
        time.sleep(1.0)  # the list refreshes on the GUI thread after the check
        shot = screen.screenshot("backups-verified")
        assert shot.stat().st_size > 0
        assert not [p for p in drive.iterdir() if p.name.endswith(".tmp")]
        screen.close_window(window)
        assert app.wait(timeout=15) == 0
        assert "Traceback" not in app.output()
    except (AssertionError, subprocess.SubprocessError) as error:
        raise AssertionError(f"{error}\napp output:\n{app.output()[-4000:]}") from error
