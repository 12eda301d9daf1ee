"""Coverage pages: payer setup, the chart's Coverage tab, coverage and authorization forms, recording a concurrent
review, and the utilization-review worklist. Thin: parse, check the policy, call a service or selector, render."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import capability_required, sites_with
from trellis.audit.services import AuditAction, record, record_list_read
from trellis.core.access import as_uuid, get_scoped_or_404
from trellis.core.clock import today_in
from trellis.core.errors import DomainError
from trellis.core.forms import apply_domain_error
from trellis.coverage import policies, selectors, services
from trellis.coverage.forms import AuthorizationForm, CoverageForm, PayerForm, ReviewForm, ScheduleReviewForm
from trellis.coverage.models import (
    Authorization,
    ConcurrentReview,
    Coverage,
    EligibilityStatus,
    ReviewOutcome,
)
from trellis.episodes.models import Episode
from trellis.patients.models import Patient
from trellis.patients.views import chart_context


def _patient_today(patient: Any) -> Any:
    return today_in(patient.primary_site.zone)


# ---------------------------------------------------------------------------------------------------------
# Payers (organization-wide, no patient data)
# ---------------------------------------------------------------------------------------------------------
@capability_required(Cap.PAYER_MANAGE)
@require_GET
def payers(request: HttpRequest) -> HttpResponse:
    rows = list(selectors.payers_for(request.user).order_by("-active", "name"))
    return render(request, "coverage/payers.html", {"payers": rows})


@capability_required(Cap.PAYER_MANAGE)
@require_http_methods(["GET", "POST"])
def payer_edit(request: HttpRequest, payer_id: UUID | None = None) -> HttpResponse:
    payer = None
    if payer_id is not None:
        payer = selectors.payers_for(request.user).filter(public_id=payer_id).first()
        if payer is None:
            raise Http404("Not found")
    initial = {f: getattr(payer, f) for f in services.PAYER_FIELDS} if payer else {}
    form = PayerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if payer is None:
                payer = services.create_payer(organization=request.user.organization, actor=request.user,
                                              **form.cleaned_data)
                messages.success(request, f"Payer {payer.name} added.")
            else:
                services.update_payer(payer=payer, actor=request.user, **form.cleaned_data)
                messages.success(request, f"Payer {payer.name} saved.")
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            return redirect("coverage:payers")
    return render(request, "coverage/payer_form.html", {"form": form, "payer": payer},
                  status=400 if form.errors else 200)


# ---------------------------------------------------------------------------------------------------------
# The chart's Coverage tab
# ---------------------------------------------------------------------------------------------------------
@capability_required(Cap.COVERAGE_VIEW)
@require_GET
def chart(request: HttpRequest, patient_id: UUID) -> HttpResponse:
    patient = get_scoped_or_404(request, Patient.objects.select_related("primary_site"), patient_id,
                                capability=Cap.COVERAGE_VIEW)
    today = _patient_today(patient)
    data = selectors.patient_coverage(request.user, patient, today)
    record(action=AuditAction.READ, obj=patient, detail={"view": "coverage"})
    ctx = chart_context(request, patient, "coverage")
    episode_sites = {e.program.site.pk: e.program.site for e in data.episodes}
    ctx.update({
        "data": data, "today": today,
        "can_manage": bool(policies.can_manage_coverage(request.user, patient)),
        "can_authorize": any(policies.can_manage_authorizations(request.user, e) for e in data.episodes),
        "review_sites": {pk for pk, s in episode_sites.items() if policies.can_record_reviews(request.user, s)},
        "eligibility_choices": [c for c in EligibilityStatus.choices if c[0] != EligibilityStatus.NOT_CHECKED],
    })
    return render(request, "coverage/chart.html", ctx)


def _coverage_form_page(request: HttpRequest, patient: Any, form: CoverageForm, coverage: Coverage | None,
                        episode: Episode | None, status: int = 200) -> HttpResponse:
    ctx = chart_context(request, patient, "coverage")
    ctx.update({"form": form, "coverage": coverage, "episode": episode})
    return render(request, "coverage/coverage_form.html", ctx, status=status)


def _episode_param(request: HttpRequest, patient: Any) -> Episode | None:
    uid = as_uuid(request.GET.get("episode") or request.POST.get("episode") or "")
    if uid is None:
        return None
    return (Episode.objects.restrict(request.user, Cap.COVERAGE_VIEW).filter(patient=patient, public_id=uid)
            .select_related("program__site").first())


@capability_required(Cap.COVERAGE_MANAGE)
@require_http_methods(["GET", "POST"])
def coverage_new(request: HttpRequest, patient_id: UUID) -> HttpResponse:
    patient = get_scoped_or_404(request, Patient.objects.select_related("primary_site"), patient_id,
                                capability=Cap.COVERAGE_MANAGE)
    if request.method == "GET":
        record(action=AuditAction.READ, obj=patient, detail={"view": "coverage_new"})
    episode = _episode_param(request, patient)
    initial = {"effective_from": episode.admitted_on if episode else _patient_today(patient)}
    form = CoverageForm(request.POST or None, payers=selectors.payers_for(request.user, active_only=True),
                        initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_coverage(patient=patient, actor=request.user, episode=episode, **form.coverage_data())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Coverage added.")
            if request.POST.get("next") == "admit":
                return redirect("episodes:admit", patient_id=patient.public_id)
            return redirect("coverage:chart", patient_id=patient.public_id)
    return _coverage_form_page(request, patient, form, None, episode, 400 if form.errors else 200)


@capability_required(Cap.COVERAGE_MANAGE)
@require_http_methods(["GET", "POST"])
def coverage_edit(request: HttpRequest, coverage_id: UUID) -> HttpResponse:
    coverage = get_scoped_or_404(request, Coverage.objects.select_related("patient__primary_site", "payer"),
                                 coverage_id, capability=Cap.COVERAGE_MANAGE, audit_read=request.method == "GET")
    patient = coverage.patient
    initial = {f: getattr(coverage, f) for f in services.COVERAGE_FIELDS} | {"version": coverage.version}
    form = CoverageForm(request.POST or None, payers=selectors.payers_for(request.user), initial=initial)
    if request.method == "POST" and form.is_valid():
        version = form.cleaned_data.get("version") or coverage.version
        try:
            services.update_coverage(coverage=coverage, actor=request.user, version=version, **form.coverage_data())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Coverage saved.")
            return redirect("coverage:chart", patient_id=patient.public_id)
    return _coverage_form_page(request, patient, form, coverage, None, 400 if form.errors else 200)


@capability_required(Cap.COVERAGE_MANAGE)
@require_POST
def eligibility(request: HttpRequest, coverage_id: UUID) -> HttpResponse:
    coverage = get_scoped_or_404(request, Coverage.objects.select_related("patient__primary_site"), coverage_id,
                                 capability=Cap.COVERAGE_MANAGE)
    status = request.POST.get("eligibility_status", "")
    try:
        services.record_eligibility(coverage=coverage, actor=request.user, status=status,
                                    checked_on=_patient_today(coverage.patient))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Eligibility check recorded for today.")
    return redirect("coverage:chart", patient_id=coverage.patient.public_id)


# ---------------------------------------------------------------------------------------------------------
# Authorizations
# ---------------------------------------------------------------------------------------------------------
def _authorization_page(request: HttpRequest, patient: Any, form: AuthorizationForm, auth: Authorization | None,
                        status: int = 200) -> HttpResponse:
    ctx = chart_context(request, patient, "coverage")
    ctx.update({"form": form, "auth": auth})
    return render(request, "coverage/authorization_form.html", ctx, status=status)


@capability_required(Cap.AUTHORIZATION_MANAGE)
@require_http_methods(["GET", "POST"])
def authorization_new(request: HttpRequest, patient_id: UUID) -> HttpResponse:
    patient = get_scoped_or_404(request, Patient.objects.select_related("primary_site"), patient_id,
                                capability=Cap.AUTHORIZATION_MANAGE)
    if request.method == "GET":
        record(action=AuditAction.READ, obj=patient, detail={"view": "authorization_new"})
    coverages = (Coverage.objects.restrict(request.user, Cap.COVERAGE_VIEW).filter(patient=patient)
                 .exclude(payer__payer_type="self_pay").select_related("payer"))
    episodes = (Episode.objects.restrict(request.user, Cap.AUTHORIZATION_MANAGE).filter(patient=patient)
                .select_related("program__site").order_by("-admitted_on"))
    episode = _episode_param(request, patient)
    if episode is None:  # the usual case: the one episode in care
        active = [e for e in episodes if e.status == "active"]
        episode = active[0] if len(active) == 1 else None
    today = _patient_today(patient)
    initial: dict[str, Any] = {"start_on": today, "review_frequency_days": 7}
    if episode is not None:
        initial |= {"episode": episode, "level_of_care": episode.program.level_of_care,
                    "start_on": max(episode.admitted_on, today)}
    in_force = [c for c in coverages if c.active_on(today)]
    if in_force:
        initial["coverage"] = in_force[0]
    form = AuthorizationForm(request.POST or None, coverages=coverages, episodes=episodes, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_authorization(coverage=form.cleaned_data["coverage"], episode=form.cleaned_data["episode"],
                                       actor=request.user, **form.authorization_data())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Authorization added; its concurrent reviews are on the worklist.")
            return redirect("coverage:chart", patient_id=patient.public_id)
    return _authorization_page(request, patient, form, None, 400 if form.errors else 200)


@capability_required(Cap.AUTHORIZATION_MANAGE)
@require_http_methods(["GET", "POST"])
def authorization_edit(request: HttpRequest, authorization_id: UUID) -> HttpResponse:
    auth = get_scoped_or_404(
        request, Authorization.objects.select_related("coverage__payer", "episode__program__site",
                                                      "episode__patient__primary_site"),
        authorization_id, capability=Cap.AUTHORIZATION_MANAGE, audit_read=request.method == "GET")
    patient = auth.episode.patient
    initial = {f: getattr(auth, f) for f in services.AUTHORIZATION_FIELDS} | {
        "coverage": auth.coverage, "episode": auth.episode, "version": auth.version}
    form = AuthorizationForm(request.POST or None, initial=initial, editing=True,
                             coverages=Coverage.objects.filter(pk=auth.coverage_id).select_related("payer"),
                             episodes=Episode.objects.filter(pk=auth.episode_id).select_related("program"))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_authorization(authorization=auth, actor=request.user,
                                          version=form.cleaned_data.get("version") or auth.version,
                                          **form.authorization_data())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Authorization saved.")
            return redirect("coverage:chart", patient_id=patient.public_id)
    return _authorization_page(request, patient, form, auth, 400 if form.errors else 200)


@capability_required(Cap.REVIEW_RECORD)
@require_POST
def review_schedule(request: HttpRequest, authorization_id: UUID) -> HttpResponse:
    auth = get_scoped_or_404(request, Authorization.objects.select_related("episode__patient", "episode__program__site"),
                             authorization_id, capability=Cap.REVIEW_RECORD)
    form = ScheduleReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the date the review is due.")
    else:
        try:
            services.schedule_review(authorization=auth, actor=request.user, due_on=form.cleaned_data["due_on"])
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Review scheduled.")
    return redirect("coverage:chart", patient_id=auth.episode.patient.public_id)


# ---------------------------------------------------------------------------------------------------------
# Concurrent reviews
# ---------------------------------------------------------------------------------------------------------
@capability_required(Cap.REVIEW_RECORD)
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, review_id: UUID) -> HttpResponse:
    item = get_scoped_or_404(
        request, ConcurrentReview.objects.select_related(
            "authorization__coverage__payer", "authorization__episode__program__site",
            "authorization__episode__patient__primary_site", "recorded_by"),
        review_id, capability=Cap.REVIEW_RECORD, audit_read=request.method == "GET")
    auth = item.authorization
    patient = auth.episode.patient
    today = today_in(auth.episode.program.site.zone)
    form = ReviewForm(request.POST or None, initial={"reviewed_on": today, "outcome": ReviewOutcome.APPROVED})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.record_review(review=item, actor=request.user, outcome=data["outcome"],
                                   reviewed_on=data.get("reviewed_on"), reviewer=data.get("reviewer") or "",
                                   notes=data.get("notes") or "", approved_days=data.get("approved_days"))
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Review outcome recorded.")
            back = request.POST.get("next")
            if back == "worklist":
                return redirect("coverage:worklist")
            return redirect("coverage:chart", patient_id=patient.public_id)
    ctx = chart_context(request, patient, "coverage")
    ctx.update({"form": form, "review": item, "auth": auth,
                "row": selectors.authorization_row(auth, today),
                "from_worklist": request.GET.get("from") == "worklist" or request.POST.get("next") == "worklist"})
    return render(request, "coverage/review.html", ctx, status=400 if form.errors else 200)


# ---------------------------------------------------------------------------------------------------------
# Worklist
# ---------------------------------------------------------------------------------------------------------
@capability_required(Cap.AUTHORIZATION_MANAGE)
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    sites = sites_with(request.user, Cap.AUTHORIZATION_MANAGE)
    asked = request.GET.get("site", "")
    chosen = next((s for s in sites if str(s.public_id) == asked), None)
    # A site the user does not work at shows nothing (as Today's counter for it counts nothing).
    site_ids = [chosen.pk] if chosen else ([] if asked else None)
    zone_site = chosen or (sites[0] if sites else None)
    today = today_in(zone_site.zone) if zone_site else None
    data = selectors.worklist(request.user, today, site_ids) if today else None
    if data is not None:
        record_list_read(view="coverage_worklist", patients=data.patients, site=chosen)
    return render(request, "coverage/worklist.html", {
        "data": data, "sites": sites, "chosen": chosen, "today": today,
        "can_review": bool(policies.can_record_reviews(request.user)),
    })
