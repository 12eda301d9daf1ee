"""Screen: private psychotherapy / counseling notes (author only, never part of the record)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import capability_required
from trellis.audit.services import AuditAction, record
from trellis.core.access import get_scoped_or_404
from trellis.core.errors import DomainError
from trellis.core.forms import apply_domain_error
from trellis.episodes.models import Episode
from trellis.patients.models import Patient

from .. import policies, selectors, services
from ..forms import PrivateNoteForm
from ..models import PrivateNote


@capability_required(Cap.NOTE_WRITE)
@require_GET
def private_list(request: HttpRequest) -> HttpResponse:
    notes = list(selectors.private_notes_for(request.user).order_by("-created_at")[:200])
    return render(request, "documentation/private_list.html", {"notes": notes})


@capability_required(Cap.NOTE_WRITE)
@require_http_methods(["GET", "POST"])
def private_new(request: HttpRequest, patient_id: Any) -> HttpResponse:
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.NOTE_WRITE)
    episode = (Episode.objects.restrict(request.user, Cap.NOTE_WRITE).filter(patient=patient)
               .select_related("program__site", "patient").order_by("-admitted_on").first())
    if episode is None:
        messages.error(request, "This patient has no episode of care at your sites.")
        return redirect("documentation:chart_notes", patient_id=patient.public_id)
    form = PrivateNoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_private_note(author=request.user, episode=episode, text=form.cleaned_data["text"],
                                         kind=form.cleaned_data["kind"])
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, "Private note saved. Only you can see it.")
            return redirect("documentation:private_list")
    return render(request, "documentation/private_form.html", {"form": form, "patient": patient}, status=(
        400 if request.method == "POST" else 200))


@capability_required(Cap.NOTE_WRITE)
@require_http_methods(["GET", "POST"])
def private_edit(request: HttpRequest, private_id: Any) -> HttpResponse:
    pn = PrivateNote.objects.select_related("episode__patient").filter(public_id=private_id).first()
    if pn is None or not policies.can_use_private_note(request.user, pn):
        record(action=AuditAction.DENIED, object_type="documentation.private_note", outcome="denied")
        raise Http404
    form = PrivateNoteForm(request.POST or None,
                           initial={"kind": pn.kind, "text": pn.text, "version": pn.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_private_note(private_note=pn, user=request.user, text=form.cleaned_data["text"],
                                         expected_version=form.cleaned_data.get("version") or 0)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Private note saved.")
            return redirect("documentation:private_list")
    else:
        record(action=AuditAction.READ, obj=pn, patient=pn.episode.patient)
    return render(request, "documentation/private_form.html", {"form": form, "patient": pn.episode.patient,
                                                                "private_note": pn})
