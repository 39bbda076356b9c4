"""The audit, incident, safeguard and security-check screens offscreen: filters and
paging, exports and printing through the one document path, Today's flags opening the
audit screen, clearing on lock, and a screenshot of each in /tmp/compliance-shots."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtGui import QPageLayout, QPageSize
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from ehrdesk.core import audit_actions as actions
from ehrdesk.core.audit_review import AuditFilter, FlagKind
from ehrdesk.core.compliance import IncidentDraft, RiskAssessment
from ehrdesk.core.models import Role
from ehrdesk.services.auth import SignedIn
from ehrdesk.services.registry import Services
from ehrdesk.ui.dialogs.activity_settings import ActivitySettingsDialog
from ehrdesk.ui.dialogs.incident_dialog import IncidentDialog
from ehrdesk.ui.printing import page_images
from ehrdesk.ui.views.incidents import FromAuditLogDialog, LetterTemplateDialog
from ehrdesk.ui.views.safeguards import AssociateDialog
from ehrdesk.ui.views.workspace import Workspace
from tests.compliance_support import SHOTS, add_client, log, user
from tests.conftest import Practice

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_modal_boxes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A message box offscreen would wait forever: record it instead, and fail."""
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()) or 0)
    yield shown
    assert shown == [], shown


def shot(widget: QWidget, name: str, size: tuple[int, int] = (1100, 720)) -> Path:
    widget.resize(*size)
    widget.show()
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    assert widget.grab().save(str(path))
    return path


@pytest.fixture
def owner(practice: Practice, add_user: Callable[..., None]) -> Services:
    add_user("carla", Role.CLINICIAN)
    add_user("frank", Role.FRONT_DESK)
    practice.sign_in()
    services = practice.services
    carla = user(services, "carla")
    for i in range(450):  # more than two pages of the table
        log(
            services,
            actions.CHART_OPENED,
            NOW - timedelta(hours=2, seconds=i * 7),
            carla,
            object_type="client",
            object_id=str(i % 40 + 1),
        )
    log(
        services,
        actions.EMERGENCY_ACCESS_GRANTED,
        NOW - timedelta(minutes=30),
        carla,
        object_type="client",
        object_id="7",
    )
    return services


@pytest.fixture
def workspace(owner: Services, qtbot: QtBot) -> Workspace:
    space = Workspace(owner)
    qtbot.addWidget(space)
    me = owner.session.current_user()
    space.show_for(SignedIn(me, False, False, 10))
    return space


def _wait(qtbot: QtBot, widget: object) -> None:
    task = widget.task  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: task is not None and task.done, timeout=20_000)


def test_today_lists_flags_and_a_flag_opens_its_events(
    workspace: Workspace, owner: Services, qtbot: QtBot
) -> None:
    owner.incidents.record(IncidentDraft("Laptop stolen", "", NOW - timedelta(days=3)))
    workspace.show_for(SignedIn(owner.session.current_user(), False, False, 10))
    texts = [
        workspace.today.attention.item(i).text() for i in range(workspace.today.attention.count())
    ]
    assert texts[0].startswith("Incident #1 “Laptop stolen”: notify by 2026-04-28 (57 days left)")
    assert any(t.startswith("Emergency access used: carla") for t in texts)
    assert any(t.startswith(FlagKind.MANY_RECORDS_OPENED.label) for t in texts)
    shot(workspace, "today-owner")
    row = next(i for i, t in enumerate(texts) if t.startswith("Emergency access used"))
    workspace.today.attention.setCurrentRow(row)
    workspace.today.attention.itemActivated.emit(workspace.today.attention.item(row))
    assert workspace.stack.currentWidget() is workspace.audit
    model = workspace.audit.model
    assert model.rowCount() == 1
    assert model.event_at(0).action == actions.EMERGENCY_ACCESS_GRANTED
    assert workspace.audit.filters.user.currentText() == "carla"
    shot(workspace, "audit-from-flag")


def test_audit_view_pages_and_filters(workspace: Workspace, owner: Services, qtbot: QtBot) -> None:
    workspace.go_to("audit")
    view = workspace.audit
    assert view.model.rowCount() == 200
    view.model.fetchMore()
    assert view.model.rowCount() == 400
    bar = view.filters
    bar.object_type.setCurrentText("client")
    bar.object_id.setText("7")
    bar.apply.click()
    shown = [view.model.event_at(r) for r in range(view.model.rowCount())]
    assert shown and {(e.object_type, e.object_id) for e in shown} == {("client", "7")}
    assert "client 7" in view.shown.text()
    bar.user.setCurrentIndex(bar.user.findText("owner"))
    bar.apply.click()
    assert view.model.rowCount() == 0
    bar.reset.click()
    assert view.model.rowCount() == 200
    shot(view, "audit-view")


def test_audit_export_csv_pdf_and_print(
    workspace: Workspace, owner: Services, qtbot: QtBot, tmp_path: Path
) -> None:
    workspace.go_to("audit")
    view = workspace.audit
    view.filters.action.setCurrentText(actions.EMERGENCY_ACCESS_GRANTED)
    view.filters.apply.click()
    messages: list[str] = []
    view.output.message = messages.append
    view.choose_csv = lambda: tmp_path / "audit.csv"
    view.export_as_csv()
    _wait(qtbot, view)
    assert (tmp_path / "audit.csv").read_text().count(actions.EMERGENCY_ACCESS_GRANTED) == 1
    view.output.choose_file = lambda suggested: tmp_path / "report"
    view.save_report()
    _wait(qtbot, view.output)
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setPageOrientation(QPageLayout.Orientation.Portrait)
    view.output.choose_printer = lambda: printer
    view.print_events()
    _wait(qtbot, view.output)
    assert messages[-1] == "Sent 1 pages to the printer."
    printed = tmp_path / "printed.pdf"
    info = subprocess.run(["pdfinfo", str(printed)], capture_output=True, text=True, check=True)
    assert "Pages:           1" in info.stdout
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "50",
            "-singlefile",
            str(printed),
            str(SHOTS / "printed-audit-report"),
        ],
        check=True,
    )
    image = page_images(printed.read_bytes(), 40)[0]
    dark = sum(
        1
        for x in range(image.width())
        for y in range(image.height())
        if image.pixelColor(x, y).lightness() < 200
    )
    assert dark > 1000  # the rasterised report is on the page, not a blank sheet
    audited = [e.action for e in owner.audit.page(AuditFilter(), limit=10)]
    assert audited[:3] == ["audit_report_printed", "audit_log_exported", "audit_log_exported"]


def test_verify_chain_runs_in_the_background(workspace: Workspace, qtbot: QtBot) -> None:
    workspace.go_to("audit")
    workspace.audit.verify_chain()
    qtbot.waitUntil(lambda: "intact" in workspace.audit.result.text(), timeout=20_000)


def test_a_verification_finishing_after_lock_is_dropped(
    workspace: Workspace, owner: Services, qtbot: QtBot
) -> None:
    workspace.go_to("audit")
    before = len(owner.audit.page(AuditFilter(actions=("audit_chain_verified",)), limit=10))
    workspace.audit.verify_chain()
    workspace.clear()  # what a lock does, while the worker is still verifying
    _wait(qtbot, workspace.audit)
    assert workspace.audit.result.text() == ""
    after = owner.audit.page(AuditFilter(actions=("audit_chain_verified",)), limit=10)
    assert len(after) == before


def test_incidents_view(
    workspace: Workspace, owner: Services, qtbot: QtBot, tmp_path: Path
) -> None:
    ids = [add_client(owner, "Ann", "Able"), add_client(owner, "Ben", "Baker")]
    incident = owner.incidents.record(
        IncidentDraft(
            "Misdirected e-mail",
            "An appointment list went to the wrong address.",
            NOW - timedelta(days=2),
            risk=RiskAssessment(nature_and_extent="Names."),
        )
    )
    owner.incidents.add_clients(incident, ids)
    workspace.go_to("incidents")
    view = workspace.incidents
    assert view.model.rowCount() == 1 and view.clients.count() == 2
    shot(view, "incidents-view")
    view.output.choose_folder = lambda: tmp_path
    view.output.message = lambda text: None
    view.save_letters()
    _wait(qtbot, view.output)
    assert sorted(p.name for p in tmp_path.glob("*.pdf")) == [
        f"Notification letter incident {incident.id} client {ids[0]}.pdf",
        f"Notification letter incident {incident.id} client {ids[1]}.pdf",
    ]
    dialog = IncidentDialog(owner.activity.practice_hours().zone, NOW, view.selected(), view)
    qtbot.addWidget(dialog)
    assert dialog.draft().title == "Misdirected e-mail"
    assert dialog.draft().risk.nature_and_extent == "Names."
    shot(dialog, "incident-dialog", (760, 900))
    template = LetterTemplateDialog(owner.incidents.letter_template(), view)
    qtbot.addWidget(template)
    shot(template, "letter-template-dialog", (700, 640))
    from_log = FromAuditLogDialog(
        [(1, "owner"), (2, "carla")], owner.activity.practice_hours().zone, view
    )
    qtbot.addWidget(from_log)
    shot(from_log, "clients-from-audit-log-dialog", (420, 200))


def test_safeguards_and_security_check_views(
    workspace: Workspace, owner: Services, qtbot: QtBot
) -> None:
    owner.safeguards.add_business_associate("FaxCloud", "Referral faxes", None, None)
    workspace.go_to("safeguards")
    view = workspace.safeguards
    view.topic.setText("Phishing")
    view.trainee.setCurrentIndex(view.trainee.findText("carla"))
    view.record_training()
    assert view.training.rowCount() == 1 and view.training.item(0, 2).text() == "Phishing"
    view.plan_roles.setPlainText("Owner leads.")
    view.plan_steps.setPlainText("Contain, assess, notify.")
    view.plan_contacts.setPlainText("Insurer 555-0100")
    view.save_plan()
    assert view.plan_version.text() == "Version 1"
    for index, name in enumerate(
        ("safeguards-training", "safeguards-associates", "safeguards-plan")
    ):
        view.tabs.setCurrentIndex(index)
        shot(view, name)
    associate = AssociateDialog(owner.safeguards.business_associates()[0], view)
    qtbot.addWidget(associate)
    shot(associate, "business-associate-dialog", (480, 260))

    workspace.go_to("security")
    check = workspace.security
    assert check.items.rowCount() == 13
    assert "need doing" in check.summary.text()
    shot(check, "security-check", (1200, 760))
    settings = ActivitySettingsDialog(owner, check)
    qtbot.addWidget(settings)
    shot(settings, "activity-settings-dialog", (560, 620))


def test_lock_clears_every_new_view(workspace: Workspace, owner: Services) -> None:
    for key in ("audit", "incidents", "safeguards", "security"):
        workspace.go_to(key)
    workspace.clear()
    assert workspace.audit.model.rowCount() == 0
    assert workspace.incidents.model.rowCount() == 0
    assert workspace.safeguards.training_due.rowCount() == 0
    assert workspace.security.items.rowCount() == 0
    assert workspace.today.attention.count() == 0


@pytest.mark.parametrize("username", ["carla", "frank"])
def test_only_the_owner_sees_the_compliance_places(
    practice: Practice, add_user: Callable[..., None], qtbot: QtBot, username: str
) -> None:
    add_user("carla", Role.CLINICIAN)
    add_user("frank", Role.FRONT_DESK)
    signed = practice.sign_in(username)
    space = Workspace(practice.services)
    qtbot.addWidget(space)
    space.show_for(signed)
    places = space.visible_places()
    assert not {"audit", "incidents", "safeguards", "security"} & set(places)
    assert space.today.attention.isHidden()
    shot(space, f"today-{username}")
