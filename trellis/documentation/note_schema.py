"""Note templates as data, and validation of note content against a template version.

Pure module: no Django imports. A template version is stored as JSON (``NoteTemplateVersion.schema``)
and parsed into the frozen dataclasses below. Note content is stored as JSON shaped like the template::

    {"<section key>": {"<field key>": <value>, ...}, ...}

Sections have a *scope*:

- ``shared``: written once per note (the group's topic, interventions, start/end times);
- ``participant``: written once per patient (participation, mood/affect, progress toward that patient's own
  plan objectives, risk). Only this part, plus the shared part, ever appears in a patient's chart.

Field kinds: text, choice, multi_choice, scale, objectives (links to the patient's current treatment-plan
objectives), risk (a structured risk-assessment block), plus number (vitals), time (HH:MM session start/stop
times) and medications (medication changes) which the medication-management and nursing templates need.

Two levels of checking:
- ``validate_content(..., require_complete=False)`` for drafts: values must have the right shape, but
  required fields may be empty;
- ``validate_content(..., require_complete=True)`` before signing: required fields must be filled.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FieldKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    SCALE = "scale"
    OBJECTIVES = "objectives"
    RISK = "risk"
    NUMBER = "number"
    TIME = "time"
    MEDICATIONS = "medications"


class Scope(StrEnum):
    SHARED = "shared"
    PARTICIPANT = "participant"


class SchemaError(ValueError):
    """A template definition is malformed (raised when parsing a template, never for note content)."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


# --- Risk-assessment block -------------------------------------------------------------------------------
# Screening items follow the Columbia Suicide Severity Rating Scale screener categories (Posner K, et al.
# Am J Psychiatry 2011;168:1266-1277) and The Joint Commission National Patient Safety Goal NPSG.15.01.01
# (behavioral health care: screen for suicide risk, assess, document overall risk level and the plan to
# mitigate it). When risk is anything but low, the actions taken must be documented.
RISK_ITEMS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "suicidal_ideation": (
        "Suicidal ideation",
        (
            ("denied", "Denied"),
            ("passive", "Passive (wish to be dead)"),
            ("active_no_plan", "Active, no plan or intent"),
            ("active_plan", "Active with plan or intent"),
        ),
    ),
    "homicidal_ideation": (
        "Homicidal ideation",
        (("denied", "Denied"), ("present", "Present")),
    ),
    "self_harm": (
        "Self-harm",
        (("denied", "Denied"), ("urges", "Urges, no behavior"), ("recent", "Recent behavior")),
    ),
    "risk_level": (
        "Overall risk level",
        (("low", "Low"), ("moderate", "Moderate"), ("high", "High")),
    ),
}
RISK_ACTIONS_KEY = "actions"
RISK_ACTIONS_LABEL = "Actions taken (safety plan, supervisor or prescriber notified, higher level of care)"
RISK_NEGATIVE = {"denied"}

# --- Medication changes ----------------------------------------------------------------------------------
MEDICATION_CHANGES: tuple[tuple[str, str], ...] = (
    ("start", "Start"),
    ("increase", "Increase"),
    ("decrease", "Decrease"),
    ("stop", "Stop"),
    ("continue", "Continue unchanged"),
    ("hold", "Hold"),
)
MEDICATION_ROW_KEYS = ("medication", "change", "dose", "instructions")
MAX_MEDICATION_ROWS = 30

TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
DEFAULT_TEXT_MAX = 20_000


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    kind: FieldKind
    required: bool = False
    help: str = ""
    choices: tuple[Choice, ...] = ()
    min: float | None = None
    max: float | None = None
    unit: str = ""
    anchors: tuple[str, str] | None = None  # scale: labels of the low and high ends
    max_length: int = DEFAULT_TEXT_MAX
    multiline: bool = True
    after: str | None = None  # time: must be later than this field of the same section
    integer: bool = True  # number: whole numbers only

    def choice_label(self, value: str) -> str:
        for c in self.choices:
            if c.value == value:
                return c.label
        return value

    @property
    def choice_values(self) -> set[str]:
        return {c.value for c in self.choices}


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    scope: Scope
    fields: tuple[FieldSpec, ...]
    help: str = ""

    def field(self, key: str) -> FieldSpec | None:
        for f in self.fields:
            if f.key == key:
                return f
        return None


@dataclass(frozen=True)
class TemplateSchema:
    key: str
    name: str
    service_types: tuple[str, ...]
    sections: tuple[SectionSpec, ...]
    format: str = ""
    description: str = ""
    sources: tuple[str, ...] = ()

    def sections_for(self, scope: Scope | str | None) -> tuple[SectionSpec, ...]:
        if scope is None:
            return self.sections
        return tuple(s for s in self.sections if s.scope == Scope(scope))

    def section(self, key: str) -> SectionSpec | None:
        for s in self.sections:
            if s.key == key:
                return s
        return None

    @property
    def has_participant_sections(self) -> bool:
        return any(s.scope == Scope.PARTICIPANT for s in self.sections)

    def objective_fields(self) -> list[tuple[SectionSpec, FieldSpec]]:
        return [(s, f) for s in self.sections for f in s.fields if f.kind == FieldKind.OBJECTIVES]


# ---------------------------------------------------------------------------------------------------------
# Parsing (JSON data -> dataclasses) and serialising
# ---------------------------------------------------------------------------------------------------------
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def parse_template(data: Mapping[str, Any]) -> TemplateSchema:
    """Parse and check a template definition. Raises SchemaError listing every problem found."""
    try:
        return _parse_template(data)
    except SchemaError:
        raise
    except (TypeError, AttributeError, ValueError, KeyError, IndexError) as exc:
        raise SchemaError([f"the definition has the wrong shape ({type(exc).__name__}: {exc}); compare it with "
                           "a default template"]) from exc


def _parse_template(data: Mapping[str, Any]) -> TemplateSchema:
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise SchemaError(["a template definition must be an object"])
    key = str(data.get("key", ""))
    if not _KEY_RE.match(key):
        problems.append(f"template key {key!r} must be lower_snake_case")
    name = str(data.get("name", "")).strip()
    if not name:
        problems.append("template name is required")
    sections: list[SectionSpec] = []
    seen_sections: set[str] = set()
    raw_sections = data.get("sections") or []
    if not raw_sections:
        problems.append("a template needs at least one section")
    for s in raw_sections:
        skey = str(s.get("key", ""))
        if not _KEY_RE.match(skey):
            problems.append(f"section key {skey!r} must be lower_snake_case")
        if skey in seen_sections:
            problems.append(f"duplicate section key {skey!r}")
        seen_sections.add(skey)
        try:
            scope = Scope(s.get("scope", Scope.PARTICIPANT))
        except ValueError:
            problems.append(f"section {skey!r}: unknown scope {s.get('scope')!r}")
            scope = Scope.PARTICIPANT
        fields: list[FieldSpec] = []
        seen_fields: set[str] = set()
        for f in s.get("fields") or []:
            spec, fproblems = _parse_field(skey, f)
            problems.extend(fproblems)
            if spec is None:
                continue
            if spec.key in seen_fields:
                problems.append(f"section {skey!r}: duplicate field key {spec.key!r}")
            seen_fields.add(spec.key)
            fields.append(spec)
        if not fields:
            problems.append(f"section {skey!r} has no fields")
        for spec in fields:
            if spec.after and spec.after not in seen_fields:
                problems.append(f"section {skey!r}: field {spec.key!r} refers to unknown field {spec.after!r}")
        sections.append(
            SectionSpec(key=skey, title=str(s.get("title", skey)), scope=scope, fields=tuple(fields),
                        help=str(s.get("help", "")))
        )
    if problems:
        raise SchemaError(problems)
    return TemplateSchema(
        key=key,
        name=name,
        service_types=tuple(data.get("service_types") or ()),
        sections=tuple(sections),
        format=str(data.get("format", "")),
        description=str(data.get("description", "")),
        sources=tuple(data.get("sources") or ()),
    )


def _parse_field(section_key: str, f: Mapping[str, Any]) -> tuple[FieldSpec | None, list[str]]:
    problems: list[str] = []
    fkey = str(f.get("key", ""))
    where = f"section {section_key!r} field {fkey!r}"
    if not _KEY_RE.match(fkey):
        problems.append(f"{where}: key must be lower_snake_case")
    try:
        kind = FieldKind(f.get("kind", ""))
    except ValueError:
        return None, [*problems, f"{where}: unknown kind {f.get('kind')!r}"]
    choices = tuple(Choice(str(c[0]), str(c[1])) if isinstance(c, list | tuple)
                    else Choice(str(c["value"]), str(c["label"])) for c in f.get("choices") or ())
    if kind in (FieldKind.CHOICE, FieldKind.MULTI_CHOICE):
        if not choices:
            problems.append(f"{where}: a {kind} field needs choices")
        if len({c.value for c in choices}) != len(choices):
            problems.append(f"{where}: duplicate choice values")
    lo, hi = f.get("min"), f.get("max")
    if kind == FieldKind.SCALE and (lo is None or hi is None or not lo < hi):
        problems.append(f"{where}: a scale needs min < max")
    if kind == FieldKind.NUMBER and lo is not None and hi is not None and not lo < hi:
        problems.append(f"{where}: min must be below max")
    anchors = f.get("anchors")
    spec = FieldSpec(
        key=fkey,
        label=str(f.get("label", fkey)),
        kind=kind,
        required=bool(f.get("required", False)),
        help=str(f.get("help", "")),
        choices=choices,
        min=lo,
        max=hi,
        unit=str(f.get("unit", "")),
        anchors=(str(anchors[0]), str(anchors[1])) if anchors else None,
        max_length=int(f.get("max_length", DEFAULT_TEXT_MAX)),
        multiline=bool(f.get("multiline", True)),
        after=f.get("after"),
        integer=bool(f.get("integer", True)),
    )
    return spec, problems


def template_to_dict(t: TemplateSchema) -> dict[str, Any]:
    """Inverse of parse_template (for storing a version as JSON)."""

    def fdict(f: FieldSpec) -> dict[str, Any]:
        d: dict[str, Any] = {"key": f.key, "label": f.label, "kind": str(f.kind), "required": f.required}
        if f.help:
            d["help"] = f.help
        if f.choices:
            d["choices"] = [[c.value, c.label] for c in f.choices]
        if f.min is not None:
            d["min"] = f.min
        if f.max is not None:
            d["max"] = f.max
        if f.unit:
            d["unit"] = f.unit
        if f.anchors:
            d["anchors"] = list(f.anchors)
        if f.max_length != DEFAULT_TEXT_MAX:
            d["max_length"] = f.max_length
        if not f.multiline:
            d["multiline"] = False
        if f.after:
            d["after"] = f.after
        if not f.integer:
            d["integer"] = False
        return d

    return {
        "key": t.key,
        "name": t.name,
        "format": t.format,
        "description": t.description,
        "service_types": list(t.service_types),
        "sources": list(t.sources),
        "sections": [
            {"key": s.key, "title": s.title, "scope": str(s.scope), "help": s.help,
             "fields": [fdict(f) for f in s.fields]}
            for s in t.sections
        ],
    }


# ---------------------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FieldError:
    path: str  # "<section>.<field>" (or "<section>.<field>.<part>")
    label: str  # what the clinician sees: "Mood/affect"
    message: str

    def __str__(self) -> str:
        return f"{self.label}: {self.message}"


def is_empty(kind: FieldKind, value: Any) -> bool:
    if value is None:
        return True
    if kind in (FieldKind.TEXT, FieldKind.TIME, FieldKind.CHOICE):
        return isinstance(value, str) and not value.strip()
    if kind in (FieldKind.MULTI_CHOICE, FieldKind.OBJECTIVES, FieldKind.MEDICATIONS):
        return isinstance(value, list | tuple) and len(value) == 0
    if kind == FieldKind.RISK:
        return isinstance(value, Mapping) and not any(
            (v.strip() if isinstance(v, str) else v) for v in value.values()
        )
    return False


def empty_value(kind: FieldKind) -> Any:
    if kind in (FieldKind.MULTI_CHOICE, FieldKind.OBJECTIVES, FieldKind.MEDICATIONS):
        return []
    if kind == FieldKind.RISK:
        return {}
    if kind in (FieldKind.SCALE, FieldKind.NUMBER, FieldKind.CHOICE):
        return None
    return ""


def empty_content(schema: TemplateSchema, scope: Scope | str | None) -> dict[str, dict[str, Any]]:
    return {s.key: {f.key: empty_value(f.kind) for f in s.fields} for s in schema.sections_for(scope)}


def validate_content(
    schema: TemplateSchema,
    content: Any,
    *,
    scope: Scope | str | None,
    require_complete: bool,
    allowed_objectives: Collection[str] | None = None,
) -> list[FieldError]:
    """Check ``content`` for the sections of ``scope``. Returns an empty list when valid.

    ``allowed_objectives``: ids of the objectives on this patient's current treatment plan; any other id in an
    objectives field is refused (this is how "linking an objective from another patient's plan" is caught).
    ``None`` or empty means the patient has no current plan: no objective may be linked, and a required
    objectives field is waived (a patient admitted days ago may not have a signed plan yet; 42 CFR
    424.24(e) and program policy give the plan its own due date).
    """
    errors: list[FieldError] = []
    if content is None:
        content = {}
    if not isinstance(content, Mapping):
        return [FieldError("", "Note", "content must be an object of sections")]
    sections = schema.sections_for(scope)
    known = {s.key for s in sections}
    for skey in content:
        if skey not in known:
            errors.append(FieldError(str(skey), str(skey), "is not a section of this template version"))
    for section in sections:
        values = content.get(section.key) or {}
        if not isinstance(values, Mapping):
            errors.append(FieldError(section.key, section.title, "must be an object of fields"))
            continue
        fkeys = {f.key for f in section.fields}
        for fkey in values:
            if fkey not in fkeys:
                errors.append(FieldError(f"{section.key}.{fkey}", str(fkey),
                                         "is not a field of this template version"))
        for spec in section.fields:
            value = values.get(spec.key)
            path = f"{section.key}.{spec.key}"
            if is_empty(spec.kind, value):
                waived = spec.kind == FieldKind.OBJECTIVES and not allowed_objectives
                if require_complete and spec.required and not waived:
                    errors.append(FieldError(path, spec.label, "is required before signing"))
                continue
            errors.extend(_check_value(spec, path, value, allowed_objectives))
        errors.extend(_check_time_order(section, values))
    return errors


def _check_value(spec: FieldSpec, path: str, value: Any, allowed: Collection[str] | None) -> list[FieldError]:
    def err(msg: str, sub: str = "", label: str = "") -> list[FieldError]:
        return [FieldError(f"{path}.{sub}" if sub else path, label or spec.label, msg)]

    kind = spec.kind
    if kind == FieldKind.TEXT:
        if not isinstance(value, str):
            return err("must be text")
        if len(value) > spec.max_length:
            return err(f"is too long ({len(value)} characters; at most {spec.max_length})")
        return []
    if kind == FieldKind.CHOICE:
        if not isinstance(value, str) or value not in spec.choice_values:
            return err(f"choose one of: {', '.join(c.label for c in spec.choices)}")
        return []
    if kind == FieldKind.MULTI_CHOICE:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            return err("must be a list of choices")
        bad = [v for v in value if v not in spec.choice_values]
        if bad:
            return err(f"unknown choice(s) {', '.join(map(repr, bad))}")
        if len(set(value)) != len(value):
            return err("a choice is listed twice")
        return []
    if kind in (FieldKind.SCALE, FieldKind.NUMBER):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return err("must be a number")
        if (kind == FieldKind.SCALE or spec.integer) and int(value) != value:
            return err("must be a whole number")
        lo, hi = spec.min, spec.max
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            unit = f" {spec.unit}" if spec.unit else ""
            rng = f"between {_num(lo)} and {_num(hi)}" if lo is not None and hi is not None else (
                f"at least {_num(lo)}" if lo is not None else f"at most {_num(hi)}")
            return err(f"must be {rng}{unit}")
        return []
    if kind == FieldKind.TIME:
        if not isinstance(value, str) or not TIME_RE.match(value):
            return err("enter a time as HH:MM (24-hour)")
        return []
    if kind == FieldKind.OBJECTIVES:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            return err("must be a list of treatment-plan objectives")
        allowed_set = set(allowed or ())
        foreign = [v for v in value if v not in allowed_set]
        if foreign:
            return err("may only link objectives from this patient's current treatment plan "
                       f"({len(foreign)} objective(s) are not on it)")
        if len(set(value)) != len(value):
            return err("an objective is linked twice")
        return []
    if kind == FieldKind.RISK:
        return _check_risk(spec, path, value)
    if kind == FieldKind.MEDICATIONS:
        return _check_medications(spec, path, value)
    return err("has an unsupported kind")  # pragma: no cover - parse_template rejects unknown kinds


def _num(v: float | None) -> str:
    if v is None:
        return ""
    return str(int(v)) if float(v).is_integer() else str(v)


def _check_risk(spec: FieldSpec, path: str, value: Any) -> list[FieldError]:
    if not isinstance(value, Mapping):
        return [FieldError(path, spec.label, "must be a risk-assessment block")]
    errors: list[FieldError] = []
    allowed_keys = {*RISK_ITEMS, RISK_ACTIONS_KEY}
    for k in value:
        if k not in allowed_keys:
            errors.append(FieldError(f"{path}.{k}", spec.label, f"unknown item {k!r}"))
    for item, (label, choices) in RISK_ITEMS.items():
        v = value.get(item)
        if v in (None, ""):
            # Once a risk block is started, every screening item must be answered (NPSG.15.01.01: screen
            # and document the overall level of risk).
            errors.append(FieldError(f"{path}.{item}", f"{spec.label} – {label}", "answer this item"))
        elif v not in {c for c, _ in choices}:
            errors.append(FieldError(f"{path}.{item}", f"{spec.label} – {label}",
                                     f"choose one of: {', '.join(lbl for _, lbl in choices)}"))
    actions = value.get(RISK_ACTIONS_KEY) or ""
    if not isinstance(actions, str):
        errors.append(FieldError(f"{path}.{RISK_ACTIONS_KEY}", spec.label, "actions must be text"))
        actions = ""
    positive = any(value.get(item) not in (None, "", *RISK_NEGATIVE)
                   for item in ("suicidal_ideation", "homicidal_ideation", "self_harm"))
    elevated = value.get("risk_level") in ("moderate", "high")
    if (positive or elevated) and not actions.strip():
        errors.append(FieldError(f"{path}.{RISK_ACTIONS_KEY}", f"{spec.label} – actions taken",
                                 "describe the actions taken when any risk is present or the level is above low"))
    if (value.get("suicidal_ideation") == "active_plan" or value.get("self_harm") == "recent") and \
            value.get("risk_level") not in (None, "", "high"):
        # C-SSRS screen triage: a yes to Q4/Q5 (intent, plan with intent) or recent behaviour is high risk.
        errors.append(FieldError(f"{path}.risk_level", f"{spec.label} – Overall risk level",
                                 "must be high when active ideation with plan or intent, or recent self-harm, is "
                                 "reported (C-SSRS triage; TJC NPSG.15.01.01)"))
    return errors


def _check_medications(spec: FieldSpec, path: str, value: Any) -> list[FieldError]:
    if not isinstance(value, list | tuple):
        return [FieldError(path, spec.label, "must be a list of medication changes")]
    if len(value) > MAX_MEDICATION_ROWS:
        return [FieldError(path, spec.label, f"at most {MAX_MEDICATION_ROWS} rows")]
    errors: list[FieldError] = []
    changes = {c for c, _ in MEDICATION_CHANGES}
    for i, row in enumerate(value, start=1):
        where = f"{spec.label} row {i}"
        if not isinstance(row, Mapping):
            errors.append(FieldError(f"{path}.{i}", where, "must be a medication row"))
            continue
        for k in row:
            if k not in MEDICATION_ROW_KEYS:
                errors.append(FieldError(f"{path}.{i}.{k}", where, f"unknown item {k!r}"))
        for k in MEDICATION_ROW_KEYS:
            if row.get(k) is not None and not isinstance(row.get(k), str):
                errors.append(FieldError(f"{path}.{i}.{k}", where, f"{k} must be text"))
        if not str(row.get("medication") or "").strip():
            errors.append(FieldError(f"{path}.{i}.medication", where, "name the medication"))
        if row.get("change") not in changes:
            errors.append(FieldError(f"{path}.{i}.change", where,
                                     f"choose a change: {', '.join(lbl for _, lbl in MEDICATION_CHANGES)}"))
        elif row.get("change") in ("start", "increase", "decrease") and not str(row.get("dose") or "").strip():
            errors.append(FieldError(f"{path}.{i}.dose", where, "give the new dose"))
    return errors


def _check_time_order(section: SectionSpec, values: Mapping[str, Any]) -> list[FieldError]:
    errors = []
    for spec in section.fields:
        if spec.kind != FieldKind.TIME or not spec.after:
            continue
        start, end = values.get(spec.after), values.get(spec.key)
        if (isinstance(start, str) and TIME_RE.match(start) and isinstance(end, str) and TIME_RE.match(end)
                and end <= start):
            other = section.field(spec.after)
            errors.append(FieldError(f"{section.key}.{spec.key}", spec.label,
                                     f"must be later than {other.label if other else spec.after}"))
    return errors


def linked_objectives(schema: TemplateSchema, content: Mapping[str, Any] | None) -> list[str]:
    """All objective ids linked anywhere in ``content`` (in template order, without duplicates)."""
    out: list[str] = []
    content = content or {}
    for section, spec in schema.objective_fields():
        for v in (content.get(section.key) or {}).get(spec.key) or []:
            if v not in out:
                out.append(v)
    return out


def normalize_content(schema: TemplateSchema, scope: Scope | str | None, content: Any) -> dict[str, Any]:
    """A canonical form of ``content`` for comparing versions of a section (not for storage): every field of the
    scope present, empty values as None, line endings and risk/medication blocks normalised. Used to tell whether
    a user changed a section since they loaded it (three-way merge of concurrent drafts)."""
    content = content if isinstance(content, Mapping) else {}
    out: dict[str, Any] = {}
    for section in schema.sections_for(scope):
        values = content.get(section.key) if isinstance(content.get(section.key), Mapping) else {}
        norm: dict[str, Any] = {}
        for spec in section.fields:
            v = values.get(spec.key)
            if isinstance(v, str):
                v = v.replace("\r\n", "\n")
                if spec.kind != FieldKind.TEXT:
                    v = v.strip()
            if spec.kind == FieldKind.RISK and isinstance(v, Mapping):
                v = {k: (x.replace("\r\n", "\n") if isinstance(x, str) else x) for k, x in v.items() if x}
            if spec.kind == FieldKind.MEDICATIONS and isinstance(v, list | tuple):
                v = [{k: str((row or {}).get(k) or "").strip() for k in MEDICATION_ROW_KEYS}
                     for row in v if isinstance(row, Mapping) and any(row.values())]
            norm[spec.key] = None if is_empty(spec.kind, v) else v
        out[section.key] = norm
    return out


# ---------------------------------------------------------------------------------------------------------
# Form input (flat key -> list of strings, like QueryDict) -> content
# ---------------------------------------------------------------------------------------------------------
def form_name(prefix: str, section: str, field_key: str, *parts: str | int) -> str:
    return ".".join([f"{prefix}{section}", field_key, *map(str, parts)])


def content_from_form(
    schema: TemplateSchema,
    scope: Scope | str | None,
    data: Mapping[str, Sequence[str]],
    *,
    prefix: str = "",
) -> tuple[dict[str, dict[str, Any]], list[FieldError]]:
    """Build content from posted form data. Returns (content, coercion errors).

    Field names: ``{prefix}{section}.{field}``; risk items ``...{field}.{item}``; medication rows
    ``...{field}.{n}.{medication|change|dose|instructions}`` (n = 0..). Values that cannot be read (a scale of
    "abc") are reported and left empty so the rest of the draft is still kept.
    """

    # NUL characters cannot be stored (PostgreSQL text/jsonb) and never belong in a note: dropped.
    def get(name: str) -> str:
        v = data.get(name)
        if v is None:
            return ""
        if not isinstance(v, str):
            v = v[-1] if v else ""
        return v.replace("\x00", "")

    def getlist(name: str) -> list[str]:
        v = data.get(name)
        if v is None:
            return []
        if isinstance(v, str):
            v = [v]
        return [x.replace("\x00", "") for x in v if x]

    content: dict[str, dict[str, Any]] = {}
    errors: list[FieldError] = []
    for section in schema.sections_for(scope):
        out: dict[str, Any] = {}
        for spec in section.fields:
            name = form_name(prefix, section.key, spec.key)
            path = f"{section.key}.{spec.key}"
            if spec.kind in (FieldKind.TEXT,):
                out[spec.key] = get(name).replace("\r\n", "\n")
            elif spec.kind == FieldKind.TIME:
                out[spec.key] = get(name).strip()
            elif spec.kind == FieldKind.CHOICE:
                out[spec.key] = get(name).strip() or None
            elif spec.kind in (FieldKind.MULTI_CHOICE, FieldKind.OBJECTIVES):
                seen: list[str] = []
                for v in getlist(name):
                    if v not in seen:
                        seen.append(v)
                out[spec.key] = seen
            elif spec.kind in (FieldKind.SCALE, FieldKind.NUMBER):
                raw = get(name).strip()
                if not raw:
                    out[spec.key] = None
                else:
                    try:
                        num = float(raw)
                        if num != num or num in (float("inf"), float("-inf")):
                            raise ValueError(raw)
                        out[spec.key] = int(num) if num.is_integer() else num
                    except ValueError:
                        out[spec.key] = None
                        errors.append(FieldError(path, spec.label, "must be a number"))
            elif spec.kind == FieldKind.RISK:
                block = {item: get(f"{name}.{item}").strip() for item in RISK_ITEMS}
                block[RISK_ACTIONS_KEY] = get(f"{name}.{RISK_ACTIONS_KEY}").replace("\r\n", "\n")
                out[spec.key] = {k: v for k, v in block.items() if v}
            elif spec.kind == FieldKind.MEDICATIONS:
                rows = []
                for i in range(MAX_MEDICATION_ROWS):
                    row = {k: get(f"{name}.{i}.{k}").strip() for k in MEDICATION_ROW_KEYS}
                    if any(row.values()):
                        rows.append(row)
                out[spec.key] = rows
        content[section.key] = out
    return content, errors


# ---------------------------------------------------------------------------------------------------------
# Display (content -> labelled rows), shared by the HTML chart view and the PDF
# ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DisplayRow:
    label: str
    text: str


@dataclass(frozen=True)
class DisplaySection:
    title: str
    rows: tuple[DisplayRow, ...] = field(default_factory=tuple)


def display_value(spec: FieldSpec, value: Any, objective_labels: Mapping[str, str] | None = None) -> str:
    if is_empty(spec.kind, value):
        return "—"
    kind = spec.kind
    if kind == FieldKind.CHOICE:
        return spec.choice_label(value)
    if kind == FieldKind.MULTI_CHOICE:
        return ", ".join(spec.choice_label(v) for v in value)
    if kind == FieldKind.SCALE:
        anchors = f" ({spec.anchors[0]} … {spec.anchors[1]})" if spec.anchors else ""
        return f"{_num(value)} of {_num(spec.max)}{anchors}"
    if kind == FieldKind.NUMBER:
        return f"{_num(value)} {spec.unit}".strip()
    if kind == FieldKind.OBJECTIVES:
        labels = objective_labels or {}
        return "; ".join(labels.get(v, "(objective no longer on the plan)") for v in value)
    if kind == FieldKind.RISK:
        parts = []
        for item, (label, choices) in RISK_ITEMS.items():
            if value.get(item):
                parts.append(f"{label}: {dict(choices).get(value[item], value[item])}")
        if value.get(RISK_ACTIONS_KEY):
            parts.append(f"Actions: {value[RISK_ACTIONS_KEY]}")
        return "; ".join(parts)
    if kind == FieldKind.MEDICATIONS:
        changes = dict(MEDICATION_CHANGES)
        rows = []
        for row in value:
            bits = [row.get("medication", ""), changes.get(row.get("change", ""), row.get("change", ""))]
            if row.get("dose"):
                bits.append(row["dose"])
            if row.get("instructions"):
                bits.append(row["instructions"])
            rows.append(" – ".join(b for b in bits if b))
        return "\n".join(rows)
    return str(value)


def display_sections(
    schema: TemplateSchema,
    content: Mapping[str, Any] | None,
    *,
    scope: Scope | str | None,
    objective_labels: Mapping[str, str] | None = None,
) -> list[DisplaySection]:
    content = content or {}
    out = []
    for section in schema.sections_for(scope):
        values = content.get(section.key) or {}
        rows = tuple(
            DisplayRow(spec.label + (f" ({spec.unit})" if spec.unit and spec.kind != FieldKind.NUMBER else ""),
                       display_value(spec, values.get(spec.key), objective_labels))
            for spec in section.fields
        )
        out.append(DisplaySection(section.title, rows))
    return out
