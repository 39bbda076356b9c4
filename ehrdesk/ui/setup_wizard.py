"""First-run setup: the wizard a practice owner meets on the first morning, and its
last two pages, which hand over what must be kept (the pages that ask are in
`setup_pages.py`).

The practice's secrets are planned once, when the wizard starts (`plan_new_vault`), so
the second factor, the recovery codes and the Emergency Kit can be shown and checked
before anything exists. Invariants: nothing is written to disk before Finish except the
Emergency Kit file the person chose to save; the vault appears only at Finish, created
off the GUI thread; a data folder that already holds a vault is never overwritten
(`Vaults.check_new_vault` and `Vaults.create` both refuse with `VaultExists`); and a
failed Finish keeps everything the person typed.

The wizard works as a top-level dialog or embedded in a main window (the caller may set
`Qt.WindowType.Widget`); it reports success through `practice_created`, then accepts.
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
    QWizard,
)

from ehrdesk import __version__
from ehrdesk.core.errors import UserFacingError
from ehrdesk.reports.emergency_kit import write_emergency_kit
from ehrdesk.services.registry import Services
from ehrdesk.services.vault import CreatedVault, NewVaultPlan, plan_new_vault, validate_name
from ehrdesk.ui.clipboard import ClipboardGuard
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.setup_pages import (
    OwnerPage,
    PracticePage,
    SecondFactorPage,
    SetupPage,
    WorkstationPage,
    button,
    monospace,
    panel,
    paragraph,
)
from ehrdesk.ui.tasks import BackgroundTask, busy_cursor, run_in_background
from ehrdesk.ui.widgets.selectable import SELECTABLE

__all__ = [
    "EmergencyKitPage",
    "RecoveryCodesPage",
    "SetupPageId",
    "SetupWizard",
    "default_kit_path",
]

CREATING = "Creating your practice…"
KIT_FILE_NAME = "ehrdesk-emergency-kit.pdf"
KIT_NOT_OVERWRITTEN = (
    "The Emergency Kit was not saved, because a file with that name is already there; "
    "choose another name."
)


def default_kit_path() -> Path:
    """Documents if there is such a folder, else home; never an existing file's name."""
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = Path(documents) if documents and Path(documents).is_dir() else Path.home()
    candidate = folder / KIT_FILE_NAME
    number = 2
    while candidate.exists():
        candidate = folder / f"ehrdesk-emergency-kit-{number}.pdf"
        number += 1
    return candidate


# 5. Recovery codes ---------------------------------------------------------------------


class RecoveryCodesPage(SetupPage):
    def __init__(self, clipboard: ClipboardGuard, plan: NewVaultPlan) -> None:
        super().__init__()
        self._clipboard = clipboard
        self._plan = plan
        self.setTitle("Recovery codes")
        self.setSubTitle("For the day your phone is lost or replaced.")

        box = panel()
        box.setAccessibleName("Recovery codes")
        grid = QGridLayout(box)
        spacing = self.fontMetrics().lineSpacing()
        grid.setContentsMargins(spacing, spacing // 2, spacing, spacing // 2)
        grid.setHorizontalSpacing(spacing * 3)
        half = (len(plan.recovery_codes) + 1) // 2
        self.code_labels: list[QLabel] = []
        for index, code in enumerate(plan.recovery_codes):
            label = QLabel(code)
            label.setFont(monospace(1.15))
            label.setTextInteractionFlags(SELECTABLE)
            label.setAccessibleName(f"Recovery code {index + 1}")
            grid.addWidget(label, index % half, index // half, Qt.AlignmentFlag.AlignHCenter)
            self.code_labels.append(label)

        self.copy_button = button("&Copy the codes", "Copy the recovery codes", enter_presses=False)
        self.copy_button.clicked.connect(self._copy)
        self.copy_status = paragraph("", muted=True)
        self.copy_status.setAlignment(Qt.AlignmentFlag.AlignHCenter)

        centred = QGridLayout()
        centred.setVerticalSpacing(spacing)
        centred.setColumnStretch(0, 1)
        centred.setColumnStretch(2, 1)
        centred.addWidget(box, 0, 1)
        centred.addWidget(self.copy_button, 1, 1, Qt.AlignmentFlag.AlignHCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(
            paragraph(
                "Each code signs you in once, instead of a code from your phone. They are "
                "shown only now: print them, or keep them in a password manager, away from "
                "this computer."
            )
        )
        layout.addSpacing(spacing // 2)
        layout.addLayout(centred)
        layout.addWidget(self.copy_status)
        layout.addStretch(1)

    def _copy(self) -> None:
        self._clipboard.copy("\n".join(self._plan.recovery_codes))
        self.copy_status.setText("Copied. Paste them somewhere safe.")


# 6. Emergency Kit ----------------------------------------------------------------------


class EmergencyKitPage(SetupPage):
    def __init__(self, services: Services, plan: NewVaultPlan) -> None:
        super().__init__()
        self._services = services
        self._plan = plan
        #: The practice name the kit was saved with in this wizard; None until saved.
        self._saved_for: str | None = None
        self._saved_path: Path | None = None
        self.setTitle("Emergency Kit")
        self.setSubTitle("One page that opens the practice when nothing else will.")

        box = panel()
        key_title = paragraph("Recovery key", muted=True)
        self.key_label = QLabel(plan.recovery_key)
        self.key_label.setFont(monospace(1.35))
        self.key_label.setTextInteractionFlags(SELECTABLE)
        self.key_label.setAccessibleName("Recovery key")
        self.key_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        spacing = self.fontMetrics().lineSpacing()
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(spacing, spacing // 2, spacing, spacing // 2)
        box_layout.addWidget(key_title, 0, Qt.AlignmentFlag.AlignHCenter)
        box_layout.addWidget(self.key_label)

        self.path_edit = QLineEdit(str(default_kit_path()))
        self.path_edit.setAccessibleName("Where to save the Emergency Kit")
        self.path_edit.setCursorPosition(0)  # show where the folder starts, not its tail
        self.choose_button = button("C&hoose…", "Choose where to save the Emergency Kit")
        self.choose_button.clicked.connect(self._choose)
        path_label = QLabel("Save &to")
        path_label.setBuddy(self.path_edit)
        path_row = QHBoxLayout()
        path_row.addWidget(path_label)
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.choose_button)

        self.save_button = button("&Save the Emergency Kit", "Save the Emergency Kit")
        self.save_button.clicked.connect(self.save_kit)
        self.open_button = button("&Open it to print", "Open the saved Emergency Kit to print it")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._open)
        self.status_label = paragraph("")
        self.status_label.setAccessibleName("Emergency Kit status")
        save_row = QHBoxLayout()
        save_row.addWidget(self.save_button)
        save_row.addWidget(self.open_button)
        save_row.addStretch(1)

        self.stored_box = QCheckBox("&I have printed or stored the Emergency Kit somewhere safe")
        self.stored_box.setAccessibleName(
            "I have printed or stored the Emergency Kit somewhere safe"
        )
        self.stored_box.toggled.connect(self.completeChanged)

        layout = QVBoxLayout(self)
        layout.addWidget(
            paragraph(
                "The Emergency Kit holds your practice's recovery key. It opens the practice "
                "if a password is forgotten or the computer is replaced, and it restores "
                "every backup. Print it, and keep it somewhere safe away from this computer."
            )
        )
        layout.addSpacing(spacing // 2)
        layout.addWidget(box)
        layout.addSpacing(spacing // 2)
        layout.addLayout(path_row)
        layout.addLayout(save_row)
        layout.addWidget(self.status_label)
        layout.addStretch(1)
        layout.addWidget(self.stored_box)

    def practice_name(self) -> str:
        return validate_name(self.text_field("practiceName"), "practice name")

    def initializePage(self) -> None:
        if self._saved_for is not None and self._saved_for != self.practice_name():
            # The kit on disk names the practice differently: save it again.
            self._saved_for = None
            self.open_button.setEnabled(False)
            self.status_label.setText(
                "The practice's name has changed; please save the Emergency Kit again."
            )
        self.completeChanged.emit()

    def kit_saved(self) -> bool:
        return self._saved_for is not None

    def chosen_path(self) -> Path:
        path = Path(self.path_edit.text().strip()).expanduser()
        if not path.is_absolute():
            path = Path.home() / path
        if path.suffix.lower() != ".pdf":
            path = path.with_name(path.name + ".pdf")
        return path

    def confirm_overwrite(self, path: Path) -> bool:
        answer = QMessageBox.question(
            self,
            "Replace the file?",
            f"A file named “{path.name}” is already there. Replace it with the Emergency Kit?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def save_kit(self) -> None:
        if not self.path_edit.text().strip():
            self.status_label.setText("Please choose where to save the Emergency Kit.")
            return
        path = self.chosen_path()
        if path.exists() and not self.confirm_overwrite(path):
            self.status_label.setText(KIT_NOT_OVERWRITTEN)
            return
        name = self.practice_name()
        try:
            with busy_cursor():
                write_emergency_kit(
                    path,
                    practice_name=name,
                    recovery_key=self._plan.recovery_key,
                    vault_id=self._plan.vault_id,
                    created_at=self._services.clock.now(),
                    app_version=__version__,
                )
        except UserFacingError as error:
            self.status_label.setText(error.message)
            return
        except Exception as error:
            show_error(self, error)
            return
        self._saved_for = name
        self._saved_path = path
        self.path_edit.setText(str(path))
        self.path_edit.setCursorPosition(0)
        self.open_button.setEnabled(True)
        self.status_label.setText(f"Saved to {path}. Print it now, or keep a copy somewhere safe.")
        self.completeChanged.emit()

    def _choose(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(
            self,
            "Save the Emergency Kit",
            self.path_edit.text(),
            "PDF documents (*.pdf)",
            options=QFileDialog.Option.DontConfirmOverwrite,  # save_kit asks, once
        )
        if chosen:
            self.path_edit.setText(chosen)
            self.save_button.setFocus()

    def _open(self) -> None:
        if self._saved_path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._saved_path)))

    def isComplete(self) -> bool:
        return self.kit_saved() and self.stored_box.isChecked()


# The wizard -------------------------------------------------------------------------------


class SetupPageId(IntEnum):
    PRACTICE = 0
    OWNER = 1
    WORKSTATION = 2
    SECOND_FACTOR = 3
    RECOVERY_CODES = 4
    EMERGENCY_KIT = 5


class SetupWizard(QWizard):
    """Practice name, owner, workstation binding, second factor, recovery codes, kit."""

    #: The owner's username, emitted once the vault exists, just before the wizard accepts.
    practice_created = Signal(str)

    def __init__(
        self, services: Services, clipboard: ClipboardGuard, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._services = services
        self.plan: NewVaultPlan = plan_new_vault()
        self._task: BackgroundTask | None = None
        self._created = False

        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setWindowTitle("Set up your practice – ehrdesk")
        self.setAccessibleName("Practice setup")

        self.practice_page = PracticePage(services)
        self.owner_page = OwnerPage()
        self.workstation_page = WorkstationPage(services)
        self.second_factor_page = SecondFactorPage(services, clipboard, self.plan)
        self.recovery_codes_page = RecoveryCodesPage(clipboard, self.plan)
        self.kit_page = EmergencyKitPage(services, self.plan)
        for page_id, page in (
            (SetupPageId.PRACTICE, self.practice_page),
            (SetupPageId.OWNER, self.owner_page),
            (SetupPageId.WORKSTATION, self.workstation_page),
            (SetupPageId.SECOND_FACTOR, self.second_factor_page),
            (SetupPageId.RECOVERY_CODES, self.recovery_codes_page),
            (SetupPageId.EMERGENCY_KIT, self.kit_page),
        ):
            self.setPage(page_id, page)
            page.setAccessibleName(page.title())

        names = {
            QWizard.WizardButton.BackButton: "Back",
            QWizard.WizardButton.NextButton: "Next",
            QWizard.WizardButton.FinishButton: "Finish and create the practice",
            QWizard.WizardButton.CancelButton: "Cancel setup",
        }
        for which, name in names.items():
            self.button(which).setAccessibleName(name)
        line = self.fontMetrics().lineSpacing()
        self.setMinimumSize(line * 44, line * 34)

    # Finishing ----------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """The vault is being created; the wizard is disabled until it is done."""
        return self._task is not None and not self._task.done

    def done(self, result: int) -> None:
        if self.busy:
            return  # neither Cancel nor closing the window interrupts a half-made vault
        if result == QDialog.DialogCode.Accepted and not self._created:
            if self.validateCurrentPage():
                self._create()
            return
        super().done(result)

    def _create(self) -> None:
        owner = self.owner_page
        practice_name = self.practice_page.name_edit.text()
        username = owner.username_edit.text()
        full_name = owner.full_name_edit.text()
        password = owner.password_field.password()
        bind = self.workstation_page.bind_box.isChecked()
        vaults, plan = self._services.vaults, self.plan
        try:
            # Everything create() would refuse, refused now, before the wizard waits.
            vaults.check_new_vault(
                practice_name=practice_name,
                owner_username=username,
                owner_full_name=full_name,
                owner_password=password,
                bind_workstation=bind,
            )
        except Exception as error:
            show_error(self, error)
            return

        def work() -> CreatedVault:
            # Argon2id for two key slots: seconds with the shipped parameters. It opens
            # no connection the session owns, so it may run on a worker thread.
            return vaults.create(
                practice_name=practice_name,
                owner_username=username,
                owner_full_name=full_name,
                owner_password=password,
                bind_workstation=bind,
                plan=plan,
            )

        self.setEnabled(False)
        self._task = run_in_background(
            self, work, self._creation_succeeded, label=CREATING, on_error=self._creation_failed
        )

    def _creation_succeeded(self, created: CreatedVault) -> None:
        self._created = True
        self.setEnabled(True)
        self.practice_created.emit(created.owner.user.username)
        self.accept()

    def _creation_failed(self, error: BaseException) -> None:
        self.setEnabled(True)
        show_error(self, error)
