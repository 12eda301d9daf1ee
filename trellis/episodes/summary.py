"""Discharge summary and letter content (data + PDF), built section by section with the consent category each
section belongs to, so that a disclosure carries only what its consent covers (42 CFR 2.31(a)(3), 2.13(a);
categories in trellis.consents.scope.CATEGORIES).

* The facts (diagnoses, reconciled medications, attended hours by ISO week, plan progress, last C-SSRS screen) are
  read by `facts_now`; a signed discharge summary (models.DischargeSummary) keeps them as they stood when the
  clinician signed, and every document made from a signed summary uses that signed copy, its signature line and
  addenda (CMS Pub. 100-08 ch. 3 §3.3.2.4-3.3.2.5).
* Attended hours and plan progress come from the apps that own them, registered as summary parts
  (trellis.episodes.hooks.register_summary_part: "hours", "plan_progress"); without them the summary says so
  rather than guessing. Outcome scores at admission and discharge are not in Trellis yet.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from trellis.consents.scope import ALL
from trellis.core import formats
from trellis.episodes.hooks import summary_parts
from trellis.episodes.models import (
    Diagnosis,
    DiagnosisStage,
    DischargeRecord,
    DischargeSummary,
    Episode,
    MedicationChange,
    MedicationEntry,
    MedicationListKind,
    SummaryStatus,
)
from trellis.referrals.models import SuicideRiskScreen

NO_HOURS = {"available": False, "weeks": [], "total_minutes": 0,
            "note": "Attendance ledger not available; hours not included."}
OUTCOMES_LINE = "Outcome measures at admission and discharge: not yet available in Trellis."
# Categories a letter or summary section can belong to, in document order (trellis.consents.scope.CATEGORIES).
SECTION_CATEGORIES = ("attendance", "diagnoses", "plan_progress", "medications", "risk", "discharge_summary")


@dataclass(frozen=True)
class Section:
    """One titled part of a document; `category` is the consent category it discloses ("" = always included:
    the signature that authenticates what was sent)."""

    category: str
    title: str
    lines: list[str]


def _dx_line(d: Diagnosis) -> str:
    return f"{d.code} {d.description}" + (" (primary)" if d.rank == "primary" else "")


def facts_now(episode: Episode) -> dict[str, Any]:
    """The facts a discharge summary (or a letter) reports, as they are now (JSON-able). Medications: the
    reconciled discharge list when there is one, else the admission list (TJC NPSG.03.06.01)."""
    dx = Diagnosis.objects.filter(episode=episode, entered_in_error=False, stage=DiagnosisStage.ADMISSION
                                  ).order_by("rank", "id")
    meds = list(MedicationEntry.objects.filter(episode=episode).order_by("list_kind", "name", "id"))
    kind = MedicationListKind.DISCHARGE if any(m.list_kind == MedicationListKind.DISCHARGE for m in meds) \
        else MedicationListKind.ADMISSION
    screen = SuicideRiskScreen.objects.filter(patient=episode.patient).order_by("-administered_at").first()
    parts = summary_parts(episode)
    return {
        "diagnoses": [_dx_line(d) for d in dx],
        "medications_list": kind if meds else "",
        "medications": [{"name": m.name, "dose": m.dose, "route": m.route, "frequency": m.frequency,
                         "prescriber": m.prescriber, "change": m.change}
                        for m in meds if m.list_kind == kind],
        "hours": parts.get("hours", NO_HOURS),
        "plan_progress": parts.get("plan_progress", []),
        "risk": ({"level": screen.get_risk_display(),
                  "on": formats.iso_date(screen.administered_at, episode.program.site.zone)} if screen else {}),
    }


def build_summary(episode: Episode, rec: DischargeRecord) -> dict[str, Any]:
    """The discharge record's facts as at discharge (kept on DischargeRecord.summary)."""
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
        "admission_diagnoses": [_dx_line(d) for d in dx if d.stage == DiagnosisStage.ADMISSION],
        "discharge_diagnoses": [_dx_line(d) for d in dx if d.stage == DiagnosisStage.DISCHARGE],
        "medications": rec.medications,
        "aftercare": {
            "provider": rec.aftercare_provider,
            "date": rec.aftercare_on.isoformat() if rec.aftercare_on else "",
            "flag": rec.aftercare_flag,
        },
        "hours": parts.get("hours", NO_HOURS),
        "plan_progress": parts.get("plan_progress", []),
        "last_risk_screen": screen.get_risk_display() if screen else "",
        "outcomes": OUTCOMES_LINE,
    }


def _legacy_facts(summary: dict[str, Any]) -> dict[str, Any]:
    """Facts of a record discharged before summaries were signed (read from the generated DischargeRecord.summary)."""
    return {"diagnoses": summary.get("admission_diagnoses", []), "medications_list": "", "medications": [],
            "medications_text": summary.get("medications", ""), "hours": summary.get("hours", NO_HOURS),
            "plan_progress": summary.get("plan_progress", []),
            "risk": {"level": summary["last_risk_screen"], "on": ""} if summary.get("last_risk_screen") else {}}


def _hours_lines(hours: dict[str, Any]) -> list[str]:
    lines = [
        f"{w['label']} (week of {w['monday']}): {w['attended_minutes'] / 60:.1f} h attended of "
        f"{w['scheduled_minutes'] / 60:.1f} h scheduled"
        for w in hours.get("weeks", [])
    ] or [hours.get("note") or "No attended sessions recorded."]
    if hours.get("available") and hours.get("weeks"):
        lines.append(f"Total attended: {hours.get('total_minutes', 0) / 60:.1f} h")
    return lines


_CHANGE_LABELS = dict(MedicationChange.choices)


def _med_lines(facts: dict[str, Any]) -> list[str]:
    lines = []
    for m in facts.get("medications", []):
        if m["name"] == "No medications":
            lines.append("No medications")
            continue
        line = f"{m['name']} {m['dose']}, {m['route']}, {m['frequency']}"
        line += f" (prescriber: {m['prescriber']})" if m.get("prescriber") else ""
        if m.get("change") and m["change"] != MedicationChange.UNCHANGED:
            line += f" [{_CHANGE_LABELS.get(m['change'], m['change'])}]"
        lines.append(line)
    return lines or [facts.get("medications_text") or "None recorded"]


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _signature_lines(signed: DischargeSummary | None, zone: Any) -> list[str]:
    if signed is None or signed.status != SummaryStatus.SIGNED:
        return ["Not signed: this summary was generated at discharge before signed discharge summaries were "
                "required."]
    who = signed.signer_name + (f", {signed.signer_credentials}" if signed.signer_credentials else "")
    return [f"Electronically signed by {who} on {formats.datetime(signed.signed_at, zone)}.",
            f"Content hash: {signed.content_hash}"]


def document_sections(episode: Episode, rec: DischargeRecord | None, signed: DischargeSummary | None,
                      facts: dict[str, Any] | None = None) -> list[Section]:
    """Every section of the discharge summary (or, before discharge, of what a letter can say), each with its
    consent category. Facts come from the signed summary when there is one, else from `facts` (or the record)."""
    zone = episode.program.site.zone
    is_signed = signed is not None and signed.status == SummaryStatus.SIGNED
    summary = (rec.summary or {}) if rec is not None else {}
    if is_signed:
        facts = signed.facts
    elif facts is None:
        facts = _legacy_facts(summary) if rec is not None else facts_now(episode)
    track = f" · {episode.track.name}" if episode.track_id else ""
    attendance = [f"Program: {episode.program.name} ({episode.program.site.name}){track}",
                  f"Admitted {formats.date(episode.admitted_on)}; "
                  + (f"discharged {formats.date(episode.discharged_on)}." if episode.discharged_on
                     else "currently in care.")]
    # Attendance is the ledger's fact: the record's (complete to the discharge date) once there is one.
    hours = summary.get("hours") if summary.get("hours") else facts.get("hours", NO_HOURS)
    out = [Section("attendance", "Attendance", attendance + _hours_lines(hours))]
    if rec is not None:
        out.append(Section("discharge_summary", "Episode", [
            f"Length of stay: {summary.get('length_of_stay_days') or '—'} days",
            f"Level of care: recommended {episode.get_recommended_level_display()}; authorized "
            f"{episode.get_authorized_level_display() if episode.authorized_level else 'not recorded'}",
            f"Discharge type: {rec.get_discharge_type_display()}. Reason: {rec.reason}",
        ]))
    out.append(Section("diagnoses", "Diagnoses (ICD-10-CM)", facts.get("diagnoses", [])))
    if rec is not None and summary.get("discharge_diagnoses"):
        out.append(Section("diagnoses", "Diagnoses at discharge (ICD-10-CM)", summary["discharge_diagnoses"]))
    out.append(Section("plan_progress", "Treatment plan progress", [
        f"{p['objective']} — {p['status']}; last review: {p['last_progress']}" for p in facts.get("plan_progress", [])
    ] or ["No treatment plan objectives recorded."]))
    if is_signed:
        out.append(Section("discharge_summary", "Services provided and course of treatment", _paragraphs(signed.course)))
        out.append(Section("discharge_summary", "Clinical status at discharge", _paragraphs(signed.condition)))
    med_title = "Medications at discharge" if (rec is not None or facts.get("medications_list") == "discharge") \
        else "Current medications"
    out.append(Section("medications", med_title, _med_lines(facts)))
    if is_signed or rec is not None:
        after = summary.get("aftercare", {})
        lines = _paragraphs(signed.recommendations) if is_signed else []
        if rec is not None:
            lines.append(f"Aftercare appointment: {after.get('provider') or 'no provider'} on "
                         f"{after.get('date') or 'no date'}" + (f" — {after.get('flag')}" if after.get("flag") else ""))
        out.append(Section("discharge_summary", "Recommendations and aftercare", lines))
    risk = facts.get("risk") or {}
    out.append(Section("risk", "Risk", [
        f"Most recent C-SSRS screen: {risk.get('level') or 'none'}" + (f" on {risk['on']}" if risk.get("on") else "")
    ]))
    if rec is not None:
        out.append(Section("discharge_summary", "Outcomes", [summary.get("outcomes") or OUTCOMES_LINE]))
    if rec is not None or is_signed:
        out.append(Section("", "Signature", _signature_lines(signed, zone)))
        if is_signed:
            addenda = [f"{formats.datetime(a.signed_at, zone)}, {a.signer_name}: {a.text} ({a.content_hash})"
                       for a in signed.addenda.all()]
            if addenda:
                out.append(Section("discharge_summary", "Addenda", addenda))
    return out


def select_sections(sections: list[Section], categories: list[str]) -> list[Section]:
    """The sections a disclosure under a consent covering `categories` may carry ("all records": every one)."""
    if ALL in categories:
        return sections
    return [s for s in sections if s.category in categories or not s.category]


def sent_categories(sections: list[Section]) -> list[str]:
    """The categories that actually went out, in document order (recorded on the disclosure)."""
    have = {s.category for s in sections if s.category}
    return [c for c in SECTION_CATEGORIES if c in have]


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
        if heading:
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


def as_pdf_sections(sections: list[Section]) -> list[tuple[str, list[str]]]:
    return [(s.title, s.lines) for s in sections]


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


def discharge_summary_pdf(episode: Episode, rec: DischargeRecord, notice: str = "", consent: Any = None,
                          signed: DischargeSummary | None = None) -> bytes:
    """The whole discharge summary (internal print): the signed version when there is one."""
    if signed is None:
        signed = DischargeSummary.objects.filter(episode=episode, status=SummaryStatus.SIGNED).first()
    return render_pdf("Discharge summary", as_pdf_sections(document_sections(episode, rec, signed)), notice,
                      consent_scope_lines(consent) if consent is not None else None)


def referral_letter_pdf(episode: Episode, sections: list[Section], recipient: str, notice: str,
                        consent: Any = None) -> bytes:
    """The letter to the referral source: a greeting naming the patient, then only `sections` (already limited
    to what the consent covers)."""
    patient = episode.patient
    intro = [
        f"Dear {recipient},",
        f"Thank you for referring {patient.legal_first_name} {patient.legal_last_name} "
        f"(DOB {formats.date(patient.date_of_birth)}) to {episode.program.name}. With the patient's consent we "
        "share the following.",
    ]
    closing = [f"Sincerely, {episode.program.site.display_name or episode.program.site.name}"]
    body = [("", intro)] + as_pdf_sections(sections) + [("", closing)]
    return render_pdf("Letter to referral source", body, notice,
                      consent_scope_lines(consent) if consent is not None else None)
