"""Screen: the completeness worklists (mine, and per program for directors)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import capability_required, sites_with
from trellis.audit.services import AuditAction, record
from trellis.core.access import get_scoped_or_404
from trellis.programs.models import Program

from .. import selectors


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
                                                          "risk_notices": list(selectors.unseen_risk_notices(
                                                              request.user)[:200])})


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
