"""Restore from a backup on the first-run screen of a new computer, offscreen: choose
the file, type the recovery key, see what the backup holds, restore, sign in."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLineEdit
from pytestqt.qtbot import QtBot

from ehrdesk.core.errors import BackupDamaged, BackupKeyWrong
from ehrdesk.security import recovery
from ehrdesk.security.workstation import MemoryKeyring
from ehrdesk.services.registry import Services
from ehrdesk.ui.main_window import MainWindow
from ehrdesk.ui.views.restore_page import RestorePage
from ehrdesk.ui.views.start_page import StartPage
from tests.conftest import Practice
from tests.ui.test_backups_view import shot

WAIT_MS = 20_000


@pytest.fixture
def backup(practice: Practice, tmp_path: Path) -> Path:
    drive = tmp_path / "usb"
    drive.mkdir()
    practice.sign_in("owner")
    path = practice.services.backups.backup_job(drive).run().path
    practice.services.session.sign_out()
    return path


@pytest.fixture
def new_computer(practice: Practice, tmp_path: Path, qtbot: QtBot) -> MainWindow:
    services = Services.build(
        tmp_path / "new-computer" / "practice", keyring=MemoryKeyring(), clock=practice.clock
    )
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    return window


def open_restore(window: MainWindow, qtbot: QtBot) -> RestorePage:
    start = window.stack.currentWidget()
    assert isinstance(start, StartPage)
    assert start.restore_button.accessibleName() == "Restore from a backup"
    qtbot.mouseClick(start.restore_button, Qt.MouseButton.LeftButton)
    page = window.stack.currentWidget()
    assert isinstance(page, RestorePage)
    return page


def check(page: RestorePage, qtbot: QtBot, path: Path, key: str) -> None:
    page.file.setText(str(path))
    page.key.setText(key)
    qtbot.keyClick(page.key, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page._task is not None and page._task.done, timeout=WAIT_MS)


def test_restore_on_a_new_computer_then_sign_in(
    new_computer: MainWindow, practice: Practice, backup: Path, qtbot: QtBot
) -> None:
    services = new_computer.services
    page = open_restore(new_computer, qtbot)
    check(page, qtbot, backup, practice.created.recovery_key)

    preview = page.preview.text()
    assert "Practice: Riverside Counselling" in preview
    assert "People who can sign in: 1" in preview
    assert "bound to this computer's keyring" in preview
    assert page.key.text() == ""  # the key is not left on screen
    assert not services.vaults.exists()  # seen first: nothing in place yet
    shot(new_computer, "restore-confirm")

    qtbot.mouseClick(page.next, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: new_computer.stack.currentWidget() is new_computer.sign_in, timeout=WAIT_MS
    )
    assert services.vaults.exists()
    assert "restored" in new_computer.sign_in.message.text()

    view = new_computer.sign_in
    view.username.setText("owner")
    view.password.setText(practice.passwords["owner"])
    view._advance()
    view.code.setText(practice.code("owner"))
    view._advance()
    assert new_computer.stack.currentWidget() is new_computer.workspace


@pytest.mark.parametrize(
    ("damage", "expected"),
    [("wrong key", BackupKeyWrong.default_message), ("damaged", BackupDamaged.default_message)],
)
def test_a_refusal_is_one_sentence_on_the_page_and_nothing_is_restored(
    new_computer: MainWindow,
    practice: Practice,
    backup: Path,
    qtbot: QtBot,
    damage: str,
    expected: str,
) -> None:
    key = practice.created.recovery_key
    if damage == "wrong key":
        key = recovery.new_recovery_key()
    else:
        backup.write_bytes(backup.read_bytes()[:-1])
    page = open_restore(new_computer, qtbot)
    check(page, qtbot, backup, key)
    assert page.message.text() == expected
    assert page._steps.currentIndex() == 0
    assert not new_computer.services.data_dir.exists()


def test_back_from_the_preview_throws_the_checked_backup_away(
    new_computer: MainWindow, practice: Practice, backup: Path, qtbot: QtBot
) -> None:
    page = open_restore(new_computer, qtbot)
    check(page, qtbot, backup, practice.created.recovery_key)
    assert page._steps.currentIndex() == 1
    qtbot.mouseClick(page.back, Qt.MouseButton.LeftButton)
    assert page._steps.currentIndex() == 0
    assert not new_computer.services.data_dir.exists()
    qtbot.mouseClick(page.back, Qt.MouseButton.LeftButton)
    assert isinstance(new_computer.stack.currentWidget(), StartPage)


def test_every_field_and_button_has_a_name(new_computer: MainWindow, qtbot: QtBot) -> None:
    page = open_restore(new_computer, qtbot)
    controls = [*page.findChildren(QLineEdit), *page.findChildren(QAbstractButton)]
    assert len(controls) >= 5
    assert [c for c in controls if not c.accessibleName()] == []
    page.file.setText("")
    page.check()
    assert page.message.text() == "Please choose the backup file and type the recovery key."
