"""Program, track and room setup forms. Parsing only: rules live in programs.services."""

from __future__ import annotations

from typing import Any

from django import forms

from trellis.accounts.models import Site
from trellis.programs.models import LevelOfCare, Population, TrackKind


class SiteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name


class ProgramForm(forms.Form):
    site = SiteChoiceField(queryset=None, empty_label=None)
    name = forms.CharField(max_length=120)
    level_of_care = forms.ChoiceField(choices=LevelOfCare.choices)
    population = forms.ChoiceField(choices=Population.choices)
    clinical_model = forms.CharField(max_length=120, required=False, help_text="e.g. CBT, DBT, trauma-informed")
    days_per_week = forms.IntegerField(min_value=1, max_value=7, initial=5)
    weekly_hours_min = forms.DecimalField(max_digits=4, decimal_places=1, min_value=0, initial=9)
    weekly_hours_max = forms.DecimalField(max_digits=4, decimal_places=1, min_value=0, initial=19)
    active = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args: Any, sites: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(pk__in=[s.pk for s in sites])

    def clean(self) -> dict:
        data = super().clean()
        lo, hi = data.get("weekly_hours_min"), data.get("weekly_hours_max")
        if lo is not None and hi is not None and lo > hi:
            self.add_error("weekly_hours_max", "The weekly hours maximum must be at least the minimum.")
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
