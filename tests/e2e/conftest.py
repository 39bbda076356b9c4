"""End-to-end helpers: a private Xvfb display, the real app in it, and a keyboard.

The app is driven only through `xdotool` key presses, as a person without a mouse
would; it is never clicked. Without a window manager, `xdotool windowactivate` has
nothing to ask, so the window gets the X input focus directly (`windowfocus`).
Screenshots of the whole screen go into the test's temporary folder and are copied to
`/tmp/e2e-shots/` for people to look at. `tools/setup --test` installs the tools.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]

TOOLS = ("Xvfb", "xdotool", "xclip", "import")
SHOTS_FOR_PEOPLE = Path("/tmp/e2e-shots")
SCREEN = "1280x800x24"


def _missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


@pytest.fixture
def display() -> Iterator[str]:
    """A fresh Xvfb server on a display number it picks itself (`-displayfd`)."""
    missing = _missing_tools()
    if missing:
        pytest.skip(f"needs {', '.join(missing)}: `tools/setup --test` installs them")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", SCREEN, "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    os.close(write_end)
    try:
        number = b""
        deadline = time.monotonic() + 10
        while not number.endswith(b"\n"):
            ready, _, _ = select.select([read_end], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(read_end, 16) if ready else b""
            if not chunk:
                server.kill()
                _, err = server.communicate(timeout=5)
                pytest.fail(f"Xvfb did not start: {err.decode(errors='replace')[-500:]}")
            number += chunk
        yield f":{number.decode().strip()}"
    finally:
        os.close(read_end)
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=5)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=5)
        if server.stderr is not None:
            server.stderr.close()


def wait_until(
    probe: Callable[[], T | None], timeout: float, what: str, interval: float = 0.1
) -> T:
    """Poll `probe` until it returns something truthy; fail saying `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout:g} s still waiting for {what}")
        time.sleep(interval)


class Screen:
    """The keyboard, the clipboard and the screen of one X display."""

    def __init__(self, display: str, shots: Path) -> None:
        self.display = display
        self.shots = shots
        self.shots.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "DISPLAY": display}
        self.env.pop("XAUTHORITY", None)
        self.window: str | None = None

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv, env=self.env, capture_output=True, text=True, timeout=20, check=check
        )

    def xdotool(self, *argv: str) -> str:
        return self._run("xdotool", *argv).stdout.strip()

    def find_window(self, pid: int, name: str = "ehrdesk") -> str | None:
        """The visible top-level window of process `pid` whose name contains `name`."""
        found = self._run(
            "xdotool", "search", "--onlyvisible", "--pid", str(pid), "--name", name, check=False
        )
        windows = found.stdout.split()
        return windows[0] if windows else None

    def focus(self, window: str) -> None:
        self.window = window
        self.xdotool("windowfocus", "--sync", window)

    def title(self) -> str:
        assert self.window is not None
        return self._run("xdotool", "getwindowname", self.window, check=False).stdout.strip()

    def type(self, text: str) -> None:
        self.xdotool("type", "--delay", "20", text)

    def key(self, *keys: str) -> None:
        self.xdotool("key", "--delay", "40", *keys)

    def clipboard(self) -> str:
        """The CLIPBOARD selection as text; empty when nobody owns it."""
        result = self._run("xclip", "-o", "-selection", "clipboard", check=False)
        return result.stdout if result.returncode == 0 else ""

    def screenshot(self, name: str) -> Path:
        """The whole screen, into the test's folder and a copy for people to look at."""
        path = self.shots / f"{name}.png"
        self._run("import", "-window", "root", str(path))
        SHOTS_FOR_PEOPLE.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, SHOTS_FOR_PEOPLE / path.name)
        return path

    def close_window(self, window: str) -> None:
        """Ask the window to close, as a window manager's close button or Alt+F4 does:
        a WM_DELETE_WINDOW client message (xdotool 3.2016 has no command for it)."""
        send_wm_delete_window(self.display, int(window))


class _XClientMessageEvent(ctypes.Structure):
    _fields_ = (
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    )


class _XEvent(ctypes.Union):
    _fields_ = (("xclient", _XClientMessageEvent), ("pad", ctypes.c_long * 24))


def send_wm_delete_window(display: str, window: int) -> None:
    library = ctypes.util.find_library("X11")
    if library is None:
        raise AssertionError("libX11 is needed to close the window (xdotool depends on it)")
    xlib = ctypes.CDLL(library)
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = (ctypes.c_char_p,)
    xlib.XInternAtom.restype = ctypes.c_ulong
    xlib.XInternAtom.argtypes = (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int)
    xlib.XSendEvent.argtypes = (
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_int,
        ctypes.c_long,
        ctypes.POINTER(_XEvent),
    )
    xlib.XFlush.argtypes = (ctypes.c_void_p,)
    xlib.XCloseDisplay.argtypes = (ctypes.c_void_p,)
    connection = xlib.XOpenDisplay(display.encode())
    if not connection:
        raise AssertionError(f"cannot open X display {display}")
    try:
        event = _XEvent()
        message = event.xclient
        message.type = 33  # ClientMessage
        message.send_event = 1
        message.display = connection
        message.window = window
        message.message_type = xlib.XInternAtom(connection, b"WM_PROTOCOLS", 0)
        message.format = 32
        message.data[0] = xlib.XInternAtom(connection, b"WM_DELETE_WINDOW", 0)
        message.data[1] = 0  # CurrentTime
        if not xlib.XSendEvent(connection, window, 0, 0, ctypes.byref(event)):
            raise AssertionError("XSendEvent refused the close request")
        xlib.XFlush(connection)
    finally:
        xlib.XCloseDisplay(connection)


@pytest.fixture
def screen(display: str, tmp_path: Path) -> Screen:
    # People look at /tmp/e2e-shots/ after a run: only this run's pictures belong there.
    for old in SHOTS_FOR_PEOPLE.glob("*.png"):
        old.unlink()
    return Screen(display, tmp_path / "shots")


class App:
    """`python -m ehrdesk` as a subprocess; whatever happens, it is gone afterwards."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        self._log_file.flush()
        return self.log.read_text(errors="replace")

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log_file.close()


@pytest.fixture
def start_app(display: str, tmp_path: Path) -> Iterator[Callable[..., App]]:
    """Start the real app with HOME in the test's folder, no keyring, no session bus."""
    started: list[App] = []

    def start(*args: str, **settings: str) -> App:
        runtime = tmp_path / "runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("XDG_", "QT_", "WAYLAND_", "EHRDESK_"))
            and key not in {"XAUTHORITY", "DBUS_SESSION_BUS_ADDRESS"}
        }
        env.update(
            DISPLAY=display,
            QT_QPA_PLATFORM="xcb",
            HOME=str(tmp_path),
            XDG_RUNTIME_DIR=str(runtime),
            # Nothing outside the test: no desktop session bus (screensaver, keyring).
            DBUS_SESSION_BUS_ADDRESS=f"unix:path={tmp_path / 'no-session-bus'}",
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
            EHRDESK_TEST_FAST_KDF="1",
            **settings,
        )
        app = App([sys.executable, "-m", "ehrdesk", *args], env, tmp_path / "app.log")
        started.append(app)
        return app

    try:
        yield start
    finally:
        for app in started:
            app.stop()
