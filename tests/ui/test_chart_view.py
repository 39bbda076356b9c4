"""The chart on screen: header and timeline, the note editor's autosave (timer, lock,
crash), signing, the paste limit, the emergency banner, the lock clearing everything,
and the client's questionnaire ending at the lock screen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import QMimeData
from pytestqt.qtbot import QtBot

from ehrdesk.core.chart import NoteSection, ReasonCategory
from ehrdesk.core.measures import Instrument
from ehrdesk.security import totp
from ehrdesk.services.registry import Services
from ehrdesk.services.session import SessionState
from ehrdesk.ui.dialogs.sign_dialog import SignDialog
from ehrdesk.ui.main_window import MainWindow
from ehrdesk.ui.views.chart import ChartView
from ehrdesk.ui.views.client_measure_form import ClientMeasureForm
from tests.chart_support import CLINICIAN_PASSWORD, ChartPractice, start_at
from tests.ui.test_main_window import sign_in


@pytest.fixture
def chart_view(chart_practice: ChartPractice, qtbot: QtBot) -> ChartView:
    chart_practice.as_user("carla")
    view = ChartView(chart_practice.services)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    return view


def a_note(services: Services, client_id: int, text: str = ""):  # type: ignore[no-untyped-def]
    note = services.notes.start_note(client_id, 1, start_at(services))
    if text:
        note = services.notes.save_draft(
            note, [NoteSection(s.key, s.label, text) for s in note.sections]
        )
    return note


def test_the_chart_shows_header_and_timeline(
    chart_practice: ChartPractice, chart_view: ChartView
) -> None:
    services = chart_practice.services
    services.diagnoses.add_diagnosis(chart_practice.casey, "F33.1", primary=True)
    services.measures.record_measure(chart_practice.casey, Instrument.PHQ9, [1] * 9)
    a_note(services, chart_practice.casey, "Words")
    assert chart_view.open(chart_practice.casey)
    assert chart_view.header.name.text() == "Rivers, Casey"
    assert "they/them" in chart_view.header.facts.text()
    assert "Clinician: Carla" in chart_view.header.facts.text()
    assert "F33.1" in chart_view.header.diagnoses.text()
    assert "PHQ-9 item 9" in chart_view.header.risks.text()
    assert chart_view.header.scores.summary() == "PHQ-9: 9"
    assert chart_view.model.rowCount() == 2
    assert not chart_view.banner.isVisible()


def test_the_timeline_fetches_more_pages(
    chart_practice: ChartPractice, chart_view: ChartView
) -> None:
    services = chart_practice.services
    for day in range(60):
        services.measures.record_measure(
            chart_practice.casey,
            Instrument.GAD7,
            [0] * 7,
            administered_at=services.clock.now() - timedelta(days=day + 1),
        )
    chart_view.open(chart_practice.casey)
    assert chart_view.model.rowCount() == 50 and chart_view.model.canFetchMore()
    chart_view.model.fetchMore()
    assert chart_view.model.rowCount() == 60 and not chart_view.model.canFetchMore()


def test_the_editor_autosaves_on_its_timer_and_survives_a_crash(
    chart_practice: ChartPractice, chart_view: ChartView, qtbot: QtBot
) -> None:
    services = chart_practice.services
    note = a_note(services, chart_practice.casey)
    chart_view.open(chart_practice.casey)
    chart_view.edit_note(note)
    editor = chart_view.note_editor
    editor.fields[0][1].setPlainText("Typed in the session")
    assert editor.dirty and editor.autosave.isActive()
    qtbot.waitUntil(lambda: not editor.dirty, timeout=editor.autosave.interval() + 2000)
    # A crash now: nothing is locked or closed; another process opens the practice.
    other = Services.build(services.data_dir, keyring=services.vaults.keyring, clock=services.clock)
    chart_practice.practice.clock.advance(30)
    code = totp.current_code(chart_practice.practice.secrets["carla"], services.clock.now())
    other.auth.sign_in("carla", CLINICIAN_PASSWORD, code)
    assert other.notes.note(note.id).sections[0].text == "Typed in the session"
    other.session.sign_out()


def test_a_lock_saves_the_draft_then_clears_the_chart(
    chart_practice: ChartPractice, qtbot: QtBot
) -> None:
    services = chart_practice.services
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    sign_in(window, chart_practice.practice, qtbot, "carla")
    note = a_note(services, chart_practice.casey)
    assert window.open_chart(chart_practice.casey)
    chart = window.workspace.chart
    chart.edit_note(note)
    chart.note_editor.fields[1][1].setPlainText("Typed a second before the lock")
    assert chart.note_editor.autosave.isActive()  # not yet saved by the timer
    window.lock()
    assert services.session.state is SessionState.LOCKED
    assert window.stack.currentWidget() is window.lock_screen
    assert chart.model.rowCount() == 0
    assert chart.header.name.text() == "" and chart.client_id is None
    assert chart.note_editor.fields == [] and chart.note_editor.note is None
    services.auth.unlock(CLINICIAN_PASSWORD)
    assert services.notes.note(note.id).sections[1].text == "Typed a second before the lock"


def test_a_huge_paste_is_refused_and_nothing_is_lost(
    chart_practice: ChartPractice, chart_view: ChartView
) -> None:
    services = chart_practice.services
    note = a_note(services, chart_practice.casey, "What was there")
    chart_view.open(chart_practice.casey)
    chart_view.edit_note(note)
    editor = chart_view.note_editor
    field = editor.fields[0][1]
    paste = QMimeData()
    paste.setText("x" * (10 * 1024 * 1024))
    field.insertFromMimeData(paste)
    assert field.toPlainText() == "What was there"
    assert "too long" in editor.status.text() and "nothing was lost" in editor.status.text()
    small = QMimeData()
    small.setText(" and more")
    field.moveCursor(field.textCursor().MoveOperation.End)
    field.insertFromMimeData(small)
    assert field.toPlainText() == "What was there and more"


def test_signing_asks_for_the_password_again(chart_practice: ChartPractice, qtbot: QtBot) -> None:
    services = chart_practice.as_user("carla")
    note = a_note(services, chart_practice.casey, "Ready to sign")
    dialog = SignDialog(
        services.events, "Sign", "intro", lambda pw: services.notes.sign_note(note, pw)
    )
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.password.setText("not my password")
    dialog.accept()
    assert dialog.isVisible()
    assert dialog.message.text() == "That password is not right."
    assert dialog.password.text() == ""
    dialog.password.setText(CLINICIAN_PASSWORD)
    dialog.accept()
    assert not dialog.isVisible()
    assert services.notes.note(note.id).signed


def test_a_signed_note_is_shown_locked_with_its_signature(
    chart_practice: ChartPractice, chart_view: ChartView
) -> None:
    services = chart_practice.services
    note = services.notes.sign_note(
        a_note(services, chart_practice.casey, "Done"), CLINICIAN_PASSWORD
    )
    chart_view.open(chart_practice.casey)
    chart_view.show_note(services.notes.note(note.id))
    text = chart_view.reader.toPlainText()
    assert "Signed by Carla" in text and "locked" in text
    assert chart_view.addendum_button.isVisibleTo(chart_view)
    assert not chart_view.edit_button.isVisibleTo(chart_view)


def test_emergency_access_shows_a_banner(chart_practice: ChartPractice, qtbot: QtBot) -> None:
    services = chart_practice.as_user("dev")
    services.emergency.request_access(chart_practice.casey, ReasonCategory.CRISIS, "Crisis call.")
    view = ChartView(services)
    qtbot.addWidget(view)
    view.show()
    assert view.open(chart_practice.casey)
    assert view.banner.isVisible() and "EMERGENCY ACCESS" in view.banner.text()
    view.end_emergency_access()
    assert view.client_id is None and not view.banner.isVisible()


def test_the_clients_questionnaire_ends_at_the_lock_screen(
    chart_practice: ChartPractice, qtbot: QtBot
) -> None:
    services = chart_practice.services
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    sign_in(window, chart_practice.practice, qtbot, "carla")
    window.open_chart(chart_practice.casey)
    window.workspace.chart.hand_to_client(Instrument.GAD7)
    form = window.workspace.chart.client_form
    assert isinstance(form, ClientMeasureForm) and form.isFullScreen()
    form.submit_answers()
    assert "answer all 7" in form.message.text()
    assert services.session.state is SessionState.SIGNED_IN
    form.questions.set_answers([2, 2, 1, 1, 0, 0, 1])
    form.submit_answers()
    assert services.session.state is SessionState.LOCKED
    assert window.stack.currentWidget() is window.lock_screen
    services.auth.unlock(CLINICIAN_PASSWORD)
    result = services.measures.measures(chart_practice.casey)[0]
    assert (result.total, result.band, result.by_client) == (7, "mild", True)


def test_escaping_the_questionnaire_locks_too(chart_practice: ChartPractice, qtbot: QtBot) -> None:
    services = chart_practice.as_user("carla")
    form = ClientMeasureForm(services, chart_practice.casey, Instrument.PHQ9)
    qtbot.addWidget(form)
    form.show()
    form.close()
    assert services.session.state is SessionState.LOCKED
    assert services.measures is not None


def test_today_lists_unsigned_notes_and_the_owners_notices(
    chart_practice: ChartPractice, qtbot: QtBot
) -> None:
    services = chart_practice.as_user("carla")
    a_note(services, chart_practice.casey, "Draft")
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    services.session.sign_out()
    sign_in(window, chart_practice.practice, qtbot, "carla")
    today = window.workspace.today
    assert today.unsigned.count() == 1 and "Rivers, Casey" in today.unsigned.item(0).text()
    assert not today.emergency.isVisible()
    opened: list[tuple[int, int]] = []
    today.chart_requested.connect(lambda c, n: opened.append((c, n)))
    today._open(today.unsigned.item(0))
    assert opened and opened[0][0] == chart_practice.casey
    assert window.workspace.stack.currentWidget() is window.workspace.chart

    services.session.sign_out()
    sign_in(window, chart_practice.practice, qtbot, "dev")
    services.emergency.request_access(chart_practice.casey, ReasonCategory.COVERING, "Away.")
    services.session.sign_out()
    sign_in(window, chart_practice.practice, qtbot, "owner")
    assert (
        today.emergency.isVisible() and "Dev opened Rivers, Casey" in today.emergency.item(0).text()
    )
    today.emergency.setCurrentRow(0)
    assert "Away." in today.emergency_reason.text()
    today.acknowledge_selected()
    assert "No chart was opened" in today.emergency.item(0).text()
