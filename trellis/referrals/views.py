"""Referral network, pipeline board, intake, diagnoses (ICD-10-CM autocomplete), C-SSRS + safety plan and
level-of-care determination views. Thin: parse, check policy + site scope, call a service or selector."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import capability_required
from trellis.accounts.sites import in_view, patient_site_for, pick_site, site_in_view, working_day
from trellis.audit.services import AuditAction, record
from trellis.core.access import get_scoped_or_404
from trellis.core.errors import ConflictError, DomainError
from trellis.core.forms import apply_domain_error
from trellis.patients.models import Patient
from trellis.patients.selectors import patients_for
from trellis.patients.services import DuplicatePatientWarning
from trellis.patients.views import chart_context
from trellis.programs.models import Program
from trellis.referrals import forms, icd10, policies, selectors, services
from trellis.referrals.models import (
    IntakeAssessment,
    IntakeStatus,
    LevelOfCareDetermination,
    LossReason,
    Referral,
    ReferralStatus,
    SuicideRiskScreen,
)


def _deny(request: HttpRequest, obj: Any, capability: str) -> None:
    record(action=AuditAction.DENIED, obj=obj, outcome="denied", detail={"capability": capability})
    raise PermissionDenied("Your role does not allow this at this site.")


# ---------------------------------------------------------------- sources
@capability_required(Cap.REFERRAL_VIEW)
def sources(request: HttpRequest) -> HttpResponse:
    qs = selectors.sources_for(request.user)
    kind = request.GET.get("kind", "")
    q = request.GET.get("q", "").strip()
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(name__icontains=q)
    return render(request, "referrals/sources.html", {
        "sources": list(qs[:500]), "kinds": forms.SOURCE_KIND_CHOICES, "kind": kind, "q": q,
        "can_manage": policies.can_manage_referrals(request.user),
    })


@capability_required(Cap.REFERRAL_MANAGE)
def source_edit(request: HttpRequest, source_id: UUID | None = None) -> HttpResponse:
    source = None
    if source_id is not None:
        source = selectors.sources_for(request.user).filter(public_id=source_id).first()
        if source is None:
            from django.http import Http404

            raise Http404("Not found")
    form = forms.ReferralSourceForm(request.POST or None, instance=source)
    contact_form = forms.ContactForm(request.POST or None, prefix="contact") if source else None
    if request.method == "POST":
        if source is not None and request.POST.get("add_contact"):
            if contact_form.is_valid():
                try:
                    services.add_contact(source=source, created_by=request.user, **contact_form.cleaned_data)
                except DomainError as error:
                    apply_domain_error(contact_form, error)
                else:
                    messages.success(request, "Contact added.")
                    return redirect("referrals:source_edit", source_id=source.public_id)
            form = forms.ReferralSourceForm(instance=source)
        elif form.is_valid():
            data = form.cleaned_data
            try:
                if source is None:
                    source = services.create_referral_source(
                        organization=request.user.organization, created_by=request.user, **data
                    )
                else:
                    services.update_referral_source(source=source, changed_by=request.user, **data)
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, "Referral source saved.")
                return redirect("referrals:source_edit", source_id=source.public_id)
    return render(request, "referrals/source_form.html", {"form": form, "source": source,
                                                          "contact_form": contact_form})


@capability_required(Cap.REFERRAL_MANAGE)
def loss_reasons(request: HttpRequest) -> HttpResponse:
    org = request.user.organization
    form = forms.LossReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_loss_reason(organization=org, **form.cleaned_data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Reason added.")
            return redirect("referrals:loss_reasons")
    reasons = LossReason.objects.filter(organization=org)
    return render(request, "referrals/loss_reasons.html", {"form": form, "reasons": reasons})


# ---------------------------------------------------------------- pipeline
def _board_filters(request: HttpRequest, params: Any) -> tuple[bool, Any]:
    """The board's "only mine" and source filters, from the page's query (also re-read on htmx requests)."""
    mine = params.get("mine") == "1"
    source = None
    source_id = params.get("source", "")
    if source_id and _is_uuid(source_id):
        source = selectors.sources_for(request.user).filter(public_id=source_id).first()
    return mine, source


def _board_statuses() -> list[tuple[str, str]]:
    return [c for c in ReferralStatus.choices if c[0] != ReferralStatus.ADMITTED]


@capability_required(Cap.REFERRAL_VIEW)
def board(request: HttpRequest) -> HttpResponse:
    site, sites = site_in_view(request, Cap.REFERRAL_VIEW, request.GET.get("site"))
    scope = in_view(sites, site)
    mine, source = _board_filters(request, request.GET)
    due = request.GET.get("due") == "1"
    columns = _board_columns(request, site, scope, mine=mine, due=due, source=source)
    record(action=AuditAction.READ, object_type="referral_board",
           detail={"site": str(site.public_id) if site else "all"})
    return render(request, "referrals/board.html", {
        "site": site, "sites": sites, "scope": scope, "columns": columns,
        "kpi": selectors.pipeline_kpi(request.user, site, sites=scope) if scope else None,
        "mine": mine, "due": due, "source": source,
        "all_sources": list(selectors.sources_for(request.user).filter(active=True)),
        "can_manage": any(policies.can_manage_referrals(request.user, s) for s in scope),
        "new_site": site or next((s for s in scope if policies.can_manage_referrals(request.user, s)), None),
    })


@capability_required(Cap.REFERRAL_VIEW)
def board_column(request: HttpRequest) -> HttpResponse:
    """The next page of one board column ("Show more"), appended in place by htmx."""
    site, sites = site_in_view(request, Cap.REFERRAL_VIEW, request.GET.get("site"))
    scope = in_view(sites, site)
    status = request.GET.get("status", "")
    if not scope or status not in selectors.BOARD_COLUMNS:
        return HttpResponse("Choose a site and a pipeline state.", status=400)
    try:
        offset = max(int(request.GET.get("offset", "0")), 0)
    except ValueError:
        return HttpResponse("The page offset must be a whole number.", status=400)
    mine, source = _board_filters(request, request.GET)
    due = request.GET.get("due") == "1"
    column = selectors.board_column(
        request.user, site, status, offset=offset, owner=request.user if mine else None, source=source,
        sites=scope, due_by=working_day(request.user, getattr(request, "active_site", None)) if due else None)
    record(action=AuditAction.READ, object_type="referral_board",
           detail={"site": str(site.public_id) if site else "all", "status": status, "offset": offset})
    return render(request, "referrals/_board_cards.html", {
        "col": column, "site": site, "mine": mine, "due": due, "source": source,
        "can_manage": any(policies.can_manage_referrals(request.user, s) for s in scope),
    })


def _board_columns(request: HttpRequest, site: Any, scope: list[Any], *, mine: bool, due: bool,
                   source: Any = None) -> list[dict[str, Any]]:
    """The board's columns for the sites in view; "due" is the Today counter's list (selectors.next_steps_due)
    in the site's local day."""
    if not scope:
        return []
    due_by = working_day(request.user, getattr(request, "active_site", None)) if due else None
    return selectors.board(request.user, site, sites=scope, owner=request.user if mine else None, source=source,
                           due_by=due_by)


@capability_required(Cap.REFERRAL_MANAGE)
def referral_create(request: HttpRequest) -> HttpResponse:
    site, sites = pick_site(request, Cap.REFERRAL_MANAGE, request.GET.get("site") or request.POST.get("site"))
    if site is None:
        raise PermissionDenied("No site where you may add referrals.")
    form = forms.ReferralForm(request.POST or None, site=site)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        data["requested_level"] = data.get("requested_level") or ""
        try:
            referral = services.create_referral(site=site, created_by=request.user, **data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Referral added.")
            return redirect("referrals:detail", referral_id=referral.public_id)
    return render(request, "referrals/referral_form.html", {"form": form, "site": site, "sites": sites,
                                                            "referral": None})


def _load_referral(request: HttpRequest, referral_id: UUID, capability: str = Cap.REFERRAL_VIEW) -> Referral:
    return get_scoped_or_404(
        request, Referral.objects.select_related("site", "source", "owner", "program", "patient", "loss_reason"),
        referral_id, capability=Cap.REFERRAL_VIEW,
    ) if capability == Cap.REFERRAL_VIEW else get_scoped_or_404(
        request, Referral.objects.select_related("site", "source", "patient"), referral_id, capability=capability,
    )


@capability_required(Cap.REFERRAL_VIEW)
def referral_detail(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    referral = _load_referral(request, referral_id)
    record(action=AuditAction.READ, obj=referral, patient=referral.patient, site=referral.site)
    can_manage = policies.can_manage_referrals(request.user, referral.site)
    form = None
    if can_manage and referral.status != ReferralStatus.ADMITTED:
        initial = {k: getattr(referral, k) for k in services.REFERRAL_FIELDS}
        initial["version"] = referral.version
        form = forms.ReferralForm(initial=initial, site=referral.site)
    return render(request, "referrals/referral_detail.html", {
        "referral": referral, "events": selectors.referral_events(referral), "form": form,
        "can_manage": can_manage, "can_convert": policies.can_convert(request.user, referral.site),
        "loss_reasons": selectors.loss_reasons_for(referral.organization),
        "statuses": [c for c in ReferralStatus.choices if c[0] != ReferralStatus.ADMITTED],
    })


@require_POST
@capability_required(Cap.REFERRAL_MANAGE)
def referral_edit(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    referral = _load_referral(request, referral_id, Cap.REFERRAL_MANAGE)
    form = forms.ReferralForm(request.POST, site=referral.site, current_due=referral.next_step_due)
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        data["requested_level"] = data.get("requested_level") or ""
        try:
            services.update_referral(referral=referral, expected_version=form.cleaned_data.get("version")
                                     or referral.version, changed_by=request.user, **data)
        except (ConflictError, DomainError) as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Referral saved.")
            return redirect("referrals:detail", referral_id=referral.public_id)
    return render(request, "referrals/referral_detail.html", {
        "referral": referral, "events": selectors.referral_events(referral), "form": form, "can_manage": True,
        "can_convert": policies.can_convert(request.user, referral.site),
        "loss_reasons": selectors.loss_reasons_for(referral.organization),
        "statuses": [c for c in ReferralStatus.choices if c[0] != ReferralStatus.ADMITTED],
    }, status=400)


@capability_required(Cap.REFERRAL_MANAGE)
def referral_move_form(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    """The small move form of one board card, loaded when its Move button is pressed."""
    referral = _load_referral(request, referral_id, Cap.REFERRAL_MANAGE)
    return render(request, "referrals/_move_form.html", {
        "referral": referral, "statuses": _board_statuses(),
        "loss_reasons": selectors.loss_reasons_for(referral.organization),
    })


@require_POST
@capability_required(Cap.REFERRAL_MANAGE)
def referral_move(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    """Move a card (board via htmx, or the detail page). On the board only the two columns involved are
    re-rendered (out-of-band swaps); a refusal answers on the card itself."""
    referral = _load_referral(request, referral_id, Cap.REFERRAL_MANAGE)
    from_status = referral.status
    form = forms.MoveForm(request.POST, organization=referral.organization)
    error_message = ""
    if form.is_valid():
        try:
            referral = services.move_referral(
                referral=referral, to_status=form.cleaned_data["status"], changed_by=request.user,
                loss_reason=form.cleaned_data.get("loss_reason"), note=form.cleaned_data.get("note") or "",
                expected_version=form.cleaned_data.get("version"),
            )
        except (ConflictError, DomainError) as error:
            error_message = error.message
    else:
        error_message = "Choose a pipeline state."
    if request.htmx:
        if error_message:
            referral.refresh_from_db()
            return render(request, "referrals/_move_form.html", {
                "referral": referral, "statuses": _board_statuses(), "error": error_message,
                "loss_reasons": selectors.loss_reasons_for(referral.organization),
            })
        # re-render the two columns of the board the card was moved on: same sites ("All my sites" too) and filters
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.htmx.current_url or "").query).items()}
        mine, source = _board_filters(request, query)
        site, sites = site_in_view(request, Cap.REFERRAL_VIEW, query.get("site"))
        due = query.get("due") == "1"
        due_by = working_day(request.user, getattr(request, "active_site", None)) if due else None
        columns = selectors.board(request.user, site, owner=request.user if mine else None, source=source,
                                  statuses=[from_status, referral.status], sites=in_view(sites, site), due_by=due_by)
        return render(request, "referrals/_board_moved.html", {
            "columns": columns, "site": site, "can_manage": True, "mine": mine, "due": due, "source": source,
            "moved_to": referral.get_status_display(),
        })
    if error_message:
        messages.error(request, error_message)
    else:
        messages.success(request, "Referral moved.")
    return redirect("referrals:detail", referral_id=referral.public_id)


@capability_required(Cap.REFERRAL_MANAGE)
def referral_convert(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    referral = _load_referral(request, referral_id, Cap.REFERRAL_MANAGE)
    if not policies.can_convert(request.user, referral.site):
        _deny(request, referral, Cap.PATIENT_CREATE)
    if referral.patient_id:
        return redirect("patients:chart", patient_id=referral.patient.public_id)
    form = forms.ConvertForm(request.POST or None)
    duplicates: list[Any] = []
    possible_duplicate = False  # the "different person" checkbox is offered only once a duplicate was found
    if request.method == "POST" and form.is_valid():
        existing = None
        link_id = request.POST.get("link_patient")
        if link_id and _is_uuid(link_id):
            existing = patients_for(request.user).filter(public_id=link_id).first()
        try:
            patient = services.convert_referral_to_patient(
                referral=referral, created_by=request.user, sex_at_birth=form.cleaned_data["sex_at_birth"],
                confirm_not_duplicate=form.cleaned_data["confirm_not_duplicate"], existing_patient=existing,
            )
        except DuplicatePatientWarning as warning:
            visible = set(patients_for(request.user).values_list("pk", flat=True))
            duplicates = [p for p in warning.matches if p.pk in visible]
            possible_duplicate = True
            form.add_error(None, warning.message)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, f"Chart created (MRN {patient.mrn}).")
            return redirect("patients:chart", patient_id=patient.public_id)
    return render(request, "referrals/convert.html", {"referral": referral, "form": form, "duplicates": duplicates,
                                                      "possible_duplicate": possible_duplicate})


# ---------------------------------------------------------------- ICD-10-CM autocomplete
@capability_required(Cap.PATIENT_VIEW)
def icd10_search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("code") or request.GET.get("q") or ""
    results = icd10.search(q, limit=15)
    return render(request, "referrals/_icd10_results.html", {"results": results, "q": q})


# ---------------------------------------------------------------- intake
@capability_required(Cap.INTAKE_WRITE)
def intake_start(request: HttpRequest, patient_id: UUID) -> HttpResponse:
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.INTAKE_WRITE)
    site = patient_site_for(request, patient, Cap.INTAKE_WRITE)
    if request.method != "POST":
        return redirect("patients:chart", patient_id=patient.public_id)
    referral = Referral.objects.filter(patient=patient).order_by("-received_at").first()
    intake = services.start_intake(patient=patient, site=site, clinician=request.user, referral=referral)
    return redirect("referrals:intake", intake_id=intake.public_id)


def _load_intake(request: HttpRequest, intake_id: UUID, capability: str = Cap.PATIENT_VIEW) -> IntakeAssessment:
    return get_scoped_or_404(request, IntakeAssessment.objects.select_related("patient", "site", "clinician"),
                             intake_id, capability=capability)


@capability_required(Cap.PATIENT_VIEW)
def intake(request: HttpRequest, intake_id: UUID) -> HttpResponse:
    obj = _load_intake(request, intake_id)
    editable = obj.status == IntakeStatus.DRAFT and policies.can_write_intake(request.user, obj.site)
    initial = {k: getattr(obj, k) for k in services.INTAKE_FIELDS}
    for key, value in (obj.hrsn_answers or {}).items():
        initial[f"hrsn_{key}"] = value
    form = forms.IntakeForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not editable:
            _deny(request, obj, Cap.INTAKE_WRITE)
        if form.is_valid():
            data = {k: form.cleaned_data[k] for k in services.INTAKE_FIELDS}
            try:
                services.save_intake(intake=obj, changed_by=request.user, hrsn_answers=form.hrsn_answers(), **data)
                if request.POST.get("complete"):
                    services.complete_intake(intake=obj, completed_by=request.user)
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, "Intake completed." if request.POST.get("complete") else "Intake saved.")
                return redirect("referrals:intake", intake_id=obj.public_id)
    else:
        record(action=AuditAction.READ, obj=obj, patient=obj.patient, site=obj.site)
    detail = selectors.intake_detail(obj)
    context = chart_context(request, obj.patient, "episodes")
    context.update({
        "intake": detail, "form": form, "editable": editable,
        "screens": list(detail.risk_screens.all()),
    })
    return render(request, "referrals/intake.html", context, status=400 if form.errors else 200)


# ---------------------------------------------------------------- C-SSRS
@capability_required(Cap.INTAKE_WRITE)
def screen_new(request: HttpRequest, patient_id: UUID) -> HttpResponse:
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.INTAKE_WRITE)
    if request.method == "GET":  # the form shows the chart header: a read of the record
        record(action=AuditAction.READ, obj=patient, detail={"view": "screen_new"})
    intake_obj = None
    if request.GET.get("intake") or request.POST.get("intake"):
        intake_obj = _load_intake(request, request.GET.get("intake") or request.POST.get("intake"), Cap.INTAKE_WRITE)
    site = intake_obj.site if intake_obj else patient_site_for(request, patient, Cap.INTAKE_WRITE)
    form = forms.RiskScreenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            screen = services.record_risk_screen(
                patient=patient, site=site, administered_by=request.user, answers=form.answers(), intake=intake_obj,
                violence_risk_notes=form.cleaned_data.get("violence_risk_notes") or "",
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            return redirect("referrals:screen", screen_id=screen.public_id)
    context = chart_context(request, patient, "episodes")
    context.update({"form": form, "intake": intake_obj})
    return render(request, "referrals/screen_form.html", context, status=400 if form.errors else 200)


@capability_required(Cap.PATIENT_VIEW)
def screen(request: HttpRequest, screen_id: UUID) -> HttpResponse:
    obj = get_scoped_or_404(request, SuicideRiskScreen.objects.select_related("patient", "site", "administered_by", "intake"),
                            screen_id, capability=Cap.PATIENT_VIEW)
    plan = obj.safety_plans.order_by("-id").first()
    initial = {k: getattr(plan, k) for k, _ in forms.cssrs.SAFETY_PLAN_SECTIONS} if plan else {}
    form = forms.SafetyPlanForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not policies.can_write_intake(request.user, obj.site):
            _deny(request, obj, Cap.INTAKE_WRITE)
        if form.is_valid():
            sections = {k: form.cleaned_data.get(k) or "" for k, _ in forms.cssrs.SAFETY_PLAN_SECTIONS}
            try:
                services.save_safety_plan(screen=obj, changed_by=request.user,
                                          complete=form.cleaned_data["complete"], **sections)
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, "Safety plan saved.")
                return redirect("referrals:screen", screen_id=obj.public_id)
    else:
        record(action=AuditAction.READ, obj=obj, patient=obj.patient, site=obj.site)
    answers = [(q, getattr(obj, q.key)) for q in forms.cssrs.QUESTIONS]
    context = chart_context(request, obj.patient, "episodes")
    context.update({"screen": obj, "answers": answers, "plan": plan, "form": form,
                    "recommendation": forms.cssrs.RECOMMENDATIONS[forms.cssrs.RiskLevel(obj.risk)],
                    "source": forms.cssrs.SOURCE})
    return render(request, "referrals/screen.html", context, status=400 if form.errors else 200)


# ---------------------------------------------------------------- level of care
@capability_required(Cap.INTAKE_WRITE)
def determination_new(request: HttpRequest, patient_id: UUID) -> HttpResponse:
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.INTAKE_WRITE)
    if request.method == "GET":  # the form shows the chart header: a read of the record
        record(action=AuditAction.READ, obj=patient, detail={"view": "determination_new"})
    programs = Program.objects.restrict(request.user, Cap.INTAKE_WRITE).filter(active=True).select_related("site")
    program_id = request.GET.get("program") or request.POST.get("program_public_id")
    program = programs.filter(public_id=program_id).first() if _is_uuid(program_id) else None
    if program is None and not program_id:
        # the program the patient was referred to, preselected (its criteria shown at once)
        referred = Referral.objects.filter(patient=patient, program__isnull=False).order_by("-received_at").first()
        program = programs.filter(pk=referred.program_id).first() if referred else None
    criteria = selectors.criteria_for_program(program) if program else None
    form = forms.DeterminationForm(
        request.POST if request.method == "POST" and program else None, programs=programs, criteria=criteria,
        initial={"program": program, "recommended_level": getattr(program, "level_of_care", None)},
    )
    if request.method == "POST" and program and form.is_valid():
        try:
            det = services.record_loc_determination(
                patient=patient, program=form.cleaned_data["program"], findings=form.findings(),
                rationale=form.cleaned_data["rationale"], recommended_level=form.cleaned_data["recommended_level"],
                determined_by=request.user, intake=selectors.latest_intake(patient),
            )
        except DomainError as error:
            field = f"dim_{error.field}" if error.field and f"dim_{error.field}" in form.fields else error.field
            form.add_error(field if field in form.fields else None, error.message)
        else:
            return redirect("referrals:determination", determination_id=det.public_id)
    context = chart_context(request, patient, "episodes")
    context.update({"form": form, "program": program, "criteria": criteria})
    context["programs"] = programs
    return render(request, "referrals/determination_form.html", context, status=400 if form.errors else 200)


def _is_uuid(value: Any) -> bool:
    try:
        UUID(str(value))
    except (TypeError, ValueError):
        return False
    return True


@capability_required(Cap.PATIENT_VIEW)
def determination(request: HttpRequest, determination_id: UUID) -> HttpResponse:
    obj = get_scoped_or_404(
        request, LevelOfCareDetermination.objects.select_related("patient", "program__site", "determined_by",
                                                                 "overridden_by"),
        determination_id, capability=Cap.PATIENT_VIEW,
    )
    can_override = policies.can_override_criteria(request.user, obj.program.site)
    form = forms.OverrideForm(request.POST or None)
    if request.method == "POST":
        if not can_override:
            _deny(request, obj, Cap.EPISODE_OVERRIDE)
        if form.is_valid():
            try:
                services.override_loc_determination(determination=obj, reason=form.cleaned_data["reason"],
                                                    overridden_by=request.user)
            except DomainError as error:
                form.add_error("reason" if error.field else None, error.message)
            else:
                messages.success(request, "Override recorded.")
                return redirect("referrals:determination", determination_id=obj.public_id)
    else:
        record(action=AuditAction.READ, obj=obj, patient=obj.patient, site=obj.program.site)
    from trellis.referrals.criteria import CriteriaSet

    crit = CriteriaSet.from_data(obj.criteria)
    rows = []
    for dim in crit.dimensions:
        finding = dim.finding(obj.findings.get(dim.key, ""))
        rows.append({"name": dim.name, "finding": finding.label if finding else "—",
                     "meets": bool(finding and finding.meets)})
    context = chart_context(request, obj.patient, "episodes")
    context.update({"det": obj, "rows": rows, "criteria": crit, "form": form, "can_override": can_override})
    return render(request, "referrals/determination.html", context, status=400 if form.errors else 200)


