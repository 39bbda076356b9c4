"""The owner's Backups screen: back up to a drive now, see recent backups and how their
last check went, verify one, test-restore one, restore one over the practice, and the
settings for keeping, reminding and automatic backups.

Every long step runs through `ui.tasks.run_long_work` (progress and Cancel; its own
connection in the worker). Automatic backups run quietly: no dialog, and a missing
drive or a failure is a line on this screen and a reminder on Today, never a message
box in the middle of someone's work. Cleared on lock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QTime, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableView,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.errors import UserCancelled
from ehrdesk.services.backup_jobs import BackupResult, VerifyResult
from ehrdesk.services.registry import Services
from ehrdesk.services.restore import PreparedRestore
from ehrdesk.services.session import SessionState
from ehrdesk.storage.backup_records import MAX_KEEP, MAX_REMINDER_DAYS, BackupSettings, RestoreDrill
from ehrdesk.ui.drives import removable_drives
from ehrdesk.ui.errors import message_for, show_error
from ehrdesk.ui.models.backup_table import BackupTableModel, Column, size_text, when
from ehrdesk.ui.tasks import BackgroundTask, run_long_work
from ehrdesk.ui.widgets.card import heading, message_label
from ehrdesk.ui.widgets.selectable import SELECTABLE

CHOOSE = "choose"


def _push(text: str, accessible: str, slot: Any) -> QPushButton:
    push = QPushButton(text)
    push.setAccessibleName(accessible)
    push.clicked.connect(slot)
    return push


def describe_counts(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    return f"{total} rows in {len(counts)} tables"


class BackupsView(QWidget):
    #: A backup finished (automatic or not): the Today reminder may have changed.
    backed_up = Signal()
    #: The practice was restored over and the session signed out.
    restored_over = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._task: BackgroundTask | None = None
        self.model = BackupTableModel()
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Backups", scale=1.4))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(SELECTABLE)
        self.summary.setAccessibleName("Backup summary")
        layout.addWidget(self.summary)
        self.note = message_label("Backup message")
        self.note.setTextInteractionFlags(SELECTABLE)
        layout.addWidget(self.note)

        now_box = QGroupBox("Back up now")
        row = QHBoxLayout(now_box)
        drive_label = QLabel("&Drive:")
        self.drive = QComboBox()
        self.drive.setAccessibleName("Backup drive")
        self.drive.setMinimumContentsLength(24)
        self.drive.activated.connect(self._drive_chosen)
        drive_label.setBuddy(self.drive)
        # clicked(bool) would arrive as the first argument: these take none.
        self.refresh_drives = _push("Refr&esh", "Look for drives again", self._look_again)
        self.back_up = _push("&Back up now", "Back up now", self._back_up_clicked)
        row.addWidget(drive_label)
        row.addWidget(self.drive, 1)
        row.addWidget(self.refresh_drives)
        row.addWidget(self.back_up)
        layout.addWidget(now_box)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Recent backups")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(Column.WHERE, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        actions = QHBoxLayout()
        self.verify = _push("&Verify", "Verify the selected backup", self.verify_selected)
        self.drill = _push(
            "&Test restore", "Test-restore the selected backup", self.test_restore_selected
        )
        self.verify_file = _push("Verify a &file…", "Verify a backup file", self.choose_and_verify)
        self.restore = _push(
            "&Restore…", "Restore the selected backup over the practice", self.restore_selected
        )
        for push in (self.verify, self.drill, self.verify_file):
            actions.addWidget(push)
        actions.addStretch(1)
        actions.addWidget(self.restore)
        layout.addLayout(actions)
        layout.addWidget(self._settings_box())
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self._selection_changed()

    def _settings_box(self) -> QGroupBox:
        box = QGroupBox("Settings")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.keep = QSpinBox()
        self.keep.setRange(1, MAX_KEEP)
        self.keep.setSuffix(" backups on each drive")
        self.keep.setAccessibleName("Backups to keep on each drive")
        form.addRow("&Keep the newest", self.keep)
        self.remind = QSpinBox()
        self.remind.setRange(1, MAX_REMINDER_DAYS)
        self.remind.setSuffix(" days without a verified backup")
        self.remind.setAccessibleName("Days before a backup reminder")
        form.addRow("Re&mind after", self.remind)
        self.at_close = QCheckBox("Back up to the last used drive when ehrdesk &closes")
        self.at_close.setAccessibleName("Back up when ehrdesk closes")
        form.addRow(self.at_close)
        daily = QHBoxLayout()
        self.daily = QCheckBox("Back up to the last used drive every da&y at")
        self.daily.setAccessibleName("Back up every day")
        self.daily_time = QTimeEdit()
        self.daily_time.setDisplayFormat("HH:mm")
        self.daily_time.setAccessibleName("Time of the daily backup")
        self.daily.toggled.connect(self.daily_time.setEnabled)
        daily.addWidget(self.daily)
        daily.addWidget(self.daily_time)
        daily.addStretch(1)
        form.addRow(daily)
        self.save = _push("&Save settings", "Save the backup settings", self.save_settings)
        save_row = QHBoxLayout()
        save_row.addStretch(1)
        save_row.addWidget(self.save)
        form.addRow(save_row)
        return box

    # Showing -------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the records, the settings and the drives (signed in as the owner)."""
        backups = self._services.backups
        try:
            records = backups.recent_backups()
            settings = backups.settings()
            newest = backups.newest_verified_backup()
            drill = backups.last_restore_drill()
        except Exception as error:
            show_error(self, error)
            return
        self.model.set_rows(records)
        self._show_settings(settings)
        parts = [
            "No verified backup yet."
            if newest is None
            else f"Newest verified backup: {when(newest.created_at)}, in {newest.folder}."
        ]
        if drill is not None:
            outcome = "passed" if drill.ok else "FAILED"
            parts.append(f"Last test restore: {when(drill.at)}, {outcome}.")
        else:
            parts.append("No test restore yet: choose a backup and Test restore.")
        self.summary.setText(" ".join(parts))
        self.fill_drives(settings.last_folder)
        self._selection_changed()

    def _show_settings(self, settings: BackupSettings) -> None:
        self.keep.setValue(settings.keep)
        self.remind.setValue(settings.reminder_days)
        self.at_close.setChecked(settings.at_close)
        self.daily.setChecked(settings.daily_at is not None)
        self.daily_time.setEnabled(settings.daily_at is not None)
        if settings.daily_at is not None:
            self.daily_time.setTime(QTime.fromString(settings.daily_at, "HH:mm"))
        else:
            self.daily_time.setTime(QTime(17, 30))

    def fill_drives(self, prefer: str | None = None) -> None:
        """Removable drives, the last used folder when it is there, and "Choose…"."""
        current = prefer or self.drive.currentData()
        self.drive.clear()
        seen = set()
        for drive in removable_drives():
            self.drive.addItem(drive.label, str(drive.path))
            seen.add(str(drive.path))
        last = prefer or self._last_folder()
        if last and last not in seen and Path(last).is_dir():
            self.drive.addItem(last, last)
        self.drive.addItem("Choose a folder…", CHOOSE)
        index = self.drive.findData(current) if current else -1
        self.drive.setCurrentIndex(max(index, 0))

    def _last_folder(self) -> str | None:
        try:
            return self._services.backups.settings().last_folder
        except Exception:
            return None

    def _look_again(self) -> None:
        self.fill_drives()

    def _back_up_clicked(self) -> None:
        self.back_up_now()

    def _drive_chosen(self, index: int) -> None:
        if self.drive.itemData(index) == CHOOSE:
            self.choose_folder()

    def choose_folder(self) -> Path | None:
        chosen = QFileDialog.getExistingDirectory(self, "Back up into which folder?")
        if not chosen:
            self.drive.setCurrentIndex(0)
            return None
        if self.drive.findData(chosen) < 0:
            self.drive.insertItem(self.drive.count() - 1, chosen, chosen)
        self.drive.setCurrentIndex(self.drive.findData(chosen))
        return Path(chosen)

    def _selected(self) -> Path | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        record = self.model.record(rows[0].row())
        return Path(record.folder) / record.file_name

    def _selection_changed(self, *args: object) -> None:
        chosen = self._selected() is not None
        idle = self._task is None or self._task.done
        for push in (self.verify, self.drill, self.restore):
            push.setEnabled(chosen and idle)
        for push in (self.back_up, self.verify_file):
            push.setEnabled(idle)

    def say(self, text: str) -> None:
        """A quiet line on this screen (also how automatic backups report)."""
        self.note.setText(text)

    def clear(self) -> None:
        """On lock: nothing of the practice's stays on screen."""
        self.model.clear()
        self.summary.clear()
        self.note.clear()

    # Working -------------------------------------------------------------------------

    def _signed_in(self) -> bool:
        return self._services.session.state is SessionState.SIGNED_IN

    def _start(self, task: BackgroundTask) -> None:
        self._task = task
        task.finished.connect(self._selection_changed)
        self._selection_changed()

    def back_up_now(
        self, folder: Path | None = None, *, quiet: bool = False
    ) -> BackgroundTask | None:
        """Back up to `folder` (or the chosen drive): the running task, or None if it
        could not start (something else runs, nothing chosen, or refused)."""
        if self._task is not None and not self._task.done:
            return None
        if folder is None:
            data = self.drive.currentData()
            folder = self.choose_folder() if data in (None, CHOOSE) else Path(data)
            if folder is None:
                return None
        try:
            job = self._services.backups.backup_job(folder)
        except Exception as error:
            self._failed(error, quiet=quiet)
            return None
        task = run_long_work(
            self,
            job.run,
            self._backed_up,
            label="Backing up the practice",
            on_error=lambda error: self._failed(error, quiet=quiet),
            quiet=quiet,
        )
        self._start(task)
        return task

    def _backed_up(self, result: BackupResult) -> None:
        self.say(
            f"Backed up to {result.path} ({size_text(result.record.size)}), read back and verified."
        )
        if self._signed_in():
            self.refresh()
        self.backed_up.emit()

    def _failed(self, error: BaseException, *, quiet: bool) -> None:
        if isinstance(error, UserCancelled):
            self.say("Cancelled; nothing was written.")
        elif quiet:
            self.say(f"The automatic backup did not run: {message_for(error)}")
        else:
            show_error(self, error)
        if self._signed_in():
            self.refresh()

    def verify_selected(self) -> None:
        path = self._selected()
        if path is not None:
            self._verify(path)

    def choose_and_verify(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, "Verify which backup?", filter="ehrdesk backups (*.ehrbackup)"
        )
        if chosen:
            self._verify(Path(chosen))

    def _verify(self, path: Path) -> None:
        try:
            job = self._services.backups.verify_job(path)
        except Exception as error:
            show_error(self, error)
            return

        def done(result: VerifyResult) -> None:
            manifest = result.backup.manifest
            self.say(
                f"The backup taken {when(manifest.created_at)} is sound: "
                f"{describe_counts(manifest.row_counts)}, "
                f"{result.backup.audit_events} audit events verified."
            )
            if self._signed_in():
                self.refresh()

        self._start(
            run_long_work(
                self,
                job.run,
                done,
                label="Verifying the backup",
                on_error=lambda error: self._failed(error, quiet=False),
            )
        )

    def test_restore_selected(self) -> None:
        path = self._selected()
        if path is None:
            return
        try:
            job = self._services.backups.restore_drill_job(path)
        except Exception as error:
            show_error(self, error)
            return

        def done(drill: RestoreDrill) -> None:
            self.say(f"Test restore passed in {drill.seconds:.1f} s. {drill.detail}")
            if self._signed_in():
                self.refresh()

        self._start(
            run_long_work(
                self,
                job.run,
                done,
                label="Test-restoring the backup",
                on_error=lambda error: self._failed(error, quiet=False),
            )
        )

    def restore_selected(self) -> None:
        path = self._selected()
        if path is None:
            return
        try:
            job = self._services.backups.restore_over_job(path)
        except Exception as error:
            show_error(self, error)
            return
        self._start(
            run_long_work(
                self,
                job.run,
                self._confirm_restore,
                label="Checking the backup before restoring it",
                on_error=lambda error: self._failed(error, quiet=False),
            )
        )

    def _confirm_restore(self, prepared: PreparedRestore) -> None:
        """What the backup holds, then one clear question; nothing has changed yet."""
        if not self._signed_in() or not self.ask_to_restore(prepared) or not self._signed_in():
            prepared.discard()
            return
        try:
            self._services.backups.finish_restore_over(prepared)
        except Exception as error:
            show_error(self, error)
            return
        self.restored_over.emit()

    def ask_to_restore(self, prepared: PreparedRestore) -> bool:
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Restore this backup?",
            f"This backup of {prepared.practice_name} was taken {when(prepared.created_at)} "
            f"and holds {describe_counts(prepared.row_counts)}.\n\n"
            "Everything entered since then will be replaced by it. The practice as it is "
            "now is kept as a safety copy until someone next signs in. You will be "
            "signed out.",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setAccessibleName("Confirm the restore")
        restore = box.addButton("&Restore", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is restore

    def save_settings(self) -> None:
        try:
            current = self._services.backups.settings()
            settings = BackupSettings(
                keep=self.keep.value(),
                reminder_days=self.remind.value(),
                at_close=self.at_close.isChecked(),
                daily_at=self.daily_time.time().toString("HH:mm")
                if self.daily.isChecked()
                else None,
                last_folder=current.last_folder,
            )
            self._services.backups.set_settings(settings)
        except Exception as error:
            show_error(self, error)
            return
        self.say("The backup settings are saved.")
        self.backed_up.emit()  # the reminder on Today may change with them
