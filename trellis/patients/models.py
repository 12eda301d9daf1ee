"""The patient registry: identity, demographics and contacts. Clinical records hang on episodes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import models
from django.db.models import Exists, OuterRef

from trellis.core.access import ScopedQuerySet
from trellis.core.models import BaseModel
from trellis.core.validators import validate_phone


class SexAtBirth(models.TextChoices):
    # USCDI "Sex" data element value set (female / male / unknown); "X" where state IDs allow it.
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    X = "X", "X (non-binary/unspecified on ID)"
    UNKNOWN = "U", "Unknown"


class PatientQuerySet(ScopedQuerySet["Patient"]):
    def at_sites(self, site_ids: Iterable[int]) -> PatientQuerySet:
        # A patient may be linked to several sites: EXISTS keeps one row per patient (a join would repeat it).
        linked = PatientSite.objects.filter(patient=OuterRef("pk"), site_id__in=list(site_ids))
        return self.filter(Exists(linked))


class Patient(BaseModel):
    site_path = "care_sites"
    patient_path = "self"
    objects = PatientQuerySet.as_manager()

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField("MRN", max_length=12)
    legal_first_name = models.CharField(max_length=80)
    legal_last_name = models.CharField(max_length=80)
    preferred_name = models.CharField(max_length=80, blank=True)
    date_of_birth = models.DateField()
    sex_at_birth = models.CharField(max_length=1, choices=SexAtBirth.choices)
    gender_identity = models.CharField(max_length=60, blank=True)
    pronouns = models.CharField(max_length=30, blank=True)
    phone = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    email = models.EmailField(blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    emergency_contact_name = models.CharField(max_length=120, blank=True)
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    emergency_contact_phone = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    preferred_language = models.CharField(max_length=40, default="English")
    primary_site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="primary_patients")
    care_sites = models.ManyToManyField("accounts.Site", through="PatientSite", related_name="patients")
    # Lower-cased copies for duplicate detection and indexed search across databases.
    search_first = models.CharField(max_length=80, editable=False, db_index=True)
    search_last = models.CharField(max_length=80, editable=False, db_index=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["legal_last_name", "legal_first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "mrn"],
                name="patient_mrn_unique_per_org",
                violation_error_message="This MRN is already in use.",
            )
        ]
        indexes = [models.Index(fields=["organization", "date_of_birth"], name="patient_dob")]

    def __str__(self) -> str:
        # Used in staff-only screens; never in URLs, titles or logs.
        return self.display_name

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_first = self.legal_first_name.strip().lower()
        self.search_last = self.legal_last_name.strip().lower()
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.legal_first_name
        return f"{first} {self.legal_last_name}"

    @property
    def legal_name(self) -> str:
        return f"{self.legal_first_name} {self.legal_last_name}"

    @property
    def initials(self) -> str:
        return f"{self.legal_first_name[:1]}{self.legal_last_name[:1]}".upper()

    def age_on(self, day: date) -> int:
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


class PatientSite(models.Model):
    """Sites where the patient receives care; staff there may see the chart (site scope)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="site_links")
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="patient_links")
    since = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "site"], name="patient_site_unique", violation_error_message="Already linked."
            )
        ]

    def __str__(self) -> str:
        return f"{self.patient_id}@{self.site_id}"


class FlagKind(models.TextChoices):
    SUICIDE_RISK = "suicide_risk", "Suicide risk"
    ALLERGY = "allergy", "Allergy"
    PART2 = "part2", "42 CFR Part 2"
    FALL_RISK = "fall_risk", "Fall risk"
    MINOR = "minor", "Minor"
    OTHER = "other", "Other"


class PatientFlag(BaseModel):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(max_length=20, choices=FlagKind.choices)
    label = models.CharField(max_length=80)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.label
