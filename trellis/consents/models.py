"""Consents, releases of information (HIPAA and 42 CFR Part 2), revocations, and the
accounting of disclosures. Rules and citations: trellis.consents.part2."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from trellis.consents.scope import ConsentScope
from trellis.core.access import ScopedManager
from trellis.core.models import BaseModel


class ConsentKind(models.TextChoices):
    TREATMENT = "treatment", "Consent to treatment"
    TELEHEALTH = "telehealth", "Telehealth consent"
    FINANCIAL = "financial", "Financial responsibility"
    RELEASE = "release", "Release of information (HIPAA authorization)"
    PART2 = "part2", "42 CFR Part 2 consent to disclose"
    PART2_NOTICE = "part2_notice", "Part 2 confidentiality notice received (42 CFR 2.22)"

    @classmethod
    def is_release(cls, kind: str) -> bool:
        return kind in (cls.RELEASE, cls.PART2)


class ConsentStatus(models.TextChoices):
    DRAFT = "draft", "Draft (not signed)"
    ACTIVE = "active", "Active"
    REVOKED = "revoked", "Revoked"


class ConsentText(BaseModel):
    """A versioned consent text. The exact text a patient signed is kept on the consent
    (and its SHA-256) so later edits of the template never change what was signed."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=ConsentKind.choices)
    version = models.CharField(max_length=20)
    title = models.CharField(max_length=200)
    body = models.TextField()
    sha256 = models.CharField(max_length=64)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "version"],
                name="consent_text_unique_version",
                violation_error_message="This consent text version already exists.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class Consent(BaseModel):
    site_path = "site"
    patient_path = "patient"
    objects = ScopedManager()

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="consents")
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=ConsentKind.choices)
    status = models.CharField(max_length=10, choices=ConsentStatus.choices, default=ConsentStatus.DRAFT)
    text = models.ForeignKey(ConsentText, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # releases (HIPAA 45 CFR 164.508(c) / Part 2 42 CFR 2.31(a))
    discloser = models.CharField("Who may disclose", max_length=300, blank=True)
    recipient_name = models.CharField("Recipient", max_length=300, blank=True)
    recipient_source = models.ForeignKey(
        "referrals.ReferralSource", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recipient_address = models.CharField(max_length=300, blank=True)
    information = models.TextField("Information that may be disclosed", blank=True)
    purpose = models.CharField(max_length=300, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    expiration_event = models.CharField(max_length=200, blank=True)
    expiration_event_on = models.DateField("Expiry event occurred on", null=True, blank=True)
    revocation_statement = models.TextField(blank=True)
    redisclosure_statement = models.TextField(blank=True)
    conditioning_statement = models.TextField(blank=True)
    # What the consent allows (trellis.consents.scope): categories of information, the consent type, the recipient
    # classes of a TPO consent, the irrevocable period of a 2.35 consent and the 2.14 basis for a minor.
    categories = models.JSONField(default=list, blank=True)
    scope = models.CharField(max_length=10, default="specific", choices=ConsentScope.choices)
    recipient_classes = models.JSONField(default=list, blank=True)
    irrevocable_until = models.DateField(null=True, blank=True)
    minor_basis = models.CharField(max_length=20, blank=True)
    # electronic signature (typed name, optional drawing, time, IP, exact text signed)
    signer_name = models.CharField(max_length=200, blank=True)
    signer_relationship = models.CharField(max_length=60, blank=True, default="self")
    signature_drawing = models.TextField(blank=True)  # optional SVG path data / data URL
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_on = models.DateField(null=True, blank=True)
    signed_ip = models.GenericIPAddressField(null=True, blank=True)
    signed_text = models.TextField(blank=True)
    signed_text_sha256 = models.CharField(max_length=64, blank=True)
    collected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    # revocation (stops future disclosures; past ones stay valid - 42 CFR 2.31(a)(6))
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_on = models.DateField(null=True, blank=True)
    revocation_note = models.CharField(max_length=300, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["patient", "kind", "status"], name="consent_patient_kind_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="active") | (Q(signed_at__isnull=False) & ~Q(signer_name="")),
                name="consent_active_needs_signature",
                violation_error_message="A consent becomes active only when it is signed.",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["release", "part2"]) | ~Q(status="active") | ~Q(recipient_name=""),
                name="consent_release_needs_recipient",
                violation_error_message="A release needs a recipient.",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["release", "part2"])
                | ~Q(status="active")
                | Q(expires_on__isnull=False)
                | ~Q(expiration_event=""),
                name="consent_release_needs_expiry",
                violation_error_message="A release needs an expiry date or event.",
            ),
            models.CheckConstraint(
                condition=~Q(status="revoked") | Q(revoked_at__isnull=False),
                name="consent_revoked_needs_time",
                violation_error_message="A revoked consent needs the revocation time.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.public_id}"

    @property
    def is_part2(self) -> bool:
        return self.kind == ConsentKind.PART2

    def in_force_on(self, day: dt.date) -> bool:
        from trellis.consents.part2 import is_in_force

        if self.status == ConsentStatus.DRAFT:
            return False
        return is_in_force(
            on=day, signed_on=self.signed_on, expires_on=self.expires_on, revoked_on=self.revoked_on,
            expiration_event_occurred=self.expiration_event_on is not None and day >= self.expiration_event_on,
        )


class ConsentRequirement(models.Model):
    """Consents a program requires before admission (defaults apply when none are set)."""

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=ConsentKind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "kind"],
                name="consent_requirement_unique",
                violation_error_message="This consent is already required.",
            )
        ]

    def __str__(self) -> str:
        return self.kind


class DisclosureMethod(models.TextChoices):
    PRINT = "print", "Printed"
    EXPORT = "export", "Exported file"
    LETTER = "letter", "Letter"
    FAX = "fax", "Fax"
    EMAIL = "email", "Secure e-mail"
    VERBAL = "verbal", "Verbal"


class Disclosure(BaseModel):
    """One disclosure of patient information to an outside party: the accounting of
    disclosures (42 CFR 2.25 as amended 2024; 45 CFR 164.528). Append-only."""

    site_path = "site"
    patient_path = "patient"
    objects = ScopedManager()

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="disclosures")
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    # Empty only for a medical-emergency disclosure without consent (42 CFR 2.51).
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="disclosures")
    episode = models.ForeignKey("episodes.Episode", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    disclosed_at = models.DateTimeField()
    disclosed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recipient_name = models.CharField(max_length=300)
    recipient_address = models.CharField(max_length=300, blank=True)
    purpose = models.CharField(max_length=300)
    information = models.TextField("Information disclosed")
    method = models.CharField(max_length=10, choices=DisclosureMethod.choices)
    document_title = models.CharField(max_length=200)
    is_part2 = models.BooleanField(default=False)
    notice_text = models.TextField()
    notice_version = models.CharField(max_length=40)
    content_sha256 = models.CharField(max_length=64, blank=True)
    sections = models.JSONField("Categories of information that went out", default=list, blank=True)
    recipient_affiliation = models.CharField(max_length=300, blank=True)
    emergency_nature = models.TextField("Nature of the medical emergency (42 CFR 2.51)", blank=True)

    class Meta:
        ordering = ["-disclosed_at"]
        indexes = [models.Index(fields=["patient", "disclosed_at"], name="disclosure_patient_idx")]

    def __str__(self) -> str:
        return f"Disclosure {self.public_id}"


class PatientNotice(BaseModel):
    """A program's Part 2 patient notice (42 CFR 2.22): the full text, versioned; the version each patient
    received is recorded at admission (NoticeReceipt)."""

    site_path = "program__site"
    patient_path = None
    objects = ScopedManager()

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    body = models.TextField()
    sha256 = models.CharField(max_length=64)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["program", "-version"]
        constraints = [models.UniqueConstraint(fields=["program", "version"], name="patient_notice_version",
                                               violation_error_message="This notice version already exists.")]

    def __str__(self) -> str:
        return f"Notice v{self.version}"


class NoticeReceipt(BaseModel):
    site_path = "notice__program__site"
    patient_path = "patient"
    objects = ScopedManager()

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    notice = models.ForeignKey(PatientNotice, on_delete=models.PROTECT, related_name="receipts")
    received_on = models.DateField()

    class Meta:
        ordering = ["-received_on"]

    def __str__(self) -> str:
        return f"Notice receipt {self.public_id}"
