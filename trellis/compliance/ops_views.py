"""Compliance operations screens: the alert worklist, the dashboard (with its htmx poll), the audit-readiness
report (HTML, CSV, PDF) and the UR packet (a disclosure). Thin: parse, check, call a selector or service."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import capability_required
from trellis.accounts.sites import pick_site
from trellis.audit.services import AuditAction, record, record_list_read
from trellis.compliance import alerts, audit_report, packet, pdf
from trellis.compliance import dashboard as dash
from trellis.compliance.alert_models import ComplianceAlert
from trellis.compliance.ops_forms import AuditReportForm, DashboardForm, PacketForm, week_label
from trellis.core import formats
from trellis.core.access import get_scoped_or_404
from trellis.core.clock import today_in
from trellis.core.errors import DomainError
from trellis.core.forms import apply_domain_error
from trellis.coverage.models import Coverage
from trellis.episodes.models import Episode, EpisodeStatus
from trellis.patients.models import Patient
from trellis.programs.models import Program

PDF_COMPRESS = True  # tests switch this off to read the text


def _pdf(data: bytes, filename: str, *, attachment: bool = False) -> HttpResponse:
    resp = HttpResponse(data, content_type="application/pdf")
    resp["Content-Disposition"] = f'{"attachment" if attachment else "inline"}; filename="{filename}"'
    resp["Cache-Control"] = "no-store"
    return resp


# ------------------------------------------------------------------------------------------------ worklist
@capability_required(Cap.COMPLIANCE_WORKLIST)
@require_GET
def alerts_list(request: HttpRequest) -> HttpResponse:
    everyone = request.GET.get("all") == "1"
    # The same query as Today's counter (same active site), so the count there is this list's length.
    items = list(dash.worklist_queryset(request.user, site=getattr(request, "active_site", None), everyone=everyone)
                 .prefetch_related("recipients__user")[:200])
    record_list_read(view="compliance.worklist", patients=[a.patient for a in items])
    return render(request, "compliance/alerts.html", {"items": items, "everyone": everyone})


@capability_required(Cap.COMPLIANCE_WORKLIST)
@require_POST
def acknowledge(request: HttpRequest, compliance_alert_id: UUID) -> HttpResponse:
    alert = get_scoped_or_404(request, ComplianceAlert, compliance_alert_id, capability=Cap.COMPLIANCE_WORKLIST)
    try:
        alerts.acknowledge(alert=alert, actor=request.user, action_taken=request.POST.get("action_taken", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Alert acknowledged.")
    return redirect(reverse("compliance:alerts") + ("?all=1" if request.POST.get("all") == "1" else ""))


# ------------------------------------------------------------------------------------------------ dashboard
def _dashboard_inputs(request: HttpRequest) -> tuple[DashboardForm, Any, list[Any], Program | None, list[Program], Any]:
    form = DashboardForm(request.GET or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    site, sites = pick_site(request, Cap.COMPLIANCE_DASHBOARD, data.get("site") or None)
    programs = list(Program.objects.filter(site=site).order_by("name")) if site else []
    program = next((p for p in programs if str(p.public_id) == data.get("program")), None)
    monday = data.get("week") or (dash.week_of(today_in(site.zone)) if site else None)
    return form, site, sites, program, programs, monday


@capability_required(Cap.COMPLIANCE_DASHBOARD)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    form, site, sites, program, programs, monday = _dashboard_inputs(request)
    board = None
    if site is not None and not form.errors:
        board = dash.dashboard(request.user, site=site, program=program, monday=monday,
                               status=getattr(form, "cleaned_data", {}).get("status") or None)
        record_list_read(view="compliance.dashboard", patients=[r.episode.patient for g in board.groups
                                                                for r in g.rows], site=site)
    context = {"form": form, "board": board, "site": site, "sites": sites, "programs": programs,
               "program": program, "week": week_label(monday) if monday else ""}
    return render(request, "compliance/dashboard.html", context, status=400 if form.errors else 200)


@capability_required(Cap.COMPLIANCE_DASHBOARD)
@require_GET
def dashboard_panel(request: HttpRequest) -> HttpResponse:
    """The htmx poll: 204 (nothing swapped, nothing read) while the week's attendance is unchanged."""
    form, site, _sites, program, _programs, monday = _dashboard_inputs(request)
    if site is None or form.errors:
        return HttpResponse(status=204)
    if request.GET.get("since") == dash.change_token(site=site, monday=monday):
        return HttpResponse(status=204)
    board = dash.dashboard(request.user, site=site, program=program, monday=monday,
                           status=getattr(form, "cleaned_data", {}).get("status") or None)
    record_list_read(view="compliance.dashboard", patients=[r.episode.patient for g in board.groups
                                                            for r in g.rows], site=site)
    return render(request, "compliance/_dashboard_panel.html",
                  {"board": board, "site": site, "program": program, "week": week_label(monday)})


# ------------------------------------------------------------------------------------------------ audit report
@capability_required(Cap.COMPLIANCE_AUDIT_REPORT)
@require_GET
def audit_readiness(request: HttpRequest) -> HttpResponse:
    site, sites = pick_site(request, Cap.COMPLIANCE_AUDIT_REPORT, request.GET.get("site"))
    today = today_in(site.zone) if site else timezone.now().date()
    start, end = audit_report.default_range(today)
    form = AuditReportForm(request.GET or None, initial={"start": start, "end": end})
    programs = list(Program.objects.filter(site=site).order_by("name")) if site else []
    report = None
    if request.GET and form.is_valid() and site is not None:
        program = next((p for p in programs if str(p.public_id) == form.cleaned_data.get("program")), None)
        report = audit_report.build(request.user, site=site, program=program, start=form.cleaned_data["start"],
                                    end=form.cleaned_data["end"])
        fmt = request.GET.get("format", "html")
        detail = {"start": report.start.isoformat(), "end": report.end.isoformat(), "rows": len(report.rows),
                  "patients": [str(p.public_id) for p in report.patients], "format": fmt}
        if fmt == "csv":
            record(action=AuditAction.EXPORT, object_type="compliance.audit_report", site=site, detail=detail)
            resp = HttpResponse(audit_report.to_csv(report), content_type="text/csv; charset=utf-8")
            resp["Content-Disposition"] = 'attachment; filename="audit-readiness.csv"'
            resp["Cache-Control"] = "no-store"
            return resp
        if fmt == "pdf":
            record(action=AuditAction.PRINT, object_type="compliance.audit_report", site=site, detail=detail)
            doc = audit_report.to_document(
                report, printed_by=request.user.display_name, organization=site.organization.name,
                printed_at=formats.stamp(timezone.now(), site))
            return _pdf(pdf.render(doc, compress=PDF_COMPRESS), "audit-readiness.pdf")
        record_list_read(view="compliance.audit_report", patients=report.patients, site=site)
    query = request.GET.copy()
    links = {}
    for fmt in ("csv", "pdf"):
        query["format"] = fmt
        links[fmt] = f"?{query.urlencode()}"
    return render(request, "compliance/audit_report.html",
                  {"form": form, "report": report, "site": site, "sites": sites, "programs": programs,
                   "links": links, "requirements": audit_report.REQUIREMENTS},
                  status=400 if request.GET and form.errors else 200)


# ------------------------------------------------------------------------------------------------ UR packet
@capability_required(Cap.DISCLOSURE_MAKE)
@require_http_methods(["GET", "POST"])
def ur_packet(request: HttpRequest, patient_id: UUID) -> HttpResponse:
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.DISCLOSURE_MAKE)
    episodes = list(Episode.objects.restrict(request.user, Cap.DISCLOSURE_MAKE).filter(patient=patient)
                    .exclude(status=EpisodeStatus.PLANNED).select_related("program__site", "patient",
                                                                           "primary_clinician", "track")
                    .order_by("-admitted_on"))
    site = episodes[0].program.site if episodes else patient.primary_site
    today = today_in(site.zone)
    form = PacketForm(request.POST or None, episodes=episodes, today=today)
    payers = sorted({c.payer.name for c in Coverage.objects.filter(patient=patient).select_related("payer")})
    if request.method == "GET" and payers:
        form.fields["recipient_name"].initial = payers[0]
    if request.method == "POST" and form.is_valid():
        episode = next(e for e in episodes if str(e.public_id) == form.cleaned_data["episode"])
        try:
            data, _disclosure = packet.export_ur_packet(
                episode=episode, start=form.cleaned_data["start"], end=form.cleaned_data["end"],
                notes=form.cleaned_data["notes"], recipient_name=form.cleaned_data["recipient_name"],
                exported_by=request.user, compress=PDF_COMPRESS)
        except DomainError as error:
            apply_domain_error(form, error)
            record(action=AuditAction.EXPORT, patient=patient, object_type="compliance.ur_packet",
                   outcome="denied", detail={"code": getattr(error, "code", "") or "invalid"})
        else:
            return _pdf(data, "ur-packet.pdf", attachment=True)
    elif request.method == "GET":
        record(action=AuditAction.READ, patient=patient, object_type="compliance.ur_packet_form")
    context: dict[str, Any] = {"patient": patient, "form": form, "payers": payers, "has_episodes": bool(episodes)}
    return render(request, "compliance/ur_packet.html", context, status=400 if form.errors else 200)
