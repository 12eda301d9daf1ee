"""Consents tab, consent creation, e-signature, revocation and the accounting of disclosures."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import capability_required
from trellis.accounts.sites import patient_site_for
from trellis.audit.middleware import client_ip
from trellis.audit.services import AuditAction, record
from trellis.consents import forms, policies, selectors, services
from trellis.consents.models import Consent, ConsentKind, ConsentStatus, PatientNotice
from trellis.core import formats
from trellis.core.access import get_scoped_or_404
from trellis.core.clock import today_in
from trellis.core.errors import DomainError
from trellis.core.forms import apply_domain_error
from trellis.patients.models import Patient
from trellis.patients.views import chart_context
from trellis.programs.models import Program


def _load(request: HttpRequest, consent_id: UUID, capability: str = Cap.PATIENT_VIEW) -> Consent:
    return get_scoped_or_404(request, Consent.objects.select_related("patient", "site", "text", "collected_by"),
                             consent_id, capability=capability)


@capability_required(Cap.PATIENT_VIEW)
def tab(request: HttpRequest, patient_id: UUID) -> HttpResponse:
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.PATIENT_VIEW)
    record(action=AuditAction.READ, obj=patient, detail={"view": "consents"})
    # Only the consents recorded at the user's sites, as for notes: a patient cared for at two sites has two
    # sets of records, and another site's (a Part 2 release, say) stays there (45 CFR 164.502(b)).
    consents = list(selectors.consents_scope(request.user).filter(patient=patient)
                    .select_related("collected_by", "recipient_source"))
    today = today_in(patient.primary_site.zone)
    for c in consents:
        c.in_force = c.in_force_on(today)
    context = chart_context(request, patient, "consents")
    context.update({"consents": consents, "can_manage": policies.can_manage_consents(request.user),
                    "kinds": ConsentKind.choices})
    return render(request, "consents/tab.html", context)


@capability_required(Cap.CONSENT_MANAGE)
def new(request: HttpRequest, patient_id: UUID) -> HttpResponse:
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.CONSENT_MANAGE)
    if request.method == "GET":  # the form shows the chart header: a read of the record
        record(action=AuditAction.READ, obj=patient, detail={"view": "new"})
    form = forms.ConsentForm(request.POST or None, organization=patient.organization,
                             initial={"kind": request.GET.get("kind") or ConsentKind.TREATMENT})
    release = form.release_data() if request.method == "POST" and form.is_valid() else None
    if release is not None and not form.errors:
        try:
            consent = services.create_consent(patient=patient,
                                              site=patient_site_for(request, patient, Cap.CONSENT_MANAGE),
                                              kind=form.cleaned_data["kind"], created_by=request.user,
                                              **release)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            return redirect("consents:detail", consent_id=consent.public_id)
    context = chart_context(request, patient, "consents")
    context.update({"form": form})
    return render(request, "consents/new.html", context, status=400 if form.errors else 200)


@capability_required(Cap.PATIENT_VIEW)
def detail(request: HttpRequest, consent_id: UUID) -> HttpResponse:
    consent = _load(request, consent_id)
    record(action=AuditAction.READ, obj=consent, patient=consent.patient, site=consent.site)
    text = consent.signed_text if consent.status != ConsentStatus.DRAFT else services.render_signed_text(consent)
    context = chart_context(request, consent.patient, "consents")
    context.update({
        "consent": consent, "text": text, "sign_form": forms.SignForm(), "revoke_form": forms.RevokeForm(),
        "expire_form": forms.ExpireForm(initial={"occurred_on": today_in(consent.site.zone)}),
        "can_manage": policies.can_manage_consents(request.user, consent.site),
        "disclosures": list(consent.disclosures.all()[:50]),
    })
    return render(request, "consents/detail.html", context)


@require_POST
@capability_required(Cap.CONSENT_MANAGE)
def sign(request: HttpRequest, consent_id: UUID) -> HttpResponse:
    consent = _load(request, consent_id, Cap.CONSENT_MANAGE)
    form = forms.SignForm(request.POST)
    if form.is_valid():
        try:
            services.sign_consent(consent=consent, signer_name=form.cleaned_data["signer_name"],
                                  signer_relationship=form.cleaned_data["signer_relationship"],
                                  relationship_detail=form.cleaned_data.get("relationship_detail") or "",
                                  signature_drawing=form.cleaned_data.get("signature_drawing") or "",
                                  collected_by=request.user, ip_address=client_ip(request))
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Signed.")
            return redirect("consents:detail", consent_id=consent.public_id)
    context = chart_context(request, consent.patient, "consents")
    context.update({"consent": consent, "text": services.render_signed_text(consent), "sign_form": form,
                    "revoke_form": forms.RevokeForm(), "can_manage": True, "disclosures": []})
    return render(request, "consents/detail.html", context, status=400)


@require_POST
@capability_required(Cap.CONSENT_MANAGE)
def revoke(request: HttpRequest, consent_id: UUID) -> HttpResponse:
    consent = _load(request, consent_id, Cap.CONSENT_MANAGE)
    form = forms.RevokeForm(request.POST)
    form.is_valid()
    try:
        services.revoke_consent(consent=consent, revoked_by=request.user, note=form.cleaned_data.get("note") or "")
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Revoked. Future disclosures under this consent are blocked; past ones stay on "
                                  "the accounting of disclosures.")
    return redirect("consents:detail", consent_id=consent.public_id)


@require_POST
@capability_required(Cap.CONSENT_MANAGE)
def expire(request: HttpRequest, consent_id: UUID) -> HttpResponse:
    consent = _load(request, consent_id, Cap.CONSENT_MANAGE)
    form = forms.ExpireForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the date the expiry event happened.")
    else:
        try:
            services.record_expiration_event(consent=consent, occurred_on=form.cleaned_data["occurred_on"],
                                             recorded_by=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Expiry event recorded; no disclosures under this consent from that day.")
    return redirect("consents:detail", consent_id=consent.public_id)


@capability_required(Cap.PATIENT_VIEW)
def accounting(request: HttpRequest, patient_id: UUID) -> HttpResponse:
    """Accounting of disclosures the patient can receive (42 CFR 2.25 as amended 2024; 45 CFR 164.528)."""
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.PATIENT_VIEW)
    form = forms.AccountingRangeForm(request.GET or None)
    start = end = None
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data.get("start"), form.cleaned_data.get("end")
    start, end = selectors.accounting_range(today_in(patient_site_zone(patient)), start, end)
    # Disclosures recorded at the user's own sites: another site's disclosures stay with that site (minimum
    # necessary); a complete accounting across sites is printed by someone who works at all of them.
    disclosures = list(selectors.disclosures_for_patient(patient, start=start, end=end)
                       .restrict(request.user, Cap.PATIENT_VIEW))
    if request.GET.get("format") == "pdf":
        if not request.user.is_authenticated:
            raise PermissionDenied
        record(action=AuditAction.PRINT, obj=patient, detail={"view": "accounting_of_disclosures"})
        return HttpResponse(_accounting_pdf(patient, disclosures, start, end), content_type="application/pdf",
                            headers={"Content-Disposition": 'inline; filename="accounting-of-disclosures.pdf"'})
    record(action=AuditAction.READ, obj=patient, detail={"view": "accounting_of_disclosures"})
    context = chart_context(request, patient, "consents")
    context.update({"disclosures": disclosures, "range_form": form, "start": start, "end": end,
                    "pdf_query": urlencode({"format": "pdf", "start": start.isoformat(), "end": end.isoformat()})})
    return render(request, "consents/accounting.html", context)


def patient_site_zone(patient: Patient) -> Any:
    site = getattr(patient, "primary_site", None)
    return site.zone if site is not None else dt.UTC


def _accounting_pdf(patient, disclosures, start=None, end=None) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=letter, title="Accounting of disclosures")
    styles = getSampleStyleSheet()
    story = [Paragraph("Accounting of disclosures", styles["Title"]),
             Paragraph(escape(f"{patient.legal_name}, DOB {formats.date(patient.date_of_birth)}, MRN {patient.mrn}"),
                       styles["BodyText"])]
    if start and end:
        story.append(Paragraph(escape(f"Disclosures from {formats.date(start)} to {formats.date(end)} (42 CFR 2.25; "
                                      "45 CFR 164.528)."), styles["BodyText"]))
    story.append(Spacer(1, 12))
    for d in disclosures:
        story.append(Paragraph(escape(
            f"{formats.stamp(d.disclosed_at, d.site)} — to {d.recipient_name}"
            + (f" ({d.recipient_affiliation})" if d.recipient_affiliation else "")
            + (f", {d.recipient_address}" if d.recipient_address else "")
            + f": {d.document_title} ({d.get_method_display()}). Purpose: {d.purpose}. Information: {d.information}."
            + (f" Sections: {', '.join(d.sections)}." if d.sections else "")
            + (f" Medical emergency: {d.emergency_nature}." if d.emergency_nature else "")
            + (" 42 CFR Part 2 record; notice against redisclosure attached." if d.is_part2 else "")
        ), styles["BodyText"]))
    if not disclosures:
        story.append(Paragraph("No disclosures recorded.", styles["BodyText"]))
    doc.build(story)
    return buf.getvalue()


@capability_required(Cap.DISCLOSURE_MAKE)
def emergency(request: HttpRequest, patient_id: UUID) -> HttpResponse:
    """Record a disclosure made without consent in a medical emergency (42 CFR 2.51)."""
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.DISCLOSURE_MAKE)
    form = forms.EmergencyDisclosureForm(request.POST or None)
    if request.method == "GET":
        record(action=AuditAction.READ, obj=patient, detail={"view": "emergency_disclosure"})
    if request.method == "POST" and form.is_valid():
        site = patient_site_for(request, patient, Cap.DISCLOSURE_MAKE)
        data = form.cleaned_data
        try:
            services.emergency_disclosure(
                patient=patient, site=site, recipient_name=data["recipient_name"],
                recipient_affiliation=data["recipient_affiliation"], nature_of_emergency=data["nature_of_emergency"],
                information=data["information"], sections=data["sections"], disclosed_by=request.user,
                part2_applies=patient.flags.filter(kind="part2", active=True).exists(),
                disclosed_at=data["disclosed_at"],
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Emergency disclosure recorded in the accounting of disclosures.")
            return redirect("consents:accounting", patient_id=patient.public_id)
    context = chart_context(request, patient, "consents")
    context.update({"form": form})
    return render(request, "consents/emergency.html", context, status=400 if form.errors else 200)


@capability_required(Cap.PROGRAM_MANAGE)
def program_notice(request: HttpRequest, program_id: UUID) -> HttpResponse:
    """A Part 2 program's patient notice (42 CFR 2.22) as versioned text; publishing makes a new version."""
    program = get_scoped_or_404(request, Program.objects.select_related("site"), program_id,
                                capability=Cap.PROGRAM_MANAGE)
    current = services.current_notice(program)
    form = forms.NoticeForm(request.POST or None,
                            initial={"body": current.body if current else services.default_notice_text(program)})
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.publish_notice(program=program, body=form.cleaned_data["body"],
                                             published_by=request.user)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, f"Notice version {notice.version} published; new admissions receive it.")
            return redirect("consents:program_notice", program_id=program.public_id)
    versions = list(PatientNotice.objects.filter(program=program).order_by("-version")[:20])
    return render(request, "consents/program_notice.html", {"program": program, "form": form, "current": current,
                                                            "versions": versions},
                  status=400 if form.errors else 200)
