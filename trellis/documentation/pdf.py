"""PDF output of notes with ReportLab, from plain data (no ORM).

The caller (a view) decides *what* may be printed: for a patient print it passes only that patient's part of
each group note plus the shared section, never another attendee's. Private notes are never passed here.

When the patient's records are protected by 42 CFR Part 2, the full redisclosure notice of 42 CFR 2.32(a)(1)
is printed at the top and the short form of 2.32(a)(2) in the footer of every page.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from trellis.consents.part2 import ABBREVIATED_NOTICE, REDISCLOSURE_NOTICE

from .note_schema import DisplaySection

# 42 CFR 2.32(a)(1) Statement 1 and (a)(2) Statement 2, as amended by 89 FR 12472 (Feb. 16, 2024). One source of
# truth for the wording: the consents app's Part 2 module (pure, no database).
PART2_REDISCLOSURE_NOTICE = REDISCLOSURE_NOTICE
PART2_SHORT_NOTICE = ABBREVIATED_NOTICE
CONFIDENTIAL_FOOTER = "Confidential health information. Do not redisclose without authorization."


@dataclass(frozen=True)
class PdfPatient:
    name: str
    mrn: str
    date_of_birth: str


@dataclass(frozen=True)
class PdfSignature:
    label: str  # "Signed" / "Co-signed"
    signer: str
    credentials: str
    signed_at: str  # already formatted in the site's time zone
    content_hash: str
    late: bool = False


@dataclass(frozen=True)
class PdfAddendum:
    text: str
    signature: PdfSignature


@dataclass(frozen=True)
class PdfNote:
    title: str  # e.g. "Group psychotherapy note"
    date_text: str
    time_text: str
    service: str
    program: str
    site: str
    author: str
    template: str  # "Group psychotherapy note v3"
    status: str  # "Signed", "Draft – not signed", "Awaiting co-signature"
    attendance: str = ""  # "Present · 90 min · in person"
    sections: Sequence[DisplaySection] = field(default_factory=tuple)
    signatures: Sequence[PdfSignature] = field(default_factory=tuple)
    addenda: Sequence[PdfAddendum] = field(default_factory=tuple)
    late: bool = False


@dataclass(frozen=True)
class PdfMeta:
    organization: str
    site: str
    printed_by: str
    printed_at: str
    part2: bool = False


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName="Helvetica", fontSize=9.5, leading=12.5,
                          alignment=TA_LEFT)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10, textColor=colors.HexColor("#444444")),
        "label": ParagraphStyle("label", parent=body, fontName="Helvetica-Bold"),
        "h1": ParagraphStyle("h1", parent=base["Heading1"], fontName="Helvetica-Bold", fontSize=15, leading=18,
                             spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName="Helvetica-Bold", fontSize=12, leading=15,
                             spaceBefore=8, spaceAfter=3),
        "h3": ParagraphStyle("h3", parent=base["Heading3"], fontName="Helvetica-Bold", fontSize=10, leading=13,
                             spaceBefore=6, spaceAfter=2),
        "notice": ParagraphStyle("notice", parent=body, fontSize=8, leading=10),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text or "").replace("\n", "<br/>"), style)


def _kv_table(rows: Sequence[tuple[str, str]], st: dict[str, ParagraphStyle]) -> Table:
    data = [[_p(k, st["label"]), _p(v, st["body"])] for k, v in rows]
    t = Table(data, colWidths=[1.9 * inch, 5.1 * inch])
    t.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#dddddd")),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]))
    return t


def _part2_block(st: dict[str, ParagraphStyle]) -> Table:
    t = Table([[_p("42 CFR Part 2 – notice prohibiting redisclosure", st["label"])],
               [_p(PART2_REDISCLOSURE_NOTICE, st["notice"])]], colWidths=[7.0 * inch])
    t.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 1, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("LEFTPADDING", (0, 0), (-1, -1), 6),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
    ]))
    return t


def _signature_lines(sig: PdfSignature) -> str:
    cred = f", {sig.credentials}" if sig.credentials else ""
    late = " – LATE (signed after the program's deadline)" if sig.late else ""
    return f"{sig.label} by {sig.signer}{cred} on {sig.signed_at}{late}\nContent hash: {sig.content_hash}"


def _note_flowables(note: PdfNote, st: dict[str, ParagraphStyle]) -> list:
    out: list = [CondPageBreak(1.5 * inch), _p(note.title, st["h2"])]
    header = [
        ("Date", note.date_text),
        ("Time", note.time_text),
        ("Service", note.service),
        ("Program", note.program),
        ("Site", note.site),
        ("Author", note.author),
        ("Template", note.template),
        ("Status", note.status + (" (late)" if note.late else "")),
    ]
    if note.attendance:
        header.append(("Attendance", note.attendance))
    out.append(_kv_table(header, st))
    for section in note.sections:
        block = [_p(section.title, st["h3"])]
        if section.rows:
            block.append(_kv_table([(r.label, r.text) for r in section.rows], st))
        out.append(KeepTogether(block[:2]) if len(block) == 2 else block[0])
    if note.signatures:
        out.append(_p("Signatures", st["h3"]))
        out.extend(_p(_signature_lines(s), st["small"]) for s in note.signatures)
    else:
        out.append(_p("Not signed.", st["small"]))
    if note.addenda:
        out.append(_p("Addenda", st["h3"]))
        for i, a in enumerate(note.addenda, start=1):
            out.append(_p(f"Addendum {i}", st["label"]))
            out.append(_p(a.text, st["body"]))
            out.append(_p(_signature_lines(a.signature), st["small"]))
            out.append(Spacer(1, 4))
    return out


def _build(story: list, meta: PdfMeta, *, compress: bool) -> bytes:
    buf = io.BytesIO()

    def on_page(canvas, doc) -> None:  # reportlab's onPage callback signature
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        y = 0.45 * inch
        if meta.part2:
            canvas.drawString(0.75 * inch, y + 10, PART2_SHORT_NOTICE)
        canvas.drawString(0.75 * inch, y, CONFIDENTIAL_FOOTER)
        canvas.drawRightString(LETTER[0] - 0.75 * inch, y, f"Page {doc.page}")
        canvas.drawString(0.75 * inch, LETTER[1] - 0.5 * inch,
                          f"{meta.organization} – {meta.site}    Printed {meta.printed_at} by {meta.printed_by}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buf,
        pagesize=LETTER,
        leftMargin=0.75 * inch,
        rightMargin=0.75 * inch,
        topMargin=0.75 * inch,
        bottomMargin=0.85 * inch,
        title="Clinical documentation",  # no PHI in document metadata
        author=meta.organization,
        pageCompression=1 if compress else 0,
        invariant=1,
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buf.getvalue()


def _patient_header(patient: PdfPatient, heading: str, st: dict[str, ParagraphStyle], meta: PdfMeta) -> list:
    out: list = [_p(heading, st["h1"])]
    out.append(_kv_table([("Patient", patient.name), ("MRN", patient.mrn), ("Date of birth", patient.date_of_birth)],
                         st))
    out.append(Spacer(1, 6))
    if meta.part2:
        out.append(_part2_block(st))
        out.append(Spacer(1, 6))
    return out


def render_note_pdf(*, patient: PdfPatient, note: PdfNote, meta: PdfMeta, compress: bool = True) -> bytes:
    """One note, as it appears in ``patient``'s chart."""
    st = _styles()
    story = _patient_header(patient, "Clinical note", st, meta)
    story.extend(_note_flowables(note, st))
    return _build(story, meta, compress=compress)


def render_notes_pdf(
    *,
    patient: PdfPatient,
    notes: Sequence[PdfNote],
    meta: PdfMeta,
    period: str,
    compress: bool = True,
    page_per_note: bool = False,
) -> bytes:
    """A patient's notes over a date range (``period`` already formatted, e.g. "2026-11-01 to 2026-11-30")."""
    st = _styles()
    story = _patient_header(patient, f"Clinical notes, {period}", st, meta)
    if not notes:
        story.append(_p("No signed notes in this period.", st["body"]))
    for i, note in enumerate(notes):
        if i and page_per_note:
            story.append(PageBreak())
        story.extend(_note_flowables(note, st))
        story.append(Spacer(1, 10))
    return _build(story, meta, compress=compress)


def extract_text(pdf: bytes) -> str:
    """Text of a PDF for tests and checks: pypdf when installed, else the literal strings of an uncompressed
    ReportLab PDF (render with ``compress=False``)."""
    try:
        from pypdf import PdfReader
    except ImportError:  # pragma: no cover - depends on the environment
        import re

        chunks = re.findall(rb"\(((?:\\.|[^\\()])*)\)\s*Tj", pdf, flags=re.S)

        def unescape(m: re.Match[bytes]) -> bytes:
            g = m.group(1)
            if g[:1].isdigit():
                return bytes([int(g, 8) & 0xFF])
            return {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(g, g)

        return "\n".join(re.sub(rb"\\([0-7]{1,3}|.)", unescape, c).decode("cp1252", errors="replace")
                         for c in chunks)
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages)
