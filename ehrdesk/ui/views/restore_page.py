"""Restore from a backup on the first-run screen: a new computer, the USB drive and the
printed Emergency Kit, and no one to call.

    1. choose the backup file and type the recovery key → "Check the backup"
       (decrypted and verified in full, in the background, with progress and Cancel)
    2. see what it holds (practice, when it was taken, what is in it) → "Restore"
       (nothing is in the data folder until this)
    3. sign in as before, with the passwords of the day the backup was taken

Errors are shown on the page in one sentence; the recovery key is cleared as soon as
it has been used.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QWidget,
)

from ehrdesk.core.errors import UserCancelled
from ehrdesk.core.progress import CancelToken, Progress
from ehrdesk.services.registry import Services
from ehrdesk.services.restore import PreparedRestore, RestoredVault
from ehrdesk.ui.errors import message_for
from ehrdesk.ui.models.backup_table import when
from ehrdesk.ui.tasks import BackgroundTask, run_long_work
from ehrdesk.ui.widgets.card import Card, button, button_row, centre, heading, message_label
from ehrdesk.ui.widgets.selectable import SELECTABLE


def describe(prepared: PreparedRestore) -> str:
    counts = prepared.row_counts
    lines = [
        f"Practice: {prepared.practice_name}",
        f"Taken: {when(prepared.created_at)}",
        f"People who can sign in: {counts.get('user', 0)}",
        f"Audit log: {prepared.backup.audit_events} events, verified",
        f"In all: {sum(counts.values())} rows in {len(counts)} tables, every one checked",
    ]
    if prepared.vault.workstation_binding:
        lines.append("It will be bound to this computer's keyring.")
    return "\n".join(lines)


class RestorePage(QWidget):
    restored = Signal(object)  # RestoredVault
    back_requested = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._prepared: PreparedRestore | None = None
        self._task: BackgroundTask | None = None
        card = Card(width_em=36)
        card.body.addWidget(heading("Restore from a backup"))
        self._steps = QStackedWidget()
        card.body.addWidget(self._steps)

        choose = QWidget()
        form = QFormLayout(choose)
        intro = QLabel(
            "Choose the backup file (on the practice's USB drive, it ends in .ehrbackup) "
            "and type the recovery key from the practice's Emergency Kit."
        )
        intro.setWordWrap(True)
        form.addRow(intro)
        self.file = QLineEdit()
        self.file.setAccessibleName("Backup file")
        self.browse = button("B&rowse…", "Choose the backup file", self.choose_file)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file, 1)
        file_row.addWidget(self.browse)
        file_label = QLabel("Backup &file")
        file_label.setBuddy(self.file)
        form.addRow(file_label, file_row)
        self.key = QLineEdit()
        self.key.setAccessibleName("Recovery key")
        self.key.setPlaceholderText("XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX")
        self.key.returnPressed.connect(self.check)
        form.addRow("Recovery &key", self.key)
        self._steps.addWidget(choose)

        confirm = QWidget()
        confirm_form = QFormLayout(confirm)
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        self.preview.setTextInteractionFlags(SELECTABLE)
        self.preview.setAccessibleName("What the backup holds")
        confirm_form.addRow(self.preview)
        where = QLabel(
            f"It will be restored into {services.data_dir}. Afterwards everyone signs in "
            "with the password they had on the day the backup was taken."
        )
        where.setWordWrap(True)
        where.setTextInteractionFlags(SELECTABLE)
        confirm_form.addRow(where)
        self._steps.addWidget(confirm)

        self.message = message_label("Restore message")
        self.message.setTextInteractionFlags(SELECTABLE)
        card.body.addWidget(self.message)
        self.back = button("&Back", "Back", self._back)
        self.next = button("&Check the backup", "Check the backup", self._next)
        card.body.addLayout(button_row(self.back, self.next))
        centre(card, self)

    def showEvent(self, event: object) -> None:
        (self.file if not self.file.text() else self.key).setFocus()

    def choose_file(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, "Choose the backup", filter="ehrdesk backups (*.ehrbackup);;All files (*)"
        )
        if chosen:
            self.file.setText(chosen)
            self.key.setFocus()

    def _busy(self) -> bool:
        return self._task is not None and not self._task.done

    def _next(self) -> None:
        if self._prepared is None:
            self.check()
        else:
            self.confirm()

    def check(self) -> None:
        """Decrypt and verify the whole backup into a work folder; nothing in place."""
        if self._busy():
            return
        path = Path(self.file.text().strip()).expanduser()
        key = self.key.text()
        if not self.file.text().strip() or not key.strip():
            self.message.setText("Please choose the backup file and type the recovery key.")
            return
        self.message.setText("")
        restorer = self._services.restorer

        def work(progress: Progress, cancel: CancelToken) -> PreparedRestore:
            return restorer.prepare(path, key, progress=progress, cancel=cancel)

        self._task = run_long_work(
            self, work, self._checked, label="Checking the backup", on_error=self._failed
        )

    def _checked(self, prepared: PreparedRestore) -> None:
        self.key.clear()  # used: not kept on screen any longer than needed
        self._prepared = prepared
        self.preview.setText(describe(prepared))
        self._steps.setCurrentIndex(1)
        self.next.setText("&Restore")
        self.next.setAccessibleName("Restore this backup")
        self.next.setFocus()

    def confirm(self) -> None:
        prepared = self._prepared
        if prepared is None or self._busy():
            return
        restorer = self._services.restorer

        def work(progress: Progress, cancel: CancelToken) -> RestoredVault:
            return restorer.finish(prepared)

        self._prepared = None
        self._task = run_long_work(
            self, work, self.restored.emit, label="Restoring", on_error=self._failed_to_finish
        )

    def _failed(self, error: BaseException) -> None:
        text = message_for(error)
        self.message.setText("" if text is None else text)
        if isinstance(error, UserCancelled):
            self.message.setText("Cancelled; nothing was restored.")

    def _failed_to_finish(self, error: BaseException) -> None:
        self._failed(error)
        self._show_choice()

    def _show_choice(self) -> None:
        self._steps.setCurrentIndex(0)
        self.next.setText("&Check the backup")
        self.next.setAccessibleName("Check the backup")

    def _back(self) -> None:
        if self._busy():
            return
        if self._prepared is not None:
            self.discard()
            self._show_choice()
            return
        self.back_requested.emit()

    def discard(self) -> None:
        """Throw away a checked backup that was not restored (leaving the page)."""
        if self._prepared is not None:
            self._prepared.discard()
            self._prepared = None
        self.preview.clear()
        self.key.clear()
