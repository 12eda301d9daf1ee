"""Compliance pages: the weekly-hours worklist, the chart's Hours tab, and requirement-set setup."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import capability_required, sites_with
from trellis.accounts.sites import pick_site
from trellis.audit.services import AuditAction, record, record_list_read
from trellis.compliance import selectors, services
from trellis.compliance.engine import STATUS_LABELS, STATUS_SEVERITY, STATUS_TONES, Status, week_monday
from trellis.compliance.forms import AssignForm, RequirementSetForm, RuleForm
from trellis.compliance.models import RequirementSet
from trellis.compliance.policies import can_edit_requirement_set
from trellis.core.access import get_scoped_or_404
from trellis.core.errors import DomainError
from trellis.core.forms import apply_domain_error
from trellis.episodes.models import Episode
from trellis.patients.models import Patient
from trellis.patients.views import chart_context

CHART_WEEKS = 12


def _week_param(request: HttpRequest, default: date) -> date:
    try:
        return week_monday(date.fromisoformat(request.GET.get("week", "")))
    except ValueError:
        return default


@capability_required(Cap.COMPLIANCE_VIEW)
def worklist(request: HttpRequest) -> HttpResponse:
    """Weekly hours by patient, worst first, with what to do about at-risk and cannot-meet weeks. Defaults to the
    user's own caseload (case manager or primary clinician) when they have one."""
    site, sites = pick_site(request, Cap.COMPLIANCE_VIEW, request.GET.get("site"))
    if site is None:
        raise Http404
    monday = _week_param(request, selectors.current_monday(site))
    base = selectors.episodes_for(request.user, [site], monday)
    mine = base.filter(Q(case_manager=request.user) | Q(primary_clinician=request.user))
    scope = request.GET.get("scope") or ("mine" if mine.exists() else "all")
    episodes = list((mine if scope == "mine" else base)[:500])
    status_filter = request.GET.get("status", "")
    results = selectors.weekly_results(episodes, monday)
    rows = sorted(({"episode": e, "result": results[e.pk]} for e in episodes),
                  key=lambda r: (STATUS_SEVERITY[r["result"].status], r["episode"].patient.legal_last_name))
    counts = {s: sum(1 for r in rows if r["result"].status == s) for s in Status}
    if status_filter in Status.__members__.values():
        rows = [r for r in rows if r["result"].status == status_filter]
    record_list_read(view="compliance_worklist", patients=[r["episode"].patient for r in rows], site=site)
    return render(request, "compliance/worklist.html", {
        "site": site, "sites": sites, "monday": monday, "sunday": monday + timedelta(days=6), "rows": rows,
        "scope": scope, "status_filter": status_filter,
        "status_counts": [(s, STATUS_LABELS[s], counts[s], STATUS_TONES[s]) for s in Status],
        "prev_week": monday - timedelta(days=7), "next_week": monday + timedelta(days=7),
    })


@capability_required(Cap.COMPLIANCE_VIEW)
def patient_hours(request: HttpRequest, patient_id: Any) -> HttpResponse:
    """Chart tab "Hours": counted hours week by week against the requirement (SVG + table), this week's days."""
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.COMPLIANCE_VIEW)
    episodes = list(Episode.objects.restrict(request.user, Cap.COMPLIANCE_VIEW).filter(patient=patient)
                    .select_related("program__site", "track", "primary_clinician").order_by("-admitted_on"))
    wanted = request.GET.get("episode")
    chosen = next((e for e in episodes if wanted and str(e.public_id) == wanted), None)
    if chosen is None and episodes:
        chosen = next((e for e in episodes if e.status == "active"), episodes[0])
    context = chart_context(request, patient, "compliance_hours")
    context.update({"episodes": episodes, "episode": chosen})
    if chosen is not None:
        current = selectors.current_monday(chosen.program.site)
        last = min(current, week_monday(chosen.discharged_on)) if chosen.discharged_on else current
        first = max(week_monday(chosen.admitted_on), last - timedelta(days=7 * (CHART_WEEKS - 1)))
        weeks = selectors.episode_weeks(chosen, first, last)
        this_week = selectors.weekly_results([chosen], last)[chosen.pk]
        resolved = selectors.resolve_requirements([chosen], last)[chosen.pk]
        context.update({"weeks": weeks, "this_week": this_week, "resolved": resolved})
    record(action=AuditAction.READ, obj=patient, detail={"view": "compliance_hours"})
    return render(request, "compliance/patient_hours.html", context)


def _org(request: HttpRequest) -> Any:
    sites = sites_with(request.user, Cap.COMPLIANCE_CONFIGURE)
    if not sites:
        raise Http404
    return sites[0].organization


@capability_required(Cap.COMPLIANCE_CONFIGURE)
def rule_sets(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    form = RequirementSetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            rs = services.create_requirement_set(user=request.user, organization=org, name=d["name"],
                                                 description=d["description"], payer_type=d["payer_type"],
                                                 is_default=d["is_default"], source=d["source"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Requirement set created. Add a rule for each level of care it covers.")
            return redirect("compliance:rule_set", set_id=rs.public_id)
    return render(request, "compliance/rule_sets.html", {
        "sets": selectors.requirement_sets_for(org), "form": form, "organization": org,
    })


@capability_required(Cap.COMPLIANCE_CONFIGURE)
def rule_set(request: HttpRequest, set_id: Any) -> HttpResponse:
    org = _org(request)
    rs = RequirementSet.objects.filter(Q(organization=org) | Q(organization__isnull=True), public_id=set_id).first()
    if rs is None:
        raise Http404
    editable = can_edit_requirement_set(request.user, rs)
    action = request.POST.get("action") if request.method == "POST" else None
    rule_form = RuleForm(request.POST if action == "rule" else None)
    assign_form = AssignForm(request.POST if action == "assign" else None, organization=org)
    if action == "rule" and editable and rule_form.is_valid():
        d = rule_form.cleaned_data
        try:
            services.save_rule(user=request.user, requirement_set=rs, **d)
        except DomainError as error:
            apply_domain_error(rule_form, error)
        else:
            messages.success(request, "Rule saved.")
            return redirect("compliance:rule_set", set_id=rs.public_id)
    elif action == "assign" and assign_form.is_valid():
        d = assign_form.cleaned_data
        try:
            services.assign_to_payer(user=request.user, payer=d["payer"], requirement_set=rs,
                                     starts_on=d["starts_on"], ends_on=d.get("ends_on"))
        except DomainError as error:
            apply_domain_error(assign_form, error)
        else:
            messages.success(request, f"{d['payer'].name} now uses this set.")
            return redirect("compliance:rule_set", set_id=rs.public_id)
    status = 400 if action and (rule_form.errors or assign_form.errors) else 200
    return render(request, "compliance/rule_set.html", {
        "rs": rs, "rules": list(rs.rules.all()), "assignments": list(rs.assignments.select_related("payer")),
        "rule_form": rule_form, "assign_form": assign_form, "editable": bool(editable),
        "not_editable_reason": editable.reason,
    }, status=status)
