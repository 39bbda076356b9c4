"""The chart part of the synthetic practices: a progress note for every completed
appointment, PHQ-9 and GAD-7 along the course, and diagnoses at intake, with the audit
events the chart services write for them.

`ChartHistory` is one step of the demo generator (services/demo_data.py): the
generator tells it of every appointment that took place, and, week by week, it writes
what the clinician wrote that week: the chart opened, the note created, signed hours or
days later (or still a draft when that is after "now"), the measures given and, after
an intake, the diagnoses. Rows are inserted in bulk through the repositories
(`add_history`, `add_many`), in the generator's transactions, and every note's text
goes into the full-text index as `NoteRepository.add` puts it there.

Notes read like real ones (a few sentences per heading, 1,000 to 2,500 characters),
drawn from phrase banks with a `random.Random` the caller seeds, so the same seed gives
the same practice. The banks are rendered once into pools of sentences (a fixed seed),
so a note is a handful of choices: a million notes take about a minute of text.
"""

from __future__ import annotations

import functools
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ehrdesk.core.chart import AccessBasis, NoteSection, NoteTemplate
from ehrdesk.core.measures import Instrument, score
from ehrdesk.core.models import User
from ehrdesk.storage.database import Connection
from ehrdesk.storage.diagnoses import DiagnosisRepository, HistoricalDiagnosis
from ehrdesk.storage.measures import HistoricalMeasure, MeasureRepository
from ehrdesk.storage.notes import HistoricalNote, NoteRepository

_OPENERS = (
    "Client arrived on time and engaged well throughout the session.",
    "Client attended by video from home; connection was stable.",
    "Client arrived a few minutes late, apologetic, and settled quickly.",
    "Client presented as tired but cooperative and reflective.",
)
_REPORTS = (
    "Reports sleeping {sleep} hours a night, {trend} since the last session.",
    "Describes mood this week as {mood} out of ten, with {worse} as the hardest part.",
    "Reports {count} episodes of panic this week, each lasting about {minutes} minutes.",
    "Says work has been {work}, and that {support} has been a support.",
    "Noticed rumination mostly in the evenings, especially around {worse}.",
    "Completed the thought record on {count} days and brought it to the session.",
    "Reports drinking {count} units over the week, fewer than before.",
    "Describes an argument with {support} that left them feeling {feeling} for two days.",
    "Spoke about grief for {loss}, which still comes in waves around {worse}.",
    "Avoided {avoided} twice this week and noticed the relief did not last.",
)
_OBSERVED = (
    "Appearance appropriate; good eye contact; speech normal in rate and volume.",
    "Affect {feeling} and congruent with content; thought process linear and goal-directed.",
    "No evidence of psychosis. Denies suicidal ideation, intent or plan today.",
    "Psychomotor activity within normal limits; oriented to person, place and time.",
    "Administered the {measure}; score {score}, {direction} from the last administration.",
    "Tearful when discussing {loss}; able to regulate with grounding.",
)
_ASSESSED = (
    "Symptoms of {problem} are {direction}; client is making steady progress toward goals.",
    "Continues to meet criteria for {problem}; insight is improving.",
    "Risk assessed as low; protective factors include {support} and future plans.",
    "Avoidance remains the main maintaining factor; motivation for change is good.",
    "Progress is slower than hoped; sleep disruption likely contributes to low mood.",
)
_PLANNED = (
    "Continue weekly sessions of cognitive behavioural therapy.",
    "Homework: behavioural activation schedule with {count} pleasant activities.",
    "Practise paced breathing twice a day and log panic episodes.",
    "Review the safety plan at the next session; client has crisis numbers.",
    "Next session in one week; repeat the {measure} in four weeks.",
    "Consider referral to the GP for a medication review if sleep does not improve.",
    "Introduced {technique}; client will practise it before the next session.",
    "Graded exposure: {avoided} is the next step on the hierarchy.",
)
_BANKS = {
    "subjective": _REPORTS,
    "data": _REPORTS,
    "behavior": _REPORTS,
    "objective": _OBSERVED,
    "intervention": _PLANNED,
    "response": _ASSESSED,
    "assessment": _ASSESSED,
    "plan": _PLANNED,
}
_WORDS = {
    "sleep": ("five", "six", "seven", "four to five"),
    "trend": ("a little better", "about the same", "worse", "much better"),
    "mood": ("four", "five", "six", "three"),
    "worse": ("mornings", "Sunday evenings", "meetings at work", "visits to family"),
    "count": ("two", "three", "four", "five"),
    "minutes": ("ten", "fifteen", "twenty"),
    "work": ("busy", "stressful", "manageable", "quieter"),
    "support": ("their partner", "a close friend", "their sister", "the running group"),
    "feeling": ("low", "anxious", "flat", "irritable", "brighter"),
    "measure": ("PHQ-9", "GAD-7"),
    "score": ("8", "11", "14", "6", "17"),
    "direction": ("improving", "stable", "slightly worse"),
    "problem": ("depression", "generalised anxiety", "panic disorder", "insomnia"),
    "loss": ("their father", "a friend", "the family dog", "their marriage"),
    "avoided": ("the supermarket", "driving on the motorway", "the staff canteen", "phone calls"),
    "technique": (
        "interoceptive exposure",
        "cognitive restructuring",
        "a mindfulness body scan",
        "progressive muscle relaxation",
        "stimulus control for sleep",
        "opposite action",
    ),
}
#: Sentences rendered per template of a bank: enough that no two notes read alike.
_VARIANTS = 40
#: ICD-10-CM codes made at intake, with the descriptions the code set gives them
#: (tests/services/test_demo_data.py checks them against simple-icd-10-cm).
DIAGNOSES = (
    ("F32.1", "Major depressive disorder, single episode, moderate"),
    ("F33.1", "Major depressive disorder, recurrent, moderate"),
    ("F41.1", "Generalized anxiety disorder"),
    ("F41.0", "Panic disorder [episodic paroxysmal anxiety]"),
    ("F43.10", "Post-traumatic stress disorder, unspecified"),
    ("F43.23", "Adjustment disorder with mixed anxiety and depressed mood"),
    ("F43.22", "Adjustment disorder with anxiety"),
    ("F40.10", "Social phobia, unspecified"),
    ("F42.2", "Mixed obsessional thoughts and acts"),
    ("F51.01", "Primary insomnia"),
    ("F34.1", "Dysthymic disorder"),
)
#: Measures are given at intake and every this many sessions after it.
MEASURES_EVERY = 4


def _sentence(rng: random.Random, template: str) -> str:
    return template.format(**{k: rng.choice(v) for k, v in _WORDS.items()})


@functools.cache
def _pool(bank: tuple[str, ...]) -> tuple[str, ...]:
    """Every template of `bank` rendered `_VARIANTS` times, from a fixed seed (so the
    pool, like everything here, is the same on every run)."""
    rng = random.Random(len(bank))  # noqa: S311 - synthetic text, seeded on purpose
    return tuple(_sentence(rng, t) for t in bank for _ in range(_VARIANTS))


def note_sections(rng: random.Random, template: NoteTemplate) -> tuple[NoteSection, ...]:
    """A filled note for `template`: an opener, then three to six sentences a heading."""
    sections = []
    for i, field in enumerate(template.fields):
        sentences = rng.choices(_pool(_BANKS.get(field.key, _REPORTS)), k=rng.randint(3, 6))
        if i == 0:
            sentences.insert(0, rng.choice(_OPENERS))
        sections.append(NoteSection(field.key, field.label, " ".join(sentences)))
    return tuple(sections)


@dataclass(frozen=True, slots=True)
class Visit:
    """An appointment that took place: what the chart step needs of it."""

    appointment_id: int
    client_id: int
    clinician: User
    type_code: str
    starts: datetime
    ends: datetime
    cpt_code: str
    location: str
    #: 0 for the course's first appointment (an intake), then 1, 2, …
    number: int


#: (at, action, actor, object type, object id, reason): the generator's event queue.
EventSink = Callable[[datetime, str, User, str, int, str | None], None]


class ChartHistory:
    """What clinicians wrote: queued by `took_place`, written by `write_week`, inserted
    by `insert` inside the generator's transaction."""

    def __init__(
        self,
        conn: Connection,
        *,
        rng: random.Random,
        now: datetime,
        week_of: Callable[[datetime], int],
        event: EventSink,
    ) -> None:
        self._rng = rng
        self._now = now
        self._week_of = week_of
        self._event = event
        self._templates = NoteRepository(conn).templates()
        self._next = {
            table: int(conn.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0])  # noqa: S608 - our table names
            for table in ("progress_note", "measure_result", "diagnosis")
        }
        self._visits: dict[int, list[Visit]] = defaultdict(list)
        self.notes: list[HistoricalNote] = []
        self.measures: list[HistoricalMeasure] = []
        self.diagnoses: list[HistoricalDiagnosis] = []
        self.counts = {"notes": 0, "drafts": 0, "measures": 0, "diagnoses": 0}

    def took_place(self, visit: Visit) -> None:
        self._visits[self._week_of(visit.starts)].append(visit)

    def weeks_queued(self) -> list[int]:
        return sorted(self._visits)

    def write_week(self, week: int) -> None:
        """The notes, measures and diagnoses of the appointments of `week`."""
        for visit in sorted(self._visits.pop(week, []), key=lambda v: v.starts):
            self._write(visit)

    def _write(self, visit: Visit) -> None:
        rng = self._rng
        written = visit.ends + timedelta(minutes=rng.randint(5, 120))
        if written > self._now:
            return  # the session has only just ended: no note yet
        clinician, client = visit.clinician, visit.client_id
        self._event(
            written - timedelta(minutes=2),
            "chart_opened",
            clinician,
            "client",
            client,
            AccessBasis.ASSIGNED.value,
        )
        if visit.number % MEASURES_EVERY == 0:
            self._measures(visit)
        note_id = self._take("progress_note")
        template = self._templates[rng.randrange(len(self._templates))]
        delay = self._signing_delay()
        signed = None if delay is None or written + delay > self._now else written + delay
        self.notes.append(
            HistoricalNote(
                id=note_id,
                client_id=client,
                author_id=clinician.id,
                template=template,
                appointment_id=visit.appointment_id,
                service_at=visit.starts,
                duration_minutes=int((visit.ends - visit.starts).total_seconds() // 60),
                cpt_code=visit.cpt_code,
                location=visit.location,
                sections=note_sections(rng, template),
                written_at=written,
                signed_at=signed,
            )
        )
        self.counts["notes"] += 1
        self._event(written, "note_created", clinician, "progress_note", note_id, None)
        if signed is None:
            self.counts["drafts"] += 1
        else:
            self._event(signed, "note_signed", clinician, "progress_note", note_id, None)
        if visit.number == 0:
            self._diagnoses(visit, written)

    def _signing_delay(self) -> timedelta | None:
        """Most notes are signed the same day; some days later; a few are forgotten
        (None: a draft on the author's Today list for good)."""
        roll = self._rng.random()
        if roll < 0.002:
            return None
        if roll < 0.75:
            return timedelta(minutes=self._rng.randint(10, 240))
        if roll < 0.96:
            return timedelta(hours=self._rng.randint(16, 72))
        return timedelta(days=self._rng.randint(4, 20))

    def _measures(self, visit: Visit) -> None:
        """A PHQ-9 and a GAD-7, entered during the session; scores fall over a course."""
        rng = self._rng
        at = visit.starts + timedelta(minutes=5)
        level = max(0, 1 + visit.client_id % 3 - visit.number // 6)
        for instrument in Instrument:
            answers = [min(3, max(0, level + rng.randint(-1, 1))) for _ in instrument.items]
            if instrument is Instrument.PHQ9:
                answers[-1] = 1 if rng.random() < 0.03 else 0
            measure_id = self._take("measure_result")
            self.measures.append(
                HistoricalMeasure(
                    measure_id, visit.client_id, score(instrument, answers), at, visit.clinician.id
                )
            )
            self.counts["measures"] += 1
            self._event(at, "measure_recorded", visit.clinician, "measure", measure_id, None)

    def _diagnoses(self, visit: Visit, at: datetime) -> None:
        """One primary diagnosis after the intake, and sometimes a second."""
        rng = self._rng
        chosen = rng.sample(DIAGNOSES, 2 if rng.random() < 0.3 else 1)
        for n, (code, description) in enumerate(chosen):
            onset: date | None = None
            if rng.random() < 0.6:
                onset = (visit.starts - timedelta(days=rng.randint(30, 2000))).date()
            diagnosis_id = self._take("diagnosis")
            self.diagnoses.append(
                HistoricalDiagnosis(
                    diagnosis_id,
                    visit.client_id,
                    code,
                    description,
                    onset,
                    n == 0,
                    visit.clinician.id,
                    at,
                )
            )
            self.counts["diagnoses"] += 1
            self._event(at, "diagnosis_added", visit.clinician, "diagnosis", diagnosis_id, None)

    def _take(self, table: str) -> int:
        taken = self._next[table]
        self._next[table] = taken + 1
        return taken

    def insert(self, conn: Connection) -> None:
        """Insert what was written since the last call (inside the caller's transaction,
        after the appointments the notes belong to)."""
        NoteRepository(conn).add_history(self.notes)
        MeasureRepository(conn).add_many(self.measures)
        DiagnosisRepository(conn).add_many(self.diagnoses)
        self.notes, self.measures, self.diagnoses = [], [], []
