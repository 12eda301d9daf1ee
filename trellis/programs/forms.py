"""Program, track and room setup forms. Parsing only: rules live in programs.services."""

from __future__ import annotations

from typing import Any

from django import forms

from trellis.accounts.models import Site
from trellis.programs import rules
from trellis.programs.models import LevelOfCare, Population, TrackKind
from trellis.programs.rules import AsamLevel


class SiteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name


YES_NO = [("", "Choose…"), ("yes", "Yes"), ("no", "No")]


def _yes(value: Any) -> bool:
    return value in (True, "yes", "True", "true", "on")


class ProgramForm(forms.Form):
    site = SiteChoiceField(queryset=None, empty_label=None)
    name = forms.CharField(max_length=120)
    level_of_care = forms.ChoiceField(choices=LevelOfCare.choices)
    population = forms.ChoiceField(choices=Population.choices)
    clinical_model = forms.CharField(max_length=120, required=False, help_text="e.g. CBT, DBT, trauma-informed")
    days_per_week = forms.IntegerField(min_value=1, max_value=7, initial=5)
    weekly_hours_min = forms.DecimalField(max_digits=4, decimal_places=1, min_value=0, initial=9)
    weekly_hours_max = forms.DecimalField(max_digits=4, decimal_places=1, min_value=0, initial=19)
    asam_level = forms.ChoiceField(choices=AsamLevel.choices, required=False, label="ASAM level",
                                   help_text="Where the program uses ASAM levels; 2.1 and 2.5 set an hours floor.")
    is_part2 = forms.TypedChoiceField(
        label=rules.PART2_QUESTION, choices=YES_NO, coerce=_yes, empty_value=None,
        help_text="Yes turns on the Part 2 consent, notice and redisclosure protections for every patient.",
    )
    requires_certification = forms.TypedChoiceField(
        label="Requires physician certification (Medicare)?", required=False, coerce=_yes, empty_value=None,
        choices=[("", "Level default (PHP and IOP: yes)"), ("yes", "Yes"), ("no", "No")],
        help_text="42 CFR 424.24(e): Medicare pays PHP and IOP only on a physician's certification.",
    )
    plan_due_days = forms.IntegerField(min_value=1, max_value=30, initial=7, label="Initial plan due (days)")
    plan_review_days = forms.IntegerField(min_value=1, max_value=90, initial=30, label="Plan review every (days)")
    note_deadline_hours = forms.IntegerField(min_value=1, max_value=168, initial=24,
                                             label="Notes signed within (hours)")
    risk_screen_days = forms.IntegerField(min_value=1, max_value=30, initial=7,
                                          label="C-SSRS screen required within (days) before admission and discharge")
    rescreen_every_days = forms.IntegerField(min_value=1, max_value=90, required=False,
                                             label="Re-screen with the C-SSRS every (days)",
                                             help_text="Blank: no scheduled re-screens.")
    active = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args: Any, sites: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(pk__in=[s.pk for s in sites])

    def clean(self) -> dict:
        data = super().clean()
        lo, hi = data.get("weekly_hours_min"), data.get("weekly_hours_max")
        if lo is not None and hi is not None and lo > hi:
            self.add_error("weekly_hours_max", "The weekly hours maximum must be at least the minimum.")
        if lo is not None and data.get("level_of_care") and data.get("population"):
            problem = rules.floor_problem(level_of_care=data["level_of_care"], population=data["population"],
                                          asam_level=data.get("asam_level") or "", weekly_hours_min=lo,
                                          certified=rules.default_requires_certification(data["level_of_care"])
                                          if data.get("requires_certification") is None
                                          else data["requires_certification"])
            if problem:
                self.add_error("weekly_hours_min", problem)
        return data


class TrackForm(forms.Form):
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=TrackKind.choices)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    active = forms.BooleanField(required=False, initial=True)


class RoomForm(forms.Form):
    site = SiteChoiceField(queryset=None, empty_label=None)
    name = forms.CharField(max_length=80)
    capacity = forms.IntegerField(min_value=1, max_value=500)
    active = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args: Any, sites: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(pk__in=[s.pk for s in sites])
