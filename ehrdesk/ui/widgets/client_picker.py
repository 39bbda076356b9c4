"""Choose a client by typing: the same search as the client list, in a small list
under a field. Debounced, so typing never waits for the database."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from ehrdesk.core.front_desk import ClientPage

DEBOUNCE_MS = 150


class ClientPicker(QWidget):
    chosen = Signal(int)  # the client's id

    def __init__(self, search: Callable[[str], ClientPage], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._search = search
        self.client_id: int | None = None
        self.field = QLineEdit()
        self.field.setPlaceholderText("Type a name, date of birth or phone")
        self.field.setAccessibleName("Find client")
        self.results = QListWidget()
        self.results.setAccessibleName("Matching clients")
        self.results.setMaximumHeight(self.fontMetrics().lineSpacing() * 7)
        self.results.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.field)
        layout.addWidget(self.results)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._run)
        self.field.textEdited.connect(lambda _: self._timer.start())
        self.field.returnPressed.connect(self._take_first)
        self.results.itemActivated.connect(self._take)
        self.results.itemClicked.connect(self._take)
        self.field.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Down from the field goes into the list of matches."""
        if (
            watched is self.field
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Down
            and self.results.isVisible()
        ):
            self.results.setFocus()
            return True
        return super().eventFilter(watched, event)

    def set_client(self, client_id: int, name: str) -> None:
        self.client_id = client_id
        self.field.setText(name)
        self.results.hide()

    def _run(self) -> None:
        text = self.field.text().strip()
        self.client_id = None
        self.results.clear()
        if not text:
            self.results.hide()
            return
        for row in self._search(text).rows[:20]:
            item = QListWidgetItem(f"{row.display_name}  ·  {row.date_of_birth.isoformat()}")
            item.setData(Qt.ItemDataRole.UserRole, (row.id, row.display_name))
            self.results.addItem(item)
        self.results.setVisible(self.results.count() > 0)
        if self.results.count():
            self.results.setCurrentRow(0)

    def _take_first(self) -> None:
        self._timer.stop()
        self._run()
        if self.results.count():
            self._take(self.results.item(0))

    def _take(self, item: QListWidgetItem) -> None:
        client_id, name = item.data(Qt.ItemDataRole.UserRole)
        self.set_client(client_id, name)
        self.chosen.emit(client_id)

    def clear(self) -> None:
        self._timer.stop()
        self.client_id = None
        self.field.clear()
        self.results.clear()
        self.results.hide()
