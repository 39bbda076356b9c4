"""A synthetic practice at any size: clients, clinicians, rooms, weekly courses of
appointments with no-shows and cancellations, a waitlist, and the charts: a progress
note for every appointment that took place (signed, or still a draft), PHQ-9 and GAD-7
along each course, and diagnoses after each intake (services/chart_demo.py).

The bulk path writes the same rows the services write (through the same
repositories) and the same audit events, chained by the same HMAC, so
`ehrdesk check` verifies the log afterwards. The practice is simulated week by week:
new clients arrive and are booked into a clinician's free weekly slot (an intake,
then a weekly or fortnightly series); appointments that have happened are checked
in and completed, missed or cancelled, and what the clinician wrote about each session
is written in the week it happened. Audit events are written in time order. On
request, one long-term client (seen twice a week for years, before and during the
simulated period) has a chart of a given number of notes: the chart the benchmark
suite opens.

Seeded and deterministic: the same seed, size, "now" and GENERATOR_VERSION give the
same practice, so the benchmark suite can cache a generated practice by them. The
charts and the long-term client draw from random streams of their own, so adding them
left the schedule of a seed as it was. Any change to what is generated bumps
GENERATOR_VERSION.

Only a demo vault is filled (`vault.json` says demo): synthetic data never goes
into a real practice.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
import os
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ehrdesk.core.errors import InvalidInput, UserCancelled
from ehrdesk.core.front_desk import (
    WEEKDAY_CODES,
    AppointmentStatus,
    CancelledBy,
    ClientDraft,
    ClientStatus,
    Repeat,
    WaitlistDraft,
)
from ehrdesk.core.models import Role, User, UserStatus
from ehrdesk.core.recurrence import from_local, rule_text
from ehrdesk.services import synthetic_people as people
from ehrdesk.services.chart_demo import ChartHistory, Visit
from ehrdesk.services.notes import default_cpt
from ehrdesk.services.registry import Services
from ehrdesk.services.schedule_rules import practice_zone
from ehrdesk.storage.appointments import AppointmentRepository, NewAppointment
from ehrdesk.storage.audit import AuditRecord
from ehrdesk.storage.clients import ClientRepository
from ehrdesk.storage.users import UserRepository
from ehrdesk.storage.waitlist import WaitlistRepository

GENERATOR_VERSION = 2
DEFAULT_SEED = 20260302
#: Weekly slots of every clinician: Monday to Friday, these local hours.
SLOT_HOURS = (9, 10, 11, 13, 14, 15, 16, 17)
SLOTS = [(day, hour) for day in range(5) for hour in SLOT_HOURS]
#: Appointments a clinician is aimed to see in a week (of 40 slots).
TARGET_WEEKLY_LOAD = 30
#: Mean appointments per client: an intake and a course of about a dozen sessions
#: (100,000 clients then hold about 1.3 million appointments and a million notes).
MEAN_PER_CLIENT = 14
#: Events (and the rows they describe) written per transaction: fewer, larger commits
#: write each page of the audit log's indexes once instead of many times.
FLUSH_EVENTS = 200_000
#: The page cache while generating (KiB): the audit log's indexes of a large practice
#: are hundreds of megabytes, inserted into at many places; the session's own size
#: comes back afterwards.
GENERATION_CACHE_KIB = 256 * 1024
ROOM_COUNT_PER_CLINICIANS = 1  # every clinician has a room of their own

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class DemoReport:
    clients: int
    appointments: int
    clinicians: int
    audit_events: int
    waitlist: int
    notes: int = 0
    draft_notes: int = 0
    measures: int = 0
    diagnoses: int = 0


@dataclass
class _Pending:
    """Rows and events waiting for the next transaction."""

    clients: list[tuple[int, ClientDraft, datetime]] = field(default_factory=list)
    appointments: list[NewAppointment] = field(default_factory=list)
    series: list[tuple[int, str, str, str, str, int]] = field(default_factory=list)
    events: list[AuditRecord] = field(default_factory=list)


def clinician_count(patients: int, weeks: int) -> int:
    return max(2, math.ceil(patients * MEAN_PER_CLIENT / (max(1, weeks) * TARGET_WEEKLY_LOAD)))


class _Generator:
    def __init__(self, services: Services, patients: int, years: float, seed: int) -> None:
        self.services = services
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, seeded on purpose
        self.seed = seed
        conn = services.session.database.conn
        self.tz: ZoneInfo = practice_zone(conn)
        now = services.clock.now()
        self.now = now
        today = now.astimezone(self.tz).date()
        self.today = today
        first = today - timedelta(days=round(years * 365.25))
        self.first_monday = first - timedelta(days=first.weekday())
        self.past_weeks = (today - self.first_monday).days // 7 + 1
        self.patients = patients
        users = UserRepository(conn)
        self.owner = services.session.current_user()
        found = {u.username: u for u in users.all()}
        self.desk = found.get("desk", self.owner)
        self.clinicians: list[User] = [u for u in found.values() if u.role is Role.CLINICIAN]
        self.next_client = ClientRepository(conn).next_id()
        self.next_appointment = AppointmentRepository(conn).next_id()
        self.next_series = int(
            conn.execute("SELECT coalesce(max(id), 0) + 1 FROM appointment_series").fetchone()[0]
        )
        self.pending = _Pending()
        self.later_events: dict[int, list[AuditRecord]] = defaultdict(list)
        self.counts = {"clients": 0, "appointments": 0, "events": 0, "waitlist": 0}
        self.week = 0  # the week being simulated
        self.charts = ChartHistory(
            conn,
            rng=random.Random(f"{seed}-charts"),  # noqa: S311 - seeded on purpose
            now=now,
            week_of=self._week_of,
            event=self._event,
        )

    # Set-up ---------------------------------------------------------------------------

    def staff(self) -> None:
        """Enough clinicians for the load, each with a room of their own. Generated
        clinicians have no key slot: they appear in the schedule but cannot sign in."""
        wanted = clinician_count(self.patients, self.past_weeks)
        start = self._at(self.first_monday, 8)
        with self.services.session.transaction() as tx:
            users = UserRepository(tx.conn)
            taken = set(users.usernames())
            while len(self.clinicians) < wanted:
                first = self.rng.choice(people.FIRST_NAMES)
                last = self.rng.choice(people.LAST_NAMES)
                username = f"dr{len(self.clinicians) + 1:03d}"
                if username in taken:
                    continue
                user = users.add(
                    username=username,
                    full_name=f"{first} {last}",
                    role=Role.CLINICIAN,
                    totp_secret="",
                    recovery_salt=os.urandom(16),
                    now=start,
                )
                tx.audit_many(
                    [
                        AuditRecord(
                            start, "user_added", self.owner, "user", str(user.id), "clinician"
                        )
                    ]
                )
                self.clinicians.append(user)
            repo = AppointmentRepository(tx.conn)
            rooms = repo.rooms()
            while len(rooms) < len(self.clinicians) * ROOM_COUNT_PER_CLINICIANS:
                room = repo.add_room(f"Room {len(rooms) + 1}")
                tx.audit_many([AuditRecord(start, "room_added", self.owner, "room", str(room.id))])
                rooms = repo.rooms()
        self.clinicians = [c for c in self.clinicians if c.status is UserStatus.ACTIVE]
        self.rooms = [r.id for r in rooms]
        # Every weekly slot of every clinician, by the week it is next free (a random
        # tie-break spreads new clients over clinicians and hours).
        self.free_slots = [
            (0, self.rng.random(), c, s)
            for c in range(len(self.clinicians))
            for s in range(len(SLOTS))
        ]
        heapq.heapify(self.free_slots)

    # Helpers --------------------------------------------------------------------------

    def _at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return from_local(datetime.combine(day, time(hour, minute)), self.tz)

    def _week_of(self, at: datetime) -> int:
        return (at.astimezone(self.tz).date() - self.first_monday).days // 7

    def _event(
        self, at: datetime, action: str, actor: User, kind: str, oid: int, reason: str | None = None
    ) -> None:
        record = AuditRecord(at, action, actor, kind, str(oid), reason)
        self.later_events[max(self.week, self._week_of(at))].append(record)

    # One client's course of treatment -----------------------------------------------

    def _free_slot(self, week: int) -> tuple[int, int] | None:
        """A clinician and weekly slot free from `week` on, or None."""
        if not self.free_slots or self.free_slots[0][0] > week:
            return None
        _, _, c, slot = heapq.heappop(self.free_slots)
        return c, slot

    def arrive(self, week: int) -> bool:
        """One new client this week; False if every slot is taken (they wait)."""
        found = self._free_slot(week + 1)
        monday = self.first_monday + timedelta(weeks=week)
        rng = self.rng
        if found is None:
            return False
        c, slot = found
        clinician = self.clinicians[c]
        weekday, hour = SLOTS[slot]
        created = self._at(
            monday + timedelta(days=rng.randrange(5)), rng.randint(9, 16), rng.randrange(60)
        )
        created = min(created, self.now - timedelta(minutes=rng.randint(1, 600)))
        cid = self.next_client
        self.next_client += 1
        draft = people.client_draft(self.rng, self.today, clinician.id)
        sessions = max(2, min(40, int(rng.expovariate(1 / (MEAN_PER_CLIENT - 1)))))
        interval = 2 if rng.random() < 0.3 else 1
        telehealth = rng.random() < 0.15
        first_day = monday + timedelta(weeks=1, days=weekday)
        end_week = week + 1 + sessions * interval + 1
        heapq.heappush(self.free_slots, (end_week, rng.random(), c, slot))
        if end_week < self.past_weeks - 26 and rng.random() < 0.8:
            draft = _with_status(
                draft, rng.choice((ClientStatus.DISCHARGED, ClientStatus.INACTIVE))
            )
        self.pending.clients.append((cid, draft, created))
        self.counts["clients"] += 1
        self._event(created, "client_created", self.desk, "client", cid)
        # The intake, once; then the course as one series.
        self._appointment(
            clinician, cid, "intake", self._at(first_day, hour), 60, None, created, c, number=0
        )
        sid = self.next_series
        self.next_series += 1
        course_start = first_day + timedelta(weeks=interval)
        repeat = Repeat(interval_weeks=interval, count=sessions)
        self.pending.series.append(
            (
                sid,
                rule_text(repeat),
                f"{course_start}T{hour:02d}:00:00",
                self.tz.key,
                _text(created),
                self.desk.id,
            )
        )
        kind = "telehealth" if telehealth else "individual"
        for n in range(sessions):
            day = course_start + timedelta(weeks=n * interval)
            self._appointment(
                clinician, cid, kind, self._at(day, hour), 50, sid, created, c, number=n + 1
            )
        if draft.status is not ClientStatus.ACTIVE:
            self._event(
                self._at(self.first_monday + timedelta(weeks=end_week, days=1), 10),
                "client_updated",
                self.desk,
                "client",
                cid,
                "status",
            )
        return True

    def _appointment(
        self,
        clinician: User,
        client_id: int,
        kind: str,
        starts: datetime,
        minutes: int,
        series_id: int | None,
        booked_at: datetime,
        c: int,
        *,
        number: int,
        attends: bool = False,
    ) -> None:
        """One appointment (the `number`th of its course, 0 for the first); one that
        took place goes to the chart step. `attends`: it took place if it is past."""
        rng = self.rng
        aid = self.next_appointment
        self.next_appointment += 1
        ends = starts + timedelta(minutes=minutes)
        status = AppointmentStatus.BOOKED
        cancelled_by, late, changed_at, changed_by = None, False, None, None
        if ends <= self.now:
            roll = 0.0 if attends else rng.random()
            if roll < 0.82:
                status, changed_at, changed_by = AppointmentStatus.COMPLETED, ends, clinician
                self._event(
                    starts - timedelta(minutes=5),
                    "appointment_checked_in",
                    self.desk,
                    "appointment",
                    aid,
                )
            elif roll < 0.88:
                status, changed_at, changed_by = (
                    AppointmentStatus.NO_SHOW,
                    starts + timedelta(minutes=15),
                    self.desk,
                )
            else:
                status, changed_by = AppointmentStatus.CANCELLED, self.desk
                cancelled_by = CancelledBy.CLIENT if roll < 0.96 else CancelledBy.PRACTICE
                late = cancelled_by is CancelledBy.CLIENT and rng.random() < 0.4
                ahead = (
                    timedelta(hours=rng.randint(2, 20))
                    if late
                    else timedelta(days=rng.randint(2, 9))
                )
                changed_at = max(booked_at + timedelta(minutes=5), starts - ahead)
                late = late and starts - changed_at < timedelta(hours=24)
        self.pending.appointments.append(
            NewAppointment(
                id=aid,
                clinician_id=clinician.id,
                client_id=client_id,
                type_code=kind,
                starts_at=starts,
                ends_at=ends,
                room_id=None if kind == "telehealth" else self.rooms[c % len(self.rooms)],
                location="",
                telehealth_link="https://meet.example.org/ehrdesk-demo"
                if kind == "telehealth"
                else "",
                series_id=series_id,
                override_reason=None,
                created_at=booked_at,
                created_by=self.desk.id,
                status=status,
                cancelled_by=cancelled_by,
                late_cancel=late,
                status_changed_at=changed_at,
                status_changed_by=None if changed_by is None else changed_by.id,
            )
        )
        self.counts["appointments"] += 1
        self._event(booked_at, "appointment_booked", self.desk, "appointment", aid)
        if changed_at is not None and changed_by is not None:
            action = {
                AppointmentStatus.COMPLETED: "appointment_completed",
                AppointmentStatus.NO_SHOW: "appointment_no_show",
                AppointmentStatus.CANCELLED: "appointment_cancelled",
            }[status]
            reason = None
            if cancelled_by is not None:
                reason = cancelled_by.value + (",late" if late else "")
            self._event(changed_at, action, changed_by, "appointment", aid, reason)
        if status is AppointmentStatus.COMPLETED:
            self.charts.took_place(
                Visit(
                    appointment_id=aid,
                    client_id=client_id,
                    clinician=clinician,
                    type_code=kind,
                    starts=starts,
                    ends=ends,
                    cpt_code=default_cpt(kind, minutes),
                    location="Telehealth (client at home)" if kind == "telehealth" else "Office",
                    number=number,
                )
            )

    # The simulation -----------------------------------------------------------------

    def long_chart(self, notes: int) -> None:
        """One client seen twice a week (Mondays and Thursdays at 8:00, before every
        clinician's weekly slots, so nothing collides) up to yesterday, long enough to
        have `notes` notes: a chart of years, as the benchmarks open it. Their own
        random stream: the rest of the practice is the same with or without them."""
        rng = random.Random(f"{self.seed}-long-chart")  # noqa: S311 - seeded on purpose
        c = next((i for i, u in enumerate(self.clinicians) if u.username == "clinician"), 0)
        clinician = self.clinicians[c]
        days: list[date] = []
        day = self.today - timedelta(days=1)
        while len(days) < notes:
            if day.weekday() in (0, 3):
                days.append(day)
            day -= timedelta(days=1)
        days.reverse()
        number = {d: n for n, d in enumerate(days)}
        created = self._at(days[0] - timedelta(days=10), 11)
        self.week = self._week_of(created)
        cid = self.next_client
        self.next_client += 1
        self.pending.clients.append(
            (cid, people.client_draft(rng, self.today, clinician.id), created)
        )
        self.counts["clients"] += 1
        self._event(created, "client_created", self.desk, "client", cid)
        for weekday in (0, 3):
            series = [d for d in days if d.weekday() == weekday]
            sid = self.next_series
            self.next_series += 1
            repeat = Repeat(interval_weeks=1, count=len(series))
            self.pending.series.append(
                (
                    sid,
                    rule_text(repeat),
                    f"{series[0]}T08:00:00",
                    self.tz.key,
                    _text(created),
                    self.desk.id,
                )
            )
            for d in series:
                self._appointment(
                    clinician,
                    cid,
                    "individual",
                    self._at(d, 8),
                    50,
                    sid,
                    created,
                    c,
                    number=number[d],
                    attends=True,
                )

    def run(self, progress: Progress | None, cancelled: Callable[[], bool] | None) -> None:
        per_week = self.patients / max(1, self.past_weeks - 1)
        owed = 0.0
        waiting: list[int] = []  # weeks in which someone found no slot
        first = min([0, *self.later_events, *self.charts.weeks_queued()])
        for week in range(first, self.past_weeks):
            self.week = week
            if cancelled is not None and cancelled():
                self.flush()
                raise UserCancelled
            if week >= 0:
                owed += per_week
                arrivals = min(int(owed), self.patients - self.counts["clients"])
                owed -= arrivals
                for _ in range(arrivals):
                    if not self.arrive(week):
                        waiting.append(week)
                retry, waiting = waiting, []
                for asked in retry:
                    if self.counts["clients"] >= self.patients or not self.arrive(week):
                        waiting.append(asked)
            self.charts.write_week(week)
            self.pending.events.extend(sorted(self.later_events.pop(week, []), key=_time))
            if len(self.pending.events) >= FLUSH_EVENTS:
                self.flush()
            if progress is not None:
                progress(week - first + 1, self.past_weeks - first, self._label())
        future = [w for w in sorted(self.later_events) if w >= self.past_weeks]
        for week in future:  # nothing after "now" has happened: only bookings are there
            self.pending.events.extend(
                e for e in sorted(self.later_events.pop(week), key=_time) if e.at <= self.now
            )
        self.flush()
        self.waitlist(len(waiting))

    def _label(self) -> str:
        return (
            f"{self.counts['clients']:,} clients, {self.counts['appointments']:,} appointments, "
            f"{self.charts.counts['notes']:,} notes"
        )

    def waitlist(self, queued: int) -> None:
        """Recent clients who want another slot, and anyone who found none."""
        wanted = min(80, max(5, self.patients // 250)) + queued
        rng = self.rng
        first_recent = max(1, self.next_client - 2000)
        with self.services.session.transaction() as tx:
            repo = WaitlistRepository(tx.conn)
            next_id = int(
                tx.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM waitlist_entry").fetchone()[0]
            )
            rows, events = [], []
            for n in range(min(wanted, self.next_client - first_recent)):
                cid = rng.randrange(first_recent, self.next_client)
                at = self.now - timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 8))
                draft = WaitlistDraft(
                    client_id=cid,
                    type_code=rng.choice(("individual", "individual", "telehealth", "family")),
                    clinician_id=rng.choice([None, rng.choice(self.clinicians).id]),
                    weekdays=tuple(
                        sorted(
                            rng.sample(WEEKDAY_CODES[:5], rng.randint(0, 3)),
                            key=WEEKDAY_CODES.index,
                        )
                    ),
                    times_of_day=tuple(
                        rng.sample(("morning", "afternoon", "evening"), rng.randint(0, 2))
                    ),
                    notes=rng.choice(
                        ("", "", "Would take a cancellation at short notice.", "After school only.")
                    ),
                )
                rows.append((next_id + n, draft, at, self.desk.id))
                events.append(
                    AuditRecord(at, "waitlist_added", self.desk, "waitlist_entry", str(next_id + n))
                )
            events.sort(key=_time)
            repo.add_many(sorted(rows, key=lambda r: r[2]))
            tx.audit_many(events)
            self.counts["waitlist"] += len(rows)
            self.counts["events"] += len(events)

    def flush(self) -> None:
        pending, self.pending = self.pending, _Pending()
        if not (pending.clients or pending.appointments or pending.events):
            return
        with self.services.session.transaction() as tx:
            ClientRepository(tx.conn).add_many(pending.clients)
            tx.conn.executemany(
                "INSERT INTO appointment_series (id, rule, first_start, time_zone, created_at, "
                "created_by) VALUES (?, ?, ?, ?, ?, ?)",
                pending.series,
            )
            AppointmentRepository(tx.conn).add_many(pending.appointments)
            self.charts.insert(tx.conn)
            tx.audit_many(pending.events)
        self.counts["events"] += len(pending.events)


def _time(record: AuditRecord) -> datetime:
    return record.at


def _text(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _with_status(draft: ClientDraft, status: ClientStatus) -> ClientDraft:
    return dataclasses.replace(draft, status=status)


def fill_practice(
    services: Services,
    *,
    patients: int,
    years: float,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    long_chart_notes: int = 0,
) -> DemoReport:
    """Fill the signed-in demo practice. The owner must be signed in; a practice
    that is not a demo is refused. A cancel keeps the weeks written so far (each
    batch is whole, with its audit events) and raises UserCancelled.
    `long_chart_notes`: also one long-term client with a chart of that many notes."""
    if not services.vaults.load().demo:
        raise InvalidInput("Synthetic data goes only into a demo practice.")
    if services.session.current_user().role is not Role.OWNER:
        raise InvalidInput("The demo's owner fills the demo practice.")
    if not 1 <= patients <= 1_000_000 or not 0 < years <= 30:
        raise InvalidInput("Choose 1 to 1,000,000 clients over up to 30 years.")
    if not 0 <= long_chart_notes <= 5_000:
        raise InvalidInput("A long chart holds up to 5,000 notes.")
    generator = _Generator(services, patients, years, seed)
    conn = services.session.database.conn
    cache = int(conn.execute("PRAGMA cache_size").fetchone()[0])
    conn.execute(f"PRAGMA cache_size = -{GENERATION_CACHE_KIB}")
    try:
        generator.staff()
        if long_chart_notes:
            generator.long_chart(long_chart_notes)
        generator.run(progress, cancelled)
    finally:
        conn.execute(f"PRAGMA cache_size = {cache}")
    counts, charts = generator.counts, generator.charts.counts
    return DemoReport(
        clients=counts["clients"],
        appointments=counts["appointments"],
        clinicians=len(generator.clinicians),
        audit_events=counts["events"],
        waitlist=counts["waitlist"],
        notes=charts["notes"],
        draft_notes=charts["drafts"],
        measures=charts["measures"],
        diagnoses=charts["diagnoses"],
    )
