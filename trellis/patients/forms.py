from __future__ import annotations

from typing import Any

from django import forms

from trellis.core.validators import US_STATES, normalize_phone
from trellis.patients.models import FlagKind, Patient


class PatientForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    confirm_not_duplicate = forms.BooleanField(
        required=False, label="I checked: this is a different person with the same name and date of birth"
    )

    class Meta:
        model = Patient
        fields = [
            "legal_first_name", "legal_last_name", "preferred_name", "date_of_birth", "sex_at_birth",
            "gender_identity", "pronouns", "phone", "email", "address_line1", "address_line2", "city", "state",
            "postal_code", "emergency_contact_name", "emergency_contact_relationship", "emergency_contact_phone",
            "preferred_language", "primary_site",
        ]
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        labels = {"legal_first_name": "Legal first name", "legal_last_name": "Legal last name", "state": "State"}

    def __init__(self, *args: Any, sites: list | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["primary_site"].queryset = self.fields["primary_site"].queryset.filter(
            pk__in=[s.pk for s in (sites or [])]
        )
        self.fields["primary_site"].empty_label = None
        for name in ("legal_first_name", "legal_last_name", "date_of_birth", "sex_at_birth"):
            self.fields[name].required = True
        self.fields["phone"].widget.attrs.update({"type": "tel", "autocomplete": "off"})
        self.fields["emergency_contact_phone"].widget.attrs.update({"type": "tel"})
        self.fields["postal_code"].widget.attrs.update({"inputmode": "numeric"})
        self.fields["confirm_not_duplicate"].widget = forms.HiddenInput() if not self.is_bound else forms.CheckboxInput()
        if self.instance and self.instance.pk:
            self.fields["version"].initial = self.instance.version
            del self.fields["confirm_not_duplicate"]

    def _clean_phone(self, name: str) -> str:
        value = self.cleaned_data.get(name, "")
        if not value:
            return ""
        try:
            return normalize_phone(value)
        except forms.ValidationError:
            raise
        except Exception as exc:  # django.core.exceptions.ValidationError subclass
            raise forms.ValidationError(str(exc)) from exc

    def clean_phone(self) -> str:
        return self._clean_phone("phone")

    def clean_emergency_contact_phone(self) -> str:
        return self._clean_phone("emergency_contact_phone")

    def clean_state(self) -> str:
        value = (self.cleaned_data.get("state") or "").strip().upper()
        if value and value not in US_STATES:
            raise forms.ValidationError("Use the two-letter state code, e.g. NY.")
        return value

    def clean_postal_code(self) -> str:
        import re

        value = (self.cleaned_data.get("postal_code") or "").strip()
        if value and not re.fullmatch(r"\d{5}(-\d{4})?", value):
            raise forms.ValidationError("Use a 5-digit ZIP code (or ZIP+4, 12345-6789).")
        return value

    def clean_legal_first_name(self) -> str:
        return self.cleaned_data["legal_first_name"].strip()

    def clean_legal_last_name(self) -> str:
        return self.cleaned_data["legal_last_name"].strip()

    def validate_unique(self) -> None:
        # MRN uniqueness is enforced by the service and database constraint; the MRN is not a form field.
        pass


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label="Name, MRN or date of birth",
        min_length=2,
        max_length=80,
        required=False,
        widget=forms.SearchInput(attrs={"autofocus": True, "placeholder": "e.g. smith, 1000017, 1990-04-12"}),
    )


class FlagForm(forms.Form):
    # Part 2 is set by admission to a Part 2 program, not by hand.
    kind = forms.ChoiceField(choices=[("", "Choose…"), *[c for c in FlagKind.choices if c[0] != FlagKind.PART2]])
    label = forms.CharField(max_length=80, help_text="Short and specific, e.g. “Penicillin allergy”.")
