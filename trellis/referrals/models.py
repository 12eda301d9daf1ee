"""Referral network, intake assessment, diagnoses, C-SSRS screen, HRSN screen and
level-of-care determination."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from trellis.core.access import ScopedManager
from trellis.core.models import BaseModel
from trellis.programs.models import LevelOfCare


class SourceKind(models.TextChoices):
    HOSPITAL = "hospital", "Hospital / emergency department"
    INPATIENT = "inpatient", "Inpatient psychiatric unit"
    PRIMARY_CARE = "primary_care", "Primary care"
    OUTPATIENT = "outpatient", "Outpatient therapist / psychiatrist"
    SCHOOL = "school", "School"
    COURT = "court", "Probation / courts"
    SHELTER = "shelter", "Shelter / housing program"
    EAP = "eap", "Employee assistance program"
    SELF_FAMILY = "self_family", "Self / family"
    OTHER = "other", "Other"


class ReferralSource(BaseModel):
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="referral_sources")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=SourceKind.choices, default=SourceKind.OTHER)
    phone = models.CharField(max_length=40, blank=True)
    fax = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"],
                name="referral_source_unique_name",
                violation_error_message="A referral source with this name already exists.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ReferralContact(BaseModel):
    source = models.ForeignKey(ReferralSource, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReferralStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    SCREENING = "screening", "Screening"
    INTAKE_SCHEDULED = "intake_scheduled", "Intake scheduled"
    ASSESSED = "assessed", "Assessed"
    ADMITTED = "admitted", "Admitted"
    DECLINED = "declined", "Declined"
    NOT_REACHED = "not_reached", "Not reached"
    REFERRED_ELSEWHERE = "referred_elsewhere", "Referred elsewhere"


OPEN_STATUSES = (
    ReferralStatus.RECEIVED,
    ReferralStatus.SCREENING,
    ReferralStatus.INTAKE_SCHEDULED,
    ReferralStatus.ASSESSED,
)
LOSS_STATUSES = (ReferralStatus.DECLINED, ReferralStatus.NOT_REACHED, ReferralStatus.REFERRED_ELSEWHERE)


class LossReason(BaseModel):
    """Configurable decline / loss reasons (per organization)."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="loss_reasons")
    label = models.CharField(max_length=120)
    applies_to = models.CharField(
        max_length=20,
        choices=[("any", "Any closed state")] + [(s.value, s.label) for s in LOSS_STATUSES],
        default="any",
    )
    active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "label"],
                name="loss_reason_unique_label",
                violation_error_message="This reason already exists.",
            )
        ]

    def __str__(self) -> str:
        return self.label


class Referral(BaseModel):
    site_path = "site"
    patient_path = "patient"
    objects = ScopedManager()

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="referrals")
    program = models.ForeignKey("programs.Program", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    source = models.ForeignKey(ReferralSource, on_delete=models.SET_NULL, null=True, blank=True, related_name="referrals")
    contact = models.ForeignKey(ReferralContact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.RECEIVED)
    # the person referred (before a chart exists)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    reason = models.TextField("Reason for referral", blank=True)
    requested_level = models.CharField(max_length=10, choices=LevelOfCare.choices, blank=True)
    # pipeline work
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    next_step = models.CharField(max_length=200, blank=True)
    next_step_due = models.DateField(null=True, blank=True)
    intake_at = models.DateTimeField("Intake appointment", null=True, blank=True)
    loss_reason = models.ForeignKey(LossReason, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    loss_note = models.CharField(max_length=300, blank=True)
    # timestamps for KPIs (time to admission etc.)
    received_at = models.DateTimeField()
    screening_at = models.DateTimeField(null=True, blank=True)
    intake_scheduled_at = models.DateTimeField(null=True, blank=True)
    assessed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="referrals")
    episode = models.ForeignKey("episodes.Episode", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["site", "status"], name="referral_site_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=[s.value for s in LOSS_STATUSES]) | Q(loss_reason__isnull=False),
                name="referral_loss_needs_reason",
                violation_error_message="Choose a reason when a referral is declined, not reached or referred elsewhere.",
            ),
        ]

    def __str__(self) -> str:
        return f"Referral {self.public_id}"

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ReferralEvent(models.Model):
    """Append-only history of pipeline moves."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status}->{self.to_status}"


class IntakeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    COMPLETED = "completed", "Completed"


class IntakeAssessment(BaseModel):
    site_path = "site"
    patient_path = "patient"
    objects = ScopedManager()

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="intakes")
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey(Referral, on_delete=models.SET_NULL, null=True, blank=True, related_name="intakes")
    episode = models.ForeignKey("episodes.Episode", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assessed_on = models.DateField()
    status = models.CharField(max_length=12, choices=IntakeStatus.choices, default=IntakeStatus.DRAFT)
    presenting_problem = models.TextField()
    psychiatric_history = models.TextField(blank=True)
    substance_use_history = models.TextField(blank=True)
    medications = models.TextField(blank=True)
    allergies = models.TextField(blank=True)
    strengths = models.TextField(blank=True)
    patient_goals = models.TextField("Goals in the patient's own words", blank=True)
    hrsn_answers = models.JSONField(default=dict, blank=True)
    hrsn_positive = models.JSONField(default=list, blank=True)
    hrsn_safety_score = models.PositiveSmallIntegerField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-assessed_on", "-id"]

    def __str__(self) -> str:
        return f"Intake {self.public_id}"

    @property
    def hrsn_labels(self) -> list[str]:
        from trellis.referrals.hrsn import DOMAIN_LABELS

        return [DOMAIN_LABELS.get(d, d) for d in self.hrsn_positive or []]


class RiskLevel(models.TextChoices):
    NONE = "none", "No risk identified"
    LOW = "low", "Low risk"
    MODERATE = "moderate", "Moderate risk"
    HIGH = "high", "High risk"


class SuicideRiskScreen(BaseModel):
    """C-SSRS screen version (see trellis.referrals.cssrs for wording, skip logic and triage)."""

    site_path = "site"
    patient_path = "patient"
    objects = ScopedManager()

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="risk_screens")
    intake = models.ForeignKey(IntakeAssessment, on_delete=models.SET_NULL, null=True, blank=True, related_name="risk_screens")
    episode = models.ForeignKey("episodes.Episode", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    administered_at = models.DateTimeField()
    administered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    instrument_version = models.CharField(max_length=80)
    q1 = models.BooleanField()
    q2 = models.BooleanField()
    q3 = models.BooleanField(null=True)
    q4 = models.BooleanField(null=True)
    q5 = models.BooleanField(null=True)
    q6 = models.BooleanField()
    q6_recent = models.BooleanField(null=True)
    risk = models.CharField(max_length=10, choices=RiskLevel.choices)
    requires_safety_plan = models.BooleanField(default=False)
    violence_risk_notes = models.TextField("Violence risk / notes", blank=True)

    class Meta:
        ordering = ["-administered_at"]

    def __str__(self) -> str:
        return f"C-SSRS {self.public_id}"

    @property
    def safety_plan_done(self) -> bool:
        return any(p.completed_at for p in self.safety_plans.all())


class SafetyPlan(BaseModel):
    """Stanley-Brown safety plan (sections listed in trellis.referrals.cssrs)."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="safety_plans")
    screen = models.ForeignKey(SuicideRiskScreen, on_delete=models.PROTECT, related_name="safety_plans")
    warning_signs = models.TextField(blank=True)
    coping_strategies = models.TextField(blank=True)
    social_contacts = models.TextField(blank=True)
    help_contacts = models.TextField(blank=True)
    professional_contacts = models.TextField(blank=True)
    means_safety = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    def __str__(self) -> str:
        return f"Safety plan {self.public_id}"


class ProgramAdmissionCriteria(BaseModel):
    """A program's admission criteria as data (trellis.referrals.criteria.CriteriaSet)."""

    program = models.OneToOneField("programs.Program", on_delete=models.CASCADE, related_name="admission_criteria")
    template = models.CharField(max_length=20, blank=True)
    data = models.JSONField()

    def __str__(self) -> str:
        return f"Criteria for program {self.program_id}"


class LevelOfCareDetermination(BaseModel):
    site_path = "program__site"
    patient_path = "patient"
    objects = ScopedManager()

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="loc_determinations")
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    intake = models.ForeignKey(IntakeAssessment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    episode = models.ForeignKey("episodes.Episode", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    criteria = models.JSONField()  # snapshot of the criteria set used
    findings = models.JSONField()  # dimension key -> finding key
    rationale = models.TextField()
    criteria_met = models.BooleanField()
    unmet = models.JSONField(default=list, blank=True)
    recommended_level = models.CharField(max_length=10, choices=LevelOfCare.choices)
    determined_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    determined_at = models.DateTimeField()
    override_reason = models.TextField(blank=True)
    overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    overridden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-determined_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(overridden_at__isnull=True) | ~Q(override_reason=""),
                name="loc_override_needs_reason",
                violation_error_message="An override needs a reason.",
            )
        ]

    def __str__(self) -> str:
        return f"LOC determination {self.public_id}"

    @property
    def admissible(self) -> bool:
        return self.criteria_met or self.overridden_at is not None
