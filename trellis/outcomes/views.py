"""Outcomes pages. Staff pages declare their capability; the patient pages (link and kiosk) need no account and
show nothing but the questionnaire: no names, no chart, no navigation."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import capability_required, sites_with
from trellis.accounts.sites import working_day
from trellis.audit.services import AuditAction, record
from trellis.core import formats
from trellis.core.access import get_scoped_or_404
from trellis.core.clock import today_in
from trellis.core.errors import DomainError
from trellis.core.part2 import part2_notice_for
from trellis.episodes.models import Episode
from trellis.outcomes import fhir, library, policies, selectors, services
from trellis.outcomes.forms import (
    AcknowledgeForm,
    DefinitionUploadForm,
    InviteForm,
    ReportForm,
    ScheduleForm,
    WindowChoiceForm,
    answers_form,
)
from trellis.outcomes.models import (
    Administration,
    AdministrationSchedule,
    AdministrationStatus,
    CriticalAlert,
    InstrumentDefinition,
    LinkChannel,
)
from trellis.outcomes.scoring import applicable_items
from trellis.outcomes.windows import WindowState
from trellis.patients.models import Patient
from trellis.patients.views import chart_context
from trellis.programs.models import Program, Track

SESSION_LINK = "outcomes_link"
SESSION_KIOSK = "outcomes_kiosk"


def _today(user: Any) -> date:
    sites = sites_with(user, Cap.OUTCOMES_INVITE) or sites_with(user, Cap.OUTCOMES_VIEW)
    return today_in(sites[0].zone) if sites else date.today()  # noqa: DTZ011 - no site: server day


# ---------------------------------------------------------------------------------------------------------
# Chart tab
# ---------------------------------------------------------------------------------------------------------
@capability_required(Cap.OUTCOMES_VIEW)
@require_GET
def chart(request: HttpRequest, patient_id: Any) -> HttpResponse:
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.OUTCOMES_VIEW)
    data = selectors.patient_outcomes(request.user, patient, today_in(patient.primary_site.zone))
    record(action=AuditAction.READ, patient=patient, object_type="outcomes.chart",
           detail={"instruments": [t.definition.key for t in data.trends]})
    ctx = chart_context(request, patient, "outcomes")
    active = [e for e in data.episodes if e.status == "active"]
    ctx.update({
        "data": data,
        "active_episodes": active,
        "instruments": library.choices(patient.organization),
        "can_administer": policies.can_administer(request.user),
        "can_invite": policies.can_invite(request.user),
        "channels": LinkChannel.choices,
    })
    return render(request, "outcomes/chart.html", ctx)


@capability_required(Cap.OUTCOMES_VIEW)
@require_GET
def administration(request: HttpRequest, administration_id: Any) -> HttpResponse:
    admin = get_scoped_or_404(request, selectors.administration_for_view(request.user), administration_id,
                              capability=Cap.OUTCOMES_VIEW, audit_read=True)
    defn = library.get_instrument(admin.instrument_key, admin.episode.patient.organization)
    rows = []
    if defn is not None:
        for item in defn.items:
            value = admin.answers.get(item.key)
            rows.append({"item": item, "value": value, "label": item.label_for(value) if value is not None else ""})
    return render(request, "outcomes/administration.html", {
        "a": admin, "defn": defn, "rows": rows, "patient": admin.episode.patient,
        "scales": list((admin.scores.get("scales") or {}).values()),
        "zone": admin.episode.program.site.zone,
    })


@capability_required(Cap.OUTCOMES_VIEW)
@require_GET
def administration_fhir(request: HttpRequest, administration_id: Any) -> HttpResponse:
    admin = get_scoped_or_404(request, selectors.administration_for_view(request.user), administration_id,
                              capability=Cap.OUTCOMES_VIEW)
    defn = library.get_instrument(admin.instrument_key, admin.episode.patient.organization)
    if admin.status != AdministrationStatus.COMPLETE or defn is None:
        return JsonResponse({"error": "Only a completed administration can be exported."}, status=409)
    record(action=AuditAction.EXPORT, obj=admin, patient=admin.episode.patient, detail={"format": "fhir-r4"})
    bundle = export_bundle(admin, defn)
    notice = part2_notice_for([admin.episode.patient])
    if notice:
        # 42 CFR 2.32 travels with the export: HL7 security labels (v3 ActCode 42CFRPart2 and the
        # NORDSCLCD obligation, as in the HL7 DS4P guide) and the notice's wording itself.
        bundle["meta"] = {**bundle.get("meta", {}), "security": [
            {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "42CFRPart2"},
            {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "NORDSCLCD"},
        ]}
        bundle["extension"] = [{"url": "https://trellis.invalid/fhir/StructureDefinition/part2-notice",
                                "valueString": notice}]
    return JsonResponse(bundle, json_dumps_params={"indent": 1})


def export_bundle(admin: Administration, defn: Any) -> dict[str, Any]:
    rid = str(admin.public_id)
    pid = str(admin.episode.patient.public_id)
    qr = fhir.questionnaire_response(
        defn=defn, answers=admin.answers, response_id=rid, patient_id=pid, episode_id=str(admin.episode.public_id),
        authored=admin.completed_at, source_is_patient=admin.mode in ("self_link", "kiosk"),
    )
    obs = fhir.observations(defn=defn, scores=admin.scores, response_id=rid, patient_id=pid,
                            effective=admin.completed_at)
    return fhir.bundle(qr=qr, obs=obs, bundle_id=rid)


# ---------------------------------------------------------------------------------------------------------
# Clinician entry from paper
# ---------------------------------------------------------------------------------------------------------
def _window_choices(episode: Episode, instrument_key: str, today: date) -> list[tuple[str, str]]:
    rows = selectors.due_rows(episodes=[episode], today=today,
                              states=(WindowState.DUE, WindowState.OVERDUE, WindowState.MISSED))
    return [(r.window.key, f"{r.window.label} (due {formats.date(r.window.due)}, {r.state.value})")
            for r in rows if r.instrument_key == instrument_key]


@capability_required(Cap.OUTCOMES_ADMINISTER)
@require_http_methods(["GET", "POST"])
def enter(request: HttpRequest, episode_id: Any) -> HttpResponse:
    episode = get_scoped_or_404(request, Episode.objects.select_related("patient__organization", "program__site"),
                                episode_id, capability=Cap.OUTCOMES_ADMINISTER)
    key = request.GET.get("instrument") or request.POST.get("instrument") or ""
    defn = library.get_instrument(key, episode.patient.organization)
    if defn is None:
        messages.error(request, "Choose a measure to enter.")
        return redirect("outcomes:chart", patient_id=episode.patient.public_id)
    today = today_in(episode.program.site.zone)
    windows = _window_choices(episode, key, today)
    open_w = services.open_window(episode, key, today)
    wform = WindowChoiceForm(request.POST or None, windows=windows,
                             initial={"window": open_w.key if open_w else ""})
    form = answers_form(defn, request.POST or None)
    status = 200
    if request.method == "POST":
        if wform.is_valid() and form.is_valid():
            answers = {k: v for k, v in form.cleaned_data.items() if v is not None}
            try:
                result = services.enter_from_paper(episode=episode, instrument_key=key,
                                                   window_key=wform.cleaned_data["window"], answers=answers,
                                                   actor=request.user)
            except DomainError as exc:
                if exc.field and exc.field in form.fields:
                    form.add_error(exc.field, exc.message)
                else:
                    form.add_error(None, exc.message)
            else:
                a = result.administration
                msg = f"{defn.short_name} saved: {a.primary_score if a.primary_score is not None else '—'}"
                msg += f" ({a.primary_band})." if a.primary_band else "."
                if result.alert:
                    messages.warning(request, msg + " A critical answer raised an urgent alert.")
                else:
                    messages.success(request, msg)
                return redirect("outcomes:chart", patient_id=episode.patient.public_id)
        status = 422
    record(action=AuditAction.READ, patient=episode.patient, object_type="outcomes.entry_form",
           detail={"instrument": key})
    return render(request, "outcomes/enter.html", {"episode": episode, "defn": defn, "form": form,
                                                   "wform": wform, "patient": episode.patient}, status=status)


# ---------------------------------------------------------------------------------------------------------
# Links and kiosk (front desk may do these; they never show answers or scores)
# ---------------------------------------------------------------------------------------------------------
@capability_required(Cap.OUTCOMES_INVITE)
@require_POST
def invite(request: HttpRequest, episode_id: Any) -> HttpResponse:
    episode = get_scoped_or_404(request, Episode.objects.select_related("patient__organization", "program__site"),
                                episode_id, capability=Cap.OUTCOMES_INVITE)
    form = InviteForm(request.POST, instruments=library.choices(episode.patient.organization))
    back = request.POST.get("next") or ""
    if not back.startswith("/outcomes/"):
        back = reverse("outcomes:due")
    if not form.is_valid():
        messages.error(request, "Choose a measure and how to give it.")
        return redirect(back)
    channel = form.cleaned_data["channel"]
    try:
        issued = services.issue_link(
            episode=episode, instrument_key=form.cleaned_data["instrument"],
            window_key=form.cleaned_data.get("window") or "", channel=channel, actor=request.user,
            base_url=request.build_absolute_uri("/").rstrip("/"),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    if channel == LinkChannel.KIOSK:
        # Kiosk: the staff session ends here so the tablet cannot reach the chart; only the questionnaire.
        record(action=AuditAction.LOGOUT, object_type="session", detail={"reason": "kiosk"})
        logout(request)
        request.session[SESSION_LINK] = issued.link.token_hash
        request.session[SESSION_KIOSK] = True
        return redirect("outcomes:form")
    messages.success(request, f"Link sent by {issued.link.get_channel_display().lower()}. It works once and "
                              "expires after the set time.")
    return redirect(back)


@capability_required(Cap.OUTCOMES_INVITE)
@require_GET
def due(request: HttpRequest) -> HttpResponse:
    today = working_day(request.user, getattr(request, "active_site", None))
    rows = selectors.due_for(request.user, today, site=getattr(request, "active_site", None))
    record(action=AuditAction.READ, object_type="outcomes.due_list", detail={"rows": len(rows)})
    return render(request, "outcomes/due.html", {"rows": rows, "today": today})


# ---------------------------------------------------------------------------------------------------------
# Alerts
# ---------------------------------------------------------------------------------------------------------
@capability_required(Cap.OUTCOMES_VIEW)
@require_GET
def alerts(request: HttpRequest) -> HttpResponse:
    data = selectors.alerts_for(request.user, site=getattr(request, "active_site", None))
    record(action=AuditAction.READ, object_type="outcomes.alerts",
           detail={"open": len(data["open"]), "acknowledged": len(data["acknowledged"])})
    return render(request, "outcomes/alerts.html", {"data": data, "form": AcknowledgeForm(),
                                                    "can_ack": policies.can_administer(request.user)})


@capability_required(Cap.OUTCOMES_ADMINISTER)
@require_POST
def acknowledge(request: HttpRequest, alert_id: Any) -> HttpResponse:
    alert = get_scoped_or_404(request, CriticalAlert, alert_id, capability=Cap.OUTCOMES_ADMINISTER)
    form = AcknowledgeForm(request.POST)
    back = request.POST.get("next") or ""
    if not back.startswith("/outcomes/"):
        back = reverse("outcomes:alerts")
    if not form.is_valid():
        messages.error(request, "Describe the action taken before acknowledging.")
        return redirect(back)
    try:
        services.acknowledge_alert(alert=alert, actor=request.user, action_taken=form.cleaned_data["action_taken"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Alert acknowledged.")
    return redirect(back)


# ---------------------------------------------------------------------------------------------------------
# Program report
# ---------------------------------------------------------------------------------------------------------
@capability_required(Cap.OUTCOMES_REPORT)
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    programs = list(Program.objects.restrict(request.user, Cap.OUTCOMES_REPORT).select_related("site")
                    .prefetch_related("tracks").order_by("name"))
    today = _today(request.user)
    form = ReportForm(request.GET or None, programs=programs, today=today)
    result = None
    if request.GET and form.is_valid():
        program = next((p for p in programs if str(p.public_id) == form.cleaned_data["program"]), None)
        track = None
        if form.cleaned_data.get("track"):
            track = Track.objects.filter(program=program, public_id=form.cleaned_data["track"]).first()
            if track is None:
                form.add_error("track", "That track is not part of the chosen program.")
        if program is not None and not form.errors:
            result = selectors.program_report(program=program, track=track, start=form.cleaned_data["start"],
                                              end=form.cleaned_data["end"],
                                              organization=program.organization)
            record(action=AuditAction.READ, object_type="outcomes.report", site=program.site,
                   detail={"program": str(program.public_id), "episodes": result.episodes})
    return render(request, "outcomes/report.html", {"form": form, "result": result, "programs": programs},
                  status=422 if request.GET and form.errors else 200)


# ---------------------------------------------------------------------------------------------------------
# Configuration: schedules and organization-licensed instruments
# ---------------------------------------------------------------------------------------------------------
@capability_required(Cap.OUTCOMES_CONFIGURE)
@require_http_methods(["GET", "POST"])
def schedules(request: HttpRequest) -> HttpResponse:
    programs = list(Program.objects.restrict(request.user, Cap.OUTCOMES_CONFIGURE).select_related("site")
                    .prefetch_related("tracks").order_by("name"))
    org = request.user.organization
    form = ScheduleForm(request.POST or None, programs=programs, instruments=library.choices(org))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            program = next(p for p in programs if str(p.public_id) == form.cleaned_data["program"])
            track = None
            if form.cleaned_data.get("track"):
                track = next((t for t in program.tracks.all() if str(t.public_id) == form.cleaned_data["track"]),
                             None)
            try:
                if form.cleaned_data.get("track") and track is None:
                    raise DomainError("That track belongs to another program.", field="track")
                services.save_schedule(program=program, track=track, instrument_key=form.cleaned_data["instrument"],
                                       actor=request.user, at_admission=form.cleaned_data["at_admission"],
                                       every_n_days=form.cleaned_data.get("every_n_days"),
                                       at_discharge=form.cleaned_data["at_discharge"])
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, "Schedule saved.")
                return redirect("outcomes:schedules")
        status = 422
    rows = list(AdministrationSchedule.objects.restrict(request.user, Cap.OUTCOMES_CONFIGURE).filter(active=True)
                .select_related("program__site", "track"))
    names = dict(library.choices(org))
    return render(request, "outcomes/schedules.html", {"form": form, "rows": rows, "names": names,
                                                       "instruments": library.instruments_for(org).values(),
                                                       "uploaded": InstrumentDefinition.objects.filter(
                                                           organization=org).order_by("key", "version"),
                                                       "upload_form": DefinitionUploadForm()}, status=status)


@capability_required(Cap.OUTCOMES_CONFIGURE)
@require_POST
def schedule_deactivate(request: HttpRequest, schedule_id: Any) -> HttpResponse:
    schedule = get_scoped_or_404(request, AdministrationSchedule.objects.select_related("program__site"),
                                 schedule_id, capability=Cap.OUTCOMES_CONFIGURE)
    services.deactivate_schedule(schedule=schedule, actor=request.user)
    messages.success(request, "Schedule stopped. Administrations already given are kept.")
    return redirect("outcomes:schedules")


@capability_required(Cap.OUTCOMES_CONFIGURE)
@require_POST
def upload_definition(request: HttpRequest) -> HttpResponse:
    form = DefinitionUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            row = services.upload_definition(organization=request.user.organization,
                                             data=form.cleaned_data["parsed"], actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{row.name} version {row.version} added.")
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("outcomes:schedules")


# ---------------------------------------------------------------------------------------------------------
# Patient pages: no account, no PHI beyond the program's name, one question per screen
# ---------------------------------------------------------------------------------------------------------
def _refusal(request: HttpRequest, exc: services.LinkRefused) -> HttpResponse:
    request.session.pop(SESSION_LINK, None)
    kiosk = bool(request.session.pop(SESSION_KIOSK, False))
    status = 404 if exc.code == "unknown" else 410
    return render(request, "outcomes/patient_message.html", {"message": exc.message, "kiosk": kiosk},
                  status=status)


@require_http_methods(["GET", "POST"])
def link_landing(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a Start button (a link preview or scanner must not consume the link); POST begins."""
    try:
        link = services.resolve_link(token)
    except services.LinkRefused as exc:
        return _refusal(request, exc)
    if request.method == "POST":
        try:
            link = services.begin_link(token_or_hash=token)
        except services.LinkRefused as exc:
            return _refusal(request, exc)
        if request.user.is_authenticated:
            logout(request)  # a staff browser opening a patient link must not mix the two
        request.session[SESSION_LINK] = link.token_hash
        request.session.pop(SESSION_KIOSK, None)
        return redirect("outcomes:form")
    program = link.administration.episode.program
    return render(request, "outcomes/patient_start.html", {"program_name": program.name})


@require_http_methods(["GET", "POST"])
def patient_form(request: HttpRequest) -> HttpResponse:
    token_hash = request.session.get(SESSION_LINK)
    kiosk = bool(request.session.get(SESSION_KIOSK))
    if not token_hash:
        return render(request, "outcomes/patient_message.html",
                      {"message": services.LINK_MESSAGES["unknown"], "kiosk": False}, status=404)
    try:
        link = services.resolve_link(token_hash, hashed=True)
    except services.LinkRefused as exc:
        return _refusal(request, exc)
    admin = link.administration
    episode = admin.episode
    defn = library.get_instrument(admin.instrument_key, episode.patient.organization)
    answers = dict(admin.answers)
    items = applicable_items(defn, answers)
    error = ""
    try:
        step = int(request.POST.get("step") or request.GET.get("step") or 0)
    except ValueError:
        step = 0
    if request.method == "POST":
        item = items[step - 1] if 1 <= step <= len(items) else None
        if item is None:
            return redirect("outcomes:form")
        raw = request.POST.get("answer", "")
        nav = request.POST.get("nav", "next")
        if raw == "" and nav != "back" and item.required and item.key not in answers:
            error = "Choose an answer to continue."
        else:
            try:
                update = {item.key: raw} if raw != "" else {}
                result = services.patient_save(link=link, answers=update, complete=False)
                answers = dict(result.administration.answers)
            except services.LinkRefused as exc:
                return _refusal(request, exc)
            except DomainError as exc:
                error = exc.message if exc.field == item.key or not exc.field else "Please check your answer."
            if not error:
                items = applicable_items(defn, answers)
                if nav == "back":
                    return redirect(f"{reverse('outcomes:form')}?step={max(1, step - 1)}")
                if nav == "submit" or step >= len(items):
                    try:
                        services.patient_save(link=link, answers={}, complete=True)
                    except services.LinkRefused as exc:
                        return _refusal(request, exc)
                    except DomainError as exc:
                        missing = next((i for i, it in enumerate(items, 1) if it.required
                                        and it.key not in answers), 1)
                        messages.error(request, exc.message)
                        return redirect(f"{reverse('outcomes:form')}?step={missing}")
                    request.session.pop(SESSION_LINK, None)
                    request.session.pop(SESSION_KIOSK, None)
                    return render(request, "outcomes/patient_done.html", {"kiosk": kiosk})
                return redirect(f"{reverse('outcomes:form')}?step={step + 1}")
    if not 1 <= step <= len(items):
        # Resume at the first unanswered question.
        step = next((i for i, it in enumerate(items, 1) if it.key not in answers), len(items))
    item = items[step - 1]
    return render(request, "outcomes/patient_form.html", {
        "program_name": episode.program.name, "defn": defn, "item": item, "step": step, "total": len(items),
        "selected": answers.get(item.key), "error": error, "kiosk": kiosk, "is_last": step == len(items),
        "percent": int(100 * (step - 1) / max(len(items), 1)),
    }, status=422 if error else 200)

