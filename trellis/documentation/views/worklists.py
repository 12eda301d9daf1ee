"""Screen: the completeness worklists (mine, and per program for directors)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import capability_required, sites_with
from trellis.audit.services import AuditAction, record
from trellis.core.access import get_scoped_or_404
from trellis.core.acknowledgement import AcknowledgeForm
from trellis.core.errors import DomainError
from trellis.programs.models import Program

from .. import selectors, services
from ..models import RiskNotice


@capability_required(Cap.NOTE_WRITE)
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    program_id = request.GET.get("program")
    if program_id:
        try:
            return redirect("documentation:program_worklist", program_id=uuid.UUID(program_id))
        except ValueError:
            messages.error(request, "Choose a program from the list.")
    sites = sites_with(request.user, Cap.NOTE_WRITE)
    cosign_sites = sites_with(request.user, Cap.NOTE_COSIGN)
    if not sites and not cosign_sites:
        record(action=AuditAction.DENIED, object_type="view", object_id="documentation:worklist",
               outcome="denied", detail={"capability": Cap.NOTE_WRITE})
        raise PermissionDenied("Your role does not write notes.")
    wl = selectors.worklist(user=request.user,
                            sites=selectors.note_sites_in_view(request.user, getattr(request, "active_site", None)))
    programs = _programs_for(request.user)
    return render(request, "documentation/worklist.html", {"wl": wl, "scope": "mine", "programs": programs,
                                                          "risk_notices": list(selectors.open_risk_notices(
                                                              request.user)[:200]),
                                                          "ack_form": AcknowledgeForm()})


def _programs_for(user: Any) -> list[Any]:
    sites = sites_with(user, Cap.PROGRAM_MANAGE)
    return list(Program.objects.filter(site__in=sites, active=True).order_by("name")) if sites else []


@capability_required(Cap.PROGRAM_MANAGE)
@require_GET
def program_worklist(request: HttpRequest, program_id: Any) -> HttpResponse:
    program = get_scoped_or_404(request, Program.objects.select_related("site"), program_id,
                                capability=Cap.PROGRAM_MANAGE)
    wl = selectors.worklist(program=program)
    return render(request, "documentation/worklist.html",
                  {"wl": wl, "scope": "program", "program": program, "programs": _programs_for(request.user)})


@capability_required(Cap.NOTE_WRITE)
@require_POST
def risk_notice_ack(request: HttpRequest, note_id: Any, episode_id: Any) -> HttpResponse:
    """The recipient acknowledges a high-risk notice with the action taken (services.acknowledge_risk_notice)."""
    notices = list(RiskNotice.objects.filter(note__public_id=note_id, episode__public_id=episode_id)
                   .select_related("episode__patient", "episode__program__site", "note"))
    if not notices:
        raise Http404("Not found")
    mine = next((n for n in notices if n.recipient_id == request.user.pk), None)
    if mine is None:
        record(action=AuditAction.DENIED, object_type="risk_notice", object_id=str(note_id),
               patient=notices[0].episode.patient, outcome="denied", detail={"reason": "not the recipient"})
        raise PermissionDenied("Only the clinician the notice was sent to can acknowledge it.")
    back = request.POST.get("next") or ""
    if not back.startswith("/") or back.startswith("//"):
        back = reverse("documentation:worklist") + "#high-risk"
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Describe the action taken before acknowledging.")
        return redirect(back)
    try:
        services.acknowledge_risk_notice(notice=mine, user=request.user, action_taken=form.cleaned_data["action_taken"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Risk notice acknowledged.")
    return redirect(back)
