"""The first-run setup wizard, driven as a person would, offscreen.

Screenshots of every page go to tmp_path, or to $EHRDESK_SCREENSHOTS when it is set
(`EHRDESK_SCREENSHOTS=/tmp/wizard-pages pytest tests/ui/test_setup_wizard.py`), so
that a person can look at them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
    QWizard,
)

from ehrdesk.core.clock import FrozenClock
from ehrdesk.core.errors import KeyringUnavailable, VaultExists
from ehrdesk.security import totp
from ehrdesk.security.workstation import MemoryKeyring
from ehrdesk.services.registry import Services
from ehrdesk.ui import setup_wizard
from ehrdesk.ui.clipboard import ClipboardGuard
from ehrdesk.ui.setup_pages import CODE_MISMATCH, KEYRING_UNAVAILABLE
from ehrdesk.ui.setup_wizard import KIT_NOT_OVERWRITTEN, SetupPageId, SetupWizard

PASSWORD = "lantern orchard quietly 1987 tides"
USERNAME = "jmorgan"
FULL_NAME = "Jamie Morgan"
PRACTICE = "Riverside Counselling"

Next = QWizard.WizardButton.NextButton
Finish = QWizard.WizardButton.FinishButton


@pytest.fixture
def errors(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    """What would have been shown through show_error (a modal box would block)."""
    shown: list[BaseException] = []
    monkeypatch.setattr(setup_wizard, "show_error", lambda parent, error: shown.append(error))
    return shown


@pytest.fixture
def clipboard() -> ClipboardGuard:
    return ClipboardGuard()


@pytest.fixture
def wizard(qtbot, services: Services, clipboard: ClipboardGuard, errors) -> SetupWizard:
    wizard = SetupWizard(services, clipboard)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    return wizard


def next_enabled(wizard: SetupWizard) -> bool:
    return wizard.button(Next).isEnabled()


def fill_practice(wizard: SetupWizard) -> None:
    wizard.practice_page.name_edit.setText(PRACTICE)
    wizard.next()
    assert wizard.currentId() == SetupPageId.OWNER


def fill_owner(wizard: SetupWizard, password: str = PASSWORD) -> None:
    page = wizard.owner_page
    page.username_edit.setText(USERNAME)
    page.full_name_edit.setText(FULL_NAME)
    page.password_field.password_edit.setText(password)
    page.password_field.confirm_edit.setText(password)
    wizard.next()


def enter_code(wizard: SetupWizard, clock: FrozenClock) -> None:
    code = totp.current_code(wizard.plan.totp_secret, clock.now())
    wizard.second_factor_page.code_edit.setText(code)


def go_to_kit(wizard: SetupWizard, clock: FrozenClock) -> None:
    fill_practice(wizard)
    fill_owner(wizard)
    assert wizard.currentId() == SetupPageId.WORKSTATION
    wizard.next()
    assert wizard.currentId() == SetupPageId.SECOND_FACTOR
    enter_code(wizard, clock)
    wizard.next()
    assert wizard.currentId() == SetupPageId.RECOVERY_CODES
    wizard.next()
    assert wizard.currentId() == SetupPageId.EMERGENCY_KIT


def save_kit(wizard: SetupWizard, path: Path) -> None:
    wizard.kit_page.path_edit.setText(str(path))
    wizard.kit_page.save_button.click()


def finish(qtbot, wizard: SetupWizard) -> None:
    assert wizard.button(Finish).isEnabled()
    with qtbot.waitSignal(wizard.practice_created, timeout=20_000) as created:
        wizard.button(Finish).click()
    assert created.args == [USERNAME]
    qtbot.waitUntil(lambda: wizard.result() == QWizard.DialogCode.Accepted, timeout=5000)


def wrong_code(secret: str, clock: FrozenClock) -> str:
    """Six digits that no step within the allowed skew produces."""
    candidate = 0
    while totp.verify_code(secret, f"{candidate:06d}", clock.now(), None) is not None:
        candidate += 1
    return f"{candidate:06d}"


# The whole way through -----------------------------------------------------------------


def test_completing_the_wizard_creates_a_practice_one_can_sign_in_to(
    qtbot, wizard: SetupWizard, services: Services, clock: FrozenClock, keyring, tmp_path: Path
) -> None:
    go_to_kit(wizard, clock)
    kit = tmp_path / "kit.pdf"
    save_kit(wizard, kit)
    assert kit.read_bytes().startswith(b"%PDF")
    wizard.kit_page.stored_box.setChecked(True)
    assert not services.vaults.exists()

    finish(qtbot, wizard)

    assert services.vaults.exists()
    assert services.vaults.load().workstation_binding
    assert keyring.entries  # the workstation secret went to the keyring
    assert services.vaults.load().vault_id == wizard.plan.vault_id
    clock.advance(30)
    code = totp.current_code(wizard.plan.totp_secret, clock.now())
    signed_in = services.auth.sign_in(USERNAME, PASSWORD, code)
    assert signed_in.user.username == USERNAME
    assert signed_in.user.full_name == FULL_NAME
    services.session.sign_out()
    clock.advance(30)
    # The recovery codes shown on page 5 are the practice's.
    recovered = services.auth.sign_in(USERNAME, PASSWORD, wizard.plan.recovery_codes[0])
    assert recovered.used_recovery_code


def test_nothing_is_written_before_finish_except_the_kit(
    wizard: SetupWizard, services: Services, clock: FrozenClock, tmp_path: Path
) -> None:
    kit_folder = tmp_path / "kit-folder"
    kit_folder.mkdir()
    go_to_kit(wizard, clock)
    save_kit(wizard, kit_folder / "kit.pdf")
    wizard.kit_page.stored_box.setChecked(True)
    assert not services.data_dir.exists() or list(services.data_dir.iterdir()) == []
    assert [p.name for p in kit_folder.iterdir()] == ["kit.pdf"]


def test_wizard_is_disabled_while_the_vault_is_created(
    qtbot, wizard: SetupWizard, services: Services, clock: FrozenClock, tmp_path: Path
) -> None:
    go_to_kit(wizard, clock)
    save_kit(wizard, tmp_path / "kit.pdf")
    wizard.kit_page.stored_box.setChecked(True)
    wizard.button(Finish).click()
    assert not wizard.isEnabled()
    assert wizard.busy
    wizard.reject()  # cancelling while the vault is being made does nothing
    assert wizard.isVisible()
    qtbot.waitUntil(lambda: wizard.result() == QWizard.DialogCode.Accepted, timeout=20_000)
    assert wizard.isEnabled()
    assert services.vaults.exists()


def test_works_embedded_in_a_window(
    qtbot, services: Services, clipboard: ClipboardGuard, clock: FrozenClock, tmp_path: Path, errors
) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    wizard = SetupWizard(services, clipboard, window)
    wizard.setWindowFlags(Qt.WindowType.Widget)
    QVBoxLayout(window).addWidget(wizard)
    window.show()
    qtbot.waitExposed(window)
    assert not wizard.isWindow()
    go_to_kit(wizard, clock)
    save_kit(wizard, tmp_path / "kit.pdf")
    wizard.kit_page.stored_box.setChecked(True)
    finish(qtbot, wizard)
    assert services.vaults.exists()
    assert errors == []


# Finish ----------------------------------------------------------------------------------


def test_finish_needs_the_saved_kit_and_the_tick(
    wizard: SetupWizard, services: Services, clock: FrozenClock, tmp_path: Path
) -> None:
    go_to_kit(wizard, clock)
    finish_button = wizard.button(Finish)
    assert not finish_button.isEnabled()
    wizard.kit_page.stored_box.setChecked(True)
    assert not finish_button.isEnabled()  # ticked, but nothing saved
    wizard.accept()  # even asked directly, nothing happens
    assert not wizard.busy
    assert not services.vaults.exists()
    wizard.kit_page.stored_box.setChecked(False)
    save_kit(wizard, tmp_path / "kit.pdf")
    assert "Saved to" in wizard.kit_page.status_label.text()
    assert not finish_button.isEnabled()  # saved, but not ticked
    wizard.kit_page.stored_box.setChecked(True)
    assert finish_button.isEnabled()


def test_an_existing_kit_file_is_replaced_only_when_confirmed(
    wizard: SetupWizard, clock: FrozenClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    go_to_kit(wizard, clock)
    existing = tmp_path / "kit.pdf"
    existing.write_bytes(b"someone's file")
    monkeypatch.setattr(wizard.kit_page, "confirm_overwrite", lambda path: False)
    save_kit(wizard, existing)
    assert existing.read_bytes() == b"someone's file"
    assert wizard.kit_page.status_label.text() == KIT_NOT_OVERWRITTEN
    assert not wizard.kit_page.kit_saved()

    monkeypatch.setattr(wizard.kit_page, "confirm_overwrite", lambda path: True)
    save_kit(wizard, existing)
    assert existing.read_bytes().startswith(b"%PDF")
    assert wizard.kit_page.kit_saved()


def test_a_kit_that_cannot_be_saved_says_so(
    wizard: SetupWizard, clock: FrozenClock, tmp_path: Path
) -> None:
    go_to_kit(wizard, clock)
    save_kit(wizard, tmp_path / "no such folder" / "kit.pdf")
    assert not wizard.kit_page.kit_saved()
    assert "cannot be saved there" in wizard.kit_page.status_label.text()


def test_kit_path_defaults_to_a_free_name_and_gets_a_pdf_suffix(
    wizard: SetupWizard, clock: FrozenClock, tmp_path: Path
) -> None:
    default = Path(wizard.kit_page.path_edit.text())
    assert default.suffix == ".pdf"
    assert default.name.startswith("ehrdesk-emergency-kit")
    assert not default.exists()
    go_to_kit(wizard, clock)
    wizard.kit_page.path_edit.setText(str(tmp_path / "kit"))
    wizard.kit_page.save_button.click()
    assert (tmp_path / "kit.pdf").exists()


def test_renaming_the_practice_after_saving_asks_for_the_kit_again(
    wizard: SetupWizard, clock: FrozenClock, tmp_path: Path
) -> None:
    go_to_kit(wizard, clock)
    save_kit(wizard, tmp_path / "kit.pdf")
    wizard.kit_page.stored_box.setChecked(True)
    assert wizard.button(Finish).isEnabled()
    while wizard.currentId() != SetupPageId.PRACTICE:
        wizard.back()
    wizard.practice_page.name_edit.setText("Hillside Therapy")
    while wizard.currentId() != SetupPageId.EMERGENCY_KIT:
        wizard.next()
    assert not wizard.kit_page.kit_saved()
    assert not wizard.button(Finish).isEnabled()


# Refusals ----------------------------------------------------------------------------------


def test_wrong_totp_code_keeps_the_person_on_the_page(
    wizard: SetupWizard, clock: FrozenClock
) -> None:
    fill_practice(wizard)
    fill_owner(wizard)
    wizard.next()
    page = wizard.second_factor_page
    page.code_edit.setText(wrong_code(wizard.plan.totp_secret, clock))
    assert not next_enabled(wizard)
    assert page.code_message.text() == CODE_MISMATCH
    wizard.next()
    assert wizard.currentId() == SetupPageId.SECOND_FACTOR
    enter_code(wizard, clock)
    assert next_enabled(wizard)
    assert page.code_message.text() != CODE_MISMATCH


def test_weak_password_keeps_next_disabled_and_says_why(wizard: SetupWizard) -> None:
    fill_practice(wizard)
    page = wizard.owner_page
    page.username_edit.setText(USERNAME)
    page.full_name_edit.setText(FULL_NAME)
    for weak in ("password123", "Riverside Counselling 2026!"):
        page.password_field.password_edit.setText(weak)
        page.password_field.confirm_edit.setText(weak)
        assert not page.isComplete()
        assert not next_enabled(wizard)
        assert page.password_field.reasons()
        assert page.password_field.reasons()[0] in page.password_field.reasons_label.text()
        wizard.next()
        assert wizard.currentId() == SetupPageId.OWNER
    page.password_field.password_edit.setText(PASSWORD)
    page.password_field.confirm_edit.setText(PASSWORD)
    assert page.isComplete()
    assert next_enabled(wizard)


def test_bad_username_is_explained(wizard: SetupWizard) -> None:
    fill_practice(wizard)
    page = wizard.owner_page
    page.username_edit.setText("j")
    page.full_name_edit.setText(FULL_NAME)
    page.password_field.password_edit.setText(PASSWORD)
    page.password_field.confirm_edit.setText(PASSWORD)
    assert not next_enabled(wizard)
    assert "2 to 64" in page.username_hint.text()


def test_cancelling_before_finish_leaves_no_vault(
    wizard: SetupWizard, services: Services, clock: FrozenClock, tmp_path: Path
) -> None:
    go_to_kit(wizard, clock)
    save_kit(wizard, tmp_path / "kit.pdf")
    wizard.kit_page.stored_box.setChecked(True)
    wizard.button(QWizard.WizardButton.CancelButton).click()
    assert wizard.result() == QWizard.DialogCode.Rejected
    assert not (services.data_dir / "vault.json").exists()
    assert not services.vaults.exists()


def test_a_folder_holding_a_vault_blocks_setup_from_the_start(
    qtbot, services: Services, clipboard: ClipboardGuard, practice, errors
) -> None:
    before = (services.data_dir / "vault.json").read_bytes()
    wizard = SetupWizard(services, clipboard)
    qtbot.addWidget(wizard)
    wizard.show()
    page = wizard.practice_page
    assert page.blocked_label.isVisible()
    assert page.blocked_label.text() == VaultExists.default_message
    page.name_edit.setText(PRACTICE)
    assert not next_enabled(wizard)
    wizard.next()
    assert wizard.currentId() == SetupPageId.PRACTICE
    assert (services.data_dir / "vault.json").read_bytes() == before


def test_a_vault_that_appears_before_finish_is_never_overwritten(
    wizard: SetupWizard,
    services: Services,
    clock: FrozenClock,
    tmp_path: Path,
    errors: list[BaseException],
) -> None:
    go_to_kit(wizard, clock)
    save_kit(wizard, tmp_path / "kit.pdf")
    wizard.kit_page.stored_box.setChecked(True)
    services.vaults.create(
        practice_name="Somebody Else",
        owner_username="other",
        owner_full_name="Other Person",
        owner_password="meadow copper violin 2024 rain",
    )
    vault_before = (services.data_dir / "vault.json").read_bytes()
    database_before = (services.data_dir / "practice.ehrdb").read_bytes()
    wizard.button(Finish).click()
    assert len(errors) == 1
    assert isinstance(errors[0], VaultExists)
    assert not wizard.busy
    assert wizard.isVisible()
    assert wizard.currentId() == SetupPageId.EMERGENCY_KIT
    assert (services.data_dir / "vault.json").read_bytes() == vault_before
    assert (services.data_dir / "practice.ehrdb").read_bytes() == database_before


def test_a_failed_finish_keeps_everything_typed(
    qtbot, tmp_path: Path, clock: FrozenClock, clipboard: ClipboardGuard, errors
) -> None:
    keyring = MemoryKeyring(locked=True)  # looks usable, refuses at the last moment
    services = Services.build(tmp_path / "practice", keyring=keyring, clock=clock)
    wizard = SetupWizard(services, clipboard)
    qtbot.addWidget(wizard)
    wizard.show()
    go_to_kit(wizard, clock)
    save_kit(wizard, tmp_path / "kit.pdf")
    wizard.kit_page.stored_box.setChecked(True)
    wizard.button(Finish).click()
    qtbot.waitUntil(lambda: bool(errors), timeout=20_000)
    assert isinstance(errors[0], KeyringUnavailable)
    assert wizard.isEnabled()
    assert wizard.isVisible()
    assert wizard.result() != QWizard.DialogCode.Accepted
    assert not services.vaults.exists()
    assert list(services.data_dir.iterdir()) == []  # no half-made database left
    assert wizard.practice_page.name_edit.text() == PRACTICE
    assert wizard.owner_page.username_edit.text() == USERNAME
    assert wizard.owner_page.password_field.password() == PASSWORD
    assert wizard.kit_page.stored_box.isChecked()
    assert wizard.button(Finish).isEnabled()


def test_without_a_keyring_binding_is_off_and_explained(
    qtbot, tmp_path: Path, clock: FrozenClock, clipboard: ClipboardGuard, errors
) -> None:
    services = Services.build(
        tmp_path / "practice", keyring=MemoryKeyring(usable=False), clock=clock
    )
    wizard = SetupWizard(services, clipboard)
    qtbot.addWidget(wizard)
    wizard.show()
    fill_practice(wizard)
    fill_owner(wizard)
    page = wizard.workstation_page
    assert not page.bind_box.isChecked()
    assert not page.bind_box.isEnabled()
    assert page.unavailable_label.isVisible()
    assert page.unavailable_label.text() == KEYRING_UNAVAILABLE
    wizard.next()
    enter_code(wizard, clock)
    wizard.next()
    wizard.next()
    save_kit(wizard, tmp_path / "kit.pdf")
    wizard.kit_page.stored_box.setChecked(True)
    finish(qtbot, wizard)
    assert not services.vaults.load().workstation_binding
    assert errors == []


def test_binding_is_on_when_the_keyring_is_usable(wizard: SetupWizard) -> None:
    page = wizard.workstation_page
    assert page.bind_box.isChecked()
    assert page.bind_box.isEnabled()
    assert not page.unavailable_label.isVisibleTo(wizard)


# What the pages show -------------------------------------------------------------------------


def test_second_factor_page_shows_qr_secret_and_copies_through_the_guard(
    wizard: SetupWizard, clipboard: ClipboardGuard
) -> None:
    fill_practice(wizard)
    fill_owner(wizard)
    wizard.next()
    page = wizard.second_factor_page
    assert page.qr.module_count() > 0
    shown = page.secret_label.text()
    assert "".join(shown.split()) == wizard.plan.totp_secret
    assert all(len(group) == 4 for group in shown.split())
    page.copy_button.click()
    assert QGuiApplication.clipboard().text() == wizard.plan.totp_secret
    assert clipboard.clear_if_ours()


def test_recovery_codes_page_shows_all_ten(wizard: SetupWizard, clock: FrozenClock) -> None:
    page = wizard.recovery_codes_page
    assert [label.text() for label in page.code_labels] == list(wizard.plan.recovery_codes)
    assert len(page.code_labels) == 10
    assert page.code_labels[0].font().fixedPitch() or page.code_labels[0].font().styleHint()
    page.copy_button.click()
    assert QGuiApplication.clipboard().text().split("\n") == list(wizard.plan.recovery_codes)


def test_kit_page_shows_the_recovery_key(wizard: SetupWizard) -> None:
    assert wizard.kit_page.key_label.text() == wizard.plan.recovery_key


def test_the_plan_is_made_once(wizard: SetupWizard, clock: FrozenClock, tmp_path: Path) -> None:
    plan = wizard.plan
    go_to_kit(wizard, clock)
    wizard.back()
    wizard.back()
    wizard.next()
    assert wizard.plan is plan
    assert "".join(wizard.second_factor_page.secret_label.text().split()) == plan.totp_secret


def test_every_page_has_a_title_and_every_control_a_name(wizard: SetupWizard) -> None:
    assert wizard.wizardStyle() in {
        QWizard.WizardStyle.ModernStyle,
        QWizard.WizardStyle.ClassicStyle,
    }
    assert len(wizard.pageIds()) == 6
    for page_id in wizard.pageIds():
        page = wizard.page(page_id)
        assert page.title()
        for control in page.findChildren(QWidget):
            if isinstance(control, QAbstractButton | QLineEdit | QProgressBar):
                assert control.accessibleName(), f"{type(control).__name__} on {page.title()}"
    for which in (Next, Finish, QWizard.WizardButton.BackButton):
        assert wizard.button(which).accessibleName()


def test_mnemonics_for_the_wizard_buttons(wizard: SetupWizard) -> None:
    assert wizard.button(Next).shortcut() == QKeySequence("Alt+N")
    assert wizard.button(QWizard.WizardButton.BackButton).shortcut() == QKeySequence("Alt+B")
    assert wizard.button(Finish).shortcut() == QKeySequence("Alt+F")


# Keyboard only -------------------------------------------------------------------------------


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def test_the_whole_wizard_by_keyboard(
    qtbot, wizard: SetupWizard, services: Services, clock: FrozenClock, tmp_path: Path
) -> None:
    wizard.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard)
    key = Qt.Key

    # 1. The practice's name, then Enter.
    qtbot.waitUntil(lambda: focused() is wizard.practice_page.name_edit)
    qtbot.keyClicks(focused(), PRACTICE)
    qtbot.keyClick(focused(), key.Key_Return)
    assert wizard.currentId() == SetupPageId.OWNER

    # 2. Username, full name, password, confirmation: Tab between them, Enter at the end.
    qtbot.waitUntil(lambda: focused() is wizard.owner_page.username_edit)
    for text in (USERNAME, FULL_NAME, PASSWORD, PASSWORD):
        qtbot.keyClicks(focused(), text)
        last = focused()
        qtbot.keyClick(last, key.Key_Tab)
    assert last is wizard.owner_page.password_field.confirm_edit
    qtbot.keyClick(last, key.Key_Return)
    assert wizard.currentId() == SetupPageId.WORKSTATION

    # 3. The checkbox has focus; Space unticks and ticks it; Alt+N moves on.
    qtbot.waitUntil(lambda: focused() is wizard.workstation_page.bind_box)
    qtbot.keyClick(focused(), key.Key_Space)
    assert not wizard.workstation_page.bind_box.isChecked()
    qtbot.keyClick(focused(), key.Key_Space)
    assert wizard.workstation_page.bind_box.isChecked()
    qtbot.keyClick(wizard.windowHandle(), key.Key_N, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: wizard.currentId() == SetupPageId.SECOND_FACTOR)

    # 4. The code field has focus.
    qtbot.waitUntil(lambda: focused() is wizard.second_factor_page.code_edit)
    qtbot.keyClicks(focused(), totp.current_code(wizard.plan.totp_secret, clock.now()))
    qtbot.keyClick(focused(), key.Key_Return)
    assert wizard.currentId() == SetupPageId.RECOVERY_CODES

    # 5. Enter moves on even though the Copy button has focus.
    qtbot.waitUntil(lambda: focused() is wizard.recovery_codes_page.copy_button)
    qtbot.keyClick(focused(), key.Key_Return)
    assert wizard.currentId() == SetupPageId.EMERGENCY_KIT

    # 6. Path, Tab to Save, Enter saves; Tab to the box, Space ticks; Enter finishes.
    page = wizard.kit_page
    qtbot.waitUntil(lambda: focused() is page.path_edit)
    qtbot.keyClick(focused(), key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(focused(), str(tmp_path / "kit.pdf"))
    qtbot.keyClick(focused(), key.Key_Tab)
    assert focused() is page.choose_button
    qtbot.keyClick(focused(), key.Key_Tab)
    assert focused() is page.save_button
    qtbot.keyClick(focused(), key.Key_Return)
    assert (tmp_path / "kit.pdf").exists()
    while focused() is not page.stored_box:
        qtbot.keyClick(focused(), key.Key_Tab)
    qtbot.keyClick(focused(), key.Key_Space)
    assert wizard.button(Finish).isEnabled()
    with qtbot.waitSignal(wizard.practice_created, timeout=20_000):
        qtbot.keyClick(focused(), key.Key_Return)
    assert services.vaults.exists()


# Screenshots ---------------------------------------------------------------------------------


def test_screenshot_of_every_page(
    qtbot, wizard: SetupWizard, clock: FrozenClock, tmp_path: Path
) -> None:
    folder = Path(os.environ.get("EHRDESK_SCREENSHOTS") or tmp_path / "pages")
    folder.mkdir(parents=True, exist_ok=True)

    def shot(number: int) -> None:
        QApplication.processEvents()
        path = folder / f"{number:02d}.png"
        assert wizard.grab().save(str(path))
        assert path.stat().st_size > 0

    shot(1)
    wizard.practice_page.name_edit.setText(PRACTICE)
    wizard.next()
    page = wizard.owner_page
    page.username_edit.setText(USERNAME)
    page.full_name_edit.setText(FULL_NAME)
    page.password_field.password_edit.setText("riverside1")
    page.password_field.is_acceptable()
    shot(2)
    page.password_field.password_edit.setText(PASSWORD)
    page.password_field.confirm_edit.setText(PASSWORD)
    wizard.next()
    shot(3)
    wizard.next()
    enter_code(wizard, clock)
    shot(4)
    wizard.next()
    shot(5)
    wizard.next()
    save_kit(wizard, tmp_path / "kit.pdf")
    wizard.kit_page.stored_box.setChecked(True)
    shot(6)
