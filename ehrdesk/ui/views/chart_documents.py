"""The chart's documents other than progress notes, as a part of `ChartView`: the
psychotherapy note, the intake, the treatment plan, diagnoses, measures (entered, or
handed to the client on a full-screen form that ends in the lock screen), the chart's
search, and ending emergency access. Kept apart so each module stays readable."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton, QWidget

from ehrdesk.core.chart import ChartHeader, TimelineEntry, TimelineKind
from ehrdesk.core.errors import UserFacingError
from ehrdesk.core.measures import Instrument
from ehrdesk.services.registry import Services
from ehrdesk.ui.dialogs.diagnosis_picker import DiagnosisDialog
from ehrdesk.ui.dialogs.measure_entry import MeasureEntryDialog
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.views.chart_reader import measure_html, search_html
from ehrdesk.ui.views.client_measure_form import ClientMeasureForm
from ehrdesk.ui.views.intake_form import IntakeForm
from ehrdesk.ui.views.plan_editor import PlanEditor
from ehrdesk.ui.views.psychotherapy_editor import PsychotherapyEditor


class ChartDocuments:
    """Needs what ChartView sets up; every method here is reached from its buttons."""

    _services: Services
    client_id: int | None
    header_data: ChartHeader | None
    client_form: ClientMeasureForm | None
    psychotherapy_editor: PsychotherapyEditor
    intake_form: IntakeForm
    plan_editor: PlanEditor
    search: QLineEdit
    _shown: TimelineEntry | None
    void_button: QPushButton

    def _show_editor(self, editor: QWidget) -> None: ...
    def _show_reader(self, entry: TimelineEntry | None, html: str = "") -> None: ...
    def refresh(self) -> None: ...
    def clear(self) -> None: ...
    def _emit_closed(self) -> None: ...
    def _parent_widget(self) -> QWidget:
        assert isinstance(self, QWidget)
        return self

    def start_psychotherapy(self) -> None:
        if self.client_id is not None:
            self._show_editor(self.psychotherapy_editor)
            self.psychotherapy_editor.start_new(self.client_id)

    def open_intake(self) -> None:
        if self.client_id is None:
            return
        try:
            intake = self._services.intakes.latest_intake(self.client_id)
            if intake is None:
                intake = self._services.intakes.start_intake(self.client_id)
                self.refresh()
        except UserFacingError as error:
            show_error(self._parent_widget(), error)
            return
        self.intake_form.load(intake)
        self._show_editor(self.intake_form)

    def open_plan(self) -> None:
        if self.client_id is None:
            return
        services = self._services
        try:
            plan = services.plans.current_plan(self.client_id)
            if plan is None:
                review = services.clock.now().date() + timedelta(days=90)
                plan = services.plans.start_plan(self.client_id, review)
                self.refresh()
        except UserFacingError as error:
            show_error(self._parent_widget(), error)
            return
        self.plan_editor.load(plan)
        self._show_editor(self.plan_editor)

    def open_diagnoses(self) -> None:
        if self.client_id is None:
            return
        dialog = DiagnosisDialog(self._services, self.client_id, self._parent_widget())
        dialog.exec()
        if dialog.changed:
            self.refresh()

    def enter_measure(self, instrument: Instrument) -> None:
        if self.client_id is None:
            return
        dialog = MeasureEntryDialog(
            self._services, self.client_id, instrument, self._parent_widget()
        )
        if dialog.exec():
            self.refresh()

    def hand_to_client(self, instrument: Instrument) -> None:
        """Full screen for the client; when it ends, the session locks."""
        if self.client_id is None:
            return
        try:
            self._services.measures.begin_client_form(self.client_id, instrument)
        except UserFacingError as error:
            show_error(self._parent_widget(), error)
            return
        self.client_form = ClientMeasureForm(self._services, self.client_id, instrument)
        self.client_form.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.client_form.showFullScreen()

    def void(self) -> None:
        entry = self._shown
        if entry is None or entry.kind is not TimelineKind.MEASURE or self.client_id is None:
            return
        try:
            result = next(
                m for m in self._services.measures.measures(self.client_id) if m.id == entry.id
            )
            self._services.measures.void_measure(result)
        except UserFacingError as error:
            show_error(self._parent_widget(), error)
            return
        self.refresh()
        self._show_reader(None)

    def search_notes(self) -> None:
        query = self.search.text().strip()
        if not query or self.client_id is None:
            return
        try:
            hits = self._services.charts.search_notes(query)
        except UserFacingError as error:
            show_error(self._parent_widget(), error)
            return
        mine = [h for h in hits if h.client_id == self.client_id]
        self._show_reader(None, search_html(query, mine))

    def end_emergency_access(self) -> None:
        header = self.header_data
        if header is None or header.emergency is None:
            return
        try:
            self._services.emergency.end_access(header.emergency)
        except UserFacingError as error:
            show_error(self._parent_widget(), error)
            return
        self.clear()
        self._emit_closed()

    def show_measure(self, entry: TimelineEntry) -> None:
        if self.client_id is None:
            return
        found = [m for m in self._services.measures.measures(self.client_id) if m.id == entry.id]
        if found:
            self._show_reader(entry, measure_html(found[0], found[0].instrument.items))
            self.void_button.setVisible(not found[0].voided)
