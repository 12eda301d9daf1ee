"""Billing: profiles and fee schedules (data), charges, claims and their lines, X12 batches, remittances.

Billing records carry codes, dates, minutes, amounts and the documentation status of a service (signed or
not) - never note text (45 CFR 164.502(b) minimum necessary: billers do not read clinical content).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from trellis.core.access import ScopedManager
from trellis.core.models import BaseModel


class ClaimType(models.TextChoices):
    PROFESSIONAL = "professional", "Professional (837P)"
    INSTITUTIONAL = "institutional", "Institutional (837I)"


class BillingMode(models.TextChoices):
    PER_DIEM = "per_diem", "Per diem (one line per billable day)"
    PER_SERVICE = "per_service", "Per service (one line per attended service)"


class BillingProfile(BaseModel):
    """How one payer is billed for one program (or every program of a level of care): the claim form, per
    diem or per service, type of bill and condition codes, telehealth modifiers and place of service."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    payer_identifier = models.CharField(max_length=80, help_text="Payer id as sent on claims (NM1*PR).")
    payer_name = models.CharField(max_length=120)
    claim_filing_indicator = models.CharField(max_length=2, default="CI", help_text="837 SBR09: CI, MB, MA, MC...")
    program = models.ForeignKey("programs.Program", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", help_text="Empty: every program of the level of care.")
    level_of_care = models.CharField(max_length=3, help_text="php, iop or op (programs.LevelOfCare).")
    billing_mode = models.CharField(max_length=12, choices=BillingMode.choices)
    claim_type = models.CharField(max_length=14, choices=ClaimType.choices)
    type_of_bill = models.CharField(max_length=2, blank=True, help_text="837I: 13 hospital outpatient, 76 CMHC.")
    condition_codes = models.CharField(max_length=40, blank=True, help_text="Comma-separated, e.g. 92 (IOP), 41 (PHP).")
    place_of_service = models.CharField(max_length=2, default="11", help_text="In-person POS (837P).")
    video_modifier = models.CharField(max_length=2, blank=True, help_text="95 or GT, per payer.")
    audio_modifier = models.CharField(max_length=2, blank=True, help_text="93 or FQ, per payer.")
    per_diem_min_minutes = models.PositiveIntegerField(null=True, blank=True,
                                                       help_text="Minimum treatment minutes for a billable day.")
    timely_filing_days = models.PositiveIntegerField(default=365)
    requires_authorization = models.BooleanField(default=True)
    source = models.CharField(max_length=300, help_text="Contract, manual or bulletin this profile comes from.")
    confirmed = models.BooleanField(default=False, help_text="Unchecked: a biller must confirm it.")

    class Meta:
        ordering = ["payer_name", "level_of_care"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "payer_identifier", "program"], condition=Q(program__isnull=False),
                name="billing_profile_unique_per_program",
                violation_error_message="This payer already has a billing profile for this program.",
            ),
            models.UniqueConstraint(
                fields=["organization", "payer_identifier", "level_of_care"], condition=Q(program__isnull=True),
                name="billing_profile_unique_per_level",
                violation_error_message="This payer already has a billing profile for this level of care.",
            ),
            models.CheckConstraint(
                condition=~Q(claim_type="institutional") | ~Q(type_of_bill=""),
                name="billing_profile_institutional_has_tob",
                violation_error_message="An institutional (837I) profile needs a type of bill (13 or 76).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payer_name} · {self.program or self.level_of_care.upper()}"

    @property
    def condition_code_list(self) -> tuple[str, ...]:
        return tuple(c.strip() for c in self.condition_codes.split(",") if c.strip())


PER_DIEM_SERVICE = "per_diem"


class FeeScheduleEntry(BaseModel):
    """One code a profile bills and its rate. `service_type` is a programs.ServiceType value or per_diem."""

    profile = models.ForeignKey(BillingProfile, on_delete=models.CASCADE, related_name="fees")
    service_type = models.CharField(max_length=32)
    code = models.CharField(max_length=5)
    revenue_code = models.CharField(max_length=4, blank=True)
    rate = models.DecimalField(max_digits=10, decimal_places=2)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=300)
    confirmed = models.BooleanField(default=False)

    class Meta:
        ordering = ["profile", "service_type", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gt=0), name="fee_rate_positive",
                                   violation_error_message="A rate must be greater than zero."),
            models.UniqueConstraint(fields=["profile", "code", "effective_from"], name="fee_unique_code_date",
                                    violation_error_message="This code already has a rate from that date."),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.rate}"


class Documentation(models.TextChoices):
    COMPLETE = "complete", "Signed"
    UNSIGNED = "unsigned", "Not signed"
    AWAITING_COSIGN = "awaiting_cosign", "Awaiting co-signature"
    MISSING = "missing", "No note"


class ChargeStatus(models.TextChoices):
    OPEN = "open", "Ready to claim"
    HELD = "held", "Held"
    CLAIMED = "claimed", "On a claim"
    VOID = "void", "Void"


class Charge(BaseModel):
    site_path = "episode__program__site"
    patient_path = "episode__patient"
    objects = ScopedManager()

    episode = models.ForeignKey("episodes.Episode", on_delete=models.PROTECT, related_name="charges")
    attendance = models.ForeignKey("attendance.Attendance", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", help_text="The attended service (per-service charges).")
    profile = models.ForeignKey(BillingProfile, on_delete=models.PROTECT, related_name="charges")
    service_date = models.DateField()
    per_diem = models.BooleanField(default=False)
    code = models.CharField(max_length=5)
    modifiers = models.CharField(max_length=11, blank=True, help_text="Comma-separated, up to 4.")
    revenue_code = models.CharField(max_length=4, blank=True)
    place_of_service = models.CharField(max_length=2, blank=True)
    units = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("1"))
    minutes = models.PositiveIntegerField(default=0)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    documentation = models.CharField(max_length=16, choices=Documentation.choices, default=Documentation.MISSING)
    rendering_provider = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    supervising_provider = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                             on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=ChargeStatus.choices, default=ChargeStatus.OPEN)
    hold_reason = models.CharField(max_length=200, blank=True)
    # Why careplans' billable-service selector refused the service (each reason with its source); a charge
    # with reasons is held by capture and released when the check passes (trellis.careplans.billable).
    not_billable = models.JSONField(default=list, blank=True)
    replaces = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["service_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="charge_amount_positive",
                                   violation_error_message="A charge must be greater than zero."),
            models.CheckConstraint(condition=Q(units__gt=0), name="charge_units_positive",
                                   violation_error_message="Units must be greater than zero."),
            models.UniqueConstraint(fields=["attendance"], condition=~Q(status="void") & Q(attendance__isnull=False),
                                    name="charge_one_per_attendance",
                                    violation_error_message="This service already has a charge."),
            models.UniqueConstraint(fields=["episode", "service_date"], condition=~Q(status="void") & Q(per_diem=True),
                                    name="charge_one_per_diem_per_day",
                                    violation_error_message="This day already has a per-diem charge."),
        ]
        indexes = [models.Index(fields=["status", "service_date"], name="charge_status_date")]

    def __str__(self) -> str:
        return f"Charge {self.code} {self.service_date}"

    @property
    def modifier_list(self) -> tuple[str, ...]:
        return tuple(m for m in self.modifiers.split(",") if m)


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCRUBBED = "scrubbed", "Scrubbed (ready to batch)"
    BATCHED = "batched", "Batched"
    SUBMITTED = "submitted", "Submitted"
    ACCEPTED = "accepted", "Accepted"
    PAID = "paid", "Paid"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    DENIED = "denied", "Denied"
    APPEALED = "appealed", "Appealed"
    VOID = "void", "Void"


class Claim(BaseModel):
    site_path = "episode__program__site"
    patient_path = "episode__patient"
    objects = ScopedManager()

    episode = models.ForeignKey("episodes.Episode", on_delete=models.PROTECT, related_name="claims")
    profile = models.ForeignKey(BillingProfile, on_delete=models.PROTECT, related_name="claims")
    claim_type = models.CharField(max_length=14, choices=ClaimType.choices)
    patient_control_number = models.CharField(max_length=20, unique=True)
    frequency_code = models.CharField(max_length=1, default="1")
    replaces = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by")
    payer_claim_number = models.CharField(max_length=50, blank=True, help_text="From the 835 (CLP07).")
    # Coordination of benefits: SBR01 of this claim (P primary, S secondary) and, on a secondary claim, the
    # primary claim it follows and the primary payer's adjudication as the 835 reported it (837 loops 2320-2430).
    payer_sequence = models.CharField(max_length=1, default="P", choices=[("P", "Primary"), ("S", "Secondary")])
    primary_claim = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="secondary_claims")
    other_payer = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.DRAFT)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # The coverage the claim is billed under, as recorded when it was made (coverage app boundary).
    payer_identifier = models.CharField(max_length=80)
    payer_name = models.CharField(max_length=120)
    claim_filing_indicator = models.CharField(max_length=2, default="CI")
    member_id = models.CharField(max_length=80)
    group_number = models.CharField(max_length=50, blank=True)
    relationship = models.CharField(max_length=2, default="18")
    subscriber = models.JSONField(default=dict, blank=True, help_text="Subscriber when not the patient.")
    coverage_from = models.DateField(null=True, blank=True)
    coverage_to = models.DateField(null=True, blank=True)
    authorization = models.JSONField(default=dict, blank=True)
    diagnosis_codes = models.JSONField(default=list)
    place_of_service = models.CharField(max_length=2, blank=True)
    type_of_bill = models.CharField(max_length=2, blank=True)
    condition_codes = models.CharField(max_length=40, blank=True)
    statement_from = models.DateField()
    statement_to = models.DateField()
    total_charge = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    paid_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    patient_responsibility = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    rendering_provider = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    attending_provider = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    supervising_provider = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                             on_delete=models.PROTECT, related_name="+")
    scrub_problems = models.JSONField(default=list, blank=True)
    scrubbed_at = models.DateTimeField(null=True, blank=True)
    batch = models.ForeignKey("ClaimBatch", null=True, blank=True, on_delete=models.PROTECT, related_name="claims")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-statement_from", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(statement_from__lte=F("statement_to")), name="claim_statement_range",
                                   violation_error_message="The statement period ends before it starts."),
            models.CheckConstraint(condition=Q(frequency_code__in=["1", "7", "8"]), name="claim_frequency_code",
                                   violation_error_message="The frequency code must be 1, 7 or 8."),
            models.CheckConstraint(condition=Q(frequency_code="1") | ~Q(payer_claim_number=""),
                                   name="claim_replacement_has_payer_number",
                                   violation_error_message="A replacement or void needs the payer claim number."),
        ]
        indexes = [models.Index(fields=["status", "statement_from"], name="claim_status_date"),
                   # the suspense list searches claims by the payer's claim number (CLP07)
                   models.Index(fields=["payer_claim_number"], name="claim_payer_number")]

    def __str__(self) -> str:
        return f"Claim {self.patient_control_number}"

    @property
    def balance(self) -> Decimal:
        return self.total_charge - self.paid_amount


class ClaimLine(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="lines")
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="claim_lines")
    number = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=5)
    modifiers = models.CharField(max_length=11, blank=True)
    revenue_code = models.CharField(max_length=4, blank=True)
    place_of_service = models.CharField(max_length=2, blank=True)
    units = models.DecimalField(max_digits=6, decimal_places=2)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    service_date = models.DateField()
    diagnosis_pointers = models.JSONField(default=list)
    line_control_number = models.CharField(max_length=30, unique=True)
    paid_amount = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    allowed_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["claim", "number"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "number"], name="claim_line_number_unique",
                                    violation_error_message="Line numbers are unique within a claim."),
        ]

    def __str__(self) -> str:
        return f"Line {self.number} {self.code}"


class ControlNumberCounter(models.Model):
    """The last interchange control number used by an organization (ISA13/GS06), taken under a row lock."""

    organization = models.OneToOneField("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    last_value = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"ISA13 counter {self.last_value}"


class BatchStatus(models.TextChoices):
    BUILT = "built", "Built"
    SUBMITTED = "submitted", "Submitted"


class ClaimBatch(BaseModel):
    """One X12 interchange (one file) of one claim type for one billing provider (site)."""

    site_path = "site"
    patient_path = None
    objects = ScopedManager()

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    claim_type = models.CharField(max_length=14, choices=ClaimType.choices)
    interchange_control_number = models.PositiveIntegerField()
    group_control_number = models.PositiveIntegerField()
    content = models.TextField()
    content_sha256 = models.CharField(max_length=64)
    claim_count = models.PositiveIntegerField()
    total_charge = models.DecimalField(max_digits=14, decimal_places=2)
    status = models.CharField(max_length=10, choices=BatchStatus.choices, default=BatchStatus.BUILT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submission_reference = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "interchange_control_number"],
                                    name="batch_unique_interchange_control_number",
                                    violation_error_message="This interchange control number is already used."),
        ]

    def __str__(self) -> str:
        return f"Batch {self.interchange_control_number:09d}"

    @property
    def filename(self) -> str:
        kind = "837P" if self.claim_type == ClaimType.PROFESSIONAL else "837I"
        return f"{kind}_{self.interchange_control_number:09d}.x12"


class Remittance(BaseModel):
    """One 835 payment (one ST..SE transaction) posted from an imported file."""

    site_path = "site"
    patient_path = None
    objects = ScopedManager()

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    payer_identifier = models.CharField(max_length=80)
    payer_name = models.CharField(max_length=120)
    trace_number = models.CharField(max_length=50)
    total_paid = models.DecimalField(max_digits=14, decimal_places=2)
    payment_method = models.CharField(max_length=3, blank=True)
    payment_date = models.DateField(null=True, blank=True)
    file_sha256 = models.CharField(max_length=64)
    interchange_control_number = models.CharField(max_length=9)
    code_list_version = models.CharField(max_length=20)
    posted_at = models.DateTimeField()

    class Meta:
        ordering = ["-posted_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "payer_identifier", "trace_number"],
                                    name="remittance_unique_trace",
                                    violation_error_message="This payment (trace number) is already posted."),
        ]

    def __str__(self) -> str:
        return f"Remittance {self.trace_number}"


class RemittanceClaim(BaseModel):
    """One CLP of a remittance, matched to a claim by patient control number (or in suspense)."""

    site_path = "remittance__site"
    patient_path = "claim__episode__patient"
    objects = ScopedManager()

    remittance = models.ForeignKey(Remittance, on_delete=models.PROTECT, related_name="claims")
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="remittances")
    patient_control_number = models.CharField(max_length=38)
    status_code = models.CharField(max_length=2)
    charge = models.DecimalField(max_digits=12, decimal_places=2)
    paid = models.DecimalField(max_digits=12, decimal_places=2)
    patient_responsibility = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    payer_claim_number = models.CharField(max_length=50, blank=True)
    remark_codes = models.JSONField(default=list, blank=True)
    denied = models.BooleanField(default=False)
    worked_at = models.DateTimeField(null=True, blank=True, help_text="Denial worked (appealed/corrected).")

    class Meta:
        ordering = ["remittance", "id"]

    def __str__(self) -> str:
        return f"CLP {self.patient_control_number}"


class AdjustmentLevel(models.TextChoices):
    CLAIM = "claim", "Claim"
    LINE = "line", "Service line"
    PROVIDER = "provider", "Provider (PLB)"


class Adjustment(models.Model):
    remittance = models.ForeignKey(Remittance, on_delete=models.PROTECT, related_name="adjustments")
    remittance_claim = models.ForeignKey(RemittanceClaim, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="adjustments")
    claim_line = models.ForeignKey(ClaimLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=8, choices=AdjustmentLevel.choices)
    group_code = models.CharField(max_length=2, blank=True, help_text="CO, PR, OI, PI (empty for PLB).")
    reason_code = models.CharField(max_length=5, help_text="CARC, or the PLB reason (WO, L6...).")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    reference = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.group_code}-{self.reason_code} {self.amount}"


class SuspenseItem(BaseModel):
    """A remittance claim the import could not match to a claim: a biller resolves it by hand."""

    site_path = "remittance__site"
    patient_path = None
    objects = ScopedManager()

    remittance = models.ForeignKey(Remittance, on_delete=models.PROTECT, related_name="suspense")
    remittance_claim = models.OneToOneField(RemittanceClaim, on_delete=models.PROTECT, related_name="suspense")
    reason = models.CharField(max_length=300)
    # The claim payment as the 835 gave it (CLP/CAS/SVC values, no patient name or member id), so that a biller's
    # match posts it exactly as the import would have (services.remittances.match_suspense).
    payment = models.JSONField(default=dict, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Suspense {self.public_id}"
