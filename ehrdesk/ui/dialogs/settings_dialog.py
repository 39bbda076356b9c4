"""The settings dialog: one's own account for everyone; the practice's settings and its
users for the owner.

Tabs a role may not use are not built at all (`permissions.allowed`); the services
refuse those calls anyway and audit the attempt. Every change goes through a service,
which audits it in the same transaction.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from PySide6.QtCore import QDate, QLocale, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.models import User
from ehrdesk.core.permissions import Action, allowed
from ehrdesk.security.passwords import PasswordPolicy
from ehrdesk.services.registry import Services
from ehrdesk.ui.clipboard import ClipboardGuard
from ehrdesk.ui.dialogs import LockWatcher, line_up_labels
from ehrdesk.ui.dialogs.billing_settings import BILLING, BillingTab
from ehrdesk.ui.dialogs.change_password import ChangePasswordDialog
from ehrdesk.ui.dialogs.schedule_settings import ScheduleSettingsBox
from ehrdesk.ui.dialogs.second_factor import SecondFactorDialog
from ehrdesk.ui.dialogs.users_panel import UsersPanel
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.widgets.selectable import SELECTABLE

MY_ACCOUNT = "My account"
PRACTICE = "Practice"
USERS = "Users"

#: The longest a practice may ask passwords to be kept (security.passwords allows it).
MAX_AGE_CEILING_DAYS = 3650
MAX_HISTORY = 24


def _plain_label(text: str = "", accessible_name: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(SELECTABLE)
    if accessible_name:
        label.setAccessibleName(accessible_name)
    return label


def local_date(moment: datetime) -> str:
    """The calendar date of `moment` on this computer, in the person's own locale."""
    local = moment.astimezone()
    return QLocale.system().toString(
        QDate(local.year, local.month, local.day), QLocale.FormatType.LongFormat
    )


def describe_date(moment: datetime, now: datetime) -> str:
    """A date in the person's own locale, with how long ago it was."""
    text = local_date(moment)
    days = (now.astimezone().date() - moment.astimezone().date()).days
    if days == 0:
        return f"{text} (today)"
    if days == 1:
        return f"{text} (yesterday)"
    return f"{text} ({days} days ago)" if days > 1 else text


class MyAccountTab(QWidget):
    def __init__(
        self, services: Services, clipboard: ClipboardGuard, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._clipboard = clipboard
        self.name_label = _plain_label(accessible_name="Your name")
        self.username_label = _plain_label(accessible_name="Your username")
        self.role_label = _plain_label(accessible_name="Your role")
        self.password_label = _plain_label(accessible_name="Password last changed")

        form = QFormLayout()
        form.addRow("Name:", self.name_label)
        form.addRow("Username:", self.username_label)
        form.addRow("Role:", self.role_label)
        form.addRow("Password changed:", self.password_label)

        self.change_password_button = QPushButton("Change &password…")
        self.change_password_button.setAccessibleName("Change password")
        self.change_password_button.clicked.connect(self.change_password)
        self.second_factor_button = QPushButton("Set up a new &second factor…")
        self.second_factor_button.setAccessibleName("Set up a new second factor")
        self.second_factor_button.clicked.connect(self.new_second_factor)
        buttons = QHBoxLayout()
        for button in (self.change_password_button, self.second_factor_button):
            button.setAutoDefault(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.status_label = _plain_label(accessible_name="Account status")

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addSpacing(self.fontMetrics().height() // 2)
        layout.addLayout(buttons)
        layout.addWidget(self.status_label)
        layout.addStretch(1)
        self.refresh()

    def refresh(self) -> None:
        try:
            me = self._services.account.me()
            policy = self._services.settings.password_policy()
        except Exception as error:
            show_error(self, error)
            return
        self.name_label.setText(me.full_name)
        self.username_label.setText(me.username)
        self.role_label.setText(me.role.label)
        self.password_label.setText(self._password_text(me, policy))

    def _password_text(self, me: User, policy: PasswordPolicy) -> str:
        now = self._services.clock.now()
        text = describe_date(me.password_changed_at, now)
        if policy.max_age_days is not None:
            due = me.password_changed_at + timedelta(days=policy.max_age_days)
            text += f"; change it by {local_date(due)}"
        return text

    def change_password(self) -> None:
        dialog = ChangePasswordDialog(self._services, parent=self)
        changed = dialog.exec() == QDialog.DialogCode.Accepted.value
        dialog.deleteLater()
        if changed:
            self.refresh()
            self.status_label.setText("Your password was changed.")

    def new_second_factor(self) -> None:
        dialog = SecondFactorDialog(self._services, self._clipboard, self)
        dialog.exec()
        dialog.deleteLater()
        if dialog.finished_enrolment:
            self.status_label.setText("Your new second factor is set up.")


class PracticeTab(QWidget):
    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._policy = PasswordPolicy()
        self._idle_minutes = 10

        self.idle_spin = QSpinBox()
        self.idle_spin.setRange(1, 60)
        self.idle_spin.setSuffix(" minutes")
        self.idle_spin.setAccessibleName("Lock after this many idle minutes")
        lock_form = QFormLayout()
        lock_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        lock_form.addRow("&Lock after:", self.idle_spin)
        lock_box = QGroupBox("Automatic lock")
        lock_layout = QVBoxLayout(lock_box)
        lock_layout.addWidget(
            _plain_label(
                "ehrdesk locks itself when nobody has used it for this long (1 to 60 minutes)."
            )
        )
        lock_layout.addLayout(lock_form)

        self.min_length_spin = QSpinBox()
        self.min_length_spin.setSuffix(" characters")
        self.min_length_spin.setAccessibleName("Minimum password length")
        self.composition_check = QCheckBox(
            "Require a lowercase letter, an uppercase letter, a digit and a symbol"
        )
        self.composition_check.setAccessibleName("Require mixed character types")
        self.max_age_spin = QSpinBox()
        self.max_age_spin.setRange(0, MAX_AGE_CEILING_DAYS)
        self.max_age_spin.setSpecialValueText("Never")
        self.max_age_spin.setSuffix(" days")
        self.max_age_spin.setAccessibleName("Maximum password age in days, 0 for never")
        self.history_spin = QSpinBox()
        self.history_spin.setRange(0, MAX_HISTORY)
        self.history_spin.setSpecialValueText("Off")
        self.history_spin.setAccessibleName("Number of earlier passwords that may not be reused")
        policy_form = QFormLayout()
        policy_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        policy_form.addRow("&Minimum length:", self.min_length_spin)
        policy_form.addRow("", self.composition_check)
        policy_form.addRow("Must be changed &after:", self.max_age_spin)
        policy_form.addRow("Refuse the last &N passwords:", self.history_spin)
        line_up_labels(
            *(
                label
                for form, field in (
                    (lock_form, self.idle_spin),
                    (policy_form, self.min_length_spin),
                    (policy_form, self.max_age_spin),
                    (policy_form, self.history_spin),
                )
                if isinstance(label := form.labelForField(field), QLabel)
            )
        )
        policy_box = QGroupBox("Passwords")
        policy_layout = QVBoxLayout(policy_box)
        policy_layout.addWidget(
            _plain_label(
                "The defaults follow NIST guidance: long passwords, no forced changes and no "
                "composition rules. Change them only if your practice must."
            )
        )
        policy_layout.addLayout(policy_form)

        self.save_button = QPushButton("&Save")
        self.save_button.setAccessibleName("Save practice settings")
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        self.status_label = _plain_label(accessible_name="Practice settings status")
        save_row = QHBoxLayout()
        save_row.addWidget(self.save_button)
        save_row.addWidget(self.status_label, 1)

        self.schedule_box = ScheduleSettingsBox(services)
        layout = QVBoxLayout(self)
        layout.addWidget(lock_box)
        layout.addWidget(policy_box)
        layout.addWidget(self.schedule_box)
        layout.addLayout(save_row)
        layout.addStretch(1)

        self.load()
        spins = (self.idle_spin, self.min_length_spin, self.max_age_spin, self.history_spin)
        widest = max(spin.sizeHint().width() for spin in spins)  # after load(): the ranges
        for spin in spins:
            spin.setMinimumWidth(widest)
            spin.valueChanged.connect(self._edited)
        self.composition_check.toggled.connect(self._edited)

    def load(self) -> None:
        try:
            self._idle_minutes = self._services.settings.idle_timeout_minutes()
            self._policy = self._services.settings.password_policy()
            self.schedule_box.load()
        except Exception as error:
            show_error(self, error)
            return
        self.idle_spin.setValue(self._idle_minutes)
        self.min_length_spin.setRange(8, self._policy.max_length)
        self.min_length_spin.setValue(self._policy.min_length)
        self.composition_check.setChecked(self._policy.require_composition)
        self.max_age_spin.setValue(self._policy.max_age_days or 0)
        self.history_spin.setValue(self._policy.history_count)
        self.status_label.clear()

    def policy_from_fields(self) -> PasswordPolicy:
        return dataclasses.replace(
            self._policy,
            min_length=self.min_length_spin.value(),
            require_composition=self.composition_check.isChecked(),
            max_age_days=self.max_age_spin.value() or None,
            history_count=self.history_spin.value(),
        )

    def _edited(self) -> None:
        self.status_label.clear()

    def save(self) -> None:
        minutes = self.idle_spin.value()
        try:
            policy = self.policy_from_fields()
            changed = False
            if minutes != self._idle_minutes:
                self._services.settings.set_idle_timeout_minutes(minutes)
                self._idle_minutes = minutes
                changed = True
            if policy != self._policy:
                self._services.settings.set_password_policy(policy)
                self._policy = policy
                changed = True
            changed = self.schedule_box.save() or changed
        except Exception as error:
            show_error(self, error)
            return
        self.status_label.setText("Settings saved." if changed else "Nothing has changed.")


class SettingsDialog(QDialog):
    def __init__(
        self, services: Services, clipboard: ClipboardGuard, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setAccessibleName("Settings")
        role = services.account.me().role

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Settings sections")
        self.account_tab = MyAccountTab(services, clipboard)
        self.tabs.addTab(self.account_tab, MY_ACCOUNT)
        self.practice_tab: PracticeTab | None = None
        self.users_panel: UsersPanel | None = None
        if allowed(role, Action.EDIT_PRACTICE_SETTINGS):
            self.practice_tab = PracticeTab(services)
            self.tabs.addTab(self.practice_tab, PRACTICE)
        self.billing_tab: BillingTab | None = None
        if allowed(role, Action.EDIT_PRACTICE_SETTINGS):
            self.billing_tab = BillingTab(services)
            self.tabs.addTab(self.billing_tab, BILLING)
        if allowed(role, Action.VIEW_USERS):
            self.users_panel = UsersPanel(services, clipboard)
            manage = allowed(role, Action.MANAGE_USERS)
            self.users_panel.add_button.setVisible(manage)
            self.users_panel.unlock_button.setVisible(manage)
            self.tabs.addTab(self.users_panel, USERS)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close settings")
        # Enter in a field must never close the dialog unsaved: on the Practice tab it
        # saves, elsewhere it does nothing; Escape closes.
        close.setAutoDefault(False)
        buttons.rejected.connect(self.reject)
        self.tabs.currentChanged.connect(self._tab_changed)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)
        metrics = self.fontMetrics()
        self.resize(metrics.averageCharWidth() * 90, metrics.height() * 30)

        self._lock_watcher = LockWatcher(self, services.events)

    def _tab_changed(self) -> None:
        if self.practice_tab is not None:
            self.practice_tab.save_button.setDefault(self.tabs.currentWidget() is self.practice_tab)

    def tab_titles(self) -> list[str]:
        return [self.tabs.tabText(i) for i in range(self.tabs.count())]

    def show_tab(self, title: str) -> None:
        for i in range(self.tabs.count()):
            if self.tabs.tabText(i) == title:
                self.tabs.setCurrentIndex(i)
                return
        raise KeyError(title)
