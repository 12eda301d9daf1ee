"""Attendance forms: parsing of the whole-roster sheet, a single-record correction and a billing unlock."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django import forms

from trellis.attendance.models import AttendanceStatus
from trellis.programs.models import AttendedModality

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def local_moment(session: Any, value: time | None) -> datetime | None:
    """A wall-clock time typed for a session, as an aware instant on the session's site-local date."""
    if value is None:
        return None
    zone = session.site.zone
    day = session.local_date
    if session.local_end.date() > day and value < session.local_start.time():
        day += timedelta(days=1)  # a session running past midnight: early-morning times are the next day
    return datetime.combine(day, value).replace(tzinfo=zone)


def parse_time(text: str) -> time | None:
    text = (text or "").strip()
    if not text:
        return None
    for fmt in ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M%p"):
        try:
            return datetime.strptime(text, fmt).time()  # noqa: DTZ007 - a wall-clock time, zone applied later
        except ValueError:
            continue
    raise ValueError(text)


@dataclass
class SheetInput:
    episode_public_id: str
    status: str
    arrived: str
    departed: str
    modality: str
    reason: str
    # What the sheet showed for this row when it was rendered (a fingerprint of its values) and the record's
    # version then (0: not yet marked). A row whose values still match what was shown was not touched by this
    # user and is not written; a touched row whose record changed since is a conflict, not a silent revert.
    original: str = ""
    version: int | None = None

    @property
    def touched(self) -> bool:
        return row_fingerprint(self.status, self.arrived, self.departed, self.modality, self.reason) != self.original


def row_fingerprint(status: str, arrived: str, departed: str, modality: str, reason: str) -> str:
    canonical = "\x1f".join(value.strip() for value in (status, arrived, departed, modality, reason))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _version(text: str | None) -> int | None:
    try:
        value = int(text or "")
    except ValueError:
        return None
    return value if value >= 0 else None


def read_sheet(data: Any, episode_public_ids: list[str]) -> list[SheetInput]:
    rows = []
    for pid in episode_public_ids:
        rows.append(
            SheetInput(
                episode_public_id=pid,
                status=(data.get(f"status-{pid}") or "").strip(),
                arrived=data.get(f"arrived-{pid}") or "",
                departed=data.get(f"departed-{pid}") or "",
                modality=(data.get(f"modality-{pid}") or "").strip(),
                reason=(data.get(f"reason-{pid}") or "").strip()[:200],
                original=(data.get(f"orig-{pid}") or "").strip(),
                version=_version(data.get(f"version-{pid}")),
            )
        )
    return rows


class CorrectionForm(forms.Form):
    status = forms.ChoiceField(choices=AttendanceStatus.choices)
    arrived_at = forms.TimeField(widget=TIME, required=False, label="Arrived")
    departed_at = forms.TimeField(widget=TIME, required=False, label="Left")
    modality = forms.ChoiceField(choices=[("", "—"), *AttendedModality.choices], required=False,
                                 label="How they attended")
    minutes = forms.IntegerField(required=False, min_value=0, help_text="Leave empty to compute from the times.")
    absence_reason = forms.CharField(max_length=200, required=False)
    reason = forms.CharField(max_length=300, label="Reason for the correction")
    # The record's version when the form was opened: a correction of a record someone changed since is refused.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # Reported as a form-level error: an error on a hidden field would be invisible to the user.
        if cleaned.get("version") is None:
            self.add_error(None, "This form is out of date: open the record again and redo the correction.")
        return cleaned


class UnlockForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Reason for unlocking")
