"""The incident register (owner only): the list, each incident's clients, its record
and its notification letters. Cleared on lock (it lists client ids)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.compliance import Incident
from ehrdesk.core.errors import InvalidInput
from ehrdesk.services.documents import file_name
from ehrdesk.services.incidents import PLACEHOLDERS
from ehrdesk.services.registry import Services
from ehrdesk.ui.dialogs.incident_dialog import IncidentDialog
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.printing import DocumentOutput
from ehrdesk.ui.widgets.card import heading

Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    ID = 0
    TITLE = 1
    DISCOVERED = 2
    DEADLINE = 3
    STATUS = 4
    CLIENTS = 5


_HEADERS = ("#", "Title", "Discovered", "Notify by", "Status", "Clients")
INCIDENT_ROLE = Qt.ItemDataRole.UserRole + 1


class IncidentTableModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self._rows: list[Incident] = []
        self.zone = ZoneInfo("UTC")

    def set_rows(self, rows: list[Incident]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        incident = self._rows[index.row()]
        if role == INCIDENT_ROLE:
            return incident
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return self._cell(incident, Column(index.column()))

    def _cell(self, incident: Incident, column: Column) -> str:
        deadline = incident.notification_deadline(self.zone).isoformat()
        cells = {
            Column.ID: str(incident.id),
            Column.TITLE: incident.title,
            Column.DISCOVERED: incident.discovered_at.astimezone(self.zone).strftime(
                "%Y-%m-%d %H:%M"
            ),
            Column.DEADLINE: deadline if incident.needs_notification else f"({deadline})",
            Column.STATUS: f"{incident.status.label}, "
            f"{incident.risk.conclusion.label.split(' (')[0]}",
            Column.CLIENTS: str(len(incident.client_ids)),
        }
        return cells[column]


class FromAuditLogDialog(QDialog):
    """Which user, and when: the clients whose records they touched are added."""

    def __init__(self, users: list[tuple[int, str]], zone: ZoneInfo, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Clients from the audit log")
        self.setAccessibleName("Clients from the audit log")
        self._zone = zone
        form = QFormLayout(self)
        self.user = QComboBox()
        self.user.setAccessibleName("User")
        for user_id, name in users:
            self.user.addItem(name, user_id)
        form.addRow("&User", self.user)
        self.since, self.until = QDateTimeEdit(), QDateTimeEdit()
        for edit, label in ((self.since, "&From"), (self.until, "&Until")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            edit.setAccessibleName(label.replace("&", ""))
            form.addRow(label, edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def period(self) -> tuple[int, datetime, datetime]:
        def get(edit: QDateTimeEdit) -> datetime:
            d, t = edit.dateTime().date(), edit.dateTime().time()
            moment = datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), tzinfo=self._zone)
            return moment.astimezone(UTC)

        return int(self.user.currentData()), get(self.since), get(self.until)


class LetterTemplateDialog(QDialog):
    def __init__(self, template: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Notification letter template")
        self.setAccessibleName("Notification letter template")
        layout = QVBoxLayout(self)
        hint = QLabel(
            "Placeholders: "
            + ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            + ". The client's name and address come from their record."
        )
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.text = QPlainTextEdit(template)
        self.text.setAccessibleName("Letter template")
        layout.addWidget(self.text)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(
            self.fontMetrics().horizontalAdvance("M") * 50, 30 * self.fontMetrics().height()
        )


def _button(text: str, name: str, slot: Callable[[], object]) -> QPushButton:
    push = QPushButton(text)
    push.setAccessibleName(name)
    push.clicked.connect(slot)
    return push


class IncidentsView(QWidget):
    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self.output = DocumentOutput(self)
        self.model = IncidentTableModel()
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(heading("Incidents", scale=1.4))
        top.addStretch(1)
        top.addWidget(_button("&New incident…", "Record a new incident", self.new_incident))
        top.addWidget(_button("&Edit…", "Edit the selected incident", self.edit_incident))
        top.addWidget(_button("Letter &template…", "Edit the letter template", self.edit_template))
        layout.addLayout(top)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Incidents")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(
            Column.TITLE, QHeaderView.ResizeMode.Stretch
        )
        self.table.activated.connect(lambda _: self.edit_incident())
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_clients())
        layout.addWidget(self.table, 2)

        grid = QGridLayout()
        self.clients_label = QLabel("Client ids possibly affected")
        self.clients = QListWidget()
        self.clients.setAccessibleName("Client ids possibly affected")
        self.clients_label.setBuddy(self.clients)
        grid.addWidget(self.clients_label, 0, 0)
        grid.addWidget(self.clients, 1, 0, 4, 1)
        actions = [
            ("Add client &ids…", "Add clients by id", self.add_client_ids),
            ("From the &audit log…", "Add clients from the audit log", self.add_from_log),
            ("&Remove client", "Remove the selected client", self.remove_client),
            ("Save &letters as PDF…", "Save a letter for each client", self.save_letters),
            ("Print letters…", "Print a letter for each client", self.print_letters),
            ("Save record as &PDF…", "Save the incident record as PDF", self.save_record),
            ("Print re&cord…", "Print the incident record", self.print_record),
        ]
        for n, (text, name, slot) in enumerate(actions):
            grid.addWidget(_button(text, name, slot), 1 + n % 4, 1 + n // 4)
        layout.addLayout(grid, 1)

    def _zone(self) -> ZoneInfo:
        return self._services.activity.practice_hours().zone

    def selected(self) -> Incident | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        value = self.model.data(index, INCIDENT_ROLE)
        return value if isinstance(value, Incident) else None

    def refresh(self, select: int | None = None) -> None:
        current = self.selected()
        keep = select if select is not None else (current.id if current else None)
        try:
            self.model.zone = self._zone()
            self.model.set_rows(self._services.incidents.incidents())
        except Exception as error:
            show_error(self, error)
            return
        for row in range(self.model.rowCount()):
            incident = self.model.data(self.model.index(row, 0), INCIDENT_ROLE)
            if keep is None or incident.id == keep:
                self.table.selectRow(row)
                break
        self._show_clients()

    def _show_clients(self) -> None:
        self.clients.clear()
        incident = self.selected()
        if incident is not None:
            self.clients.addItems([f"client {cid}" for cid in incident.client_ids])

    def _need(self) -> Incident | None:
        incident = self.selected()
        if incident is None:
            show_error(self, InvalidInput("Choose an incident first."))
        return incident

    def _run(self, work: Callable[[], Incident]) -> None:
        try:
            incident = work()
        except Exception as error:
            show_error(self, error)
            return
        self.refresh(select=incident.id)

    def new_incident(self) -> None:
        dialog = IncidentDialog(self._zone(), self._services.clock.now(), None, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self._run(lambda: self._services.incidents.record(dialog.draft()))

    def edit_incident(self) -> None:
        incident = self._need()
        if incident is None:
            return
        dialog = IncidentDialog(self._zone(), self._services.clock.now(), incident, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self._run(lambda: self._services.incidents.update(incident, dialog.draft()))

    def add_client_ids(self) -> None:
        incident = self._need()
        if incident is None:
            return
        text, ok = QInputDialog.getText(self, "Add clients", "Client ids, separated by commas:")
        if not ok:
            return
        try:
            ids = [int(part) for part in text.replace(" ", ",").split(",") if part.strip()]
        except ValueError:
            show_error(self, InvalidInput("Client ids are whole numbers."))
            return
        self._run(lambda: self._services.incidents.add_clients(incident, ids))

    def add_from_log(self) -> None:
        incident = self._need()
        if incident is None:
            return
        users = [(u.id, u.username) for u, _ in self._services.users.list_users()]
        dialog = FromAuditLogDialog(users, self._zone(), self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            user_id, since, until = dialog.period()
            self._run(
                lambda: self._services.incidents.add_clients_from_audit(
                    incident, user_id, since, until
                )
            )

    def remove_client(self) -> None:
        incident, item = self._need(), self.clients.currentItem()
        if incident is None or item is None:
            return
        client_id = int(item.text().split()[-1])
        self._run(lambda: self._services.incidents.remove_client(incident, client_id))

    def edit_template(self) -> None:
        try:
            dialog = LetterTemplateDialog(self._services.incidents.letter_template(), self)
        except Exception as error:
            show_error(self, error)
            return
        if dialog.exec() == QDialog.DialogCode.Accepted:
            try:
                self._services.incidents.set_letter_template(dialog.text.toPlainText())
            except Exception as error:
                show_error(self, error)

    def save_letters(self) -> None:
        if (incident := self._need()) is not None:
            self.output.save_each_as_pdf(
                lambda p: self._services.incidents.notification_letters(incident, p)
            )

    def print_letters(self) -> None:
        if (incident := self._need()) is not None:
            self.output.print(lambda p: self._services.incidents.notification_letters(incident, p))

    def save_record(self) -> None:
        if (incident := self._need()) is not None:
            self.output.save_as_pdf(
                file_name("Incident", str(incident.id)),
                lambda p: self._services.incidents.incident_report(incident, p),
            )

    def print_record(self) -> None:
        if (incident := self._need()) is not None:
            self.output.print(lambda p: self._services.incidents.incident_report(incident, p))

    def clear(self) -> None:
        self.model.set_rows([])
        self.clients.clear()
