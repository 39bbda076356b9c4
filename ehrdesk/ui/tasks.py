"""Background work has one doorway: run a callable off the GUI thread and deliver its
result or its error back on the GUI thread.

A busy cursor appears after ~300 ms and a progress dialog after ~600 ms, so short work
does not flash (Anki's progress.py does the same). Long work (`run_long_work`) gets a
progress callback and a cancel token: the dialog shows how far it is and has a Cancel
button, and a quiet task (an automatic backup while someone works) shows neither
cursor nor dialog. No widget code runs in the worker, and the callable must not use the
session's database connection, which belongs to the GUI thread (sqlcipher3 enforces
it): long work opens its own.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QCursor, QGuiApplication
from PySide6.QtWidgets import QProgressDialog, QWidget

from ehrdesk.core.progress import CancelToken, Progress
from ehrdesk.ui.errors import show_error

BUSY_CURSOR_MS = 300
PROGRESS_DIALOG_MS = 600
#: A worker reports at most this often (a backup reads thousands of blocks a second).
REPORT_SECONDS = 0.05
_STEPS = 1000  # the dialog's scale: Qt's progress values are 32-bit, file sizes are not


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
    progressed = Signal(object, object, str)  # done, total (Python ints), label


class _Reporter:
    """The worker's progress callback: throttled, and carried to the GUI thread by a
    queued signal."""

    def __init__(self, relay: _Relay) -> None:
        self._relay = relay
        self._label = ""
        self._last = 0.0

    def __call__(self, done: int, total: int, label: str) -> None:
        now = time.monotonic()
        if label == self._label and now - self._last < REPORT_SECONDS:
            return
        self._label, self._last = label, now
        self._relay.progressed.emit(done, total, label)


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
    #: done, total, label: the latest report of long work, on the GUI thread.
    progressed = Signal(object, object, str)

    def __init__(
        self,
        parent: QWidget,
        on_done: Callable[[Any], None],
        *,
        label: str,
        on_error: Callable[[BaseException], None] | None = None,
        cancel: CancelToken | None = None,
        quiet: bool = False,
    ) -> None:
        super().__init__(parent)
        self._parent = parent
        self._on_done = on_done
        self._on_error = on_error or (lambda error: show_error(parent, error))
        self._label = label
        self._cancel = cancel
        self._quiet = quiet
        self._dialog: QProgressDialog | None = None
        self._cursor = False
        self._done = False
        self._latest: tuple[int, int, str] | None = None
        self._relay = _Relay()
        self._relay.succeeded.connect(self._succeeded, Qt.ConnectionType.QueuedConnection)
        self._relay.failed.connect(self._failed, Qt.ConnectionType.QueuedConnection)
        self._relay.progressed.connect(self._progressed, Qt.ConnectionType.QueuedConnection)
        #: Hand this to the work: callable from any thread.
        self.report: Progress = _Reporter(self._relay)

    def start(self, work: Callable[[], Any]) -> BackgroundTask:
        if not self._quiet:
            QTimer.singleShot(BUSY_CURSOR_MS, self._show_cursor)
            QTimer.singleShot(PROGRESS_DIALOG_MS, self._show_dialog)
        QThreadPool.globalInstance().start(_Job(work, self._relay))
        return self

    @property
    def done(self) -> bool:
        return self._done

    def cancel(self) -> None:
        """Ask the work to stop; it ends with `UserCancelled`, shown as nothing."""
        if self._cancel is not None:
            self._cancel.cancel()
            if self._dialog is not None:
                self._dialog.setLabelText("Cancelling…")

    def _show_cursor(self) -> None:
        if not self._done:
            QGuiApplication.setOverrideCursor(QCursor(Qt.CursorShape.WaitCursor))
            self._cursor = True

    def _show_dialog(self) -> None:
        if self._done:
            return
        dialog = QProgressDialog(self._label, "", 0, 0, self._parent)
        if self._cancel is None:
            dialog.setCancelButton(None)
        else:
            dialog.setCancelButtonText("&Cancel")
            dialog.canceled.disconnect()  # by default it would hide, not wait for the work
            dialog.canceled.connect(self.cancel)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setAccessibleName(self._label)
        dialog.setMinimumDuration(0)
        dialog.setAutoReset(False)
        dialog.setAutoClose(False)
        self._dialog = dialog
        if self._latest is not None:
            self._show_progress(*self._latest)
        dialog.show()

    def _progressed(self, done: int, total: int, label: str) -> None:
        if self._done:
            return
        self._latest = (done, total, label)
        self._show_progress(done, total, label)
        self.progressed.emit(done, total, label)

    def _show_progress(self, done: int, total: int, label: str) -> None:
        dialog = self._dialog
        if dialog is None or (self._cancel is not None and self._cancel.cancelled):
            return
        dialog.setLabelText(f"{self._label}\n{label}…")
        if total > 0:
            dialog.setRange(0, _STEPS)
            dialog.setValue(min(_STEPS, done * _STEPS // total))
        else:
            dialog.setRange(0, 0)  # a busy bar: no idea how far

    def _finish(self) -> None:
        self._done = True
        if self._cursor:
            QGuiApplication.restoreOverrideCursor()
            self._cursor = False
        if self._dialog is not None:
            self._dialog.close()
            self._dialog.deleteLater()
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
    return BackgroundTask(parent, on_done, label=label, on_error=on_error).start(work)


def run_long_work(
    parent: QWidget,
    work: Callable[[Progress, CancelToken], Any],
    on_done: Callable[[Any], None],
    *,
    label: str,
    on_error: Callable[[BaseException], None] | None = None,
    quiet: bool = False,
) -> BackgroundTask:
    """Long work that reports progress and can be cancelled (backup, restore): `work`
    gets the progress callback and the cancel token."""
    token = CancelToken()
    task = BackgroundTask(
        parent, on_done, label=label, on_error=on_error, cancel=token, quiet=quiet
    )
    report = task.report
    return task.start(lambda: work(report, token))


def counted(report: Progress, cancel: CancelToken, label: str) -> Callable[[int, int], None]:
    """A `progress(done, total)` for work that counts things (events checked, rows
    written), reporting under `label`; each report also honours Cancel."""

    def progress(done: int, total: int) -> None:
        cancel.raise_if_cancelled()
        report(done, total, label)

    return progress
