"""835 parser: paid, partially paid, denied, reversal and PLB; balancing; malformed and non-835 input."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trellis.billing.x12 import codes
from trellis.billing.x12.remittance import (
    Adjustment,
    ClaimPayment,
    Payment,
    ProviderAdjustment,
    RemittanceParseError,
    ServicePayment,
    parse_835,
)
from trellis.billing.x12.remittance_writer import write_835
from trellis.billing.x12.tests import samples
from trellis.billing.x12.validate import validate_x12
from trellis.billing.x12.writer import write_837p


def _claims() -> dict:
    remit = parse_835(samples.full_835())
    return {c.patient_control_number: c for c in remit.payments[0].claims}


def test_fixture_is_a_valid_835_for_pyx12() -> None:
    result = validate_x12(samples.full_835())
    assert result.valid, result.errors


def test_header_payment_and_trace() -> None:
    remit = parse_835(samples.full_835())
    assert remit.interchange_control_number == "000000101"
    payment = remit.payments[0]
    assert payment.total_paid == Decimal("205")
    assert payment.payment_method == "CHK"
    assert payment.trace_number == "EFT20260120"
    assert payment.payer_name == "ACME HEALTH PLAN"
    assert payment.payee_identifier == "1234567893"
    assert str(payment.payment_date) == "2026-01-20"
    assert [c.patient_control_number for c in payment.claims] == [
        "TR0000000103", "TR0000000101", "TR0000000102", "TR0000000104",
    ]


def test_paid_in_full() -> None:
    claim = _claims()["TR0000000103"]
    assert (claim.status_code, claim.charge, claim.paid) == ("1", Decimal("150"), Decimal("150"))
    assert claim.all_adjustments() == []
    assert claim.service_lines[0].line_control_number == "PS3-0"


def test_partially_paid_with_line_level_adjustments() -> None:
    claim = _claims()["TR0000000101"]
    assert claim.paid == Decimal("200") and claim.patient_responsibility == Decimal("40")
    assert len(claim.service_lines) == 3
    line = claim.service_lines[1]
    assert (line.procedure_code, line.charge, line.paid, line.allowed) == ("90853", 150, 100, 120)
    assert [(a.group_code, a.reason_code, a.amount) for a in line.adjustments] == [
        ("CO", "45", Decimal("30")), ("PR", "3", Decimal("20")),
    ]
    assert str(line.service_date) == "2026-01-06" and line.line_control_number == "PS1-1"
    patient_resp = sum(a.amount for a in claim.all_adjustments() if a.group_code == "PR")
    assert patient_resp == claim.patient_responsibility
    denied_line = claim.service_lines[2]
    assert denied_line.paid == 0 and denied_line.remark_codes == ["N362"]
    assert [(a.group_code, a.reason_code, a.amount) for a in denied_line.adjustments] == [("CO", "151", 150)]


def test_denied_claim_level_cas() -> None:
    claim = _claims()["TR0000000102"]
    assert claim.is_denied and claim.paid == 0
    adj = claim.adjustments[0]
    assert (adj.group_code, adj.reason_code, adj.amount) == ("CO", "197", Decimal("150"))
    assert codes.carc("197").description.startswith("Precertification/notification/authorization")


def test_reversal() -> None:
    claim = _claims()["TR0000000104"]
    assert claim.is_reversal
    assert claim.charge == Decimal("-150") and claim.paid == Decimal("-120")
    assert claim.adjustments[0].amount == Decimal("-30")


def test_provider_level_adjustments() -> None:
    plb = parse_835(samples.full_835()).payments[0].provider_adjustments
    assert [(p.reason_code, p.reference, p.amount) for p in plb] == [
        ("WO", "PAY0009", Decimal("30")), ("L6", "", Decimal("-5")),
    ]
    assert str(plb[0].fiscal_period_end) == "2026-12-31"


def test_balanced_file_has_no_balance_errors() -> None:
    assert parse_835(samples.full_835()).balance_errors() == []


def test_bpr_not_equal_to_claims_minus_plb_is_reported() -> None:
    text = samples.build_835(samples.PAID_IN_FULL + samples.PLB, bpr_total="150")  # should be 125
    errors = parse_835(text).balance_errors()
    assert len(errors) == 1 and "BPR02 total 150" in errors[0] and "= 125" in errors[0]


def test_claim_that_does_not_balance_is_reported() -> None:
    body = ["LX*1", "CLP*TR9*1*200*150**12*PAY9*11*1", "CAS*CO*45*10"]
    errors = parse_835(samples.build_835(body, bpr_total="150")).balance_errors()
    assert errors == ["Claim TR9: charge 200 minus adjustments 10 does not equal paid 150."]


def test_an_837_is_refused_with_a_clear_message() -> None:
    claim_file = write_837p(samples.interchange(samples.per_service_week()))
    with pytest.raises(RemittanceParseError, match="837 health care claim, not an 835"):
        parse_835(claim_file)


def test_other_transaction_in_hp_group_is_refused() -> None:
    text = samples.build_835(samples.PAID_IN_FULL, bpr_total="150", st01="277")
    with pytest.raises(RemittanceParseError, match="277 claim status response, not an 835"):
        parse_835(text)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "not an X12 file"),
        ("hello world, this is not a remittance at all" * 5, "not an X12 file"),
        ("%PDF-1.4 binary", "not an X12 file"),
    ],
)
def test_garbage_is_refused(content: str, message: str) -> None:
    with pytest.raises(RemittanceParseError, match=message):
        parse_835(content)


def test_truncated_file_is_refused() -> None:
    text = samples.full_835()
    cut = text[: text.index("SE*")]
    with pytest.raises(RemittanceParseError, match="SE trailer is missing"):
        parse_835(cut)


def test_wrong_segment_count_is_refused() -> None:
    text = samples.full_835().replace("\nSE*", "\nSE*1", 1)
    with pytest.raises(RemittanceParseError, match="SE01 says"):
        parse_835(text)


def test_bad_amount_and_bad_group_code_are_refused() -> None:
    with pytest.raises(RemittanceParseError, match="is not an amount"):
        parse_835(samples.build_835(["LX*1", "CLP*TR1*1*12X*0**12*P*11*1"], bpr_total="0"))
    with pytest.raises(RemittanceParseError, match="not CO, PR, OI or PI"):
        parse_835(samples.build_835(["LX*1", "CLP*TR1*4*10*0**12*P*11*1", "CAS*ZZ*45*10"], bpr_total="0"))


def test_code_list_names_its_source_and_marks_unconfirmed() -> None:
    assert "x12.org" in codes.source() and codes.version()
    for code in ("1", "2", "3", "45", "50", "96", "97", "197", "204", "16", "18", "29", "109", "151", "252"):
        info = codes.carc(code)
        assert info.known and info.description and info.next_step, code
    assert codes.rarc("N130").known
    assert codes.rarc("N362").label.endswith("(description to confirm)")
    unknown = codes.carc("9999")
    assert not unknown.known and "unknown code" in unknown.description


def test_write_then_parse_round_trip_and_pyx12_accepts_it() -> None:
    original = parse_835(samples.full_835())
    env = samples.ENVELOPE
    text = write_835(env, original.payments)
    assert validate_x12(text).valid
    again = parse_835(text)
    a, b = original.payments[0], again.payments[0]
    assert (a.total_paid, a.trace_number, len(a.claims)) == (b.total_paid, b.trace_number, len(b.claims))
    for ca, cb in zip(a.claims, b.claims, strict=True):
        assert (ca.patient_control_number, ca.status_code, ca.charge, ca.paid, ca.patient_responsibility) == (
            cb.patient_control_number, cb.status_code, cb.charge, cb.paid, cb.patient_responsibility)
        assert ca.all_adjustments() == cb.all_adjustments()
        assert [s.line_control_number for s in ca.service_lines] == [s.line_control_number for s in cb.service_lines]
    assert a.provider_adjustments == b.provider_adjustments
    assert again.balance_errors() == []


@settings(max_examples=40, deadline=None)
@given(
    claims=st.lists(
        st.tuples(
            st.sampled_from(["1", "4", "22"]),
            st.lists(st.tuples(st.decimals(min_value=1, max_value=500, places=2),
                               st.decimals(min_value=0, max_value=1, places=2)), min_size=1, max_size=4),
        ),
        min_size=1, max_size=6,
    ),
    plb=st.decimals(min_value=-50, max_value=50, places=2),
)
def test_property_written_835_balances_and_round_trips(claims, plb) -> None:  # noqa: ANN001
    """Any payment built by the rules (line paid + CAS = charge; BPR = claims - PLB) parses back balanced."""
    payment = Payment("0001", "I", Decimal("0"), "C", "CHK", date(2026, 1, 20), "TRACE1", "1512345678",
                      payer_name="ACME", payee_name="CEDAR", payee_identifier="1234567893")
    for n, (status, lines) in enumerate(claims):
        sign = -1 if status == "22" else 1
        cp = ClaimPayment(f"TR{n:04d}", status, Decimal("0"), Decimal("0"), Decimal("0"), "12", f"P{n}")
        for k, (charge, share) in enumerate(lines):
            paid = Decimal("0") if status == "4" else (charge * share).quantize(Decimal("0.01"))
            adj = [Adjustment("CO", "45", sign * (charge - paid))] if charge != paid else []
            cp.service_lines.append(ServicePayment("HC", "90853", (), sign * charge, sign * paid,
                                                   line_control_number=f"L{n}-{k}", adjustments=adj))
            cp.charge += sign * charge
            cp.paid += sign * paid
        payment.claims.append(cp)
    if plb:
        payment.provider_adjustments.append(ProviderAdjustment("1234567893", date(2026, 12, 31), "WO", "R1", plb))
    payment.total_paid = sum((c.paid for c in payment.claims), Decimal("0")) - plb
    if payment.total_paid < 0:
        payment.credit_debit = "D"
    parsed = parse_835(write_835(samples.ENVELOPE, [payment]))
    assert parsed.balance_errors() == []
    back = parsed.payments[0]
    assert back.total_paid == payment.total_paid
    assert [(c.patient_control_number, c.status_code, c.charge, c.paid) for c in back.claims] == [
        (c.patient_control_number, c.status_code, c.charge, c.paid) for c in payment.claims]
