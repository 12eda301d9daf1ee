"""Programs (level of care), tracks and rooms: what an organization offers at its sites."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from trellis.core.access import ScopedManager
from trellis.core.models import BaseModel
from trellis.programs.rules import AsamLevel


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
    OCCUPATIONAL_THERAPY = "occupational_therapy", "Occupational therapy"
    ACTIVITY_THERAPY = "activity_therapy", "Activity therapy"
    MEAL = "meal", "Meal"
    TRANSPORT = "transport", "Transport"

    @classmethod
    def is_group(cls, value: str) -> bool:
        return value in GROUP_SERVICE_TYPES


GROUP_SERVICE_TYPES = frozenset(
    {ServiceType.GROUP_PSYCHOTHERAPY, ServiceType.SKILLS_GROUP, ServiceType.PSYCHOEDUCATION}
)


#: Whether each service type counts toward weekly treatment hours by default (seeded into
#: scheduling.ServiceTypeHours, which an organization may change). 42 CFR 410.43(a)(4) lists the services of a
#: partial hospitalization program — individual and group therapy, occupational therapy, individualized activity
#: therapies, family counseling, patient training and education, diagnostic services — and 410.43(b)/(c) keep
#: meals, transportation and separately billed physician services out of it. Nursing check-ins and case
#: management are support services, not therapeutic hours; medication management is a physician service billed
#: separately.
COUNTS_TOWARD_HOURS_DEFAULT: dict[str, bool] = {
    ServiceType.GROUP_PSYCHOTHERAPY: True,
    ServiceType.SKILLS_GROUP: True,
    ServiceType.PSYCHOEDUCATION: True,
    ServiceType.INDIVIDUAL_THERAPY: True,
    ServiceType.FAMILY_THERAPY: True,
    ServiceType.OCCUPATIONAL_THERAPY: True,
    ServiceType.ACTIVITY_THERAPY: True,
    ServiceType.INTAKE: True,
    ServiceType.MEDICATION_MANAGEMENT: False,
    ServiceType.NURSING_CHECK_IN: False,
    ServiceType.CASE_MANAGEMENT: False,
    ServiceType.MEAL: False,
    ServiceType.TRANSPORT: False,
}
COUNTED_HOURS_SOURCE = "42 CFR 410.43 (services of a partial hospitalization / intensive outpatient program)"


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
    # ASAM level where the program uses ASAM (trellis.programs.rules.AsamLevel); its floor may raise the minimum.
    asam_level = models.CharField(max_length=4, blank=True, default="", choices=AsamLevel.choices)
    # Suicide-risk screening (C-SSRS) around admission and discharge: TJC NPSG.15.01.01 EP 2 (screen with a
    # validated tool) - the window is program policy.
    risk_screen_days = models.PositiveSmallIntegerField(
        default=7, help_text="A C-SSRS screen is required within this many days before admission and discharge.")
    rescreen_every_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Re-screen with the C-SSRS every this many days (blank: no schedule).")
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
