"""Client records through the service: validation, search, duplicates, audit, locking."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from ehrdesk.core.errors import ConcurrentEditError, InvalidFields, PermissionDenied
from ehrdesk.core.front_desk import ClientDraft, ClientStatus
from tests.services.front_desk_fixtures import FrontDesk


def names(desk: FrontDesk, query: str, **filters: object) -> list[str]:
    page = desk.services.clients.search(query, **filters)  # type: ignore[arg-type]
    return [row.display_name for row in page.rows]


def test_search_finds_by_name_prefix_accents_and_case(desk: FrontDesk) -> None:
    desk.client("José", "Álvarez-Núñez", preferred_name="Pepe")
    desk.client("Zoë", "O'Brien")
    desk.client("John", "Smith")
    assert names(desk, "jose") == ["Álvarez-Núñez, José (Pepe)"]
    assert names(desk, "NUNEZ") == ["Álvarez-Núñez, José (Pepe)"]
    assert names(desk, "alvareznu") == ["Álvarez-Núñez, José (Pepe)"]
    assert names(desk, "pep") == ["Álvarez-Núñez, José (Pepe)"]
    assert names(desk, "zoe obri") == ["O'Brien, Zoë"]
    assert names(desk, "o'brien") == ["O'Brien, Zoë"]
    assert names(desk, "brien") == ["O'Brien, Zoë"]
    assert names(desk, "smith zoe") == []  # every word must match the same client
    assert names(desk, "") == ["Álvarez-Núñez, José (Pepe)", "O'Brien, Zoë", "Smith, John"]


def test_search_by_date_of_birth_in_the_three_conventions(desk: FrontDesk) -> None:
    desk.client("Ana", "Lopez", date_of_birth=date(1984, 3, 7))
    desk.client("Bea", "Lopez", date_of_birth=date(1990, 7, 3))
    for typed in ("1984-03-07", "03/07/1984", "3/7/1984", "7.3.1984", "07.03.1984", "1984-03"):
        assert names(desk, typed) == ["Lopez, Ana"], typed
    assert names(desk, "3/7") == ["Lopez, Ana"]  # month first, as typed in the US
    assert names(desk, "3.7") == ["Lopez, Bea"]  # day first with dots


def test_search_by_any_run_of_phone_digits(desk: FrontDesk) -> None:
    desk.client("Ana", "Lopez", phone_mobile="(312) 555-0147")
    desk.client("Bea", "Kim", phone_home="+1 773 555 9921")
    assert names(desk, "312") == ["Lopez, Ana"]
    assert names(desk, "0147") == ["Lopez, Ana"]
    assert names(desk, "5550147") == ["Lopez, Ana"]
    assert names(desk, "555-0147") == ["Lopez, Ana"]
    assert names(desk, "555") == ["Kim, Bea", "Lopez, Ana"]
    assert names(desk, "9921 kim") == ["Kim, Bea"]


def test_search_pages_in_order_and_filters(desk: FrontDesk) -> None:
    for i in range(7):
        desk.client(
            f"Sam{i}", "Reyes", status=ClientStatus.INACTIVE if i % 2 else ClientStatus.ACTIVE
        )
    first = desk.services.clients.search("reyes", limit=3)
    second = desk.services.clients.search("reyes", limit=3, after=first.next_after)
    third = desk.services.clients.search("reyes", limit=3, after=second.next_after)
    seen = [r.display_name for p in (first, second, third) for r in p.rows]
    assert seen == [f"Reyes, Sam{i}" for i in range(7)]
    assert third.next_after is None
    assert len(names(desk, "reyes", status=ClientStatus.INACTIVE)) == 3
    desk.client("Sam9", "Reyes", assigned_clinician_id=desk.other_clinician_id)
    assert names(desk, "reyes", clinician_id=desk.other_clinician_id) == ["Reyes, Sam9"]


def test_validation_names_each_bad_field_and_saves_nothing(desk: FrontDesk) -> None:
    bad = ClientDraft(
        legal_first_name=" ",
        legal_last_name="Lopez",
        date_of_birth=date(2030, 1, 1),
        phone_mobile="12ab",
        email="not-an-address",
        admin_notes="x" * 10_000_000,  # a pasted 10 MB note
    )
    with pytest.raises(InvalidFields) as refused:
        desk.services.clients.create(bad)
    fields = refused.value.fields
    assert set(fields) == {
        "legal_first_name",
        "date_of_birth",
        "phone_mobile",
        "email",
        "admin_notes",
    }
    assert fields["date_of_birth"] == "The date of birth cannot be in the future."
    assert "at most 10,000 characters" in fields["admin_notes"]
    assert all("Lopez" not in m and "12ab" not in m for m in fields.values())
    assert desk.services.clients.search("").rows == ()


def test_phone_rules(desk: FrontDesk) -> None:
    ok = desk.client(phone_mobile="+44 20 7946 0958")
    assert ok
    for phone, why in (("12345", "7 to 15 digits"), ("1" * 16, "7 to 15"), ("555-01x7", "only")):
        with pytest.raises(InvalidFields) as refused:
            desk.client(phone_home=phone)
        assert why in refused.value.fields["phone_home"]


def test_likely_duplicates_by_name_and_birth_or_phone(desk: FrontDesk) -> None:
    first = desk.client("José", "Lopez", phone_mobile="312 555 0147")
    draft = ClientDraft(
        legal_first_name="JOSE", legal_last_name="lópez", date_of_birth=date(1984, 3, 7)
    )
    assert [d.id for d in desk.services.clients.likely_duplicates(draft)] == [first]
    by_phone = ClientDraft(
        legal_first_name="Other",
        legal_last_name="Person",
        date_of_birth=date(1970, 1, 1),
        phone_home="+1 (312) 555-0147",
    )
    assert [d.id for d in desk.services.clients.likely_duplicates(by_phone)] == [first]
    assert desk.services.clients.likely_duplicates(draft, exclude_id=first) == []


def test_open_and_changes_are_audited_without_client_data(desk: FrontDesk) -> None:
    cid = desk.client("Ana", "Lopez", phone_mobile="312 555 0147")
    overview = desk.services.clients.open(cid)
    client = overview.client
    changed = dataclasses.replace(ClientDraft.of(client), city="Evanston", email="ana@example.org")
    desk.services.clients.update(cid, client.row_version, changed)
    desk.services.clients.search("lopez")  # a search is not a view of each record
    desk.as_("owner")
    events = [e for e in desk.services.audit.events(limit=1000) if e.object_type == "client"]
    assert [(e.action, e.object_id, e.reason) for e in events] == [
        ("client_created", str(cid), None),
        ("client_viewed", str(cid), None),
        ("client_updated", str(cid), "email,city"),
    ]
    text = repr(desk.services.audit.events(limit=1000))
    for value in ("Ana", "Lopez", "0147", "Evanston", "example.org", "1984"):
        assert value not in text


def test_a_concurrent_edit_is_caught_not_overwritten(desk: FrontDesk) -> None:
    cid = desk.client()
    client = desk.services.clients.open(cid).client
    first = dataclasses.replace(ClientDraft.of(client), city="Evanston")
    second = dataclasses.replace(ClientDraft.of(client), city="Skokie")
    desk.services.clients.update(cid, client.row_version, first)
    with pytest.raises(ConcurrentEditError):
        desk.services.clients.update(cid, client.row_version, second)
    assert desk.services.clients.open(cid).client.city == "Evanston"


def test_a_clinician_reaches_only_their_own_clients(desk: FrontDesk) -> None:
    mine = desk.client("Ana", "Lopez")
    theirs = desk.client("Bea", "Kim", assigned_clinician_id=desk.other_clinician_id)
    services = desk.as_("carla")
    assert [r.id for r in services.clients.search("").rows] == [mine]
    assert services.clients.open(mine).client.id == mine
    with pytest.raises(PermissionDenied):
        services.clients.open(theirs)
    with pytest.raises(PermissionDenied):
        services.clients.search("", clinician_id=desk.other_clinician_id)
    assert [c.id for c in services.clients.clinicians()] == [desk.clinician_id]
    desk.as_("owner")
    denied = [
        (e.username, e.object_type, e.object_id)
        for e in desk.services.audit.events(limit=1000)
        if e.action == "permission_denied"
    ]
    assert denied == [
        ("carla", "client", str(theirs)),
        ("carla", "user", str(desk.other_clinician_id)),
    ]


def test_attendance_counts_on_the_client(desk: FrontDesk) -> None:
    cid = desk.client()
    overview = desk.services.clients.open(cid)
    assert (overview.no_shows, overview.late_cancels, overview.upcoming) == (0, 0, 0)
