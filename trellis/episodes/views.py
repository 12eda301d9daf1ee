"""Episode views: the Episodes chart tab, admission, episode page, level change, discharge, step-down,
discharge summary PDF, letter to the referral source, summary export, hand-off done."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from trellis.accounts.capabilities import Cap
from trellis.accounts.models import SiteMembership, User
from trellis.accounts.policies import capability_required, sites_with
from trellis.audit.services import AuditAction, record
from trellis.consents.policies import can_disclose
from trellis.core.access import get_scoped_or_404
from trellis.core.clock import today_in
from trellis.core.errors import DomainError
from trellis.core.forms import apply_domain_error
from trellis.core.part2 import part2_notice_for
from trellis.episodes import forms as episode_forms
from trellis.episodes import policies, selectors, services
from trellis.episodes.hooks import admission_panels, episode_panels
from trellis.episodes.models import Diagnosis, DischargeRecord, Episode, EpisodeStatus, HandoffTask
from trellis.episodes.summary import discharge_summary_pdf
from trellis.patients.models import Patient
from trellis.patients.views import chart_context
from trellis.programs.models import LEVEL_RANK, Program
from trellis.referrals.models import (
    IntakeAssessment,
    IntakeStatus,
    LevelOfCareDetermination,
    Referral,
    SuicideRiskScreen,
)


def _load_episode(request: HttpRequest, episode_id: UUID, capability: str = Cap.PATIENT_VIEW) -> Episode:
    return get_scoped_or_404(
        request,
        Episode.objects.select_related("patient", "program__site", "track", "primary_clinician", "prescriber",
                                       "case_manager", "previous_episode__program"),
        episode_id, capability=capability,
    )


def _deny(obj: Any, capability: str) -> None:
    record(action=AuditAction.DENIED, obj=obj, outcome="denied", detail={"capability": capability})
    raise PermissionDenied("Your role does not allow this at this site.")


@capability_required(Cap.PATIENT_VIEW)
def episodes_tab(request: HttpRequest, patient_id: UUID) -> HttpResponse:
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.PATIENT_VIEW)
    record(action=AuditAction.READ, obj=patient, detail={"view": "episodes"})
    episodes = list(selectors.episodes_for(request.user).filter(patient=patient).select_related("discharge_record"))
    context = chart_context(request, patient, "episodes")
    context.update({
        "episodes": episodes,
        "intakes": list(IntakeAssessment.objects.restrict(request.user, Cap.PATIENT_VIEW).filter(patient=patient)
                        .select_related("clinician")[:20]),
        "screens": list(SuicideRiskScreen.objects.restrict(request.user, Cap.PATIENT_VIEW).filter(patient=patient)
                        .prefetch_related("safety_plans")[:10]),
        "determinations": list(LevelOfCareDetermination.objects.restrict(request.user, Cap.PATIENT_VIEW)
                               .filter(patient=patient).select_related("program")[:10]),
        "can_admit": policies.can_admit(request.user),
        "can_intake": request.user.is_authenticated and bool(sites_with(request.user, Cap.INTAKE_WRITE)),
    })
    return render(request, "episodes/episodes_tab.html", context)


@capability_required(Cap.EPISODE_ADMIT)
def admit(request: HttpRequest, patient_id: UUID) -> HttpResponse:
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.EPISODE_ADMIT)
    if request.method == "GET":  # the form shows the chart header: a read of the record
        record(action=AuditAction.READ, obj=patient, detail={"view": "admit"})
    sites = sites_with(request.user, Cap.EPISODE_ADMIT)
    programs = Program.objects.restrict(request.user, Cap.EPISODE_ADMIT).filter(active=True).select_related("site")
    program = None
    pid = request.GET.get("program")
    if pid:
        try:
            program = programs.filter(public_id=UUID(pid)).first()
        except ValueError:
            program = None
    site = program.site if program else (patient.primary_site if patient.primary_site in sites else sites[0])
    today = today_in(site.zone)
    form = episode_forms.AdmitForm(request.POST or None, programs=programs, site=site,
                                     initial={"program": program, "admitted_on": today,
                                              "primary_clinician": request.user})
    check = None
    if program is not None:
        check = services.check_admission(patient=patient, program=program, admitted_on=today)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        referral = Referral.objects.filter(patient=patient, episode__isnull=True,
                                           status__in=["received", "screening", "intake_scheduled", "assessed"]
                                           ).order_by("-received_at").first()
        if data.get("track") is not None and data["track"].program_id != data["program"].pk:
            form.add_error("track", "That track belongs to another program.")
        else:
            try:
                episode = services.admit(
                    patient=patient, program=data["program"], track=data.get("track"),
                    admitted_on=data["admitted_on"], admitted_by=request.user,
                    primary_clinician=data["primary_clinician"], prescriber=data.get("prescriber"),
                    case_manager=data.get("case_manager"), recommended_level=data.get("recommended_level") or None,
                    authorized_level=data.get("authorized_level") or None, referral=referral,
                )
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, "Admitted. Plan and certification deadlines are on the worklist.")
                return redirect("episodes:episode", episode_id=episode.public_id)
    context = chart_context(request, patient, "episodes")
    context.update({"form": form, "program": program, "programs": programs, "check": check,
                    "panels": admission_panels(request, patient)})
    return render(request, "episodes/admit.html", context, status=400 if form.errors else 200)


@capability_required(Cap.PATIENT_VIEW)
def episode_detail(request: HttpRequest, episode_id: UUID) -> HttpResponse:
    episode = _load_episode(request, episode_id)
    record(action=AuditAction.READ, obj=episode, patient=episode.patient, site=episode.program.site)
    site = episode.program.site
    rec = DischargeRecord.objects.filter(episode=episode).select_related("next_episode__program").first()
    context = chart_context(request, episode.patient, "episodes")
    context.update({
        "episode": episode, "rec": rec,
        "diagnoses": list(Diagnosis.objects.filter(episode=episode, entered_in_error=False).order_by("stage", "rank")),
        "panels": episode_panels(request, episode),
        "handoffs": list(HandoffTask.objects.filter(to_episode=episode).select_related("assigned_to",
                                                                                          "from_episode__program")),
        "level_changes": list(episode.level_changes.all()),
        "level_form": episode_forms.LevelChangeForm(initial={"changed_on": today_in(site.zone)}),
        "export_form": episode_forms.ExportForm(),
        "dx_form": _dx_form(site, episode),
        "can_diagnose": policies.can_diagnose(request.user, site) and episode.status == EpisodeStatus.ACTIVE,
        "can_admit": policies.can_admit(request.user, site),
        "can_discharge": policies.can_discharge(request.user, site),
        "can_disclose": request.user.is_authenticated and can_disclose(request.user, site),
        "referral": services.referral_for(episode),
    })
    return render(request, "episodes/episode.html", context)


def _dx_form(site: Any, episode: Any) -> Any:
    return episode_forms.DiagnosisForm(initial={"diagnosed_on": today_in(site.zone),
                                                "rank": services.first_rank(episode=episode)})


@require_POST
@capability_required(Cap.INTAKE_WRITE)
def diagnosis_add(request: HttpRequest, episode_id: UUID) -> HttpResponse:
    """Add a working diagnosis to an active episode (ICD-10-CM, validated)."""
    episode = _load_episode(request, episode_id, Cap.INTAKE_WRITE)
    form = episode_forms.DiagnosisForm(request.POST)
    if episode.status != EpisodeStatus.ACTIVE:
        messages.error(request, "This episode is discharged; record discharge diagnoses at discharge.")
    elif not form.is_valid():
        messages.error(request, "Enter a code, its rank and the diagnosis date.")
    else:
        try:
            services.add_diagnosis(patient=episode.patient, episode=episode, diagnosed_by=request.user, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Diagnosis added.")
    return redirect("episodes:episode", episode_id=episode.public_id)


@require_POST
@capability_required(Cap.EPISODE_ADMIT)
def level_change(request: HttpRequest, episode_id: UUID) -> HttpResponse:
    episode = _load_episode(request, episode_id, Cap.EPISODE_ADMIT)
    form = episode_forms.LevelChangeForm(request.POST)
    if form.is_valid():
        try:
            services.change_level(episode=episode, changed_by=request.user, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Level of care changed; the next plan review moved up.")
    else:
        messages.error(request, "Fill in the level, date and reason.")
    return redirect("episodes:episode", episode_id=episode.public_id)


@capability_required(Cap.EPISODE_DISCHARGE)
def discharge(request: HttpRequest, episode_id: UUID) -> HttpResponse:
    episode = _load_episode(request, episode_id, Cap.EPISODE_DISCHARGE)
    if episode.status == EpisodeStatus.DISCHARGED:
        return redirect("episodes:episode", episode_id=episode.public_id)
    form = episode_forms.DischargeForm(request.POST or None,
                                         initial={"discharged_on": today_in(episode.program.site.zone)})
    if request.method == "POST" and form.is_valid():
        diagnoses = form.diagnoses()
        if not form.errors:
            data = form.cleaned_data
            try:
                services.discharge(
                    episode=episode, discharged_on=data["discharged_on"], discharge_type=data["discharge_type"],
                    reason=data["reason"], discharged_by=request.user, diagnoses=diagnoses,
                    medications=data.get("medications") or "", aftercare_provider=data.get("aftercare_provider") or "",
                    aftercare_on=data.get("aftercare_on"),
                )
            except DomainError as error:
                if error.field == "diagnoses":
                    form.add_error("primary_diagnosis", error.message)
                else:
                    apply_domain_error(form, error)
            else:
                messages.success(request, "Discharged. The summary is ready; future rosters no longer list the patient.")
                return redirect("episodes:episode", episode_id=episode.public_id)
    context = chart_context(request, episode.patient, "episodes")
    context.update({"form": form, "episode": episode})
    return render(request, "episodes/discharge.html", context, status=400 if form.errors else 200)


@capability_required(Cap.EPISODE_DISCHARGE)
def step_down(request: HttpRequest, episode_id: UUID) -> HttpResponse:
    episode = _load_episode(request, episode_id, Cap.EPISODE_DISCHARGE)
    if episode.status == EpisodeStatus.DISCHARGED:
        return redirect("episodes:episode", episode_id=episode.public_id)
    rank = LEVEL_RANK.get(episode.program.level_of_care, 0)
    lower = [p.pk for p in Program.objects.restrict(request.user, Cap.EPISODE_ADMIT)
             .filter(active=True, organization=episode.program.organization)
             if LEVEL_RANK.get(p.level_of_care, 0) < rank]
    programs = Program.objects.filter(pk__in=lower).select_related("site")
    clinicians = SiteMembership.objects.restrict(request.user, Cap.EPISODE_ADMIT).filter(
        role__in=["therapist", "program_director"]).values("user_id")
    staff = User.objects.filter(pk__in=clinicians, is_active=True).order_by("full_name")
    form = episode_forms.StepDownForm(request.POST or None, programs=programs, staff=staff,
                                        initial={"discharged_on": today_in(episode.program.site.zone)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _rec, new, _task = services.step_down(
                episode=episode, to_program=data["to_program"], to_track=data.get("to_track"),
                discharged_on=data["discharged_on"], admitted_on=data.get("admitted_on"), reason=data["reason"],
                discharged_by=request.user, receiving_clinician=data["receiving_clinician"],
                handoff_note=data.get("handoff_note") or "", medications=data.get("medications") or "",
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Stepped down. A hand-off task went to the receiving clinician.")
            return redirect("episodes:episode", episode_id=new.public_id)
    context = chart_context(request, episode.patient, "episodes")
    context.update({"form": form, "episode": episode, "has_lower": bool(lower)})
    return render(request, "episodes/step_down.html", context, status=400 if form.errors else 200)


@capability_required(Cap.PATIENT_VIEW)
def summary_pdf(request: HttpRequest, episode_id: UUID) -> HttpResponse:
    """Internal print of the discharge summary (audited as PRINT; not a disclosure)."""
    episode = _load_episode(request, episode_id)
    rec = DischargeRecord.objects.filter(episode=episode).first()
    if rec is None:
        messages.error(request, "The discharge summary is generated at discharge.")
        return redirect("episodes:episode", episode_id=episode.public_id)
    pdf = discharge_summary_pdf(episode, rec, notice=part2_notice_for([episode.patient]))
    record(action=AuditAction.PRINT, obj=rec, patient=episode.patient, site=episode.program.site)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="discharge-summary.pdf"'
    return response


@require_POST
@capability_required(Cap.DISCLOSURE_MAKE)
def referral_letter(request: HttpRequest, episode_id: UUID) -> HttpResponse:
    episode = _load_episode(request, episode_id, Cap.DISCLOSURE_MAKE)
    try:
        pdf, _disclosure = services.referral_source_letter(episode=episode, sent_by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("episodes:episode", episode_id=episode.public_id)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="referral-letter.pdf"'
    return response


@require_POST
@capability_required(Cap.DISCLOSURE_MAKE)
def export_summary(request: HttpRequest, episode_id: UUID) -> HttpResponse:
    episode = _load_episode(request, episode_id, Cap.DISCLOSURE_MAKE)
    form = episode_forms.ExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Name the recipient as written on the release.")
        return redirect("episodes:episode", episode_id=episode.public_id)
    try:
        pdf, _disclosure = services.export_discharge_summary(
            episode=episode, exported_by=request.user, recipient_name=form.cleaned_data["recipient_name"]
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("episodes:episode", episode_id=episode.public_id)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="discharge-summary.pdf"'
    return response


@require_POST
@capability_required(Cap.PATIENT_VIEW)
def handoff_done(request: HttpRequest, task_id: UUID) -> HttpResponse:
    task = get_scoped_or_404(request, HandoffTask.objects.select_related("to_episode__patient",
                                                                       "to_episode__program__site"),
                             task_id, capability=Cap.PATIENT_VIEW)
    if task.assigned_to_id != request.user.pk and not policies.can_admit(request.user,
                                                                      task.to_episode.program.site):
        _deny(task, Cap.EPISODE_ADMIT)
    try:
        services.complete_handoff(task=task, completed_by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("episodes:episode", episode_id=task.to_episode.public_id)


# ---------------------------------------------------------------- diagnoses at intake (shown on the intake page)
def _load_intake(request: HttpRequest, intake_id: UUID, capability: str) -> IntakeAssessment:
    return get_scoped_or_404(request, IntakeAssessment.objects.select_related("patient", "site", "clinician"),
                             intake_id, capability=capability)


@require_POST
@capability_required(Cap.INTAKE_WRITE)
def intake_diagnosis_add(request: HttpRequest, intake_id: UUID) -> HttpResponse:
    obj = _load_intake(request, intake_id, Cap.INTAKE_WRITE)
    form = episode_forms.DiagnosisForm(request.POST)
    if obj.status != IntakeStatus.DRAFT:
        form.add_error(None, "This intake is completed; add diagnoses on the episode instead.")
    elif form.is_valid():
        try:
            services.add_diagnosis(patient=obj.patient, intake=obj, diagnosed_by=request.user, **form.cleaned_data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            form = episode_forms.DiagnosisForm(initial={"diagnosed_on": today_in(obj.site.zone),
                                                        "rank": services.first_rank(intake=obj)})
    diagnoses = selectors.intake_diagnoses(obj)
    ctx = {"intake": obj, "dx_form": form, "diagnoses": diagnoses, "editable": True}
    if request.htmx:
        return render(request, "episodes/_intake_diagnoses.html", ctx)
    if form.errors:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("referrals:intake", intake_id=obj.public_id)


@require_POST
@capability_required(Cap.INTAKE_WRITE)
def intake_diagnosis_rank(request: HttpRequest, intake_id: UUID, diagnosis_id: UUID) -> HttpResponse:
    """Make an intake diagnosis primary (the former primary becomes secondary) or secondary."""
    obj = _load_intake(request, intake_id, Cap.INTAKE_WRITE)
    dx = obj.diagnoses.filter(public_id=diagnosis_id, entered_in_error=False).first()
    if obj.status != IntakeStatus.DRAFT:
        messages.error(request, "This intake is completed; change diagnoses on the episode instead.")
    elif dx is None:
        messages.error(request, "That diagnosis is no longer on the list.")
    else:
        try:
            services.change_diagnosis_rank(diagnosis=dx, rank=request.POST.get("rank", ""), changed_by=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{dx.code} is now the {request.POST.get('rank')} diagnosis.")
    return redirect(f"{reverse('referrals:intake', kwargs={'intake_id': obj.public_id})}#diagnoses")


@require_POST
@capability_required(Cap.INTAKE_WRITE)
def intake_diagnosis_error(request: HttpRequest, intake_id: UUID, diagnosis_id: UUID) -> HttpResponse:
    obj = _load_intake(request, intake_id, Cap.INTAKE_WRITE)
    dx = obj.diagnoses.filter(public_id=diagnosis_id).first()
    if dx is not None:
        services.mark_diagnosis_in_error(diagnosis=dx, changed_by=request.user)
    return redirect("referrals:intake", intake_id=obj.public_id)
