"""Screen: the patient chart's Notes tab (only this patient's sections) and its PDFs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import capability_required, sites_with
from trellis.audit.services import AuditAction, record
from trellis.core import formats
from trellis.core.access import get_scoped_or_404
from trellis.core.clock import today_in
from trellis.core.part2 import part2_notice_applies
from trellis.patients.models import Patient
from trellis.patients.views import chart_context

from .. import pdf as pdfmod
from .. import policies, selectors
from ..forms import DateRangeForm
from ..note_schema import Scope, display_sections

DEFAULT_CHART_DAYS = 14


def _chart_context(request: HttpRequest, patient: Any) -> dict[str, Any]:
    return chart_context(request, patient, "notes")


@capability_required(Cap.NOTE_WRITE)
@require_GET
def chart_notes(request: HttpRequest, patient_id: Any) -> HttpResponse:
    # Clinical notes are shown to clinical staff only (HIPAA minimum necessary, 45 CFR 164.502(b), 164.514(d)).
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.NOTE_WRITE)
    # Without a chosen range the tab opens on the last two weeks, so a long stay stays readable.
    default_start = today_in(patient.primary_site.zone) - dt.timedelta(days=DEFAULT_CHART_DAYS)
    form = DateRangeForm(request.GET or None, initial={"start": default_start})
    start, end = (default_start, None) if not request.GET else (None, None)
    if form.is_valid():
        start, end = form.cleaned_data.get("start"), form.cleaned_data.get("end")
    include_drafts = bool(sites_with(request.user, Cap.NOTE_WRITE))
    # Only notes of sessions at the user's sites, and for peer specialists and group facilitators only their
    # own sessions and caseload (documentation policies): a patient at two sites keeps each site's notes there.
    notes = [cn for cn in selectors.patient_notes(patient=patient, start=start, end=end, include_drafts=include_drafts)
             if policies.can_view_note(request.user, cn.note)]
    record(action=AuditAction.READ, patient=patient, object_type="documentation.chart_notes",
           detail={"notes": len(notes)})
    items = [_chart_item(cn) for cn in notes]
    ctx = _chart_context(request, patient)
    ctx.update({"items": items, "form": form, "showing_from": start, "default_days": DEFAULT_CHART_DAYS,
                "can_print": bool(sites_with(request.user, Cap.NOTE_PRINT))})
    return render(request, "documentation/chart_notes.html", ctx)


def _chart_item(cn: selectors.ChartNote) -> dict[str, Any]:
    return {
        "cn": cn,
        "shared": display_sections(cn.schema, cn.note.shared_content, scope=Scope.SHARED),
        "mine": display_sections(cn.schema, cn.participant.content, scope=Scope.PARTICIPANT,
                                 objective_labels=cn.objectives),
        "zone": cn.session.site.zone,
    }


def _pdf_note(cn: selectors.ChartNote) -> pdfmod.PdfNote:
    zone = cn.session.site.zone
    s, n = cn.session, cn.note
    start, end = timezone.localtime(s.starts_at, zone), timezone.localtime(s.ends_at, zone)
    att = cn.participant.attendance
    attendance = ""
    if att is not None:
        bits = [att.get_status_display() if hasattr(att, "get_status_display") else att.status]
        if getattr(att, "minutes", None) is not None:
            bits.append(f"{att.minutes} min")
        if getattr(att, "modality", ""):
            bits.append(att.get_modality_display() if hasattr(att, "get_modality_display") else att.modality)
        attendance = " · ".join(str(b) for b in bits)

    def sig(x: Any) -> pdfmod.PdfSignature:
        return pdfmod.PdfSignature(label=x.get_kind_display(), signer=x.signer_name, credentials=x.credentials,
                                   signed_at=formats.stamp(x.signed_at, zone),
                                   content_hash=x.content_hash, late=x.is_late)

    return pdfmod.PdfNote(
        title=n.template_version.template.name,
        date_text=start.strftime("%Y-%m-%d (%a)"),
        time_text=f"{start:%H:%M}–{end:%H:%M} {start.tzname()}",
        service=s.get_service_type_display() if hasattr(s, "get_service_type_display") else s.service_type,
        program=s.program.name if s.program_id else "",
        site=s.site.name,
        author=n.author.display_name,
        template=f"{n.template_version.template.name} v{n.template_version.version}",
        status=n.get_status_display(),
        attendance=attendance,
        sections=[*display_sections(cn.schema, n.shared_content, scope=Scope.SHARED),
                  *display_sections(cn.schema, cn.participant.content, scope=Scope.PARTICIPANT,
                                    objective_labels=cn.objectives)],
        signatures=[sig(x) for x in cn.signatures],
        addenda=[pdfmod.PdfAddendum(text=a.text, signature=sig(a.signature)) for a in cn.addenda],
        late=n.is_late,
    )


def _pdf_meta(request: HttpRequest, patient: Any, notes: list[selectors.ChartNote]) -> pdfmod.PdfMeta:
    site = patient.primary_site if getattr(patient, "primary_site_id", None) else (
        notes[0].session.site if notes else None)
    zone = site.zone if site else dt.UTC
    part2 = any(getattr(cn.session.program, "is_part2", False) for cn in notes) or _patient_is_part2(patient)
    return pdfmod.PdfMeta(
        organization=getattr(patient.organization, "name", ""),
        site=getattr(site, "name", ""),
        printed_by=request.user.display_name,
        printed_at=formats.stamp(timezone.now(), zone),
        part2=part2,
    )


def _patient_is_part2(patient: Any) -> bool:
    return part2_notice_applies([patient])  # the one decision for every print and export (trellis.core.part2)


def _pdf_patient(patient: Any) -> pdfmod.PdfPatient:
    dob = patient.date_of_birth.isoformat() if getattr(patient, "date_of_birth", None) else ""
    return pdfmod.PdfPatient(name=patient.display_name, mrn=patient.mrn or "", date_of_birth=dob)


def _pdf_response(data: bytes, filename: str) -> HttpResponse:
    resp = HttpResponse(data, content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="{filename}"'
    resp["Cache-Control"] = "no-store"
    return resp


PDF_COMPRESS = True  # tests may switch this off to read the text


@capability_required(Cap.NOTE_PRINT)
@require_GET
def chart_note_pdf(request: HttpRequest, patient_id: Any, participant_id: Any) -> HttpResponse:
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.NOTE_PRINT)
    cn = selectors.chart_note(patient=patient, participant_id=participant_id)
    if cn is None or not (policies.can_print(request.user, cn.session.site)
                          and policies.can_view_note(request.user, cn.note)):
        record(action=AuditAction.DENIED, patient=patient, object_type="documentation.note_pdf", outcome="denied")
        raise Http404
    data = pdfmod.render_note_pdf(patient=_pdf_patient(patient), note=_pdf_note(cn),
                                  meta=_pdf_meta(request, patient, [cn]), compress=PDF_COMPRESS)
    record(action=AuditAction.PRINT, obj=cn.note, patient=patient,
           detail={"participant_note": str(cn.participant.public_id)})
    return _pdf_response(data, "note.pdf")


@capability_required(Cap.NOTE_PRINT)
@require_GET
def chart_notes_pdf(request: HttpRequest, patient_id: Any) -> HttpResponse:
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.NOTE_PRINT)
    form = DateRangeForm(request.GET)
    if not form.is_valid():
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
        return redirect("documentation:chart_notes", patient_id=patient.public_id)
    start, end = form.cleaned_data.get("start"), form.cleaned_data.get("end")
    notes = [cn for cn in selectors.patient_notes(patient=patient, start=start, end=end, limit=1000)
             if policies.can_print(request.user, cn.session.site) and policies.can_view_note(request.user, cn.note)]
    period = f"{start.isoformat() if start else 'first note'} to {end.isoformat() if end else 'today'}"
    data = pdfmod.render_notes_pdf(patient=_pdf_patient(patient), notes=[_pdf_note(cn) for cn in notes],
                                   meta=_pdf_meta(request, patient, notes), period=period, compress=PDF_COMPRESS)
    record(action=AuditAction.PRINT, patient=patient, object_type="documentation.notes_pdf",
           detail={"notes": len(notes), "start": start.isoformat() if start else None,
                   "end": end.isoformat() if end else None})
    return _pdf_response(data, "notes.pdf")
