from __future__ import annotations

from django import forms

from trellis.accounts.models import User
from trellis.audit.models import AuditAction


class AuditFilterForm(forms.Form):
    actor = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label="Staff member", to_field_name="public_id"
    )
    patient = forms.UUIDField(required=False, widget=forms.HiddenInput)
    action = forms.ChoiceField(choices=[("", "Any action"), *AuditAction.choices], required=False)
    start = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, organization=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = User.objects.filter(organization=organization).order_by("full_name")

    def clean(self) -> dict:
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "The end date is before the start date.")
        return data


class PatientMrnForm(forms.Form):
    mrn = forms.CharField(label="Patient MRN", max_length=12, strip=True)
