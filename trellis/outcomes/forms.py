"""Thin forms: parse input; the rules live in services and scoring."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from django import forms

from trellis.core.acknowledgement import AcknowledgeForm  # noqa: F401 - shared with documentation's risk notices
from trellis.outcomes.models import LinkChannel
from trellis.outcomes.scoring import Definition


def answers_form(defn: Definition, data: Any = None, initial: dict[str, int] | None = None) -> forms.Form:
    """Every item as a radio group (clinician entry from paper). Skip logic is checked by the service."""
    fields: dict[str, forms.Field] = {}
    for item in defn.items:
        fields[item.key] = forms.TypedChoiceField(
            label=f"{item.number}. {item.text}",
            choices=[(o.value, f"{o.label} ({o.value})") for o in item.options],
            coerce=int, required=False, widget=forms.RadioSelect, empty_value=None,
        )
    form_class = type("AnswersForm", (forms.Form,), fields)
    return form_class(data=data, initial=initial or {})


class WindowChoiceForm(forms.Form):
    window = forms.ChoiceField(label="Schedule window", required=False)

    def __init__(self, *args: Any, windows: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["window"].choices = [("", "Unscheduled (not part of a window)"), *windows]


class InviteForm(forms.Form):
    instrument = forms.ChoiceField(label="Measure")
    window = forms.CharField(required=False, widget=forms.HiddenInput)
    channel = forms.ChoiceField(label="How", choices=LinkChannel.choices, widget=forms.RadioSelect,
                                initial=LinkChannel.EMAIL)

    def __init__(self, *args: Any, instruments: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = instruments


class ScheduleForm(forms.Form):
    program = forms.ChoiceField(label="Program")
    track = forms.ChoiceField(label="Track", required=False)
    instrument = forms.ChoiceField(label="Measure")
    at_admission = forms.BooleanField(label="At admission", required=False, initial=True)
    every_n_days = forms.IntegerField(label="Every N days", required=False, min_value=1, max_value=365,
                                      help_text="7 = weekly, 14 = every two weeks. Leave empty for none.")
    at_discharge = forms.BooleanField(label="At discharge", required=False, initial=True)

    def __init__(self, *args: Any, programs: list[Any], instruments: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [(str(p.public_id), f"{p.name} ({p.site.name})") for p in programs]
        self.fields["track"].choices = [("", "All tracks")] + [
            (str(t.public_id), f"{p.name}: {t.name}") for p in programs for t in p.tracks.all()]
        self.fields["instrument"].choices = instruments


class DefinitionUploadForm(forms.Form):
    file = forms.FileField(label="Instrument definition (JSON)", required=False)
    text = forms.CharField(label="…or paste the JSON", required=False, widget=forms.Textarea(attrs={"rows": 6}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        raw = ""
        if data.get("file"):
            f = data["file"]
            if f.size > 512 * 1024:
                raise forms.ValidationError("The file is larger than 512 KB; an instrument definition is smaller.")
            try:
                raw = f.read().decode("utf-8")
            except UnicodeDecodeError:
                raise forms.ValidationError("The file is not UTF-8 text; upload the JSON file.") from None
        elif data.get("text"):
            raw = data["text"]
        if not raw.strip():
            raise forms.ValidationError("Choose a JSON file or paste the definition.")
        try:
            data["parsed"] = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"That is not valid JSON (line {exc.lineno}, column {exc.colno}).") from None
        return data


class ReportForm(forms.Form):
    program = forms.ChoiceField(label="Program")
    track = forms.ChoiceField(label="Track", required=False)
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, programs: list[Any], today: date, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"start": today - timedelta(days=90), "end": today})
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [(str(p.public_id), f"{p.name} ({p.site.name})") for p in programs]
        self.fields["track"].choices = [("", "All tracks")] + [
            (str(t.public_id), f"{p.name}: {t.name}") for p in programs for t in p.tracks.all()]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("start") and data.get("end"):
            if data["start"] > data["end"]:
                raise forms.ValidationError("The start date is after the end date.")
            if (data["end"] - data["start"]).days > 3 * 366:
                raise forms.ValidationError("Choose a period of at most three years.")
        return data
