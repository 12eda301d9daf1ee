"""PDF output of the UR packet and the audit-readiness report with ReportLab (the library the documentation and
episode prints use), from plain data (no ORM).

When the records are protected by 42 CFR Part 2, the full notice of 42 CFR 2.32(a)(1) is printed at the top
and the short form of 2.32(a)(2) in the footer of every page, as on the documentation prints; a disclosure
under a HIPAA authorization carries the confidentiality notice (45 CFR 164.508) instead. A disclosure also
carries a clear explanation of the consent's scope (42 CFR 2.32, 2024).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import CondPageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from trellis.consents.part2 import ABBREVIATED_NOTICE, REDISCLOSURE_NOTICE
from trellis.documentation.pdf import CONFIDENTIAL_FOOTER


@dataclass(frozen=True)
class Block:
    """One section: a heading, then key/value rows, a table (header + rows) and/or paragraphs."""

    heading: str
    pairs: Sequence[tuple[str, str]] = field(default_factory=tuple)
    header: Sequence[str] = field(default_factory=tuple)
    rows: Sequence[Sequence[str]] = field(default_factory=tuple)
    lines: Sequence[str] = field(default_factory=tuple)
    col_widths: Sequence[float] | None = None  # inches


@dataclass(frozen=True)
class Document:
    title: str  # on the page; the PDF metadata title is generic (no PHI)
    organization: str
    site: str
    printed_by: str
    printed_at: str
    blocks: Sequence[Block]
    part2: bool = False
    notice: str = ""  # a disclosure's notice to the recipient (Part 2 or HIPAA)
    consent_scope: Sequence[str] = field(default_factory=tuple)
    wide: bool = False


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName="Helvetica", fontSize=9, leading=11.5)
    return {
        "body": body,
        "cell": ParagraphStyle("cell", parent=body, fontSize=7.5, leading=9),
        "label": ParagraphStyle("label", parent=body, fontName="Helvetica-Bold"),
        "head": ParagraphStyle("head", parent=body, fontName="Helvetica-Bold", fontSize=7.5, leading=9),
        "h1": ParagraphStyle("h1", parent=base["Heading1"], fontName="Helvetica-Bold", fontSize=15, leading=18),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName="Helvetica-Bold", fontSize=11.5, leading=14,
                             spaceBefore=8, spaceAfter=3),
        "notice": ParagraphStyle("notice", parent=body, fontSize=7.5, leading=9.5),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text or "").replace("\n", "<br/>"), style)


_GRID = [
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.grey),
    ("LEFTPADDING", (0, 0), (-1, -1), 2),
    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
]


def _block(block: Block, st: dict[str, ParagraphStyle], width: float) -> list:
    out: list = [CondPageBreak(1.2 * inch), _p(block.heading, st["h2"])]
    if block.pairs:
        t = Table([[_p(k, st["label"]), _p(v, st["body"])] for k, v in block.pairs],
                  colWidths=[1.9 * inch, width - 1.9 * inch])
        t.setStyle(TableStyle(_GRID))
        out.append(t)
    if block.header:
        data = [[_p(h, st["head"]) for h in block.header]]
        data += [[_p(c, st["cell"]) for c in row] for row in block.rows]
        widths = [w * inch for w in block.col_widths] if block.col_widths else None
        t = Table(data, colWidths=widths, repeatRows=1)
        t.setStyle(TableStyle([*_GRID, ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black)]))
        out.append(t)
        if not block.rows:
            out.append(_p("None in this period.", st["body"]))
    for line in block.lines:
        out.append(_p(line, st["body"]))
    return out


def _boxed(title: str, text: str, st: dict[str, ParagraphStyle], width: float) -> Table:
    t = Table([[_p(title, st["label"])], [_p(text, st["notice"])]], colWidths=[width])
    t.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1, colors.black),
                           ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                           ("LEFTPADDING", (0, 0), (-1, -1), 6), ("RIGHTPADDING", (0, 0), (-1, -1), 6)]))
    return t


def render(doc: Document, *, compress: bool = True) -> bytes:
    pagesize = landscape(LETTER) if doc.wide else LETTER
    margin = 0.6 * inch
    width = pagesize[0] - 2 * margin
    st = _styles()
    story: list = [_p(doc.title, st["h1"])]
    if doc.part2:
        story += [_boxed("42 CFR Part 2 – notice prohibiting redisclosure", REDISCLOSURE_NOTICE, st, width),
                  Spacer(1, 6)]
    elif doc.notice:
        story += [_boxed("Notice to recipient", doc.notice, st, width), Spacer(1, 6)]
    for block in doc.blocks:
        story.extend(_block(block, st, width))
    if doc.consent_scope:
        story.append(_p("Scope of the patient's consent", st["h2"]))
        story.extend(_p(line, st["body"]) for line in doc.consent_scope)

    def on_page(canvas, page_doc) -> None:  # reportlab's onPage callback signature
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        y = 0.4 * inch
        if doc.part2:
            canvas.drawString(margin, y + 9, ABBREVIATED_NOTICE)
        canvas.drawString(margin, y, CONFIDENTIAL_FOOTER)
        canvas.drawRightString(pagesize[0] - margin, y, f"Page {page_doc.page}")
        canvas.drawString(margin, pagesize[1] - 0.42 * inch,
                          f"{doc.organization} – {doc.site}    Printed {doc.printed_at} by {doc.printed_by}")
        canvas.restoreState()

    buf = io.BytesIO()
    SimpleDocTemplate(
        buf, pagesize=pagesize, leftMargin=margin, rightMargin=margin, topMargin=0.65 * inch,
        bottomMargin=0.8 * inch, title="Compliance document", author=doc.organization,
        pageCompression=1 if compress else 0, invariant=1,
    ).build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buf.getvalue()
