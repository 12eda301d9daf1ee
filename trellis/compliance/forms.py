"""Requirement-set setup forms. Parsing only: the rules (min ≤ max, no overlaps) live in services."""

from __future__ import annotations

from typing import Any

from django import forms

from trellis.compliance.models import PartialWeekHandling
from trellis.core.forms import DATE
from trellis.coverage.models import Payer, PayerType
from trellis.programs.models import LevelOfCare, Population


class RequirementSetForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(max_length=300, required=False)
    payer_type = forms.ChoiceField(choices=[("", "— any payer (assign it explicitly) —"), *PayerType.choices],
                                   required=False, label="Applies to every payer of type")
    is_default = forms.BooleanField(required=False, label="Organization default (payers without a set of their own)")
    source = forms.CharField(max_length=300, help_text="Regulation, manual or payer contract these rules come from.")


class RuleForm(forms.Form):
    level_of_care = forms.ChoiceField(choices=LevelOfCare.choices)
    population = forms.ChoiceField(choices=Population.choices)
    weekly_min_hours = forms.DecimalField(max_digits=4, decimal_places=1, label="Weekly minimum (counted hours)")
    weekly_max_hours = forms.DecimalField(max_digits=4, decimal_places=1, required=False,
                                          label="Weekly maximum (counted hours)", help_text="Empty: no maximum.")
    min_days_per_week = forms.IntegerField(initial=0, label="Minimum days per week")
    per_diem_min_minutes = forms.IntegerField(initial=0, label="Minimum counted minutes for a billable day")
    min_services_per_day = forms.IntegerField(initial=0, label="Minimum services on a billable day")
    partial_week = forms.ChoiceField(choices=PartialWeekHandling.choices, label="Weeks of admission and discharge")
    source = forms.CharField(max_length=300, help_text="Cite where these numbers come from.")


class AssignForm(forms.Form):
    payer = forms.ModelChoiceField(queryset=Payer.objects.none())
    starts_on = forms.DateField(widget=DATE, label="From")
    ends_on = forms.DateField(widget=DATE, required=False, label="To", help_text="Empty: until replaced.")

    def __init__(self, *args: Any, organization: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payer"].queryset = Payer.objects.filter(organization=organization, active=True).order_by("name")

