"""Documentation: note templates (versioned), notes, participant sections, signatures, addenda, private notes.

Record rules enforced here, at the lowest level (services and views check too, with friendlier messages):
- signed content is immutable: ``Note.save()`` refuses to change content once signed, ``ParticipantNote.save()``
  refuses when its note is signed, Signatures and Addenda are append-only, and nothing here can be deleted
  (clinical records are never hard-deleted; CMS Pub. 100-08 Ch. 3 §3.3.2.5: amend by addendum, never alter);
- ``Note.version`` is the optimistic-concurrency counter used by the draft save service.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from trellis.core.access import ScopedManager, ScopedQuerySet
from trellis.core.errors import DomainError
from trellis.core.models import BaseModel, SignedAddendum

from .note_schema import TemplateSchema, parse_template


class SignedRecordError(DomainError):
    """An attempt to change or delete signed clinical content."""


def _signed_error() -> SignedRecordError:
    return SignedRecordError("This note is signed and can no longer be changed. Add an addendum instead.")


class NoteKind(models.TextChoices):
    GROUP = "group", "Group note"
    INDIVIDUAL = "individual", "Individual note"


class NoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    AWAITING_COSIGN = "awaiting_cosign", "Awaiting co-signature"
    COMPLETE = "complete", "Signed"


class SignatureKind(models.TextChoices):
    SIGN = "sign", "Signed"
    COSIGN = "cosign", "Co-signed"
    ADDENDUM = "addendum", "Addendum signed"


class PrivateNoteKind(models.TextChoices):
    # HIPAA 45 CFR 164.501 "psychotherapy notes"; 42 CFR 2.11 "SUD counseling notes" (Part 2 programs).
    PSYCHOTHERAPY = "psychotherapy", "Psychotherapy notes (HIPAA)"
    SUD_COUNSELING = "sud_counseling", "SUD counseling notes (42 CFR Part 2)"


# ---------------------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------------------
class NoteTemplate(BaseModel):
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT,
                                     related_name="note_templates")
    key = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    service_type = models.CharField(max_length=40)  # programs.ServiceType value
    format = models.CharField(max_length=40, blank=True)
    is_default = models.BooleanField(default=False, help_text="Default template for its service type.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["service_type", "-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="doc_template_unique_key",
                                    violation_error_message="A template with this key already exists."),
            models.UniqueConstraint(fields=["organization", "service_type"], condition=Q(is_default=True),
                                    name="doc_template_one_default_per_service",
                                    violation_error_message="Only one default template per service type."),
        ]

    def __str__(self) -> str:
        return self.name


class NoteTemplateVersion(BaseModel):
    template = models.ForeignKey(NoteTemplate, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    schema = models.JSONField()

    class Meta:
        ordering = ["template", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["template", "version"], name="doc_template_version_unique",
                                    violation_error_message="This template version already exists."),
        ]

    def __str__(self) -> str:
        return f"{self.template.name} v{self.version}"

    @property
    def parsed(self) -> TemplateSchema:
        cached = getattr(self, "_parsed", None)
        if cached is None:
            cached = parse_template(self.schema)
            self._parsed = cached
        return cached

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A version, once written, is frozen: notes keep the version they were written on.
        if not self._state.adding:
            raise DomainError("Template versions cannot be changed; publish a new version instead.")
        parse_template(self.schema)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise DomainError("Template versions are never deleted.")


# ---------------------------------------------------------------------------------------------------------
# Notes
# ---------------------------------------------------------------------------------------------------------
PROTECTED_NOTE_FIELDS = ("session_id", "episode_id", "kind", "template_version_id", "author_id", "shared_content",
                         "signed_at", "signed_by_id", "content_hash", "is_late", "cosign_required")


class NoteQuerySet(ScopedQuerySet):
    def update(self, **kwargs: Any) -> int:
        touched = {f for f in kwargs if f in PROTECTED_NOTE_FIELDS or f"{f}_id" in PROTECTED_NOTE_FIELDS}
        if kwargs.get("status") == NoteStatus.DRAFT:
            touched.add("status")  # un-signing is a change of signed content too
        if touched and self.exclude(status=NoteStatus.DRAFT).exists():
            raise _signed_error()
        return super().update(**kwargs)

    def delete(self) -> Any:
        raise DomainError("Notes are clinical records and are never deleted.")


class Note(BaseModel):
    """One note for a session occurrence: a group note (episode empty; one ParticipantNote per attendee) or an
    individual note for one patient (episode set; exactly one ParticipantNote)."""

    site_path = "session__site"
    patient_path = "episode__patient"

    session = models.ForeignKey("scheduling.Session", on_delete=models.PROTECT, related_name="notes")
    episode = models.ForeignKey("episodes.Episode", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="individual_notes")
    kind = models.CharField(max_length=16, choices=NoteKind.choices)
    template_version = models.ForeignKey(NoteTemplateVersion, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authored_notes")
    status = models.CharField(max_length=20, choices=NoteStatus.choices, default=NoteStatus.DRAFT)
    shared_content = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)
    last_saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                      blank=True, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    content_hash = models.CharField(max_length=80, blank=True)
    is_late = models.BooleanField(default=False)
    deadline_at = models.DateTimeField(null=True, blank=True)
    cosign_required = models.BooleanField(default=False)
    cosigner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="notes_to_cosign",
                                 help_text="The supervisor asked to co-sign (author's StaffProfile.supervisor).")
    cosigned_at = models.DateTimeField(null=True, blank=True)

    objects = NoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["session"], condition=Q(episode__isnull=True),
                                    name="doc_one_group_note_per_session",
                                    violation_error_message="This session already has a group note."),
            models.UniqueConstraint(fields=["session", "episode"], condition=Q(episode__isnull=False),
                                    name="doc_one_note_per_session_episode",
                                    violation_error_message="This patient already has a note for this session."),
            models.CheckConstraint(
                condition=Q(status=NoteStatus.DRAFT) | (Q(signed_at__isnull=False) & ~Q(content_hash="")),
                name="doc_signed_note_has_signature",
                violation_error_message="A signed note needs a signature time and content hash."),
            models.CheckConstraint(
                condition=Q(kind=NoteKind.GROUP, episode__isnull=True)
                | Q(kind=NoteKind.INDIVIDUAL, episode__isnull=False),
                name="doc_note_kind_matches_episode",
                violation_error_message="Group notes have no episode; individual notes have one."),
        ]
        indexes = [models.Index(fields=["status", "signed_at"], name="doc_note_status_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"

    @property
    def is_draft(self) -> bool:
        return self.status == NoteStatus.DRAFT

    @property
    def is_signed(self) -> bool:
        return self.status != NoteStatus.DRAFT

    def save(self, *args: Any, **kwargs: Any) -> None:
        # services.return_note alone turns a note awaiting co-signature back into a draft (the supervisor returns
        # it to its author); its signature stays on record, marked returned by a NoteReturn.
        returning = getattr(self, "_returning_to_author", False)
        if not self._state.adding and self.pk and not returning:
            row = type(self).objects.filter(pk=self.pk).values("status", *PROTECTED_NOTE_FIELDS).first()
            if row and row["status"] != NoteStatus.DRAFT:
                changed = [f for f in PROTECTED_NOTE_FIELDS if row[f] != getattr(self, f)]
                allowed_status = {NoteStatus.AWAITING_COSIGN, NoteStatus.COMPLETE}
                if changed or self.status not in allowed_status or (
                        row["status"] == NoteStatus.COMPLETE and self.status != NoteStatus.COMPLETE):
                    raise _signed_error()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise DomainError("Notes are clinical records and are never deleted.")


class NoteReturn(BaseModel):
    """A supervisor sent a note awaiting co-signature back to its author with comments instead of co-signing: the
    note is a draft again; the author's earlier signature (`signature`) stays on record as returned."""

    site_path = "note__session__site"
    patient_path = "note__episode__patient"

    note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="returns")
    signature = models.ForeignKey("Signature", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    returned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    returned_at = models.DateTimeField()
    comments = models.TextField()

    objects = ScopedManager()

    class Meta:
        ordering = ["returned_at", "pk"]

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise DomainError("A returned note's history is never deleted.")


class ParticipantNoteQuerySet(ScopedQuerySet):
    def update(self, **kwargs: Any) -> int:
        if self.exclude(note__status=NoteStatus.DRAFT).exists():
            raise _signed_error()
        return super().update(**kwargs)

    def delete(self) -> Any:
        raise DomainError("Participant notes are clinical records and are never deleted.")


class ParticipantNote(BaseModel):
    """One patient's individualized section of a note (the only part that appears in that patient's chart,
    together with the note's shared section)."""

    site_path = "note__session__site"
    patient_path = "episode__patient"

    note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="participants")
    episode = models.ForeignKey("episodes.Episode", on_delete=models.PROTECT, related_name="participant_notes")
    attendance = models.ForeignKey("attendance.Attendance", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="participant_notes")
    content = models.JSONField(default=dict, blank=True)

    objects = ParticipantNoteQuerySet.as_manager()

    class Meta:
        ordering = ["note", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["note", "episode"], name="doc_one_section_per_patient",
                                    violation_error_message="This patient already has a section in this note."),
        ]

    def __str__(self) -> str:
        return "Participant section"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if Note.objects.filter(pk=self.note_id).exclude(status=NoteStatus.DRAFT).exists():
            raise _signed_error()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise DomainError("Participant notes are clinical records and are never deleted.")


class Addendum(SignedAddendum, BaseModel):
    """Text added to a signed note; the original is never edited. ``episode`` set: about that patient only
    (shown only in that patient's chart); empty: about the whole note (shown with the shared section)."""

    site_path = "note__session__site"
    patient_path = "episode__patient"
    objects = ScopedManager()

    note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="addenda")
    episode = models.ForeignKey("episodes.Episode", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()

    class Meta:
        ordering = ["note", "created_at", "id"]

    def __str__(self) -> str:
        return "Addendum"


class Signature(BaseModel):
    """Signer, credentials at the time of signing, time, and the hash of exactly what was signed."""

    note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="signatures")
    addendum = models.OneToOneField(Addendum, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="signature")
    kind = models.CharField(max_length=16, choices=SignatureKind.choices)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(max_length=200)
    credentials = models.CharField(max_length=100, blank=True)
    signed_at = models.DateTimeField()
    content_hash = models.CharField(max_length=80)
    is_late = models.BooleanField(default=False)
    # Set (once) when the supervisor returned the note to its author instead of co-signing: the signature stays
    # on record but no longer attests the note, which the author signs again.
    returned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["note", "signed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["note", "kind"],
                                    condition=Q(kind__in=["sign", "cosign"], returned_at__isnull=True),
                                    name="doc_one_sign_and_cosign_per_note",
                                    violation_error_message="This note already has this signature."),
            models.CheckConstraint(
                condition=Q(kind="addendum", addendum__isnull=False) | (~Q(kind="addendum")
                                                                        & Q(addendum__isnull=True)),
                name="doc_signature_addendum_kind",
                violation_error_message="Addendum signatures, and only they, point to an addendum."),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.signer_name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise DomainError("Signatures cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise DomainError("Signatures are never deleted.")


class PrivateNote(BaseModel):
    """Author-only process notes kept apart from the record (45 CFR 164.501 psychotherapy notes; 42 CFR 2.11 SUD
    counseling notes). Never shown in the chart, search, prints, exports or disclosures: only the author can
    list or open them (selectors filter by author; no other selector in Trellis joins this table)."""

    site_path = "episode__program__site"
    patient_path = "episode__patient"
    objects = ScopedManager()

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey("episodes.Episode", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey("scheduling.Session", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    kind = models.CharField(max_length=20, choices=PrivateNoteKind.choices, default=PrivateNoteKind.PSYCHOTHERAPY)
    text = models.TextField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return "Private note"

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise DomainError("Private notes are not deleted from Trellis.")


class RiskNotice(models.Model):
    """The primary clinician is told when a signed note rates a patient's suicide risk high (C-SSRS triage;
    TJC NPSG.15.01.01), as the C-SSRS screen does. The notice stays open - on Today, the notes worklist and the
    chart - until the clinician acknowledges it with the action taken (who, when, what: the shape of outcomes'
    critical-answer alerts, trellis.core.acknowledgement)."""

    note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="risk_notices")
    episode = models.ForeignKey("episodes.Episode", on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+")
    action_taken = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "acknowledged_at"], name="doc_risknotice_open_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True)
                | (Q(acknowledged_by__isnull=False) & ~Q(action_taken="")),
                name="doc_risknotice_ack_complete",
                violation_error_message="An acknowledgement needs who, when and the action taken.",
            ),
        ]

    def __str__(self) -> str:
        return f"Risk notice {self.pk}"
