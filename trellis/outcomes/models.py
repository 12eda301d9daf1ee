"""Outcome measurement: schedules per program, administrations (one sitting), self-completion links, critical
alerts, and organization-supplied licensed instrument definitions. Scoring itself is pure (scoring.py)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from trellis.core.access import ScopedManager
from trellis.core.models import BaseModel


class InstrumentDefinition(BaseModel):
    """An organization's own (licensed) instrument in the shipped JSON format, validated on upload."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=40)
    version = models.CharField(max_length=20)
    name = models.CharField(max_length=200)
    definition = models.JSONField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["key", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "key", "version"], name="instrument_definition_unique_version",
                violation_error_message="This organization already has that instrument version.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class AdministrationSchedule(BaseModel):
    """Which instrument a program (optionally one track) administers: at admission, every N days, at discharge."""

    site_path = "program__site"
    patient_path = None
    objects = ScopedManager()

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="outcome_schedules")
    track = models.ForeignKey("programs.Track", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    instrument_key = models.CharField(max_length=40)
    at_admission = models.BooleanField(default=True)
    every_n_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="7 = weekly, 14 = every two weeks; empty for admission/discharge only.",
    )
    at_discharge = models.BooleanField(default=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["program__name", "instrument_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "track", "instrument_key"], condition=models.Q(track__isnull=False),
                name="schedule_unique_instrument_track",
                violation_error_message="This program already schedules that instrument for that track.",
            ),
            models.UniqueConstraint(
                fields=["program", "instrument_key"], condition=models.Q(track__isnull=True),
                name="schedule_unique_instrument_program",
                violation_error_message="This program already schedules that instrument for all tracks.",
            ),
            models.CheckConstraint(
                condition=models.Q(at_admission=True) | models.Q(at_discharge=True)
                | models.Q(every_n_days__isnull=False),
                name="schedule_has_an_occasion",
                violation_error_message="Choose at least one occasion: admission, every N days or discharge.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_key} for {self.program}"


class AdministrationStatus(models.TextChoices):
    DRAFT = "draft", "In progress"
    COMPLETE = "complete", "Complete"
    CANCELLED = "cancelled", "Cancelled"


class AdministrationMode(models.TextChoices):
    SELF_LINK = "self_link", "Patient, by link"
    KIOSK = "kiosk", "Patient, clinic tablet"
    PAPER = "paper", "Clinician, from paper"
    INTERVIEW = "interview", "Clinician interview"


class Administration(BaseModel):
    """One sitting of one instrument by one patient in one episode. Answers are item key -> option value."""

    site_path = "episode__program__site"
    patient_path = "episode__patient"
    objects = ScopedManager()

    episode = models.ForeignKey("episodes.Episode", on_delete=models.PROTECT, related_name="administrations")
    instrument_key = models.CharField(max_length=40)
    instrument_version = models.CharField(max_length=20)
    window_key = models.CharField(max_length=20, blank=True, help_text="Empty for an unscheduled administration.")
    window_due = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=AdministrationStatus.choices, default=AdministrationStatus.DRAFT)
    mode = models.CharField(max_length=10, choices=AdministrationMode.choices)
    answers = models.JSONField(default=dict, blank=True)
    scores = models.JSONField(default=dict, blank=True)
    # Denormalized primary score and band for trend charts and reports (the full result is in `scores`).
    primary_score = models.IntegerField(null=True, blank=True)
    primary_band = models.CharField(max_length=60, blank=True)
    primary_severity = models.PositiveSmallIntegerField(null=True, blank=True)
    has_critical = models.BooleanField(default=False)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True, help_text="Site-local day of completion.")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "instrument_key", "window_key"],
                condition=~models.Q(window_key="") & ~models.Q(status="cancelled"),
                name="administration_one_per_window",
                violation_error_message="This instrument was already given in this window.",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="complete") | models.Q(completed_at__isnull=False),
                name="administration_complete_has_time",
                violation_error_message="A complete administration needs its completion time.",
            ),
        ]
        indexes = [
            models.Index(fields=["episode", "instrument_key", "status"], name="admin_episode_instrument"),
            models.Index(fields=["status", "completed_on"], name="admin_status_completed"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_key} {self.window_key or 'ad hoc'} ({self.get_status_display()})"


class LinkChannel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "Text message"
    KIOSK = "kiosk", "Clinic tablet"


class SelfCompletionLink(BaseModel):
    """A one-time, expiring way in for the patient. Only the SHA-256 of the token is stored."""

    site_path = "administration__episode__program__site"
    patient_path = "administration__episode__patient"
    objects = ScopedManager()

    administration = models.ForeignKey(Administration, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=10, choices=LinkChannel.choices)
    expires_at = models.DateTimeField()
    first_opened_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Link {self.public_id} ({self.channel})"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Awaiting acknowledgement"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"


class CriticalAlert(BaseModel):
    """An urgent task raised by a critical answer; it stays open until a clinician acknowledges it."""

    site_path = "episode__program__site"
    patient_path = "episode__patient"
    objects = ScopedManager()

    administration = models.ForeignKey(Administration, on_delete=models.PROTECT, related_name="alerts")
    episode = models.ForeignKey("episodes.Episode", on_delete=models.PROTECT, related_name="+")
    item_key = models.CharField(max_length=40)
    message = models.CharField(max_length=400)
    status = models.CharField(max_length=14, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    raised_at = models.DateTimeField()
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action_taken = models.TextField(blank=True)

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["administration"], name="alert_one_per_administration",
                violation_error_message="This administration already raised an alert.",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="acknowledged")
                | (models.Q(acknowledged_at__isnull=False) & models.Q(acknowledged_by__isnull=False)
                   & ~models.Q(action_taken="")),
                name="alert_acknowledgement_complete",
                violation_error_message="An acknowledgement needs who, when and the action taken.",
            ),
        ]
        indexes = [models.Index(fields=["status", "raised_at"], name="alert_status_raised")]

    def __str__(self) -> str:
        return f"Alert {self.public_id} ({self.get_status_display()})"


class RecipientReason(models.TextChoices):
    PRIMARY = "primary", "Primary clinician"
    ON_CALL = "on_call", "Site on-call"
    ESCALATION = "escalation", "Escalation"


class AlertRecipient(models.Model):
    alert = models.ForeignKey(CriticalAlert, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=12, choices=RecipientReason.choices)
    notified_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "user"], name="alert_recipient_unique",
                                    violation_error_message="Already a recipient.")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} for alert {self.alert_id}"
