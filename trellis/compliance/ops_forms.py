"""Forms of the compliance operations screens: dashboard filter, audit-readiness report range, UR packet."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from django import forms

from trellis.compliance import audit_report, packet
from trellis.core.forms import DATE

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(value: str) -> date | None:
    """The Monday of an ISO week written 2026-W47 (the <input type=week> format); None if not a real week."""
    m = WEEK_RE.match(value or "")
    if not m:
        return None
    try:
        return date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        return None


def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


class DashboardForm(forms.Form):
    site = forms.CharField(required=False)
    program = forms.CharField(required=False)
    week = forms.CharField(required=False, help_text="An ISO week, e.g. 2026-W47.",
                           widget=forms.TextInput(attrs={"type": "week"}))
    status = forms.CharField(required=False)

    def clean_week(self) -> date | None:
        value = self.cleaned_data.get("week") or ""
        if not value:
            return None
        monday = parse_week(value)
        if monday is None:
            raise forms.ValidationError("Enter a week as YYYY-Www, for example 2026-W47.")
        return monday


class AuditReportForm(forms.Form):
    site = forms.CharField(required=False)
    program = forms.CharField(required=False)
    start = forms.DateField(widget=DATE)
    end = forms.DateField(widget=DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The end date is before the start date.")
            elif (end - start).days + 1 > audit_report.MAX_RANGE_DAYS:
                self.add_error("end", f"Choose at most {audit_report.MAX_RANGE_DAYS} days.")
        return data


class PacketForm(forms.Form):
    episode = forms.ChoiceField(label="Episode")
    start = forms.DateField(widget=DATE)
    end = forms.DateField(widget=DATE)
    notes = forms.IntegerField(label="Number of recent notes", min_value=0, max_value=packet.MAX_NOTES, initial=5)
    recipient_name = forms.CharField(label="Recipient (as named on the patient's release)", max_length=300)

    def __init__(self, *args: Any, episodes: list[Any], today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["episode"].choices = [
            (str(e.public_id), f"{e.program.name}, admitted {e.admitted_on.isoformat()}"
             + (f", discharged {e.discharged_on.isoformat()}" if e.discharged_on else "")) for e in episodes]
        self.fields["start"].initial = today - timedelta(days=13)
        self.fields["end"].initial = today
