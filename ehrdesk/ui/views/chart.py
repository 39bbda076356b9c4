"""A client's chart: the header, the emergency-access banner when there is one, the
timeline (newest first, fetched a page at a time) and, beside it, the entry being read
or edited. Everything it shows comes from the chart services, which decide who may see
what and audit it; this view only asks. It keeps nothing after the session locks:
`clear()` empties every part (the editors saved their drafts on `session.locking`)."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from html import escape

from PySide6.QtCore import QModelIndex, Qt, QUrl, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.chart import (
    ChartHeader,
    NoteStart,
    ProgressNote,
    TimelineCursor,
    TimelineEntry,
    TimelineKind,
    TimelinePage,
)
from ehrdesk.core.errors import ChartAccessRequired, UserFacingError
from ehrdesk.core.measures import Instrument
from ehrdesk.services.registry import Services
from ehrdesk.ui.dialogs.emergency_access import EmergencyAccessDialog
from ehrdesk.ui.dialogs.sign_dialog import AddendumDialog
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.models.timeline_table import ENTRY_ROLE, Column, TimelineTableModel
from ehrdesk.ui.views.autosave import AutosaveEditor
from ehrdesk.ui.views.chart_documents import ChartDocuments
from ehrdesk.ui.views.chart_reader import note_html
from ehrdesk.ui.views.client_measure_form import ClientMeasureForm
from ehrdesk.ui.views.intake_form import IntakeForm
from ehrdesk.ui.views.note_editor import NoteEditor
from ehrdesk.ui.views.plan_editor import PlanEditor
from ehrdesk.ui.views.psychotherapy_editor import PsychotherapyEditor
from ehrdesk.ui.widgets.chart_header import ChartHeaderWidget
from ehrdesk.ui.widgets.records_menu import RecordsMenu


def _button(text: str, name: str, slot: object) -> QPushButton:
    push = QPushButton(text)
    push.setAccessibleName(name)
    push.clicked.connect(slot)
    return push


class ChartView(ChartDocuments, QWidget):
    closed = Signal()
    #: The owner asked who opened this chart: the workspace shows the audit screen.
    access_requested = Signal(int)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self.client_id: int | None = None
        self.header_data: ChartHeader | None = None
        self._shown: TimelineEntry | None = None
        self._shown_note: ProgressNote | None = None
        self.client_form: ClientMeasureForm | None = None

        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setAccessibleName("Emergency access banner")
        self.end_emergency = _button(
            "&End emergency access", "End emergency access", self.end_emergency_access
        )
        banner_row = QHBoxLayout()
        banner_row.addWidget(self.banner, 1)
        banner_row.addWidget(self.end_emergency)
        self.header = ChartHeaderWidget(services.clock)

        self.template = QComboBox()
        self.template.setAccessibleName("Template for a new note")
        self.new_note = _button("&New note", "Start a new progress note", self.start_note)
        self.from_last = _button(
            "From &last note", "Start a note with the last note's headings", self.start_from_last
        )
        self.psychotherapy = _button(
            "Ps&ychotherapy note", "Write a psychotherapy note", self.start_psychotherapy
        )
        self.intake_button = _button("&Intake", "Open the intake assessment", self.open_intake)
        self.diagnoses_button = _button("Dia&gnoses", "Diagnoses", self.open_diagnoses)
        self.plan_button = _button("&Treatment plan", "Open the treatment plan", self.open_plan)
        self.measure_button = QToolButton()
        self.measure_button.setText("&Measures")
        self.measure_button.setAccessibleName("Measures")
        self.measure_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.measure_button)
        for instrument in Instrument:
            menu.addAction(f"Enter a {instrument.label}…", partial(self.enter_measure, instrument))
        menu.addSeparator()
        for instrument in Instrument:
            menu.addAction(
                f"Hand a {instrument.label} to the client…",
                partial(self.hand_to_client, instrument),
            )
        self.measure_button.setMenu(menu)
        self.records_menu = RecordsMenu(
            services, lambda: self.client_id, show_access=self.access_requested.emit
        )
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search your notes in this chart")
        self.search.setAccessibleName("Search your notes in this chart")
        self.search.setClearButtonEnabled(True)
        self.search.returnPressed.connect(self.search_notes)
        actions = QHBoxLayout()
        for widget in (
            self.template,
            self.new_note,
            self.from_last,
            self.psychotherapy,
            self.intake_button,
            self.diagnoses_button,
            self.plan_button,
            self.measure_button,
            self.records_menu,
        ):
            actions.addWidget(widget)
        actions.addStretch(1)
        actions.addWidget(self.search)

        self.model = TimelineTableModel(self._fetch)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Timeline")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(Column.WHEN, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(Column.WHAT, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(Column.DETAIL, QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(self._activated)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)

        self.reader = QTextBrowser()
        self.reader.setAccessibleName("Selected entry")
        self.reader.setOpenLinks(False)
        self.reader.anchorClicked.connect(self._link)
        self.addendum_button = _button("Add &addendum…", "Add a signed addendum", self.add_addendum)
        self.edit_button = _button("&Edit draft", "Edit this draft", self.edit_shown)
        self.write_note_button = _button(
            "&Write the note", "Write the note for this appointment", self.note_for_appointment
        )
        self.void_button = _button("&Void (entered in error)", "Void this measure", self.void)
        reader_buttons = QHBoxLayout()
        reader_buttons.addStretch(1)
        for push in (
            self.void_button,
            self.write_note_button,
            self.edit_button,
            self.addendum_button,
        ):
            reader_buttons.addWidget(push)
        reader_page = QWidget()
        reader_layout = QVBoxLayout(reader_page)
        reader_layout.setContentsMargins(0, 0, 0, 0)
        reader_layout.addWidget(self.reader, 1)
        reader_layout.addLayout(reader_buttons)
        self.reader_page = reader_page

        self.note_editor = NoteEditor(services)
        self.psychotherapy_editor = PsychotherapyEditor(services)
        self.intake_form = IntakeForm(services)
        self.plan_editor = PlanEditor(services)
        self.detail = QStackedWidget()
        for page in (
            reader_page,
            self.note_editor,
            self.psychotherapy_editor,
            self.intake_form,
            self.plan_editor,
        ):
            self.detail.addWidget(page)
        for editor in (
            self.note_editor,
            self.psychotherapy_editor,
            self.intake_form,
            self.plan_editor,
        ):
            editor.closed.connect(self._editor_closed)
            editor.saved.connect(self._editor_saved)
        self.note_editor.signed.connect(self._note_signed)
        self.intake_form.signed.connect(lambda _: self.refresh())
        self.plan_editor.signed.connect(lambda _: self.refresh())

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        em = self.fontMetrics().horizontalAdvance("M")
        splitter.setSizes([48 * em, 52 * em])
        self.search.setMinimumWidth(18 * em)
        layout = QVBoxLayout(self)
        layout.addLayout(banner_row)
        layout.addWidget(self.header)
        layout.addLayout(actions)
        layout.addWidget(splitter, 1)
        QShortcut(QKeySequence("Ctrl+F"), self, self.search.setFocus)
        QShortcut(QKeySequence("Ctrl+N"), self, self.start_note)
        self._show_reader(None)
        self._set_banner(None)

    # Opening -------------------------------------------------------------------------

    def open(self, client_id: int) -> bool:
        """Open the chart; offers emergency access when the client is not one's own.
        False when it stays closed (refused, or the person cancelled)."""
        try:
            opened = self._services.charts.open_chart(client_id)
        except ChartAccessRequired:
            dialog = EmergencyAccessDialog(self._services, client_id, self)
            if not dialog.exec():
                return False
            try:
                opened = self._services.charts.open_chart(client_id)
            except Exception as error:
                show_error(self, error)
                return False
        except Exception as error:
            show_error(self, error)
            return False
        self.clear()
        self.client_id = client_id
        self._show_header(opened.header)
        self.model.set_first_page(opened.first_page)
        self.records_menu.fill_for_role()
        self.template.clear()
        for template in self._services.notes.templates():
            self.template.addItem(template.name, template.id)
        self.table.setFocus()
        if self.model.rowCount():
            self.table.selectRow(0)
        return True

    def _fetch(self, cursor: TimelineCursor) -> TimelinePage:
        assert self.client_id is not None
        return self._services.charts.timeline_page(self.client_id, cursor)

    def _show_header(self, header: ChartHeader) -> None:
        self.header_data = header
        self.header.show_header(header)
        self._set_banner(header)

    def _set_banner(self, header: ChartHeader | None) -> None:
        grant = None if header is None else header.emergency
        self.banner.setVisible(grant is not None)
        self.end_emergency.setVisible(grant is not None)
        if grant is not None:
            until = grant.expires_at.astimezone()
            self.banner.setText(
                "EMERGENCY ACCESS — this client is not assigned to you. The chart is open "
                f"until {until:%H:%M} for the reason you gave; every opening is logged and "
                "the practice owner is told."
            )

    def refresh(self) -> None:
        """The header and the first page again, after a change made here."""
        if self.client_id is None:
            return
        try:
            self._show_header(self._services.charts.header(self.client_id))
            self.model.set_first_page(self._services.charts.timeline_page(self.client_id, None))
        except Exception as error:
            show_error(self, error)

    # The timeline ------------------------------------------------------------------------

    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        if self.detail.currentWidget() is self.reader_page and current.isValid():
            entry = current.data(ENTRY_ROLE)
            if entry is None:
                return
            if entry.kind in (TimelineKind.PSYCHOTHERAPY, TimelineKind.INTAKE, TimelineKind.PLAN):
                # Opening one of these is a deliberate act (a psychotherapy note's
                # opening is audited): Enter or a double-click, not arrowing past it.
                self._show_reader(
                    entry,
                    f"<h2>{escape(entry.title)}</h2><p>{escape(entry.detail)}</p>"
                    "<p><i>Press Enter or double-click to open it.</i></p>",
                )
            else:
                self.show_entry(entry)

    def _activated(self, index: QModelIndex) -> None:
        entry = index.data(ENTRY_ROLE)
        if entry is not None:
            self.show_entry(entry, activate=True)

    def show_entry(self, entry: TimelineEntry, *, activate: bool = False) -> None:
        services = self._services
        try:
            if entry.kind is TimelineKind.NOTE:
                note = services.notes.note(entry.id)
                me = services.session.current_user()
                if activate and not note.signed and note.author_id == me.id:
                    self.edit_note(note)
                    return
                self.show_note(note)
            elif entry.kind is TimelineKind.MEASURE:
                self.show_measure(entry)
            elif entry.kind is TimelineKind.PSYCHOTHERAPY:
                self._show_editor(self.psychotherapy_editor)
                self.psychotherapy_editor.load(services.psychotherapy.open(entry.id))
            elif entry.kind is TimelineKind.INTAKE:
                self.intake_form.load(services.intakes.intake(entry.id))
                self._show_editor(self.intake_form)
            elif entry.kind is TimelineKind.PLAN:
                self.plan_editor.load(services.plans.plan(entry.id))
                self._show_editor(self.plan_editor)
            else:
                self._show_reader(
                    entry, f"<h2>{escape(entry.title)}</h2><p>{escape(entry.detail)}</p>"
                )
                self.write_note_button.setVisible(True)
        except UserFacingError as error:
            show_error(self, error)

    def show_note(self, note: ProgressNote) -> None:
        entry = self._entry_for(TimelineKind.NOTE, note.id)
        self._show_reader(entry, note_html(note))
        self._shown_note = note
        me = self._services.session.current_user()
        self.addendum_button.setVisible(note.signed)
        self.edit_button.setVisible(not note.signed and note.author_id == me.id)

    def _entry_for(self, kind: TimelineKind, entry_id: int) -> TimelineEntry | None:
        row = self.model.row_of(kind.value, entry_id)
        return None if row is None else self.model.entry(row)

    def _show_reader(self, entry: TimelineEntry | None, html: str = "") -> None:
        self._shown = entry
        self._shown_note = None
        self.reader.setHtml(html)
        for push in (
            self.addendum_button,
            self.edit_button,
            self.write_note_button,
            self.void_button,
        ):
            push.setVisible(False)
        self.detail.setCurrentWidget(self.reader_page)

    def _show_editor(self, editor: QWidget) -> None:
        current = self.detail.currentWidget()
        if current is not editor and isinstance(current, AutosaveEditor):
            current.save_if_changed()
        self.detail.setCurrentWidget(editor)

    def _link(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith("note:"):
            try:
                self.show_note(self._services.notes.note(int(text.split(":", 1)[1])))
            except UserFacingError as error:
                show_error(self, error)

    # Notes -------------------------------------------------------------------------------

    def _default_start(self) -> NoteStart:
        now = self._services.clock.now().replace(second=0, microsecond=0)
        return NoteStart(now - timedelta(minutes=1), 50, "90834", "Office")

    def start_note(self) -> None:
        if self.client_id is None or self.template.currentData() is None:
            return
        try:
            note = self._services.notes.start_note(
                self.client_id, int(self.template.currentData()), self._default_start()
            )
        except UserFacingError as error:
            show_error(self, error)
            return
        self.edit_note(note)
        self.refresh()

    def start_from_last(self) -> None:
        if self.client_id is None:
            return
        try:
            note = self._services.notes.start_from_last_note(self.client_id, self._default_start())
        except UserFacingError as error:
            show_error(self, error)
            return
        self.edit_note(note)
        self.refresh()

    def note_for_appointment(self) -> None:
        entry = self._shown
        if entry is None or entry.kind is not TimelineKind.APPOINTMENT:
            return
        self.write_note_for(entry.id)

    def write_note_for(self, appointment_id: int) -> None:
        """The appointment's note: started from it (the chosen template), or its own
        note if it has one; opened to edit unless it is signed."""
        template = int(self.template.currentData() or 1)
        try:
            note = self._services.notes.start_from_appointment(appointment_id, template)
        except UserFacingError as error:
            show_error(self, error)
            return
        if note.signed:
            self.show_note(note)
            return
        self.edit_note(note)
        self.refresh()

    def edit_note(self, note: ProgressNote) -> None:
        self._show_editor(self.note_editor)
        self.note_editor.load(note)

    def edit_shown(self) -> None:
        if self._shown_note is not None:
            self.edit_note(self._shown_note)

    def _note_signed(self, note: ProgressNote) -> None:
        self.refresh()
        self.show_note(note)

    def add_addendum(self) -> None:
        note = self._shown_note
        if note is None:
            return
        dialog = AddendumDialog(
            self._services.events,
            lambda text, password: self._services.notes.add_addendum(note, text, password),
            self,
        )
        if dialog.exec() and isinstance(dialog.result_value, ProgressNote):
            self.refresh()
            self.show_note(dialog.result_value)

    def _editor_closed(self) -> None:
        self._show_reader(None)
        self.refresh()

    def _editor_saved(self) -> None:
        """A first save (a new psychotherapy note) adds a line to the timeline."""
        if self.detail.currentWidget() is self.psychotherapy_editor:
            note = self.psychotherapy_editor.note
            if note is not None and self.model.row_of("psychotherapy", note.id) is None:
                self.refresh()

    def _emit_closed(self) -> None:
        self.closed.emit()

    # Lock --------------------------------------------------------------------------------

    def clear(self) -> None:
        """Keep nothing: called on lock, after the editors saved on `session.locking`."""
        for editor in (
            self.note_editor,
            self.psychotherapy_editor,
            self.intake_form,
            self.plan_editor,
        ):
            editor.clear()
        if self.client_form is not None:
            self.client_form.close()
            self.client_form = None
        self.client_id = None
        self.header_data = None
        self.header.clear()
        self.model.clear()
        self.search.clear()
        self.template.clear()
        self._show_reader(None)
        self._set_banner(None)
