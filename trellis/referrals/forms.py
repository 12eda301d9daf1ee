from __future__ import annotations

from typing import Any

from django import forms

from trellis.accounts.models import User
from trellis.core.clock import today_in
from trellis.core.forms import DATE, DATETIME
from trellis.patients.models import SexAtBirth
from trellis.programs.models import LevelOfCare, Program
from trellis.referrals import cssrs, hrsn
from trellis.referrals.models import LossReason, ReferralContact, ReferralSource, ReferralStatus, SourceKind


class ReferralSourceForm(forms.ModelForm):
    class Meta:
        model = ReferralSource
        fields = ["name", "kind", "phone", "fax", "email", "address", "notes", "active"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class ContactForm(forms.ModelForm):
    class Meta:
        model = ReferralContact
        fields = ["name", "title", "phone", "email"]


class LossReasonForm(forms.ModelForm):
    class Meta:
        model = LossReason
        fields = ["label", "applies_to", "order"]


class ReferralForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    date_of_birth = forms.DateField(required=False, widget=DATE)
    phone = forms.CharField(max_length=40, required=False)
    email = forms.EmailField(required=False)
    source = forms.ModelChoiceField(queryset=ReferralSource.objects.none(), required=False)
    contact = forms.ModelChoiceField(queryset=ReferralContact.objects.none(), required=False)
    program = forms.ModelChoiceField(queryset=None, required=False)
    requested_level = forms.ChoiceField(choices=[("", "—")] + list(LevelOfCare.choices), required=False)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Reason for referral")
    owner = forms.ModelChoiceField(queryset=None, required=False)
    next_step = forms.CharField(max_length=200, required=False)
    next_step_due = forms.DateField(required=False, widget=DATE)
    intake_at = forms.DateTimeField(required=False, widget=DATETIME, label="Intake appointment")
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, site: Any, current_due: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.site = site
        self.current_due = current_due  # an edit may keep the due date it already had, even if it has passed
        self.fields["source"].queryset = ReferralSource.objects.filter(organization=site.organization, active=True)
        self.fields["contact"].queryset = ReferralContact.objects.filter(source__organization=site.organization)
        self.fields["program"].queryset = Program.objects.filter(site=site, active=True)
        self.fields["owner"].queryset = User.objects.filter(memberships__site=site, is_active=True).distinct()


    def clean_next_step_due(self) -> Any:
        due = self.cleaned_data.get("next_step_due")
        if due is not None and due != self.current_due and due < today_in(self.site.zone):
            raise forms.ValidationError("That date has passed: choose today or a later date for the next step.")
        return due


class MoveForm(forms.Form):
    status = forms.ChoiceField(choices=ReferralStatus.choices)
    loss_reason = forms.ModelChoiceField(queryset=LossReason.objects.none(), required=False)
    note = forms.CharField(max_length=300, required=False)
    version = forms.IntegerField(required=False)

    def __init__(self, *args: Any, organization: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["loss_reason"].queryset = LossReason.objects.filter(organization=organization, active=True)


class ConvertForm(forms.Form):
    sex_at_birth = forms.ChoiceField(choices=SexAtBirth.choices)
    confirm_not_duplicate = forms.BooleanField(
        required=False, label="I checked: this is a different person with the same name and date of birth"
    )


class IntakeForm(forms.Form):
    assessed_on = forms.DateField(widget=DATE)
    presenting_problem = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    psychiatric_history = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    substance_use_history = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    medications = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    allergies = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    strengths = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    patient_goals = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                                    label="Goals in the patient's own words")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for item in hrsn.ITEMS:
            choices = [("", "Declined / not asked")] + list(item.options)
            if item.multiple:
                self.fields[f"hrsn_{item.key}"] = forms.MultipleChoiceField(
                    choices=item.options, required=False, widget=forms.CheckboxSelectMultiple, label=item.text
                )
            else:
                self.fields[f"hrsn_{item.key}"] = forms.ChoiceField(choices=choices, required=False, label=item.text)

    def hrsn_fields(self) -> list[Any]:
        return [self[f"hrsn_{i.key}"] for i in hrsn.ITEMS]

    def hrsn_answers(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for item in hrsn.ITEMS:
            value = self.cleaned_data.get(f"hrsn_{item.key}")
            out[item.key] = (list(value) or None) if item.multiple else (value or None)
        return out


YES_NO = [("yes", "Yes"), ("no", "No")]


class RiskScreenForm(forms.Form):
    violence_risk_notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                                          label="Violence risk / notes")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for q in cssrs.QUESTIONS:
            self.fields[q.key] = forms.ChoiceField(
                choices=YES_NO, required=False, widget=forms.RadioSelect, label=f"{q.number}. {q.text}",
                help_text=q.help_text,
            )

    def question_fields(self) -> list[Any]:
        return [self[q.key] for q in cssrs.QUESTIONS]

    def answers(self) -> dict[str, bool | None]:
        return {q.key: {"yes": True, "no": False}.get(self.cleaned_data.get(q.key) or "") for q in cssrs.QUESTIONS}


class SafetyPlanForm(forms.Form):
    complete = forms.BooleanField(required=False, label="The plan is complete and was reviewed with the patient")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in cssrs.SAFETY_PLAN_SECTIONS:
            self.fields[key] = forms.CharField(label=label, required=False, widget=forms.Textarea(attrs={"rows": 2}))
        self.order_fields([k for k, _ in cssrs.SAFETY_PLAN_SECTIONS] + ["complete"])


class DeterminationForm(forms.Form):
    program = forms.ModelChoiceField(queryset=None)
    recommended_level = forms.ChoiceField(choices=LevelOfCare.choices)
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, programs: Any, criteria: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs
        self.criteria = criteria
        if criteria is not None:
            for dim in criteria.dimensions:
                self.fields[f"dim_{dim.key}"] = forms.ChoiceField(
                    choices=[("", "—")] + [(f.key, f.label) for f in dim.findings], required=False, label=dim.name,
                    help_text=dim.description,
                )

    def dimension_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("dim_")]

    def findings(self) -> dict[str, str]:
        return {name[4:]: value for name, value in self.cleaned_data.items() if name.startswith("dim_") and value}


class OverrideForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Reason for admitting despite unmet criteria")


SOURCE_KIND_CHOICES = SourceKind.choices
