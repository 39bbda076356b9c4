"""Progress notes: drafts, autosave, signing with the password, the lock a signature
puts on a note (in the service and in the database itself), addenda, limits."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ehrdesk.core.chart import MAX_TEXT_CHARS, NoteSection, NoteStart, NoteStatus
from ehrdesk.core.errors import (
    AuthenticationFailed,
    ConcurrentEditError,
    InvalidInput,
    PermissionDenied,
)
from ehrdesk.services.registry import Services
from tests.chart_support import CLINICIAN_PASSWORD, ChartPractice, add_appointment, start_at

SOAP = 1


def write(services: Services, note, **texts: str):  # type: ignore[no-untyped-def]
    sections = [NoteSection(s.key, s.label, texts.get(s.key, s.text)) for s in note.sections]
    return services.notes.save_draft(note, sections)


def audit_actions(services: Services) -> list[str]:
    return [e.action for e in services.audit.events(limit=10_000)]


def test_the_three_templates_are_there(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    names = [t.name for t in services.notes.templates()]
    assert names[:3] == ["SOAP", "DAP", "BIRP"]
    soap = services.notes.templates()[0]
    assert [f.label for f in soap.fields] == ["Subjective", "Objective", "Assessment", "Plan"]
    assert all(f.prompt for f in soap.fields)


def test_a_draft_is_saved_and_read_back(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    note = services.notes.start_note(chart_practice.casey, SOAP, start_at(services))
    assert note.status is NoteStatus.DRAFT
    assert [s.text for s in note.sections] == ["", "", "", ""]
    saved = write(services, note, subjective="Slept better this week.")
    assert saved.row_version == note.row_version + 1
    again = services.notes.note(note.id)
    assert again.sections[0].text == "Slept better this week."
    assert [n.note_id for n in services.charts.unsigned_notes()] == [note.id]


def test_signing_locks_the_note(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    note = write(
        services,
        services.notes.start_note(chart_practice.casey, SOAP, start_at(services)),
        subjective="Reports less worry.",
    )
    signed = services.notes.sign_note(note, CLINICIAN_PASSWORD)
    assert signed.status is NoteStatus.SIGNED
    assert signed.signed_by_name == "Carla"
    assert signed.signed_at == services.clock.now().replace(microsecond=0)
    assert services.charts.unsigned_notes() == []

    with pytest.raises(InvalidInput, match="addendum"):
        write(services, signed, subjective="changed")
    with pytest.raises(InvalidInput, match="never deleted"):
        services.notes.discard_draft(signed)
    with pytest.raises(InvalidInput, match="already signed"):
        services.notes.sign_note(signed, CLINICIAN_PASSWORD)
    assert services.notes.note(note.id).sections[0].text == "Reports less worry."
    assert "note_signed" in audit_actions(chart_practice.as_user("owner"))


def test_the_database_itself_refuses_to_change_a_signed_note(
    chart_practice: ChartPractice,
) -> None:
    services = chart_practice.as_user("carla")
    note = write(
        services,
        services.notes.start_note(chart_practice.casey, SOAP, start_at(services)),
        plan="Continue weekly.",
    )
    services.notes.sign_note(note, CLINICIAN_PASSWORD)
    conn = services.session.database.conn
    for sql in (
        "UPDATE progress_note SET sections = '[]' WHERE id = ?",
        "UPDATE progress_note SET status = 'draft', signed_by = NULL, signed_at = NULL "
        "WHERE id = ?",
        "DELETE FROM progress_note WHERE id = ?",
    ):
        with pytest.raises(Exception, match="signed note is never"):
            conn.execute(sql, (note.id,))
    services.notes.add_addendum(services.notes.note(note.id), "Correction.", CLINICIAN_PASSWORD)
    for sql in ("UPDATE note_addendum SET body = 'x'", "DELETE FROM note_addendum"):
        with pytest.raises(Exception, match="addendum is never"):
            conn.execute(sql)
    draft = services.notes.start_note(chart_practice.casey, SOAP, start_at(services))
    with pytest.raises(Exception, match="corrects a signed note"):
        conn.execute(
            "INSERT INTO note_addendum (note_id, author_id, body, signed_at) "
            "VALUES (?, 1, 'x', 't')",
            (draft.id,),
        )


def test_addenda_are_signed_and_kept_in_order(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    note = write(
        services,
        services.notes.start_note(chart_practice.casey, SOAP, start_at(services)),
        assessment="Mild symptoms.",
    )
    signed = services.notes.sign_note(note, CLINICIAN_PASSWORD)
    with pytest.raises(InvalidInput, match="addenda are for signed notes"):
        services.notes.add_addendum(
            services.notes.start_note(chart_practice.casey, SOAP, start_at(services)),
            "x",
            CLINICIAN_PASSWORD,
        )
    with pytest.raises(InvalidInput, match="write the addendum"):
        services.notes.add_addendum(signed, "   ", CLINICIAN_PASSWORD)
    first = services.notes.add_addendum(signed, "Date of onset was May.", CLINICIAN_PASSWORD)
    services.clock.advance(60)
    second = services.notes.add_addendum(first, "Spoke to GP.", CLINICIAN_PASSWORD)
    assert [a.text for a in second.addenda] == ["Date of onset was May.", "Spoke to GP."]
    assert all(a.author_name == "Carla" for a in second.addenda)
    assert second.addenda[1].signed_at > second.addenda[0].signed_at
    assert second.sections == signed.sections  # the note itself is untouched


def test_a_wrong_password_is_refused_counted_and_signs_nothing(
    chart_practice: ChartPractice,
) -> None:
    services = chart_practice.as_user("carla")
    note = write(
        services,
        services.notes.start_note(chart_practice.casey, SOAP, start_at(services)),
        data="x",
        subjective="Some text.",
    )
    with pytest.raises(AuthenticationFailed) as refused:
        services.notes.sign_note(note, "not my password")
    assert refused.value.message == "That password is not right."
    assert services.notes.note(note.id).status is NoteStatus.DRAFT
    assert services.auth.throttle_status("carla").failures == 1
    signed = services.notes.sign_note(note, CLINICIAN_PASSWORD)
    assert signed.signed
    assert services.auth.throttle_status("carla").failures == 0
    with pytest.raises(AuthenticationFailed):
        services.notes.add_addendum(signed, "x", "wrong again")
    assert services.auth.throttle_status("carla").failures == 1
    assert services.notes.note(note.id).addenda == ()


def test_only_the_author_changes_or_signs_a_note(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    note = write(
        services,
        services.notes.start_note(chart_practice.casey, SOAP, start_at(services)),
        subjective="Words.",
    )
    services = chart_practice.as_user("owner")
    assert services.notes.note(note.id).sections[0].text == "Words."  # the supervisor reads
    with pytest.raises(PermissionDenied, match="Only the clinician who wrote"):
        write(services, note, subjective="Owner's words.")
    with pytest.raises(PermissionDenied):
        services.notes.sign_note(note, chart_practice.practice.passwords["owner"])
    with pytest.raises(PermissionDenied):
        services.notes.discard_draft(note)
    assert "note_change_refused" in audit_actions(services)


def test_a_note_in_the_future_is_refused(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    tomorrow = NoteStart(services.clock.now() + timedelta(days=1), 50, "90834", "Office")
    with pytest.raises(InvalidInput) as refused:
        services.notes.start_note(chart_practice.casey, SOAP, tomorrow)
    assert refused.value.message == "A note cannot be dated in the future."
    note = services.notes.start_note(chart_practice.casey, SOAP, start_at(services))
    with pytest.raises(InvalidInput, match="future"):
        services.notes.save_draft(note, list(note.sections), tomorrow)


def test_a_ten_megabyte_paste_is_refused_and_the_draft_keeps_what_it_had(
    chart_practice: ChartPractice,
) -> None:
    services = chart_practice.as_user("carla")
    note = write(
        services,
        services.notes.start_note(chart_practice.casey, SOAP, start_at(services)),
        subjective="What was there before.",
    )
    with pytest.raises(InvalidInput) as refused:
        write(services, note, subjective="pasted " * (10 * 1024 * 1024 // 7))
    assert "too long" in refused.value.message and "nothing was lost" in refused.value.message
    assert refused.value.message.count(".") == 1  # one sentence
    kept = services.notes.note(note.id)
    assert kept.sections[0].text == "What was there before."
    assert kept.row_version == note.row_version
    write(services, note, subjective="x" * MAX_TEXT_CHARS)  # the limit itself is fine


def test_start_from_last_note_copies_structure_never_content(
    chart_practice: ChartPractice,
) -> None:
    services = chart_practice.as_user("carla")
    dap = next(t for t in services.notes.templates() if t.name == "DAP")
    first = services.notes.start_note(chart_practice.casey, dap.id, start_at(services, 30))
    first = write(services, first, data="Private words of the last session.")
    services.notes.sign_note(first, CLINICIAN_PASSWORD)
    second = services.notes.start_from_last_note(chart_practice.casey, start_at(services, 1))
    assert second.template_name == "DAP"
    assert [(s.key, s.label) for s in second.sections] == [(s.key, s.label) for s in first.sections]
    assert all(s.text == "" for s in second.sections)
    services = chart_practice.as_user("dev")
    with pytest.raises(PermissionDenied):  # not dev's client
        services.notes.start_from_last_note(chart_practice.casey, start_at(services))


def test_start_from_last_note_needs_a_last_note(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    with pytest.raises(InvalidInput, match="no earlier note"):
        services.notes.start_from_last_note(chart_practice.casey, start_at(services))


def test_a_note_starts_from_its_appointment(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    starts = (services.clock.now() - timedelta(hours=3)).replace(microsecond=0)
    appointment = add_appointment(
        services, chart_practice.casey, chart_practice.ids["carla"], starts, minutes=60
    )
    note = services.notes.start_from_appointment(appointment, SOAP)
    assert note.appointment_id == appointment
    assert note.service_at == starts
    assert note.duration_minutes == 60
    assert note.cpt_code == "90837"
    assert note.location == "Room 2"
    assert services.notes.start_from_appointment(appointment, SOAP).id == note.id


def test_discarding_a_draft_removes_it(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    note = services.notes.start_note(chart_practice.casey, SOAP, start_at(services))
    services.notes.discard_draft(note)
    assert services.charts.unsigned_notes() == []


def test_autosaves_are_audited_once_a_quarter_hour(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    note = services.notes.start_note(chart_practice.casey, SOAP, start_at(services))
    for i in range(20):
        services.clock.advance(5)
        note = write(services, note, subjective=f"typing {i}")
    services.clock.advance(16 * 60)
    write(services, note, subjective="later")
    services = chart_practice.as_user("owner")
    events = [
        e.action
        for e in services.audit.events(limit=10_000)
        if e.object_type == "progress_note" and e.object_id == str(note.id)
    ]
    assert events == ["note_created", "note_draft_saved"]


def test_an_empty_note_cannot_be_signed(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    note = services.notes.start_note(chart_practice.casey, SOAP, start_at(services))
    with pytest.raises(InvalidInput, match="empty note"):
        services.notes.sign_note(note, CLINICIAN_PASSWORD)


def test_practice_templates_with_fields_and_prompts(chart_practice: ChartPractice) -> None:
    from ehrdesk.core.chart import TemplateField

    services = chart_practice.as_user("owner")
    template = services.notes.add_template(
        "Couples",
        [
            TemplateField("", "Presenting dynamic", "What each partner brought today."),
            TemplateField("", "Interventions", "What you tried."),
        ],
    )
    assert [f.key for f in template.fields] == ["presenting_dynamic", "interventions"]
    with pytest.raises(InvalidInput, match="already exists"):
        services.notes.add_template("Couples", [TemplateField("", "A", "")])
    with pytest.raises(InvalidInput, match="built-in"):
        services.notes.update_template(services.notes.templates()[0], [TemplateField("", "A", "")])
    retired = services.notes.update_template(template, list(template.fields), active=False)
    assert "Couples" not in [t.name for t in services.notes.templates()]
    with pytest.raises(ConcurrentEditError):
        services.notes.update_template(template, list(template.fields))
    assert retired.row_version == template.row_version + 1
    services = chart_practice.as_user("carla")
    with pytest.raises(PermissionDenied):
        services.notes.add_template("Mine", [TemplateField("", "A", "")])
