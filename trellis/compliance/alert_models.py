"""Compliance alerts and who they are routed to (imported by trellis.compliance.models).

An alert is created when its cause is computed (attendance saved, the nightly/regular sweep), never when a page
is viewed. Each alert carries a deterministic ``key`` so that the same cause raises it once: an hours alert is
one per patient and ISO week (a named unique constraint says so), an authorization alert one per authorization
and threshold, a concurrent-review alert one per review.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from trellis.core.access import ScopedManager
from trellis.core.models import BaseModel


class AlertKind(models.TextChoices):
    HOURS_AT_RISK = "hours_at_risk", "Weekly hours at risk"
    HOURS_CANNOT_MEET = "hours_cannot_meet", "Weekly hours cannot be met"
    AUTH_EXPIRING = "auth_expiring", "Authorization expiring"
    AUTH_LOW_UNITS = "auth_low_units", "Authorization nearly used up"
    REVIEW_DUE = "review_due", "Concurrent review due"
    UNAUTHORIZED_DAYS = "unauthorized_days", "Days worked without an authorization"


HOURS_KINDS = (AlertKind.HOURS_AT_RISK, AlertKind.HOURS_CANNOT_MEET)


class AlertState(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved (the week was met)"


class ComplianceAlert(BaseModel):
    site_path = "episode__program__site"
    patient_path = "patient"
    objects = ScopedManager()

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey("episodes.Episode", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    # The ISO week's Monday (site-local) for hours and unauthorized-days alerts; empty for the others.
    week = models.DateField(null=True, blank=True)
    key = models.CharField(max_length=120, help_text="What the alert is about, so the same cause raises it once.")
    state = models.CharField(max_length=14, choices=AlertState.choices, default=AlertState.OPEN)
    # Shown in the app only (never in an e-mail): hours and dates, no names or diagnoses.
    message = models.CharField(max_length=400)
    detail = models.JSONField(default=dict, blank=True)
    raised_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action_taken = models.CharField(max_length=400, blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "week"], condition=Q(kind__in=["hours_at_risk", "hours_cannot_meet"]),
                name="compliance_one_hours_alert_per_patient_week",
                violation_error_message="This patient already has an hours alert for this week.",
            ),
            models.UniqueConstraint(
                fields=["patient", "key"], name="compliance_alert_unique_cause",
                violation_error_message="This alert was already raised.",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["hours_at_risk", "hours_cannot_meet", "unauthorized_days"])
                | Q(week__isnull=False),
                name="compliance_week_alert_has_week",
                violation_error_message="An hours alert names its week.",
            ),
            models.CheckConstraint(
                condition=~Q(state="acknowledged")
                | (Q(acknowledged_at__isnull=False) & Q(acknowledged_by__isnull=False)),
                name="compliance_alert_ack_complete",
                violation_error_message="An acknowledgement needs who and when.",
            ),
        ]
        indexes = [models.Index(fields=["state", "kind"], name="compliance_alert_state_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.public_id}"


class RouteReason(models.TextChoices):
    CASE_MANAGER = "case_manager", "Case manager"
    PRIMARY_CLINICIAN = "primary", "Primary clinician"


class ComplianceAlertRecipient(models.Model):
    alert = models.ForeignKey(ComplianceAlert, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=14, choices=RouteReason.choices)
    notified_at = models.DateTimeField()
    emailed = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "user"], name="compliance_alert_recipient_unique",
                                    violation_error_message="Already a recipient."),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} for compliance alert {self.alert_id}"
