"""Synthetic chart history for demo and benchmark practices: seeded, deterministic,
fast (bulk inserts through the repositories, one transaction per batch).

Notes read like real ones (a few sentences per heading, 1,000 to 2,500 characters),
drawn from phrase banks with a `random.Random` the caller seeds, so the same seed
gives the same practice. Only synthetic people: the caller makes the clients. The
front desk's demo generator (services/demo_data.py) can call `add_chart_history` for
each client it creates; the chart benchmark (bench/chart.py) does.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from ehrdesk.core.chart import NoteSection, NoteTemplate
from ehrdesk.core.measures import Instrument, score
from ehrdesk.storage.database import Connection
from ehrdesk.storage.measures import MeasureRepository
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
)
_OBSERVED = (
    "Appearance appropriate; good eye contact; speech normal in rate and volume.",
    "Affect {feeling} and congruent with content; thought process linear and goal-directed.",
    "No evidence of psychosis. Denies suicidal ideation, intent or plan today.",
    "Psychomotor activity within normal limits; oriented to person, place and time.",
    "Administered the {measure}; score {score}, {direction} from the last administration.",
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
}


def _sentence(rng: random.Random, bank: tuple[str, ...]) -> str:
    template = rng.choice(bank)
    return template.format(**{k: rng.choice(v) for k, v in _WORDS.items()})


def note_sections(rng: random.Random, template: NoteTemplate) -> tuple[NoteSection, ...]:
    """A filled note for `template`: an opener, then three to six sentences a heading."""
    sections = []
    for i, field in enumerate(template.fields):
        bank = _BANKS.get(field.key, _REPORTS)
        sentences = [_sentence(rng, bank) for _ in range(rng.randint(3, 6))]
        if i == 0:
            sentences.insert(0, rng.choice(_OPENERS))
        sections.append(NoteSection(field.key, field.label, " ".join(sentences)))
    return tuple(sections)


def add_chart_history(
    conn: Connection,
    *,
    client_id: int,
    author_id: int,
    notes: int,
    until: datetime,
    rng: random.Random,
    templates: list[NoteTemplate],
    measures_every: int = 4,
) -> int:
    """`notes` signed weekly-ish notes ending before `until`, and a PHQ-9 and GAD-7 every
    `measures_every` notes. Call inside one transaction; returns the notes written."""
    rows = []
    measure_repo = MeasureRepository(conn)
    for i in range(notes):
        at = until - timedelta(days=7 * (notes - i) + rng.randint(0, 2), hours=rng.randint(0, 6))
        at = at.replace(minute=0, second=0, microsecond=0)
        template = templates[rng.randrange(len(templates))]
        rows.append(
            HistoricalNote(
                client_id=client_id,
                author_id=author_id,
                template=template,
                service_at=at,
                duration_minutes=rng.choice((45, 50, 53, 60)),
                cpt_code=rng.choice(("90834", "90837", "90834")),
                location=rng.choice(("Office", "Telehealth (client at home)")),
                sections=note_sections(rng, template),
                signed_at=at + timedelta(hours=rng.randint(1, 20)),
            )
        )
        if measures_every and i % measures_every == 0:
            level = max(0, 3 - i * 3 // max(notes, 1))
            for instrument in Instrument:
                answers = [min(3, max(0, level + rng.randint(-1, 1))) for _ in instrument.items]
                if instrument is Instrument.PHQ9:
                    answers[-1] = 0
                measure_repo.add(
                    client_id,
                    score(instrument, answers),
                    administered_at=at,
                    entered_by=author_id,
                    by_client=False,
                    now=at,
                )
    return NoteRepository(conn).add_signed_history(rows)
