"""Attendance: one patient (episode) at one session — status, minutes, modality — with corrections and a lock.

Billing "claims" a day by locking its attendance rows (``locked_at``/``locked_by``); a locked row can only
change after a biller unlocks it with a reason (AttendanceCorrection of kind "unlock").
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from trellis.attendance.minutes import STATUS_LABELS
from trellis.attendance.minutes import Status as _Status
from trellis.core.access import ScopedManager
from trellis.core.models import BaseModel
from trellis.programs.models import AttendedModality


class AttendanceStatus(models.TextChoices):
    PRESENT = _Status.PRESENT.value, STATUS_LABELS[_Status.PRESENT]
    LATE = _Status.LATE.value, STATUS_LABELS[_Status.LATE]
    LEFT_EARLY = _Status.LEFT_EARLY.value, STATUS_LABELS[_Status.LEFT_EARLY]
    ABSENT_EXCUSED = _Status.ABSENT_EXCUSED.value, STATUS_LABELS[_Status.ABSENT_EXCUSED]
    ABSENT_UNEXCUSED = _Status.ABSENT_UNEXCUSED.value, STATUS_LABELS[_Status.ABSENT_UNEXCUSED]
    CANCELLED_BY_PROGRAM = _Status.CANCELLED_BY_PROGRAM.value, STATUS_LABELS[_Status.CANCELLED_BY_PROGRAM]


class Attendance(BaseModel):
    site_path = "session__site"
    patient_path = "episode__patient"
    objects = ScopedManager()

    session = models.ForeignKey("scheduling.Session", on_delete=models.PROTECT, related_name="attendance")
    episode = models.ForeignKey("episodes.Episode", on_delete=models.PROTECT, related_name="attendance")
    status = models.CharField(max_length=24, choices=AttendanceStatus.choices)
    arrived_at = models.DateTimeField(null=True, blank=True)
    departed_at = models.DateTimeField(null=True, blank=True)
    minutes = models.PositiveIntegerField(default=0)
    # The session's length when marked: the cap, and the ledger's "scheduled minutes".
    scheduled_minutes = models.PositiveIntegerField(default=0)
    modality = models.CharField(max_length=16, choices=AttendedModality.choices, blank=True)
    absence_reason = models.CharField(max_length=200, blank=True)
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    marked_at = models.DateTimeField()
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lock_reference = models.CharField(max_length=64, blank=True, help_text="e.g. the claim that used this day.")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        # No default ordering: an ORDER BY on the session would join it into every query (and row lock).
        constraints = [
            models.UniqueConstraint(
                fields=["session", "episode"],
                name="attendance_one_per_session_episode",
                violation_error_message="Attendance for this patient at this session is already recorded.",
            ),
            models.CheckConstraint(
                condition=Q(minutes__lte=F("scheduled_minutes")),
                name="attendance_minutes_within_session",
                violation_error_message="Minutes attended cannot exceed the session's length.",
            ),
            models.CheckConstraint(
                condition=Q(arrived_at__isnull=True) | Q(departed_at__isnull=True) | Q(arrived_at__lt=F("departed_at")),
                name="attendance_arrival_before_departure",
                violation_error_message="Arrival must be before departure.",
            ),
        ]
        indexes = [models.Index(fields=["episode", "session"], name="attendance_episode_session")]

    def __str__(self) -> str:
        return f"{self.get_status_display()} — {self.minutes} min"

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class CorrectionKind(models.TextChoices):
    CORRECTION = "correction", "Correction"
    LOCK = "lock", "Locked for billing"
    UNLOCK = "unlock", "Unlocked by billing"


class AttendanceCorrection(models.Model):
    """Append-only history of changes to an attendance record after it was first marked."""

    attendance = models.ForeignKey(Attendance, on_delete=models.PROTECT, related_name="corrections")
    kind = models.CharField(max_length=12, choices=CorrectionKind.choices, default=CorrectionKind.CORRECTION)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField()
    reason = models.CharField(max_length=300, blank=True)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.changed_at:%Y-%m-%d %H:%M}"
