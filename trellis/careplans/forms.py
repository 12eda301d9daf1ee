from __future__ import annotations

from typing import Any

from django import forms

from trellis.careplans.models import ProgressRating, ReviewReason
from trellis.programs.models import ServiceType
from trellis.referrals.viewutils import DATE


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
    responsible = forms.ModelChoiceField(queryset=None, required=False, label="Responsible staff")

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = staff


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
