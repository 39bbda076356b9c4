"""The frozen app: PyInstaller builds dist/ehrdesk/ from packaging/pyinstaller/ehrdesk.spec
into this test's folder (nothing cached between runs), and the build then runs with no
Python, source tree or virtual environment behind it:

- `ehrdesk --version` prints the version from ehrdesk/__init__.py;
- `ehrdesk check` opens a vault made by the source tree (shipped Argon2id settings) with
  a password and a TOTP code on standard input;
- `ehrdesk init` writes an Emergency Kit PDF (reportlab's fonts, segno, Argon2 frozen);
- the desktop app starts offscreen on a fresh folder and quits once it is shown; and,
  in a real X window under Xvfb, reaches the first-run screen: "Try the demo", a
  button only that screen has, opens the demo practice.

`tools/setup --test` installs PyInstaller (the `package` extra), Xvfb and xdotool; the
`display` fixture (a private Xvfb server) is the end-to-end tests', via conftest.py.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from ehrdesk import __version__
from ehrdesk.security import totp
from tests.e2e.conftest import Screen, wait_until

pytestmark = pytest.mark.timeout(900)

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "pyinstaller" / "ehrdesk.spec"
OWNER_PASSWORD = "lantern orchard quietly 1987 tides"
#: A ceiling, so that a stray dependency (the GTK stack, QtWebEngine) is noticed.
MAX_BUILD_BYTES = 200 * 1024 * 1024


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


@pytest.fixture(scope="module")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """dist/ehrdesk/, built afresh into a temporary folder."""
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.skip("needs PyInstaller: `tools/setup --test` installs the `package` extra")
    work = tmp_path_factory.mktemp("pyinstaller")
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
            "--log-level", "WARN",
            "--distpath", str(work / "dist"), "--workpath", str(work / "build"),
            str(SPEC),
        ],
        cwd=ROOT,
        # PyInstaller keeps a cache of processed libraries in its config folder.
        env={**os.environ, "PYINSTALLER_CONFIG_DIR": str(work / "config")},
        capture_output=True,
        text=True,
        timeout=800,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    app = work / "dist" / "ehrdesk"
    print(
        f"\nfrozen build: {time.monotonic() - started:.0f} s, "
        f"{folder_bytes(app) / 1024 / 1024:.0f} MiB in {app}"
    )
    yield app


def bundle_dir(app: Path) -> Path:
    """Where PyInstaller put the libraries and data (`_internal` since PyInstaller 6)."""
    inside = app / "_internal"
    return inside if inside.is_dir() else app


def frozen_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The environment of someone who never installed Python: nothing of ours leaks in,
    and everything the app writes for itself lands in the test's home folder."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("XDG_", "QT_", "EHRDESK_", "PYTHON", "WAYLAND_"))
        and key not in {"HOME", "VIRTUAL_ENV", "LD_LIBRARY_PATH", "DISPLAY", "XAUTHORITY"}
    }
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CACHE_HOME=str(home / "cache"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        **settings,
    )
    return env


def run_frozen(
    app: Path, tmp_path: Path, *argv: str, stdin: str = "", **settings: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(app / "ehrdesk"), *argv],
        input=stdin,
        capture_output=True,
        text=True,
        env=frozen_env(tmp_path, **settings),
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def crash_logs(tmp_path: Path) -> list[Path]:
    return list((tmp_path / "home").rglob("ehrdesk.log"))


# What the folder holds ----------------------------------------------------------------


def test_the_build_holds_what_ehrdesk_needs_and_not_more(frozen: Path) -> None:
    inside = bundle_dir(frozen)
    migrations = sorted(p.name for p in (ROOT / "ehrdesk" / "storage" / "migrations").glob("*.sql"))
    frozen_migrations = inside / "ehrdesk" / "storage" / "migrations"

    assert sorted(p.name for p in frozen_migrations.glob("*.sql")) == migrations
    assert (inside / "resources" / "icons" / "hicolor" / "256x256" / "apps").is_dir()
    assert list((inside / "sqlcipher3").glob("_sqlite3*"))
    assert (inside / "reportlab" / "fonts").is_dir()
    platforms = {p.name.split(".")[0] for p in inside.rglob("platforms/libq*")}
    assert {"libqoffscreen", "libqxcb", "libqwayland"} <= platforms
    assert not {"libqvnc", "libqeglfs", "libqlinuxfb"} & platforms
    everything = {p.name for p in inside.rglob("*")}
    for unwanted in ("tkinter", "_tkinter", "pytest", "hypothesis", "mypy", "libgtk-3.so.0"):
        assert not any(name.startswith(unwanted) for name in everything), unwanted
    assert folder_bytes(frozen) < MAX_BUILD_BYTES


# The command line ----------------------------------------------------------------------


def test_version(frozen: Path, tmp_path: Path) -> None:
    done = run_frozen(frozen, tmp_path, "--version")

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"ehrdesk {__version__}"


def test_check_opens_a_vault_made_by_the_source_tree(frozen: Path, tmp_path: Path) -> None:
    """`check` exits 1 over key slots made with the test KDF profile, so the source tree
    makes this vault with the shipped Argon2id settings (about a second)."""
    practice = tmp_path / "practice"
    env = frozen_env(tmp_path, PYTHONPATH=str(ROOT))  # the source tree, not the build
    made = subprocess.run(
        [
            sys.executable, "-m", "ehrdesk", "--data-dir", str(practice), "init",
            "--practice", "Riverside Counselling", "--owner", "owner",
            "--full-name", "Olive Owner", "--emergency-kit", str(tmp_path / "kit.pdf"), "--json",
        ],
        input=OWNER_PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    secret = parse_qs(urlparse(json.loads(made.stdout)["totp_uri"]).query)["secret"][0]
    # Nothing has signed in yet, so the code of this moment has never been used.
    code = totp.current_code(secret, datetime.now(UTC))

    done = run_frozen(
        frozen, tmp_path, "--data-dir", str(practice), "--user", "owner", "check", "--json",
        stdin=f"{OWNER_PASSWORD}\n{code}\n",
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True
    assert report["weak_key_slots"] == 0
    assert report["database_problems"] == []
    assert report["audit_first_bad_seq"] is None
    assert report["audit_events"] >= 3
    assert crash_logs(tmp_path) == []


def test_a_wrong_password_is_refused_in_one_line(frozen: Path, tmp_path: Path) -> None:
    """Refusals in the frozen app are the same plain sentence, not a crash report."""
    done = run_frozen(
        frozen, tmp_path, "--data-dir", str(tmp_path / "nothing-here"), "--user", "owner",
        "check", stdin="not the password at all\n123456\n",
    )  # fmt: skip

    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert "Something went wrong" not in done.stderr
    assert "Traceback" not in done.stderr
    assert crash_logs(tmp_path) == []


def test_init_writes_an_emergency_kit(frozen: Path, tmp_path: Path) -> None:
    kit = tmp_path / "kit.pdf"

    done = run_frozen(
        frozen, tmp_path, "--data-dir", str(tmp_path / "practice"), "init",
        "--practice", "Riverside Counselling", "--owner", "owner", "--full-name", "Olive Owner",
        "--emergency-kit", str(kit), "--json",
        stdin=OWNER_PASSWORD + "\n", EHRDESK_TEST_FAST_KDF="1",
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    recovery_key = json.loads(done.stdout)["recovery_key"]
    assert kit.read_bytes().startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", str(kit), "-"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert "Emergency Kit" in text
    assert recovery_key in text
    assert (tmp_path / "practice" / "vault.json").exists()


# The desktop app -----------------------------------------------------------------------


def visible_window(screen: Screen, pid: int, title: str) -> str | None:
    """The visible window of `pid` whose title matches the regular expression `title`.
    `--all`, because without it xdotool matches the pid OR the title, and any window of
    the app would do."""
    found = subprocess.run(
        ["xdotool", "search", "--all", "--onlyvisible", "--pid", str(pid), "--name", title],
        env=screen.env,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    ).stdout.split()
    return found[0] if found else None


def test_the_app_starts_offscreen_on_a_fresh_folder(frozen: Path, tmp_path: Path) -> None:
    practice = tmp_path / "practice"

    done = run_frozen(
        frozen, tmp_path, "--data-dir", str(practice),
        QT_QPA_PLATFORM="offscreen", EHRDESK_BENCH_QUIT_WHEN_SHOWN="1",
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "platform plugin" not in done.stderr  # "could not load the Qt platform plugin"
    assert not practice.exists()  # the start page looks, and writes nothing
    assert crash_logs(tmp_path) == []


def test_the_app_reaches_the_first_run_screen(frozen: Path, display: str, tmp_path: Path) -> None:
    """In a real X window (xcb): the window of a fresh folder is the start page, shown
    by its "Try the demo" button (Alt+D), which only that page has and which opens the
    demo practice in a second window."""
    practice = tmp_path / "practice"
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = frozen_env(
        tmp_path,
        DISPLAY=display,
        QT_QPA_PLATFORM="xcb",
        XDG_RUNTIME_DIR=str(runtime),
        DBUS_SESSION_BUS_ADDRESS=f"unix:path={tmp_path / 'no-session-bus'}",
    )
    log = tmp_path / "app.log"
    screen = Screen(display, tmp_path / "shots")
    with log.open("wb") as output:
        app = subprocess.Popen(
            [str(frozen / "ehrdesk"), "--data-dir", str(practice)],
            env=env,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:

            def window(name: str) -> str | None:
                if app.poll() is not None:
                    raise AssertionError(f"the app exited with {app.returncode}")
                return visible_window(screen, app.pid, name)

            start = wait_until(lambda: window("^ehrdesk$"), 30, "the app's window")
            screen.focus(start)
            assert screen.title() == "ehrdesk"
            screen.screenshot("frozen-01-start-page")
            assert window("DEMO") is None
            screen.key("alt+d")  # "Try the demo"
            wait_until(lambda: window("^DEMO"), 60, "the demo practice's window")
            screen.screenshot("frozen-02-demo")
        except AssertionError as error:
            raise AssertionError(f"{error}\napp output:\n{log.read_text()[-3000:]}") from error
        finally:
            app.terminate()
            try:
                app.wait(timeout=10)
            except subprocess.TimeoutExpired:
                app.kill()
                app.wait(timeout=10)

    assert (tmp_path / "home" / "data" / "ehrdesk" / "demo" / "vault.json").exists()
    assert not practice.exists()  # the practice folder was only looked at
    assert "Traceback" not in log.read_text()
    assert crash_logs(tmp_path) == []
