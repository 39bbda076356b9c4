"""The settings dialog over real services: tabs by role, practice settings, users."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from ehrdesk.core.errors import AccountLocked, AuthenticationFailed, UserFacingError
from ehrdesk.core.models import Role
from ehrdesk.security import totp
from ehrdesk.security.passwords import PasswordPolicy
from ehrdesk.ui import errors as ui_errors
from ehrdesk.ui.clipboard import ClipboardGuard
from ehrdesk.ui.dialogs import settings_dialog, users_panel
from ehrdesk.ui.dialogs.settings_dialog import SettingsDialog
from ehrdesk.ui.dialogs.users_panel import AddUserDialog, UsersTableModel
from ehrdesk.ui.widgets.password_field import PasswordField
from tests.conftest import Practice

NEW_PASSWORD = "harbour kettle saffron 5521 wren"


def shot(widget: QWidget, name: str) -> None:
    """Save a screenshot when EHRDESK_SCREENSHOTS names a folder (for looking at)."""
    folder = os.environ.get("EHRDESK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        assert widget.grab().save(str(Path(folder) / f"{name}.png"))


@pytest.fixture
def shown_errors(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every message the dialogs would show, instead of a modal box."""
    shown: list[str] = []

    def record(parent: QWidget | None, error: BaseException) -> None:
        text = ui_errors.message_for(error)
        assert text is not None
        shown.append(text)

    for module in (settings_dialog, users_panel):
        monkeypatch.setattr(module, "show_error", record)
    return shown


def make_dialog(qtbot: QtBot, practice: Practice) -> SettingsDialog:
    dialog = SettingsDialog(practice.services, ClipboardGuard())
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def fill_password_field(field: PasswordField, password: str) -> None:
    field.password_edit.setText(password)
    field.confirm_edit.setText(password)


# Tabs by role ---------------------------------------------------------------------


def test_owner_sees_all_three_tabs(qtbot: QtBot, practice: Practice) -> None:
    practice.sign_in("owner")
    dialog = make_dialog(qtbot, practice)
    assert dialog.tab_titles() == ["My account", "Practice", "Billing", "Users"]
    shot(dialog, "settings-my-account")
    dialog.show_tab("Practice")
    shot(dialog, "settings-practice")
    dialog.show_tab("Users")
    shot(dialog, "settings-users")


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINICIAN])
def test_other_roles_see_only_their_own_account(
    qtbot: QtBot, practice: Practice, add_user: Callable[..., None], role: Role
) -> None:
    add_user("casey", role)
    practice.sign_in("casey")
    dialog = make_dialog(qtbot, practice)
    assert dialog.tab_titles() == ["My account"]
    assert dialog.practice_tab is None
    assert dialog.users_panel is None
    assert dialog.account_tab.role_label.text() == role.label
    if role is Role.FRONT_DESK:
        shot(dialog, "settings-front-desk")


def test_my_account_says_who_is_signed_in(qtbot: QtBot, practice: Practice) -> None:
    practice.sign_in("owner")
    practice.clock.advance(days=3)
    dialog = make_dialog(qtbot, practice)
    tab = dialog.account_tab
    assert tab.name_label.text() == "Olive Owner"
    assert tab.username_label.text() == "owner"
    assert tab.role_label.text() == "Owner"
    assert tab.password_label.text().endswith("(3 days ago)")
    assert tab.change_password_button.accessibleName() == "Change password"
    assert tab.second_factor_button.accessibleName() == "Set up a new second factor"


def test_my_account_names_the_date_a_password_expires(qtbot: QtBot, practice: Practice) -> None:
    practice.sign_in("owner")
    practice.services.settings.set_password_policy(PasswordPolicy(max_age_days=90))
    dialog = make_dialog(qtbot, practice)
    assert "; change it by " in dialog.account_tab.password_label.text()


def test_the_dialog_closes_when_the_session_locks(qtbot: QtBot, practice: Practice) -> None:
    practice.sign_in("owner")
    dialog = make_dialog(qtbot, practice)
    practice.services.session.lock()
    assert not dialog.isVisible()


# Practice settings ----------------------------------------------------------------


def test_idle_timeout_change_reaches_the_session_and_is_audited(
    qtbot: QtBot, practice: Practice, shown_errors: list[str]
) -> None:
    practice.sign_in("owner")
    services = practice.services
    dialog = make_dialog(qtbot, practice)
    tab = dialog.practice_tab
    assert tab is not None
    assert tab.idle_spin.value() == 10
    assert (tab.idle_spin.minimum(), tab.idle_spin.maximum()) == (1, 60)

    tab.idle_spin.setValue(3)
    QTest.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)

    assert shown_errors == []
    assert tab.status_label.text() == "Settings saved."
    assert services.session.idle_seconds == 180
    assert services.settings.idle_timeout_minutes() == 3
    changes = [e for e in services.audit.events() if e.action == "settings_changed"]
    assert [e.object_id for e in changes] == ["idle_timeout"]
    assert changes[0].username == "owner"


def test_enter_on_the_practice_tab_saves_and_escape_closes(
    qtbot: QtBot, practice: Practice, shown_errors: list[str]
) -> None:
    practice.sign_in("owner")
    dialog = make_dialog(qtbot, practice)
    tab = dialog.practice_tab
    assert tab is not None
    QTest.keyClick(dialog.account_tab.name_label, Qt.Key.Key_Return)
    assert dialog.isVisible()  # Enter on My account closes nothing
    dialog.show_tab("Practice")
    tab.idle_spin.setFocus()
    tab.idle_spin.setValue(25)
    QTest.keyClick(tab.idle_spin, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert practice.services.session.idle_seconds == 25 * 60
    assert tab.status_label.text() == "Settings saved."
    QTest.keyClick(tab.idle_spin, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_saving_nothing_changed_writes_nothing(qtbot: QtBot, practice: Practice) -> None:
    practice.sign_in("owner")
    dialog = make_dialog(qtbot, practice)
    assert dialog.practice_tab is not None
    QTest.mouseClick(dialog.practice_tab.save_button, Qt.MouseButton.LeftButton)
    assert dialog.practice_tab.status_label.text() == "Nothing has changed."
    assert not [e for e in practice.services.audit.events() if e.action == "settings_changed"]


def test_password_policy_round_trips(
    qtbot: QtBot, practice: Practice, shown_errors: list[str]
) -> None:
    practice.sign_in("owner")
    services = practice.services
    dialog = make_dialog(qtbot, practice)
    tab = dialog.practice_tab
    assert tab is not None
    assert tab.max_age_spin.text() == "Never"
    assert tab.history_spin.text() == "Off"

    tab.min_length_spin.setValue(14)
    tab.composition_check.setChecked(True)
    tab.max_age_spin.setValue(180)
    tab.history_spin.setValue(5)
    assert tab.status_label.text() == ""
    tab.save_button.click()

    assert shown_errors == []
    expected = PasswordPolicy(
        min_length=14, require_composition=True, max_age_days=180, history_count=5
    )
    assert services.settings.password_policy() == expected
    changes = [e.object_id for e in services.audit.events() if e.action == "settings_changed"]
    assert changes == ["password_policy"]

    second = make_dialog(qtbot, practice)
    again = second.practice_tab
    assert again is not None
    assert again.policy_from_fields() == expected
    assert again.min_length_spin.value() == 14
    assert again.composition_check.isChecked()

    # 0 days means passwords never expire.
    again.max_age_spin.setValue(0)
    again.save_button.click()
    assert services.settings.password_policy().max_age_days is None


# Users ----------------------------------------------------------------------------


def lock_out(practice: Practice, username: str) -> None:
    """Ten wrong sign-ins, each after the throttle's wait: the account locks."""
    auth = practice.services.auth
    for _ in range(10):
        practice.clock.advance(auth.throttle_status(username).retry_after)
        with pytest.raises(AuthenticationFailed):
            auth.sign_in(username, "not the password at all", "000000")
    assert auth.throttle_status(username).locked
    with pytest.raises(AccountLocked):
        practice.sign_in(username)


def row_of(model: UsersTableModel, username: str) -> int:
    names = [model.row_record(r)[0].username for r in range(model.rowCount())]
    return names.index(username)


def cell(model: UsersTableModel, row: int, column: UsersTableModel.Column) -> object:
    return model.data(model.index(row, column))


def test_users_table_lists_every_user(
    qtbot: QtBot, practice: Practice, add_user: Callable[..., None]
) -> None:
    add_user("frank", Role.FRONT_DESK)
    add_user("clara", Role.CLINICIAN)
    practice.sign_in("owner")
    dialog = make_dialog(qtbot, practice)
    panel = dialog.users_panel
    assert panel is not None
    model = panel.model
    Column = UsersTableModel.Column
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in Column] == [
        "Username",
        "Full name",
        "Role",
        "Status",
        "Sign-in",
    ]
    rows = {
        str(cell(model, r, Column.USERNAME)): [cell(model, r, c) for c in Column]
        for r in range(model.rowCount())
    }
    assert rows == {
        "clara": ["clara", "Clara", "Clinician", "Active", "OK"],
        "frank": ["frank", "Frank", "Front desk", "Active", "OK"],
        "owner": ["owner", "Olive Owner", "Owner", "Active", "OK"],
    }
    record = model.data(model.index(0, 0), UsersTableModel.RECORD_ROLE)
    assert isinstance(record, tuple)
    user, status = record
    assert user.username == "clara"
    assert not status.locked


def test_unlocking_a_locked_user(
    qtbot: QtBot, practice: Practice, add_user: Callable[..., None], shown_errors: list[str]
) -> None:
    add_user("frank", Role.FRONT_DESK)
    lock_out(practice, "frank")
    practice.sign_in("owner")
    dialog = make_dialog(qtbot, practice)
    dialog.show_tab("Users")
    panel = dialog.users_panel
    assert panel is not None
    model = panel.model
    row = row_of(model, "frank")
    assert cell(model, row, UsersTableModel.Column.SIGN_IN) == "Locked"
    assert not panel.unlock_button.isEnabled()

    panel.table.selectRow(row_of(model, "owner"))
    assert not panel.unlock_button.isEnabled()  # not locked: nothing to unlock
    panel.table.selectRow(row)
    assert panel.unlock_button.isEnabled()
    shot(dialog, "settings-users-locked")
    QTest.mouseClick(panel.unlock_button, Qt.MouseButton.LeftButton)

    assert shown_errors == []
    assert not practice.services.auth.throttle_status("frank").locked
    row = row_of(model, "frank")
    assert cell(model, row, UsersTableModel.Column.SIGN_IN) == "OK"
    assert panel.selected_user() is not None
    assert panel.selected_user().username == "frank"  # type: ignore[union-attr]
    assert not panel.unlock_button.isEnabled()
    assert panel.status_label.text() == "frank can sign in again."
    assert "user_unlocked" in [e.action for e in practice.services.audit.events()]

    practice.services.session.sign_out()
    assert practice.sign_in("frank").user.username == "frank"


def test_failed_tries_show_before_the_lock(
    qtbot: QtBot, practice: Practice, add_user: Callable[..., None]
) -> None:
    add_user("frank", Role.FRONT_DESK)
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            practice.services.auth.sign_in("frank", "wrong password here", "000000")
    practice.sign_in("owner")
    dialog = make_dialog(qtbot, practice)
    assert dialog.users_panel is not None
    model = dialog.users_panel.model
    assert cell(model, row_of(model, "frank"), UsersTableModel.Column.SIGN_IN) == "2 failed tries"


def test_adding_a_user_shows_their_second_factor_once(
    qtbot: QtBot, practice: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(users_panel, "show_error", lambda parent, error: shown.append(str(error)))
    practice.sign_in("owner")
    services = practice.services
    dialog = AddUserDialog(services, ClipboardGuard())
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.ok_button.isEnabled()
    dialog.username_edit.setText("dana")
    dialog.full_name_edit.setText("Dana Front")
    dialog.role_combo.setCurrentIndex(dialog.role_combo.findText("Front desk"))
    fill_password_field(dialog.password, "dana front 2024")  # her own name: refused
    qtbot.wait(300)  # the meter's verdict follows the typing
    assert not dialog.ok_button.isEnabled()
    fill_password_field(dialog.password, NEW_PASSWORD)
    qtbot.waitUntil(dialog.ok_button.isEnabled)
    shot(dialog, "add-user-details")
    QTest.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    assert shown == []
    assert dialog.isVisible()
    assert dialog.added_user is not None
    assert dialog.added_user.role is Role.FRONT_DESK
    assert dialog.enrolment_page.isVisible()
    assert not dialog.details_page.isVisible()
    assert not dialog.cancel_button.isVisible()
    secret = dialog.secret_panel.secret_label.text().replace(" ", "")
    codes = dialog.codes_panel.codes()
    assert len(codes) == 10
    assert dialog.secret_panel.qr.module_count() > 0
    shot(dialog, "add-user-enrolment")
    QTest.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert dialog.result() == 1
    assert dialog.codes_panel.codes() == ()
    assert dialog.secret_panel.secret_label.text() == ""

    services.session.sign_out()
    practice.clock.advance(30)
    signed_in = services.auth.sign_in(
        "dana", NEW_PASSWORD, totp.current_code(secret, practice.clock.now())
    )
    assert signed_in.password_change_required
    services.session.sign_out()
    assert services.auth.sign_in("dana", NEW_PASSWORD, codes[0]).used_recovery_code


def test_adding_a_user_with_a_taken_name_keeps_the_dialog_open(
    qtbot: QtBot, practice: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[BaseException] = []
    monkeypatch.setattr(users_panel, "show_error", lambda parent, error: shown.append(error))
    practice.sign_in("owner")
    dialog = AddUserDialog(practice.services, ClipboardGuard())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.username_edit.setText("owner")
    dialog.full_name_edit.setText("Somebody Else")
    fill_password_field(dialog.password, NEW_PASSWORD)
    qtbot.waitUntil(dialog.ok_button.isEnabled)
    dialog.ok_button.click()
    assert len(shown) == 1
    assert isinstance(shown[0], UserFacingError)
    assert shown[0].message == "That username is already taken."
    assert dialog.isVisible()
    assert dialog.added_user is None
    assert dialog.details_page.isVisible()
    assert not dialog.enrolment_page.isVisible()
