"""Program admission criteria as data, and their evaluation (pure; no database).

A program declares a checklist of dimensions; each dimension lists the findings that
the admitting clinician may record and which of them meet the program's criteria.
The admitting clinician records one finding per dimension plus a rationale. If any
dimension is not met, admission needs an explicit override with a reason by a program
director: unmet criteria are a clinical judgement the program's leadership owns, and the
override and its reason stay on the record.

Templates shipped:

* ASAM_SIX_DIMENSIONS - the six assessment dimensions of The ASAM Criteria (Mee-Lee D,
  ed. The ASAM Criteria: Treatment Criteria for Addictive, Substance-Related, and
  Co-Occurring Conditions. 3rd ed. American Society of Addiction Medicine; 2013), with a
  0-4 risk rating per dimension (0 = no/minimal risk ... 4 = severe/imminent risk) as used
  in ASAM multidimensional assessment. Only the dimension names and the 0-4 rating scale
  are used; the ASAM decision rules (which are copyrighted) are NOT embedded - each
  program sets the highest rating it accepts per dimension. The 4th edition (2023)
  renamed the dimensions; both names are kept.
* MEDICARE_PHP / MEDICARE_IOP - the patient-eligibility statements a physician certifies
  under 42 CFR 424.24(e)(1) (PHP: would require inpatient psychiatric care in the absence
  of partial hospitalization; IOP: requires such services for a minimum of 9 hours per
  week, Social Security Act 1861(ff)(3)(A) as amended by CAA 2023 sec. 4124), plus
  clinical findings programs commonly require. Wording of the regulatory statements is
  paraphrased; confirm against the current eCFR text.

LOCUS is deliberately not included (it requires a licence from AACP).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Finding:
    key: str
    label: str
    meets: bool


@dataclass(frozen=True, slots=True)
class Dimension:
    key: str
    name: str
    description: str
    findings: tuple[Finding, ...]
    source: str = ""

    def finding(self, key: str) -> Finding | None:
        return next((f for f in self.findings if f.key == key), None)


@dataclass(frozen=True, slots=True)
class CriteriaSet:
    key: str
    name: str
    source: str
    dimensions: tuple[Dimension, ...]

    def to_data(self) -> dict[str, Any]:
        """JSON-serialisable form (stored on the program as data)."""
        return {
            "key": self.key,
            "name": self.name,
            "source": self.source,
            "dimensions": [
                {
                    "key": d.key,
                    "name": d.name,
                    "description": d.description,
                    "source": d.source,
                    "findings": [{"key": f.key, "label": f.label, "meets": f.meets} for f in d.findings],
                }
                for d in self.dimensions
            ],
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> CriteriaSet:
        try:
            dims = tuple(
                Dimension(
                    key=str(d["key"]),
                    name=str(d["name"]),
                    description=str(d.get("description", "")),
                    source=str(d.get("source", "")),
                    findings=tuple(
                        Finding(str(f["key"]), str(f["label"]), bool(f["meets"])) for f in d["findings"]
                    ),
                )
                for d in data["dimensions"]
            )
        except (KeyError, TypeError) as exc:
            raise CriteriaError(f"Admission criteria data is malformed: missing {exc}.") from exc
        if not dims:
            raise CriteriaError("Admission criteria need at least one dimension.")
        keys = [d.key for d in dims]
        if len(set(keys)) != len(keys):
            raise CriteriaError("Admission criteria dimensions must have unique keys.")
        for d in dims:
            if not d.findings:
                raise CriteriaError(f"Dimension {d.name!r} needs at least one finding.")
        return cls(
            key=str(data.get("key", "custom")),
            name=str(data.get("name", "Admission criteria")),
            source=str(data.get("source", "")),
            dimensions=dims,
        )


class CriteriaError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True, slots=True)
class Evaluation:
    met: bool
    unmet: tuple[str, ...]  # dimension names not met

    @property
    def summary(self) -> str:
        if self.met:
            return "All admission criteria met."
        return "Criteria not met: " + "; ".join(self.unmet) + "."


def evaluate(criteria: CriteriaSet, findings: dict[str, str]) -> Evaluation:
    """findings: dimension key -> finding key. Every dimension must be answered."""
    unmet: list[str] = []
    for dim in criteria.dimensions:
        chosen = findings.get(dim.key)
        if not chosen:
            raise CriteriaError(f"Record a finding for {dim.name}.", field=dim.key)
        finding = dim.finding(chosen)
        if finding is None:
            raise CriteriaError(f"Choose one of the listed findings for {dim.name}.", field=dim.key)
        if not finding.meets:
            unmet.append(dim.name)
    extra = set(findings) - {d.key for d in criteria.dimensions}
    if extra:
        raise CriteriaError(f"Unknown criteria dimension(s): {', '.join(sorted(extra))}.")
    return Evaluation(met=not unmet, unmet=tuple(unmet))


ASAM_SOURCE = (
    "The ASAM Criteria, 3rd ed. (Mee-Lee D, ed., American Society of Addiction Medicine, 2013): "
    "six assessment dimensions, risk rating 0-4; 4th ed. (2023) names in parentheses"
)

# (key, 3rd-edition name, 4th-edition name)
ASAM_DIMENSIONS: tuple[tuple[str, str, str], ...] = (
    ("d1", "Acute intoxication and/or withdrawal potential", "Intoxication, withdrawal, and addiction medications"),
    ("d2", "Biomedical conditions and complications", "Biomedical conditions"),
    ("d3", "Emotional, behavioral, or cognitive conditions and complications", "Psychiatric and cognitive conditions"),
    ("d4", "Readiness to change", "Substance use-related risks"),
    ("d5", "Relapse, continued use, or continued problem potential", "Recovery environment interactions"),
    ("d6", "Recovery/living environment", "Person-centered considerations"),
)
# NB: the 4th edition reorganised content between dimensions; the pairing above is by
# position only, for display. Programs choose which edition they document against.

RISK_LABELS = (
    (0, "0 - No risk or stable"),
    (1, "1 - Mild"),
    (2, "2 - Moderate"),
    (3, "3 - Significant"),
    (4, "4 - Severe / imminent"),
)


def asam_criteria(max_rating: dict[str, int] | None = None, *, name: str = "ASAM six dimensions") -> CriteriaSet:
    """ASAM dimensions with a 0-4 risk rating; ratings above the program's maximum for the
    dimension do not meet the program's criteria. Defaults (program-configurable, not ASAM
    rules): ratings up to 2 accepted, except dimension 1 (withdrawal) up to 1."""
    limits = {"d1": 1, "d2": 2, "d3": 2, "d4": 3, "d5": 3, "d6": 3}
    limits.update(max_rating or {})
    dims = []
    for key, name3, name4 in ASAM_DIMENSIONS:
        dims.append(
            Dimension(
                key=key,
                name=f"Dimension {key[1]}: {name3}",
                description=f"4th edition: {name4}",
                source=ASAM_SOURCE,
                findings=tuple(
                    Finding(f"r{rating}", label, rating <= limits[key]) for rating, label in RISK_LABELS
                ),
            )
        )
    return CriteriaSet(key="asam", name=name, source=ASAM_SOURCE, dimensions=tuple(dims))


_YES_NO_MEETS = (Finding("yes", "Yes", True), Finding("no", "No", False))
_NO_YES_MEETS = (Finding("no", "No", True), Finding("yes", "Yes", False))

MEDICARE_PHP = CriteriaSet(
    key="php_mh",
    name="Partial hospitalization (mental health)",
    source="42 CFR 410.43 and 424.24(e)(1) (PHP); confirm wording against the current eCFR",
    dimensions=(
        Dimension(
            "inpatient_alternative",
            "Would require inpatient psychiatric care in the absence of partial hospitalization",
            "Physician certification content, 42 CFR 424.24(e)(1).",
            _YES_NO_MEETS,
            "42 CFR 424.24(e)(1)",
        ),
        Dimension(
            "active_treatment",
            "Able to participate in and benefit from active treatment",
            "42 CFR 410.43(a)(1)-(2): reasonable and necessary, expected to improve or maintain condition.",
            _YES_NO_MEETS,
            "42 CFR 410.43(a)",
        ),
        Dimension(
            "needs_24h",
            "Needs 24-hour supervision (imminent danger to self or others)",
            "If yes, the patient needs a higher level of care.",
            _NO_YES_MEETS,
            "Program policy",
        ),
        Dimension(
            "support",
            "Has a safe place to stay and supports outside program hours",
            "",
            _YES_NO_MEETS,
            "Program policy",
        ),
    ),
)

MEDICARE_IOP = CriteriaSet(
    key="iop_mh",
    name="Intensive outpatient (mental health)",
    source="42 CFR 410.44 and 424.24(e)(1) (IOP, from 1 Jan 2024); confirm wording against the current eCFR",
    dimensions=(
        Dimension(
            "nine_hours",
            "Requires intensive outpatient services for a minimum of 9 hours per week",
            "Physician certification content for IOP, 42 CFR 424.24(e)(1).",
            _YES_NO_MEETS,
            "42 CFR 424.24(e)(1); SSA 1861(ff)(3)(A) as amended by CAA 2023 sec. 4124",
        ),
        Dimension(
            "active_treatment",
            "Able to participate in and benefit from active treatment",
            "",
            _YES_NO_MEETS,
            "42 CFR 410.44(a)",
        ),
        Dimension(
            "needs_php",
            "Needs daily structured treatment (partial hospitalization or higher)",
            "If yes, recommend PHP or higher.",
            _NO_YES_MEETS,
            "Program policy",
        ),
    ),
)

TEMPLATES: dict[str, CriteriaSet] = {
    "asam": asam_criteria(),
    "php_mh": MEDICARE_PHP,
    "iop_mh": MEDICARE_IOP,
}
