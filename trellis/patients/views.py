from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import capability_required, sites_with
from trellis.audit.services import AuditAction, record, record_list_read
from trellis.core.access import get_scoped_or_404
from trellis.core.clock import now, today_in
from trellis.core.errors import ConflictError, DomainError
from trellis.core.part2 import part2_notice_for
from trellis.patients import selectors, services
from trellis.patients.forms import FlagForm, PatientForm, PatientSearchForm
from trellis.patients.models import Patient


def chart_context(request: HttpRequest, patient, active_tab: str) -> dict:
    """Context every chart tab renders with: the header patient and the tabs this user may open."""
    header = selectors.chart_header(patient)
    tabs = selectors.chart_tabs_for(request.user, header)
    today = today_in(header.primary_site.zone)
    return {
        "patient": header,
        "age": header.age_on(today),
        "header_items": selectors.chart_header_items_for(request.user, header, today),
        "tabs": tabs,
        "active_tab": active_tab,
        # Each chart page is told apart by its tab's name (WCAG 2.4.2), never by the patient's (no PHI in titles).
        "chart_title": next((tab["label"] for tab in tabs if tab["key"] == active_tab), "Overview"),
    }


@capability_required(Cap.PATIENT_VIEW)
def search(request: HttpRequest) -> HttpResponse:
    # The query travels in a POST body so names and dates of birth stay out of URLs and logs (DESIGN.md §4).
    form = PatientSearchForm(request.POST or None)
    results: list = []
    searched = False
    if form.is_valid() and form.cleaned_data["q"]:
        searched = True
        results = selectors.search_patients(request.user, form.cleaned_data["q"])
        # The result list shows identities: one event naming every patient listed (never the search terms).
        if not record_list_read(view="patient_search", patients=results):
            record(action=AuditAction.READ, object_type="patient_search", detail={"results": 0})
    template = "patients/_results.html" if request.htmx else "patients/search.html"
    return render(request, template, {"form": form, "results": results, "searched": searched})


@capability_required(Cap.PATIENT_CREATE)
def create(request: HttpRequest) -> HttpResponse:
    sites = sites_with(request.user, Cap.PATIENT_CREATE)
    initial = {"primary_site": request.active_site or (sites[0] if sites else None)}
    form = PatientForm(request.POST or None, sites=sites, initial=initial)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in {"version", "confirm_not_duplicate"}}
        try:
            patient = services.create_patient(
                organization=request.user.organization,
                created_by=request.user,
                confirm_not_duplicate=form.cleaned_data.get("confirm_not_duplicate", False),
                **data,
            )
        except services.DuplicatePatientWarning as warning:
            duplicates = [p for p in warning.matches if p in selectors.patients_for(request.user)]
            form.add_error(None, warning.message)
            form.fields["confirm_not_duplicate"].widget = form.fields["confirm_not_duplicate"].hidden_widget()
            from django import forms as djforms

            form.fields["confirm_not_duplicate"].widget = djforms.CheckboxInput()
        except DomainError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, f"Registered. MRN {patient.mrn}.")
            return redirect("patients:chart", patient_id=patient.public_id)
    return render(request, "patients/form.html", {"form": form, "duplicates": duplicates, "creating": True})


@capability_required(Cap.PATIENT_EDIT)
def edit(request: HttpRequest, patient_id) -> HttpResponse:
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.PATIENT_EDIT)
    sites = sites_with(request.user, Cap.PATIENT_EDIT)
    if patient.primary_site not in sites:
        sites = [*sites, patient.primary_site]
    form = PatientForm(request.POST or None, instance=patient, sites=sites)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.update_patient(
                patient=patient,
                expected_version=form.cleaned_data.get("version") or patient.version,
                changed_by=request.user,
                **data,
            )
        except ConflictError as error:
            form.add_error(None, error.message)
        except DomainError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, "Patient details saved.")
            return redirect("patients:chart", patient_id=patient.public_id)
    elif request.method == "GET":
        record(action=AuditAction.READ, obj=patient, detail={"view": "edit"})
    context = chart_context(request, patient, "overview")
    context.update({"form": form, "creating": False})
    return render(request, "patients/form.html", context)


@capability_required(Cap.PATIENT_VIEW)
def chart(request: HttpRequest, patient_id) -> HttpResponse:
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.PATIENT_VIEW)
    record(action=AuditAction.READ, obj=patient, detail={"view": "chart"})
    context = chart_context(request, patient, "overview")
    context["flag_form"] = FlagForm()
    context["panels"] = selectors.chart_overview_panels(request.user, patient, today_in(patient.primary_site.zone))
    return render(request, "patients/chart_overview.html", context)


@capability_required(Cap.PATIENT_VIEW)
def face_sheet(request: HttpRequest, patient_id) -> HttpResponse:
    """Printable demographics and contacts for the paper chart or a front-desk binder (audited as a print)."""
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.PATIENT_VIEW)
    record(action=AuditAction.PRINT, obj=patient, detail={"document": "face_sheet"})
    context = chart_context(request, patient, "overview")

    context["printed_at"] = now()
    context["part2_notice"] = part2_notice_for([patient], fmt="html")
    return render(request, "patients/face_sheet.html", context)


@capability_required(Cap.PATIENT_EDIT)
def flags(request: HttpRequest, patient_id) -> HttpResponse:
    """Add a chart flag, or clear one (flags are deactivated, never deleted)."""
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.PATIENT_EDIT)
    if request.method != "POST":
        return redirect("patients:chart", patient_id=patient.public_id)
    clear = request.POST.get("clear")
    if clear:
        try:
            services.clear_flag(patient=patient, flag_public_id=clear if _is_uuid(clear) else None)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Flag cleared.")
        return redirect("patients:chart", patient_id=patient.public_id)
    form = FlagForm(request.POST)
    if form.is_valid():
        services.set_flag(patient=patient, kind=form.cleaned_data["kind"], label=form.cleaned_data["label"].strip())
        messages.success(request, "Flag added to the chart header.")
        return redirect("patients:chart", patient_id=patient.public_id)
    context = chart_context(request, patient, "overview")
    context["flag_form"] = form
    return render(request, "patients/chart_overview.html", context, status=422)


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
