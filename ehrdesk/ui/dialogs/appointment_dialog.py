"""Booking and changing an appointment: client, clinician, type (its default length),
time, room or telehealth link, repeating; conflicts listed before saving, and an
override that needs a reason. An existing appointment also has its status buttons
(check in, complete, no-show, undo, cancel) and, in a series, how far a change
reaches. A cancellation offers the matching waitlist entries (`offer`).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.errors import ConflictsFound, InvalidInput
from ehrdesk.core.front_desk import (
    STATUS_FLOW,
    TIMES_OF_DAY,
    WEEKDAY_NAMES,
    Appointment,
    AppointmentDraft,
    AppointmentStatus,
    CancelledBy,
    Repeat,
    ScheduleConflict,
    Scope,
    WaitlistMatch,
)
from ehrdesk.core.permissions import Action, allowed
from ehrdesk.core.recurrence import to_local
from ehrdesk.services.registry import Services
from ehrdesk.ui.dialogs import LockWatcher
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.widgets.card import heading
from ehrdesk.ui.widgets.client_picker import ClientPicker


class AppointmentDialog(QDialog):
    def __init__(  # noqa: PLR0912 - one form, laid out in order
        self,
        services: Services,
        *,
        appointment_id: int | None = None,
        starts_at: datetime | None = None,
        clinician_id: int | None = None,
        client: tuple[int, str] | None = None,
        type_code: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._lock = LockWatcher(self, services.events)
        self.zone = ZoneInfo(services.schedule.settings().time_zone)
        self.appointment: Appointment | None = None
        self.offer: tuple[WaitlistMatch, Appointment] | None = None
        #: Set when the person asked for the client's chart from here: (client id, the
        #: appointment to start a note for, or 0). The schedule opens it after closing.
        self.chart_request: tuple[int, int] | None = None
        self.conflicts: list[ScheduleConflict] = []
        entry = services.schedule.entry(appointment_id) if appointment_id is not None else None
        self.setWindowTitle("Appointment" if entry else "Book an appointment")
        self.setAccessibleName(self.windowTitle())
        self.types = {t.code: t for t in services.schedule.appointment_types()}

        layout = QVBoxLayout(self)
        self.title = heading(entry.client_name if entry else "Book an appointment", scale=1.3)
        layout.addWidget(self.title)
        self.status_line = QLabel()
        self.status_line.setAccessibleName("Status")
        layout.addWidget(self.status_line)
        form = QFormLayout()
        layout.addLayout(form)

        self.picker = ClientPicker(services.clients.search)
        if entry is None:
            form.addRow("&Client:", self.picker)
            if client is not None:
                self.picker.set_client(*client)
        self.clinician = QComboBox()
        self.clinician.setAccessibleName("Clinician")
        for person in services.schedule.clinicians():
            self.clinician.addItem(person.full_name, person.id)
        form.addRow("C&linician:", self.clinician)
        self.kind = QComboBox()
        self.kind.setAccessibleName("Appointment type")
        for kind in self.types.values():
            self.kind.addItem(f"{kind.label} ({kind.default_minutes} min)", kind.code)
        self.kind.currentIndexChanged.connect(self._type_changed)
        form.addRow("&Type:", self.kind)
        when = QHBoxLayout()
        self.date = QDateEdit()
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("ddd yyyy-MM-dd")
        self.date.setAccessibleName("Date")
        self.time = QTimeEdit()
        self.time.setDisplayFormat("HH:mm")
        self.time.setAccessibleName("Start time")
        self.minutes = QSpinBox()
        self.minutes.setRange(5, 720)
        self.minutes.setSingleStep(5)
        self.minutes.setSuffix(" min")
        self.minutes.setAccessibleName("Length in minutes")
        for part in (self.date, self.time, self.minutes):
            when.addWidget(part)
        when_label = QLabel("&When:")
        when_label.setBuddy(self.date)
        form.addRow(when_label, when)
        self.room = QComboBox()
        self.room.setAccessibleName("Room")
        self.room.addItem("— no room —", None)
        for room in services.schedule.rooms():
            self.room.addItem(room.name, room.id)
        form.addRow("&Room:", self.room)
        self.link = QLineEdit()
        self.link.setAccessibleName("Telehealth link")
        self.link.setPlaceholderText("https://…")
        form.addRow("Tele&health link:", self.link)
        self.location = QLineEdit()
        self.location.setAccessibleName("Location")
        form.addRow("L&ocation:", self.location)

        self.repeats = QCheckBox("&Repeats weekly")
        self.every = QSpinBox()
        self.every.setRange(1, 12)
        self.every.setPrefix("every ")
        self.every.setSuffix(" week(s)")
        self.every.setAccessibleName("Repeat every so many weeks")
        self.by_count = QRadioButton("&times:")
        self.count = QSpinBox()
        self.count.setRange(2, 500)
        self.count.setValue(10)
        self.count.setAccessibleName("Number of appointments")
        self.by_date = QRadioButton("&until")
        self.until = QDateEdit()
        self.until.setCalendarPopup(True)
        self.until.setDisplayFormat("yyyy-MM-dd")
        self.until.setAccessibleName("Last date")
        self.by_count.setChecked(True)
        repeat_row = QHBoxLayout()
        for widget in (
            self.repeats,
            self.every,
            self.by_count,
            self.count,
            self.by_date,
            self.until,
        ):
            repeat_row.addWidget(widget)
        repeat_row.addStretch(1)
        self.repeat_box = QWidget()
        self.repeat_box.setLayout(repeat_row)
        repeat_row.setContentsMargins(0, 0, 0, 0)
        self.scope = QComboBox()
        self.scope.setAccessibleName("Which appointments of the series")
        for scope in Scope:
            self.scope.addItem(scope.label, scope.value)  # Qt hands enums back as str
        if entry is None:
            repeat_label = QLabel("Repeat:")
            repeat_label.setBuddy(self.repeats)
            form.addRow(repeat_label, self.repeat_box)
        elif entry.appointment.series_id is not None and not entry.appointment.detached:
            form.addRow("Change &which:", self.scope)

        self.conflict_list = QListWidget()
        self.conflict_list.setAccessibleName("Conflicts")
        self.conflict_list.setMaximumHeight(self.fontMetrics().lineSpacing() * 6)
        self.reason = QLineEdit()
        self.reason.setAccessibleName("Reason to book anyway")
        self.reason.setPlaceholderText("Why this may overlap (no names, please)")
        self.conflict_box = QWidget()
        box = QVBoxLayout(self.conflict_box)
        box.setContentsMargins(0, 0, 0, 0)
        warning = QLabel("This overlaps other bookings:")
        warning.setObjectName("message")
        box.addWidget(warning)
        box.addWidget(self.conflict_list)
        box.addWidget(self.reason)
        self.conflict_box.hide()
        layout.addWidget(self.conflict_box)
        self.problem = QLabel()
        self.problem.setObjectName("message")
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName("Problem")
        self.problem.hide()
        layout.addWidget(self.problem)

        self.status_buttons: dict[AppointmentStatus, QPushButton] = {}
        buttons = QDialogButtonBox()
        if entry is not None:
            row = QHBoxLayout()
            for status, text in (
                (AppointmentStatus.CHECKED_IN, "Check &in"),
                (AppointmentStatus.COMPLETED, "Co&mplete"),
                (AppointmentStatus.NO_SHOW, "&No-show"),
                (AppointmentStatus.BOOKED, "&Undo"),
            ):
                button = QPushButton(text)
                button.clicked.connect(lambda _=False, s=status: self.set_status(s))
                self.status_buttons[status] = button
                row.addWidget(button)
            self.cancel_button = QPushButton("Cancel a&ppointment…")
            self.cancel_button.clicked.connect(self.cancel_appointment)
            row.addWidget(self.cancel_button)
            role = services.session.current_user().role
            if allowed(role, Action.VIEW_CHART):
                chart = QPushButton("C&hart")
                chart.setAccessibleName("Open the client's chart")
                chart.clicked.connect(lambda: self._ask_for_chart(note=False))
                row.addWidget(chart)
            if allowed(role, Action.WRITE_NOTES):
                note = QPushButton("&Write note")
                note.setAccessibleName("Write the progress note for this appointment")
                note.clicked.connect(lambda: self._ask_for_chart(note=True))
                row.addWidget(note)
            row.addStretch(1)
            layout.addLayout(row)
        self.save = buttons.addButton(
            "&Save changes" if entry else "&Book", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save.setDefault(True)
        self.save.clicked.connect(self.submit)
        close = buttons.addButton("Close", QDialogButtonBox.ButtonRole.RejectRole)
        close.clicked.connect(self.reject)
        layout.addStretch(1)
        layout.addWidget(buttons)

        if entry is not None:
            self._show(entry.appointment)
        else:
            start = (starts_at or services.clock.now()).astimezone(self.zone)
            self._set_when(start)
            self.until.setDate(QDate(start.year, start.month, start.day).addMonths(3))
            if clinician_id is not None:
                self.clinician.setCurrentIndex(max(0, self.clinician.findData(clinician_id)))
            self.kind.setCurrentIndex(max(0, self.kind.findData(type_code or "individual")))
            self._type_changed()
            self.status_line.hide()
        em = self.fontMetrics().horizontalAdvance("M")
        self.setMinimumWidth(40 * em)

    # Fields -----------------------------------------------------------------------------

    def _set_when(self, local: datetime) -> None:
        self.date.setDate(QDate(local.year, local.month, local.day))
        self.time.setTime(QTime(local.hour, local.minute))

    def _type_changed(self) -> None:
        kind = self.types.get(self.kind.currentData())
        if kind is None:
            return
        if self.appointment is None:
            self.minutes.setValue(kind.default_minutes)
        self.link.setEnabled(kind.is_telehealth)
        self.room.setEnabled(not kind.is_telehealth)
        if kind.is_telehealth:
            self.room.setCurrentIndex(0)

    def _ask_for_chart(self, *, note: bool) -> None:
        if self.appointment is None:
            return
        self.chart_request = (self.appointment.client_id, self.appointment.id if note else 0)
        self.reject()

    def _show(self, appointment: Appointment) -> None:
        self.appointment = appointment
        start = to_local(appointment.starts_at, self.zone)
        self._set_when(start)
        self.clinician.setCurrentIndex(max(0, self.clinician.findData(appointment.clinician_id)))
        self.kind.setCurrentIndex(max(0, self.kind.findData(appointment.type_code)))
        self.minutes.setValue(
            int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
        )
        self.room.setCurrentIndex(max(0, self.room.findData(appointment.room_id)))
        self.link.setText(appointment.telehealth_link)
        self.location.setText(appointment.location)
        self._type_changed()
        state = appointment.status.label
        if appointment.cancelled_by is not None:
            state += f" by the {appointment.cancelled_by.value}"
            state += " (late)" if appointment.late_cancel else ""
        if appointment.series_id is not None:
            state += " · part of a series" + (
                " (changed on its own)" if appointment.detached else ""
            )
        self.status_line.setText(f"Status: {state}")
        open_ = appointment.status is AppointmentStatus.BOOKED
        for widget in (
            self.clinician,
            self.kind,
            self.date,
            self.time,
            self.minutes,
            self.room,
            self.link,
            self.location,
            self.scope,
            self.save,
        ):
            widget.setEnabled(open_ and widget.isEnabled())
        allowed_next = STATUS_FLOW[appointment.status]
        for status, button in self.status_buttons.items():
            button.setVisible(status in allowed_next)
        self.cancel_button.setVisible(open_)

    def draft(self) -> AppointmentDraft:
        client_id = self.appointment.client_id if self.appointment else self.picker.client_id
        if client_id is None:
            raise InvalidInput("Choose the client: type part of a name and pick from the list.")
        if self.clinician.currentData() is None:
            raise InvalidInput("Choose a clinician.")
        day, at = self.date.date(), self.time.time()
        wall = datetime(day.year(), day.month(), day.day(), at.hour(), at.minute())
        return AppointmentDraft(
            clinician_id=int(self.clinician.currentData()),
            client_id=client_id,
            type_code=str(self.kind.currentData()),
            starts_at=wall.replace(tzinfo=self.zone),
            minutes=self.minutes.value(),
            room_id=self.room.currentData() if self.room.isEnabled() else None,
            location=self.location.text(),
            telehealth_link=self.link.text() if self.link.isEnabled() else "",
        )

    def _scope(self) -> Scope:
        return Scope(self.scope.currentData()) if self.scope.isVisibleTo(self) else Scope.ONE

    def repeat(self) -> Repeat | None:
        if self.appointment is not None or not self.repeats.isChecked():
            return None
        if self.by_count.isChecked():
            return Repeat(self.every.value(), None, self.count.value())
        until = self.until.date()
        return Repeat(
            self.every.value(), datetime(until.year(), until.month(), until.day()).date(), None
        )

    # Saving -----------------------------------------------------------------------------

    def _describe(self, conflict: ScheduleConflict) -> str:
        other_start = to_local(conflict.other_starts_at, self.zone)
        other_end = to_local(conflict.other_ends_at, self.zone)
        return f"{conflict.label} already booked {other_start:%a %d %b %H:%M}–{other_end:%H:%M}"

    def show_conflicts(self, conflicts: list[ScheduleConflict]) -> None:
        self.conflicts = conflicts
        self.conflict_list.clear()
        for conflict in conflicts:
            self.conflict_list.addItem(self._describe(conflict))
        self.conflict_box.setVisible(bool(conflicts))
        if conflicts:
            self.save.setText("Book &anyway" if self.appointment is None else "Save &anyway")
            self.reason.setFocus()

    def submit(self) -> None:
        self.problem.hide()
        try:
            draft = self.draft()
            scope = self._scope()
            reason = self.reason.text().strip() or None if self.conflicts else None
            if not self.conflicts:
                found = (
                    self._services.schedule.conflicts(draft, self.repeat())
                    if self.appointment is None
                    else self._services.schedule.conflicts_for_change(
                        self.appointment.id, draft, scope
                    )
                )
                if found:
                    self.show_conflicts(found)
                    return
            elif reason is None:
                raise InvalidInput("Say why this may overlap, or change the time.")
            if self.appointment is None:
                self._services.schedule.book(draft, self.repeat(), override_reason=reason)
            else:
                self._services.schedule.reschedule(
                    self.appointment.id,
                    self.appointment.row_version,
                    draft,
                    scope,
                    override_reason=reason,
                )
        except ConflictsFound as error:
            self.show_conflicts(list(error.conflicts))  # type: ignore[arg-type]
            return
        except InvalidInput as error:
            self.problem.setText(error.message)
            self.problem.show()
            return
        except Exception as error:
            show_error(self, error)
            return
        self.accept()

    def set_status(self, status: AppointmentStatus) -> None:
        assert self.appointment is not None
        try:
            self._show(
                self._services.schedule.set_status(
                    self.appointment.id, self.appointment.row_version, status
                )
            )
        except Exception as error:
            show_error(self, error)

    def cancel_appointment(self) -> None:
        assert self.appointment is not None
        who = {
            "The client": CancelledBy.CLIENT,
            "The clinician": CancelledBy.CLINICIAN,
            "The practice": CancelledBy.PRACTICE,
        }
        choice, ok = QInputDialog.getItem(
            self, "Cancel appointment", "Who cancelled?", list(who), 0, False
        )
        if not ok:
            return
        scope = self._scope()
        try:
            outcome = self._services.schedule.cancel(
                self.appointment.id, self.appointment.row_version, who[choice], scope
            )
        except Exception as error:
            show_error(self, error)
            return
        self._show(outcome.cancelled[0])
        if outcome.waitlist_matches:
            offer = WaitlistOfferDialog(list(outcome.waitlist_matches), self)
            if offer.exec() and offer.chosen is not None:
                self.offer = (offer.chosen, outcome.cancelled[0])
                self.accept()


class WaitlistOfferDialog(QDialog):
    """Who on the waitlist would take the freed slot; choose one to book them."""

    def __init__(self, matches: list[WaitlistMatch], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Offer the slot")
        self.setAccessibleName("Offer the freed slot to someone waiting")
        self.matches = matches
        self.chosen: WaitlistMatch | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("These clients are waiting for a slot like this one:"))
        self.list = QListWidget()
        self.list.setAccessibleName("Waiting clients who match")
        for match in matches:
            entry = match.entry
            days = [WEEKDAY_NAMES[d] for d in entry.weekdays]
            times = sorted(entry.times_of_day, key=TIMES_OF_DAY.index)
            wants = ", ".join(days + times) or "any time"
            waited = (datetime.now(entry.added_at.tzinfo) - entry.added_at).days
            self.list.addItem(
                f"{match.client_name} · {match.phone} · {wants} · waiting {waited} days"
            )
        self.list.setCurrentRow(0)
        self.list.itemActivated.connect(lambda _: self._take())
        layout.addWidget(self.list)
        buttons = QDialogButtonBox()
        book = buttons.addButton("&Book this client…", QDialogButtonBox.ButtonRole.AcceptRole)
        book.clicked.connect(self._take)
        later = buttons.addButton("&Not now", QDialogButtonBox.ButtonRole.RejectRole)
        later.clicked.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(self.fontMetrics().horizontalAdvance("M") * 40, self.sizeHint().height())

    def _take(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.chosen = self.matches[row]
            self.accept()
