"""Medication reconciliation (admission and discharge lists) and the aftercare outcome pages."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import capability_required
from trellis.audit.services import AuditAction, record
from trellis.core.access import get_scoped_or_404
from trellis.core.errors import DomainError
from trellis.episodes import medications as meds
from trellis.episodes import policies
from trellis.episodes.models import DischargeRecord, Episode, MedicationEntry, MedicationListKind
from trellis.patients.views import chart_context

ROWS = 8


class MedicationListForm(forms.Form):
    list_kind = forms.ChoiceField(choices=MedicationListKind.choices, widget=forms.HiddenInput)
    no_medications = forms.BooleanField(required=False, label="The patient takes no medications")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for n in range(ROWS):
            for key in meds.ROW_FIELDS:
                self.fields[f"{key}_{n}"] = forms.CharField(max_length=120, required=False, label=key.capitalize())

    def rows(self) -> list[dict[str, str]]:
        return [{k: self.cleaned_data.get(f"{k}_{n}") or "" for k in meds.ROW_FIELDS} for n in range(ROWS)]

    def grid(self) -> list[list[forms.BoundField]]:
        return [[self[f"{k}_{n}"] for k in meds.ROW_FIELDS] for n in range(ROWS)]


def _initial(entries: list[MedicationEntry]) -> dict[str, str]:
    out: dict[str, str] = {}
    for n, m in enumerate(e for e in entries if e.name != meds.NO_MEDICATIONS
                          and e.change != "stopped"):
        if n >= ROWS:
            break
        for key in meds.ROW_FIELDS:
            out[f"{key}_{n}"] = getattr(m, key)
    return out


@capability_required(Cap.PATIENT_VIEW)
def medications(request: HttpRequest, episode_id: UUID) -> HttpResponse:
    episode = get_scoped_or_404(request, Episode.objects.select_related("patient", "program__site"), episode_id,
                                capability=Cap.PATIENT_VIEW)
    entries = list(MedicationEntry.objects.filter(episode=episode).select_related("reconciled_by"))
    by_kind = {k: [e for e in entries if e.list_kind == k] for k in MedicationListKind.values}
    can_edit = bool(policies.can_discharge(request.user, episode.program.site)) and episode.status != "discharged"
    forms_by_kind = {k: MedicationListForm(initial={"list_kind": k, **_initial(by_kind[k])}, prefix=k)
                     for k in MedicationListKind.values}
    status = 200
    if request.method == "POST":
        if not can_edit:
            return HttpResponse(status=403)
        kind = request.POST.get("kind", "")
        if kind not in MedicationListKind.values:
            return HttpResponse("Choose the admission or discharge list.", status=400)
        form = MedicationListForm(request.POST, prefix=kind)
        forms_by_kind[kind] = form
        if form.is_valid():
            try:
                meds.reconcile_medications(episode=episode, list_kind=kind, rows=form.rows(),
                                                  reconciled_by=request.user,
                                                  no_medications=form.cleaned_data["no_medications"])
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "Medication list reconciled.")
                return redirect("episodes:medications", episode_id=episode.public_id)
        status = 400
    else:
        record(action=AuditAction.READ, obj=episode, patient=episode.patient, site=episode.program.site,
               detail={"view": "medications"})
    context = chart_context(request, episode.patient, "episodes")
    context.update({"episode": episode, "lists": [(k, label, by_kind[k], forms_by_kind[k])
                                                   for k, label in MedicationListKind.choices],
                    "can_edit": can_edit, "source": meds.RECONCILIATION_SOURCE})
    return render(request, "episodes/medications.html", context, status=status)


@require_POST
@capability_required(Cap.EPISODE_DISCHARGE)
def aftercare_outcome(request: HttpRequest, record_id: UUID) -> HttpResponse:
    rec = get_scoped_or_404(request, DischargeRecord.objects.select_related("episode__program__site"), record_id,
                            capability=Cap.EPISODE_DISCHARGE)
    kept = request.POST.get("kept")
    if kept not in ("yes", "no"):
        messages.error(request, "Say whether the aftercare appointment was kept or missed.")
    else:
        try:
            meds.record_aftercare_outcome(record_=rec, kept=kept == "yes", recorded_by=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Aftercare outcome recorded.")
    return redirect("episodes:episode", episode_id=rec.episode.public_id)
