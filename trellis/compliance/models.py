"""Requirement sets as data: weekly-hours rules per level of care and population, with payer overrides.

Resolution for one episode-week (``compliance.rules.resolve``): the set assigned to the payer of the patient's
primary coverage that week → a set that applies to that payer's *type* (e.g. Medicare) → the organization's
default set → the built-in default (ASAM) → the program's own weekly targets. Inside the set, the rule for the
episode's level of care (authorized level, else the program's) and the program's population.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from trellis.core.models import BaseModel
from trellis.coverage.models import PayerType
from trellis.programs.models import LevelOfCare, Population


class PartialWeekHandling(models.TextChoices):
    PRORATE = "prorate", "Prorate by program days in care"
    EXCLUDE = "exclude", "Exclude from the weekly minimum"


class RequirementSet(BaseModel):
    """A named collection of rules (e.g. "Medicare PHP/IOP", "Acme Health commercial")."""

    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="requirement_sets",
        help_text="Empty: a built-in set every organization can use.",
    )
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    # A set may apply to every payer of a type (the built-in Medicare set) without an explicit assignment.
    payer_type = models.CharField(max_length=20, choices=PayerType.choices, blank=True)
    is_default = models.BooleanField(
        default=False, help_text="Used when the patient's payer has no set of its own."
    )
    source = models.CharField(max_length=300, help_text="The regulation, manual or contract the rules come from.")
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="requirement_set_unique_name",
                violation_error_message="A requirement set with that name already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RequirementRule(BaseModel):
    """The weekly-hours rules of one set for one level of care and population."""

    requirement_set = models.ForeignKey(RequirementSet, on_delete=models.CASCADE, related_name="rules")
    level_of_care = models.CharField(max_length=3, choices=LevelOfCare.choices)
    population = models.CharField(max_length=12, choices=Population.choices, default=Population.ADULT)
    weekly_min_hours = models.DecimalField(
        max_digits=4, decimal_places=1, validators=[MinValueValidator(Decimal("0"))],
        help_text="Minimum counted hours per ISO week.",
    )
    weekly_max_hours = models.DecimalField(
        max_digits=4, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))],
        help_text="Empty: no maximum.",
    )
    min_days_per_week = models.PositiveSmallIntegerField(default=0)
    per_diem_min_minutes = models.PositiveSmallIntegerField(
        default=0, help_text="Minimum counted minutes for a billable per-diem day (0: none)."
    )
    min_services_per_day = models.PositiveSmallIntegerField(
        default=0, help_text="Minimum counted services on a billable day (0: none)."
    )
    partial_week = models.CharField(max_length=8, choices=PartialWeekHandling.choices,
                                    default=PartialWeekHandling.PRORATE)
    source = models.CharField(max_length=300, help_text="Citation for these numbers.")

    class Meta:
        ordering = ["requirement_set", "level_of_care", "population"]
        constraints = [
            models.UniqueConstraint(
                fields=["requirement_set", "level_of_care", "population"], name="requirement_rule_unique",
                violation_error_message="This set already has a rule for that level of care and population.",
            ),
            models.CheckConstraint(
                condition=Q(weekly_max_hours__isnull=True) | Q(weekly_min_hours__lte=F("weekly_max_hours")),
                name="requirement_rule_min_le_max",
                violation_error_message="The weekly minimum is above the maximum; lower the minimum or raise the maximum.",
            ),
            models.CheckConstraint(
                condition=Q(weekly_min_hours__gte=0) & (Q(weekly_max_hours__isnull=True) | Q(weekly_max_hours__gte=0)),
                name="requirement_rule_hours_not_negative",
                violation_error_message="Weekly hours cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(min_days_per_week__lte=7),
                name="requirement_rule_days_in_week",
                violation_error_message="A week has at most 7 days.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requirement_set} — {self.get_level_of_care_display()}, {self.get_population_display()}"


class PayerRequirementAssignment(BaseModel):
    """Which requirement set applies to a payer's patients, from a date (to a date). Overlaps are refused."""

    payer = models.ForeignKey("coverage.Payer", on_delete=models.PROTECT, related_name="requirement_assignments")
    requirement_set = models.ForeignKey(RequirementSet, on_delete=models.PROTECT, related_name="assignments")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True, help_text="Empty: until replaced.")

    class Meta:
        ordering = ["payer", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="requirement_assignment_dates",
                violation_error_message="The assignment must end on or after it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payer} → {self.requirement_set}"
