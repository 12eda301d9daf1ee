"""Telehealth: branded waiting rooms, one join link per rostered patient per session, presence events.

Video media never passes through Trellis: browsers connect to each other (WebRTC mesh) or to the
organization's own LiveKit server. Trellis keeps only who was where, when (server timestamps).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q

from trellis.accounts.models import validate_hex_color
from trellis.core.access import ScopedManager
from trellis.core.models import BaseModel
from trellis.core.validators import validate_phone


class VideoProvider(models.TextChoices):
    MESH = "mesh", "Browser-to-browser (up to about 6 people)"
    LIVEKIT = "livekit", "LiveKit server run by the organization"


class VideoSettings(BaseModel):
    """Per-organization choice of video provider. Secrets (LiveKit API key/secret) stay in the environment."""

    organization = models.OneToOneField("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=12, choices=VideoProvider.choices, default=VideoProvider.MESH)
    livekit_url = models.CharField(
        "LiveKit server URL", max_length=200, blank=True, help_text="wss://… of the organization's LiveKit server."
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(provider="livekit") | ~Q(livekit_url=""),
                name="videosettings_livekit_needs_url",
                violation_error_message="Give the LiveKit server URL to use LiveKit.",
            )
        ]

    def __str__(self) -> str:
        return self.get_provider_display()


class WaitingRoom(BaseModel):
    """A site's (optionally one program's) patient-facing waiting room branding."""

    site_path = "site"
    patient_path = None
    objects = ScopedManager()

    site = models.ForeignKey("accounts.Site", on_delete=models.CASCADE, related_name="waiting_rooms")
    program = models.ForeignKey(
        "programs.Program", null=True, blank=True, on_delete=models.CASCADE, related_name="waiting_rooms"
    )
    title = models.CharField(max_length=120, help_text="Shown at the top, e.g. the clinic's name.")
    logo = models.ImageField(upload_to="branding/waiting_rooms/", blank=True)
    accent_color = models.CharField(max_length=7, default="#1f6f5c", validators=[validate_hex_color])
    background_color = models.CharField(max_length=7, default="#f4f7f6", validators=[validate_hex_color])
    welcome_text = models.TextField(blank=True)
    what_to_expect = models.TextField(blank=True)
    support_phone = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    lead_minutes = models.PositiveSmallIntegerField(
        default=15, help_text="How many minutes before the session a join link starts to work."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site"], condition=Q(program__isnull=True), name="waitingroom_one_per_site",
                violation_error_message="This site already has a waiting room.",
            ),
            models.UniqueConstraint(
                fields=["site", "program"], name="waitingroom_one_per_program",
                violation_error_message="This program already has a waiting room.",
            ),
            models.CheckConstraint(
                condition=Q(lead_minutes__lte=120), name="waitingroom_lead_at_most_two_hours",
                violation_error_message="Links can open at most 120 minutes before a session.",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class LobbyState(models.TextChoices):
    NOT_ARRIVED = "not_arrived", "Not arrived"
    WAITING = "waiting", "Waiting"
    ADMITTED = "admitted", "In session"
    BREAKOUT = "breakout", "In a private room"
    NOT_SEEN = "not_seen", "Will not be seen"
    REMOVED = "removed", "Removed by facilitator"


IN_SESSION_STATES = frozenset({LobbyState.ADMITTED, LobbyState.BREAKOUT})


class JoinLink(BaseModel):
    """One patient's opaque link to one session. Only the SHA-256 of the token is stored."""

    site_path = "session__site"
    patient_path = "episode__patient"
    objects = ScopedManager()

    session = models.ForeignKey("scheduling.Session", on_delete=models.CASCADE, related_name="join_links")
    episode = models.ForeignKey("episodes.Episode", on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_to = models.CharField(max_length=20, blank=True, help_text="Channel only (email/console), never the address.")
    failed_checks = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)
    device_check = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=12, choices=LobbyState.choices, default=LobbyState.NOT_ARRIVED)
    state_reason = models.CharField(max_length=200, blank=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)
    connected = models.BooleanField(default=False)
    current_device = models.CharField(max_length=32, blank=True)
    had_video = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "episode"], condition=Q(revoked_at__isnull=True),
                name="joinlink_one_live_per_patient_session",
                violation_error_message="This patient already has a live link for this session.",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__lt=models.F("valid_until")), name="joinlink_window_ordered",
                violation_error_message="A link must open before it closes.",
            ),
        ]
        indexes = [models.Index(fields=["session", "state"], name="joinlink_session_state")]

    def __str__(self) -> str:
        return f"Join link {self.public_id}"

    @staticmethod
    def hash_token(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class PresenceKind(models.TextChoices):
    JOIN = "join", "Joined"
    RECONNECT = "reconnect", "Reconnected"
    LEAVE = "leave", "Left"
    SUPERSEDED = "superseded", "Replaced by another device"
    ADMIT = "admit", "Admitted"
    BREAKOUT = "breakout", "Moved to a private room"
    RETURN = "return", "Returned to the waiting room"
    NOT_SEEN = "not_seen", "Will not be seen"
    REMOVE = "remove", "Removed"
    VIDEO = "video", "Video track on"


class PresenceEvent(models.Model):
    """Append-only: one participant's join/leave/reconnect/lobby change at a server timestamp."""

    session = models.ForeignKey("scheduling.Session", on_delete=models.CASCADE, related_name="+")
    link = models.ForeignKey(JoinLink, null=True, blank=True, on_delete=models.CASCADE, related_name="presence")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=PresenceKind.choices)
    occurred_at = models.DateTimeField()
    device = models.CharField(max_length=32, blank=True)

    site_path = "session__site"
    patient_path = "link__episode__patient"
    objects = ScopedManager()

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(link__isnull=False) | Q(user__isnull=False), name="presence_has_participant",
                violation_error_message="A presence event belongs to a patient link or a staff member.",
            )
        ]
        indexes = [models.Index(fields=["session", "occurred_at"], name="presence_session_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%H:%M:%S}"


class SessionRoom(BaseModel):
    """Live state of one session's video room: running-late notice, when the facilitator ended it."""

    site_path = "session__site"
    patient_path = None
    objects = ScopedManager()

    session = models.OneToOneField("scheduling.Session", on_delete=models.CASCADE, related_name="telehealth_room")
    late_minutes = models.PositiveSmallIntegerField(default=0)
    late_posted_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(late_minutes__lte=120), name="sessionroom_late_at_most_two_hours",
                violation_error_message="A delay notice can be at most 120 minutes.",
            )
        ]

    def __str__(self) -> str:
        return f"Room for session {self.session_id}"
