"""Payers, patient coverages, authorizations and concurrent (utilization) reviews.

Single-record invariants live here as named constraints; rules across records (overlapping authorizations,
two primary coverages at once, coverage outside the episode) are checked by the services, because they need
other rows and must work on SQLite and PostgreSQL alike (no exclusion constraints).

Sources:
- X12 005010X222A1 (837P) / 005010X223A2 (837I) implementation guides, loop 2000B SBR: SBR01 payer
  responsibility sequence (P primary, S secondary, T tertiary), SBR02 individual relationship code (18 self
  when the patient is the subscriber), SBR09 claim filing indicator code; loop 2000C PAT01 patient's
  relationship to the subscriber when not self (01 spouse, 19 child, G8 other relationship).
- Timely filing: each payer's contract / provider manual; Medicare 12 months from the date of service
  (42 CFR 424.44(a)).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q

from trellis.core.access import ScopedManager, ScopedQuerySet
from trellis.core.models import BaseModel
from trellis.patients.models import PatientSite
from trellis.programs.models import LevelOfCare


class PayerType(models.TextChoices):
    MEDICARE = "medicare", "Medicare"
    MEDICAID = "medicaid", "Medicaid"
    COMMERCIAL = "commercial", "Commercial"
    MEDICARE_ADVANTAGE = "medicare_advantage", "Medicare Advantage"
    EAP = "eap", "Employee assistance program (EAP)"
    SELF_PAY = "self_pay", "Self-pay"


class ClaimForm(models.TextChoices):
    INSTITUTIONAL = "837I", "837I institutional (UB-04)"
    PROFESSIONAL = "837P", "837P professional (CMS-1500)"


class ClaimFilingIndicator(models.TextChoices):
    # X12 5010 837 SBR09 claim filing indicator code (code list in 005010X222A1/005010X223A2, loop 2000B).
    SELF_PAY = "09", "09 Self-pay"
    OTHER_NON_FEDERAL = "11", "11 Other non-federal programs"
    PPO = "12", "12 Preferred provider organization (PPO)"
    POS = "13", "13 Point of service (POS)"
    EPO = "14", "14 Exclusive provider organization (EPO)"
    INDEMNITY = "15", "15 Indemnity insurance"
    HMO_MEDICARE_RISK = "16", "16 HMO Medicare risk (Medicare Advantage)"
    BLUE = "BL", "BL Blue Cross/Blue Shield"
    CHAMPUS = "CH", "CH CHAMPUS / TRICARE"
    COMMERCIAL = "CI", "CI Commercial insurance"
    FEDERAL_EMPLOYEES = "FI", "FI Federal Employees Program"
    HMO = "HM", "HM Health maintenance organization"
    MEDICARE_A = "MA", "MA Medicare Part A"
    MEDICARE_B = "MB", "MB Medicare Part B"
    MEDICAID = "MC", "MC Medicaid"
    OTHER_FEDERAL = "OF", "OF Other federal program"
    VA = "VA", "VA Veterans Affairs plan"
    WORKERS_COMP = "WC", "WC Workers' compensation"
    MUTUALLY_DEFINED = "ZZ", "ZZ Mutually defined"


class Payer(BaseModel):
    """A health plan (or self-pay) an organization bills. Organization-wide, not site-scoped: every site of the
    organization bills the same payers, and a payer holds no patient data."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="payers")
    name = models.CharField(max_length=120)
    payer_identifier = models.CharField(
        "Payer id", max_length=80,
        help_text="The id sent on claims (837 loop 2010BB NM109) and matched against 835 N1*PR; 'SELFPAY' for self-pay.",
    )
    payer_type = models.CharField(max_length=20, choices=PayerType.choices)
    claim_form = models.CharField(max_length=4, choices=ClaimForm.choices, default=ClaimForm.PROFESSIONAL)
    claim_filing_indicator = models.CharField(
        "Claim filing indicator (SBR09)", max_length=2, choices=ClaimFilingIndicator.choices,
        default=ClaimFilingIndicator.COMMERCIAL,
    )
    timely_filing_days = models.PositiveSmallIntegerField(
        default=365, help_text="Days from the date of service to file a claim (payer contract; Medicare 365, 42 CFR 424.44)."
    )
    timely_filing_source = models.CharField(
        max_length=200, blank=True, help_text="Where the limit comes from (contract section, provider manual page)."
    )
    requires_authorization = models.BooleanField(default=True)
    active = models.BooleanField(default=True)
    phone = models.CharField("Utilization review phone", max_length=20, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "payer_identifier"], name="coverage_payer_id_unique_per_org",
                violation_error_message="Another payer already uses this payer id.",
            ),
            models.CheckConstraint(
                condition=Q(timely_filing_days__gte=1), name="coverage_payer_timely_filing_positive",
                violation_error_message="Timely filing must be at least one day.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CoverageOrder(models.TextChoices):
    # SBR01 payer responsibility sequence number code.
    PRIMARY = "P", "Primary"
    SECONDARY = "S", "Secondary"
    TERTIARY = "T", "Tertiary"


class Relationship(models.TextChoices):
    # Patient's relationship to the subscriber: SBR02 "18" when the patient is the subscriber, otherwise
    # PAT01 in loop 2000C (X12 5010 837 individual relationship codes).
    SELF = "18", "Self (patient is the subscriber)"
    SPOUSE = "01", "Spouse"
    CHILD = "19", "Child"
    OTHER = "G8", "Other relationship"


class EligibilityStatus(models.TextChoices):
    NOT_CHECKED = "not_checked", "Not checked"
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    PENDING = "pending", "Pending (payer has not confirmed)"


class SubscriberSex(models.TextChoices):
    # 837 loop 2010BA DMG03 administrative gender.
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    UNKNOWN = "U", "Unknown"


class CoverageQuerySet(ScopedQuerySet["Coverage"]):
    def at_sites(self, site_ids):  # type: ignore[override]
        # A patient may be linked to several sites: EXISTS keeps one row per coverage.
        linked = PatientSite.objects.filter(patient=OuterRef("patient_id"), site_id__in=list(site_ids))
        return self.filter(Exists(linked))

    def active_on(self, day: date) -> CoverageQuerySet:
        return self.filter(effective_from__lte=day).filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))


class Coverage(BaseModel):
    """One insurance coverage of a patient, in coordination-of-benefits order."""

    site_path = "patient__care_sites"
    patient_path = "patient"
    objects = CoverageQuerySet.as_manager()

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="coverages")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="coverages")
    order = models.CharField(max_length=1, choices=CoverageOrder.choices, default=CoverageOrder.PRIMARY)
    member_id = models.CharField("Member id", max_length=80)
    group_number = models.CharField(max_length=50, blank=True)
    group_name = models.CharField(max_length=120, blank=True)
    relationship = models.CharField(
        "Patient's relationship to subscriber", max_length=2, choices=Relationship.choices, default=Relationship.SELF
    )
    subscriber_first_name = models.CharField(max_length=80, blank=True)
    subscriber_last_name = models.CharField(max_length=80, blank=True)
    subscriber_birth_date = models.DateField(null=True, blank=True)
    subscriber_sex = models.CharField(max_length=1, choices=SubscriberSex.choices, blank=True)
    subscriber_address_line1 = models.CharField(max_length=200, blank=True)
    subscriber_city = models.CharField(max_length=100, blank=True)
    subscriber_state = models.CharField(max_length=2, blank=True)
    subscriber_postal_code = models.CharField(max_length=10, blank=True)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    eligibility_status = models.CharField(
        max_length=12, choices=EligibilityStatus.choices, default=EligibilityStatus.NOT_CHECKED
    )
    eligibility_checked_on = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["order", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                name="coverage_ends_after_start",
                violation_error_message="The coverage ends before it starts: the end date must be on or after the start.",
            ),
            models.CheckConstraint(
                condition=Q(relationship="18") | (~Q(subscriber_last_name="") & Q(subscriber_birth_date__isnull=False)),
                name="coverage_dependent_has_subscriber",
                violation_error_message="When the patient is not the subscriber, enter the subscriber's name and date of birth.",
            ),
        ]
        indexes = [models.Index(fields=["patient", "order", "effective_from"], name="coverage_patient_order")]

    def __str__(self) -> str:
        return f"{self.payer} ({self.get_order_display()})"

    def active_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    @property
    def is_self(self) -> bool:
        return self.relationship == Relationship.SELF


class UnitKind(models.TextChoices):
    DAYS = "days", "Days"
    UNITS = "units", "Units"


class Authorization(BaseModel):
    """A payer's prior authorization for an episode's services: a number, a level of care, codes, and a number of
    days or units between two dates. Units used come from the compliance app (billable days) through
    `trellis.coverage.usage`; they are never stored here."""

    site_path = "episode__program__site"
    patient_path = "episode__patient"
    objects = ScopedManager()

    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, related_name="authorizations")
    episode = models.ForeignKey("episodes.Episode", on_delete=models.PROTECT, related_name="authorizations")
    number = models.CharField("Authorization number", max_length=50)
    level_of_care = models.CharField("Authorized level of care", max_length=3, choices=LevelOfCare.choices)
    service_codes = models.CharField(
        max_length=200, blank=True, help_text="HCPCS/CPT codes authorized, comma-separated; blank = any code of the level."
    )
    unit_kind = models.CharField(max_length=5, choices=UnitKind.choices, default=UnitKind.DAYS)
    units_authorized = models.PositiveIntegerField()
    start_on = models.DateField()
    end_on = models.DateField()
    review_frequency_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Days between concurrent reviews (often 5-7); blank = no concurrent review."
    )
    notes = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-start_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_on__gte=models.F("start_on")), name="authorization_ends_after_start",
                violation_error_message="The authorization ends before it starts: the end date must be on or after the start.",
            ),
            models.CheckConstraint(
                condition=Q(units_authorized__gte=1), name="authorization_units_positive",
                violation_error_message="Authorize at least one day or unit.",
            ),
            models.CheckConstraint(
                condition=Q(review_frequency_days__isnull=True) | Q(review_frequency_days__gte=1),
                name="authorization_review_frequency_positive",
                violation_error_message="Reviews must be at least one day apart.",
            ),
        ]
        indexes = [models.Index(fields=["episode", "start_on"], name="authorization_episode_start"),
                   models.Index(fields=["end_on"], name="authorization_end")]

    def __str__(self) -> str:
        return f"Authorization {self.number}"

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(c.strip().upper() for c in self.service_codes.split(",") if c.strip())

    def covers(self, day: date) -> bool:
        return self.start_on <= day <= self.end_on

    @property
    def length_days(self) -> int:
        return (self.end_on - self.start_on).days + 1


class ReviewOutcome(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"
    PEER_TO_PEER = "peer_to_peer", "Peer-to-peer requested"


class ConcurrentReview(BaseModel):
    """A scheduled utilization review with the payer while the authorization runs (often every 5-7 days)."""

    site_path = "authorization__episode__program__site"
    patient_path = "authorization__episode__patient"
    objects = ScopedManager()

    authorization = models.ForeignKey(Authorization, on_delete=models.PROTECT, related_name="reviews")
    due_on = models.DateField()
    outcome = models.CharField(max_length=12, choices=ReviewOutcome.choices, default=ReviewOutcome.PENDING)
    approved_days = models.PositiveSmallIntegerField(null=True, blank=True)
    reviewed_on = models.DateField(null=True, blank=True)
    reviewer = models.CharField("Payer reviewer", max_length=120, blank=True)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome="approved") | Q(approved_days__gte=1),
                name="review_approved_has_days",
                violation_error_message="An approval needs the number of days approved.",
            ),
            models.CheckConstraint(
                condition=Q(outcome="pending") | Q(reviewed_on__isnull=False),
                name="review_outcome_has_date",
                violation_error_message="A review with an outcome needs the date it was reviewed.",
            ),
        ]
        indexes = [models.Index(fields=["outcome", "due_on"], name="review_outcome_due")]

    def __str__(self) -> str:
        return f"Review due {self.due_on}"
