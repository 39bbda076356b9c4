"""The one doorway for background work: long work shows its progress after ~600 ms and
can be cancelled from the dialog; quiet work shows nothing; short work never flashes."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QWidget
from pytestqt.qtbot import QtBot

from ehrdesk.core.errors import UserCancelled
from ehrdesk.core.progress import CancelToken, Progress
from ehrdesk.ui.tasks import PROGRESS_DIALOG_MS, run_in_background, run_long_work


def parent(qtbot: QtBot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def until_cancelled(progress: Progress, cancel: CancelToken) -> None:
    done = 0
    while True:
        cancel.raise_if_cancelled()
        progress(done, 400, "Counting sheep")
        done = min(done + 1, 399)
        time.sleep(0.005)


def test_long_work_shows_its_progress_and_the_cancel_button_stops_it(qtbot: QtBot) -> None:
    outcome: list[object] = []
    task = run_long_work(
        parent(qtbot), until_cancelled, outcome.append, label="Long work", on_error=outcome.append
    )
    qtbot.waitUntil(lambda: task._dialog is not None and task._dialog.isVisible(), timeout=5000)
    dialog = task._dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: "Counting sheep" in dialog.labelText(), timeout=5000)
    assert dialog.maximum() == 1000 and 0 <= dialog.value() < 1000
    cancel = dialog.findChild(QPushButton)
    assert cancel is not None and cancel.text().replace("&", "") == "Cancel"
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: task.done, timeout=5000)
    assert len(outcome) == 1 and isinstance(outcome[0], UserCancelled)
    assert task._dialog is None


def test_quiet_work_shows_neither_dialog_nor_cursor(qtbot: QtBot) -> None:
    outcome: list[object] = []

    def slow(progress: Progress, cancel: CancelToken) -> str:
        time.sleep(PROGRESS_DIALOG_MS / 1000 + 0.4)
        return "done"

    task = run_long_work(parent(qtbot), slow, outcome.append, label="Quiet", quiet=True)
    qtbot.waitUntil(lambda: task.done, timeout=5000)
    assert outcome == ["done"] and task._dialog is None and not task._cursor


def test_short_work_never_shows_a_dialog(qtbot: QtBot) -> None:
    outcome: list[object] = []
    task = run_in_background(parent(qtbot), lambda: 42, outcome.append, label="Short")
    qtbot.waitUntil(lambda: task.done, timeout=5000)
    qtbot.wait(PROGRESS_DIALOG_MS + 100)
    assert outcome == [42] and task._dialog is None
