"""Background work has one doorway: run a callable off the GUI thread and deliver its
result or its error back on the GUI thread.

A busy cursor appears after ~300 ms and a progress dialog after ~600 ms, so short work
does not flash (Anki's progress.py does the same). No widget code runs in the worker,
and the callable must not use the session's database connection, which belongs to the
GUI thread (sqlcipher3 enforces it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QCursor, QGuiApplication
from PySide6.QtWidgets import QProgressDialog, QWidget

from ehrdesk.ui.errors import show_error

BUSY_CURSOR_MS = 300
PROGRESS_DIALOG_MS = 600


@contextlib.contextmanager
def busy_cursor() -> Iterator[None]:
    """For short work that must stay on the GUI thread (it uses the connection)."""
    QGuiApplication.setOverrideCursor(QCursor(Qt.CursorShape.WaitCursor))
    try:
        yield
    finally:
        QGuiApplication.restoreOverrideCursor()


class _Relay(QObject):
    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal(int, int)


class _Job(QRunnable):
    def __init__(self, work: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._work = work
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._work()
        except BaseException as error:  # delivered to the GUI thread, never swallowed
            self._relay.failed.emit(error)
        else:
            self._relay.succeeded.emit(result)


class BackgroundTask(QObject):
    """One piece of background work; keep a reference until it finishes."""

    finished = Signal()

    def __init__(
        self,
        parent: QWidget,
        work: Callable[[], Any],
        on_done: Callable[[Any], None],
        *,
        label: str,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._parent = parent
        self._on_done = on_done
        self._on_error = on_error or (lambda error: show_error(parent, error))
        self._label = label
        self._dialog: QProgressDialog | None = None
        self._cursor = False
        self._relay = _Relay()
        self._relay.succeeded.connect(self._succeeded, Qt.ConnectionType.QueuedConnection)
        self._relay.failed.connect(self._failed, Qt.ConnectionType.QueuedConnection)
        self._relay.progressed.connect(self._progressed, Qt.ConnectionType.QueuedConnection)
        self._progress = (0, 0)
        QTimer.singleShot(BUSY_CURSOR_MS, self._show_cursor)
        QTimer.singleShot(PROGRESS_DIALOG_MS, self._show_dialog)
        self._done = False
        QThreadPool.globalInstance().start(_Job(work, self._relay))

    @property
    def done(self) -> bool:
        return self._done

    def report_progress(self, done: int, total: int) -> None:
        """Callable from the worker: `done` of `total` (0: total unknown)."""
        self._relay.progressed.emit(done, total)

    def _progressed(self, done: int, total: int) -> None:
        self._progress = (done, total)
        if self._dialog is not None:
            self._apply_progress(self._dialog)

    def _apply_progress(self, dialog: QProgressDialog) -> None:
        done, total = self._progress
        if total > 0:
            dialog.setMaximum(total)
            dialog.setValue(min(done, total))
        elif done:
            dialog.setLabelText(f"{self._label} {done:,}")

    def _show_cursor(self) -> None:
        if not self._done:
            QGuiApplication.setOverrideCursor(QCursor(Qt.CursorShape.WaitCursor))
            self._cursor = True

    def _show_dialog(self) -> None:
        if self._done:
            return
        dialog = QProgressDialog(self._label, "", 0, 0, self._parent)
        dialog.setCancelButton(None)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setAccessibleName(self._label)
        dialog.setMinimumDuration(0)
        self._apply_progress(dialog)
        dialog.show()
        self._dialog = dialog

    def _finish(self) -> None:
        self._done = True
        if self._cursor:
            QGuiApplication.restoreOverrideCursor()
            self._cursor = False
        if self._dialog is not None:
            self._dialog.close()
            self._dialog = None

    def _succeeded(self, result: object) -> None:
        self._finish()
        self._on_done(result)
        self.finished.emit()

    def _failed(self, error: BaseException) -> None:
        self._finish()
        self._on_error(error)
        self.finished.emit()


def run_in_background(
    parent: QWidget,
    work: Callable[[], Any],
    on_done: Callable[[Any], None],
    *,
    label: str,
    on_error: Callable[[BaseException], None] | None = None,
) -> BackgroundTask:
    return BackgroundTask(parent, work, on_done, label=label, on_error=on_error)


def run_with_progress(
    parent: QWidget,
    work: Callable[[Callable[[int, int], None]], Any],
    on_done: Callable[[Any], None],
    *,
    label: str,
    on_error: Callable[[BaseException], None] | None = None,
) -> BackgroundTask:
    """Like `run_in_background`, for work that reports `progress(done, total)`."""
    holder: list[BackgroundTask] = []

    def progress(done: int, total: int) -> None:
        if holder:
            holder[0].report_progress(done, total)

    task = BackgroundTask(parent, lambda: work(progress), on_done, label=label, on_error=on_error)
    holder.append(task)
    return task
