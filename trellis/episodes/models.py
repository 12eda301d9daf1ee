"""The episode of care (FHIR R4 EpisodeOfCare) and what hangs on it directly: level-of-care changes,
discharge record and summary, step-down hand-offs, and ICD-10-CM diagnoses.

The tables predate this app (they were created by programs and referrals); Meta.db_table keeps their names
so that moving the models here copied no data."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from trellis.core.access import ScopedManager
from trellis.core.errors import DomainError
from trellis.core.models import BaseModel, SignedAddendum
from trellis.programs.models import LevelOfCare, Program, Track


class EpisodeStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    DISCHARGED = "discharged", "Discharged"


class DischargeType(models.TextChoices):
    COMPLETED = "completed", "Completed program"
    STEP_DOWN = "step_down", "Step-down to a lower level"
    TRANSFER_HIGHER = "transfer_higher", "Transfer to a higher level"
    AMA = "ama", "Left against advice"
    ADMINISTRATIVE = "administrative", "Administrative"
    NO_SHOW = "no_show", "No-show out"


class Episode(BaseModel):
    """One admission of a patient to a program, admit to discharge (FHIR R4 EpisodeOfCare)."""

    site_path = "program__site"
    patient_path = "patient"
    objects = ScopedManager()

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="episodes")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="episodes")
    track = models.ForeignKey(Track, null=True, blank=True, on_delete=models.PROTECT, related_name="episodes")
    status = models.CharField(max_length=12, choices=EpisodeStatus.choices, default=EpisodeStatus.ACTIVE)
    admitted_on = models.DateField()
    discharged_on = models.DateField(null=True, blank=True)
    recommended_level = models.CharField(max_length=3, choices=LevelOfCare.choices)
    authorized_level = models.CharField(max_length=3, choices=LevelOfCare.choices, null=True, blank=True)
    primary_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="primary_episodes"
    )
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="prescriber_episodes"
    )
    case_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="case_episodes"
    )
    discharge_type = models.CharField(max_length=20, choices=DischargeType.choices, blank=True)
    discharge_reason = models.TextField(blank=True)
    previous_episode = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_episodes"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        db_table = "programs_episode"
        ordering = ["-admitted_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(discharged_on__isnull=True) | models.Q(discharged_on__gte=models.F("admitted_on")),
                name="episode_discharge_after_admit",
                violation_error_message="The discharge date is before the admission date.",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="discharged") | models.Q(discharged_on__isnull=False),
                name="episode_discharged_has_date",
                violation_error_message="A discharged episode needs a discharge date.",
            ),
        ]
        indexes = [models.Index(fields=["program", "status"], name="episode_program_status")]

    def __str__(self) -> str:
        return f"Episode {self.public_id} ({self.program})"

    @property
    def site(self):
        return self.program.site

    def is_active_on(self, day: date) -> bool:
        if self.status == EpisodeStatus.PLANNED or day < self.admitted_on:
            return False
        return self.discharged_on is None or day <= self.discharged_on




class LevelChangeField(models.TextChoices):
    RECOMMENDED = "recommended", "Clinically recommended level"
    AUTHORIZED = "authorized", "Payer-authorized level"


class EpisodeLevelChange(BaseModel):
    """A change of the recommended or authorized level of care within an episode; it pulls
    the next treatment-plan review in (trellis.careplans.schedule.next_review_due)."""

    site_path = "episode__program__site"
    patient_path = "episode__patient"
    objects = ScopedManager()

    episode = models.ForeignKey("episodes.Episode", on_delete=models.CASCADE, related_name="level_changes")
    field = models.CharField(max_length=12, choices=LevelChangeField.choices)
    from_level = models.CharField(max_length=10, choices=LevelOfCare.choices, blank=True)
    to_level = models.CharField(max_length=10, choices=LevelOfCare.choices)
    changed_on = models.DateField()
    reason = models.CharField(max_length=300)

    class Meta:
        db_table = "programs_episodelevelchange"
        ordering = ["changed_on", "id"]

    def __str__(self) -> str:
        return f"{self.field}: {self.from_level}->{self.to_level}"


class DischargeRecord(BaseModel):
    """Discharge details and the generated summary."""

    site_path = "episode__program__site"
    patient_path = "episode__patient"
    objects = ScopedManager()

    episode = models.OneToOneField("episodes.Episode", on_delete=models.PROTECT, related_name="discharge_record")
    discharge_type = models.CharField(max_length=30, choices=DischargeType.choices)
    reason = models.TextField()
    medications = models.TextField("Medications at discharge", blank=True)
    aftercare_provider = models.CharField(max_length=200, blank=True)
    aftercare_on = models.DateField("Aftercare appointment", null=True, blank=True)
    aftercare_flag = models.CharField(max_length=200, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    summary_generated_at = models.DateTimeField(null=True, blank=True)
    next_episode = models.ForeignKey(
        "episodes.Episode", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Aftercare follow-up within 7 days, kept or missed. Program policy (AFTERCARE_MAX_DAYS) - not HEDIS FUH,
    # which measures follow-up after inpatient psychiatric stays.
    aftercare_kept = models.BooleanField(null=True, blank=True)
    aftercare_outcome_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "programs_dischargerecord"

    def __str__(self) -> str:
        return f"Discharge {self.public_id}"


class SummaryStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


# Fields a signature covers: once signed they never change (CMS Pub. 100-08 ch. 3 §3.3.2.5: amend by addendum).
SIGNED_SUMMARY_FIELDS = ("course", "condition", "recommendations", "facts", "signed_by_id", "signer_name",
                         "signer_credentials", "signed_at", "content_hash", "status")


class DischargeSummary(BaseModel):
    """The clinician's discharge summary of an episode: drafted and edited, then signed (who, credentials, when, a
    hash of exactly what was signed) before the patient can be discharged. Once signed it is immutable; corrections
    are addenda (DischargeSummaryAddendum). Content: the services provided and the patient's course, the clinical
    status at discharge, recommendations for aftercare (42 CFR 485.914(e)(2), CMHC conditions of participation;
    42 CFR 482.24(c)(4)(vii) for hospital-based programs), plus the facts (diagnoses, reconciled discharge
    medications, attended hours, plan progress, last risk screen) as they stood when it was signed.
    ``version`` is the optimistic-concurrency counter of the draft."""

    site_path = "episode__program__site"
    patient_path = "episode__patient"
    objects = ScopedManager()

    episode = models.OneToOneField("episodes.Episode", on_delete=models.PROTECT, related_name="discharge_summary")
    status = models.CharField(max_length=10, choices=SummaryStatus.choices, default=SummaryStatus.DRAFT)
    course = models.TextField("Services provided and course of treatment", blank=True)
    condition = models.TextField("Clinical status at discharge", blank=True)
    recommendations = models.TextField("Recommendations and aftercare", blank=True)
    facts = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    signer_name = models.CharField(max_length=200, blank=True)
    signer_credentials = models.CharField(max_length=100, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    content_hash = models.CharField(max_length=80, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | (Q(signed_at__isnull=False) & Q(signed_by__isnull=False)
                                               & ~Q(content_hash="")),
                name="discharge_summary_signed_complete",
                violation_error_message="A signed discharge summary records who signed it, when, and its hash.",
            ),
        ]

    def __str__(self) -> str:
        return f"Discharge summary {self.public_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            before = type(self).objects.filter(pk=self.pk).values(*SIGNED_SUMMARY_FIELDS).first()
            if before and before["status"] == SummaryStatus.SIGNED and any(
                    before[f] != getattr(self, f) for f in SIGNED_SUMMARY_FIELDS):
                raise DomainError("The discharge summary is signed and cannot be changed; add an addendum.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise DomainError("Discharge summaries are clinical records and are never deleted.")


class DischargeSummaryAddendum(SignedAddendum, BaseModel):
    """A signed correction or addition to a signed discharge summary; the summary itself never changes
    (CMS Pub. 100-08 ch. 3 §3.3.2.5). Its hash covers its text and the hash of the summary it amends."""

    site_path = "summary__episode__program__site"
    patient_path = "summary__episode__patient"
    objects = ScopedManager()

    summary = models.ForeignKey(DischargeSummary, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField()
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(max_length=200)
    signer_credentials = models.CharField(max_length=100, blank=True)
    signed_at = models.DateTimeField()
    content_hash = models.CharField(max_length=80)

    class Meta:
        ordering = ["summary", "signed_at", "id"]

    def __str__(self) -> str:
        return "Discharge summary addendum"


class HandoffTask(BaseModel):
    """Hand-off to the receiving clinician on a step-down or transfer."""

    site_path = "to_episode__program__site"
    patient_path = "to_episode__patient"
    objects = ScopedManager()

    from_episode = models.ForeignKey("episodes.Episode", on_delete=models.PROTECT, related_name="+")
    to_episode = models.ForeignKey("episodes.Episode", on_delete=models.PROTECT, related_name="handoff_tasks")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField()
    due_on = models.DateField()
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        db_table = "programs_handofftask"
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return f"Hand-off {self.public_id}"


class DiagnosisRank(models.TextChoices):
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"


class DiagnosisStage(models.TextChoices):
    ADMISSION = "admission", "Admission / working"
    DISCHARGE = "discharge", "Discharge"


class Diagnosis(BaseModel):
    """An ICD-10-CM diagnosis on an intake and/or an episode (codes validated against the
    code set in trellis.referrals.icd10). Recorded at intake (intake set, episode set at admission) or
    on the episode itself (working and discharge diagnoses)."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="diagnoses")
    intake = models.ForeignKey("referrals.IntakeAssessment", on_delete=models.SET_NULL, null=True, blank=True, related_name="diagnoses")
    episode = models.ForeignKey("episodes.Episode", on_delete=models.SET_NULL, null=True, blank=True, related_name="diagnoses")
    stage = models.CharField(max_length=12, choices=DiagnosisStage.choices, default=DiagnosisStage.ADMISSION)
    code = models.CharField(max_length=8)
    description = models.CharField(max_length=300)
    code_set_version = models.CharField(max_length=60)
    rank = models.CharField(max_length=10, choices=DiagnosisRank.choices, default=DiagnosisRank.SECONDARY)
    onset_on = models.DateField(null=True, blank=True)
    diagnosed_on = models.DateField()
    resolved_on = models.DateField(null=True, blank=True)
    diagnosed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    entered_in_error = models.BooleanField(default=False)

    class Meta:
        db_table = "referrals_diagnosis"
        ordering = ["rank", "id"]
        verbose_name_plural = "diagnoses"
        constraints = [
            models.UniqueConstraint(
                fields=["intake", "stage"],
                condition=Q(rank="primary", entered_in_error=False, intake__isnull=False),
                name="diagnosis_one_primary_per_intake",
                violation_error_message="An intake can have only one primary diagnosis.",
            ),
            models.UniqueConstraint(
                fields=["episode", "stage"],
                condition=Q(rank="primary", entered_in_error=False, episode__isnull=False),
                name="diagnosis_one_primary_per_episode",
                violation_error_message="An episode can have only one primary diagnosis per stage.",
            ),
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True) | Q(resolved_on__gte=models.F("diagnosed_on")),
                name="diagnosis_resolved_after_diagnosed",
                violation_error_message="The resolved date cannot be before the diagnosis date.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


class MedicationListKind(models.TextChoices):
    ADMISSION = "admission", "Admission (home medications)"
    DISCHARGE = "discharge", "Discharge"


class MedicationChange(models.TextChoices):
    UNCHANGED = "unchanged", "Unchanged"
    NEW = "new", "New"
    CHANGED = "changed", "Dose or frequency changed"
    STOPPED = "stopped", "Stopped"


class MedicationEntry(BaseModel):
    """One row of an episode's admission or discharge medication list (medication reconciliation: TJC
    NPSG.03.06.01). Discharge rows flag what changed against the admission list."""

    site_path = "episode__program__site"
    patient_path = "episode__patient"
    objects = ScopedManager()

    episode = models.ForeignKey("episodes.Episode", on_delete=models.PROTECT, related_name="medications")
    list_kind = models.CharField(max_length=10, choices=MedicationListKind.choices)
    name = models.CharField(max_length=120)
    dose = models.CharField(max_length=60)
    route = models.CharField(max_length=40)
    frequency = models.CharField(max_length=60)
    prescriber = models.CharField(max_length=120, blank=True)
    change = models.CharField(max_length=10, choices=MedicationChange.choices, default=MedicationChange.UNCHANGED)
    reconciled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reconciled_at = models.DateTimeField()

    class Meta:
        ordering = ["list_kind", "name", "id"]

    def __str__(self) -> str:
        return f"{self.name} {self.dose}"
