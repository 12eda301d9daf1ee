"""The discharge summary page: start the draft, edit and save it, sign it (trellis.episodes.discharge_summary), and
add signed addenda to a signed summary."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import capability_required
from trellis.audit.services import AuditAction, record
from trellis.core.access import get_scoped_or_404
from trellis.core.errors import DomainError
from trellis.core.forms import apply_domain_error
from trellis.episodes import discharge_summary as ds
from trellis.episodes import policies
from trellis.episodes.models import (
    DischargeRecord,
    DischargeSummary,
    Episode,
    MedicationEntry,
    MedicationListKind,
    SummaryStatus,
)
from trellis.episodes.summary import as_pdf_sections, document_sections, facts_now
from trellis.patients.views import chart_context

TEXT = {"rows": 5}


class SummaryForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    course = forms.CharField(widget=forms.Textarea(attrs=TEXT), required=False, max_length=ds.MAX_TEXT,
                             label="Services provided and course of treatment",
                             help_text="Services the patient received, response to treatment, progress on each problem.")
    condition = forms.CharField(widget=forms.Textarea(attrs=TEXT), required=False, max_length=ds.MAX_TEXT,
                                label="Clinical status at discharge",
                                help_text="Mental status, risk, functioning and symptoms at discharge.")
    recommendations = forms.CharField(widget=forms.Textarea(attrs=TEXT), required=False, max_length=ds.MAX_TEXT,
                                      label="Recommendations and aftercare",
                                      help_text="Follow-up services, referrals and what the patient should do next.")


class AddendumForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=ds.MAX_TEXT, label="Addendum")


def _load(request: HttpRequest, episode_id: UUID, capability: str) -> Episode:
    return get_scoped_or_404(request, Episode.objects.select_related("patient", "program__site", "track"),
                             episode_id, capability=capability)


def _context(request: HttpRequest, episode: Episode, summary: DischargeSummary | None, form: SummaryForm | None,
             addendum_form: AddendumForm | None = None) -> dict[str, Any]:
    rec = DischargeRecord.objects.filter(episode=episode).first()
    signed = summary if summary is not None and summary.status == SummaryStatus.SIGNED else None
    facts = None if signed else facts_now(episode)
    sections = [(s.title, s.lines) for s in document_sections(episode, rec, signed, facts)
                if s.category not in ("discharge_summary", "")] if not signed else as_pdf_sections(
        document_sections(episode, rec, signed))
    may_write = bool(policies.can_discharge(request.user, episode.program.site))
    context = chart_context(request, episode.patient, "episodes")
    context.update({
        "episode": episode, "summary": summary, "signed": signed, "form": form, "sections": sections,
        "addendum_form": addendum_form or AddendumForm(), "may_write": may_write, "rec": rec,
        "source": ds.SOURCE, "signature_source": ds.SIGNATURE_SOURCE,
        "verified": ds.verify(signed) if signed else None,
        "addenda": list(signed.addenda.all()) if signed else [],
        "has_discharge_meds": MedicationEntry.objects.filter(episode=episode,
                                                             list_kind=MedicationListKind.DISCHARGE).exists(),
    })
    return context


def _form_for(summary: DischargeSummary) -> SummaryForm:
    return SummaryForm(initial={"version": summary.version, "course": summary.course,
                                "condition": summary.condition, "recommendations": summary.recommendations})


@capability_required(Cap.PATIENT_VIEW)
def summary_page(request: HttpRequest, episode_id: UUID) -> HttpResponse:
    """GET: the draft (editable by whoever may discharge) or the signed summary. POST action=start|save|sign."""
    if request.method == "POST":
        return _post(request, episode_id)
    episode = _load(request, episode_id, Cap.PATIENT_VIEW)
    summary = DischargeSummary.objects.filter(episode=episode).select_related("signed_by").first()
    record(action=AuditAction.READ, obj=summary or episode, patient=episode.patient, site=episode.program.site,
           detail={"view": "discharge_summary"})
    form = _form_for(summary) if summary is not None and summary.status == SummaryStatus.DRAFT else None
    return render(request, "episodes/discharge_summary.html", _context(request, episode, summary, form))


def _post(request: HttpRequest, episode_id: UUID) -> HttpResponse:
    episode = _load(request, episode_id, Cap.PATIENT_VIEW)
    if not policies.can_discharge(request.user, episode.program.site):
        record(action=AuditAction.DENIED, obj=episode, outcome="denied", detail={"capability": Cap.EPISODE_DISCHARGE})
        raise PermissionDenied("Your role does not allow this at this site.")
    action = request.POST.get("action", "")
    if action == "start":
        try:
            ds.start_summary(episode=episode, user=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("episodes:discharge_summary", episode_id=episode.public_id)
    summary = DischargeSummary.objects.filter(episode=episode).first()
    if summary is None or action not in ("save", "sign"):
        messages.error(request, "Start the discharge summary first.")
        return redirect("episodes:discharge_summary", episode_id=episode.public_id)
    form = SummaryForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        narrative = {k: data.get(k) or "" for k in ds.NARRATIVE_FIELDS}
        try:
            if action == "sign":
                ds.sign(summary=summary, user=request.user, expected_version=data["version"], **narrative)
            else:
                ds.save_draft(summary=summary, user=request.user, expected_version=data["version"], **narrative)
        except ds.SummaryConflict as error:
            summary.refresh_from_db()  # the other person's text, bound so that the refusal shows with it
            form = SummaryForm({"version": summary.version, **{k: getattr(summary, k) for k in ds.NARRATIVE_FIELDS}})
            form.is_valid()
            form.add_error(None, error.message)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Discharge summary signed." if action == "sign" else "Draft saved.")
            return redirect("episodes:discharge_summary", episode_id=episode.public_id)
    summary.refresh_from_db()
    return render(request, "episodes/discharge_summary.html", _context(request, episode, summary, form), status=400)


@require_POST
@capability_required(Cap.EPISODE_DISCHARGE)
def summary_addendum(request: HttpRequest, episode_id: UUID) -> HttpResponse:
    episode = _load(request, episode_id, Cap.EPISODE_DISCHARGE)
    summary = ds.signed_summary(episode)
    form = AddendumForm(request.POST)
    if summary is None:
        messages.error(request, "Only a signed summary takes addenda; edit the draft instead.")
        return redirect("episodes:discharge_summary", episode_id=episode.public_id)
    if form.is_valid():
        try:
            ds.add_addendum(summary=summary, user=request.user, text=form.cleaned_data["text"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Addendum signed.")
            return redirect("episodes:discharge_summary", episode_id=episode.public_id)
    return render(request, "episodes/discharge_summary.html",
                  _context(request, episode, summary, None, addendum_form=form), status=400)
