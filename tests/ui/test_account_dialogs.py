"""Changing one's own password and second factor, through the dialogs, over real
services."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from pytestqt.qtbot import QtBot

from ehrdesk.core.errors import AuthenticationFailed
from ehrdesk.core.models import Role
from ehrdesk.security import passwords, totp
from ehrdesk.ui import errors as ui_errors
from ehrdesk.ui.clipboard import ClipboardGuard
from ehrdesk.ui.dialogs import change_password, second_factor, settings_dialog
from ehrdesk.ui.dialogs.change_password import ChangePasswordDialog
from ehrdesk.ui.dialogs.second_factor import SecondFactorDialog, Step
from ehrdesk.ui.dialogs.settings_dialog import SettingsDialog
from tests.conftest import Practice

NEW_PASSWORD = "harbour kettle saffron 5521 wren"
WRONG_PASSWORD = "this is not my password at all"


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

    for module in (change_password, second_factor, settings_dialog):
        monkeypatch.setattr(module, "show_error", record)
    return shown


def password_dialog(
    qtbot: QtBot, practice: Practice, *, forced: bool = False
) -> ChangePasswordDialog:
    dialog = ChangePasswordDialog(practice.services, forced=forced)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def fill(dialog: ChangePasswordDialog, qtbot: QtBot, current: str, new: str) -> None:
    dialog.current_edit.setText(current)
    dialog.new_password.password_edit.setText(new)
    dialog.new_password.confirm_edit.setText(new)
    qtbot.waitUntil(dialog.ok_button.isEnabled)


def unlock_works(practice: Practice, password: str) -> bool:
    """Lock the session, try to unlock it with `password`."""
    session = practice.services.session
    session.lock()
    try:
        practice.services.auth.unlock(password)
    except AuthenticationFailed:
        return False
    return True


# Change password --------------------------------------------------------------------


def test_change_password_asks_for_a_password_the_policy_accepts(
    qtbot: QtBot, practice: Practice
) -> None:
    practice.sign_in("owner")
    dialog = password_dialog(qtbot, practice)
    assert dialog.windowTitle() == "Change password"
    assert not dialog.ok_button.isEnabled()
    dialog.current_edit.setText(practice.passwords["owner"])
    for refused in ("short", "Riverside Counselling 2026", "olive owner garden 42"):
        dialog.new_password.password_edit.setText(refused)
        dialog.new_password.confirm_edit.setText(refused)
        qtbot.wait(250)
        assert not dialog.ok_button.isEnabled(), refused
    assert dialog.new_password.reasons()
    shot(dialog, "change-password-refused")


def test_wrong_current_password_keeps_the_dialog_open(
    qtbot: QtBot, practice: Practice, shown_errors: list[str]
) -> None:
    practice.sign_in("owner")
    dialog = password_dialog(qtbot, practice)
    fill(dialog, qtbot, WRONG_PASSWORD, NEW_PASSWORD)
    QTest.keyClick(dialog.current_edit, Qt.Key.Key_Return)

    assert shown_errors == ["That password is not right."]
    assert dialog.isVisible()
    assert dialog.changed_user is None
    assert QApplication.focusWidget() is dialog.current_edit
    assert dialog.current_edit.selectedText() == WRONG_PASSWORD
    assert "password_changed" not in [e.action for e in practice.services.audit.events()]
    assert not unlock_works(practice, NEW_PASSWORD)
    assert unlock_works(practice, practice.passwords["owner"])


def test_right_current_password_changes_it(
    qtbot: QtBot, practice: Practice, shown_errors: list[str]
) -> None:
    practice.sign_in("owner")
    dialog = password_dialog(qtbot, practice)
    fill(dialog, qtbot, practice.passwords["owner"], NEW_PASSWORD)
    shot(dialog, "change-password-ready")
    QTest.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    assert shown_errors == []
    assert not dialog.isVisible()
    assert dialog.result() == QDialog.DialogCode.Accepted.value
    assert dialog.changed_user is not None
    assert dialog.current_edit.text() == ""
    assert dialog.new_password.password() == ""
    assert "password_changed" in [e.action for e in practice.services.audit.events()]
    assert not unlock_works(practice, practice.passwords["owner"])
    assert unlock_works(practice, NEW_PASSWORD)


def test_a_reused_password_is_refused_with_the_services_reason(
    qtbot: QtBot, practice: Practice, shown_errors: list[str]
) -> None:
    from ehrdesk.security.passwords import PasswordPolicy

    practice.sign_in("owner")
    practice.services.settings.set_password_policy(PasswordPolicy(history_count=3))
    dialog = password_dialog(qtbot, practice)
    fill(dialog, qtbot, practice.passwords["owner"], practice.passwords["owner"])
    dialog.ok_button.click()
    assert shown_errors == [passwords.REASON_REUSED]
    assert dialog.isVisible()


def test_forced_change_says_why(
    qtbot: QtBot, practice: Practice, add_user: Callable[..., None]
) -> None:
    add_user("frank", Role.FRONT_DESK)
    signed_in = practice.sign_in("frank")
    assert signed_in.password_change_required
    dialog = password_dialog(qtbot, practice, forced=True)
    assert dialog.windowTitle() == "Choose a new password"
    assert dialog.intro.text() == "Please choose a new password before you continue."
    shot(dialog, "change-password-forced")
    fill(dialog, qtbot, practice.passwords["frank"], NEW_PASSWORD)
    dialog.ok_button.click()
    assert dialog.changed_user is not None
    assert not dialog.changed_user.must_change_password


def test_change_password_keyboard_path(qtbot: QtBot, practice: Practice) -> None:
    practice.sign_in("owner")
    dialog = password_dialog(qtbot, practice)
    chain: list[QWidget] = [dialog.current_edit]
    widget = dialog.current_edit.nextInFocusChain()
    while widget is not None and widget is not dialog.current_edit and len(chain) < 50:
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.isVisible():
            chain.append(widget)
        widget = widget.nextInFocusChain()
    names = [w.accessibleName() for w in chain]
    assert names[:4] == ["Current password", "Password", "Confirm password", "Show password"]
    assert "Change password" in names
    assert all(names), names
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_the_account_tab_opens_the_change_password_dialog(
    qtbot: QtBot, practice: Practice, shown_errors: list[str]
) -> None:
    practice.sign_in("owner")
    settings = SettingsDialog(practice.services, ClipboardGuard())
    qtbot.addWidget(settings)
    settings.show()
    seen: list[str] = []

    def drive() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, ChangePasswordDialog)
        seen.append(dialog.windowTitle())
        dialog.current_edit.setText(practice.passwords["owner"])
        dialog.new_password.password_edit.setText(NEW_PASSWORD)
        dialog.new_password.confirm_edit.setText(NEW_PASSWORD)
        dialog.accept()

    QTimer.singleShot(0, drive)
    settings.account_tab.change_password_button.click()
    assert seen == ["Change password"]
    assert shown_errors == []
    assert settings.account_tab.status_label.text() == "Your password was changed."
    assert unlock_works(practice, NEW_PASSWORD)


# Second factor ----------------------------------------------------------------------


def factor_dialog(
    qtbot: QtBot, practice: Practice, clipboard: ClipboardGuard
) -> SecondFactorDialog:
    dialog = SecondFactorDialog(practice.services, clipboard)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def enter_password(dialog: SecondFactorDialog, qtbot: QtBot, password: str) -> None:
    assert dialog.step is Step.PASSWORD
    assert not dialog.next_button.isEnabled()
    QTest.keyClicks(dialog.password_edit, password)
    QTest.keyClick(dialog.password_edit, Qt.Key.Key_Return)


def shown_secret(dialog: SecondFactorDialog) -> str:
    return dialog.secret_panel.secret_label.text().replace(" ", "")


def test_second_factor_full_flow(qtbot: QtBot, practice: Practice, shown_errors: list[str]) -> None:
    practice.sign_in("owner")
    services, clock = practice.services, practice.clock
    clipboard = ClipboardGuard()
    dialog = factor_dialog(qtbot, practice, clipboard)
    assert dialog.next_button.text() == "&Continue"
    shot(dialog, "second-factor-1-password")
    enter_password(dialog, qtbot, practice.passwords["owner"])

    assert shown_errors == []
    assert dialog.step is Step.CONFIRM_CODE
    assert dialog.password_edit.text() == ""
    secret = shown_secret(dialog)
    assert len(secret) == 32
    assert secret != practice.secrets["owner"]
    assert dialog.secret_panel.qr.module_count() > 0
    shot(dialog, "second-factor-2-code")

    clock.advance(30)
    QTest.keyClicks(dialog.code_edit, totp.current_code(secret, clock.now()))
    QTest.keyClick(dialog.code_edit, Qt.Key.Key_Return)

    assert shown_errors == []
    assert dialog.step is Step.RECOVERY_CODES  # type: ignore[comparison-overlap]
    assert dialog.finished_enrolment
    assert not dialog.cancel_button.isVisible()
    assert dialog.secret_panel.secret_label.text() == ""
    codes = dialog.codes_panel.codes()
    assert len(codes) == 10
    assert all(code in dialog.codes_panel.codes_view.toPlainText() for code in codes)
    shot(dialog, "second-factor-3-codes")
    dialog.codes_panel.copy_button.click()
    assert QGuiApplication.clipboard().text() == "\n".join(codes)
    assert clipboard.clear_if_ours()
    QTest.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert dialog.result() == QDialog.DialogCode.Accepted.value
    assert dialog.codes_panel.codes() == ()
    assert "second_factor_enrolled" in [e.action for e in services.audit.events()]

    # The new secret signs in; the old one no longer does; the new codes work.
    services.session.sign_out()
    old_secret = practice.secrets["owner"]
    clock.advance(30)
    with pytest.raises(AuthenticationFailed):
        services.auth.sign_in(
            "owner", practice.passwords["owner"], totp.current_code(old_secret, clock.now())
        )
    practice.secrets["owner"] = secret
    assert practice.sign_in("owner").user.username == "owner"
    services.session.sign_out()
    assert services.auth.sign_in("owner", practice.passwords["owner"], codes[3]).used_recovery_code


def test_second_factor_wrong_password_stays_on_step_one(
    qtbot: QtBot, practice: Practice, shown_errors: list[str]
) -> None:
    practice.sign_in("owner")
    dialog = factor_dialog(qtbot, practice, ClipboardGuard())
    enter_password(dialog, qtbot, WRONG_PASSWORD)
    assert shown_errors == ["That password is not right."]
    assert dialog.isVisible()
    assert dialog.step is Step.PASSWORD
    assert dialog.password_edit.selectedText() == WRONG_PASSWORD


def test_second_factor_wrong_code_stays_and_nothing_changes(
    qtbot: QtBot, practice: Practice, shown_errors: list[str]
) -> None:
    practice.sign_in("owner")
    dialog = factor_dialog(qtbot, practice, ClipboardGuard())
    enter_password(dialog, qtbot, practice.passwords["owner"])
    secret = shown_secret(dialog)
    good = totp.current_code(secret, practice.clock.now())
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    QTest.keyClicks(dialog.code_edit, wrong)
    QTest.keyClick(dialog.code_edit, Qt.Key.Key_Return)
    assert shown_errors == ["That code does not match; check the authenticator app's clock."]
    assert dialog.step is Step.CONFIRM_CODE
    assert dialog.isVisible()

    # Cancelling now leaves the old second factor in place.
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert dialog.result() == QDialog.DialogCode.Rejected.value
    assert not dialog.finished_enrolment
    practice.services.session.sign_out()
    assert practice.sign_in("owner").user.username == "owner"


def test_the_code_field_takes_only_digits(qtbot: QtBot, practice: Practice) -> None:
    practice.sign_in("owner")
    dialog = factor_dialog(qtbot, practice, ClipboardGuard())
    enter_password(dialog, qtbot, practice.passwords["owner"])
    QTest.keyClicks(dialog.code_edit, "12ab3 45")
    assert dialog.code_edit.text() == "123 45"
    assert not dialog.next_button.isEnabled()
    QTest.keyClicks(dialog.code_edit, "6")
    assert dialog.next_button.isEnabled()


def test_second_factor_dialog_closes_on_lock_and_forgets_the_secret(
    qtbot: QtBot, practice: Practice
) -> None:
    practice.sign_in("owner")
    dialog = factor_dialog(qtbot, practice, ClipboardGuard())
    enter_password(dialog, qtbot, practice.passwords["owner"])
    assert shown_secret(dialog)
    practice.services.session.lock()
    assert not dialog.isVisible()
    assert shown_secret(dialog) == ""
    assert dialog.secret_panel.qr.module_count() == 0


def test_a_deleted_dialog_never_breaks_locking(qtbot: QtBot, practice: Practice) -> None:
    practice.sign_in("owner")
    gone = ChangePasswordDialog(practice.services)
    shiboken6.delete(gone)  # the Qt side is gone, the Python wrapper is still held
    still_here = factor_dialog(qtbot, practice, ClipboardGuard())
    practice.services.session.lock()
    assert practice.services.session.state == "locked"
    assert not still_here.isVisible()
