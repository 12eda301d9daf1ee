"""Forms for series, occurrences, appointments, closures and calendar filters. Parsing only:
rules live in services (their DomainError lands next to the named field)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from trellis.accounts.models import Site
from trellis.programs.models import (
    Modality,
    Program,
    Room,
    ServiceType,
    Track,
)
from trellis.scheduling.recurrence import WEEKDAY_NAMES

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
WEEKDAY_CHOICES = [(str(i), name) for i, name in enumerate(WEEKDAY_NAMES)]


class SiteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.display_name


class SeriesForm(forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.none(), empty_label=None)
    tracks = forms.ModelMultipleChoiceField(
        queryset=Track.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Members of these tracks are on the roster automatically.",
    )
    title = forms.CharField(max_length=120)
    topic = forms.CharField(max_length=200, required=False)
    service_type = forms.ChoiceField(choices=ServiceType.choices)
    modality = forms.ChoiceField(choices=Modality.choices)
    weekdays = forms.MultipleChoiceField(choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple, label="Days")
    start_time = forms.TimeField(widget=TIME, help_text="Site-local time.")
    end_time = forms.TimeField(widget=TIME)
    starts_on = forms.DateField(widget=DATE, label="First day")
    ends_on = forms.DateField(widget=DATE, required=False, label="Last day", help_text="Empty: runs until ended.")
    facilitator = StaffChoiceField(queryset=None)
    co_facilitator = StaffChoiceField(queryset=None, required=False, label="Co-facilitator")
    room = forms.ModelChoiceField(queryset=Room.objects.none(), required=False)
    capacity = forms.IntegerField(min_value=1, max_value=500, required=False, help_text="Empty: the room's capacity.")
    break_minutes = forms.IntegerField(
        min_value=0, max_value=600, required=False, initial=0, label="Break minutes",
        help_text="Meal or rest break inside the session; not counted toward treatment hours.",
    )
    active = forms.BooleanField(required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, sites: list, staff: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        site_ids = [s.pk for s in sites]
        self.fields["program"].queryset = Program.objects.filter(site_id__in=site_ids, active=True).select_related("site")
        self.fields["program"].label_from_instance = lambda p: f"{p.name} ({p.site.name})"
        self.fields["tracks"].queryset = Track.objects.filter(program__site_id__in=site_ids, active=True).select_related(
            "program"
        )
        self.fields["room"].queryset = Room.objects.filter(site_id__in=site_ids, active=True).select_related("site")
        self.fields["room"].label_from_instance = lambda r: f"{r.name} ({r.site.name}, {r.capacity} seats)"
        self.fields["facilitator"].queryset = staff
        self.fields["co_facilitator"].queryset = staff
        if editing:
            self.fields["program"].disabled = True
            self.fields["starts_on"].disabled = True
        else:
            del self.fields["active"]

    def clean_break_minutes(self) -> int:
        return self.cleaned_data.get("break_minutes") or 0

    def clean_weekdays(self) -> list[int]:
        return sorted(int(d) for d in self.cleaned_data["weekdays"])

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", "The session must end after it starts.")
        first, last = data.get("starts_on"), data.get("ends_on")
        if first and last and last < first:
            self.add_error("ends_on", "The last day must be on or after the first day.")
        program = data.get("program")
        for track in data.get("tracks") or []:
            if program is not None and track.program_id != program.pk:
                self.add_error("tracks", f"“{track.name}” belongs to another program.")
        room = data.get("room")
        if program is not None and room is not None and room.site_id != program.site_id:
            self.add_error("room", "That room is at another site.")
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=200, label="Reason for cancelling")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class MoveForm(forms.Form):
    local_date = forms.DateField(widget=DATE, label="New date")
    start_time = forms.TimeField(widget=TIME)
    end_time = forms.TimeField(widget=TIME)
    room = forms.ModelChoiceField(queryset=Room.objects.none(), required=False, empty_label="(no room)")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, site: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = Room.objects.filter(site=site, active=True)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("start_time") and data.get("end_time") and data["end_time"] <= data["start_time"]:
            self.add_error("end_time", "The session must end after it starts.")
        return data


class RestaffForm(forms.Form):
    facilitator = StaffChoiceField(queryset=None, label="Facilitator (substitute)")
    co_facilitator = StaffChoiceField(queryset=None, required=False, label="Co-facilitator")
    reason = forms.CharField(max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facilitator"].queryset = staff
        self.fields["co_facilitator"].queryset = staff


class RosterAddForm(forms.Form):
    episode = forms.ModelChoiceField(queryset=None, label="Patient")
    reason = forms.CharField(max_length=200, required=False)

    def __init__(self, *args: Any, episodes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["episode"].queryset = episodes
        self.fields["episode"].label_from_instance = (
            lambda e: f"{e.patient.legal_last_name}, {e.patient.legal_first_name} — {e.program.name}"
        )


class RosterExcuseForm(forms.Form):
    episode = forms.UUIDField(widget=forms.HiddenInput)
    reason = forms.CharField(max_length=200, label="Reason")


class AppointmentForm(forms.Form):
    episode = forms.ModelChoiceField(queryset=None, label="Patient (episode)")
    service_type = forms.ChoiceField(
        choices=[
            (v, label) for v, label in ServiceType.choices
            if v in {"individual_therapy", "family_therapy", "medication_management", "nursing_check_in",
                     "case_management", "intake"}
        ]
    )
    local_date = forms.DateField(widget=DATE, label="Date")
    start_time = forms.TimeField(widget=TIME)
    end_time = forms.TimeField(widget=TIME)
    facilitator = StaffChoiceField(queryset=None, label="Clinician")
    modality = forms.ChoiceField(choices=Modality.choices)
    room = forms.ModelChoiceField(queryset=Room.objects.none(), required=False)
    title = forms.CharField(max_length=120, required=False)

    def __init__(self, *args: Any, episodes: Any, staff: Any, sites: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["episode"].queryset = episodes
        self.fields["episode"].label_from_instance = (
            lambda e: f"{e.patient.legal_last_name}, {e.patient.legal_first_name} — {e.program.name}"
        )
        self.fields["facilitator"].queryset = staff
        self.fields["room"].queryset = Room.objects.filter(site__in=sites, active=True).select_related("site")

    def clean(self) -> dict:
        data = super().clean()
        if data.get("start_time") and data.get("end_time") and data["end_time"] <= data["start_time"]:
            self.add_error("end_time", "The appointment must end after it starts.")
        episode, room = data.get("episode"), data.get("room")
        if episode is not None and room is not None and room.site_id != episode.program.site_id:
            self.add_error("room", "That room is at another site.")
        return data


class ClosureForm(forms.Form):
    date = forms.DateField(widget=DATE)
    site = SiteChoiceField(queryset=None, required=False, empty_label="All sites")
    reason = forms.CharField(max_length=200, help_text="Shown on cancelled sessions, e.g. “Thanksgiving”.")

    def __init__(self, *args: Any, sites: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        self.fields["site"].queryset = Site.objects.filter(pk__in=[s.pk for s in sites])


class CalendarFilterForm(forms.Form):
    # GET filters end up in URLs: identify choices by public UUID, never by integer id (DESIGN.md §4).
    date = forms.DateField(widget=DATE, required=False)
    site = SiteChoiceField(queryset=None, required=False, empty_label="All my sites", to_field_name="public_id")
    track = forms.ModelChoiceField(queryset=Track.objects.none(), required=False, empty_label="All tracks",
                                   to_field_name="public_id")
    staff = StaffChoiceField(queryset=None, required=False, empty_label="All staff", to_field_name="public_id")
    room = forms.ModelChoiceField(queryset=Room.objects.none(), required=False, empty_label="All rooms",
                                  to_field_name="public_id")
    kind = forms.ChoiceField(
        choices=[("", "Groups and appointments"), ("group", "Groups only"), ("individual", "Appointments only")],
        required=False, label="Show",
    )
    hide_cancelled = forms.BooleanField(required=False, label="Hide cancelled")
    patient = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, sites: list, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        ids = [s.pk for s in sites]
        self.fields["site"].queryset = Site.objects.filter(pk__in=ids)
        self.fields["track"].queryset = Track.objects.filter(program__site_id__in=ids).select_related("program")
        self.fields["room"].queryset = Room.objects.filter(site_id__in=ids)
        self.fields["staff"].queryset = staff

    def value(self, name: str, default: Any = None) -> Any:
        # a filter that was read keeps applying when another one is refused (its message says which)
        if self.is_bound:
            self.is_valid()
            return self.cleaned_data.get(name) or default
        return default

    def day(self, today: date) -> date:
        return self.value("date", today)


class OneOffSessionForm(forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.none(), empty_label=None)
    tracks = forms.ModelMultipleChoiceField(queryset=Track.objects.none(), required=False,
                                            widget=forms.CheckboxSelectMultiple)
    title = forms.CharField(max_length=120)
    topic = forms.CharField(max_length=200, required=False)
    service_type = forms.ChoiceField(choices=ServiceType.choices)
    modality = forms.ChoiceField(choices=Modality.choices)
    local_date = forms.DateField(widget=DATE, label="Date")
    start_time = forms.TimeField(widget=TIME, help_text="Site-local time.")
    end_time = forms.TimeField(widget=TIME)
    facilitator = StaffChoiceField(queryset=None)
    co_facilitator = StaffChoiceField(queryset=None, required=False, label="Co-facilitator")
    room = forms.ModelChoiceField(queryset=Room.objects.none(), required=False)
    capacity = forms.IntegerField(min_value=1, max_value=500, required=False, help_text="Empty: the room's capacity.")
    break_minutes = forms.IntegerField(
        min_value=0, max_value=600, required=False, initial=0, label="Break minutes",
        help_text="Meal or rest break inside the session; not counted toward treatment hours.",
    )

    def __init__(self, *args: Any, sites: list, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ids = [s.pk for s in sites]
        self.fields["program"].queryset = Program.objects.filter(site_id__in=ids, active=True).select_related("site")
        self.fields["program"].label_from_instance = lambda p: f"{p.name} ({p.site.name})"
        self.fields["tracks"].queryset = Track.objects.filter(program__site_id__in=ids, active=True).select_related(
            "program"
        )
        self.fields["room"].queryset = Room.objects.filter(site_id__in=ids, active=True).select_related("site")
        self.fields["room"].label_from_instance = lambda r: f"{r.name} ({r.site.name}, {r.capacity} seats)"
        self.fields["facilitator"].queryset = staff
        self.fields["co_facilitator"].queryset = staff

    def clean(self) -> dict:
        data = super().clean()
        if data.get("start_time") and data.get("end_time") and data["end_time"] <= data["start_time"]:
            self.add_error("end_time", "The session must end after it starts.")
        data["break_minutes"] = data.get("break_minutes") or 0
        program = data.get("program")
        for track in data.get("tracks") or []:
            if program is not None and track.program_id != program.pk:
                self.add_error("tracks", f"“{track.name}” belongs to another program.")
        room = data.get("room")
        if program is not None and room is not None and room.site_id != program.site_id:
            self.add_error("room", "That room is at another site.")
        return data
