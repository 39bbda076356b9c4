"""The schedule: a day or a week, for one clinician or the whole practice.

One service call loads what is shown (one query). Keyboard: arrows move the cursor,
Page Up/Page Down go back and forward, T goes to today, Enter opens the appointment
under the cursor (or books there), Insert or Ctrl+N books. Cleared on lock.
Print… prints or saves the day or week shown, for the clinician or the practice
shown, through the one document path (the front desk may; no clinical content).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.errors import InvalidInput
from ehrdesk.core.front_desk import AppointmentStatus, ScheduleEntry
from ehrdesk.core.permissions import Action, allowed
from ehrdesk.core.recurrence import to_local
from ehrdesk.services.documents import PreparedDocument, Purpose, file_name
from ehrdesk.services.registry import Services
from ehrdesk.storage.atomic import write_atomically
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.printing import DocumentOutput
from ehrdesk.ui.widgets.card import heading
from ehrdesk.ui.widgets.week_grid import Block, WeekGrid

EXPORT_DAYS = 90


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


class ScheduleView(QWidget):
    #: (client id, appointment id to write the note for, or 0): open the client's chart.
    chart_requested = Signal(int, int)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self.zone = ZoneInfo("UTC")
        self.day = date.today()
        self.entries: list[ScheduleEntry] = []
        self._column_clinicians: list[int | None] = []
        self._clinician_names: dict[int, str] = {}

        top = QHBoxLayout()
        self.title = heading("Schedule", scale=1.4)
        top.addWidget(self.title)
        top.addStretch(1)
        self.book_button = QPushButton("&Book…")
        self.book_button.setToolTip("Book an appointment (Insert or Ctrl+N)")
        self.book_button.setAccessibleName("Book an appointment")
        self.book_button.clicked.connect(self.book_at_cursor)
        self.export_button = QPushButton("&Export .ics…")
        self.export_button.setAccessibleName("Export this clinician's schedule as a calendar file")
        self.export_button.setToolTip(
            "Busy times and appointment types only, for the next 90 days: no client names"
        )
        self.export_button.clicked.connect(self.export_ics)
        self.output = DocumentOutput(self)
        self.print_button = QToolButton()
        self.print_button.setText("&Print…")
        self.print_button.setAccessibleName("Print the schedule shown")
        self.print_button.setToolTip("The day or week shown: times, clients, types and rooms")
        self.print_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        print_menu = QMenu(self.print_button)
        print_menu.addAction("&Print…", self.print_schedule)
        print_menu.addAction("Save as P&DF…", self.save_schedule)
        self.print_button.setMenu(print_menu)
        for button in (self.book_button, self.export_button, self.print_button):
            top.addWidget(button)

        bar = QHBoxLayout()
        self.clinician = QComboBox()
        self.clinician.setAccessibleName("Whose schedule")
        self.clinician.currentIndexChanged.connect(lambda _: self.reload())
        self.span = QComboBox()
        self.span.setAccessibleName("Day or week")
        self.span.addItem("Week", 7)
        self.span.addItem("Day", 1)
        self.span.currentIndexChanged.connect(lambda _: self.reload())
        self.previous = QPushButton("◀")
        self.previous.setAccessibleName("Previous (Page Up)")
        self.previous.setToolTip("Previous (Page Up)")
        self.previous.clicked.connect(lambda: self.page(-1))
        self.today = QPushButton("&Today")
        self.today.setToolTip("Today (T)")
        self.today.clicked.connect(self.go_today)
        self.next = QPushButton("▶")
        self.next.setAccessibleName("Next (Page Down)")
        self.next.setToolTip("Next (Page Down)")
        self.next.clicked.connect(lambda: self.page(1))
        self.when = QLabel()
        self.when.setAccessibleName("Dates shown")
        self.show_cancelled = QCheckBox("Show &cancelled")
        self.show_cancelled.toggled.connect(lambda _: self._draw())
        for widget in (self.clinician, self.span, self.previous, self.today, self.next):
            bar.addWidget(widget)
        bar.addWidget(self.when, 1)
        bar.addWidget(self.show_cancelled)

        self.grid = WeekGrid()
        self.grid.open_requested.connect(self.open_appointment)
        self.grid.day_requested.connect(self.show_day)
        self.grid.book_requested.connect(self.book_at)
        self.grid.page_requested.connect(self.page)
        self.grid.today_requested.connect(self.go_today)
        scroll = QScrollArea()
        scroll.setWidget(self.grid)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.scroller = scroll
        self.cursor_text = QLabel()
        self.cursor_text.setAccessibleName("Under the cursor")
        self.grid.installEventFilter(self)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(bar)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.cursor_text)
        for keys in ("Ins", "Ctrl+N"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.book_at_cursor)

    def eventFilter(self, watched: object, event: object) -> bool:
        if watched is self.grid:
            self.cursor_text.setText(self.grid.cursor_text())
        return False

    # Loading ----------------------------------------------------------------------------

    def show_for_role(self) -> None:
        """Fill the clinician choice for this person and show this week."""
        role = self._services.session.current_user().role
        settings = self._services.schedule.settings()
        self.zone = ZoneInfo(settings.time_zone)
        self.day = to_local(self._services.clock.now(), self.zone).date()
        clinicians = self._services.schedule.clinicians()
        self._clinician_names = {c.id: c.full_name for c in clinicians}
        self.clinician.blockSignals(True)
        self.clinician.clear()
        if allowed(role, Action.ALL_CLINICIANS):
            self.clinician.addItem("Whole practice", None)
        for clinician in clinicians:
            self.clinician.addItem(clinician.full_name, clinician.id)
        self.clinician.blockSignals(False)
        self.reload()
        self.scroller.verticalScrollBar().setValue(int(self.grid._y(8 * 60)))

    def first_day(self) -> date:
        return monday_of(self.day) if self.span.currentData() == 7 else self.day

    def reload(self) -> None:
        if self.clinician.count() == 0:
            return
        days = int(self.span.currentData())
        first = self.first_day()
        try:
            self.entries = self._services.schedule.days(first, days, self.clinician.currentData())
        except Exception as error:
            show_error(self, error)
            return
        last = first + timedelta(days=days - 1)
        self.when.setText(
            f"{first:%A %d %B %Y}" if days == 1 else f"{first:%d %b} – {last:%d %b %Y}"
        )
        self._draw()

    def _draw(self) -> None:
        days = int(self.span.currentData() or 7)
        first = self.first_day()
        clinician = self.clinician.currentData()
        entries = [
            e
            for e in self.entries
            if self.show_cancelled.isChecked()
            or e.appointment.status is not AppointmentStatus.CANCELLED
        ]
        if days == 7:
            columns = [f"{first + timedelta(days=i):%a %d %b}" for i in range(7)]
            self._column_clinicians = [clinician] * 7
        elif clinician is not None:
            columns = [self._clinician_names.get(clinician, "")]
            self._column_clinicians = [clinician]
        else:  # one day, the whole practice: a column for each clinician who works
            working = sorted({e.appointment.clinician_id for e in entries})
            ids = working or list(self._clinician_names)[:6]
            columns = [self._clinician_names.get(i, "Clinician") for i in ids]
            self._column_clinicians = list(ids)
        blocks = []
        for entry in entries:
            appointment = entry.appointment
            start = to_local(appointment.starts_at, self.zone)
            end = to_local(appointment.ends_at, self.zone)
            if days == 7:
                column = (start.date() - first).days
            elif clinician is not None:
                column = 0
            else:
                column = self._column_clinicians.index(appointment.clinician_id)
            detail = f"{start:%H:%M}–{end:%H:%M} {entry.type_label}"
            if entry.room_name:
                detail += f" · {entry.room_name}"
            if clinician is None and days == 7:
                detail += f" · {self._clinician_names.get(appointment.clinician_id, '')}"
            blocks.append(
                Block(
                    appointment.id,
                    column,
                    start.hour * 60 + start.minute,
                    end.hour * 60 + end.minute if end.date() == start.date() else 24 * 60,
                    entry.client_name,
                    detail,
                    appointment.status,
                )
            )
        self.grid.set_data(columns, blocks)
        self.cursor_text.setText(self.grid.cursor_text())

    # Moving around --------------------------------------------------------------------

    def page(self, step: int) -> None:
        self.day += timedelta(days=step * int(self.span.currentData()))
        self.reload()

    def show_day(self, column: int) -> None:
        """From a crowded week: that day, a column for each clinician."""
        self.day = self.first_day() + timedelta(days=column)
        self.span.setCurrentIndex(self.span.findData(1))  # reloads

    def go_today(self) -> None:
        self.day = to_local(self._services.clock.now(), self.zone).date()
        self.reload()

    # Booking and opening ----------------------------------------------------------------

    def _start_at(self, column: int, minutes: int) -> datetime:
        day = self.first_day() + timedelta(days=column if self.span.currentData() == 7 else 0)
        wall = datetime.combine(day, time(minutes // 60, minutes % 60))
        return wall.replace(tzinfo=self.zone)

    def book_at_cursor(self) -> None:
        self.book_at(self.grid.cell[0], self.grid.cursor_minutes())

    def book_at(self, column: int, minutes: int) -> None:
        from ehrdesk.ui.dialogs.appointment_dialog import AppointmentDialog  # noqa: PLC0415

        clinician = None
        if column < len(self._column_clinicians):
            clinician = self._column_clinicians[column]
        try:
            dialog = AppointmentDialog(
                self._services,
                starts_at=self._start_at(column, minutes),
                clinician_id=clinician,
                parent=self,
            )
        except Exception as error:
            show_error(self, error)
            return
        if dialog.exec():
            self.reload()

    def open_appointment(self, appointment_id: int) -> None:
        from ehrdesk.ui.dialogs.appointment_dialog import AppointmentDialog  # noqa: PLC0415

        try:
            dialog = AppointmentDialog(self._services, appointment_id=appointment_id, parent=self)
        except Exception as error:
            show_error(self, error)
            return
        dialog.exec()
        if dialog.chart_request is not None:
            self.chart_requested.emit(*dialog.chart_request)
            return
        self.reload()
        if dialog.offer is not None:
            self._offer_waitlist(dialog)

    def _offer_waitlist(self, dialog: object) -> None:
        from ehrdesk.ui.dialogs.appointment_dialog import AppointmentDialog  # noqa: PLC0415

        assert isinstance(dialog, AppointmentDialog) and dialog.offer is not None
        match, freed = dialog.offer
        booking = AppointmentDialog(
            self._services,
            starts_at=freed.starts_at.astimezone(self.zone),
            clinician_id=freed.clinician_id,
            client=(match.entry.client_id, match.client_name),
            type_code=freed.type_code,
            parent=self,
        )
        if booking.exec():
            try:
                self._services.waitlist.mark_booked(match.entry.id, match.entry.row_version)
            except Exception as error:
                show_error(self, error)
            self.reload()

    def export_ics(self) -> None:
        clinician = self.clinician.currentData()
        if clinician is None:
            show_error(self, InvalidInput("Choose one clinician to export their schedule."))
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Export busy times", "busy.ics", "Calendar files (*.ics)"
        )
        if not path:
            return
        try:
            first = to_local(self._services.clock.now(), self.zone).date()
            data = self._services.schedule_export.clinician_ics(
                clinician, first, first + timedelta(days=EXPORT_DAYS)
            )
            write_atomically(Path(path), data)
        except Exception as error:
            show_error(self, error)

    # Printing ---------------------------------------------------------------------------

    def _prepare(self, purpose: Purpose) -> PreparedDocument:
        days = int(self.span.currentData() or 7)
        return self._services.schedule_print.schedule(
            self.first_day(), days, self.clinician.currentData(), purpose
        )

    def print_schedule(self) -> None:
        if self.clinician.count():
            self.output.print(self._prepare)

    def save_schedule(self) -> None:
        if self.clinician.count():
            span = "day" if self.span.currentData() == 1 else "week"
            self.output.save_as_pdf(
                file_name("Schedule", span, self.first_day().isoformat()), self._prepare
            )

    def clear(self) -> None:
        self.entries = []
        self.grid.clear()
        self.clinician.blockSignals(True)
        self.clinician.clear()
        self.clinician.blockSignals(False)
        self._clinician_names = {}
        self._column_clinicians = []
        self.when.clear()
        self.cursor_text.clear()
