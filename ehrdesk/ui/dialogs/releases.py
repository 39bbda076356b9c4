"""A client's releases of information: the list (who, what, why, until when, in force,
expired or revoked, form attached), a new release typed from the signed form with its
scan, viewing the scan, attaching a better one or having the client sign on screen
(dialogs/sign_release.py), and revoking.

A scan is read from the chosen file into memory and handed to the service, which keeps
it inside the encrypted database; it is shown from memory (a PDF's pages rendered with
pypdfium2), never written anywhere. Closes on lock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QStandardPaths
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.errors import InvalidInput
from ehrdesk.core.records import Release, ReleaseDraft, ShareCategory, check_form_size
from ehrdesk.core.recurrence import to_local
from ehrdesk.services.registry import Services
from ehrdesk.ui.dialogs import LockWatcher
from ehrdesk.ui.dialogs.record_export import py_date
from ehrdesk.ui.dialogs.sign_release import SignReleaseDialog
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.printing import page_images
from ehrdesk.ui.widgets.card import heading

SCANS = "Signed forms (*.pdf *.png *.jpg *.jpeg)"


def practice_today(services: Services) -> date:
    """Today in the practice's time zone: the day the services judge a release by."""
    zone = ZoneInfo(services.schedule.settings().time_zone)
    return to_local(services.clock.now(), zone).date()


def read_scan(path: Path) -> bytes:
    """The chosen file's bytes; one too large is refused before it is read."""
    try:
        check_form_size(path.stat().st_size)
        return path.read_bytes()
    except OSError:
        raise InvalidInput("That file cannot be read; choose another.") from None


def ask_scan(parent: QWidget) -> Path | None:
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    chosen, _ = QFileDialog.getOpenFileName(parent, "The signed form", folder, SCANS)
    return Path(chosen) if chosen else None


class NewReleaseDialog(QDialog):
    """A release as the client signed it; the scan is optional here and can follow."""

    def __init__(self, services: Services, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._lock = LockWatcher(self, services.events)
        self.client_id = client_id
        self.release: Release | None = None
        self.scan: bytes | None = None
        #: Tests set this to skip the system's file dialog.
        self.choose_scan: Callable[[], Path | None] = lambda: ask_scan(self)
        self.setWindowTitle("New release of information")
        self.setAccessibleName(self.windowTitle())
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.recipient = QLineEdit()
        self.recipient.setAccessibleName("Recipient")
        self.contact = QLineEdit()
        self.contact.setAccessibleName("Recipient's contact")
        self.purpose = QLineEdit()
        self.purpose.setAccessibleName("Purpose")
        today = practice_today(services)
        self.signed_on = QDateEdit(QDate(today.year, today.month, today.day))
        later = today + timedelta(days=365)
        self.expires_on = QDateEdit(QDate(later.year, later.month, later.day))
        for edit, name in ((self.signed_on, "Signed on"), (self.expires_on, "Expires on")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setAccessibleName(name)
        form.addRow("&Recipient:", self.recipient)
        form.addRow("Their &contact:", self.contact)
        form.addRow("&Purpose:", self.purpose)
        form.addRow("&Signed on:", self.signed_on)
        form.addRow("&Expires on:", self.expires_on)
        layout.addLayout(form)
        layout.addWidget(QLabel("What may be shared:"))
        self.categories: dict[ShareCategory, QCheckBox] = {}
        for category in ShareCategory:
            check = QCheckBox(category.label)
            check.setChecked(category is not ShareCategory.PSYCHOTHERAPY_NOTES)
            self.categories[category] = check
            layout.addWidget(check)
        scan_row = QHBoxLayout()
        self.scan_button = QPushButton("&Attach the signed form…")
        self.scan_button.clicked.connect(self.attach_scan)
        self.scan_label = QLabel("No scan attached yet.")
        self.scan_label.setAccessibleName("Signed form")
        scan_row.addWidget(self.scan_button)
        scan_row.addWidget(self.scan_label, 1)
        layout.addLayout(scan_row)
        self.problem = QLabel()
        self.problem.setObjectName("message")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def attach_scan(self) -> None:
        path = self.choose_scan()
        if path is None:
            return
        try:
            self.scan = read_scan(path)
        except InvalidInput as error:
            self.problem.setText(error.message)
            return
        self.scan_label.setText(f"{path.name} ({len(self.scan) / 1024:,.0f} KB)")

    def draft(self) -> ReleaseDraft:
        return ReleaseDraft(
            self.recipient.text(),
            frozenset(c for c, check in self.categories.items() if check.isChecked()),
            self.purpose.text(),
            py_date(self.signed_on.date()),
            py_date(self.expires_on.date()),
            self.contact.text(),
        )

    def submit(self) -> None:
        try:
            self.release = self._services.releases.record(self.client_id, self.draft(), self.scan)
        except InvalidInput as error:
            self.problem.setText(error.message)
            return
        except Exception as error:
            show_error(self, error)
            return
        self.accept()


class FormViewer(QDialog):
    """The signed form, from memory: an image, or a PDF's pages as images."""

    def __init__(self, media_type: str, data: bytes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Signed release form")
        self.setAccessibleName(self.windowTitle())
        images = (
            page_images(data, 110) if media_type == "application/pdf" else [QImage.fromData(data)]
        )
        column = QWidget()
        pages = QVBoxLayout(column)
        for image in images:
            label = QLabel()
            label.setPixmap(QPixmap.fromImage(image))
            pages.addWidget(label)
        scroll = QScrollArea()
        scroll.setWidget(column)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)
        self.resize(760, 820)


class ReleasesDialog(QDialog):
    COLUMNS = ("Recipient", "May share", "Purpose", "Signed", "Until", "Status", "Form")

    def __init__(self, services: Services, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._lock = LockWatcher(self, services.events)
        self.client_id = client_id
        self.rows: list[Release] = []
        self.setWindowTitle("Releases of information")
        self.setAccessibleName(self.windowTitle())
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Releases of information", scale=1.2))
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.setAccessibleName("Releases")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.new_button = QPushButton("&New release…")
        self.new_button.clicked.connect(self.new_release)
        self.view_button = QPushButton("&View signed form…")
        self.view_button.clicked.connect(self.view_form)
        self.attach_button = QPushButton("&Attach a scan…")
        self.attach_button.clicked.connect(self.attach_form)
        self.sign_button = QPushButton("Sign on &screen…")
        self.sign_button.setAccessibleName("The client signs the selected release on screen")
        self.sign_button.clicked.connect(self.sign_on_screen)
        self.revoke_button = QPushButton("&Revoke…")
        self.revoke_button.clicked.connect(self.revoke)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        for push in (
            self.new_button,
            self.view_button,
            self.attach_button,
            self.sign_button,
            self.revoke_button,
        ):
            buttons.addWidget(push)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.choose_scan: Callable[[], Path | None] = lambda: ask_scan(self)
        self.confirm = self._confirm
        self.refresh()
        self.resize(980, 420)

    def refresh(self) -> None:
        try:
            self.rows = self._services.releases.releases(self.client_id)
        except Exception as error:
            show_error(self, error)
            return
        today = practice_today(self._services)
        self.table.setRowCount(len(self.rows))
        for row, release in enumerate(self.rows):
            values = (
                release.recipient,
                ", ".join(c.label for c in ShareCategory if c in release.categories),
                release.purpose,
                f"{release.signed_on:%Y-%m-%d}",
                f"{release.expires_on:%Y-%m-%d}",
                release.status(today),
                "—" if release.form_type is None else release.form_type.split("/")[1].upper(),
            )
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        self._selection_changed()

    def selected(self) -> Release | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        release = self.selected()
        self.view_button.setEnabled(release is not None and release.form_type is not None)
        self.attach_button.setEnabled(release is not None and not release.used)
        self.sign_button.setEnabled(release is not None and not release.used)
        self.revoke_button.setEnabled(release is not None and release.revoked_at is None)

    def new_release(self) -> None:
        dialog = NewReleaseDialog(self._services, self.client_id, self)
        if dialog.exec():
            self.refresh()

    def view_form(self) -> None:
        release = self.selected()
        if release is None:
            return
        try:
            form = self._services.releases.signed_form(release.id)
        except Exception as error:
            show_error(self, error)
            return
        FormViewer(form.media_type, form.data, self).exec()

    def attach_form(self) -> None:
        release = self.selected()
        path = None if release is None else self.choose_scan()
        if release is None or path is None:
            return
        try:
            self._services.releases.attach_form(release, read_scan(path))
        except Exception as error:
            show_error(self, error)
            return
        self.refresh()

    def sign_on_screen(self) -> None:
        release = self.selected()
        if release is not None and SignReleaseDialog(self._services, release, self).exec():
            self.refresh()

    def _confirm(self, text: str) -> bool:
        answer = QMessageBox.question(self, "Revoke the release", text)
        return answer == QMessageBox.StandardButton.Yes

    def revoke(self) -> None:
        release = self.selected()
        if release is None or not self.confirm(
            f"The client revoked the release to {release.recipient}? Nothing more will be "
            "shared under it. This cannot be undone."
        ):
            return
        try:
            self._services.releases.revoke(release)
        except Exception as error:
            show_error(self, error)
            return
        self.refresh()
