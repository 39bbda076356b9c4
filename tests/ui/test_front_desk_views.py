"""The front desk's views over real services and a real SQLCipher file (pytest-qt,
offscreen): search as you type, paging, booking over a conflict, keyboard use of the
schedule, the client form's messages, and every view emptied on lock."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from ehrdesk.core.front_desk import AppointmentStatus, ClientDraft
from ehrdesk.services.session import SessionState
from ehrdesk.ui.dialogs.appointment_dialog import AppointmentDialog
from ehrdesk.ui.dialogs.client_form import ClientDialog
from ehrdesk.ui.main_window import MainWindow
from ehrdesk.ui.models.client_table import PAGE
from ehrdesk.ui.views.clients import ClientsView
from ehrdesk.ui.views.schedule import ScheduleView
from tests.services.front_desk_fixtures import FrontDesk, local


def many_clients(desk: FrontDesk, count: int) -> None:
    """Quickly, through the repository's bulk path (the service is tested elsewhere)."""
    from ehrdesk.storage.clients import ClientRepository

    drafts = [
        (
            i + 100,
            ClientDraft(
                legal_first_name=f"Person{i:03d}",
                legal_last_name="Rivera",
                date_of_birth=date(1980, 1, 1) + timedelta(days=i),
                assigned_clinician_id=desk.clinician_id,
            ),
            desk.practice.clock.now(),
        )
        for i in range(count)
    ]
    with desk.services.session.transaction() as tx:
        ClientRepository(tx.conn).add_many(drafts)


def test_typing_in_search_filters_the_list(desk: FrontDesk, qtbot: QtBot) -> None:
    desk.client("Ana", "Lopez", phone_mobile="312 555 0147")
    desk.client("Bea", "Kim")
    desk.client("Zoë", "O'Brien")
    view = ClientsView(desk.services)
    qtbot.addWidget(view)
    view.show_for_role()
    assert view.model.rowCount() == 3
    qtbot.keyClicks(view.search, "zoe")
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=2000)
    assert view.model.client_at(0).display_name == "O'Brien, Zoë"
    view.search.clear()
    qtbot.keyClicks(view.search, "0147")
    qtbot.waitUntil(
        lambda: view.model.rowCount() == 1 and view.model.client_at(0).display_name == "Lopez, Ana",
        timeout=2000,
    )
    assert view.summary.text() == "1 clients"
    view.status.setCurrentIndex(view.status.findText("Discharged"))
    assert view.model.rowCount() == 0
    assert view.summary.text() == "No clients match."


def test_scrolling_the_list_fetches_the_next_page(desk: FrontDesk, qtbot: QtBot) -> None:
    many_clients(desk, PAGE + 30)
    view = ClientsView(desk.services)
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    view.show_for_role()
    assert view.model.rowCount() == PAGE
    assert view.model.canFetchMore()
    view.table.scrollToBottom()
    qtbot.waitUntil(lambda: view.model.rowCount() == PAGE + 30, timeout=3000)
    assert not view.model.canFetchMore()
    names = [view.model.client_at(i).display_name for i in range(view.model.rowCount())]
    assert names == sorted(names)


def test_booking_a_conflicting_slot_shows_it_and_needs_a_reason(
    desk: FrontDesk, qtbot: QtBot
) -> None:
    ana, bea = desk.client("Ana", "Lopez"), desk.client("Bea", "Kim")
    desk.services.schedule.book(desk.draft(ana, local(2026, 3, 3, 10)))
    dialog = AppointmentDialog(
        desk.services, starts_at=local(2026, 3, 3, 10, 30), clinician_id=desk.clinician_id
    )
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.picker.field, "kim")
    qtbot.keyClick(dialog.picker.field, Qt.Key.Key_Return)
    assert dialog.picker.client_id == bea
    dialog.submit()
    assert not dialog.conflict_box.isHidden()
    assert dialog.conflict_list.count() == 1
    assert dialog.conflict_list.item(0).text().startswith("Clinician already booked")
    assert dialog.save.text() == "Book &anyway"
    dialog.submit()  # no reason: refused, nothing booked
    assert dialog.problem.text() == "Say why this may overlap, or change the time."
    assert len(desk.services.schedule.days(date(2026, 3, 2), 7)) == 1
    dialog.reason.setText("Joint session agreed")
    dialog.submit()
    assert dialog.result() == dialog.DialogCode.Accepted
    booked = desk.services.schedule.days(date(2026, 3, 2), 7)
    assert [e.appointment.override_reason for e in booked] == [None, "Joint session agreed"]


def test_the_schedule_is_driven_by_the_keyboard(desk: FrontDesk, qtbot: QtBot) -> None:
    ana = desk.client("Ana", "Lopez")
    [booked] = desk.services.schedule.book(desk.draft(ana, local(2026, 3, 3, 10)))
    view = ScheduleView(desk.services)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    view.show_for_role()
    view.clinician.setCurrentIndex(view.clinician.findData(desk.clinician_id))
    grid = view.grid
    assert [b.title for b in grid.blocks] == ["Lopez, Ana"]
    grid.setFocus()
    opened: list[int] = []
    booked_at: list[tuple[int, int]] = []
    grid.open_requested.disconnect()
    grid.book_requested.disconnect()
    grid.open_requested.connect(opened.append)
    grid.book_requested.connect(lambda c, m: booked_at.append((c, m)))
    # The cursor starts on Monday 09:00; Tuesday 10:00 is one right, two down.
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    qtbot.keyClick(grid, Qt.Key.Key_Down)
    qtbot.keyClick(grid, Qt.Key.Key_Down)
    assert "Lopez, Ana" in grid.accessibleDescription()
    qtbot.keyClick(grid, Qt.Key.Key_Return)
    assert opened == [booked.id]
    qtbot.keyClick(grid, Qt.Key.Key_Down)
    qtbot.keyClick(grid, Qt.Key.Key_Down)
    qtbot.keyClick(grid, Qt.Key.Key_Insert)
    assert booked_at == [(1, 11 * 60)]
    first = view.first_day()
    qtbot.keyClick(grid, Qt.Key.Key_PageDown)
    assert view.first_day() == first + timedelta(days=7)
    assert grid.blocks == []
    qtbot.keyClick(grid, Qt.Key.Key_T)
    assert view.first_day() == first
    view.span.setCurrentIndex(view.span.findData(1))  # one day
    assert len(grid.columns) == 1


def test_the_client_form_shows_problems_beside_fields_and_duplicates(
    desk: FrontDesk, qtbot: QtBot
) -> None:
    existing = desk.client("Ana", "Lopez", phone_mobile="312 555 0147")
    dialog = ClientDialog(desk.services, None)
    qtbot.addWidget(dialog)
    dialog.fields["legal_last_name"].setText("Lopez")  # type: ignore[attr-defined]
    dialog.fields["date_of_birth"].setText("30.2.1984")  # type: ignore[attr-defined]
    dialog.fields["email"].setText("ana at example")  # type: ignore[attr-defined]
    dialog.submit()
    assert dialog.errors["legal_first_name"].text() == "Please enter the legal first name."
    assert dialog.errors["date_of_birth"].text().startswith("That date does not exist")
    assert dialog.errors["email"].text() == "The e-mail address should look like name@example.org."
    assert dialog.tabs.currentIndex() == 0  # the first tab with a problem is shown
    dialog.fields["legal_first_name"].setText("ANA")  # type: ignore[attr-defined]
    dialog.fields["date_of_birth"].setText("3/7/1984")  # type: ignore[attr-defined]
    dialog.submit()
    assert dialog.errors["legal_first_name"].isHidden()
    assert not dialog.errors["email"].isHidden()
    assert dialog.tabs.currentIndex() == 1  # the tab with the problem left is shown
    dialog.fields["email"].setText("")  # type: ignore[attr-defined]
    dialog.submit()
    assert "Lopez, Ana, born 1984-03-07" in dialog.duplicates.text()
    assert desk.services.clients.search("lopez").rows[0].id == existing
    dialog.submit()  # "Save anyway"
    assert len(desk.services.clients.search("lopez").rows) == 2
    opened = ClientDialog(desk.services, existing)
    qtbot.addWidget(opened)
    assert opened.counts.text().startswith("No-shows: 0")


def test_a_clinician_sees_their_own_schedule_and_a_read_only_record(
    desk: FrontDesk, qtbot: QtBot
) -> None:
    mine = desk.client("Ana", "Lopez")
    desk.client("Bea", "Kim", assigned_clinician_id=desk.other_clinician_id)
    services = desk.as_("carla")
    clients = ClientsView(services)
    qtbot.addWidget(clients)
    clients.show_for_role()
    assert clients.model.rowCount() == 1 and clients.new_button.isHidden()
    assert [clients.clinician.itemData(i) for i in range(clients.clinician.count())] == [
        desk.clinician_id
    ]
    form = ClientDialog(services, mine)
    qtbot.addWidget(form)
    assert not form.editable and form.fields["legal_first_name"].isReadOnly()  # type: ignore[attr-defined]
    assert not form.fields["status"].isEnabled()
    schedule = ScheduleView(services)
    qtbot.addWidget(schedule)
    schedule.show_for_role()
    assert schedule.clinician.count() == 1


def test_locking_clears_every_front_desk_view(desk: FrontDesk, qtbot: QtBot) -> None:
    ana = desk.client("Ana", "Lopez")
    desk.services.schedule.book(desk.draft(ana, local(2026, 3, 2, 10)))
    from ehrdesk.core.front_desk import WaitlistDraft

    desk.services.waitlist.add(WaitlistDraft(ana, "individual"))
    services = desk.services
    # An owner-set password must be changed at first sign-in; do it here, so the
    # forced-change dialog does not stop the window's sign-in (it has its own tests).
    services.account.change_password(desk.practice.passwords["frank"], "granite willow ferry 88")
    desk.practice.passwords["frank"] = "granite willow ferry 88"
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    services.session.sign_out()
    desk.practice.clock.advance(30)
    view = window.sign_in
    view.username.setText("frank")
    view.password.setText(desk.practice.passwords["frank"])
    qtbot.keyClick(view.password, Qt.Key.Key_Return)
    view.code.setText(desk.practice.code("frank"))
    qtbot.keyClick(view.code, Qt.Key.Key_Return)
    workspace = window.workspace
    assert window.stack.currentWidget() is workspace
    places = workspace.visible_places()
    for place in ("schedule", "clients", "waitlist"):
        workspace.nav.setCurrentRow(places.index(place))
    assert workspace.clients.model.rowCount() == 1
    assert workspace.waitlist.table.rowCount() == 1
    workspace.schedule.clinician.setCurrentIndex(
        workspace.schedule.clinician.findData(desk.clinician_id)
    )
    assert [b.status for b in workspace.schedule.grid.blocks] == [AppointmentStatus.BOOKED]
    workspace.clients.search.setText("lop")
    window.lock()
    assert services.session.state is SessionState.LOCKED
    assert workspace.clients.model.rowCount() == 0
    assert workspace.clients.search.text() == ""
    assert workspace.schedule.grid.blocks == [] and workspace.schedule.entries == []
    assert workspace.waitlist.table.rowCount() == 0


def test_the_owner_sets_the_time_zone_and_late_cancel_window(
    desk: FrontDesk, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ehrdesk.ui.clipboard import ClipboardGuard
    from ehrdesk.ui.dialogs import settings_dialog
    from ehrdesk.ui.dialogs.settings_dialog import SettingsDialog

    shown: list[str] = []
    monkeypatch.setattr(settings_dialog, "show_error", lambda parent, e: shown.append(str(e)))
    services = desk.as_("owner")
    dialog = SettingsDialog(services, ClipboardGuard())
    qtbot.addWidget(dialog)
    tab = dialog.practice_tab
    assert tab is not None
    assert tab.schedule_box.zone.currentText() == "America/Chicago"
    assert tab.schedule_box.late.value() == 24
    tab.schedule_box.zone.setCurrentText("Europe/Berlin")
    tab.schedule_box.late.setValue(48)
    tab.save()
    assert tab.status_label.text() == "Settings saved."
    settings = services.schedule.settings()
    assert (settings.time_zone, settings.late_cancel_hours) == ("Europe/Berlin", 48)
    tab.schedule_box.zone.setCurrentText("Mars/Olympus")
    tab.save()  # refused with one sentence through the error path; nothing changes
    assert shown == ["That time zone is not known; choose one from the list."]
    assert services.schedule.settings().time_zone == "Europe/Berlin"


def test_a_crowded_week_shows_counts_and_opens_the_day(desk: FrontDesk, qtbot: QtBot) -> None:
    clients = [desk.client(f"Person{i}", "Lopez") for i in range(6)]
    for client in clients:  # six at once: more than the grid draws side by side
        desk.services.schedule.book(
            desk.draft(client, local(2026, 3, 3, 10), room=None),
            override_reason="Test of a crowded hour",
        )
    view = ScheduleView(desk.services)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    view.show_for_role()
    assert view.clinician.currentData() is None  # the whole practice
    grid = view.grid
    assert [(c.column, c.count) for c in grid.crowds] == [(1, 6)]
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    qtbot.keyClick(grid, Qt.Key.Key_Down)
    qtbot.keyClick(grid, Qt.Key.Key_Down)
    assert "6 appointments" in grid.accessibleDescription()
    qtbot.keyClick(grid, Qt.Key.Key_Return)
    assert view.span.currentData() == 1 and view.first_day() == date(2026, 3, 3)
    assert len(grid.blocks) == 6 and grid.columns == ["Carla"]


# The chart from the front desk's views -------------------------------------------------


def test_enter_on_a_client_opens_the_chart_for_who_keeps_charts(
    desk: FrontDesk, qtbot: QtBot
) -> None:
    ana = desk.client("Ana", "Lopez")
    view = ClientsView(desk.as_("owner"))  # a clinical supervisor
    qtbot.addWidget(view)
    view.show()
    view.show_for_role()
    asked: list[int] = []
    view.chart_requested.connect(asked.append)
    view.table.setFocus()
    view.table.selectRow(0)

    qtbot.keyClick(view.table, Qt.Key.Key_Return)

    assert asked == [ana]
    assert view.chart_button.isVisibleTo(view)


def test_the_front_desk_is_never_offered_a_chart(desk: FrontDesk, qtbot: QtBot) -> None:
    desk.client("Ana", "Lopez")
    services = desk.as_("frank")
    view = ClientsView(services)
    qtbot.addWidget(view)
    view.show()
    view.show_for_role()
    asked: list[int] = []
    view.chart_requested.connect(asked.append)
    view.table.selectRow(0)

    view.open_selected_chart()

    assert asked == []
    assert not view.chart_button.isVisibleTo(view)


def test_write_note_on_an_appointment_opens_its_note_in_the_chart(
    desk: FrontDesk, qtbot: QtBot
) -> None:
    from ehrdesk.ui.views.workspace import Workspace

    ana = desk.client("Ana", "Lopez")
    # Earlier today in Chicago: booked for a walk-in, over by now, so it can have a note.
    [seen] = desk.services.schedule.book(desk.draft(ana, local(2026, 3, 2, 7)))
    desk.services.session.sign_out()
    signed = desk.practice.sign_in("carla")
    dialog = AppointmentDialog(desk.services, appointment_id=seen.id)
    qtbot.addWidget(dialog)
    write = next(b for b in dialog.findChildren(QPushButton) if b.text() == "&Write note")

    write.click()

    assert dialog.chart_request == (ana, seen.id)
    workspace = Workspace(desk.services)
    qtbot.addWidget(workspace)
    workspace.show_for(signed)
    workspace.open_chart_for_appointment(*dialog.chart_request)
    assert workspace.stack.currentWidget() is workspace.chart
    assert workspace.chart.note_editor.isVisibleTo(workspace.chart)
    [note] = [n for n in desk.services.charts.unsigned_notes() if n.client_id == ana]
    assert desk.services.notes.note(note.note_id).appointment_id == seen.id


def test_the_front_desk_has_no_chart_buttons_on_an_appointment(
    desk: FrontDesk, qtbot: QtBot
) -> None:
    ana = desk.client("Ana", "Lopez")
    [booked] = desk.services.schedule.book(desk.draft(ana, local(2026, 3, 3, 10)))
    services = desk.as_("frank")
    dialog = AppointmentDialog(services, appointment_id=booked.id)
    qtbot.addWidget(dialog)

    texts = {b.text() for b in dialog.findChildren(QPushButton)}

    assert "C&hart" not in texts and "&Write note" not in texts
    assert "Check &in" in texts


def test_today_lists_the_day_and_opens_an_appointment_to_check_in(
    desk: FrontDesk, qtbot: QtBot
) -> None:
    from PySide6.QtWidgets import QApplication

    from ehrdesk.ui.views.workspace import Workspace

    ana, bea = desk.client("Ana", "Lopez"), desk.client("Bea", "Kim")
    # The clock says 14:00 UTC, 08:00 in Chicago: one later today, one tomorrow.
    [later] = desk.services.schedule.book(desk.draft(ana, local(2026, 3, 2, 11)))
    desk.services.schedule.book(desk.draft(bea, local(2026, 3, 3, 11)))
    desk.services.session.sign_out()
    signed = desk.practice.sign_in("frank")
    workspace = Workspace(desk.services)
    qtbot.addWidget(workspace)
    workspace.show()
    workspace.show_for(signed)
    table = workspace.today.appointments.table

    assert table.rowCount() == 1
    assert [table.item(0, c).text() for c in (0, 1, 5)] == [
        "11:00–11:50",
        "Lopez, Ana",
        "Booked",
    ]

    def check_in() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, AppointmentDialog)
        dialog.status_buttons[AppointmentStatus.CHECKED_IN].click()
        dialog.reject()

    QTimer.singleShot(0, check_in)
    workspace.today.appointments.appointment_requested.emit(later.id)

    assert desk.services.schedule.entry(later.id).appointment.status is AppointmentStatus.CHECKED_IN
    assert table.item(0, 5).text() == "Checked in"
