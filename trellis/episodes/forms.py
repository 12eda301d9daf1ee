from __future__ import annotations

from typing import Any

from django import forms

from trellis.accounts.models import User
from trellis.episodes.models import DiagnosisRank, DischargeType, LevelChangeField
from trellis.programs.models import LevelOfCare, Program, Track
from trellis.referrals.viewutils import DATE


def _staff_qs(site: Any, roles: list[str] | None = None) -> Any:
    qs = User.objects.filter(memberships__site=site, is_active=True)
    if roles:
        qs = qs.filter(memberships__role__in=roles)
    return qs.distinct().order_by("full_name")


class AdmitForm(forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.none())
    track = forms.ModelChoiceField(queryset=Track.objects.none(), required=False)
    admitted_on = forms.DateField(widget=DATE)
    recommended_level = forms.ChoiceField(choices=[("", "From the determination")] + list(LevelOfCare.choices),
                                          required=False, label="Clinically recommended level")
    authorized_level = forms.ChoiceField(choices=[("", "Not yet authorized")] + list(LevelOfCare.choices),
                                         required=False, label="Payer-authorized level")
    primary_clinician = forms.ModelChoiceField(queryset=None, label="Primary therapist")
    prescriber = forms.ModelChoiceField(queryset=None, required=False)
    case_manager = forms.ModelChoiceField(queryset=None, required=False)

    def __init__(self, *args: Any, programs: Any, site: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs
        self.fields["track"].queryset = Track.objects.filter(program__in=programs, active=True).select_related("program")
        self.fields["primary_clinician"].queryset = _staff_qs(site, ["therapist", "program_director"])
        self.fields["prescriber"].queryset = _staff_qs(site, ["prescriber"])
        self.fields["case_manager"].queryset = _staff_qs(site, ["case_manager"])


class LevelChangeForm(forms.Form):
    field = forms.ChoiceField(choices=LevelChangeField.choices, label="Which level")
    to_level = forms.ChoiceField(choices=LevelOfCare.choices, label="New level")
    changed_on = forms.DateField(widget=DATE)
    reason = forms.CharField(max_length=300)


class DischargeForm(forms.Form):
    discharged_on = forms.DateField(widget=DATE)
    discharge_type = forms.ChoiceField(choices=[c for c in DischargeType.choices if c[0] != DischargeType.STEP_DOWN])
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    primary_diagnosis = forms.CharField(max_length=10, required=False, label="Primary discharge diagnosis (ICD-10-CM)")
    secondary_diagnoses = forms.CharField(max_length=200, required=False,
                                          label="Secondary discharge diagnoses (codes, comma-separated)")
    medications = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                  label="Medications at discharge")
    aftercare_provider = forms.CharField(max_length=200, required=False)
    aftercare_on = forms.DateField(widget=DATE, required=False, label="Aftercare appointment date")

    def diagnoses(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        primary = (self.cleaned_data.get("primary_diagnosis") or "").strip()
        secondary = [c.strip() for c in (self.cleaned_data.get("secondary_diagnoses") or "").split(",") if c.strip()]
        if secondary and not primary:
            self.add_error("primary_diagnosis", "Enter the primary discharge diagnosis too.")
            return []
        if primary:
            out.append((primary, "primary"))
        out += [(c, "secondary") for c in secondary]
        return out


class StepDownForm(forms.Form):
    to_program = forms.ModelChoiceField(queryset=Program.objects.none(), label="Receiving program (lower level)")
    to_track = forms.ModelChoiceField(queryset=Track.objects.none(), required=False, label="Track")
    discharged_on = forms.DateField(widget=DATE, label="Discharge date")
    admitted_on = forms.DateField(widget=DATE, required=False, label="Start in the new program")
    receiving_clinician = forms.ModelChoiceField(queryset=None)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    handoff_note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Hand-off note")
    medications = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, programs: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_program"].queryset = programs
        self.fields["to_track"].queryset = Track.objects.filter(program__in=programs, active=True)
        self.fields["receiving_clinician"].queryset = staff


class ExportForm(forms.Form):
    recipient_name = forms.CharField(max_length=300, label="Recipient (as named on the release)")


class DiagnosisForm(forms.Form):
    code = forms.CharField(max_length=10, label="ICD-10-CM code",
                           widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "e.g. F33.1 or 'panic'"}))
    rank = forms.ChoiceField(choices=DiagnosisRank.choices)
    diagnosed_on = forms.DateField(widget=DATE)
    onset_on = forms.DateField(required=False, widget=DATE)
