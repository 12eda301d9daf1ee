"""Programs (level of care), tracks, rooms, and the Episode of care everything clinical hangs on."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from trellis.core.access import ScopedManager
from trellis.core.models import BaseModel


class LevelOfCare(models.TextChoices):
    # ASAM/CMS levels relevant here: PHP (partial hospitalization), IOP (intensive outpatient), OP.
    PHP = "php", "Partial hospitalization (PHP)"
    IOP = "iop", "Intensive outpatient (IOP)"
    OP = "op", "Outpatient (OP)"


LEVEL_RANK = {LevelOfCare.OP: 1, LevelOfCare.IOP: 2, LevelOfCare.PHP: 3}


class Population(models.TextChoices):
    ADULT = "adult", "Adult"
    ADOLESCENT = "adolescent", "Adolescent"


class ServiceType(models.TextChoices):
    GROUP_PSYCHOTHERAPY = "group_psychotherapy", "Group psychotherapy"
    SKILLS_GROUP = "skills_group", "Skills group"
    PSYCHOEDUCATION = "psychoeducation", "Psychoeducation"
    INDIVIDUAL_THERAPY = "individual_therapy", "Individual therapy"
    FAMILY_THERAPY = "family_therapy", "Family therapy"
    MEDICATION_MANAGEMENT = "medication_management", "Medication management"
    NURSING_CHECK_IN = "nursing_check_in", "Nursing check-in"
    CASE_MANAGEMENT = "case_management", "Case management"
    INTAKE = "intake", "Intake assessment"

    @classmethod
    def is_group(cls, value: str) -> bool:
        return value in GROUP_SERVICE_TYPES


GROUP_SERVICE_TYPES = frozenset(
    {ServiceType.GROUP_PSYCHOTHERAPY, ServiceType.SKILLS_GROUP, ServiceType.PSYCHOEDUCATION}
)


class Modality(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    TELEHEALTH = "telehealth", "Telehealth"
    HYBRID = "hybrid", "Hybrid"


class AttendedModality(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    VIDEO = "video", "Video"
    AUDIO_ONLY = "audio_only", "Audio only"


class Program(BaseModel):
    site_path = "site"
    patient_path = None
    objects = ScopedManager()

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="programs")
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="programs")
    name = models.CharField(max_length=120)
    level_of_care = models.CharField(max_length=3, choices=LevelOfCare.choices)
    population = models.CharField(max_length=12, choices=Population.choices, default=Population.ADULT)
    clinical_model = models.CharField(max_length=120, blank=True, help_text="e.g. CBT, DBT, trauma-informed")
    days_per_week = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    weekly_hours_min = models.DecimalField(max_digits=4, decimal_places=1, default=Decimal("9.0"))
    weekly_hours_max = models.DecimalField(max_digits=4, decimal_places=1, default=Decimal("19.0"))
    plan_due_days = models.PositiveSmallIntegerField(default=7, help_text="Initial treatment plan due (days).")
    plan_review_days = models.PositiveSmallIntegerField(default=30, help_text="Plan review cadence (days).")
    requires_certification = models.BooleanField(default=False, help_text="Physician certification (Medicare).")
    note_deadline_hours = models.PositiveSmallIntegerField(default=24)
    is_part2 = models.BooleanField(
        default=False, help_text="A federally assisted SUD program whose records fall under 42 CFR Part 2."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["site__name", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekly_hours_min__lte=models.F("weekly_hours_max")),
                name="program_hours_range",
                violation_error_message="The weekly hours minimum is above the maximum.",
            ),
            models.UniqueConstraint(
                fields=["site", "name"], name="program_name_unique_per_site",
                violation_error_message="This site already has a program with that name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TrackKind(models.TextChoices):
    GENERAL = "general", "General"
    TRAUMA = "trauma", "Trauma"
    CO_OCCURRING = "co_occurring", "Co-occurring disorders"
    ADOLESCENT = "adolescent", "Adolescent"
    EVENING = "evening", "Evening"


class Track(BaseModel):
    site_path = "program__site"
    patient_path = None
    objects = ScopedManager()

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="tracks")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=TrackKind.choices, default=TrackKind.GENERAL)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["program__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "name"], name="track_name_unique_per_program",
                violation_error_message="This program already has a track with that name.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.program.name} · {self.name}"


class Room(BaseModel):
    site_path = "site"
    patient_path = None
    objects = ScopedManager()

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=80)
    capacity = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["site__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "name"], name="room_name_unique_per_site",
                violation_error_message="This site already has a room with that name.",
            )
        ]

    def __str__(self) -> str:
        return self.name


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
    def site(self):  # noqa: ANN201
        return self.program.site

    def is_active_on(self, day: date) -> bool:
        if self.status == EpisodeStatus.PLANNED or day < self.admitted_on:
            return False
        return self.discharged_on is None or day <= self.discharged_on


# ---------------------------------------------------------------------------
# Episode lifecycle (admission / level changes / discharge / step-down).
# Added by the episode-of-care work (issue 4); the fields above are the shared contract.
# ---------------------------------------------------------------------------


class LevelChangeField(models.TextChoices):
    RECOMMENDED = "recommended", "Clinically recommended level"
    AUTHORIZED = "authorized", "Payer-authorized level"


class EpisodeLevelChange(BaseModel):
    """A change of the recommended or authorized level of care within an episode; it pulls
    the next treatment-plan review in (trellis.careplans.schedule.next_review_due)."""

    site_path = "episode__program__site"
    patient_path = "episode__patient"
    objects = ScopedManager()

    episode = models.ForeignKey("programs.Episode", on_delete=models.CASCADE, related_name="level_changes")
    field = models.CharField(max_length=12, choices=LevelChangeField.choices)
    from_level = models.CharField(max_length=10, choices=LevelOfCare.choices, blank=True)
    to_level = models.CharField(max_length=10, choices=LevelOfCare.choices)
    changed_on = models.DateField()
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["changed_on", "id"]

    def __str__(self) -> str:
        return f"{self.field}: {self.from_level}->{self.to_level}"


class DischargeRecord(BaseModel):
    """Discharge details and the generated summary (issue 4, section 8)."""

    site_path = "episode__program__site"
    patient_path = "episode__patient"
    objects = ScopedManager()

    episode = models.OneToOneField("programs.Episode", on_delete=models.PROTECT, related_name="discharge_record")
    discharge_type = models.CharField(max_length=30, choices=DischargeType.choices)
    reason = models.TextField()
    medications = models.TextField("Medications at discharge", blank=True)
    aftercare_provider = models.CharField(max_length=200, blank=True)
    aftercare_on = models.DateField("Aftercare appointment", null=True, blank=True)
    aftercare_flag = models.CharField(max_length=200, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    summary_generated_at = models.DateTimeField(null=True, blank=True)
    next_episode = models.ForeignKey(
        "programs.Episode", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Discharge {self.public_id}"


class HandoffTask(BaseModel):
    """Hand-off to the receiving clinician on a step-down or transfer."""

    site_path = "to_episode__program__site"
    patient_path = "to_episode__patient"
    objects = ScopedManager()

    from_episode = models.ForeignKey("programs.Episode", on_delete=models.PROTECT, related_name="+")
    to_episode = models.ForeignKey("programs.Episode", on_delete=models.PROTECT, related_name="handoff_tasks")
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
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return f"Hand-off {self.public_id}"
