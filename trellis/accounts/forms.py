from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from trellis.core.validators import US_STATES, normalize_phone, validate_npi


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True})
    )
    error_messages = {
        "invalid_login": "That email and password do not match an active account.",
        "inactive": "This account is inactive. Ask your organization admin.",
    }

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()


class TOTPForm(forms.Form):
    token = forms.CharField(
        label="6-digit code",
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]{6}", "autofocus": True}
        ),
        help_text="From your authenticator app.",
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].strip()
        if not token.isdigit():
            raise forms.ValidationError("The code is six digits.")
        return token


class SiteForm(forms.ModelForm):
    class Meta:
        from trellis.accounts.models import Site

        model = Site
        fields = [
            "name", "code", "display_name", "address_line1", "address_line2", "city", "state", "postal_code",
            "time_zone", "phone", "npi", "tax_id", "opens_at", "closes_at", "accent_color", "welcome_text", "logo",
        ]
        widgets = {
            "opens_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "closes_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "accent_color": forms.TextInput(attrs={"type": "color"}),
            "welcome_text": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "display_name": "Shown to patients in the portal and the telehealth waiting room.",
            "npi": "Type 2 (organization) NPI used as the billing provider.",
        }

    def clean_state(self) -> str:
        value = (self.cleaned_data.get("state") or "").upper()
        if value not in US_STATES:
            raise forms.ValidationError("Use the two-letter state code, e.g. NY.")
        return value

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data.get("phone", ""))

    def validate_unique(self) -> None:
        # The organization is set by the service; its unique (organization, code) constraint is checked there.
        pass


class OrganizationForm(forms.Form):
    name = forms.CharField(max_length=200)
    idle_timeout_minutes = forms.IntegerField(
        min_value=1, max_value=60, label="Sign out after inactivity (minutes)",
        help_text="HIPAA automatic logoff; 15 minutes is the usual choice.",
    )
    relax_mfa_in_dev = forms.BooleanField(
        required=False, label="Relax two-step sign-in (development/demo only — ignored in production)"
    )


class StaffForm(forms.Form):
    email = forms.EmailField()
    full_name = forms.CharField(max_length=150)
    title = forms.CharField(max_length=120, required=False)
    credentials = forms.CharField(max_length=40, required=False, help_text="Shown after the name, e.g. LCSW.")
    npi = forms.CharField(label="NPI", max_length=10, required=False, help_text="10 digits (individual, type 1).")
    supervisor = forms.ModelChoiceField(queryset=None, required=False, to_field_name="public_id")
    requires_cosign = forms.BooleanField(required=False, label="Notes need a supervisor's co-signature")
    is_physician = forms.BooleanField(required=False, label="Physician (MD/DO) — may sign Medicare certifications")
    is_active = forms.BooleanField(required=False, initial=True, label="Active (may sign in)")

    def __init__(self, *args, organization=None, sites=(), instance=None, grantable=None, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        from trellis.accounts.models import Role, User

        self.instance = instance
        self.sites = list(sites)
        qs = User.objects.filter(organization=organization, is_active=True).order_by("full_name")
        if instance is not None:
            qs = qs.exclude(pk=instance.pk)
        self.fields["supervisor"].queryset = qs
        self.role_fields: list[tuple[Any, list[tuple[str, str, str]]]] = []
        # Only roles the editor may grant at a site get a checkbox; roles held but not grantable are shown
        # read-only by the page and are never changed by this form.
        grantable = grantable or {}
        for site in self.sites:
            row = []
            for role, label in Role.choices:
                if role not in grantable.get(site.pk, set()):
                    continue
                name = f"role__{site.pk}__{role}"
                self.fields[name] = forms.BooleanField(required=False, label=f"{label} at {site.name}")
                row.append((name, role, label))
            self.role_fields.append((site, row))

    def clean_npi(self) -> str:
        from django.core.exceptions import ValidationError as DjangoValidationError


        value = (self.cleaned_data.get("npi") or "").strip()
        try:
            validate_npi(value)
        except DjangoValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc
        return value

    def clean(self) -> dict:
        data = super().clean()
        if data.get("requires_cosign") and not data.get("supervisor"):
            self.add_error("supervisor", "Choose the supervisor who will co-sign this clinician's notes.")
        return data

    def memberships(self) -> set:
        chosen = set()
        for site, row in self.role_fields:
            for name, role, _ in row:
                if self.cleaned_data.get(name):
                    chosen.add((site, role))
        return chosen

    def bound_role_rows(self) -> list:
        return [(site, [(self[name], label) for name, _, label in row]) for site, row in self.role_fields]


class CredentialForm(forms.Form):
    license_type = forms.CharField(max_length=40, help_text="e.g. LCSW, LMHC, MD, RN")
    license_number = forms.CharField(max_length=40)
    state = forms.CharField(max_length=2)
    expires_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def clean_state(self) -> str:
        value = self.cleaned_data["state"].upper()
        if value not in US_STATES:
            raise forms.ValidationError("Use the two-letter state code, e.g. NY.")
        return value
