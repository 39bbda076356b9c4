"""The client list: instant search as you type, status and clinician filters, and
pages fetched from the database as the list scrolls.

Typing restarts a 150 ms timer; the search runs when typing pauses, on the GUI thread
(the session's connection lives there) and takes a few milliseconds even with
100,000 clients (bench/front_desk.py), so typing never waits. Enter opens the
selected client (an audited view); Insert or Ctrl+N starts a new one. Cleared on lock.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.front_desk import ClientPage, ClientStatus
from ehrdesk.core.permissions import Action, allowed
from ehrdesk.services.registry import Services
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.models.client_table import ClientTableModel, Column
from ehrdesk.ui.widgets.card import heading

DEBOUNCE_MS = 150


class ClientsView(QWidget):
    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self.model = ClientTableModel(self._fetch)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.refresh)

        top = QHBoxLayout()
        top.addWidget(heading("Clients", scale=1.4))
        top.addStretch(1)
        self.new_button = QPushButton("&New client…")
        self.new_button.setAccessibleName("New client")
        self.new_button.setToolTip("New client (Insert or Ctrl+N)")
        self.new_button.clicked.connect(self.new_client)
        top.addWidget(self.new_button)

        filters = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setAccessibleName("Search clients")
        self.search.setPlaceholderText(
            "Search: name, date of birth (1984-03-07, 03/07/1984, 7.3.1984) or phone digits"
        )
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _: self._timer.start())
        self.search.returnPressed.connect(self._focus_table)
        label = QLabel("&Find:")
        label.setBuddy(self.search)
        filters.addWidget(label)
        filters.addWidget(self.search, 3)
        self.status = QComboBox()
        self.status.setAccessibleName("Status filter")
        self.status.addItem("All statuses", None)
        for status in ClientStatus:
            self.status.addItem(status.label, status.value)  # Qt hands enums back as str
        self.status.currentIndexChanged.connect(lambda _: self.refresh())
        filters.addWidget(self.status, 1)
        self.clinician = QComboBox()
        self.clinician.setAccessibleName("Clinician filter")
        self.clinician.currentIndexChanged.connect(lambda _: self.refresh())
        filters.addWidget(self.clinician, 1)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Client list")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(Column.NAME, QHeaderView.ResizeMode.Stretch)
        em = self.fontMetrics().horizontalAdvance("M")
        self.table.setWordWrap(False)
        for column, width in ((Column.BIRTH, 8), (Column.PHONE, 11), (Column.STATUS, 8)):
            header.resizeSection(column, width * em)
        header.resizeSection(Column.CLINICIAN, 12 * em)
        self.table.activated.connect(self._open_index)
        self.summary = QLabel()
        self.summary.setAccessibleName("How many clients are listed")

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        for keys in ("Ins", "Ctrl+N"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.new_client)
        self.model.rowsInserted.connect(self._count)
        self.model.modelReset.connect(self._count)

    # Loading ------------------------------------------------------------------------

    def _fetch(self, after: str | None, limit: int) -> ClientPage:
        return self._services.clients.search(
            self.search.text(),
            status=None
            if self.status.currentData() is None
            else ClientStatus(self.status.currentData()),
            clinician_id=self.clinician.currentData(),
            after=after,
            limit=limit,
        )

    def show_for_role(self) -> None:
        """Fill the clinician filter and list the first page (on entering the view)."""
        role = self._services.session.current_user().role
        self.new_button.setVisible(allowed(role, Action.EDIT_CLIENTS))
        clinicians = self._services.clients.clinicians()
        self.clinician.blockSignals(True)
        self.clinician.clear()
        if allowed(role, Action.ALL_CLINICIANS):
            self.clinician.addItem("All clinicians", None)
        for clinician in clinicians:
            self.clinician.addItem(clinician.full_name, clinician.id)
        self.clinician.blockSignals(False)
        self.model.clinician_names = {c.id: c.full_name for c in clinicians}
        self.refresh()

    def refresh(self) -> None:
        self._timer.stop()
        try:
            self.model.reload()
        except Exception as error:
            show_error(self, error)

    def _count(self, *_: object) -> None:
        n = self.model.rowCount()
        more = self.model.canFetchMore()
        self.summary.setText(
            "No clients match."
            if n == 0
            else f"{n}{'+' if more else ''} clients" + (" (scroll for more)" if more else "")
        )

    def _focus_table(self) -> None:
        self._timer.stop()
        self.refresh()
        if self.model.rowCount():
            self.table.setFocus()
            self.table.selectRow(0)

    # Opening --------------------------------------------------------------------------

    def _open_index(self, index: QModelIndex) -> None:
        self.open_client(self.model.client_at(index.row()).id)

    def open_client(self, client_id: int | None) -> None:
        from ehrdesk.ui.dialogs.client_form import ClientDialog  # noqa: PLC0415

        try:
            dialog = ClientDialog(self._services, client_id, self)
        except Exception as error:
            show_error(self, error)
            return
        if dialog.exec():
            self.refresh()

    def new_client(self) -> None:
        if self.new_button.isVisible():
            self.open_client(None)

    def clear(self) -> None:
        self._timer.stop()
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.model.clear()
        self.clinician.blockSignals(True)
        self.clinician.clear()
        self.clinician.blockSignals(False)
        self.summary.clear()
