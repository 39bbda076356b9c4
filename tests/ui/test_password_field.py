"""PasswordField: the policy's reasons in words, the mismatch, the debounced meter."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from ehrdesk.security import passwords
from ehrdesk.ui.widgets import PasswordField
from ehrdesk.ui.widgets.password_field import DEBOUNCE_MS, MISMATCH

STRONG = "lantern orchard quietly 1987 tides"


def make_field(qtbot, **kwargs) -> PasswordField:
    field = PasswordField(**kwargs)
    qtbot.addWidget(field)
    field.show()
    return field


def type_both(field: PasswordField, password: str, confirm: str | None = None) -> None:
    field.password_edit.setText(password)
    field.confirm_edit.setText(password if confirm is None else confirm)


def test_starts_empty_and_not_acceptable(qtbot) -> None:
    field = make_field(qtbot)
    assert field.password() == ""
    assert not field.is_acceptable()
    assert field.reasons() == []
    assert "at least 12 characters" in field.reasons_label.text()
    assert field.meter.minimum() == 0
    assert field.meter.maximum() == 4


def test_short_common_password_shows_reasons_in_words(qtbot) -> None:
    field = make_field(qtbot)
    type_both(field, "password1")
    assert not field.is_acceptable()
    reasons = field.reasons()
    assert "This password is too short: use at least 12 characters." in reasons
    assert passwords.REASON_TOO_COMMON in reasons
    for reason in reasons:
        assert reason in field.reasons_label.text()
    assert "password1" not in field.reasons_label.text()


def test_mismatch_is_said_and_blocks(qtbot) -> None:
    field = make_field(qtbot)
    type_both(field, STRONG, STRONG + "x")
    assert not field.is_acceptable()
    assert field.reasons() == [MISMATCH]
    assert field.reasons_label.text() == MISMATCH


def test_strong_matching_password_is_acceptable(qtbot) -> None:
    field = make_field(qtbot)
    type_both(field, STRONG)
    assert field.is_acceptable()
    assert field.reasons() == []
    assert field.password() == STRONG
    assert field.meter.value() >= 3
    assert field.strength_label.text() in {"Strong", "Very strong"}


def test_missing_confirmation_is_not_acceptable(qtbot) -> None:
    field = make_field(qtbot)
    field.password_edit.setText(STRONG)
    assert not field.is_acceptable()
    assert field.reasons() == []
    assert "again" in field.reasons_label.text()


def test_context_words_are_refused(qtbot) -> None:
    field = make_field(qtbot)
    type_both(field, "riverside counselling garden 42 okapi")
    assert field.is_acceptable()
    field.set_context_words(["Riverside Counselling", "jmorgan", "Jamie", "Morgan"])
    assert not field.is_acceptable()
    assert passwords.REASON_CONTEXT in field.reasons()


def test_policy_can_be_changed(qtbot) -> None:
    field = make_field(qtbot)
    type_both(field, STRONG)
    assert field.is_acceptable()
    field.set_policy(passwords.PasswordPolicy(require_composition=True))
    assert not field.is_acceptable()
    assert passwords.REASON_UPPER in field.reasons()
    assert passwords.REASON_SYMBOL in field.reasons()


def test_meter_and_reasons_follow_typing_after_the_debounce(qtbot) -> None:
    field = make_field(qtbot)
    with qtbot.waitSignal(field.changed, timeout=2000):
        field.password_edit.setText("abc")
    assert field.meter.value() <= 1
    assert "too short" in field.reasons_label.text()
    with qtbot.waitSignal(field.changed, timeout=2000):
        field.password_edit.setText(STRONG)
    assert field.meter.value() == 4
    assert field.strength_label.text() == "Very strong"


def test_typing_is_debounced(qtbot) -> None:
    field = make_field(qtbot)
    emitted: list[None] = []
    field.changed.connect(lambda: emitted.append(None))
    for end in range(1, 8):
        field.password_edit.setText(STRONG[:end])
    assert emitted == []  # nothing measured while typing fast
    qtbot.waitUntil(lambda: len(emitted) == 1, timeout=DEBOUNCE_MS * 10)
    qtbot.wait(DEBOUNCE_MS * 2)
    assert len(emitted) == 1


def test_enter_sees_the_verdict_at_once(qtbot) -> None:
    field = make_field(qtbot)
    field.password_edit.setText(STRONG)
    field.confirm_edit.setText(STRONG)
    emitted: list[None] = []
    field.changed.connect(lambda: emitted.append(None))
    qtbot.keyClick(field.confirm_edit, Qt.Key.Key_Return)
    assert emitted == [None]


def test_show_toggle_reveals_both(qtbot) -> None:
    field = make_field(qtbot)
    assert field.password_edit.echoMode() == QLineEdit.EchoMode.Password
    assert field.confirm_edit.echoMode() == QLineEdit.EchoMode.Password
    field.show_box.setChecked(True)
    assert field.password_edit.echoMode() == QLineEdit.EchoMode.Normal
    assert field.confirm_edit.echoMode() == QLineEdit.EchoMode.Normal
    field.show_box.setChecked(False)
    assert field.password_edit.echoMode() == QLineEdit.EchoMode.Password


def test_clear_and_accessible_names(qtbot) -> None:
    field = make_field(qtbot)
    type_both(field, STRONG)
    field.clear()
    assert field.password() == ""
    assert not field.is_acceptable()
    for widget in (field.password_edit, field.confirm_edit, field.show_box, field.meter):
        assert widget.accessibleName()


def test_typing_does_not_drop_references_to_true(qtbot) -> None:
    """Typing emits per keystroke; PySide6 6.12.0 dropped a reference to True on every
    emit() and crashed the interpreter (pyproject excludes it; see test_qt_runtime)."""
    import sys

    field = make_field(qtbot)
    before = sys.getrefcount(True)
    for end in range(1, 201):
        field.password_edit.setText(STRONG[: end % len(STRONG)])
        field.is_acceptable()
    assert sys.getrefcount(True) > before - 50
