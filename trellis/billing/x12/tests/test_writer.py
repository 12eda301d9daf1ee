"""837P/837I writer: every generated file passes pyx12; golden files; counts, frequency codes, refusals."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trellis.billing.x12.claims import ServiceLine
from trellis.billing.x12.common import X12BuildError, amount
from trellis.billing.x12.tests import samples
from trellis.billing.x12.validate import validate_x12
from trellis.billing.x12.writer import Interchange, Transaction, write_837i, write_837p

GOLDEN = Path(__file__).with_name("golden")


def _segments(x12: str) -> list[str]:
    return [s.strip() for s in x12.split("~") if s.strip()]


def _assert_counts(x12: str) -> None:
    segs = _segments(x12)
    st_index = [i for i, s in enumerate(segs) if s.startswith("ST*")]
    se_index = [i for i, s in enumerate(segs) if s.startswith("SE*")]
    for start, end in zip(st_index, se_index, strict=True):
        assert segs[end].split("*")[1] == str(end - start + 1)
        assert segs[end].split("*")[2] == segs[start].split("*")[2]
    ge = next(s for s in segs if s.startswith("GE*"))
    assert ge.split("*")[1] == str(len(st_index))
    assert segs[-1].startswith("IEA*1*")
    assert segs[-1].split("*")[2] == segs[0].split("*")[13]


def test_golden_per_service_week_837p() -> None:
    out = write_837p(samples.interchange(samples.per_service_week()))
    assert out == (GOLDEN / "per_service_week_837p.x12").read_text()
    assert validate_x12(out).valid
    _assert_counts(out)


def test_golden_per_diem_iop_week_837i() -> None:
    out = write_837i(samples.interchange(samples.per_diem_iop_week()))
    assert out == (GOLDEN / "per_diem_iop_week_837i.x12").read_text()
    assert validate_x12(out).valid
    _assert_counts(out)


def test_per_service_content() -> None:
    segs = _segments(write_837p(samples.interchange(samples.per_service_week())))
    assert "CLM*TR0000000101*570***11:B:1*Y*A*Y*Y" in segs  # 3 x 120 + 210
    assert "SV1*HC:90853:95*120*UN*1*10**1:2" in segs  # telehealth line: modifier 95, POS 10
    assert "SV1*HC:90837*210*UN*1***1" in segs
    assert "HI*ABK:F331*ABF:F411" in segs  # ICD-10-CM without the dot
    assert "REF*G1*AUTH7781" in segs
    assert "NM1*82*1*NATARAJAN*PRIYA****XX*1245319599" in segs


def test_per_diem_content() -> None:
    segs = _segments(write_837i(samples.interchange(samples.per_diem_iop_week())))
    assert "CLM*TR0000000201*1050***13:A:1**A*Y*Y" in segs
    assert "DTP*434*RD8*20260105-20260111" in segs
    assert "HI*BG:92" in segs
    assert segs.count("SV2*0905*HC:S9480*350*UN*1") == 3
    assert "SBR*P*18*GRP500******MA" in segs


@pytest.mark.parametrize("frequency", ["7", "8"])
@pytest.mark.parametrize("writer", [write_837p, write_837i])
def test_replacement_and_void_carry_payer_claim_number(frequency: str, writer) -> None:
    base = samples.per_service_week() if writer is write_837p else samples.per_diem_iop_week()
    claim = dataclasses.replace(base, frequency_code=frequency, payer_claim_number="PAY0001")
    out = writer(samples.interchange(claim))
    assert "REF*F8*PAY0001~" in out
    assert f":{frequency}*" in out.split("CLM*")[1].split("~")[0]
    result = validate_x12(out)
    assert result.valid, result.errors


@pytest.mark.parametrize("writer", [write_837p, write_837i])
def test_part2_notice_rides_in_the_claim_note_and_validates(writer) -> None:
    """42 CFR 2.32(a)(2) Statement 2 in 2300 NTE*ADD (X222A1 Claim Note / X223A2 Billing Note, position 1900:
    after the REFs, before HI), accepted by pyx12."""
    base = samples.per_service_week() if writer is write_837p else samples.per_diem_iop_week()
    claim = dataclasses.replace(base, billing_note="42 CFR part 2 prohibits unauthorized use or disclosure of these records.")
    out = writer(samples.interchange(claim))
    segs = _segments(out)
    note = "NTE*ADD*42 CFR PART 2 PROHIBITS UNAUTHORIZED USE OR DISCLOSURE OF THESE RECORDS."
    assert segs.count(note) == 1
    assert segs.index(note) < next(i for i, seg in enumerate(segs) if seg.startswith("HI*"))
    result = validate_x12(out)
    assert result.valid, result.errors
    _assert_counts(out)


def test_a_claim_note_that_does_not_fit_is_refused_not_cut() -> None:
    claim = dataclasses.replace(samples.per_service_week(), billing_note="X" * 81)
    with pytest.raises(X12BuildError, match="longer than 80"):
        write_837p(samples.interchange(claim))


def test_replacement_without_payer_claim_number_is_refused() -> None:
    claim = dataclasses.replace(samples.per_service_week(), frequency_code="7")
    with pytest.raises(X12BuildError, match="REF\\*F8"):
        write_837p(samples.interchange(claim))


def test_unknown_frequency_is_refused() -> None:
    claim = dataclasses.replace(samples.per_service_week(), frequency_code="5")
    with pytest.raises(X12BuildError, match="frequency code"):
        write_837p(samples.interchange(claim))


def test_diagnosis_pointer_out_of_range_is_refused() -> None:
    claim = samples.per_service_week()
    bad = dataclasses.replace(claim, lines=(dataclasses.replace(claim.lines[0], diagnosis_pointers=(3,)),))
    with pytest.raises(X12BuildError, match="pointer 3 is out of range"):
        write_837p(samples.interchange(bad))


def test_claim_without_lines_is_refused() -> None:
    with pytest.raises(X12BuildError, match="no service lines"):
        write_837p(samples.interchange(dataclasses.replace(samples.per_service_week(), lines=())))


def test_institutional_claim_needs_revenue_code_and_type_of_bill() -> None:
    claim = samples.per_diem_iop_week()
    with pytest.raises(X12BuildError, match="revenue code"):
        write_837i(samples.interchange(
            dataclasses.replace(claim, lines=(dataclasses.replace(claim.lines[0], revenue_code=""),))))
    with pytest.raises(X12BuildError, match="type of bill"):
        write_837i(samples.interchange(dataclasses.replace(claim, type_of_bill="1")))


def test_dependent_patient_gets_its_own_hierarchical_level() -> None:
    claim = dataclasses.replace(samples.per_service_week(), patient=samples.SAM, patient_relationship="19")
    segs = _segments(write_837p(samples.interchange(claim, samples.per_service_week())))
    assert "HL*2*1*22*1" in segs and "HL*3*2*23*0" in segs and "PAT*19" in segs
    assert "HL*4*1*22*0" in segs  # the subscriber's own claim: another 2000B with no child
    out = write_837p(samples.interchange(claim))
    assert validate_x12(out).valid


def test_several_transactions_and_control_numbers() -> None:
    ic = samples.interchange(samples.per_service_week(), control=123456789)
    ic = Interchange(ic.envelope, ic.submitter, ic.receiver,
                     [Transaction(1, samples.BILLING, [samples.per_service_week()]),
                      Transaction(2, samples.BILLING, [samples.per_service_week()])])
    out = write_837p(ic)
    _assert_counts(out)
    assert "*123456789*0*T*:~" in out and out.rstrip().endswith("IEA*1*123456789~")
    assert validate_x12(out).valid
    with pytest.raises(X12BuildError, match="used twice"):
        write_837p(Interchange(ic.envelope, ic.submitter, ic.receiver, [ic.transactions[0], ic.transactions[0]]))


def test_delimiters_in_names_cannot_break_the_file() -> None:
    claim = samples.per_service_week()
    person = dataclasses.replace(samples.JANE, last_name="O*BRIEN~X", first_name="ANN:MARIE")
    claim = dataclasses.replace(claim, subscriber=dataclasses.replace(claim.subscriber, person=person))
    out = write_837p(samples.interchange(claim))
    assert "NM1*IL*1*O BRIEN X*ANN MARIE" in out
    assert validate_x12(out).valid


def test_non_ascii_names_are_transliterated() -> None:
    provider = dataclasses.replace(samples.THERAPIST, first_name="Tomás", last_name="Núñez-Ødegård")
    out = write_837p(samples.interchange(dataclasses.replace(samples.per_service_week(), rendering_provider=provider)))
    assert "NM1*82*1*NUNEZ-DEGARD*TOMAS****XX*" in out
    assert out.isascii() and validate_x12(out).valid


def test_broken_file_is_reported_invalid() -> None:
    """The reference can fail: pyx12 rejects a file with a wrong SE count and one missing the CLM segment."""
    good = write_837p(samples.interchange(samples.per_service_week()))
    assert validate_x12(good).valid
    wrong_count = good.replace("SE*", "SE*9", 1)
    assert not validate_x12(wrong_count).valid
    no_claim = "\n".join(line for line in good.splitlines() if not line.startswith("CLM*")) + "\n"
    result = validate_x12(no_claim)
    assert not result.valid
    assert result.errors
    institutional = write_837i(samples.interchange(samples.per_diem_iop_week()))
    no_cl1 = "\n".join(line for line in institutional.splitlines() if not line.startswith("CL1*")) + "\n"
    assert not validate_x12(no_cl1).valid


def test_amount_format() -> None:
    assert amount(Decimal("150.00"), field="x") == "150"
    assert amount(Decimal("12.50"), field="x") == "12.5"
    assert amount(Decimal("0.00"), field="x") == "0"
    assert amount(Decimal("-30.10"), field="x") == "-30.1"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    claims=st.lists(
        st.tuples(st.integers(1, 6), st.sampled_from(["90853", "90834", "90791"]),
                  st.decimals(min_value=1, max_value=999, places=2), st.booleans()),
        min_size=1, max_size=5,
    )
)
def test_property_counts_and_totals(claims) -> None:
    built = []
    for n, (line_count, code, charge, dependent) in enumerate(claims):
        lines = tuple(
            ServiceLine(code, charge, Decimal("1"), samples.MONDAY + timedelta(days=i), (1,))
            for i in range(line_count)
        )
        claim = dataclasses.replace(samples.per_service_week(), patient_control_number=f"P{n}", lines=lines)
        if dependent:
            claim = dataclasses.replace(claim, patient=samples.SAM, patient_relationship="19")
        built.append(claim)
    out = write_837p(samples.interchange(*built))
    _assert_counts(out)
    written = {s.split("*")[1]: s.split("*")[2] for s in _segments(out) if s.startswith("CLM*")}
    assert written == {c.patient_control_number: amount(charge_total(c), field="t") for c in built}


def charge_total(claim) -> Decimal:
    return sum((line.charge for line in claim.lines), Decimal("0"))
