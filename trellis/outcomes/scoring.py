"""Instrument definitions (plain data) and their scoring. Pure: no database, no Django.

An instrument is a JSON document (the shipped ones are in ``instruments/*.json``; an organization may upload its
own licensed instruments in the same format). ``parse_definition`` validates a document and returns a
``Definition``; ``score`` turns answers (item key -> option value) into scale scores, severity bands and
critical-item hits.

Format (every key below is checked by ``parse_definition``; see instruments/README.md for a worked example):

    key, version, name, short_name, lookback, preamble, licence{status, text, citation}, source,
    loinc{panel} (optional), option_sets{name: [{value, label}]},
    items: [{key, number, text, options (option-set name), scored (default true), required (default true),
             when (skip condition, optional), skip_value (value a skipped item counts as, default 0),
             critical ({gte: n, message}, optional), loinc (optional), cluster (optional)}],
    scales: [{key, label, items [item keys], multiplier (default 1), min, max, loinc (optional),
              bands [{min, max, label, severity 0..4}], caseness (optional), reliable_change (optional),
              higher_is_better (default false), caseness_bands (optional: two bands split at caseness),
              prorate ({max_missing, source}, optional), primary (exactly one scale may be primary)}],
    rules (optional): [{key, label, type: "clusters_min_count", threshold, clusters {cluster: min_count}}],
    method (optional): "sum" (default) or "cssrs" (the Columbia screen's triage in trellis.referrals.cssrs).

Skip conditions (``when``): {"item": k, "gte": n} | {"item": k, "equals": v} | {"any": [...]} | {"all": [...]}.
A skipped item must not be answered and counts as ``skip_value`` in its scales (e.g. AUDIT items 2-8 count 0
when item 1 is "Never": Babor et al., WHO AUDIT manual 2001, p. 17).

Partial answers: scales are scored only when every applicable item of the scale is answered, unless the
scale's ``prorate`` (taken from the instrument's manual, cited in ``source``) allows up to ``max_missing``
unanswered items, in which case the mean of the answered items replaces the missing ones (rounded half up).
Critical items are checked on partial answers too: a clinician must hear about a positive item 9 even if the
patient stopped there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from trellis.referrals import cssrs

LICENCE_STATUSES = ("public_domain", "free", "free_with_attribution", "licensed_by_organization")
METHODS = ("sum", "cssrs")
RULE_TYPES = ("clusters_min_count",)
INSTRUMENTS_DIR = Path(__file__).resolve().parent / "instruments"


class DefinitionError(ValueError):
    """A malformed instrument definition; ``errors`` lists every problem with its location."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


class AnswerError(ValueError):
    def __init__(self, message: str, item: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.item = item


@dataclass(frozen=True)
class Option:
    value: int
    label: str


@dataclass(frozen=True)
class Item:
    key: str
    number: str
    text: str
    options: tuple[Option, ...]
    scored: bool = True
    required: bool = True
    when: Mapping[str, Any] | None = None
    skip_value: int = 0
    critical_gte: int | None = None
    critical_message: str = ""
    loinc: str = ""
    cluster: str = ""

    def allowed(self) -> set[int]:
        return {o.value for o in self.options}

    def label_for(self, value: int | None) -> str:
        for o in self.options:
            if o.value == value:
                return o.label
        return ""


@dataclass(frozen=True)
class Band:
    min: int
    max: int
    label: str
    severity: int


@dataclass(frozen=True)
class Scale:
    key: str
    label: str
    items: tuple[str, ...]
    min: int
    max: int
    bands: tuple[Band, ...]
    multiplier: int = 1
    loinc: str = ""
    caseness: int | None = None
    reliable_change: int | None = None
    higher_is_better: bool = False
    caseness_bands: tuple[str, str] | None = None
    prorate_max_missing: int = 0
    primary: bool = False

    def band_for(self, value: int | None) -> Band | None:
        if value is None:
            return None
        for band in self.bands:
            if band.min <= value <= band.max:
                return band
        return None


@dataclass(frozen=True)
class Rule:
    key: str
    label: str
    type: str
    threshold: int
    clusters: Mapping[str, int]


@dataclass(frozen=True)
class Definition:
    key: str
    version: str
    name: str
    short_name: str
    lookback: str
    preamble: str
    licence_status: str
    licence_text: str
    citation: str
    source: str
    items: tuple[Item, ...]
    scales: tuple[Scale, ...]
    rules: tuple[Rule, ...] = ()
    method: str = "sum"
    loinc_panel: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def item_by_key(self) -> dict[str, Item]:
        return {i.key: i for i in self.items}

    @property
    def scale_by_key(self) -> dict[str, Scale]:
        return {s.key: s for s in self.scales}

    @property
    def primary_scale(self) -> Scale | None:
        return next((s for s in self.scales if s.primary), None)

    def with_overrides(self, overrides: Mapping[str, Mapping[str, Any]] | None) -> Definition:
        """Program/organization settings for a scale: ``{scale_key: {caseness, reliable_change}}``.

        With ``caseness_bands`` the two bands are re-split at the new cut-point (PCL-5: a provisional cut-point
        of 31-33 is suggested by the National Center for PTSD; programs choose theirs).
        """
        if not overrides:
            return self
        scales = []
        for s in self.scales:
            o = overrides.get(s.key) or {}
            caseness = int(o["caseness"]) if o.get("caseness") is not None else s.caseness
            rc = int(o["reliable_change"]) if o.get("reliable_change") is not None else s.reliable_change
            if caseness is not None and not s.min < caseness <= s.max:
                raise DefinitionError([f"{self.key}.{s.key}: cut-point {caseness} is outside {s.min + 1}-{s.max}"])
            bands = s.bands
            if s.caseness_bands and caseness is not None:
                below, above = s.caseness_bands
                bands = (Band(s.min, caseness - 1, below, 0), Band(caseness, s.max, above, 3))
            scales.append(_replace(s, caseness=caseness, reliable_change=rc, bands=bands))
        return _replace(self, scales=tuple(scales))


def _replace(obj: Any, **changes: Any) -> Any:
    return replace(obj, **changes)


# ---------------------------------------------------------------------------------------------------------
# Parsing and validation of a definition document
# ---------------------------------------------------------------------------------------------------------
def _req(d: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str, errors: list[str]) -> Any:
    if key not in d:
        errors.append(f"{where}: '{key}' is missing")
        return None
    value = d[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        name = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        errors.append(f"{where}: '{key}' must be a {name}")
        return None
    if isinstance(value, str) and not value.strip():
        errors.append(f"{where}: '{key}' is empty")
        return None
    return value


def _check_condition(cond: Any, where: str, item_keys: list[str], before: set[str], errors: list[str]) -> None:
    if not isinstance(cond, Mapping):
        errors.append(f"{where}: 'when' must be an object")
        return
    if "any" in cond or "all" in cond:
        parts = cond.get("any", cond.get("all"))
        if not isinstance(parts, list) or not parts:
            errors.append(f"{where}: 'any'/'all' must be a non-empty list")
            return
        for p in parts:
            _check_condition(p, where, item_keys, before, errors)
        return
    ref = cond.get("item")
    if ref not in item_keys:
        errors.append(f"{where}: 'when' refers to unknown item {ref!r}")
    elif ref not in before:
        errors.append(f"{where}: 'when' must refer to an earlier item, not {ref!r}")
    if not any(k in cond for k in ("gte", "equals")):
        errors.append(f"{where}: 'when' needs 'gte' or 'equals'")


def parse_definition(data: Any) -> Definition:
    """Validate a definition document and build it; raises DefinitionError listing every problem."""
    errors: list[str] = []
    if not isinstance(data, Mapping):
        raise DefinitionError(["The definition must be a JSON object."])
    key = _req(data, "key", str, "instrument", errors)
    where = f"instrument {key or '?'}"
    version = _req(data, "version", str, where, errors)
    name = _req(data, "name", str, where, errors)
    short = _req(data, "short_name", str, where, errors)
    lookback = _req(data, "lookback", str, where, errors)
    preamble = _req(data, "preamble", str, where, errors)
    source = _req(data, "source", str, where, errors)
    method = data.get("method", "sum")
    if method not in METHODS:
        errors.append(f"{where}: 'method' must be one of {', '.join(METHODS)}")
    if key is not None and not key.replace("_", "").isalnum():
        errors.append(f"{where}: 'key' may hold only letters, digits and _")
    lic = _req(data, "licence", Mapping, where, errors) or {}
    if lic:
        if lic.get("status") not in LICENCE_STATUSES:
            errors.append(f"{where}: licence.status must be one of {', '.join(LICENCE_STATUSES)}")
        for k in ("text", "citation"):
            if not isinstance(lic.get(k), str) or not lic.get(k, "").strip():
                errors.append(f"{where}: licence.{k} is missing")
    option_sets_raw = _req(data, "option_sets", Mapping, where, errors) or {}
    option_sets: dict[str, tuple[Option, ...]] = {}
    for set_name, opts in option_sets_raw.items():
        if not isinstance(opts, list) or not opts:
            errors.append(f"{where}: option set {set_name!r} must be a non-empty list")
            continue
        parsed = []
        for i, o in enumerate(opts):
            ow = f"{where}: option set {set_name!r} #{i + 1}"
            if not isinstance(o, Mapping):
                errors.append(f"{ow} must be an object")
                continue
            v, label = _req(o, "value", int, ow, errors), _req(o, "label", str, ow, errors)
            if v is not None and label is not None:
                parsed.append(Option(v, label))
        if len({o.value for o in parsed}) != len(parsed):
            errors.append(f"{where}: option set {set_name!r} repeats a value")
        option_sets[set_name] = tuple(parsed)

    items_raw = _req(data, "items", list, where, errors) or []
    item_keys = [i.get("key") for i in items_raw if isinstance(i, Mapping)]
    if len(set(item_keys)) != len(item_keys):
        errors.append(f"{where}: item keys must be unique")
    items: list[Item] = []
    seen: set[str] = set()
    for n, raw in enumerate(items_raw):
        iw = f"{where}: item #{n + 1}"
        if not isinstance(raw, Mapping):
            errors.append(f"{iw} must be an object")
            continue
        ik = _req(raw, "key", str, iw, errors)
        iw = f"{where}: item {ik or '#' + str(n + 1)}"
        text = _req(raw, "text", str, iw, errors)
        opt_name = _req(raw, "options", str, iw, errors)
        if opt_name is not None and opt_name not in option_sets:
            errors.append(f"{iw}: unknown option set {opt_name!r}")
        when = raw.get("when")
        if when is not None:
            _check_condition(when, iw, item_keys, seen, errors)
        crit = raw.get("critical")
        crit_gte = None
        if crit is not None:
            if not isinstance(crit, Mapping) or not isinstance(crit.get("gte"), int) or not crit.get("message"):
                errors.append(f"{iw}: 'critical' needs an integer 'gte' and a 'message'")
            else:
                crit_gte = crit["gte"]
        if ik is not None and text is not None and opt_name in option_sets:
            items.append(
                Item(
                    key=ik,
                    number=str(raw.get("number", n + 1)),
                    text=text,
                    options=option_sets[opt_name],
                    scored=bool(raw.get("scored", True)),
                    required=bool(raw.get("required", True)),
                    when=when,
                    skip_value=int(raw.get("skip_value", 0)),
                    critical_gte=crit_gte,
                    critical_message=(crit or {}).get("message", "") if isinstance(crit, Mapping) else "",
                    loinc=str(raw.get("loinc", "")),
                    cluster=str(raw.get("cluster", "")),
                )
            )
        if ik:
            seen.add(ik)
    if not items_raw:
        errors.append(f"{where}: 'items' is empty")

    by_key = {i.key: i for i in items}
    scales: list[Scale] = []
    scales_raw = _req(data, "scales", list, where, errors) or []
    for n, raw in enumerate(scales_raw):
        sw = f"{where}: scale #{n + 1}"
        if not isinstance(raw, Mapping):
            errors.append(f"{sw} must be an object")
            continue
        sk = _req(raw, "key", str, sw, errors)
        sw = f"{where}: scale {sk or '#' + str(n + 1)}"
        label = _req(raw, "label", str, sw, errors)
        s_items = _req(raw, "items", list, sw, errors) or []
        lo, hi = _req(raw, "min", int, sw, errors), _req(raw, "max", int, sw, errors)
        mult = raw.get("multiplier", 1)
        for ik in s_items:
            if ik not in item_keys:
                errors.append(f"{sw}: unknown item {ik!r}")
            elif ik in by_key and not by_key[ik].scored:
                errors.append(f"{sw}: item {ik!r} is marked not scored")
        if method == "sum" and lo is not None and hi is not None and all(k in by_key for k in s_items):
            calc_lo = sum(min(o.value for o in by_key[k].options) for k in s_items) * mult
            calc_hi = sum(max(o.value for o in by_key[k].options) for k in s_items) * mult
            if (lo, hi) != (calc_lo, calc_hi):
                errors.append(f"{sw}: min/max {lo}-{hi} do not match the items ({calc_lo}-{calc_hi})")
        bands: list[Band] = []
        for b in raw.get("bands", []):
            if not isinstance(b, Mapping) or not all(isinstance(b.get(k), int) for k in ("min", "max", "severity")):
                errors.append(f"{sw}: each band needs integer min, max and severity and a label")
                continue
            bands.append(Band(b["min"], b["max"], str(b.get("label", "")), b["severity"]))
        if bands and lo is not None and hi is not None:
            ordered = sorted(bands, key=lambda b: b.min)
            if ordered[0].min != lo or ordered[-1].max != hi:
                errors.append(f"{sw}: bands must cover {lo}-{hi}")
            for a, b in zip(ordered, ordered[1:], strict=False):
                if b.min != a.max + 1:
                    errors.append(f"{sw}: bands {a.label!r} and {b.label!r} leave a gap or overlap")
        caseness = raw.get("caseness")
        if caseness is not None and (not isinstance(caseness, int) or lo is None or hi is None
                                     or not lo < caseness <= hi):
            errors.append(f"{sw}: 'caseness' must be an integer within the scale's range")
        rc = raw.get("reliable_change")
        if rc is not None and (not isinstance(rc, int) or rc <= 0):
            errors.append(f"{sw}: 'reliable_change' must be a positive integer")
        prorate = raw.get("prorate")
        max_missing = 0
        if prorate is not None:
            if not isinstance(prorate, Mapping) or not isinstance(prorate.get("max_missing"), int) \
                    or not prorate.get("source"):
                errors.append(f"{sw}: 'prorate' needs an integer 'max_missing' and the 'source' that allows it")
            else:
                max_missing = prorate["max_missing"]
        cb = raw.get("caseness_bands")
        if cb is not None and (not isinstance(cb, list) or len(cb) != 2 or caseness is None):
            errors.append(f"{sw}: 'caseness_bands' needs two labels and a 'caseness'")
        if sk and label and lo is not None and hi is not None:
            scales.append(
                Scale(
                    key=sk, label=label, items=tuple(s_items), min=lo, max=hi, bands=tuple(bands),
                    multiplier=int(mult), loinc=str(raw.get("loinc", "")), caseness=caseness, reliable_change=rc,
                    higher_is_better=bool(raw.get("higher_is_better", False)),
                    caseness_bands=tuple(cb) if cb else None, prorate_max_missing=max_missing,
                    primary=bool(raw.get("primary", False)),
                )
            )
    if not scales_raw:
        errors.append(f"{where}: 'scales' is empty")
    if sum(1 for s in scales_raw if isinstance(s, Mapping) and s.get("primary")) > 1:
        errors.append(f"{where}: only one scale may be primary")

    rules: list[Rule] = []
    for n, raw in enumerate(data.get("rules", []) or []):
        rw = f"{where}: rule #{n + 1}"
        if not isinstance(raw, Mapping) or raw.get("type") not in RULE_TYPES:
            errors.append(f"{rw}: 'type' must be one of {', '.join(RULE_TYPES)}")
            continue
        clusters = raw.get("clusters")
        known = {i.cluster for i in items if i.cluster}
        if not isinstance(clusters, Mapping) or not set(clusters) <= known:
            errors.append(f"{rw}: 'clusters' must name item clusters ({', '.join(sorted(known)) or 'none'})")
            continue
        rules.append(Rule(str(raw.get("key")), str(raw.get("label")), raw["type"], int(raw.get("threshold", 0)),
                          dict(clusters)))

    if errors:
        raise DefinitionError(errors)
    return Definition(
        key=key, version=version, name=name, short_name=short, lookback=lookback, preamble=preamble,
        licence_status=lic["status"], licence_text=lic["text"], citation=lic["citation"], source=source,
        items=tuple(items), scales=tuple(scales), rules=tuple(rules), method=method,
        loinc_panel=str((data.get("loinc") or {}).get("panel", "")), raw=dict(data),
    )


def load_shipped() -> dict[str, Definition]:
    """The instruments that ship with Trellis (free to use; licence and citation in each file)."""
    found = {}
    for path in sorted(INSTRUMENTS_DIR.glob("*.json")):
        definition = parse_definition(json.loads(path.read_text(encoding="utf-8")))
        found[definition.key] = definition
    return found


# ---------------------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScaleScore:
    key: str
    label: str
    value: int | None
    band: str = ""
    severity: int | None = None
    prorated: bool = False
    missing: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "value": self.value, "band": self.band,
                "severity": self.severity, "prorated": self.prorated, "missing": self.missing}


@dataclass(frozen=True)
class CriticalHit:
    item: str
    value: int
    message: str


@dataclass(frozen=True)
class ScoreResult:
    complete: bool
    unanswered: tuple[str, ...]
    scales: dict[str, ScaleScore]
    critical: tuple[CriticalHit, ...]
    rules: dict[str, bool]

    @property
    def primary(self) -> ScaleScore | None:
        return next(iter(self.scales.values()), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "complete": self.complete,
            "unanswered": list(self.unanswered),
            "scales": {k: s.as_dict() for k, s in self.scales.items()},
            "critical": [{"item": c.item, "value": c.value, "message": c.message} for c in self.critical],
            "rules": dict(self.rules),
        }


def _condition_met(cond: Mapping[str, Any], answers: Mapping[str, int | None]) -> bool | None:
    """True/False, or None while an item the condition reads is unanswered."""
    if "any" in cond:
        results = [_condition_met(c, answers) for c in cond["any"]]
        return True if any(r is True for r in results) else (None if None in results else False)
    if "all" in cond:
        results = [_condition_met(c, answers) for c in cond["all"]]
        return False if any(r is False for r in results) else (None if None in results else True)
    value = answers.get(cond["item"])
    if value is None:
        return None
    if "gte" in cond:
        return value >= cond["gte"]
    return value == cond["equals"]


def applicable_items(defn: Definition, answers: Mapping[str, int | None]) -> list[Item]:
    """Items to ask given the answers so far (an item whose condition is still undecided is left out)."""
    return [i for i in defn.items if i.when is None or _condition_met(i.when, answers) is True]


def clean_answers(defn: Definition, answers: Mapping[str, Any]) -> dict[str, int]:
    """Check answers: known items, allowed values, none for skipped items. Returns {key: int}."""
    clean: dict[str, int] = {}
    items = defn.item_by_key
    for k, v in answers.items():
        if v is None or v == "":
            continue
        if k not in items:
            raise AnswerError(f"There is no question {k!r} on the {defn.short_name}.", item=k)
        if not isinstance(v, int | str) or isinstance(v, bool):
            raise AnswerError(f"Choose one of the answers for question {items[k].number}.", item=k)
        try:
            value = int(v)
        except (TypeError, ValueError):
            raise AnswerError(f"Choose one of the answers for question {items[k].number}.", item=k) from None
        if isinstance(v, bool) or value not in items[k].allowed():
            raise AnswerError(f"Choose one of the answers for question {items[k].number}.", item=k)
        clean[k] = value
    asked = {i.key for i in applicable_items(defn, clean)}
    for k in list(clean):
        if k not in asked:
            raise AnswerError(
                f"Question {items[k].number} is asked only after certain earlier answers; leave it blank.", item=k
            )
    return clean


def _round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def score(defn: Definition, answers: Mapping[str, Any]) -> ScoreResult:
    """Score what has been answered. Raises AnswerError for invalid answers."""
    clean = clean_answers(defn, answers)
    asked = applicable_items(defn, clean)
    asked_keys = {i.key for i in asked}
    # Items whose skip condition is still undecided are unanswered too (their trigger is unanswered).
    unanswered = tuple(i.key for i in asked if i.required and i.key not in clean)
    undecided = any(i.when is not None and _condition_met(i.when, clean) is None for i in defn.items)
    complete = not unanswered and not undecided

    critical = tuple(
        CriticalHit(i.key, clean[i.key], i.critical_message)
        for i in defn.items
        if i.critical_gte is not None and i.key in clean and clean[i.key] >= i.critical_gte
    )
    if defn.method == "cssrs":
        return _score_cssrs(defn, clean, complete, unanswered, critical)

    scales: dict[str, ScaleScore] = {}
    for s in defn.scales:
        values: list[int] = []
        missing = 0
        for k in s.items:
            if k in clean:
                values.append(clean[k])
            elif k not in asked_keys and all(
                i.when is None or _condition_met(i.when, clean) is not None for i in defn.items if i.key == k
            ):
                values.append(defn.item_by_key[k].skip_value)  # skipped by the instrument's own skip logic
            else:
                missing += 1
        value: int | None = None
        prorated = False
        if missing == 0:
            value = sum(values) * s.multiplier
        elif missing <= s.prorate_max_missing and values:
            mean = Decimal(sum(values)) / Decimal(len(values))
            value = _round_half_up(mean * len(s.items)) * s.multiplier
            prorated = True
        band = s.band_for(value)
        scales[s.key] = ScaleScore(s.key, s.label, value, band.label if band else "",
                                   band.severity if band else None, prorated, missing)
    rules = {}
    for r in defn.rules:
        if not complete:
            continue
        counts: dict[str, int] = {}
        for i in defn.items:
            if i.cluster and clean.get(i.key, 0) >= r.threshold:
                counts[i.cluster] = counts.get(i.cluster, 0) + 1
        rules[r.key] = all(counts.get(c, 0) >= n for c, n in r.clusters.items())
    return ScoreResult(complete, unanswered, scales, critical, rules)


CSSRS_RISK_ORDER = [cssrs.RiskLevel.NONE, cssrs.RiskLevel.LOW, cssrs.RiskLevel.MODERATE, cssrs.RiskLevel.HIGH]


def _score_cssrs(
    defn: Definition, clean: dict[str, int], complete: bool, unanswered: tuple[str, ...],
    critical: tuple[CriticalHit, ...],
) -> ScoreResult:
    """The Columbia screen: triage in trellis.referrals.cssrs (one implementation for intake and outcomes).

    Any "yes" is a positive screen and a critical answer (Columbia triage: every positive screen needs a
    clinician's follow-up the same day; HIGH needs immediate evaluation).
    """
    scale = defn.scales[0]
    if not complete:
        return ScoreResult(False, unanswered, {scale.key: ScaleScore(scale.key, scale.label, None)}, critical, {})
    result = cssrs.score({k: bool(v) for k, v in clean.items()})
    level = CSSRS_RISK_ORDER.index(result.risk)
    band = scale.band_for(level)
    hits = critical
    if result.risk is not cssrs.RiskLevel.NONE:
        hits = (CriticalHit(result.positive_items[0] if result.positive_items else "q1", level,
                            f"C-SSRS positive screen: {result.risk.label}. {result.recommendation}"),)
    return ScoreResult(True, (), {scale.key: ScaleScore(scale.key, scale.label, level, band.label if band else "",
                                                        band.severity if band else None)}, hits, {})
