"""The superbill: what a client hands their insurer to be reimbursed for visits.

Practice and clinicians (name, address, phone, NPI, tax id, licence), the client
(name, date of birth, address, insurance), the diagnoses (ICD-10-CM, primary first,
lettered A-L as on a claim form) and one line a visit (date, CPT code, units, place
of service, diagnosis pointers, fee), with the total. Codes only: no clinical words.
"""

from __future__ import annotations

from typing import Final

from reportlab.platypus import Flowable, Paragraph, Spacer

from ehrdesk.core.billing import Superbill, money
from ehrdesk.reports.layout import PageDecoration, markup, paragraph_styles, render_document
from ehrdesk.reports.tables import data_table, fields, title_block

DOCUMENT_TITLE: Final = "Superbill"
_LETTERS: Final = "ABCDEFGHIJKL"


def render_superbill(bill: Superbill) -> bytes:
    styles = paragraph_styles()
    practice = bill.practice

    def story() -> list[Flowable]:
        start, end = bill.period
        when = f"{start:%d %B %Y}" if start == end else f"{start:%d %B %Y} to {end:%d %B %Y}"
        parts = title_block("Superbill", f"Services from {when}")
        address = [practice.address_line1, practice.address_line2, practice.city_region_postcode]
        parts.append(Paragraph("Practice", styles["heading"]))
        parts.append(
            fields(
                [
                    ("Name", bill.practice_name),
                    ("Address", "\n".join(p for p in address if p)),
                    ("Phone", practice.phone),
                    ("NPI (practice)", practice.npi),
                    ("Tax id (EIN)", practice.tax_id),
                ]
            )
        )
        parts += [Spacer(1, 8), Paragraph("Rendering clinician", styles["heading"])]
        parts.append(
            data_table(
                ["Clinician", "NPI", "Licence"],
                [
                    [c.name, c.identity.npi or "—", c.identity.licence or "—"]
                    for c in bill.clinicians
                ],
                [0.4, 0.25, 0.35],
            )
        )
        parts += [Spacer(1, 8), Paragraph("Client", styles["heading"])]
        parts.append(
            fields(
                [
                    ("Name", bill.client_name),
                    ("Date of birth", bill.client_born.isoformat()),
                    ("Address", "\n".join(bill.client_address)),
                    ("Insurance payer", bill.insurance_payer),
                    ("Member id", bill.insurance_member_id),
                    ("Group number", bill.insurance_group),
                ]
            )
        )
        parts += [Spacer(1, 8), Paragraph("Diagnoses (ICD-10-CM)", styles["heading"])]
        if bill.diagnoses:
            parts.append(
                data_table(
                    ["", "Code", "Description"],
                    [[_LETTERS[i], code, text] for i, (code, text) in enumerate(bill.diagnoses)],
                    [0.06, 0.14, 0.8],
                )
            )
        else:
            parts.append(Paragraph("No active diagnosis is recorded.", styles["small"]))
        parts += [Spacer(1, 8), Paragraph("Services", styles["heading"])]
        rows = [
            [
                f"{line.day:%Y-%m-%d}",
                line.cpt_code,
                line.description,
                str(line.units),
                line.place_of_service,
                line.diagnosis_pointers or "—",
                line.clinician_name,
                money(line.fee_cents * line.units),
            ]
            for line in bill.lines
        ]
        rows.append(["", "", "Total", "", "", "", "", money(bill.total_cents)])
        parts.append(
            data_table(
                ["Date", "CPT", "Service", "Units", "POS", "Dx", "Clinician", "Fee"],
                rows,
                [0.12, 0.08, 0.28, 0.07, 0.06, 0.06, 0.2, 0.13],
            )
        )
        notes = [
            "Place of service (POS): 11 office, 10 telehealth in the client's home, "
            "02 telehealth elsewhere. Dx: the diagnoses above that each service treats."
        ]
        if bill.not_billed:
            notes.append(
                f"{bill.not_billed} visit(s) in this period are not listed: their notes "
                "are not signed yet."
            )
        parts.append(Spacer(1, 8))
        parts += [Paragraph(markup(n), styles["small"]) for n in notes]
        return parts

    decoration = PageDecoration(
        bill.practice_name, f"{DOCUMENT_TITLE} — {bill.client_name}", bill.generated_at,
        bill.app_version,
    )  # fmt: skip
    return render_document(story, decoration)
