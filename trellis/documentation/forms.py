"""View-side helpers: turn a template version + content + errors into what the note form template renders, and
parse the posted form back into content. Field names: ``s-<section>.<field>`` for the shared part and
``p-<participant public_id>-<section>.<field>`` for each patient's part (see note_schema.content_from_form)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms

from .note_schema import (
    MEDICATION_CHANGES,
    MEDICATION_ROW_KEYS,
    RISK_ACTIONS_KEY,
    RISK_ACTIONS_LABEL,
    RISK_ITEMS,
    FieldError,
    FieldKind,
    Scope,
    TemplateSchema,
    content_from_form,
    form_name,
)

SHARED_PREFIX = "s-"


def participant_prefix(participant_key: str) -> str:
    return f"p-{participant_key}-"


@dataclass
class Option:
    value: str
    label: str
    selected: bool


@dataclass
class RiskItemView:
    name: str
    id: str
    label: str
    options: list[Option]
    errors: list[str]


@dataclass
class MedicationRowView:
    index: int
    values: dict[str, str]
    names: dict[str, str]
    change_options: list[Option]


@dataclass
class FieldView:
    name: str
    id: str
    label: str
    kind: str
    required: bool
    help: str
    value: Any
    errors: list[str]
    options: list[Option] = field(default_factory=list)
    min: Any = None
    max: Any = None
    unit: str = ""
    anchors: tuple[str, str] | None = None
    multiline: bool = True
    risk_items: list[RiskItemView] = field(default_factory=list)
    risk_actions_name: str = ""
    risk_actions_label: str = RISK_ACTIONS_LABEL
    risk_actions: str = ""
    medication_rows: list[MedicationRowView] = field(default_factory=list)
    step: str = "1"


@dataclass
class SectionView:
    key: str
    title: str
    help: str
    fields: list[FieldView]


def _id(name: str) -> str:
    return "f-" + name.replace(".", "-")


def build_sections(
    schema: TemplateSchema,
    scope: Scope | str,
    content: Mapping[str, Any] | None,
    errors: Sequence[FieldError] = (),
    *,
    prefix: str,
    objectives: Mapping[str, str] | None = None,
    defaults: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[SectionView]:
    content = content or {}
    by_path: dict[str, list[str]] = {}
    for e in errors:
        by_path.setdefault(e.path, []).append(e.message if e.path.count(".") <= 1 else str(e))
    out = []
    for section in schema.sections_for(scope):
        values = content.get(section.key) or {}
        fviews = []
        for spec in section.fields:
            name = form_name(prefix, section.key, spec.key)
            path = f"{section.key}.{spec.key}"
            value = values.get(spec.key)
            if value in (None, "", [], {}) and defaults:
                value = (defaults.get(section.key) or {}).get(spec.key, value)
            errs = [m for p, msgs in by_path.items() if p == path or p.startswith(path + ".") for m in msgs]
            fv = FieldView(name=name, id=_id(name), label=spec.label, kind=str(spec.kind), required=spec.required,
                           help=spec.help, value=value, errors=errs, min=spec.min, max=spec.max, unit=spec.unit,
                           anchors=spec.anchors, multiline=spec.multiline,
                           step="1" if spec.integer or spec.kind == FieldKind.SCALE else "any")
            if spec.kind == FieldKind.CHOICE:
                fv.options = [Option(c.value, c.label, c.value == value) for c in spec.choices]
            elif spec.kind == FieldKind.MULTI_CHOICE:
                chosen = set(value or [])
                fv.options = [Option(c.value, c.label, c.value in chosen) for c in spec.choices]
            elif spec.kind == FieldKind.OBJECTIVES:
                chosen = list(value or [])
                known = dict(objectives or {})
                fv.options = [Option(k, lbl, k in chosen) for k, lbl in known.items()]
                # a linked objective no longer on the current plan is still shown (and can be unticked)
                fv.options += [Option(k, "(objective no longer on the current plan)", True)
                               for k in chosen if k not in known]
            elif spec.kind == FieldKind.SCALE:
                lo, hi = int(spec.min or 0), int(spec.max or 0)
                fv.options = [Option(str(i), str(i), value == i) for i in range(lo, hi + 1)]
            elif spec.kind == FieldKind.RISK:
                block = value if isinstance(value, Mapping) else {}
                for item, (label, choices) in RISK_ITEMS.items():
                    iname = f"{name}.{item}"
                    fv.risk_items.append(RiskItemView(
                        name=iname, id=_id(iname), label=label,
                        options=[Option(c, lbl, block.get(item) == c) for c, lbl in choices],
                        errors=by_path.get(f"{path}.{item}", [])))
                fv.risk_actions_name = f"{name}.{RISK_ACTIONS_KEY}"
                fv.risk_actions = str(block.get(RISK_ACTIONS_KEY) or "")
                fv.errors = by_path.get(path, []) + by_path.get(f"{path}.{RISK_ACTIONS_KEY}", [])
            elif spec.kind == FieldKind.MEDICATIONS:
                rows = list(value or [])
                rows += [{}] * (max(3, len(rows) + 1) - len(rows))
                for i, row in enumerate(rows):
                    fv.medication_rows.append(MedicationRowView(
                        index=i,
                        values={k: str(row.get(k) or "") for k in MEDICATION_ROW_KEYS},
                        names={k: f"{name}.{i}.{k}" for k in MEDICATION_ROW_KEYS},
                        change_options=[Option(c, lbl, row.get("change") == c) for c, lbl in MEDICATION_CHANGES],
                    ))
            fviews.append(fv)
        out.append(SectionView(key=section.key, title=section.title, help=section.help, fields=fviews))
    return out


def post_lists(post: Any) -> dict[str, list[str]]:
    """QueryDict -> {name: [values]} (QueryDict.get would drop all but the last value of a multi-choice)."""
    return {k: v for k, v in post.lists()}


@dataclass
class ParsedNoteForm:
    version: int | None
    shared: dict[str, Any] | None
    participants: dict[str, dict[str, Any]]
    coercion_errors: dict[str, list[FieldError]]
    bases: dict[str, str] | None = None  # section -> hash as loaded ("shared", participant ids)


BASE_PREFIX = "base-"


def parse_note_form(schema: TemplateSchema, post: Any, participant_keys: Sequence[str]) -> ParsedNoteForm:
    data = post_lists(post)
    try:
        version = int(post.get("version", ""))
    except (TypeError, ValueError):
        version = None
    errors: dict[str, list[FieldError]] = {}
    shared = None
    if schema.sections_for(Scope.SHARED) and any(k.startswith(SHARED_PREFIX) for k in data):
        shared, errs = content_from_form(schema, Scope.SHARED, data, prefix=SHARED_PREFIX)
        if errs:
            errors["shared"] = errs
    participants = {}
    for key in participant_keys:
        prefix = participant_prefix(key)
        if not any(k.startswith(prefix) for k in data):
            continue
        content, errs = content_from_form(schema, Scope.PARTICIPANT, data, prefix=prefix)
        participants[key] = content
        if errs:
            errors[key] = errs
    bases = {k[len(BASE_PREFIX):]: str(v) for k, v in post.items() if k.startswith(BASE_PREFIX)} or None
    return ParsedNoteForm(version=version, shared=shared, participants=participants, coercion_errors=errors,
                          bases=bases)


class AddendumForm(forms.Form):
    text = forms.CharField(label="Addendum", widget=forms.Textarea(attrs={"rows": 4}), max_length=20_000)
    episode = forms.ChoiceField(label="About", required=False)

    def __init__(self, *args: Any, patient_choices: Sequence[tuple[str, str]] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        # only a group note (several patients) is shown in every attendee's chart
        whole = "The whole note (shown in every attendee's chart)" if len(patient_choices) > 1 else "The whole note"
        self.fields["episode"].choices = [("", whole), *patient_choices]


class DateRangeForm(forms.Form):
    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "The end date must be on or after the start date.")
        return data


class PrivateNoteForm(forms.Form):
    kind = forms.ChoiceField(label="Kind")
    text = forms.CharField(label="Private note", widget=forms.Textarea(attrs={"rows": 10}), max_length=100_000)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        from .models import PrivateNoteKind

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = PrivateNoteKind.choices


class TemplateCreateForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    key = forms.SlugField(label="Key", max_length=64, help_text="Lower-case letters, digits and underscores.")
    service_type = forms.ChoiceField(label="Service type")
    copy_from = forms.ChoiceField(label="Start from")
    make_default = forms.BooleanField(label="Make it the default for this service type", required=False)

    def __init__(self, *args: Any, templates: Sequence[Any] = (), service_types: Sequence[tuple[str, str]] = (),
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["service_type"].choices = list(service_types)
        self.fields["copy_from"].choices = [(str(t.public_id), t.name) for t in templates]

    def clean_key(self) -> str:
        import re

        key = self.cleaned_data["key"]
        if not re.match(r"^[a-z][a-z0-9_]{0,62}$", key):
            raise forms.ValidationError("Use lower-case letters, digits and underscores, starting with a letter.")
        return key
