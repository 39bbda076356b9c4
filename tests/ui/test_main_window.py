"""The main window over real services: sign-in, throttling, idle lock, clearing on
lock, switch user, and what each role sees."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from ehrdesk.core.errors import AuthenticationFailed
from ehrdesk.core.models import Role
from ehrdesk.services.registry import Services
from ehrdesk.services.session import SessionState
from ehrdesk.ui.main_window import MainWindow
from ehrdesk.ui.views.start_page import StartPage, VaultProblemPage
from tests.conftest import Practice


@pytest.fixture
def window(practice: Practice, qtbot: QtBot) -> MainWindow:
    win = MainWindow(practice.services)
    qtbot.addWidget(win)
    win.show()
    return win


def sign_in(win: MainWindow, practice: Practice, qtbot: QtBot, username: str = "owner") -> None:
    view = win.sign_in
    view.username.setText(username)
    view.password.setText(practice.passwords[username])
    qtbot.mouseClick(view.next, Qt.MouseButton.LeftButton)
    view.code.setText(practice.code(username))
    qtbot.keyClick(view.code, Qt.Key.Key_Return)


def test_empty_folder_shows_the_start_page(tmp_path: Path, keyring, clock, qtbot: QtBot) -> None:  # type: ignore[no-untyped-def]
    services = Services.build(tmp_path / "new", keyring=keyring, clock=clock)
    win = MainWindow(services)
    qtbot.addWidget(win)
    assert isinstance(win.stack.currentWidget(), StartPage)
    assert not (tmp_path / "new").exists()  # looking writes nothing


def test_a_damaged_vault_is_explained_not_overwritten(practice: Practice, qtbot: QtBot) -> None:
    vault_json = practice.services.vaults.store.vault_path
    vault_json.write_text("{ not json")
    before = vault_json.read_bytes()
    win = MainWindow(practice.services)
    qtbot.addWidget(win)
    page = win.stack.currentWidget()
    assert isinstance(page, VaultProblemPage)
    texts = " ".join(label.text() for label in page.findChildren(QLabel))
    assert "damaged" in texts and "never overwrite" in texts
    assert vault_json.read_bytes() == before


def test_sign_in_shows_the_workspace_with_user_and_role(
    window: MainWindow, practice: Practice, qtbot: QtBot
) -> None:
    assert window.stack.currentWidget() is window.sign_in
    sign_in(window, practice, qtbot)
    assert window.stack.currentWidget() is window.workspace
    assert "Olive Owner · Owner" in window.user_label.text()
    assert window.toolbar.isVisible()
    assert "Riverside Counselling" in window.windowTitle()
    assert "audit" in window.workspace.visible_places()


def test_wrong_details_give_one_calm_message(
    window: MainWindow, practice: Practice, qtbot: QtBot
) -> None:
    view = window.sign_in
    view.username.setText("owner")
    view.password.setText("not my password at all")
    qtbot.keyClick(view.password, Qt.Key.Key_Return)
    assert view.code.hasFocus() or view._steps.currentIndex() == 1
    view.code.setText("123456")
    qtbot.keyClick(view.code, Qt.Key.Key_Return)
    assert view.message.text() == "The username, password or code is not right. Please try again."
    assert view.password.text() == "" and view.code.text() == ""
    assert window.services.session.state is SessionState.SIGNED_OUT


def test_after_three_failures_a_countdown_holds_the_button(
    window: MainWindow, practice: Practice, qtbot: QtBot
) -> None:
    view = window.sign_in
    for _ in range(3):
        view.username.setText("owner")
        view.password.setText("not my password at all")
        qtbot.keyClick(view.password, Qt.Key.Key_Return)
        view.code.setText("123456")
        qtbot.keyClick(view.code, Qt.Key.Key_Return)
    assert not view.next.isEnabled()
    assert "try again in 5 seconds" in view.message.text()
    practice.clock.advance(3)
    view._tick()
    assert "try again in 2 seconds" in view.message.text()
    practice.clock.advance(3)
    view._tick()
    assert view.next.isEnabled()


def test_a_locked_account_says_who_can_unlock_it(
    window: MainWindow, practice: Practice, qtbot: QtBot
) -> None:
    auth = practice.services.auth
    for _ in range(10):
        practice.clock.advance(auth.throttle_status("owner").retry_after)
        with pytest.raises(AuthenticationFailed):
            auth.sign_in("owner", "wrong wrong wrong", "000000")
    view = window.sign_in
    view.username.setText("owner")
    view.password.setText(practice.passwords["owner"])
    qtbot.keyClick(view.password, Qt.Key.Key_Return)
    view.code.setText(practice.code("owner"))
    qtbot.keyClick(view.code, Qt.Key.Key_Return)
    assert "Ask the practice owner" in view.message.text()
    assert "Emergency Kit" in view.message.text()


def test_idle_lock_clears_views_and_our_clipboard(
    window: MainWindow, practice: Practice, qtbot: QtBot
) -> None:
    sign_in(window, practice, qtbot)
    window.workspace.nav.setCurrentRow(window.workspace.visible_places().index("audit"))
    assert window.workspace.audit.model.rowCount() > 0
    window.clipboard.copy("text ehrdesk copied")
    practice.clock.advance(window.services.session.idle_seconds + 1)
    window.idle.tick()
    assert window.services.session.state is SessionState.LOCKED
    assert window.stack.currentWidget() is window.lock_screen
    assert window.workspace.audit.model.rowCount() == 0
    assert window.workspace.today.greeting.text() == ""
    assert QGuiApplication.clipboard().text() == ""
    assert "Olive Owner" in window.lock_screen.who.text()
    assert "Riverside Counselling" in window.lock_screen.practice.text()


def test_clipboard_text_from_elsewhere_survives_a_lock(
    window: MainWindow, practice: Practice, qtbot: QtBot
) -> None:
    sign_in(window, practice, qtbot)
    window.clipboard.copy("ours")
    QGuiApplication.clipboard().setText("the person's own text")
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.services.session.state is SessionState.LOCKED
    assert QGuiApplication.clipboard().text() == "the person's own text"


def test_activity_keeps_the_session_open(
    window: MainWindow, practice: Practice, qtbot: QtBot
) -> None:
    sign_in(window, practice, qtbot)
    for _ in range(3):
        practice.clock.advance(window.services.session.idle_seconds - 5)
        qtbot.keyClick(window.workspace.nav, Qt.Key.Key_Down)
        window.idle.tick()
    assert window.services.session.state is SessionState.SIGNED_IN


def test_unlock_with_the_password(window: MainWindow, practice: Practice, qtbot: QtBot) -> None:
    sign_in(window, practice, qtbot)
    window.lock()
    screen = window.lock_screen
    screen.password.setText("wrong password entirely")
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    assert screen.message.text() == "That password is not right."
    screen.password.setText(practice.passwords["owner"])
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.workspace
    assert window.workspace.today.greeting.text() != ""


def test_switch_user_to_the_front_desk(
    window: MainWindow, practice: Practice, qtbot: QtBot, add_user: Callable[..., None]
) -> None:
    add_user("desk", Role.FRONT_DESK)
    # An owner-set password must be changed at first sign-in; do that here so the
    # forced-change dialog does not interrupt the switch (it has tests of its own).
    practice.sign_in("desk")
    practice.services.account.change_password(practice.passwords["desk"], "granite willow ferry 88")
    practice.services.session.sign_out()
    practice.passwords["desk"] = "granite willow ferry 88"
    sign_in(window, practice, qtbot)
    window.lock()
    qtbot.mouseClick(window.lock_screen.switch, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.sign_in
    assert window.sign_in.back.isVisible()
    sign_in(window, practice, qtbot, "desk")
    assert window.services.session.current_user().username == "desk"
    places = window.workspace.visible_places()
    assert "audit" not in places and "backups" not in places
    assert {"today", "schedule", "clients", "settings"} <= set(places)


def test_switch_user_can_go_back_to_the_lock_screen(
    window: MainWindow, practice: Practice, qtbot: QtBot
) -> None:
    sign_in(window, practice, qtbot)
    window.lock()
    qtbot.mouseClick(window.lock_screen.switch, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.sign_in.back, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.lock_screen
    assert window.services.session.state is SessionState.LOCKED


def test_the_twelve_hour_limit_returns_to_sign_in(
    window: MainWindow, practice: Practice, qtbot: QtBot
) -> None:
    sign_in(window, practice, qtbot)
    for _ in range(12 * 12):
        practice.clock.advance(300)
        window.services.session.touch()
        window.idle.tick()
    assert window.services.session.state is SessionState.SIGNED_OUT
    assert window.stack.currentWidget() is window.sign_in
    assert window.workspace.today.greeting.text() == ""


def test_audit_view_verifies_the_chain(
    window: MainWindow, practice: Practice, qtbot: QtBot
) -> None:
    sign_in(window, practice, qtbot)
    window.workspace.nav.setCurrentRow(window.workspace.visible_places().index("audit"))
    window.workspace.audit.verify_chain()  # off the GUI thread, on its own connection
    qtbot.waitUntil(lambda: "intact" in window.workspace.audit.result.text(), timeout=10_000)


def test_closing_the_window_signs_out(window: MainWindow, practice: Practice, qtbot: QtBot) -> None:
    sign_in(window, practice, qtbot)
    window.close()
    assert window.services.session.state is SessionState.SIGNED_OUT


def test_the_desktop_screen_lock_locks_ehrdesk(
    window: MainWindow, practice: Practice, qtbot: QtBot
) -> None:
    sign_in(window, practice, qtbot)
    window.idle.os_locked(False)
    assert window.services.session.state is SessionState.SIGNED_IN
    window.idle.os_locked(True)
    assert window.services.session.state is SessionState.LOCKED
    assert window.stack.currentWidget() is window.lock_screen
    assert "Locked" in window.windowTitle()


def test_arrowing_through_navigation_never_opens_settings(
    window: MainWindow, practice: Practice, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[bool] = []
    monkeypatch.setattr(window.workspace, "settings_requested", _Recorder(opened))
    sign_in(window, practice, qtbot)
    nav = window.workspace.nav
    for _ in range(nav.count()):
        qtbot.keyClick(nav, Qt.Key.Key_Down)
    assert nav.currentItem().text() == "Settings"
    assert opened == []
    nav.itemActivated.emit(nav.currentItem())
    assert opened == [True]


def test_locking_from_any_place_shows_the_lock_screen_at_once(
    window: MainWindow, practice: Practice, qtbot: QtBot
) -> None:
    sign_in(window, practice, qtbot)
    nav = window.workspace.nav
    nav.setCurrentRow(window.workspace.visible_places().index("audit"))
    nav.setCurrentRow(nav.count() - 1)  # Settings highlighted, nothing opened
    window.lock()
    assert window.stack.currentWidget() is window.lock_screen
    assert window.workspace.audit.model.rowCount() == 0


class _Recorder:
    def __init__(self, seen: list[bool]) -> None:
        self._seen = seen

    def emit(self) -> None:
        self._seen.append(True)


def test_f1_opens_about_on_the_sign_in_page_before_anyone_signs_in(
    window: MainWindow, practice: Practice, qtbot: QtBot
) -> None:
    from PySide6.QtWidgets import QApplication

    from ehrdesk import __version__
    from ehrdesk.ui.dialogs.about import AboutDialog

    seen: list[str] = []

    def read_and_close() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, AboutDialog)
        seen.append(dialog.text())
        dialog.reject()

    QTimer.singleShot(0, read_and_close)
    qtbot.keyClick(window.sign_in.username, Qt.Key.Key_F1)

    assert seen, "F1 opened no About dialog"
    assert f"Version {__version__}" in seen[0]
    assert f"Practice folder: {practice.services.data_dir}" in seen[0]
    assert window.stack.currentWidget() is window.sign_in  # nothing else changed


def test_the_application_carries_its_identity_and_icon(qapp, qtbot: QtBot) -> None:  # type: ignore[no-untyped-def]
    from ehrdesk import APP_ID
    from ehrdesk.ui.application import give_identity

    style_before = qapp.styleSheet()
    give_identity(qapp)
    qapp.setStyleSheet(style_before)  # the other tests' widgets keep their look

    assert qapp.desktopFileName() == APP_ID
    assert not qapp.windowIcon().isNull()
    assert 48 in {s.width() for s in qapp.windowIcon().availableSizes()}
