"""Scrubber: a clean claim passes; one test per rule shows that rule (and only it) fires, saying what to fix."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from trellis.billing import scrub
from trellis.billing.boundary import AuthorizationInfo, CoverageInfo, PayerInfo
from trellis.billing.scrub import ClaimFacts, LineFacts

DAY = date(2026, 1, 5)
PAYER = PayerInfo("ACME1", "Acme Health")
COVERAGE = CoverageInfo(PAYER, "ACM1", active_from=date(2025, 1, 1), active_to=date(2026, 12, 31))
AUTH = AuthorizationInfo("AUTH1", date(2026, 1, 1), date(2026, 1, 31), units_authorized=3)


def clean(**changes) -> ClaimFacts:  # noqa: ANN003
    lines = (
        LineFacts(1, "90853", DAY, Decimal("120"), Decimal("1"), (1, 2)),
        LineFacts(2, "90834", date(2026, 1, 6), Decimal("160"), Decimal("1"), (1,)),
    )
    base = ClaimFacts(
        reference="TR1", claim_type="professional", total_charge=Decimal("280"), lines=lines,
        diagnosis_codes=("F33.1", "F41.1"), billing_npi="1234567893", rendering_npi="1245319599",
        payer_identifier="ACME1", payer_name="Acme Health", coverage=COVERAGE, authorization=AUTH,
        today=date(2026, 1, 20),
    )
    return dataclasses.replace(base, **changes)


def rules_fired(facts: ClaimFacts) -> set[str]:
    return {p.rule for p in scrub.scrub(facts)}


def with_line(facts: ClaimFacts, index: int = 0, **changes) -> ClaimFacts:  # noqa: ANN003
    lines = list(facts.lines)
    lines[index] = dataclasses.replace(lines[index], **changes)
    return dataclasses.replace(facts, lines=tuple(lines))


def test_clean_claim_passes_every_rule() -> None:
    assert scrub.scrub(clean()) == []


@pytest.mark.parametrize(("status", "fix"), [("unsigned", "sign it"), ("awaiting_cosign", "co-sign"),
                                             ("missing", "write and sign")])
def test_documentation(status: str, fix: str) -> None:
    problems = scrub.scrub(with_line(clean(), 1, documentation=status))
    assert [p.rule for p in problems] == ["documentation"]
    assert "line 2 (90834, 2026-01-06)" in problems[0].where and fix in problems[0].message


def test_per_diem_minimum() -> None:
    facts = with_line(clean(), 0, per_diem=True, day_minutes=150, day_minimum=180)
    problems = scrub.scrub(facts)
    assert [p.rule for p in problems] == ["per_diem_minimum"]
    assert "150 minutes, below the 180-minute" in problems[0].message
    assert scrub.scrub(with_line(clean(), 0, per_diem=True, day_minutes=180, day_minimum=180)) == []
    engine = with_line(clean(), 0, per_diem=True, billable_day_reason="weekly hours below the minimum")
    assert rules_fired(engine) == {"per_diem_minimum"}


def test_authorization_missing_and_units_exhausted() -> None:
    missing = scrub.scrub(clean(authorization=None))
    assert {p.rule for p in missing} == {"authorization"} and len(missing) == 2
    assert "request or record the authorization" in missing[0].message
    exhausted = scrub.scrub(clean(authorization=dataclasses.replace(AUTH, units_used=2)))
    assert [p.rule for p in exhausted] == ["authorization"]
    assert "would be unit 4" in exhausted[0].message and "line 2" in exhausted[0].where
    expired = clean(authorization=dataclasses.replace(AUTH, end=DAY))
    assert [p.where for p in scrub.scrub(expired)] == ["Claim TR1 line 2 (90834, 2026-01-06)"]
    assert scrub.scrub(clean(authorization=None, authorization_required=False)) == []


def test_coverage_active() -> None:
    lapsed = clean(coverage=dataclasses.replace(COVERAGE, active_to=DAY))
    problems = scrub.scrub(lapsed)
    assert [p.rule for p in problems] == ["coverage_active"] and "line 2" in problems[0].where
    assert rules_fired(clean(coverage=None)) == {"coverage_active"}


@pytest.mark.parametrize(("codes", "fragment"), [((), "no diagnosis"), (("F33.1", "Z99.999"), "not an ICD-10-CM"),
                                                 (("F33.1", "F41"), "category, not a billable")])
def test_diagnosis_codes(codes: tuple, fragment: str) -> None:
    facts = clean(diagnosis_codes=codes)
    if not codes:
        facts = dataclasses.replace(facts, lines=tuple(dataclasses.replace(x, diagnosis_pointers=())
                                                       for x in facts.lines), claim_type="institutional",
                                    attending_npi="1245319599")
    problems = [p for p in scrub.scrub(facts) if p.rule == "diagnosis_codes"]
    assert problems and fragment in problems[0].message
    assert rules_fired(facts) == {"diagnosis_codes"}


def test_npi_check_digit() -> None:
    problems = scrub.scrub(clean(rendering_npi="1245319598"))
    assert [p.rule for p in problems] == ["npi"] and "fails the check digit" in problems[0].message
    assert rules_fired(clean(billing_npi="")) == {"npi"}
    assert rules_fired(clean(claim_type="institutional", attending_npi="")) == {"npi"}
    assert scrub.scrub(clean(rendering_npi="")) == []
    missing = scrub.scrub(clean(rendering_npi="", rendering_named=True))
    assert [p.rule for p in missing] == ["npi"] and "NPI is missing" in missing[0].message
    assert rules_fired(clean(supervising_named=True)) == {"npi"}
    assert scrub.scrub(clean(supervising_named=True, supervising_npi="1003000126")) == []


def test_billing_provider() -> None:
    problems = scrub.scrub(clean(billing_postal_code="12345", billing_tax_id="12-345"))
    assert [p.rule for p in problems] == ["billing_provider", "billing_provider"]
    assert "ZIP+4" in problems[0].message and "EIN" in problems[1].message
    assert scrub.scrub(clean(billing_postal_code="12345-6789", billing_tax_id="12-3456789")) == []


def test_credentialing_only_when_recorded() -> None:
    assert rules_fired(clean(credentialed_npis=frozenset({"1003000126"}))) == {"credentialing"}
    assert scrub.scrub(clean(credentialed_npis=frozenset({"1245319599"}))) == []
    assert scrub.scrub(clean(credentialed_npis=None)) == []


def test_timely_filing() -> None:
    assert scrub.scrub(clean(timely_filing_days=15)) == []  # Jan 5 + 15 = Jan 20, still in time
    problems = scrub.scrub(clean(timely_filing_days=14))
    assert [p.rule for p in problems] == ["timely_filing"] and "passed on 2026-01-19" in problems[0].message


def test_part2_consent() -> None:
    assert rules_fired(clean(part2=True)) == {"part2_consent"}
    assert scrub.scrub(clean(part2=True, part2_consent_to_payer=True)) == []


def test_claim_total() -> None:
    problems = scrub.scrub(clean(total_charge=Decimal("300")))
    assert [p.rule for p in problems] == ["claim_total"] and "(280)" in problems[0].message


def test_diagnosis_pointers() -> None:
    problems = scrub.scrub(with_line(clean(), 0, diagnosis_pointers=(1, 3)))
    assert [p.rule for p in problems] == ["diagnosis_pointers"] and "pointer 3 is out of range" in problems[0].message
    assert rules_fired(with_line(clean(), 0, diagnosis_pointers=(1, 2, 1, 2, 1))) == {"diagnosis_pointers"}


def test_has_lines() -> None:
    fired = rules_fired(clean(lines=(), total_charge=Decimal("0")))
    assert fired == {"has_lines"}


def test_line_amounts() -> None:
    facts = with_line(clean(), 0, charge=Decimal("-5"))
    facts = dataclasses.replace(facts, total_charge=Decimal("155"))
    assert rules_fired(facts) == {"line_amounts"}


def test_procedure_codes() -> None:
    assert rules_fired(with_line(clean(), 0, code="90855")) == {"procedure_codes"}


def test_payer_id() -> None:
    assert rules_fired(clean(payer_identifier="ACME 1!")) == {"payer_id"}
    assert rules_fired(clean(payer_identifier="")) == {"payer_id"}


def test_frequency() -> None:
    assert rules_fired(clean(frequency_code="7")) == {"frequency"}
    assert scrub.scrub(clean(frequency_code="7", payer_claim_number="PAY1")) == []


def test_every_rule_has_a_test() -> None:
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    covered = {"documentation", "per_diem_minimum", "coverage_active", "diagnosis_codes", "credentialing",
               "timely_filing", "part2_consent", "claim_total", "diagnosis_pointers", "has_lines",
               "line_amounts", "procedure_codes", "payer_id", "frequency", "authorization", "npi",
               "billing_provider"}
    assert covered == set(scrub.RULES)
    assert {"npi_check_digit", "authorization_missing_and_units_exhausted"} <= tested
