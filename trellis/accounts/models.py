"""Organization, sites, staff users, their roles at sites, and professional credentials."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp.models import Device, ThrottlingMixin

from trellis.core.access import ScopedManager
from trellis.core.models import BaseModel
from trellis.core.validators import validate_npi, validate_phone

HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"“{value}” is not an IANA time zone (for example America/New_York).")


def validate_hex_color(value: str) -> None:
    if not HEX_COLOR.match(value or ""):
        raise ValidationError("Use a six-digit hex colour such as #1f6f5c.")


def validate_tax_id(value: str) -> None:
    # Federal EIN as used in X12 REF*EI: nine digits, written NN-NNNNNNN or NNNNNNNNN.
    if value and not re.fullmatch(r"\d{2}-?\d{7}", value):
        raise ValidationError("Enter the tax id (EIN) as nine digits, for example 12-3456789.")


class Organization(BaseModel):
    name = models.CharField(max_length=200)
    # Dev-only relaxation of MFA for the click-through demo; ignored unless TRELLIS_ENV=dev.
    relax_mfa_in_dev = models.BooleanField(default=False)
    idle_timeout_minutes = models.PositiveSmallIntegerField(default=15)
    mrn_counter = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.name

    @property
    def mfa_relaxed(self) -> bool:
        return self.relax_mfa_in_dev and settings.TRELLIS_ENV == "dev"


class Site(BaseModel):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(max_length=120)
    code = models.CharField(max_length=12, help_text="Short code shown in tight spaces, e.g. MAIN.")
    address_line1 = models.CharField(max_length=200)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    postal_code = models.CharField(max_length=10)
    time_zone = models.CharField(max_length=64, default="America/New_York", validators=[validate_time_zone])
    phone = models.CharField(max_length=20, validators=[validate_phone])
    npi = models.CharField("NPI", max_length=10, validators=[validate_npi])
    tax_id = models.CharField("Tax id (EIN)", max_length=10, validators=[validate_tax_id])
    opens_at = models.TimeField(default="07:00")
    closes_at = models.TimeField(default="21:00")
    # Patient-facing branding (portal, waiting room).
    display_name = models.CharField(max_length=120)
    logo = models.ImageField(upload_to="branding/", blank=True)
    accent_color = models.CharField(max_length=7, default="#1f6f5c", validators=[validate_hex_color])
    welcome_text = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "code"],
                name="site_code_unique_per_org",
                violation_error_message="Another site already uses this code.",
            ),
            models.CheckConstraint(
                condition=models.Q(opens_at__lt=models.F("closes_at")),
                name="site_opens_before_closes",
                violation_error_message="The site must open before it closes.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        if not email:
            raise ValueError("Users sign in with an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    public_id = models.UUIDField(unique=True, editable=False, default=None, null=True)
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150)
    preferred_name = models.CharField(max_length=80, blank=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May use the Django admin site.")
    force_mfa = models.BooleanField(
        default=False, help_text="Always require MFA, even where the organization relaxes it in dev."
    )
    date_joined = models.DateTimeField(default=timezone.now)
    # Set by an administrator ("require a new password at next sign-in"); the user can do nothing else until
    # they choose one. Nobody ever types another person's password.
    must_change_password = models.BooleanField(default=False)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    objects = UserManager()

    class Meta:
        ordering = ["full_name"]

    def save(self, *args: object, **kwargs: object) -> None:
        if self.public_id is None:
            import uuid

            self.public_id = uuid.uuid4()
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.email


class Role(models.TextChoices):
    ORG_ADMIN = "org_admin", "Organization admin"
    PROGRAM_DIRECTOR = "program_director", "Program director"
    THERAPIST = "therapist", "Therapist"
    GROUP_FACILITATOR = "group_facilitator", "Group facilitator"
    PRESCRIBER = "prescriber", "Prescriber"
    NURSE = "nurse", "Nurse"
    CASE_MANAGER = "case_manager", "Case manager"
    PEER_SPECIALIST = "peer_specialist", "Peer specialist"
    BILLER = "biller", "Biller"
    FRONT_DESK = "front_desk", "Front desk"


class SiteMembership(BaseModel):
    site_path = "site"
    objects = ScopedManager()

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "site", "role"],
                name="membership_unique",
                violation_error_message="This person already has that role at that site.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.site}"


class StaffProfile(BaseModel):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    title = models.CharField(max_length=120, blank=True)
    credentials = models.CharField(max_length=40, blank=True, help_text="Shown after the name, e.g. LCSW, MD.")
    npi = models.CharField("NPI", max_length=10, blank=True, validators=[validate_npi])
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="supervisees"
    )
    # Pre-licensure clinicians (e.g. associate/intern licenses) need their notes co-signed.
    requires_cosign = models.BooleanField(default=False)
    # Medicare PHP/IOP services need a *physician's* certification (42 CFR 424.24(e), 410.43(a)(3));
    # prescribers who are nurse practitioners or PAs hold the prescriber role but may not certify.
    is_physician = models.BooleanField("Physician (MD/DO)", default=False)

    def __str__(self) -> str:
        return f"{self.user} {self.credentials}".strip()

    def clean(self) -> None:
        if self.requires_cosign and not self.supervisor_id:
            raise ValidationError({"supervisor": "A clinician whose notes need co-signature needs a supervisor."})
        if self.supervisor_id and self.supervisor_id == self.user_id:
            raise ValidationError({"supervisor": "A clinician cannot supervise themselves."})


class Credential(BaseModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credentials")
    license_type = models.CharField(max_length=40, help_text="e.g. LCSW, LPC, MD, PMHNP-BC, RN")
    license_number = models.CharField(max_length=40)
    state = models.CharField(max_length=2)
    expires_on = models.DateField()

    class Meta:
        ordering = ["expires_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["license_type", "license_number", "state"],
                name="credential_unique",
                violation_error_message="This license is already on file.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.license_type} {self.state} #{self.license_number}"

    def is_expired_on(self, day) -> bool:
        return self.expires_on < day


# Two-step sign-in recovery -------------------------------------------------------------------------------------

RECOVERY_CODE_COUNT = 10
# 32 symbols without look-alikes (no 0/O, 1/I/L): 10 symbols = 50 bits per code.
RECOVERY_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RECOVERY_CODE_LENGTH = 10
_RECOVERY_SALT = "trellis.accounts.recovery_code"


def normalize_recovery_code(token: str) -> str:
    """What the person typed, as stored: case, spaces and the dash do not matter."""
    return re.sub(r"[\s-]", "", str(token or "")).upper()


def recovery_code_digests(token: str) -> list[str]:
    """Keyed digests of a recovery code (HMAC-SHA256 with SECRET_KEY, then each SECRET_KEY_FALLBACKS entry, so
    codes survive a secret-key rotation). The code never reaches the database; without the key outside the
    database the digests cannot be brute-forced offline."""
    value = normalize_recovery_code(token)
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [salted_hmac(_RECOVERY_SALT, value, secret=key, algorithm="sha256").hexdigest() for key in keys]


class RecoveryCodeDevice(ThrottlingMixin, Device):
    """A user's set of single-use recovery codes, as a django-otp device: `otp_login` with it verifies the
    session exactly as an authenticator code does. Codes are stored only as keyed digests (django-otp's own
    StaticToken keeps them in plain text) and each works once."""

    class Meta:
        verbose_name = "recovery code set"

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "TRELLIS_RECOVERY_THROTTLE_FACTOR", 1))

    def remaining(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()

    def verify_token(self, token: str) -> bool:  # noqa: D102
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        value = normalize_recovery_code(token)
        if len(value) != RECOVERY_CODE_LENGTH:
            self.throttle_increment()
            return False
        # One conditional UPDATE: of two requests with the same code, exactly one marks it used.
        used = RecoveryCode.objects.filter(
            device=self, digest__in=recovery_code_digests(value), used_at__isnull=True
        ).update(used_at=timezone.now())
        if used:
            self.throttle_reset()
            return True
        self.throttle_increment()
        return False


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "digest"], name="accounts_recoverycode_unique_digest"),
        ]

    def __str__(self) -> str:
        return f"recovery code ({'used' if self.used_at else 'unused'})"
