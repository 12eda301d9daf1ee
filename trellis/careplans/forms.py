from __future__ import annotations

from typing import Any

from django import forms

from trellis.careplans.models import ProgressRating, ReviewReason
from trellis.consents.models import ConsentKind
from trellis.core.forms import DATE
from trellis.programs.models import ServiceType
from trellis.referrals.criteria import ASAM_DIMENSIONS, RISK_LABELS


class ProblemForm(forms.Form):
    statement = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Problem")
    diagnosis = forms.ModelChoiceField(queryset=None, required=False, label="Linked diagnosis")

    def __init__(self, *args: Any, diagnoses: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["diagnosis"].queryset = diagnoses


class GoalForm(forms.Form):
    statement = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Goal (in the patient's words)")


class ObjectiveForm(forms.Form):
    statement = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Measurable objective")
    measure = forms.CharField(max_length=200, required=False, label="How it is measured")
    target_date = forms.DateField(widget=DATE)


class InterventionForm(forms.Form):
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    modality = forms.ChoiceField(choices=ServiceType.choices)
    frequency = forms.CharField(max_length=100)
    minutes_per_session = forms.IntegerField(min_value=1, max_value=600, required=False,
                                             help_text="Required to sign a certified PHP/IOP plan (42 CFR 424.24(e)(2)).")
    sessions_per_week = forms.IntegerField(min_value=1, max_value=21, required=False)
    responsible = forms.ModelChoiceField(queryset=None, required=False, label="Responsible staff")

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = staff


class PrimaryDiagnosisForm(forms.Form):
    primary_diagnosis = forms.ModelChoiceField(queryset=None, label="Primary psychiatric diagnosis",
                                               help_text="ICD-10-CM F01-F99 (42 CFR 424.24(e)(2)(i)(A)).")

    def __init__(self, *args: Any, diagnoses: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["primary_diagnosis"].queryset = diagnoses
        self.fields["primary_diagnosis"].label_from_instance = lambda d: f"{d.code} {d.description}"


class RecertificationForm(forms.Form):
    """42 CFR 424.24(e)(3): a recertification states these three things; each is required."""

    response_to_treatment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                                            label="Patient's response to the therapeutic interventions provided")
    continuing_symptoms = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Psychiatric symptoms that continue to place the patient at risk of inpatient care")
    discharge_goals = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                                      label="Treatment goals for coordinating services to facilitate discharge")

    def clean(self) -> dict:
        data = super().clean()
        for name, field in self.fields.items():
            if name in self.errors and not data.get(name):
                self.errors[name] = self.error_class([f"Required: {field.label.lower()} (42 CFR 424.24(e)(3))."])
        return data


class SignPlanForm(forms.Form):
    patient_signer_name = forms.CharField(max_length=200, required=False, label="Patient types their full name")
    patient_declined_reason = forms.CharField(max_length=300, required=False,
                                              label="…or why the patient did not sign")
    row_version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReviewForm(forms.Form):
    reason = forms.ChoiceField(choices=ReviewReason.choices)
    reviewed_on = forms.DateField(widget=DATE)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, objectives: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.objectives = objectives
        for o in objectives:
            self.fields[f"rating_{o.pk}"] = forms.ChoiceField(choices=[("", "—")] + list(ProgressRating.choices),
                                                              label=f"Progress: {o.statement}", required=False)
            self.fields[f"note_{o.pk}"] = forms.CharField(max_length=500, required=False, label="Note")

    def progress(self) -> dict[int, tuple[str, str]]:
        out = {}
        for o in self.objectives:
            rating = self.cleaned_data.get(f"rating_{o.pk}")
            if rating:
                out[o.pk] = (rating, self.cleaned_data.get(f"note_{o.pk}") or "")
        return out


class AdmissionRequirementsForm(forms.Form):
    template = forms.ChoiceField(choices=[
        ("php_mh", "Partial hospitalization (mental health) - 42 CFR 424.24(e)(1)"),
        ("iop_mh", "Intensive outpatient (mental health) - 42 CFR 424.24(e)(1)"),
        ("asam", "ASAM six dimensions (substance use) - highest accepted risk rating per dimension"),
    ], label="Admission criteria")
    consents = forms.MultipleChoiceField(choices=(), widget=forms.CheckboxSelectMultiple,
                                         label="Consents required before admission")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["consents"].choices = ConsentKind.choices
        for key, name3, _name4 in ASAM_DIMENSIONS:
            self.fields[f"asam_{key}"] = forms.TypedChoiceField(
                choices=RISK_LABELS, coerce=int, required=False, label=f"ASAM dimension {key[1]}: {name3}",
                help_text="Highest risk rating this program accepts (used with the ASAM template).",
            )

        self.fields["cert_initial_due_day"] = forms.IntegerField(
            min_value=1, required=False, label="Initial certification due by episode day",
            help_text="Day 1 = admission day.")
        self.fields["cert_first_recert_day"] = forms.IntegerField(
            min_value=1, required=False, label="First recertification due by episode day")
        self.fields["cert_recert_interval_days"] = forms.IntegerField(
            min_value=1, required=False, label="Then recertify at least every (days)")

    def asam_limits(self) -> dict[str, int]:
        return {name[5:]: value for name, value in self.cleaned_data.items()
                if name.startswith("asam_") and value is not None and value != ""}
