"""The app itself, offscreen, in a process of its own: time from a keystroke in the
client search box to the list repainted, from a click on "Chart" to the chart shown,
and the process's resident memory with the practice open.

The real main window and its views run on the real event loop (QT_QPA_PLATFORM=
offscreen). The owner signs in through the auth service and the main window is handed
the result, as the sign-in view hands it over; SQLCipher's memory security is on.

How "shown" is measured: an event filter watches the Paint events of the widgets that
show the result (the client table's viewport; the chart's timeline and reader). The
clock starts just before the keystroke or click is sent (QTest) and stops when the
`processEvents` call that delivered the first Paint event after the result arrived
(the model reset, for the list) returns: the paint has then been done. The list's time
includes the client view's typing pause (its debounce timer), by design.

Memory: VmRSS of this process from /proc/self/status once Today, the client list, the
whole practice's week and the 1,000-note chart have all been shown (the chart stays
open), after the timed runs. The baseline (`--bare`) is a PySide6 process showing one
empty main window.

Run by the suite: `python -m bench.gui_probe DATA_DIR SPEC.json` prints one JSON object.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget


def rss_mb() -> dict[str, float]:
    status = Path("/proc/self/status").read_text()
    out = {}
    for line in status.splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            name, value = line.split(":", 1)
            out[name] = round(int(value.split()[0]) / 1024, 1)
    return out


class PaintWatch(QObject):
    """Remembers when each watched widget last received a Paint event."""

    def __init__(self) -> None:
        super().__init__()
        self.painted: dict[int, float] = {}

    def watch(self, *widgets: QWidget) -> None:
        for widget in widgets:
            widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.painted[id(watched)] = time.perf_counter()
        return False

    def since(self, widget: QWidget) -> float:
        return self.painted.get(id(widget), 0.0)


def settle(app: QApplication, until: Callable[[], bool], timeout: float = 10.0) -> float:
    """Process events until `until()`; the time just after the call that made it so."""
    deadline = time.perf_counter() + timeout
    while True:
        app.processEvents()
        now = time.perf_counter()
        if until():
            return now
        if now > deadline:
            raise SystemExit("bench.gui_probe: the screen did not update in time")
        time.sleep(0.0005)


def bare() -> dict[str, Any]:
    app = QApplication([])
    window = QMainWindow()
    window.resize(1280, 800)
    window.show()
    for _ in range(20):
        app.processEvents()
    return rss_mb()


def probe(data_dir: Path, spec: dict[str, Any]) -> dict[str, Any]:
    from ehrdesk.core.clock import FrozenClock  # noqa: PLC0415 - after the Qt platform is set
    from ehrdesk.security.workstation import MemoryKeyring  # noqa: PLC0415
    from ehrdesk.services import demo  # noqa: PLC0415
    from ehrdesk.services.registry import Services  # noqa: PLC0415
    from ehrdesk.storage.database import Database  # noqa: PLC0415
    from ehrdesk.ui.application import make_application  # noqa: PLC0415
    from ehrdesk.ui.clipboard import ClipboardGuard  # noqa: PLC0415
    from ehrdesk.ui.main_window import MainWindow  # noqa: PLC0415

    clock = FrozenClock(datetime.fromisoformat(spec["now"]))
    services = Services.build(data_dir, keyring=MemoryKeyring(), clock=clock)
    app = make_application(["ehrdesk-bench"])
    window = MainWindow(services, ClipboardGuard())
    window.resize(1400, 900)
    window.show()
    settle(app, lambda: True)
    signed = services.auth.sign_in(spec["user"], demo.PASSWORD, demo.current_code(services))
    key = services.session.reauthenticate_key()
    Database.open(services.session.database.path, key, memory_security=True).close()
    memory_security = services.session.database.conn.execute(
        "PRAGMA cipher_memory_security"
    ).fetchone()[0]
    window.sign_in.signed_in.emit(signed)
    settle(app, lambda: True)
    workspace = window.workspace
    clients, chart, schedule = workspace.clients, workspace.chart, workspace.schedule
    watch = PaintWatch()
    table = clients.table.viewport()
    watch.watch(table, chart.table.viewport(), chart.reader.viewport(), schedule.grid)
    resets: list[float] = []
    clients.model.modelReset.connect(lambda: resets.append(time.perf_counter()))

    def show_clients() -> None:
        start = time.perf_counter()
        workspace.go_to("clients")
        settle(app, lambda: watch.since(table) > start)

    # The week: the whole practice, as the owner's schedule opens.
    start = time.perf_counter()
    workspace.go_to("schedule")
    week_shown = settle(app, lambda: watch.since(schedule.grid) > start) - start

    show_clients()
    keystrokes, searches = [], []
    for text in spec["searches"]:
        clients.search.setText(text[:-1])
        clients.refresh()
        settle(app, lambda: bool(resets) and watch.since(table) > resets[-1])
        clients.search.setFocus()
        start = time.perf_counter()
        QTest.keyClick(clients.search, text[-1])
        done = settle(app, lambda s=start: resets[-1] > s and watch.since(table) > resets[-1])
        keystrokes.append((done - start) * 1000)
        t = time.perf_counter()
        clients._fetch(None, 100)
        searches.append((time.perf_counter() - t) * 1000)

    long_client = spec["long_client"]
    clients.search.setText(spec["long_client_name"])
    clients.refresh()
    row = next(
        r for r in range(clients.model.rowCount()) if clients.model.client_at(r).id == long_client
    )
    shown, opened = [], []
    for _ in range(spec["chart_runs"]):
        show_clients()
        clients.table.selectRow(row)
        settle(app, lambda: True)
        start = time.perf_counter()
        QTest.mouseClick(clients.chart_button, Qt.MouseButton.LeftButton)
        done = settle(
            app,
            lambda s=start: (
                watch.since(chart.table.viewport()) > s and watch.since(chart.reader.viewport()) > s
            ),
        )
        shown.append((done - start) * 1000)
        if len(shown) < spec["chart_runs"]:
            workspace.close_chart()
            settle(app, lambda: True)
    for _ in range(spec["chart_runs"]):
        t = time.perf_counter()
        services.charts.open_chart(long_client)
        opened.append((time.perf_counter() - t) * 1000)
    settle(app, lambda: True)
    memory = rss_mb()
    services.session.sign_out()
    return {
        "keystroke_ms": keystrokes,
        "search_service_ms": searches,
        "chart_shown_ms": shown,
        "chart_service_ms": opened,
        "week_shown_ms": week_shown * 1000,
        "memory_mb": memory,
        "memory_security": str(memory_security),
        "debounce_ms": clients._timer.interval(),
    }


def main() -> None:
    if sys.argv[1] == "--bare":
        print(json.dumps(bare()))
        return
    spec = json.loads(Path(sys.argv[2]).read_text())
    print(json.dumps(probe(Path(sys.argv[1]), spec)))


if __name__ == "__main__":
    main()
