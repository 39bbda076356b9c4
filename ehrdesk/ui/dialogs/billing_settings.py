"""Settings → Billing (the owner's): what a superbill says about the practice (address,
phone, NPI, tax id), each clinician's NPI and licence, and the fee schedule, a fee per
CPT code. Saved with one button; the service checks NPIs, the EIN and every fee."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.billing import ClinicianIdentity, PracticeIdentity, money, parse_money
from ehrdesk.core.chart import CPT_CODES
from ehrdesk.core.errors import InvalidInput
from ehrdesk.services.registry import Services
from ehrdesk.ui.errors import show_error

BILLING = "Billing"


class BillingTab(QWidget):
    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        layout = QVBoxLayout(self)
        practice_box = QGroupBox("The practice, as superbills show it")
        form = QFormLayout(practice_box)
        self.practice_fields: dict[str, QLineEdit] = {}
        for name, label in (
            ("address_line1", "&Address"),
            ("address_line2", "Address line 2"),
            ("city_region_postcode", "City, state, postcode"),
            ("phone", "&Phone"),
            ("npi", "Practice &NPI"),
            ("tax_id", "&Tax id (EIN)"),
        ):
            field = QLineEdit()
            field.setAccessibleName(label.replace("&", ""))
            self.practice_fields[name] = field
            form.addRow(f"{label}:", field)
        layout.addWidget(practice_box)

        clinician_box = QGroupBox("A clinician's identifiers")
        row = QHBoxLayout(clinician_box)
        self.clinician = QComboBox()
        self.clinician.setAccessibleName("Clinician")
        self.clinician.currentIndexChanged.connect(lambda _: self._show_clinician())
        self.npi = QLineEdit()
        self.npi.setAccessibleName("Clinician's NPI")
        self.npi.setPlaceholderText("NPI")
        self.licence = QLineEdit()
        self.licence.setAccessibleName("Clinician's licence")
        self.licence.setPlaceholderText("Licence, e.g. LCSW 012345 (IL)")
        for widget in (self.clinician, self.npi, self.licence):
            row.addWidget(widget)
        layout.addWidget(clinician_box)

        fees_box = QGroupBox("Fee schedule (a fee per CPT code; leave empty for none)")
        fees = QVBoxLayout(fees_box)
        self.fees = QTableWidget(len(CPT_CODES), 3)
        self.fees.setHorizontalHeaderLabels(["CPT", "Service", "Fee"])
        self.fees.setAccessibleName("Fee schedule")
        self.fees.verticalHeader().hide()
        for index, (code, label) in enumerate(CPT_CODES):
            self.fees.setItem(index, 0, QTableWidgetItem(code))
            self.fees.setItem(index, 1, QTableWidgetItem(label))
            self.fees.setItem(index, 2, QTableWidgetItem(""))
        self.fees.resizeColumnsToContents()
        self.fees.horizontalHeader().setStretchLastSection(True)
        fees.addWidget(self.fees)
        layout.addWidget(fees_box, 1)
        self.problem = QLabel()
        self.problem.setObjectName("message")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        self.save_button = QPushButton("&Save billing settings")
        self.save_button.clicked.connect(self.save)
        layout.addWidget(self.save_button)
        self._identities: dict[int, ClinicianIdentity] = {}
        self.load()

    def _cell(self, row: int, column: int) -> str:
        item = self.fees.item(row, column)
        return "" if item is None else item.text()

    def _set_fee(self, row: int, text: str) -> None:
        self.fees.setItem(row, 2, QTableWidgetItem(text))

    def load(self) -> None:
        try:
            settings = self._services.superbills.billing_settings()
            clinicians = self._services.schedule.clinicians()
        except Exception as error:
            show_error(self, error)
            return
        for name, field in self.practice_fields.items():
            field.setText(getattr(settings.practice, name))
        self._identities = dict(settings.clinicians)
        self.clinician.blockSignals(True)
        self.clinician.clear()
        for clinician in clinicians:
            self.clinician.addItem(clinician.full_name, clinician.id)
        self.clinician.blockSignals(False)
        self._show_clinician()
        for row in range(self.fees.rowCount()):
            cents = settings.fees.get(self._cell(row, 0))
            self._set_fee(row, "" if cents is None else money(cents))

    def _show_clinician(self) -> None:
        identity = self._identities.get(self.clinician.currentData(), ClinicianIdentity())
        self.npi.setText(identity.npi)
        self.licence.setText(identity.licence)

    def save(self) -> None:
        try:
            fees = {
                self._cell(row, 0): parse_money(self._cell(row, 2))
                for row in range(self.fees.rowCount())
                if self._cell(row, 2).strip()
            }
            practice = PracticeIdentity(**{n: f.text() for n, f in self.practice_fields.items()})
            self._services.superbills.set_practice_identity(practice)
            self._services.superbills.set_fee_schedule(fees)
            if self.clinician.currentData() is not None:
                identity = ClinicianIdentity(self.npi.text(), self.licence.text())
                self._services.superbills.set_clinician_identity(
                    int(self.clinician.currentData()), identity
                )
        except InvalidInput as error:
            self.problem.setText(error.message)
            return
        except Exception as error:
            show_error(self, error)
            return
        self.problem.setText("Saved.")
        self.load()
