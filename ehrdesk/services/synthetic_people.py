"""Synthetic people for the demo practice and the benchmarks: names, addresses, phone
numbers, insurers. Seeded and deterministic, with no dependency whose data changes
between releases (a benchmark cache keyed by GENERATOR_VERSION stays valid).

Everything is invented: phone numbers use the 555 exchange, e-mail addresses the
reserved example.* domains, member ids random letters. Some names carry accents,
apostrophes and hyphens on purpose, so search folding is exercised by the demo.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from ehrdesk.core.front_desk import ClientDraft, ClientStatus, ContactMethod


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Aaliyah Aaron Abigail Adam Adrian Aisha Alejandro Alexander Alice Alicia Amara Amelia "
    "Ana Andrea Andrew Angela Anthony Aria Ariana Arjun Asher Ava Avery Bella Benjamin "
    "Bianca Brandon Brianna Caleb Camila Carlos Caroline Carter Chloe Christopher Claire "
    "Daniel David Delilah Diego Dmitri Dylan Eleanor Elena Eli Elijah Elizabeth Ella "
    "Emily Emma Ethan Eva Evelyn Ezra Fatima Felix Fernando François Gabriel Gabriela "
    "Grace Hannah Harper Hazel Henry Hiroshi Hugo Ian Imani Isaac Isabella Isaiah Ivy "
    "Jack Jackson Jacob James Jasmine Javier Jayden Jennifer Jessica Jiwoo John Jordan "
    "José Joseph Joshua Julia Julian Kai Kaitlyn Kavya Kayla Kenji Khalid Layla Leah Leo "
    "Liam Lily Lucas Lucía Luis Luna Madison Malik Maria Mariana Mason Mateo Maya Mia "
    "Michael Mila Mohammed Naomi Natalia Nathan Nia Noah Nora Olivia Omar Oscar Owen "
    "Paisley Priya Rafael Rebecca Renée Riley Rosa Ruby Ryan Samantha Samuel Santiago "
    "Sara Scarlett Sebastián Sofia Sophia Stella Sun Takumi Thomas Valentina Victoria "
    "Violet Wei William Wyatt Xavier Yara Yusuf Zara Zoë Zoey"
)
LAST_NAMES = _words(
    "Abbott Acosta Adams Ahmed Alexander Ali Allen Álvarez Anderson Andrews Armstrong "
    "Bailey Baker Banerjee Barnes Bell Bennett Brooks Brown Bryant Butler Campbell "
    "Carter Castillo Castro Chang Chavez Chen Clark Coleman Collins Cook Cooper Cruz "
    "Dang Davis Delgado Díaz Dubois Edwards Evans Fernández Fischer Flores Foster "
    "García Gómez González Gordon Graham Gray Green Gupta Gutiérrez Hall Hamilton Harris "
    "Hayes Henderson Hernández Hill Hoffmann Howard Hughes Ibrahim Jackson James Jenkins "
    "Jiménez Johnson Jones Jordan Kaur Kelly Khan Kim King Kowalski Kumar Lee Lewis "
    "Li Lin Long López Martin Martínez Mendoza Meyer Miller Mitchell Moore Morales "
    "Morgan Morris Müller Murphy Murray Nakamura Nelson Nguyễn Novak O'Brien O'Connor "
    "Okafor Oliveira Ortiz Owens Park Patel Pérez Perry Peterson Phillips Powell Price "
    "Ramírez Ramos Reed Reyes Richardson Rivera Roberts Robinson Rodríguez Rogers Ross "
    "Russell Sánchez Sanders Santos Schmidt Scott Shah Silva Simmons Singh Smith "
    "Smith-Jones Stewart Sullivan Suzuki Tanaka Taylor Thomas Thompson Torres Tran "
    "Turner Walker Wang Ward Washington Watson White Williams Wilson Wood Wright Wu "
    "Yamamoto Yang Young Zhang Zimmerman"
)
STREETS = _words(
    "Maple Oak Cedar Elm Pine Lakeview Hillside Washington Lincoln Jefferson Park Main "
    "Church Mill River Spring Highland Sunset Willow Chestnut Walnut Prairie Orchard"
)
STREET_KINDS = ("St", "Ave", "Rd", "Ln", "Dr", "Ct", "Blvd", "Way", "Pl")
PLACES = (
    ("Chicago", "IL", "606", "312"),
    ("Evanston", "IL", "602", "847"),
    ("Oak Park", "IL", "603", "708"),
    ("Skokie", "IL", "600", "847"),
    ("Naperville", "IL", "605", "630"),
    ("Aurora", "IL", "605", "630"),
    ("Joliet", "IL", "604", "815"),
    ("Gary", "IN", "464", "219"),
    ("Milwaukee", "WI", "532", "414"),
    ("Kenosha", "WI", "531", "262"),
    ("Chicago", "IL", "606", "773"),
    ("Cicero", "IL", "608", "708"),
)
PAYERS = (
    "Blue Cross Blue Shield of Illinois",
    "Aetna",
    "Cigna",
    "UnitedHealthcare",
    "Humana",
    "Medicaid (Illinois)",
    "Medicare",
    "Self-pay",
)
PRONOUNS = ("she/her", "he/him", "they/them", "she/they", "he/they", "")
RELATIONSHIPS = ("Spouse", "Partner", "Parent", "Sibling", "Friend", "Adult child")
ADMIN_NOTES = (
    "Prefers text reminders the day before.",
    "Sliding-scale fee agreed with the owner.",
    "Needs the ground-floor room.",
    "Pays by card at check-in.",
    "Ask for an updated insurance card at the next visit.",
    "Interpreter (Spanish) for intake.",
    "Parking validation requested.",
)


def phone(rng: random.Random, area: str) -> str:
    return f"({area}) 555-{rng.randrange(10000):04d}"


def birth_date(rng: random.Random, today: date) -> date:
    """Mostly adults; some children and teens, some older adults."""
    age = rng.choice((rng.randint(6, 17), *(rng.randint(18, 64) for _ in range(6)), 70))
    if age == 70:
        age = rng.randint(65, 90)
    return today - timedelta(days=age * 365 + rng.randrange(365))


def member_id(rng: random.Random) -> str:
    letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3))
    return f"{letters}{rng.randrange(10**9):09d}"


def client_draft(rng: random.Random, today: date, clinician_id: int) -> ClientDraft:
    """One synthetic client's whole record, assigned to `clinician_id`."""
    city, region, zip3, area = rng.choice(PLACES)
    first = rng.choice(FIRST_NAMES)
    last = rng.choice(LAST_NAMES)
    has_email = rng.random() < 0.7
    mobile = phone(rng, area) if rng.random() < 0.9 else ""
    return ClientDraft(
        legal_first_name=first,
        legal_last_name=last,
        legal_middle_name=rng.choice(FIRST_NAMES) if rng.random() < 0.35 else "",
        preferred_name=rng.choice(FIRST_NAMES) if rng.random() < 0.08 else "",
        date_of_birth=birth_date(rng, today),
        pronouns=rng.choice(PRONOUNS),
        phone_mobile=mobile,
        phone_home=phone(rng, area) if not mobile or rng.random() < 0.25 else "",
        email=f"{first}.{last}{rng.randrange(100)}@example.org".casefold().replace("'", "")
        if has_email
        else "",
        preferred_contact=rng.choice(
            [ContactMethod.PHONE, ContactMethod.TEXT] + ([ContactMethod.EMAIL] if has_email else [])
        ),
        ok_to_leave_voicemail=rng.random() < 0.7,
        ok_to_text=rng.random() < 0.6,
        ok_to_email=has_email and rng.random() < 0.8,
        address_line1=f"{rng.randint(1, 9999)} {rng.choice(STREETS)} {rng.choice(STREET_KINDS)}",
        address_line2=f"Apt {rng.randint(1, 40)}" if rng.random() < 0.2 else "",
        city=city,
        region=region,
        postal_code=f"{zip3}{rng.randrange(100):02d}",
        emergency_name=f"{rng.choice(FIRST_NAMES)} {last}" if rng.random() < 0.7 else "",
        emergency_relationship=rng.choice(RELATIONSHIPS),
        emergency_phone=phone(rng, area),
        insurance_payer=rng.choice(PAYERS) if rng.random() < 0.8 else "",
        insurance_member_id=member_id(rng),
        insurance_group=f"G{rng.randrange(10**6):06d}",
        assigned_clinician_id=clinician_id,
        status=ClientStatus.ACTIVE,
        admin_notes=rng.choice(ADMIN_NOTES) if rng.random() < 0.1 else "",
    )
