from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from trellis.accounts.capabilities import Cap
from trellis.accounts.models import Role
from trellis.accounts.policies import capability_required
from trellis.audit.forms import AuditFilterForm, PatientMrnForm
from trellis.audit.models import AuditEvent
from trellis.audit.selectors import AuditPage, audit_events_for, audit_page_for
from trellis.audit.services import AuditAction, record
from trellis.core.access import get_scoped_or_404
from trellis.patients.models import Patient
from trellis.patients.selectors import patients_for

ROLE_WORDS = dict(Role.choices)


def role_words(codes: str) -> str:
    """"program_director,therapist" -> "Program director, Therapist" (unknown codes shown as stored)."""
    return ", ".join(ROLE_WORDS.get(c, c) for c in codes.split(",") if c)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cursor(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else None


def _patient_by_mrn(request: HttpRequest) -> HttpResponse:
    """The patient filter is typed as an MRN but travels as the patient's opaque id: the MRN arrives in a POST
    body and the report is redirected to ?patient=<public_id>, so no MRN lands in URLs or access logs."""
    form = PatientMrnForm(request.POST)
    query = request.GET.copy()
    for key in ("patient", "page", "before", "after"):
        query.pop(key, None)
    if form.is_valid():
        patient = patients_for(request.user).filter(
            organization=request.user.organization, mrn__iexact=form.cleaned_data["mrn"]).first()
        if patient is not None:
            query["patient"] = str(patient.public_id)
            return redirect(f"{reverse('audit:report')}?{query.urlencode()}")
        messages.error(request, "No patient with that MRN at your sites. Check the number and try again.")
    else:
        messages.error(request, "Enter the patient's MRN.")
    return redirect(f"{reverse('audit:report')}?{query.urlencode()}" if query else reverse("audit:report"))


@capability_required(Cap.AUDIT_VIEW)
def audit_report(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _patient_by_mrn(request)
    form = AuditFilterForm(request.GET or None, organization=request.user.organization)
    filters: dict | None = None  # None: the filters are invalid, show no events
    patient = None
    if form.is_valid():
        data = form.cleaned_data
        if data.get("patient"):
            patient = get_scoped_or_404(request, Patient, data["patient"], capability=Cap.PATIENT_VIEW)
        filters = {
            "actor": data.get("actor"), "patient": patient, "start": data.get("start"), "end": data.get("end"),
            "action": data.get("action") or None,
        }
    elif not request.GET:
        filters = {}
    events = audit_events_for(request.user, **filters) if filters is not None else AuditEvent.objects.none()
    if request.GET.get("format") == "csv" and form.is_valid():
        record(action=AuditAction.EXPORT, object_type="audit_report", patient=patient, detail={"format": "csv"})
        writer = csv.writer(_Echo())
        header = ["event", "time (UTC)", "user", "roles", "action", "object type", "object id", "patient MRN",
                  "site", "ip", "outcome"]

        def rows():
            yield writer.writerow(header)
            for e in events.iterator(chunk_size=1000):
                yield writer.writerow([
                    e.pk, e.occurred_at.isoformat(), e.actor_label, role_words(e.roles), e.action, e.object_type, e.object_id,
                    e.patient.mrn if e.patient else "", e.site.code if e.site else "", e.ip_address or "",
                    e.outcome,
                ])

        response = StreamingHttpResponse(rows(), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="trellis-audit.csv"'
        return response
    page = (
        audit_page_for(request.user, before=_cursor(request, "before"), after=_cursor(request, "after"), **filters)
        if filters is not None
        else AuditPage([], None, None)
    )
    if patient is not None:
        record(action=AuditAction.READ, obj=patient, object_type="audit_report")
    for event in page.object_list:
        event.role_words = role_words(event.roles)
    query = request.GET.copy()
    for key in ("page", "before", "after"):
        query.pop(key, None)
    return render(
        request,
        "audit/report.html",
        {"form": form, "page": page, "patient": patient, "query": query.urlencode(),
         "mrn_form": PatientMrnForm(), "query_without_patient": _without(query, "patient")},
    )


def _without(query: Any, key: str) -> str:
    rest = query.copy()
    rest.pop(key, None)
    return rest.urlencode()
