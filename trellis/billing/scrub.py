"""Claim scrubber (pure): one rule per check, each failure says what to fix and where.

Input is plain data (`ClaimFacts`), gathered by billing.services from the claim, its lines, the documentation
and attendance selectors and the coverage boundary. Rules and their sources:

- documentation      signed (and, for supervised clinicians, co-signed) note for every service line
                     (Medicare Program Integrity Manual, Pub. 100-08 ch. 3 §3.3.2.4: services must be
                     documented and signed; Medicare Benefit Policy Manual ch. 6 §70.3 for PHP/IOP)
- per_diem_minimum   per-diem day at or above the payer/program's daily minimum (payer contract; the compliance
                     engine's billable-day decision when it is connected)
- authorization      an authorization in force on each date, for the code, with units left (payer contract)
- coverage_active    coverage active on every date of service (payer eligibility)
- diagnosis_codes    at least one diagnosis, every one a billable ICD-10-CM code (ICD-10-CM Official Guidelines
                     I.B.2; HIPAA code set 45 CFR 162.1002)
- npi                billing, rendering, attending and supervising NPIs pass the check digit (CMS NPI check-digit
                     rule: Luhn over 80840 + NPI)
- credentialing      rendering clinician credentialed with the payer, when the payer's roster is recorded
- timely_filing      the payer's filing limit from the earliest date of service (Medicare: 12 months,
                     42 CFR 424.44)
- part2_consent      a 42 CFR Part 2 patient has a consent in force naming the payer (42 CFR 2.31, 2.33)
- claim_total        claim total equals the sum of the line charges (837 IG: CLM02 = sum of SV102/SV203)
- diagnosis_pointers every pointer refers to a diagnosis on the claim, at most 4 per line (837P IG SV107)
- has_lines          a claim has at least one line
- line_amounts       charges positive and units positive
- procedure_codes    every procedure code is in the billing catalogue (so a typo cannot be billed)
- billing_provider   the site (billing provider) has a 9-digit ZIP+4 and a 9-digit EIN (837 IG 2010AA N403, REF*EI)
- payer_id           payer id present and well formed (alphanumeric, 2-80 characters: NM109 AN 2/80)
- frequency          a replacement (7) or void (8) carries the payer's claim number (837 IG REF*F8)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from trellis.billing import catalog
from trellis.billing.boundary import AuthorizationInfo, CoverageInfo
from trellis.core.validators import is_valid_npi
from trellis.referrals import icd10


@dataclass(frozen=True)
class LineFacts:
    number: int
    code: str
    service_date: date
    charge: Decimal
    units: Decimal
    diagnosis_pointers: tuple[int, ...] = (1,)
    per_diem: bool = False
    documentation: str = "complete"  # complete, unsigned, awaiting_cosign, missing
    day_minutes: int | None = None  # per diem: treatment minutes that day
    day_minimum: int | None = None  # per diem: the daily minimum (profile or compliance engine)
    billable_day_reason: str = ""  # compliance engine's reason when it says the day is not billable


@dataclass(frozen=True)
class ClaimFacts:
    reference: str  # patient control number: how the biller finds the claim
    claim_type: str  # professional / institutional
    total_charge: Decimal
    lines: tuple[LineFacts, ...]
    diagnosis_codes: tuple[str, ...]
    billing_npi: str
    payer_identifier: str
    payer_name: str
    coverage: CoverageInfo | None
    today: date
    timely_filing_days: int = 365
    rendering_npi: str = ""
    attending_npi: str = ""
    supervising_npi: str = ""
    authorization: AuthorizationInfo | None = None
    authorization_required: bool = True
    credentialed_npis: frozenset[str] | None = None
    part2: bool = False
    part2_consent_to_payer: bool = False
    frequency_code: str = "1"
    payer_claim_number: str = ""
    extra_authorizations: tuple[AuthorizationInfo, ...] = field(default=())
    rendering_named: bool = False  # a rendering clinician is on the claim (then their NPI is required)
    supervising_named: bool = False  # likewise for a supervising clinician (837P 2310D needs an NPI)
    billing_postal_code: str = "000000000"
    billing_tax_id: str = "000000000"


@dataclass(frozen=True)
class Problem:
    rule: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


Rule = Callable[[ClaimFacts], list[Problem]]
RULES: dict[str, Rule] = {}


def rule(name: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES[name] = fn
        return fn

    return register


def scrub(facts: ClaimFacts) -> list[Problem]:
    problems: list[Problem] = []
    for fn in RULES.values():
        problems.extend(fn(facts))
    return problems


def _line(facts: ClaimFacts, line: LineFacts) -> str:
    return f"Claim {facts.reference} line {line.number} ({line.code}, {line.service_date:%Y-%m-%d})"


@rule("has_lines")
def has_lines(facts: ClaimFacts) -> list[Problem]:
    if facts.lines:
        return []
    return [Problem("has_lines", f"Claim {facts.reference}", "The claim has no service lines: add the charges "
                    "it bills or void it.")]


@rule("documentation")
def documentation(facts: ClaimFacts) -> list[Problem]:
    text = {
        "unsigned": "the note is not signed: ask the clinician to sign it (Notes to sign).",
        "awaiting_cosign": "the note awaits the supervisor's co-signature: ask the supervisor to co-sign it.",
        "missing": "no note documents this service: the clinician must write and sign it.",
    }
    return [
        Problem("documentation", _line(facts, line), text.get(line.documentation, text["missing"]))
        for line in facts.lines
        if line.documentation != "complete"
    ]


@rule("per_diem_minimum")
def per_diem_minimum(facts: ClaimFacts) -> list[Problem]:
    out = []
    for line in facts.lines:
        if not line.per_diem:
            continue
        if line.billable_day_reason:
            out.append(Problem("per_diem_minimum", _line(facts, line), f"the day is not billable: "
                               f"{line.billable_day_reason}. Remove the line or correct the attendance."))
        elif line.day_minimum is not None and (line.day_minutes or 0) < line.day_minimum:
            out.append(Problem(
                "per_diem_minimum", _line(facts, line),
                f"the patient attended {line.day_minutes or 0} minutes, below the {line.day_minimum}-minute "
                "per-diem minimum: correct the attendance minutes or remove the day from the claim.",
            ))
    return out


@rule("authorization")
def authorization(facts: ClaimFacts) -> list[Problem]:
    if not facts.authorization_required or not facts.lines:
        return []
    auths = [a for a in (facts.authorization, *facts.extra_authorizations) if a is not None]
    out = []
    used: dict[str, int] = {a.number: a.units_used for a in auths}
    for line in facts.lines:
        auth = next((a for a in auths if a.covers(line.service_date, line.code)), None)
        if auth is None:
            out.append(Problem("authorization", _line(facts, line),
                               f"no authorization from {facts.payer_name} covers this date and code: "
                               "request or record the authorization (Coverage) before billing."))
            continue
        used[auth.number] += int(line.units)
        if used[auth.number] > auth.units_authorized:
            out.append(Problem("authorization", _line(facts, line),
                               f"authorization {auth.number} has {auth.units_authorized} units and this line "
                               f"would be unit {used[auth.number]}: request more units (concurrent review)."))
    return out


@rule("coverage_active")
def coverage_active(facts: ClaimFacts) -> list[Problem]:
    if facts.coverage is None:
        return [Problem("coverage_active", f"Claim {facts.reference}",
                        "the patient has no coverage on file for this payer: add the coverage (Coverage tab).")]
    return [
        Problem("coverage_active", _line(facts, line),
                f"coverage with {facts.payer_name} is not active on this date: check eligibility and correct "
                "the coverage dates or bill the right payer.")
        for line in facts.lines
        if not facts.coverage.active_on(line.service_date)
    ]


@rule("diagnosis_codes")
def diagnosis_codes(facts: ClaimFacts) -> list[Problem]:
    where = f"Claim {facts.reference} diagnoses"
    if not facts.diagnosis_codes:
        return [Problem("diagnosis_codes", where, "no diagnosis: record the episode's ICD-10-CM diagnosis.")]
    out = []
    for index, code in enumerate(facts.diagnosis_codes, start=1):
        if not icd10.is_valid(code):
            out.append(Problem("diagnosis_codes", f"{where} #{index}",
                               f"{code} is not an ICD-10-CM code: correct the diagnosis on the episode."))
        elif not icd10.is_billable(code):
            out.append(Problem("diagnosis_codes", f"{where} #{index}",
                               f"{code} is a category, not a billable code: code it to the full number of "
                               "characters (ICD-10-CM guideline I.B.2)."))
    return out


@rule("npi")
def npi(facts: ClaimFacts) -> list[Problem]:
    checks = [("billing provider (site)", facts.billing_npi, True),
              ("rendering clinician", facts.rendering_npi, facts.rendering_named),
              ("attending clinician", facts.attending_npi, facts.claim_type == "institutional"),
              ("supervising clinician", facts.supervising_npi, facts.supervising_named)]
    out = []
    for who, value, required in checks:
        if not value:
            if required:
                out.append(Problem("npi", f"Claim {facts.reference} {who}",
                                   "the NPI is missing: enter it on the site or staff profile."))
            continue
        if not is_valid_npi(value):
            out.append(Problem("npi", f"Claim {facts.reference} {who}",
                               f"NPI {value} fails the check digit: correct it on the site or staff profile."))
    return out


@rule("credentialing")
def credentialing(facts: ClaimFacts) -> list[Problem]:
    if facts.credentialed_npis is None or not facts.rendering_npi:
        return []
    if facts.rendering_npi in facts.credentialed_npis:
        return []
    return [Problem("credentialing", f"Claim {facts.reference} rendering clinician",
                    f"NPI {facts.rendering_npi} is not credentialed with {facts.payer_name}: bill under a "
                    "credentialed clinician (supervisor) if the payer allows, or hold until credentialing.")]


@rule("timely_filing")
def timely_filing(facts: ClaimFacts) -> list[Problem]:
    if not facts.lines:
        return []
    first = min(line.service_date for line in facts.lines)
    deadline = first + timedelta(days=facts.timely_filing_days)
    if facts.today <= deadline:
        return []
    return [Problem("timely_filing", f"Claim {facts.reference}",
                    f"the {facts.timely_filing_days}-day filing limit of {facts.payer_name} passed on "
                    f"{deadline:%Y-%m-%d}: submit only with proof of timely filing, otherwise write it off.")]


@rule("part2_consent")
def part2_consent(facts: ClaimFacts) -> list[Problem]:
    if not facts.part2 or facts.part2_consent_to_payer:
        return []
    return [Problem("part2_consent", f"Claim {facts.reference}",
                    f"this is a 42 CFR Part 2 program and the patient has no consent in force naming "
                    f"{facts.payer_name}: obtain a Part 2 consent for disclosure to the payer (Consents) before "
                    "billing.")]


@rule("claim_total")
def claim_total(facts: ClaimFacts) -> list[Problem]:
    lines_total = sum((line.charge for line in facts.lines), Decimal("0"))
    if lines_total == facts.total_charge:
        return []
    return [Problem("claim_total", f"Claim {facts.reference}",
                    f"the claim total {facts.total_charge} is not the sum of its lines ({lines_total}): rebuild "
                    "the claim from its charges.")]


@rule("diagnosis_pointers")
def diagnosis_pointers(facts: ClaimFacts) -> list[Problem]:
    if facts.claim_type != "professional":
        return []
    out = []
    for line in facts.lines:
        bad = [p for p in line.diagnosis_pointers if not 1 <= p <= len(facts.diagnosis_codes)]
        if not line.diagnosis_pointers or len(line.diagnosis_pointers) > 4:
            out.append(Problem("diagnosis_pointers", _line(facts, line),
                               "each line needs 1 to 4 diagnosis pointers: point it at the claim's diagnoses."))
        elif bad:
            out.append(Problem("diagnosis_pointers", _line(facts, line),
                               f"diagnosis pointer {bad[0]} is out of range: the claim has "
                               f"{len(facts.diagnosis_codes)} diagnoses."))
    return out


@rule("line_amounts")
def line_amounts(facts: ClaimFacts) -> list[Problem]:
    return [
        Problem("line_amounts", _line(facts, line),
                "the charge and units must be greater than zero: correct the fee schedule or the charge.")
        for line in facts.lines
        if line.charge <= 0 or line.units <= 0
    ]


@rule("procedure_codes")
def procedure_codes(facts: ClaimFacts) -> list[Problem]:
    return [
        Problem("procedure_codes", _line(facts, line),
                f"{line.code} is not a code in the billing catalogue: correct the fee schedule row.")
        for line in facts.lines
        if not catalog.is_known_procedure(line.code)
    ]


@rule("billing_provider")
def billing_provider(facts: ClaimFacts) -> list[Problem]:
    out = []
    if len(re.sub(r"\D", "", facts.billing_postal_code)) != 9:
        out.append(Problem("billing_provider", f"Claim {facts.reference} billing provider (site)",
                           "the site's ZIP code needs all 9 digits (ZIP+4) on claims: complete it on the "
                           "Organization page."))
    if len(re.sub(r"\D", "", facts.billing_tax_id)) != 9:
        out.append(Problem("billing_provider", f"Claim {facts.reference} billing provider (site)",
                           "the site's tax id (EIN) needs 9 digits: correct it on the Organization page."))
    return out


_PAYER_ID = re.compile(r"^[A-Za-z0-9]{2,80}$")


@rule("payer_id")
def payer_id(facts: ClaimFacts) -> list[Problem]:
    if _PAYER_ID.match(facts.payer_identifier or ""):
        return []
    return [Problem("payer_id", f"Claim {facts.reference} payer",
                    f"payer id {facts.payer_identifier!r} is not valid (2-80 letters or digits, from the payer's "
                    "or clearinghouse's payer list): correct it on the payer.")]


@rule("frequency")
def frequency(facts: ClaimFacts) -> list[Problem]:
    if facts.frequency_code in ("7", "8") and not facts.payer_claim_number:
        return [Problem("frequency", f"Claim {facts.reference}",
                        "a replacement or void needs the payer's claim number from the remittance (REF*F8).")]
    if facts.frequency_code not in ("1", "7", "8"):
        return [Problem("frequency", f"Claim {facts.reference}", "the frequency code must be 1, 7 or 8.")]
    return []
