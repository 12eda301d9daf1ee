"""Session series (recurring templates), sessions (occurrences and appointments), rosters, closures, feeds.

Times: ``starts_at``/``ends_at`` are aware UTC instants; ``local_date`` is the site-local date the session
starts on (the date every day/week total uses). Series times are site-local wall-clock times.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from trellis.core import formats
from trellis.core.access import ScopedManager
from trellis.core.models import BaseModel
from trellis.programs.models import Modality, ServiceType
from trellis.scheduling.recurrence import WEEKDAY_NAMES, describe_weekdays


class SessionSeries(BaseModel):
    """A recurring weekly template ("DBT skills, Mon/Wed/Fri 09:00–10:30, Room B, trauma track")."""

    site_path = "site"
    patient_path = "episode__patient"
    objects = ScopedManager()

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="session_series")
    program = models.ForeignKey(
        "programs.Program", null=True, blank=True, on_delete=models.PROTECT, related_name="session_series"
    )
    tracks = models.ManyToManyField("programs.Track", blank=True, related_name="session_series")
    # A recurring individual appointment (weekly therapy) names the episode instead of tracks.
    episode = models.ForeignKey(
        "episodes.Episode", null=True, blank=True, on_delete=models.PROTECT, related_name="session_series"
    )
    title = models.CharField(max_length=120)
    topic = models.CharField(max_length=200, blank=True)
    service_type = models.CharField(max_length=32, choices=ServiceType.choices)
    modality = models.CharField(max_length=16, choices=Modality.choices, default=Modality.IN_PERSON)
    # Python weekday numbers (Monday=0). JSON rather than an array type: must run on SQLite too.
    weekdays = models.JSONField(default=list)
    start_time = models.TimeField(help_text="Site-local wall-clock time.")
    end_time = models.TimeField(help_text="Site-local wall-clock time.")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    facilitator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    co_facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    room = models.ForeignKey("programs.Room", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    capacity = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: the room's capacity.")
    # Minutes inside the session that are not treatment (a meal or rest break): subtracted from counted hours
    # (42 CFR 410.43: meals and breaks are not part of the program's therapeutic services).
    break_minutes = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)
    generated_through = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["site", "start_time", "title"]
        verbose_name_plural = "session series"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")),
                name="series_ends_after_start",
                violation_error_message="The session must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="series_ends_on_after_starts_on",
                violation_error_message="The series must end on or after its first day.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def weekdays_label(self) -> str:
        return describe_weekdays(self.weekdays or [])

    @property
    def weekday_names(self) -> list[str]:
        return [WEEKDAY_NAMES[d] for d in sorted(self.weekdays or [])]

    @property
    def effective_capacity(self) -> int | None:
        if self.capacity is not None:
            return self.capacity
        return self.room.capacity if self.room_id else None


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"


class Session(BaseModel):
    """One occurrence of a series, or a one-off session / individual appointment."""

    site_path = "site"
    patient_path = "episode__patient"
    objects = ScopedManager()

    series = models.ForeignKey(
        SessionSeries, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions"
    )
    # The pattern date this occurrence was generated for; unchanged when the occurrence is moved, so
    # regenerating the series never recreates a moved occurrence (idempotent generation).
    occurrence_date = models.DateField(null=True, blank=True)
    # No single-column indexes on site and program: the (site, local_date) and (program, local_date) indexes below
    # lead with them and serve every lookup by site or program. A single-column one is what a planner without
    # statistics picks for "site (or program) = X AND date in the window" (equality looks selective), then walks
    # every session the site or program ever had (issue 9: worklists that do not collapse without statistics).
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="sessions", db_index=False)
    program = models.ForeignKey(
        "programs.Program", null=True, blank=True, on_delete=models.PROTECT, related_name="sessions", db_index=False
    )
    tracks = models.ManyToManyField("programs.Track", blank=True, related_name="sessions")
    episode = models.ForeignKey(
        "episodes.Episode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
        help_text="Set for individual appointments: the one patient seen.",
    )
    title = models.CharField(max_length=120)
    topic = models.CharField(max_length=200, blank=True)
    service_type = models.CharField(max_length=32, choices=ServiceType.choices)
    modality = models.CharField(max_length=16, choices=Modality.choices, default=Modality.IN_PERSON)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    local_date = models.DateField(help_text="Site-local date the session starts on.")
    facilitator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    co_facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    room = models.ForeignKey("programs.Room", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    capacity = models.PositiveSmallIntegerField(null=True, blank=True)
    break_minutes = models.PositiveSmallIntegerField(default=0, help_text="Break inside the session, not counted.")
    status = models.CharField(max_length=16, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED)
    cancel_reason = models.CharField(max_length=200, blank=True)
    closure = models.ForeignKey(
        "scheduling.OrganizationClosure", null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    # True once this occurrence was changed by itself (moved, re-staffed, cancelled): series edits leave it alone.
    detached = models.BooleanField(default=False)
    moved_from = models.DateTimeField(null=True, blank=True)
    substitute_reason = models.CharField(max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["starts_at", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="session_ends_after_start",
                violation_error_message="The session must end after it starts.",
            ),
            models.UniqueConstraint(
                fields=["series", "occurrence_date"],
                condition=Q(series__isnull=False),
                name="session_one_per_series_date",
                violation_error_message="This series already has an occurrence on that date.",
            ),
            models.CheckConstraint(
                condition=~Q(co_facilitator=F("facilitator")),
                name="session_cofacilitator_differs",
                violation_error_message="The co-facilitator must be someone other than the facilitator.",
            ),
        ]
        indexes = [
            models.Index(fields=["site", "local_date"], name="session_site_date"),
            models.Index(fields=["program", "local_date"], name="session_program_date"),
            models.Index(fields=["facilitator", "starts_at"], name="session_facilitator_time"),
            models.Index(fields=["room", "starts_at"], name="session_room_time"),
            models.Index(fields=["starts_at"], name="session_starts_at"),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.local_date:%Y-%m-%d}"

    @property
    def is_cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED

    @property
    def is_group(self) -> bool:
        return self.episode_id is None

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def effective_capacity(self) -> int | None:
        if self.capacity is not None:
            return self.capacity
        return self.room.capacity if self.room_id else None

    @property
    def local_start(self):
        return self.starts_at.astimezone(self.site.zone)

    @property
    def local_end(self):
        return self.ends_at.astimezone(self.site.zone)

    # Pre-formatted site-local strings in the product's one format (trellis.core.formats): Django templates
    # would convert aware datetimes to the request's zone, which may be another site's.
    @property
    def start_label(self) -> str:
        return formats.time(self.starts_at, self.site.zone)

    @property
    def end_label(self) -> str:
        return formats.time(self.ends_at, self.site.zone)

    @property
    def time_range(self) -> str:
        return formats.time_range(self.starts_at, self.ends_at, self.site.zone)

    @property
    def date_label(self) -> str:
        return formats.day(self.local_date)


class ServiceTypeHours(BaseModel):
    """Whether a service type counts toward weekly treatment hours (the ledger's counted minutes).

    Seeded from ``programs.models.COUNTS_TOWARD_HOURS_DEFAULT``; a type missing here uses that default.
    """

    service_type = models.CharField(max_length=32, choices=ServiceType.choices, unique=True)
    counts_toward_hours = models.BooleanField()
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["service_type"]
        verbose_name_plural = "service type hours"

    def __str__(self) -> str:
        return f"{self.get_service_type_display()}: {'counts' if self.counts_toward_hours else 'does not count'}"


class RosterChangeKind(models.TextChoices):
    ADD = "add", "Added to this session"
    EXCUSE = "excuse", "Excused from this session"


class RosterChange(BaseModel):
    """An exception to a session's derived roster: one patient added to, or excused from, one occurrence."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="roster_changes")
    episode = models.ForeignKey("episodes.Episode", on_delete=models.PROTECT, related_name="roster_changes")
    kind = models.CharField(max_length=8, choices=RosterChangeKind.choices)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "episode"],
                name="roster_change_unique",
                violation_error_message="This patient already has a roster change for this session.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.session_id})"


class OrganizationClosure(BaseModel):
    """A holiday or emergency closure: every session at the site(s) that day is cancelled with the reason."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="closures")
    site = models.ForeignKey(
        "accounts.Site",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="closures",
        help_text="Empty: every site of the organization.",
    )
    date = models.DateField()
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "site", "date"],
                name="closure_unique",
                violation_error_message="That closure is already on the calendar.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.reason}"


class FeedToken(BaseModel):
    """An iCalendar subscription token for one staff member. Only a SHA-256 of the secret is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=80, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # When a calendar last fetched the feed is read from the audit trail (selectors.feed_tokens_of).

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Feed for {self.user}"

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @property
    def active(self) -> bool:
        return self.revoked_at is None
