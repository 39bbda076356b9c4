"""Handing a client's record out: for whom (the client, or someone else under a release
or a legal basis), what (the parts of the record, a period, and, for their author only,
psychotherapy notes), and how (printed, a PDF, a FHIR file, or both in an encrypted
package with a passphrase).

The dialog only gathers choices; `ClientRecords.export` decides, records the disclosure
and audits it, and its refusal (one sentence) is shown as it is. Closes on lock.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.errors import InvalidInput
from ehrdesk.core.records import (
    STANDARD_CATEGORIES,
    Delivery,
    DisclosureBasis,
    LegalBasis,
    RecordOutline,
    RecordRequest,
    ShareCategory,
)
from ehrdesk.security.passwords import strength
from ehrdesk.services.documents import Purpose
from ehrdesk.services.records import delivery_for
from ehrdesk.services.registry import Services
from ehrdesk.ui.dialogs import LockWatcher
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.printing import DocumentOutput
from ehrdesk.ui.widgets.card import heading


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def py_date(value: QDate) -> date:
    """A QDate as a date (PySide6's toPython() is typed as object)."""
    return date(value.year(), value.month(), value.day())


class PassphraseDialog(QDialog):
    """The package's passphrase: eight words made for the client (shown once, and
    printable on a sheet that names no one), or one typed, with a strength check."""

    def __init__(
        self, services: Services, package_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._lock = LockWatcher(self, services.events)
        self.package_name = package_name
        self.output = DocumentOutput(self)
        self.setWindowTitle("Passphrase for the package")
        self.setAccessibleName(self.windowTitle())
        self.passphrase = ""
        layout = QVBoxLayout(self)
        explain = QLabel(
            "The package is encrypted with a passphrase. Give it to the client separately "
            "from the file: read it out, or print it on its own sheet."
        )
        explain.setWordWrap(True)
        layout.addWidget(explain)
        self.use_words = QRadioButton("&Use these words:")
        self.use_words.setChecked(True)
        self.words = QLabel(services.records.new_passphrase())
        self.words.setObjectName("passphrase")
        self.words.setAccessibleName("Suggested passphrase")
        self.words.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.words.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.words.setFont(font)
        again = QPushButton("&New words")
        again.clicked.connect(lambda: self.words.setText(services.records.new_passphrase()))
        self.print_sheet = QPushButton("&Print the passphrase…")
        self.print_sheet.setAccessibleName("Print the passphrase on its own sheet")
        self.print_sheet.clicked.connect(self._print_sheet)
        row = QHBoxLayout()
        row.addWidget(again)
        row.addWidget(self.print_sheet)
        row.addStretch(1)
        self.type_own = QRadioButton("&Type a passphrase:")
        self.typed = QLineEdit()
        self.typed.setAccessibleName("Typed passphrase")
        self.typed.textChanged.connect(self._rate)
        self.meter = QLabel()
        self.meter.setAccessibleName("Passphrase strength")
        layout.addWidget(self.use_words)
        layout.addWidget(self.words)
        layout.addLayout(row)
        layout.addWidget(self.type_own)
        layout.addWidget(self.typed)
        layout.addWidget(self.meter)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Save the package…")
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def chosen(self) -> str:
        return self.words.text() if self.use_words.isChecked() else self.typed.text()

    def _rate(self, text: str) -> None:
        self.type_own.setChecked(True)
        rated = strength(text)
        self.meter.setText(f"Strength: {rated.label}. {rated.advice}" if text else "")

    def _print_sheet(self) -> None:
        words = self.words.text()
        self.output.print(
            lambda purpose: self._services.records.passphrase_sheet(
                words, self.package_name, purpose
            )
        )

    def submit(self) -> None:
        if not self.chosen().strip():
            show_error(self, InvalidInput("Type a passphrase, or use the suggested words."))
            return
        self.passphrase = self.chosen()
        self.accept()


class RecordExportDialog(QDialog):
    def __init__(
        self,
        services: Services,
        client_id: int,
        *,
        for_someone_else: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._lock = LockWatcher(self, services.events)
        self.client_id = client_id
        self.outline: RecordOutline = services.records.outline(client_id)
        self.output = DocumentOutput(self)
        self.setWindowTitle("Hand out the record")
        self.setAccessibleName(self.windowTitle())
        layout = QVBoxLayout(self)
        layout.addWidget(heading(f"Record of {self.outline.display_name}", scale=1.2))
        layout.addWidget(self._whom_box(for_someone_else))
        layout.addWidget(self._what_box())
        if self.outline.my_psychotherapy_notes:
            layout.addWidget(self._psychotherapy_box())
        self.problem = QLabel()
        self.problem.setObjectName("message")
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName("Problem")
        layout.addStretch(1)
        layout.addWidget(self.problem)
        buttons = QHBoxLayout()
        self.print_button = QPushButton("&Print…")
        self.print_button.clicked.connect(self.print_record)
        self.pdf_button = QPushButton("Save P&DF…")
        self.pdf_button.clicked.connect(self.save_pdf)
        self.fhir_button = QPushButton("Save &FHIR file…")
        self.fhir_button.setToolTip(
            "The record as a FHIR R4 JSON bundle, for another health record"
        )
        self.fhir_button.clicked.connect(self.save_fhir)
        self.package_button = QPushButton("Save encrypted pac&kage…")
        self.package_button.setToolTip("The PDF and the FHIR file, encrypted with a passphrase")
        self.package_button.clicked.connect(self.save_package)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        for push in (self.print_button, self.pdf_button, self.fhir_button, self.package_button):
            buttons.addWidget(push)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self._whom_changed()

    # For whom ---------------------------------------------------------------------

    def _whom_box(self, someone_else: bool) -> QGroupBox:
        box = QGroupBox("For whom")
        form = QVBoxLayout(box)
        self.to_client = QRadioButton("The &client, their own copy (right of access)")
        self.to_other = QRadioButton("&Someone else: a disclosure, in the accounting")
        (self.to_other if someone_else else self.to_client).setChecked(True)
        group = QButtonGroup(box)
        for radio in (self.to_client, self.to_other):
            group.addButton(radio)
            radio.toggled.connect(self._whom_changed)
            form.addWidget(radio)
        self.other = QWidget()
        inner = QFormLayout(self.other)
        self.by_release = QRadioButton("Under a &release:")
        self.releases = QComboBox()
        self.releases.setAccessibleName("Release of information")
        today = self.outline.today
        for release in self.outline.releases:
            status = release.status(today)
            self.releases.addItem(
                f"{release.recipient} — {release.purpose} — {status.lower()}, until "
                f"{release.expires_on:%d %b %Y}",
                release.id,
            )
        if not self.outline.releases:
            self.releases.addItem("No release on file", None)
        self.by_law = QRadioButton("No release &needed:")
        basis_group = QButtonGroup(self.other)
        basis_group.addButton(self.by_release)
        basis_group.addButton(self.by_law)
        (self.by_release if self.outline.releases else self.by_law).setChecked(True)
        self.basis = QComboBox()
        self.basis.setAccessibleName("Legal basis")
        for basis in LegalBasis:
            self.basis.addItem(basis.label, basis.value)
        self.recipient = QLineEdit()
        self.recipient.setAccessibleName("Recipient")
        self.purpose = QLineEdit()
        self.purpose.setAccessibleName("Purpose")
        self.detail = QLineEdit()
        self.detail.setAccessibleName("Detail of the legal basis")
        self.detail.setPlaceholderText("e.g. the order's number; required for another reason")
        inner.addRow(self.by_release, self.releases)
        inner.addRow(self.by_law, self.basis)
        inner.addRow("Recipient:", self.recipient)
        inner.addRow("Purpose:", self.purpose)
        inner.addRow("Detail:", self.detail)
        form.addWidget(self.other)
        return box

    def _whom_changed(self) -> None:
        self.other.setVisible(self.to_other.isChecked())

    # What ---------------------------------------------------------------------------

    def _what_box(self) -> QGroupBox:
        box = QGroupBox("What")
        grid = QVBoxLayout(box)
        checks = QGridLayout()
        self.categories: dict[ShareCategory, QCheckBox] = {}
        for index, category in enumerate(c for c in ShareCategory if c in STANDARD_CATEGORIES):
            check = QCheckBox(category.label)
            check.setChecked(True)
            self.categories[category] = check
            checks.addWidget(check, index // 3, index % 3)
        grid.addLayout(checks)
        period = QHBoxLayout()
        self.limit_period = QCheckBox("Only &from")
        self.since = QDateEdit(_qdate(self.outline.today.replace(day=1)))
        self.until = QDateEdit(_qdate(self.outline.today))
        for edit, name in ((self.since, "Period start"), (self.until, "Period end")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setAccessibleName(name)
        period.addWidget(self.limit_period)
        period.addWidget(self.since)
        period.addWidget(QLabel("to"))
        period.addWidget(self.until)
        period.addStretch(1)
        grid.addLayout(period)
        return box

    def _psychotherapy_box(self) -> QGroupBox:
        box = QGroupBox("Your psychotherapy notes (only you can include them)")
        column = QVBoxLayout(box)
        self.include_mine = QCheckBox("&Include the psychotherapy notes ticked below")
        self.my_notes = QListWidget()
        self.my_notes.setAccessibleName("Your psychotherapy notes")
        self.my_notes.setMaximumHeight(5 * self.fontMetrics().lineSpacing())
        box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        for note_id, written in self.outline.my_psychotherapy_notes:
            item = QListWidgetItem(f"Written {written.astimezone():%d %b %Y %H:%M}")
            item.setData(Qt.ItemDataRole.UserRole, note_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.my_notes.addItem(item)
        column.addWidget(self.include_mine)
        column.addWidget(self.my_notes)
        return box

    # The request -----------------------------------------------------------------------

    def request(self) -> RecordRequest:
        categories = frozenset(c for c, check in self.categories.items() if check.isChecked())
        notes: tuple[int, ...] = ()
        if self.outline.my_psychotherapy_notes and self.include_mine.isChecked():
            notes = tuple(
                int(self.my_notes.item(i).data(Qt.ItemDataRole.UserRole))
                for i in range(self.my_notes.count())
                if self.my_notes.item(i).checkState() == Qt.CheckState.Checked
            )
            if not notes:
                raise InvalidInput("Tick the psychotherapy notes to include, or leave them out.")
        since = until = None
        if self.limit_period.isChecked():
            since, until = py_date(self.since.date()), py_date(self.until.date())
        to = None
        if self.to_other.isChecked():
            if self.by_release.isChecked():
                release_id = self.releases.currentData()
                if release_id is None:
                    raise InvalidInput(
                        "There is no release on file; record one first, or choose the legal "
                        "basis for sharing without one."
                    )
                to = DisclosureBasis(release_id=int(release_id))
            else:
                to = DisclosureBasis(
                    legal_basis=LegalBasis(self.basis.currentData()),
                    legal_detail=self.detail.text(),
                    recipient=self.recipient.text(),
                    purpose=self.purpose.text(),
                )
        return RecordRequest(categories, notes, False, since, until, to).checked()

    def _checked_request(self) -> RecordRequest | None:
        try:
            request = self.request()
        except InvalidInput as error:
            self.problem.setText(error.message)
            return None
        self.problem.clear()
        return request

    # How ---------------------------------------------------------------------------------

    def _prepare(self, request: RecordRequest, purpose: Purpose):  # type: ignore[no-untyped-def]
        return self._services.records.export(self.client_id, request, delivery_for(purpose))

    def print_record(self) -> None:
        request = self._checked_request()
        if request is not None:
            self.output.print(lambda purpose: self._prepare(request, purpose))

    def save_pdf(self) -> None:
        request = self._checked_request()
        if request is not None:
            self.output.save_as_pdf(
                f"Client record {self.client_id}.pdf",
                lambda purpose: self._prepare(request, purpose),
            )

    def save_fhir(self) -> None:
        request = self._checked_request()
        if request is not None:
            self.output.save_file(
                f"Client record {self.client_id}.fhir.json",
                "FHIR JSON (*.json)",
                lambda: self._services.records.export(self.client_id, request, Delivery.FHIR),
            )

    def save_package(self) -> None:
        request = self._checked_request()
        if request is None:
            return
        name = f"Client record {self.client_id}.age"
        dialog = PassphraseDialog(self._services, name, self)
        if not dialog.exec():
            return
        passphrase = dialog.passphrase
        self.output.save_file(
            name,
            "Encrypted package (*.age)",
            lambda: self._services.records.export(
                self.client_id, request, Delivery.PACKAGE, passphrase=passphrase
            ),
        )
