"""Treatment plan tab, plan versions (authoring while draft), signatures, reviews, physician certification
and the worklist of overdue / due plans, reviews and certifications."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from trellis.accounts.capabilities import Cap
from trellis.accounts.models import User
from trellis.accounts.policies import capability_required, decide
from trellis.accounts.sites import site_in_view, working_day
from trellis.audit.middleware import client_ip
from trellis.audit.services import AuditAction, record
from trellis.careplans import forms, policies, selectors, services
from trellis.careplans.models import (
    DeadlineKind,
    PhysicianCertification,
    PlanGoal,
    PlanObjective,
    PlanProblem,
    PlanStatus,
    TreatmentPlan,
)
from trellis.consents.services import required_kinds
from trellis.core import formats
from trellis.core.access import get_scoped_or_404
from trellis.core.clock import today_in
from trellis.core.errors import ConflictError, DomainError
from trellis.core.forms import apply_domain_error
from trellis.core.part2 import part2_notice_for
from trellis.core.registry import plan_review_panels
from trellis.episodes.models import Diagnosis, Episode, EpisodeStatus
from trellis.episodes.selectors import episodes_for
from trellis.episodes.summary import render_pdf
from trellis.patients.models import Patient
from trellis.patients.views import chart_context
from trellis.programs.models import Program
from trellis.referrals.criteria import TEMPLATES, asam_criteria
from trellis.referrals.models import ProgramAdmissionCriteria
from trellis.referrals.selectors import criteria_for_program


def _deny(obj: Any, capability: str) -> None:
    record(action=AuditAction.DENIED, obj=obj, outcome="denied", detail={"capability": capability})
    raise PermissionDenied("Your role does not allow this at this site.")


def _load_plan(request: HttpRequest, plan_id: UUID, capability: str = Cap.PATIENT_VIEW) -> TreatmentPlan:
    return get_scoped_or_404(
        request, TreatmentPlan.objects.select_related("episode__program__site", "patient", "clinician_signed_by",
                                            "physician_signed_by", "primary_diagnosis"),
        plan_id, capability=capability,
    )


def _staff(site: Any) -> Any:
    return User.objects.filter(memberships__site=site, is_active=True).distinct().order_by("full_name")


@capability_required(Cap.PATIENT_VIEW)
def tab(request: HttpRequest, patient_id: UUID) -> HttpResponse:
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.PATIENT_VIEW)
    record(action=AuditAction.READ, obj=patient, detail={"view": "treatment_plan"})
    from django.db.models import Prefetch

    from trellis.careplans.models import CareDeadline

    episodes = list(
        episodes_for(request.user).filter(patient=patient).prefetch_related(
            Prefetch("treatment_plans", queryset=TreatmentPlan.objects.select_related("clinician_signed_by")
                     .order_by("-version"), to_attr="plan_list"),
            Prefetch("care_deadlines", queryset=CareDeadline.objects.filter(met_on__isnull=True, cancelled=False),
                     to_attr="open_deadline_list"),
        )
    )
    rows = []
    for e in episodes:
        force = selectors.plan_force(e, e.plan_list, today_in(e.program.site.zone))
        rows.append({"episode": e, "versions": [(v, force["standing"].get(v.version)) for v in e.plan_list],
                     "force": force, "deadlines": e.open_deadline_list,
                     "can_write": policies.can_write_plan(request.user, e.program.site)
                     and e.status != EpisodeStatus.DISCHARGED})
    context = chart_context(request, patient, "plan")
    context.update({"rows": rows})
    return render(request, "careplans/tab.html", context)


@require_POST
@capability_required(Cap.CAREPLAN_WRITE)
def plan_create(request: HttpRequest, episode_id: UUID) -> HttpResponse:
    episode = get_scoped_or_404(request, Episode.objects.select_related("program__site", "patient"), episode_id,
                                capability=Cap.CAREPLAN_WRITE)
    try:
        plan = services.create_plan(episode=episode, created_by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("careplans:tab", patient_id=episode.patient.public_id)
    return redirect("careplans:plan", plan_id=plan.public_id)


def _plan_context(request: HttpRequest, plan: TreatmentPlan, **extra: Any) -> dict[str, Any]:
    site = plan.episode.program.site
    can_write = policies.can_write_plan(request.user, site) and plan.status == PlanStatus.DRAFT
    diagnoses = Diagnosis.objects.filter(episode=plan.episode, entered_in_error=False)
    context = chart_context(request, plan.patient, "plan")
    problems = selectors.plan_tree(plan)
    psychiatric = diagnoses.filter(code__startswith="F")
    versions = selectors.plan_versions(plan.episode)
    force = selectors.plan_force(plan.episode, versions, today_in(site.zone))
    context.update({
        "force": force, "standing": force["standing"].get(plan.version, "not_in_force"),
        "hours": selectors.plan_hours_summary(plan, problems),
        "diagnosis_form": forms.PrimaryDiagnosisForm(diagnoses=psychiatric,
                                                     initial={"primary_diagnosis": plan.primary_diagnosis_id}),
        "can_physician_sign": (plan.status == PlanStatus.ACTIVE and plan.physician_signed_at is None
                               and force["cosign_required"]
                               and bool(policies.can_certify(request.user, site))
                               and bool(getattr(getattr(request.user, "profile", None), "is_physician", False))),
        "plan": plan, "problems": problems, "versions": versions,
        "reviews": selectors.reviews_of_episode(plan.episode), "can_write": can_write,
        "can_review": policies.can_write_plan(request.user, site) and plan.status == PlanStatus.ACTIVE,
        "problem_form": forms.ProblemForm(diagnoses=diagnoses), "goal_form": forms.GoalForm(),
        "objective_form": forms.ObjectiveForm(), "intervention_form": forms.InterventionForm(staff=_staff(site)),
        "sign_form": forms.SignPlanForm(initial={"row_version": plan.row_version}),
    })
    context.update(extra)
    return context


@capability_required(Cap.PATIENT_VIEW)
def plan_view(request: HttpRequest, plan_id: UUID) -> HttpResponse:
    plan = _load_plan(request, plan_id)
    record(action=AuditAction.READ, obj=plan, patient=plan.patient, site=plan.episode.program.site)
    return render(request, "careplans/plan.html", _plan_context(request, plan))


@capability_required(Cap.PATIENT_VIEW)
def plan_pdf(request: HttpRequest, plan_id: UUID) -> HttpResponse:
    """Printable copy of one plan version (for the patient and the chart); audited as PRINT."""

    plan = _load_plan(request, plan_id)
    site = plan.episode.program.site
    sections: list[tuple[str, list[str]]] = [("Plan", [
        f"Version {plan.version} ({plan.get_status_display()}), effective {formats.date(plan.effective_on)}",
        f"Program: {plan.episode.program.name}",
    ])]
    for n, problem in enumerate(selectors.plan_tree(plan), start=1):
        lines = []
        for goal in problem.goals.all():
            lines.append(f'Goal: "{goal.statement}"')
            for o in goal.objectives.all():
                lines.append(f"Objective: {o.statement} (target {formats.date(o.target_date)}; {o.get_status_display()})")
                lines += [f"Intervention: {i.description} - {i.get_modality_display()}, {i.frequency}"
                          + (f", {i.responsible.display_name}" if i.responsible_id else "")
                          for i in o.interventions.all()]
        title = f"Problem {n}: {problem.statement}" + (f" ({problem.diagnosis.code})" if problem.diagnosis_id else "")
        sections.append((title, lines))
    if plan.clinician_signed_at:
        sections.append(("Signatures", [
            f"Clinician: {plan.clinician_signed_by.display_name}, {formats.stamp(plan.clinician_signed_at, site)}",
            f"Patient: {plan.patient_signer_name or 'did not sign - ' + plan.patient_declined_reason}",
        ]))
    record(action=AuditAction.PRINT, obj=plan, patient=plan.patient, site=plan.episode.program.site)
    notice = part2_notice_for([plan.patient])
    return HttpResponse(render_pdf("Treatment plan", sections, footer_notice=notice), content_type="application/pdf",
                        headers={"Content-Disposition": 'inline; filename="treatment-plan.pdf"'})


@require_POST
@capability_required(Cap.CAREPLAN_WRITE)
def plan_add(request: HttpRequest, plan_id: UUID, kind: str) -> HttpResponse:
    plan = _load_plan(request, plan_id, Cap.CAREPLAN_WRITE)
    site = plan.episode.program.site
    error_form = None
    parent = request.POST.get("parent", "")
    parent_pk = int(parent) if parent.isdigit() else None
    try:
        if kind == "problem":
            form = forms.ProblemForm(request.POST, diagnoses=Diagnosis.objects.filter(episode=plan.episode))
            if form.is_valid():
                services.add_problem(plan=plan, changed_by=request.user, **form.cleaned_data)
            else:
                error_form = ("problem_form", form)
        elif kind == "goal":
            form = forms.GoalForm(request.POST)
            problem = PlanProblem.objects.filter(plan=plan, pk=parent_pk).first()
            if form.is_valid() and problem is not None:
                services.add_goal(problem=problem, changed_by=request.user, **form.cleaned_data)
            else:
                error_form = ("goal_form", form)
        elif kind == "objective":
            form = forms.ObjectiveForm(request.POST)
            goal = PlanGoal.objects.filter(problem__plan=plan, pk=parent_pk).first()
            if form.is_valid() and goal is not None:
                services.add_objective(goal=goal, changed_by=request.user, **form.cleaned_data)
            else:
                error_form = ("objective_form", form)
        elif kind == "intervention":
            form = forms.InterventionForm(request.POST, staff=_staff(site))
            objective = PlanObjective.objects.filter(goal__problem__plan=plan, pk=parent_pk).first()
            if form.is_valid() and objective is not None:
                services.add_intervention(objective=objective, changed_by=request.user, **form.cleaned_data)
            else:
                error_form = ("intervention_form", form)
        else:
            raise Http404("Unknown item")
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("careplans:plan", plan_id=plan.public_id)
    if error_form is not None:
        plan.refresh_from_db()
        ctx = _plan_context(request, plan, **{error_form[0]: error_form[1]})
        ctx["open_form"] = kind
        return render(request, "careplans/plan.html", ctx, status=400)
    return redirect("careplans:plan", plan_id=plan.public_id)


@require_POST
@capability_required(Cap.CAREPLAN_WRITE)
def plan_sign(request: HttpRequest, plan_id: UUID) -> HttpResponse:
    plan = _load_plan(request, plan_id, Cap.CAREPLAN_WRITE)
    form = forms.SignPlanForm(request.POST)
    if form.is_valid():
        try:
            services.sign_plan(
                plan=plan, clinician=request.user, patient_signer_name=form.cleaned_data["patient_signer_name"],
                patient_declined_reason=form.cleaned_data["patient_declined_reason"], ip_address=client_ip(request),
                expected_row_version=form.cleaned_data.get("row_version"),
            )
        except (ConflictError, DomainError) as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, f"Version {plan.version} signed; the next review is on the worklist.")
            return redirect("careplans:plan", plan_id=plan.public_id)
    return render(request, "careplans/plan.html", _plan_context(request, plan, sign_form=form), status=400)


@capability_required(Cap.CAREPLAN_WRITE)
def plan_review(request: HttpRequest, plan_id: UUID) -> HttpResponse:
    plan = _load_plan(request, plan_id, Cap.CAREPLAN_WRITE)
    objectives = selectors.plan_objectives(plan)
    site = plan.episode.program.site
    form = forms.ReviewForm(request.POST or None, objectives=objectives,
                            initial={"reviewed_on": today_in(site.zone)})
    if request.method == "POST" and form.is_valid():
        try:
            review = services.review_plan(plan=plan, reviewer=request.user, summary=form.cleaned_data["summary"],
                                          progress=form.progress(), reviewed_on=form.cleaned_data["reviewed_on"],
                                          reason=form.cleaned_data["reason"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, f"Review recorded. Version {review.resulting_plan.version} is ready to update "
                                      "and sign.")
            return redirect("careplans:plan", plan_id=review.resulting_plan.public_id)
    context = chart_context(request, plan.patient, "plan")
    context.update({"plan": plan, "form": form, "objective_rows": [
        (o, form[f"rating_{o.pk}"], form[f"note_{o.pk}"]) for o in objectives],
        "evidence": _review_evidence(request.user, plan.episode, today_in(site.zone))})
    return render(request, "careplans/review.html", context, status=400 if form.errors else 200)


def _review_evidence(user: User, episode: Episode, today: Any) -> list[dict[str, Any]]:
    """Cards higher apps register beside the review (score trends, hours), each shown only to a user who
    may read its data at the episode's site."""
    site = episode.program.site
    cards = []
    for panel in plan_review_panels():
        if panel.capability and not decide(user, panel.capability, site, to="see this evidence"):
            continue
        data = panel.provider(user, episode, today)
        if data is not None:
            cards.append({"template": panel.template_name, "panel": data})
    return cards


@require_POST
@capability_required(Cap.CAREPLAN_WRITE)
def plan_diagnosis(request: HttpRequest, plan_id: UUID) -> HttpResponse:
    plan = _load_plan(request, plan_id, Cap.CAREPLAN_WRITE)
    diagnoses = Diagnosis.objects.filter(episode=plan.episode, entered_in_error=False)
    form = forms.PrimaryDiagnosisForm(request.POST, diagnoses=diagnoses)
    if form.is_valid():
        try:
            services.set_primary_diagnosis(plan=plan, diagnosis=form.cleaned_data["primary_diagnosis"],
                                           changed_by=request.user)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Primary psychiatric diagnosis recorded on the plan.")
            return redirect("careplans:plan", plan_id=plan.public_id)
    return render(request, "careplans/plan.html", _plan_context(request, plan, diagnosis_form=form), status=400)


@require_POST
@capability_required(Cap.CERTIFY)
def plan_physician_sign(request: HttpRequest, plan_id: UUID) -> HttpResponse:
    plan = _load_plan(request, plan_id, Cap.CERTIFY)
    try:
        services.physician_sign_plan(plan=plan, physician=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Plan co-signed by the physician.")
    return redirect("careplans:plan", plan_id=plan.public_id)


@capability_required(Cap.CERTIFY)
def certify(request: HttpRequest, episode_id: UUID) -> HttpResponse:
    """Sign the initial certification, or a recertification with its required content (42 CFR 424.24(e)(3))."""
    episode = get_scoped_or_404(request, Episode.objects.select_related("program__site", "patient"), episode_id,
                                capability=Cap.CERTIFY)
    is_recert = PhysicianCertification.objects.filter(episode=episode).exists()
    form = forms.RecertificationForm(request.POST or None) if is_recert else None
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            services.record_certification(episode=episode, physician=request.user,
                                          **(form.cleaned_data if form is not None else {}))
        except DomainError as error:
            if form is None:
                messages.error(request, error.message)
                return redirect("episodes:episode", episode_id=episode.public_id)
            apply_domain_error(form, error)
        else:
            messages.success(request, "Certification signed; the next recertification is on the worklist.")
            return redirect("episodes:episode", episode_id=episode.public_id)
    elif request.method == "POST" and form is None:
        return redirect("episodes:episode", episode_id=episode.public_id)
    if request.method == "GET":
        record(action=AuditAction.READ, obj=episode, patient=episode.patient, site=episode.program.site,
               detail={"view": "recertification_form"})
    context = chart_context(request, episode.patient, "plan")
    context.update({"episode": episode, "form": form, "is_recert": is_recert,
                    "statement": services.CERTIFICATION_STATEMENTS.get(episode.program.level_of_care, ""),
                    "certifications": selectors.certifications_of(episode)})
    return render(request, "careplans/certify.html", context, status=400 if form is not None and form.errors else 200)


@capability_required(Cap.PATIENT_VIEW)
def worklist(request: HttpRequest) -> HttpResponse:
    # "All my sites" (no working site) lists every site, as Today's counters count them.
    site, sites = site_in_view(request, Cap.PATIENT_VIEW, request.GET.get("site"))
    kind = request.GET.get("kind", "")
    if kind not in DeadlineKind.values:
        kind = ""
    due = request.GET.get("due", "")
    if due not in selectors.WORKLIST_DUE_FILTERS:
        due = ""
    today = today_in(site.zone) if site is not None else working_day(request.user, None)
    rows = selectors.worklist(request.user, today=today, site=site, kind=kind, due=due) if sites else []
    record(action=AuditAction.READ, object_type="care_worklist", detail={"rows": len(rows)})
    return render(request, "careplans/worklist.html", {"rows": rows, "sites": sites, "site": site, "kind": kind,
                                                       "due": due,
                                                       "kinds": DeadlineKind.choices, "today": today,
                                                       "handoffs": selectors.handoffs_for(request.user),
                                                       "safety_plans": selectors.safety_plans_due(request.user),
                                                       "rescreens": selectors.rescreens_due(request.user, today=today)
                                                       if today else []})


# ---------------------------------------------------------------- program admission requirements (data)
@capability_required(Cap.PROGRAM_MANAGE)
def admission_requirements(request: HttpRequest, program_id: UUID | None = None) -> HttpResponse:
    """A program declares its admission criteria (as data), the consents required before admission and its
    physician-certification cadence (saved together by services.set_admission_requirements)."""
    programs = Program.objects.restrict(request.user, Cap.PROGRAM_MANAGE).select_related("site")
    program = get_scoped_or_404(request, programs, program_id, capability=Cap.PROGRAM_MANAGE) if program_id else None
    form = None
    current = None
    cert_rule = None
    if program is not None:
        current = criteria_for_program(program)
        stored = ProgramAdmissionCriteria.objects.filter(program=program).first()
        initial: dict[str, Any] = {"template": (stored.template if stored and stored.template else current.key),
                                   "consents": required_kinds(program)}
        cert_rule = services.program_certification_rule(program)
        if cert_rule is not None:
            initial.update(cert_initial_due_day=cert_rule.initial_due_day,
                           cert_first_recert_day=cert_rule.first_recert_day,
                           cert_recert_interval_days=cert_rule.recert_interval.days)
        if current.key == "asam":
            for dim in current.dimensions:
                accepted = [int(f.key[1:]) for f in dim.findings if f.meets]
                initial[f"asam_{dim.key}"] = max(accepted) if accepted else 0
        form = forms.AdmissionRequirementsForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            template = form.cleaned_data["template"]
            data = (asam_criteria(form.asam_limits()) if template == "asam" else TEMPLATES[template]).to_data()
            certification = None
            if cert_rule is not None and form.cleaned_data.get("cert_recert_interval_days"):
                certification = {
                    "initial_due_day": form.cleaned_data.get("cert_initial_due_day"),
                    "first_recert_day": form.cleaned_data.get("cert_first_recert_day"),
                    "recert_interval_days": form.cleaned_data["cert_recert_interval_days"],
                }
            try:
                services.set_admission_requirements(
                    program=program, criteria_data=data, template=template,
                    consent_kinds=form.cleaned_data["consents"], certification=certification,
                    changed_by=request.user,
                )
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, "Admission requirements saved.")
                return redirect("careplans:admission_requirements", program_id=program.public_id)
    return render(request, "careplans/admission_requirements.html", {
        "programs": programs, "program": program, "form": form, "criteria": current,
        "cert_rule": cert_rule,
    }, status=400 if form is not None and form.errors else 200)
