"""PDF rendering from plain data (pure)."""

from trellis.documentation.note_schema import DisplayRow, DisplaySection
from trellis.documentation.pdf import (
    PART2_SHORT_NOTICE,
    PdfAddendum,
    PdfMeta,
    PdfNote,
    PdfPatient,
    PdfSignature,
    extract_text,
    render_note_pdf,
    render_notes_pdf,
)

PATIENT = PdfPatient(name="Alex Example", mrn="MRN-0001", date_of_birth="1990-01-02")
SIG = PdfSignature(label="Signed", signer="Dana Therapist", credentials="LCSW", signed_at="2026-11-20 16:05 EST",
                   content_hash="sha256:" + "a" * 64)


def note(**kw):
    base = dict(
        title="Group psychotherapy note", date_text="2026-11-20", time_text="09:00–10:30", service="Group",
        program="Adult IOP", site="Main", author="Dana Therapist, LCSW", template="Group psychotherapy note v1",
        status="Signed", attendance="Present · 90 min · in person",
        sections=[DisplaySection("Group session", (DisplayRow("Topic", "Coping (with) cravings\\ & <urges>"),)),
                  DisplaySection("Individual participation", (DisplayRow("Plan", "Line one\nLine two"),))],
        signatures=[SIG],
        addenda=[PdfAddendum(text="Late correction: time was 09:05.", signature=SIG)],
    )
    base.update(kw)
    return PdfNote(**base)


def meta(part2=False):
    return PdfMeta(organization="Trellis Health", site="Main", printed_by="Dana Therapist",
                   printed_at="2026-11-21 10:00", part2=part2)


def test_single_note_contains_content_signature_and_addendum():
    pdf = render_note_pdf(patient=PATIENT, note=note(), meta=meta(), compress=False)
    assert pdf.startswith(b"%PDF")
    text = extract_text(pdf)
    for fragment in ("Alex Example", "MRN-0001", "Coping (with) cravings", "Line two", "Dana Therapist",
                     "LCSW", "sha256:aaaa", "Addendum 1", "Late correction"):
        assert fragment in text, fragment
    assert "42 CFR part 2" not in text


def test_part2_notice_when_flagged():
    text = extract_text(render_note_pdf(patient=PATIENT, note=note(), meta=meta(part2=True), compress=False))
    assert "redisclosure" in text
    assert PART2_SHORT_NOTICE in text
    assert "42 CFR 2.31" in text


def test_date_range_print_and_empty_period():
    notes = [note(date_text=f"2026-11-{d:02d}") for d in range(1, 8)]
    pdf = render_notes_pdf(patient=PATIENT, notes=notes, meta=meta(), period="2026-11-01 to 2026-11-07",
                           compress=False)
    text = extract_text(pdf)
    assert "2026-11-07" in text and "2026-11-01 to 2026-11-07" in text
    empty = extract_text(render_notes_pdf(patient=PATIENT, notes=[], meta=meta(), period="2026-10", compress=False))
    assert "No signed notes in this period." in empty


def test_compressed_output_and_unusual_characters_do_not_fail():
    pdf = render_note_pdf(patient=PdfPatient("Zoë O’Brien 李", "M2", "2000-01-01"),
                          note=note(late=True, sections=[DisplaySection("S", (DisplayRow("Emoji", "ok 🙂"),))]),
                          meta=meta(True))
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    assert b"Zo" not in pdf  # compressed: no plain text in the stream


def test_no_phi_in_document_metadata():
    pdf = render_note_pdf(patient=PATIENT, note=note(), meta=meta(), compress=False)
    assert b"/Title (Clinical documentation)" in pdf
