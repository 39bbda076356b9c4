"""What the chart shows of one timeline entry that is not being edited: a signed note
with its signature and addenda, a measure with its answers, an appointment, search
results. Plain text escaped into simple HTML; nothing from the records is ever read
as markup."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from ehrdesk.core.chart import HIT_END, HIT_START, MeasureResult, NoteSearchHit, ProgressNote
from ehrdesk.core.measures import OPTIONS


def _p(text: str) -> str:
    return "<p>" + escape(text).replace("\n", "<br>") + "</p>"


def note_html(note: ProgressNote) -> str:
    served = note.service_at.astimezone()
    parts = [
        f"<h2>{escape(note.template_name)} note</h2>",
        _p(
            f"{served:%A %d %B %Y, %H:%M} · {note.duration_minutes} min · "
            f"{note.cpt_code or 'no service code'} · {note.location or 'no location'}"
        ),
    ]
    if note.signed and note.signed_at is not None:
        when = note.signed_at.astimezone()
        signature = f"Signed by {note.signed_by_name} on {when:%d %b %Y at %H:%M}"
        parts.append(f"<p><b>{escape(signature)} — locked; corrections are signed addenda.</b></p>")
    else:
        parts.append(_p(f"Draft by {note.author_name}, not signed."))
    for section in note.sections:
        parts.append(f"<h3>{escape(section.label)}</h3>")
        parts.append(_p(section.text) if section.text.strip() else "<p><i>(empty)</i></p>")
    for addendum in note.addenda:
        parts.append(
            "<h3>"
            + escape(
                f"Addendum by {addendum.author_name}, signed "
                f"{addendum.signed_at.astimezone():%d %b %Y at %H:%M}"
            )
            + "</h3>"
        )
        parts.append(_p(addendum.text))
    return "".join(parts)


def measure_html(result: MeasureResult, items: Iterable[str]) -> str:
    when = result.administered_at.astimezone()
    parts = [
        f"<h2>{escape(result.instrument.label)}: {result.total} ({escape(result.band)})</h2>",
        _p(
            f"{when:%A %d %B %Y, %H:%M} · "
            + ("filled in by the client" if result.by_client else "entered by ")
            + ("" if result.by_client else result.entered_by_name)
        ),
    ]
    if result.voided:
        parts.append("<p><b>Voided: entered in error.</b></p>")
    if result.risk_flag and not result.voided:
        parts.append("<p><b>⚠ Item 9 above zero: ask about thoughts of self-harm.</b></p>")
    rows = "".join(
        f"<tr><td>{n}. {escape(item)}</td><td>{escape(OPTIONS[a])} ({a})</td></tr>"
        for n, (item, a) in enumerate(zip(items, result.answers, strict=True), start=1)
    )
    parts.append(f"<table cellpadding='3'>{rows}</table>")
    return "".join(parts)


def search_html(query: str, hits: list[NoteSearchHit]) -> str:
    if not hits:
        return _p(f"None of your notes here holds “{query}”.")
    parts = [f"<h2>Your notes holding “{escape(query)}”</h2>"]
    for hit in hits:
        where = "addendum" if hit.in_addendum else "note"
        snippet = escape(hit.snippet).replace(HIT_START, "<b>").replace(HIT_END, "</b>")
        parts.append(
            f"<p><a href='note:{hit.note_id}'>{hit.service_at.astimezone():%d %b %Y}"
            f" ({where})</a><br>{snippet}</p>"
        )
    return "".join(parts)
