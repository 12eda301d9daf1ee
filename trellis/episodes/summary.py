"""Discharge summary (data + PDF) and the letter to the referral source.

Attended hours by ISO week (the attendance ledger) and treatment-plan progress come from the apps that own
them, registered as summary parts (trellis.episodes.hooks.register_summary_part: "hours", "plan_progress");
without them the summary says so rather than guessing. Outcome scores at admission and discharge are not
in Trellis yet."""

from __future__ import annotations

import io
from typing import Any

from trellis.core import formats
from trellis.episodes.hooks import summary_parts
from trellis.episodes.models import Diagnosis, DiagnosisStage, DischargeRecord, Episode
from trellis.referrals.models import SuicideRiskScreen

NO_HOURS = {"available": False, "weeks": [], "total_minutes": 0,
            "note": "Attendance ledger not available; hours not included."}


def build_summary(episode: Episode, rec: DischargeRecord) -> dict[str, Any]:
    dx = Diagnosis.objects.filter(episode=episode, entered_in_error=False).order_by("stage", "rank", "id")
    screen = SuicideRiskScreen.objects.filter(patient=episode.patient).order_by("-administered_at").first()
    parts = summary_parts(episode)
    return {
        "program": episode.program.name,
        "site": episode.program.site.name,
        "track": episode.track.name if episode.track_id else "",
        "admitted_on": episode.admitted_on.isoformat(),
        "discharged_on": episode.discharged_on.isoformat() if episode.discharged_on else "",
        "length_of_stay_days": (episode.discharged_on - episode.admitted_on).days + 1 if episode.discharged_on else 0,
        "recommended_level": episode.get_recommended_level_display(),
        "authorized_level": episode.get_authorized_level_display() if episode.authorized_level else "",
        "discharge_type": rec.get_discharge_type_display(),
        "reason": rec.reason,
        "admission_diagnoses": [f"{d.code} {d.description}" + (" (primary)" if d.rank == "primary" else "")
                                for d in dx if d.stage == DiagnosisStage.ADMISSION],
        "discharge_diagnoses": [f"{d.code} {d.description}" + (" (primary)" if d.rank == "primary" else "")
                                for d in dx if d.stage == DiagnosisStage.DISCHARGE],
        "medications": rec.medications,
        "aftercare": {
            "provider": rec.aftercare_provider,
            "date": rec.aftercare_on.isoformat() if rec.aftercare_on else "",
            "flag": rec.aftercare_flag,
        },
        "hours": parts.get("hours", NO_HOURS),
        "plan_progress": parts.get("plan_progress", []),
        "last_risk_screen": screen.get_risk_display() if screen else "",
        "outcomes": "Outcome measures at admission and discharge: not yet available in Trellis.",
    }


# ---------------------------------------------------------------- PDF
def render_pdf(title: str, sections: list[tuple[str, list[str]]], footer_notice: str = "",
         consent_scope: list[str] | None = None) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=letter, title=title, leftMargin=0.8 * inch, rightMargin=0.8 * inch)
    styles = getSampleStyleSheet()
    story: list[Any] = [Paragraph(escape(title), styles["Title"])]
    for heading, lines in sections:
        story.append(Paragraph(escape(heading), styles["Heading2"]))
        for line in lines or ["—"]:
            story.append(Paragraph(escape(line), styles["BodyText"]))
        story.append(Spacer(1, 6))
    if consent_scope:
        # 42 CFR 2.32 (2024): a copy of the consent or a clear explanation of its scope accompanies the disclosure.
        story.append(Spacer(1, 12))
        story.append(Paragraph("Scope of the patient's consent", styles["Heading3"]))
        for line in consent_scope:
            story.append(Paragraph(escape(line), styles["BodyText"]))
    if footer_notice:
        story.append(Spacer(1, 12))
        story.append(Paragraph("<b>Notice to recipient</b>", styles["Heading3"]))
        story.append(Paragraph(escape(footer_notice), styles["BodyText"]))
    doc.build(story)
    return buf.getvalue()


def summary_sections(summary: dict[str, Any]) -> list[tuple[str, list[str]]]:
    hours = summary.get("hours", {})
    week_lines = [
        f"{w['label']} (week of {w['monday']}): {w['attended_minutes'] / 60:.1f} h attended of "
        f"{w['scheduled_minutes'] / 60:.1f} h scheduled"
        for w in hours.get("weeks", [])
    ] or [hours.get("note") or "No attended sessions recorded."]
    if hours.get("available"):
        week_lines.append(f"Total attended: {hours.get('total_minutes', 0) / 60:.1f} h")
    after = summary.get("aftercare", {})
    return [
        ("Episode", [
            f"Program: {summary.get('program')} ({summary.get('site')}) {summary.get('track') or ''}",
            f"Admitted {summary.get('admitted_on')}; discharged {summary.get('discharged_on')} "
            f"({summary.get('length_of_stay_days')} days)",
            f"Level of care: recommended {summary.get('recommended_level')}; authorized "
            f"{summary.get('authorized_level') or 'not recorded'}",
            f"Discharge type: {summary.get('discharge_type')}. Reason: {summary.get('reason')}",
        ]),
        ("Diagnoses at admission (ICD-10-CM)", summary.get("admission_diagnoses", [])),
        ("Diagnoses at discharge (ICD-10-CM)", summary.get("discharge_diagnoses", [])),
        ("Attended hours by week", week_lines),
        ("Treatment plan progress", [
            f"{p['objective']} — {p['status']}; last review: {p['last_progress']}" for p in summary.get("plan_progress", [])
        ]),
        ("Medications at discharge", [summary.get("medications") or "None recorded"]),
        ("Aftercare", [
            f"{after.get('provider') or 'No provider'} on {after.get('date') or 'no date'}"
            + (f" — {after.get('flag')}" if after.get("flag") else "")
        ]),
        ("Risk", [f"Most recent C-SSRS: {summary.get('last_risk_screen') or 'none'}"]),
        ("Outcomes", [summary.get("outcomes", "")]),
    ]


def consent_scope_lines(consent: Any) -> list[str]:
    """A clear explanation of the scope of the consent a disclosure was made under (42 CFR 2.32, 2024)."""
    expiry = formats.date(consent.expires_on) if consent.expires_on else consent.expiration_event
    return [
        f"{consent.get_kind_display()} signed {formats.date(consent.signed_on)} by {consent.signer_name}.",
        f"Recipient: {consent.recipient_name}. Who may disclose: {consent.discloser}.",
        f"Information that may be disclosed: {consent.information}.",
        f"Purpose: {consent.purpose}. Expires: {expiry}.",
        "The patient may revoke this consent in writing; revocation does not affect disclosures already made.",
    ]


def discharge_summary_pdf(episode: Episode, rec: DischargeRecord, notice: str = "", consent: Any = None) -> bytes:
    return render_pdf("Discharge summary", summary_sections(rec.summary or build_summary(episode, rec)), notice,
                consent_scope_lines(consent) if consent is not None else None)


def referral_letter_pdf(episode: Episode, rec: DischargeRecord | None, recipient: str, notice: str,
                        consent: Any = None) -> bytes:
    patient = episode.patient
    lines = [
        f"Dear {recipient},",
        f"Thank you for referring {patient.legal_first_name} {patient.legal_last_name} "
        f"(DOB {formats.date(patient.date_of_birth)}) to {episode.program.name}.",
        f"Admitted on {formats.date(episode.admitted_on)}."
        + (f" Discharged on {formats.date(episode.discharged_on)} ({rec.get_discharge_type_display()})."
           if rec and episode.discharged_on else " Currently in care."),
    ]
    if rec is not None and rec.aftercare_provider:
        lines.append(f"Aftercare: {rec.aftercare_provider}"
                     + (f" on {formats.date(rec.aftercare_on)}." if rec.aftercare_on else "."))
    lines.append(f"Sincerely, {episode.program.site.display_name or episode.program.site.name}")
    return render_pdf("Letter to referral source", [("", lines)], notice,
                consent_scope_lines(consent) if consent is not None else None)
