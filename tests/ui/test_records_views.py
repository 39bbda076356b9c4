"""Handing records out, offscreen: the export dialog (PDF, and the encrypted package with
its passphrase, written only where chosen), releases with a scanned form, the
accounting, the superbill, the schedule's Print, the owner's emergency-access review,
the Records menu per role, and Settings → Billing. A screenshot of each goes to
/tmp/records-shots."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from ehrdesk.core.chart import ReasonCategory
from ehrdesk.core.records import LegalBasis
from ehrdesk.security.passphrase import unseal
from ehrdesk.services.auth import SignedIn
from ehrdesk.ui.dialogs import record_export
from ehrdesk.ui.dialogs.billing_settings import BillingTab
from ehrdesk.ui.dialogs.client_form import ClientDialog
from ehrdesk.ui.dialogs.disclosures import DisclosuresDialog
from ehrdesk.ui.dialogs.record_export import PassphraseDialog, RecordExportDialog
from ehrdesk.ui.dialogs.releases import FormViewer, NewReleaseDialog, ReleasesDialog
from ehrdesk.ui.dialogs.sign_release import SignReleaseDialog
from ehrdesk.ui.dialogs.superbill import SuperbillDialog
from ehrdesk.ui.views.chart import ChartView
from ehrdesk.ui.views.emergency_review import EmergencyReviewView
from ehrdesk.ui.views.schedule import ScheduleView
from ehrdesk.ui.views.workspace import Workspace
from tests.records_support import NOTE_MARKER, SHOTS, RecordPractice


@pytest.fixture(autouse=True)
def no_modal_boxes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A message box offscreen would wait forever: record it instead, and fail."""
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()) or 0)

    def no_file_dialog(*args: object, **kwargs: object) -> None:
        raise AssertionError("a system file dialog would wait forever offscreen")

    for name in ("getSaveFileName", "getOpenFileName", "getExistingDirectory"):
        monkeypatch.setattr(QFileDialog, name, no_file_dialog)
    yield shown
    assert shown == [], shown


def shot(widget: QWidget, name: str, size: tuple[int, int] = (980, 640)) -> Path:
    widget.resize(*size)
    widget.show()
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    assert widget.grab().save(str(path))
    return path


def wait(qtbot: QtBot, holder: Any) -> None:
    qtbot.waitUntil(lambda: holder.task is not None and holder.task.done, timeout=30_000)


def png(tmp_path: Path) -> Path:
    image = QImage(300, 120, QImage.Format.Format_RGB32)
    image.fill(0xFFFFFF)
    path = tmp_path / "signed-form.png"
    assert image.save(str(path))
    return path


def test_the_export_dialog_saves_a_pdf_and_a_sealed_package_only_where_chosen(
    record_practice: RecordPractice, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = record_practice.as_user("carla")
    dialog = RecordExportDialog(services, record_practice.casey)
    qtbot.addWidget(dialog)
    shot(dialog, "record-export-dialog", (900, 620))
    out = tmp_path / "out"
    out.mkdir()
    dialog.output.message = lambda text: None
    dialog.output.choose_file = lambda suggested: out / "record"
    dialog.save_pdf()
    wait(qtbot, dialog.output)
    assert (out / "record.pdf").read_bytes().startswith(b"%PDF-")

    class Words:
        def __init__(self, *args: object) -> None:
            self.passphrase = "abandon ability able about above absent absorb abstract"

        def exec(self) -> bool:
            return True

    monkeypatch.setattr(record_export, "PassphraseDialog", Words)
    dialog.output.choose_any_file = lambda suggested, kind: out / "record.age"
    dialog.save_package()
    wait(qtbot, dialog.output)
    assert sorted(p.name for p in out.iterdir()) == ["record.age", "record.pdf"]
    archive = zipfile.ZipFile(
        io.BytesIO(unseal((out / "record.age").read_bytes(), Words().passphrase))
    )
    assert archive.read("record.pdf").startswith(b"%PDF-")
    assert b'"resourceType": "DocumentReference"' in archive.read("record.fhir.json")
    assert NOTE_MARKER.encode() not in (out / "record.age").read_bytes()


def test_the_export_dialog_says_what_is_missing_for_a_disclosure(
    record_practice: RecordPractice, qtbot: QtBot
) -> None:
    services = record_practice.as_user("carla")
    dialog = RecordExportDialog(services, record_practice.casey, for_someone_else=True)
    qtbot.addWidget(dialog)
    assert dialog.by_law.isChecked()  # no release on file yet
    dialog.basis.setCurrentIndex(dialog.basis.findData(LegalBasis.TREATMENT.value))
    dialog.save_pdf()
    assert dialog.problem.text() == "Please fill in the recipient."
    dialog.recipient.setText("Lakeside Hospital")
    dialog.purpose.setText("Admission")
    shot(dialog, "record-export-disclosure", (900, 700))
    assert dialog.request().to is not None


def test_the_passphrase_dialog_shows_eight_words_and_rates_typed_ones(
    record_practice: RecordPractice, qtbot: QtBot
) -> None:
    services = record_practice.as_user("carla")
    dialog = PassphraseDialog(services, "Client record 1.age")
    qtbot.addWidget(dialog)
    assert len(dialog.words.text().split()) == 8
    shot(dialog, "passphrase-dialog", (620, 360))
    dialog.typed.setText("password1")
    assert dialog.type_own.isChecked() and "Strength: " in dialog.meter.text()
    dialog.use_words.setChecked(True)
    dialog.submit()
    assert dialog.passphrase == dialog.words.text()


def test_a_release_with_its_scan_is_recorded_listed_and_shown(
    record_practice: RecordPractice, qtbot: QtBot, tmp_path: Path
) -> None:
    services = record_practice.as_user("carla")
    new = NewReleaseDialog(services, record_practice.casey)
    qtbot.addWidget(new)
    new.recipient.setText("Dr. Lee, Lakeside Psychiatry")
    new.purpose.setText("Continuity of care")
    new.choose_scan = lambda: png(tmp_path)
    new.attach_scan()
    shot(new, "release-new-dialog", (560, 560))
    new.submit()
    assert new.release is not None and new.release.form_type == "image/png"
    dialog = ReleasesDialog(services, record_practice.casey)
    qtbot.addWidget(dialog)
    dialog.table.selectRow(0)
    assert dialog.view_button.isEnabled() and dialog.revoke_button.isEnabled()
    shot(dialog, "releases-dialog", (980, 360))
    form = services.releases.signed_form(new.release.id)
    viewer = FormViewer(form.media_type, form.data)
    qtbot.addWidget(viewer)
    shot(viewer, "release-form-viewer", (420, 240))
    dialog.confirm = lambda text: True
    dialog.revoke()
    assert dialog.rows[0].revoked_at is not None


def test_a_release_is_in_force_until_the_end_of_its_last_day_in_the_practices_zone(
    record_practice: RecordPractice, qtbot: QtBot
) -> None:
    services = record_practice.as_user("carla")
    new = NewReleaseDialog(services, record_practice.casey)
    qtbot.addWidget(new)
    new.recipient.setText("Dr. Lee")
    new.purpose.setText("Continuity of care")
    new.expires_on.setDate(new.signed_on.date().addDays(1))  # 3 March 2026
    new.submit()
    assert new.release is not None
    # 23:30 on 3 March in Chicago is already 4 March in UTC.
    late = datetime(2026, 3, 4, 5, 30, tzinfo=UTC)
    services.clock.advance((late - services.clock.now()).total_seconds())  # type: ignore[attr-defined]
    services = record_practice.as_user("carla")  # a fresh sign-in at that hour
    dialog = ReleasesDialog(services, record_practice.casey)
    qtbot.addWidget(dialog)
    assert dialog.table.item(0, 5).text() == "In force"


def test_the_client_signs_a_release_on_screen(
    record_practice: RecordPractice, qtbot: QtBot
) -> None:
    services = record_practice.as_user("carla")
    new = NewReleaseDialog(services, record_practice.casey)
    qtbot.addWidget(new)
    new.recipient.setText("Dr. Lee, Lakeside Psychiatry")
    new.purpose.setText("Continuity of care")
    new.submit()
    assert new.release is not None and new.release.form_type is None
    releases = ReleasesDialog(services, record_practice.casey)
    qtbot.addWidget(releases)
    releases.table.selectRow(0)
    assert releases.sign_button.isEnabled() and not releases.view_button.isEnabled()
    dialog = SignReleaseDialog(services, new.release)
    qtbot.addWidget(dialog)
    assert not dialog.sign_button.isEnabled()  # nothing signed yet
    dialog.show()
    # Signed with the mouse, as a client would.
    qtbot.mousePress(dialog.pad, Qt.MouseButton.LeftButton, pos=QPoint(40, 100))
    for x, y in ((90, 40), (130, 110), (190, 50), (240, 105), (380, 70)):
        qtbot.mouseMove(dialog.pad, QPoint(x, y))
    qtbot.mouseRelease(dialog.pad, Qt.MouseButton.LeftButton, pos=QPoint(380, 70))
    if dialog.pad.is_blank():  # offscreen platforms may drop moves without a button
        dialog.pad.add_stroke([QPointF(x, y) for x, y in ((40, 100), (130, 110), (380, 70))])
    assert dialog.sign_button.isEnabled()
    shot(dialog, "release-sign-on-screen", (640, 600))
    dialog.pad.clear()
    assert not dialog.sign_button.isEnabled()
    dialog.pad.add_stroke([QPointF(40, 100), QPointF(120, 40), QPointF(300, 90)])
    dialog.sign_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.signed is not None and dialog.signed.form_type == "application/pdf"
    releases.refresh()
    releases.table.selectRow(0)
    assert releases.table.item(0, 6).text() == "PDF" and releases.view_button.isEnabled()


def test_the_accounting_and_the_superbill_dialogs(
    record_practice: RecordPractice, qtbot: QtBot, tmp_path: Path
) -> None:
    services = record_practice.as_user("carla")
    services.records.export(
        record_practice.casey,
        record_export.RecordRequest(
            to=record_export.DisclosureBasis(
                legal_basis=LegalBasis.TREATMENT, recipient="Lakeside Hospital", purpose="Admission"
            )
        ),
        record_export.Delivery.PRINTED,
    )
    accounting = DisclosuresDialog(services, record_practice.casey)
    qtbot.addWidget(accounting)
    assert accounting.table.rowCount() == 1
    shot(accounting, "accounting-dialog", (1000, 300))
    services = record_practice.as_user("frank")
    bill = SuperbillDialog(services, record_practice.casey)
    qtbot.addWidget(bill)
    bill.last_month()
    assert bill.table.rowCount() == 3
    # The practice's local time (America/Chicago), as the schedule and the PDF say it.
    assert bill.table.item(0, 0).text() == "2026-02-16 10:00"
    shot(bill, "superbill-dialog", (640, 380))
    bill.output.message = lambda text: None
    bill.output.choose_file = lambda suggested: tmp_path / "superbill.pdf"
    bill.pdf_button.click()
    wait(qtbot, bill.output)
    assert (tmp_path / "superbill.pdf").read_bytes().startswith(b"%PDF-")


def test_the_front_desk_prints_the_schedule_shown(
    record_practice: RecordPractice, qtbot: QtBot, tmp_path: Path
) -> None:
    services = record_practice.as_user("frank")
    view = ScheduleView(services)
    qtbot.addWidget(view)
    view.show_for_role()
    assert view.print_button.isEnabled()
    view.output.message = lambda text: None
    view.output.choose_file = lambda suggested: tmp_path / "week.pdf"
    view.save_schedule()
    wait(qtbot, view.output)
    assert (tmp_path / "week.pdf").read_bytes().startswith(b"%PDF-")
    shot(view, "schedule-view-print", (1100, 700))


def test_the_owner_reviews_emergency_access_in_its_own_place(
    record_practice: RecordPractice, qtbot: QtBot
) -> None:
    services = record_practice.as_user("carla")
    services.emergency.request_access(
        record_practice.chart.robin, ReasonCategory.COVERING, "Dev is away this week."
    )
    services = record_practice.as_user("owner")
    workspace = Workspace(services)
    qtbot.addWidget(workspace)
    workspace.show_for(SignedIn(services.session.current_user(), False, False, 10))
    assert "emergency" in workspace.visible_places()
    workspace.go_to("emergency")
    view = workspace.emergency
    assert isinstance(view, EmergencyReviewView) and view.table.rowCount() == 1
    view.table.selectRow(0)
    assert view.reason.text() == "Reason given: Dev is away this week."
    shot(workspace, "emergency-review", (1100, 560))
    view.acknowledge_selected()
    assert view.table.item(0, 5).text().endswith("by Olive Owner")
    view.events_button.click()
    assert workspace.stack.currentWidget() is workspace.audit
    workspace.clear()
    assert view.table.rowCount() == 0


def test_the_records_menu_offers_each_role_what_it_may_do(
    record_practice: RecordPractice, qtbot: QtBot
) -> None:
    services = record_practice.as_user("carla")
    chart = ChartView(services)
    qtbot.addWidget(chart)
    assert chart.open(record_practice.casey)
    items = [a.text() for a in chart.records_menu.menu().actions() if a.text()]
    assert "Give the &client their record…" in items and "Su&perbill…" in items
    assert not any("opened" in i for i in items)
    shot(chart, "chart-with-records-menu", (1200, 700))
    services = record_practice.as_user("owner")
    chart.clear()
    assert chart.open(record_practice.casey)
    items = [a.text() for a in chart.records_menu.menu().actions() if a.text()]
    assert "&Who opened this chart" in items
    services = record_practice.as_user("frank")
    form = ClientDialog(services, record_practice.casey)
    qtbot.addWidget(form)
    assert form.records_menu is not None
    items = [a.text() for a in form.records_menu.menu().actions() if a.text()]
    assert items == ["Su&perbill…"]
    shot(form, "client-form-records", (700, 560))


def test_settings_billing_tab_saves_fees_and_identifiers(
    record_practice: RecordPractice, qtbot: QtBot
) -> None:
    services = record_practice.as_user("owner")
    tab = BillingTab(services)
    qtbot.addWidget(tab)
    assert tab.practice_fields["npi"].text() == "1234567893"
    tab.fees.item(3, 2).setText("205")  # 90837
    tab.practice_fields["tax_id"].setText("12-34")
    tab.save()
    assert "EIN" in tab.problem.text()
    tab.practice_fields["tax_id"].setText("123456789")
    tab.save()
    assert tab.problem.text() == "Saved."
    assert services.superbills.billing_settings().fees["90837"] == 205_00
    assert tab.practice_fields["tax_id"].text() == "12-3456789"
    shot(tab, "settings-billing", (760, 720))
