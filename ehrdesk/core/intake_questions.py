"""The intake assessment's questions and the safety plan's steps: what the intake
form asks, in order, and the keys its answers are stored under (never rename a key:
stored intakes use them)."""

from __future__ import annotations

#: The intake's free-text questions: (key, label, prompt), grouped under headings.
INTAKE_SECTIONS: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...] = (
    (
        "Presenting problem",
        (
            (
                "presenting_problem",
                "Presenting problem",
                "Why the client comes now, in their words.",
            ),
            ("onset_course", "Onset and course", "When it began, what makes it better or worse."),
        ),
    ),
    (
        "History",
        (
            (
                "psychiatric_history",
                "Psychiatric history",
                "Earlier treatment, admissions, medication.",
            ),
            ("medical_history", "Medical history", "Conditions, medication, allergies, providers."),
            ("substance_use", "Substance use", "Alcohol, drugs, tobacco: amount and pattern."),
            ("family_social", "Family and social history", "Family, relationships, work, housing."),
            ("trauma", "Trauma history", "Only what the client chose to share."),
        ),
    ),
    (
        "Mental status examination",
        (
            (
                "mse_appearance",
                "Appearance and behaviour",
                "Grooming, eye contact, motor activity.",
            ),
            ("mse_speech", "Speech", "Rate, volume, fluency."),
            ("mse_mood_affect", "Mood and affect", "Stated mood; observed affect and its range."),
            ("mse_thought", "Thought process and content", "Organisation; preoccupations."),
            ("mse_perception", "Perception", "Hallucinations or other disturbances."),
            ("mse_cognition", "Cognition", "Orientation, attention, memory."),
            ("mse_insight", "Insight and judgement", "Understanding of the problem; choices."),
        ),
    ),
    (
        "Risk assessment",
        (
            (
                "risk_details",
                "Risk details",
                "Ideation, plan, intent, means, history, protective factors.",
            ),
        ),
    ),
)

#: The safety plan's steps (after Stanley and Brown): (key, label).
SAFETY_PLAN_STEPS: tuple[tuple[str, str], ...] = (
    ("warning_signs", "Warning signs"),
    ("coping", "Things I can do on my own"),
    ("distraction", "People and places that take my mind off things"),
    ("ask_for_help", "People I can ask for help"),
    ("professionals", "Professionals and crisis lines"),
    ("safe_environment", "Making my surroundings safe"),
    ("reasons_for_living", "Reasons for living"),
)

INTAKE_KEYS = frozenset(key for _, fields in INTAKE_SECTIONS for key, _, _ in fields)
SAFETY_PLAN_KEYS = frozenset(key for key, _ in SAFETY_PLAN_STEPS)
