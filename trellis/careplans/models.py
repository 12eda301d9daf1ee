"""Treatment plans (problem -> goal -> objective -> intervention), versions, reviews,
signatures, physician certifications and care deadlines (worklist)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from trellis.core.access import ScopedManager
from trellis.core.models import BaseModel
from trellis.programs.models import ServiceType


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active (signed)"
    SUPERSEDED = "superseded", "Superseded"


class TreatmentPlan(BaseModel):
    """One version of an episode's treatment plan. A review creates the next version; old
    versions stay readable; signed versions are immutable."""

    site_path = "episode__program__site"
    patient_path = "patient"
    objects = ScopedManager()

    episode = models.ForeignKey("episodes.Episode", on_delete=models.PROTECT, related_name="treatment_plans")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="treatment_plans")
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    previous = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    effective_on = models.DateField()
    summary = models.TextField("Clinical summary / strengths", blank=True)
    patient_signer_name = models.CharField(max_length=200, blank=True)
    patient_signed_at = models.DateTimeField(null=True, blank=True)
    patient_signed_ip = models.GenericIPAddressField(null=True, blank=True)
    patient_declined_reason = models.CharField(max_length=300, blank=True)
    clinician_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    clinician_signed_at = models.DateTimeField(null=True, blank=True)
    content_sha256 = models.CharField(max_length=64, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    row_version = models.PositiveIntegerField(default=1)
    # 42 CFR 424.24(e)(2): the plan of a certified PHP/IOP program sets forth the physician's diagnosis and is
    # established and periodically reviewed by a physician (who co-signs it here).
    primary_diagnosis = models.ForeignKey("episodes.Diagnosis", on_delete=models.SET_NULL, null=True, blank=True,
                                          related_name="+", verbose_name="Primary psychiatric diagnosis")
    physician_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    physician_signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "version"],
                name="plan_unique_version",
                violation_error_message="This plan version already exists.",
            ),
            models.UniqueConstraint(
                fields=["episode"],
                condition=Q(status="active"),
                name="plan_one_active_per_episode",
                violation_error_message="An episode can have only one active plan version.",
            ),
            models.UniqueConstraint(
                fields=["episode"],
                condition=Q(status="draft"),
                name="plan_one_draft_per_episode",
                violation_error_message="Finish or discard the draft plan before starting another.",
            ),
        ]

    def __str__(self) -> str:
        return f"Treatment plan v{self.version}"

    @property
    def is_signed(self) -> bool:
        return self.clinician_signed_at is not None

    @property
    def is_editable(self) -> bool:
        return self.status == PlanStatus.DRAFT


class PlanProblem(models.Model):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="problems")
    order = models.PositiveSmallIntegerField(default=0)
    statement = models.TextField()
    diagnosis = models.ForeignKey("episodes.Diagnosis", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.statement[:60]


class PlanGoal(models.Model):
    problem = models.ForeignKey(PlanProblem, on_delete=models.CASCADE, related_name="goals")
    order = models.PositiveSmallIntegerField(default=0)
    statement = models.TextField("Goal (in the patient's words)")

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.statement[:60]


class ObjectiveStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACHIEVED = "achieved", "Achieved"
    DISCONTINUED = "discontinued", "Discontinued"


class PlanObjective(models.Model):
    goal = models.ForeignKey(PlanGoal, on_delete=models.CASCADE, related_name="objectives")
    order = models.PositiveSmallIntegerField(default=0)
    lineage = models.UUIDField(default=uuid.uuid4, db_index=True)  # same objective across versions
    statement = models.TextField("Measurable objective")
    measure = models.CharField("How it is measured", max_length=200, blank=True)
    target_date = models.DateField()
    status = models.CharField(max_length=12, choices=ObjectiveStatus.choices, default=ObjectiveStatus.OPEN)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.statement[:60]


class PlanIntervention(models.Model):
    objective = models.ForeignKey(PlanObjective, on_delete=models.CASCADE, related_name="interventions")
    description = models.TextField()
    modality = models.CharField(max_length=30, choices=ServiceType.choices)
    frequency = models.CharField(max_length=100)
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The amount and frequency of services (42 CFR 424.24(e)(2)(i)(B)); the plan's weekly total is computed from
    # these (trellis.careplans.plan_hours). Blank on plans written before hours were recorded.
    minutes_per_session = models.PositiveSmallIntegerField(null=True, blank=True)
    sessions_per_week = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.description[:60]

    @property
    def weekly_minutes(self) -> int:
        return (self.minutes_per_session or 0) * (self.sessions_per_week or 0)


class ReviewReason(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled review"
    LEVEL_CHANGE = "level_change", "Level-of-care change"
    CLINICAL_CHANGE = "clinical_change", "Clinical change"
    DISCHARGE = "discharge", "Discharge"


class PlanReview(BaseModel):
    site_path = "plan__episode__program__site"
    patient_path = "plan__patient"
    objects = ScopedManager()

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="reviews")
    resulting_plan = models.OneToOneField(
        TreatmentPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="from_review"
    )
    reviewed_on = models.DateField()
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=ReviewReason.choices, default=ReviewReason.SCHEDULED)
    summary = models.TextField()

    class Meta:
        ordering = ["-reviewed_on", "-id"]

    def __str__(self) -> str:
        return f"Plan review {self.public_id}"


class ProgressRating(models.TextChoices):
    ACHIEVED = "achieved", "Achieved"
    PROGRESSING = "progressing", "Progressing"
    NO_CHANGE = "no_change", "No change"
    REGRESSED = "regressed", "Regressed"
    DISCONTINUED = "discontinued", "Discontinued"


class ObjectiveProgress(models.Model):
    review = models.ForeignKey(PlanReview, on_delete=models.CASCADE, related_name="progress")
    objective = models.ForeignKey(PlanObjective, on_delete=models.PROTECT, related_name="progress")
    rating = models.CharField(max_length=15, choices=ProgressRating.choices)
    note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["review", "objective"],
                name="progress_one_per_objective",
                violation_error_message="Progress is recorded once per objective per review.",
            )
        ]

    def __str__(self) -> str:
        return self.rating


class CertificationKind(models.TextChoices):
    INITIAL = "initial", "Initial certification"
    RECERTIFICATION = "recertification", "Recertification"


class PhysicianCertification(BaseModel):
    """Physician (re)certification, 42 CFR 424.24(e) - see trellis.careplans.schedule."""

    site_path = "episode__program__site"
    patient_path = "episode__patient"
    objects = ScopedManager()

    episode = models.ForeignKey("episodes.Episode", on_delete=models.PROTECT, related_name="certifications")
    kind = models.CharField(max_length=16, choices=CertificationKind.choices)
    physician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_on = models.DateField()
    signed_at = models.DateTimeField()
    statement = models.TextField()
    rule_key = models.CharField(max_length=30)
    citation = models.CharField(max_length=300)
    # Recertification content, 42 CFR 424.24(e)(3): each is required on a recertification (blank on initials).
    response_to_treatment = models.TextField("Patient's response to the therapeutic interventions", blank=True)
    continuing_symptoms = models.TextField(
        "Psychiatric symptoms that continue to place the patient at risk of inpatient care", blank=True)
    discharge_goals = models.TextField("Treatment goals for coordinating services to facilitate discharge",
                                       blank=True)

    class Meta:
        ordering = ["signed_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.signed_on}"


class DeadlineKind(models.TextChoices):
    INITIAL_PLAN = "initial_plan", "Initial treatment plan"
    PLAN_REVIEW = "plan_review", "Treatment plan review"
    CERTIFICATION = "certification", "Physician certification"
    RECERTIFICATION = "recertification", "Physician recertification"


class CareDeadline(models.Model):
    """An open or met deadline on an episode; the worklist reads the open ones."""

    site_path = "episode__program__site"

    episode = models.ForeignKey("episodes.Episode", on_delete=models.CASCADE, related_name="care_deadlines")
    kind = models.CharField(max_length=20, choices=DeadlineKind.choices)
    due_on = models.DateField()
    met_on = models.DateField(null=True, blank=True)
    cancelled = models.BooleanField(default=False)
    citation = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["due_on"], name="deadline_due_idx", condition=Q(met_on__isnull=True, cancelled=False))]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "kind"],
                condition=Q(met_on__isnull=True, cancelled=False),
                name="deadline_one_open_per_kind",
                violation_error_message="This deadline is already open for the episode.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} due {self.due_on}"

    @property
    def is_open(self) -> bool:
        return self.met_on is None and not self.cancelled


class CertificationPolicy(models.Model):
    """A program's certification cadence as data. Defaults come from trellis.careplans.schedule (42 CFR
    424.24(e)); a program may be stricter (shorter intervals) but never looser than the regulation."""

    program = models.OneToOneField("programs.Program", on_delete=models.CASCADE, related_name="certification_policy")
    initial_due_day = models.PositiveSmallIntegerField(default=1, help_text="Episode day (1 = admission day).")
    first_recert_day = models.PositiveSmallIntegerField(null=True, blank=True,
                                                        help_text="Episode day of the first recertification.")
    recert_interval_days = models.PositiveSmallIntegerField()
    citation = models.CharField(max_length=300)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(recert_interval_days__gte=1) & Q(initial_due_day__gte=1),
                name="certification_policy_positive",
                violation_error_message="Intervals and days must be at least 1.",
            )
        ]

    def __str__(self) -> str:
        return f"Certification policy for program {self.program_id}"
