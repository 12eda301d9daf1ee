"""Medication reconciliation, C-SSRS timing around admission and discharge, and the aftercare outcome.

Rules and sources:
* Medication reconciliation at admission and discharge as structured rows (name, dose, route, frequency,
  prescriber, reconciled by) with changes flagged - The Joint Commission NPSG.03.06.01.
* A C-SSRS screen within the program's window before admission, and a fresh one (after admission) before
  discharge - TJC NPSG.15.01.01 EP 2 (screen with a validated tool); the window is program policy
  (Program.risk_screen_days).
* Aftercare follow-up within 7 days of discharge, kept or missed - program policy (AFTERCARE_MAX_DAYS), labelled
  as such: it is not HEDIS FUH, which measures follow-up after inpatient psychiatric stays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from trellis.audit.services import AuditAction, record
from trellis.core.clock import local_date, now, today_in
from trellis.core.errors import DomainError
from trellis.episodes.models import (
    DischargeRecord,
    DischargeSummary,
    Episode,
    EpisodeStatus,
    MedicationChange,
    MedicationEntry,
    MedicationListKind,
    SummaryStatus,
)
from trellis.referrals.models import SuicideRiskScreen

RECONCILIATION_SOURCE = "TJC NPSG.03.06.01"
SCREEN_SOURCE = "TJC NPSG.15.01.01 EP 2; window: program policy"
AFTERCARE_SOURCE = "Program policy (follow-up within 7 days of discharge; not HEDIS FUH)"
ROW_FIELDS = ("name", "dose", "route", "frequency", "prescriber")
REQUIRED_ROW_FIELDS = ("name", "dose", "route", "frequency")
NO_MEDICATIONS = "No medications"


@dataclass(frozen=True, slots=True)
class MedRow:
    name: str
    dose: str
    route: str
    frequency: str
    prescriber: str = ""
    change: str = MedicationChange.UNCHANGED


def _key(name: str) -> str:
    return " ".join(name.lower().split())


def flag_changes(admission: Sequence[MedRow], discharge: Sequence[MedRow]) -> list[MedRow]:
    """Discharge rows flagged against the admission list (pure): new, changed, unchanged; admission medications
    missing at discharge are added as stopped."""
    before = {_key(r.name): r for r in admission if r.name != NO_MEDICATIONS}
    out: list[MedRow] = []
    for r in discharge:
        if r.name == NO_MEDICATIONS:
            continue
        old = before.get(_key(r.name))
        if old is None:
            change = MedicationChange.NEW
        elif (old.dose, old.route, old.frequency) != (r.dose, r.route, r.frequency):
            change = MedicationChange.CHANGED
        else:
            change = MedicationChange.UNCHANGED
        out.append(MedRow(r.name, r.dose, r.route, r.frequency, r.prescriber, change))
    seen = {_key(r.name) for r in discharge}
    out += [MedRow(o.name, o.dose, o.route, o.frequency, o.prescriber, MedicationChange.STOPPED)
            for k, o in before.items() if k not in seen]
    return out


def _parse(rows: Sequence[dict[str, str]]) -> list[MedRow]:
    parsed = []
    for n, row in enumerate(rows, start=1):
        values = {k: str(row.get(k) or "").strip() for k in ROW_FIELDS}
        if not any(values.values()):
            continue
        missing = [k for k in REQUIRED_ROW_FIELDS if not values[k]]
        if missing:
            raise DomainError(f"Medication row {n}: give the {', '.join(missing)} ({RECONCILIATION_SOURCE}).",
                              field="rows")
        parsed.append(MedRow(**values))
    return parsed


def _rows_of(episode: Episode, kind: str) -> list[MedRow]:
    return [MedRow(m.name, m.dose, m.route, m.frequency, m.prescriber, m.change)
            for m in MedicationEntry.objects.filter(episode=episode, list_kind=kind)]


def reconcile_medications(*, episode: Episode, list_kind: str, rows: Sequence[dict[str, str]], reconciled_by: Any,
                          no_medications: bool = False) -> list[MedicationEntry]:
    """Record (or replace) the admission or discharge medication list. The discharge list is flagged against the
    admission list. An empty list must be stated (no_medications) rather than left blank."""
    if list_kind not in MedicationListKind.values:
        raise DomainError("Choose the admission or discharge list.", field="list_kind")
    if episode.status == EpisodeStatus.DISCHARGED:
        raise DomainError("This episode is discharged; its medication lists can no longer change.")
    if list_kind == MedicationListKind.DISCHARGE and DischargeSummary.objects.filter(
            episode=episode, status=SummaryStatus.SIGNED).exists():
        raise DomainError("The signed discharge summary reports this list: record a change as an addendum to the "
                          "summary (CMS Pub. 100-08 ch. 3 §3.3.2.5).", field="rows")
    parsed = _parse(rows)
    if not parsed and not no_medications:
        raise DomainError(f"List the medications, or state that the patient takes none ({RECONCILIATION_SOURCE}).",
                          field="rows")
    if parsed and no_medications:
        raise DomainError("Medications are listed: untick 'no medications'.", field="no_medications")
    if list_kind == MedicationListKind.DISCHARGE:
        parsed = flag_changes(_rows_of(episode, MedicationListKind.ADMISSION), parsed)
    if not parsed:
        parsed = [MedRow(NO_MEDICATIONS, "-", "-", "-")]
    stamp = now()
    with transaction.atomic():
        MedicationEntry.objects.filter(episode=episode, list_kind=list_kind).delete()
        made = MedicationEntry.objects.bulk_create([
            MedicationEntry(episode=episode, list_kind=list_kind, name=r.name, dose=r.dose, route=r.route,
                            frequency=r.frequency, prescriber=r.prescriber, change=r.change,
                            reconciled_by=reconciled_by, reconciled_at=stamp, created_by=reconciled_by)
            for r in parsed
        ])
        record(action=AuditAction.UPDATE, obj=episode, patient=episode.patient, site=episode.program.site,
               actor=reconciled_by, detail={"medication_list": list_kind, "rows": len(made),
                                            "changes": sorted({r.change for r in parsed})})
    return made


# ---------------------------------------------------------------- checks used by admission and discharge
def admission_screen_problem(*, patient: Any, program: Any, admitted_on: dt.date) -> str | None:
    days = program.risk_screen_days
    start = admitted_on - dt.timedelta(days=days)
    zone = program.site.zone
    stamps = SuicideRiskScreen.objects.filter(patient=patient).values_list("administered_at", flat=True)
    if any(start <= local_date(s, zone) <= admitted_on for s in stamps):
        return None
    return (f"Complete a C-SSRS suicide-risk screen within {days} days before admission ({SCREEN_SOURCE}).")


def discharge_problems(*, episode: Episode, discharged_on: dt.date) -> list[str]:
    """What blocks a discharge: a fresh C-SSRS screen (after admission, within the program's window) and the
    discharge medication reconciliation."""
    problems = []
    program = episode.program
    start = discharged_on - dt.timedelta(days=program.risk_screen_days)
    zone = program.site.zone
    stamps = SuicideRiskScreen.objects.filter(patient=episode.patient).values_list("administered_at", flat=True)
    # "Fresh": taken after the admission (a later day, or after the episode was opened), not the admission screen.
    fresh = [s for s in stamps if s > episode.created_at or local_date(s, zone) > episode.admitted_on]
    if not any(start <= local_date(s, zone) <= discharged_on for s in fresh):
        problems.append(f"Complete a fresh C-SSRS suicide-risk screen (after admission, within "
                        f"{program.risk_screen_days} days before discharge) ({SCREEN_SOURCE}).")
    if not MedicationEntry.objects.filter(episode=episode, list_kind=MedicationListKind.DISCHARGE).exists():
        problems.append(f"Reconcile the discharge medication list ({RECONCILIATION_SOURCE}).")
    return problems


def record_aftercare_outcome(*, record_: DischargeRecord, kept: bool, recorded_by: Any) -> DischargeRecord:
    """Whether the aftercare follow-up (within 7 days: program policy, not HEDIS FUH) was kept or missed."""
    with transaction.atomic():
        current = DischargeRecord.objects.select_for_update().select_related("episode__program__site").get(
            pk=record_.pk)
        if current.aftercare_on is None:
            raise DomainError(f"No aftercare appointment was recorded at discharge ({AFTERCARE_SOURCE}).")
        if current.aftercare_on > today_in(current.episode.program.site.zone):
            raise DomainError("The aftercare appointment has not happened yet.")
        current.aftercare_kept = kept
        current.aftercare_outcome_recorded_at = now()
        current.save(update_fields=["aftercare_kept", "aftercare_outcome_recorded_at", "updated_at"])
        record(action=AuditAction.UPDATE, obj=current, patient=current.episode.patient,
               site=current.episode.program.site, actor=recorded_by, detail={"aftercare_kept": kept})
    return current
