"""835 (005010X221A1) Health Care Claim Payment/Advice parser: X12 text in, plain dataclasses out.

Loops read (ASC X12 005010X221A1): header BPR (financial information), TRN (reassociation trace), DTM*405
(production date), 1000A N1*PR payer, 1000B N1*PE payee; 2000 LX header number; 2100 CLP claim payment with
CAS claim adjustments, NM1*QC patient, MOA/MIA remarks, DTM*232/233; 2110 SVC service payment with DTM*472,
CAS line adjustments, REF*6R line control number, AMT*B6 allowed, LQ*HE remark codes; summary PLB provider
adjustments.

Balancing (IG 1.10.2 "Balancing"): BPR02 = sum(CLP04) - sum(PLB amounts); each claim CLP03 - sum(CAS) = CLP04,
where claim CAS includes the CAS of its service lines. A file that does not balance is reported by
`balance_errors()`; callers refuse to post it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

GROUP_CODES = {
    "CO": "Contractual obligation",
    "PR": "Patient responsibility",
    "OI": "Other adjustment",
    "PI": "Payer-initiated reduction",
    "CR": "Correction and reversal",  # retired after 4010; accepted on read
}

# CLP02 claim status codes (835 IG 2100 CLP02).
CLAIM_STATUS = {
    "1": "Processed as primary",
    "2": "Processed as secondary",
    "3": "Processed as tertiary",
    "4": "Denied",
    "19": "Processed as primary, forwarded to additional payer(s)",
    "20": "Processed as secondary, forwarded to additional payer(s)",
    "21": "Processed as tertiary, forwarded to additional payer(s)",
    "22": "Reversal of previous payment",
    "23": "Not our claim, forwarded to additional payer(s)",
    "25": "Predetermination pricing only - no payment",
}
REVERSAL = "22"
DENIED = "4"


class RemittanceParseError(ValueError):
    """The input is not a readable 835; the message says what is wrong and where."""


@dataclass(frozen=True)
class Adjustment:
    group_code: str  # CO/PR/OI/PI
    reason_code: str  # CARC
    amount: Decimal
    quantity: Decimal | None = None


@dataclass
class ServicePayment:
    procedure_qualifier: str
    procedure_code: str
    modifiers: tuple[str, ...]
    charge: Decimal
    paid: Decimal
    revenue_code: str = ""
    units: Decimal | None = None
    service_date: date | None = None
    line_control_number: str = ""
    allowed: Decimal | None = None
    adjustments: list[Adjustment] = field(default_factory=list)
    remark_codes: list[str] = field(default_factory=list)


@dataclass
class ClaimPayment:
    patient_control_number: str
    status_code: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    claim_filing_indicator: str = ""
    payer_claim_number: str = ""
    facility_code: str = ""
    frequency_code: str = ""
    patient_last_name: str = ""
    patient_first_name: str = ""
    patient_identifier: str = ""
    statement_from: date | None = None
    statement_to: date | None = None
    adjustments: list[Adjustment] = field(default_factory=list)
    remark_codes: list[str] = field(default_factory=list)
    service_lines: list[ServicePayment] = field(default_factory=list)

    @property
    def is_reversal(self) -> bool:
        return self.status_code == REVERSAL

    @property
    def is_denied(self) -> bool:
        return self.status_code == DENIED

    def all_adjustments(self) -> list[Adjustment]:
        return self.adjustments + [adj for line in self.service_lines for adj in line.adjustments]


@dataclass(frozen=True)
class ProviderAdjustment:
    provider_identifier: str
    fiscal_period_end: date | None
    reason_code: str  # PLB03-1 (e.g. WO overpayment recovery, L6 interest, FB forwarding balance)
    reference: str
    amount: Decimal  # positive reduces the payment


@dataclass
class Payment:
    """One 835 transaction set (ST..SE): one payment or advice from one payer to one payee."""

    transaction_control_number: str
    handling_code: str  # BPR01: I remittance+payment, H notification only, C payment only ...
    total_paid: Decimal  # BPR02
    credit_debit: str  # BPR03
    payment_method: str  # BPR04: ACH, CHK, NON, FWT, BOP
    payment_date: date | None  # BPR16
    trace_number: str  # TRN02 (check or EFT trace number)
    trace_originator: str  # TRN03
    production_date: date | None = None
    payer_name: str = ""
    payer_identifier: str = ""
    payee_name: str = ""
    payee_identifier: str = ""
    claims: list[ClaimPayment] = field(default_factory=list)
    provider_adjustments: list[ProviderAdjustment] = field(default_factory=list)

    def balance_errors(self) -> list[str]:
        problems: list[str] = []
        paid = sum((c.paid for c in self.claims), Decimal("0"))
        plb = sum((p.amount for p in self.provider_adjustments), Decimal("0"))
        if paid - plb != self.total_paid:
            problems.append(
                f"Payment {self.trace_number}: BPR02 total {self.total_paid} does not equal the claims paid "
                f"({paid}) minus provider adjustments ({plb}) = {paid - plb}."
            )
        for claim in self.claims:
            adjusted = sum((a.amount for a in claim.all_adjustments()), Decimal("0"))
            if claim.charge - adjusted != claim.paid:
                problems.append(
                    f"Claim {claim.patient_control_number}: charge {claim.charge} minus adjustments {adjusted} "
                    f"does not equal paid {claim.paid}."
                )
        return problems


@dataclass
class Remittance:
    interchange_control_number: str
    sender_id: str
    receiver_id: str
    group_control_number: str
    payments: list[Payment] = field(default_factory=list)

    def balance_errors(self) -> list[str]:
        return [problem for payment in self.payments for problem in payment.balance_errors()]


_TRANSACTION_NAMES = {
    "837": "an 837 health care claim",
    "270": "a 270 eligibility inquiry",
    "271": "a 271 eligibility response",
    "276": "a 276 claim status inquiry",
    "277": "a 277 claim status response",
    "834": "an 834 enrollment file",
    "820": "an 820 premium payment",
    "999": "a 999 acknowledgment",
    "997": "a 997 acknowledgment",
}


def _split(content: str) -> tuple[list[list[str]], str]:
    raw = content.lstrip("\ufeff \r\n\t")
    if not raw.startswith("ISA") or len(raw) < 106:
        raise RemittanceParseError("This is not an X12 file: it does not start with an ISA interchange header.")
    element_sep = raw[3]
    component_sep = raw[104]
    terminator = raw[105]
    if element_sep.isalnum() or terminator.isalnum():
        raise RemittanceParseError("The ISA header is malformed: its delimiters cannot be read.")
    segments = []
    for chunk in raw.split(terminator):
        chunk = chunk.strip("\r\n\t ")
        if chunk:
            segments.append(chunk.split(element_sep))
    return segments, component_sep


def _el(seg: list[str], index: int) -> str:
    return seg[index].strip() if len(seg) > index else ""


def _money(seg: list[str], index: int, *, where: str, required: bool = True) -> Decimal:
    value = _el(seg, index)
    if not value:
        if required:
            raise RemittanceParseError(f"{where}: a required amount is missing (element {index}).")
        return Decimal("0")
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise RemittanceParseError(f"{where}: {value!r} is not an amount.") from exc


def _date(value: str, *, where: str) -> date | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y%m%d").date()  # noqa: DTZ007 - a calendar date, not an instant
    except ValueError as exc:
        raise RemittanceParseError(f"{where}: {value!r} is not a CCYYMMDD date.") from exc


def _cas(seg: list[str], *, where: str) -> list[Adjustment]:
    group = _el(seg, 1)
    if group not in GROUP_CODES:
        raise RemittanceParseError(f"{where}: CAS group code {group!r} is not CO, PR, OI or PI.")
    out = []
    for start in range(2, 20, 3):  # up to six reason/amount/quantity triplets
        reason = _el(seg, start)
        if not reason:
            continue
        amount = _money(seg, start + 1, where=f"{where} CAS {reason}")
        qty_raw = _el(seg, start + 2)
        try:
            qty = Decimal(qty_raw) if qty_raw else None
        except InvalidOperation as exc:
            raise RemittanceParseError(f"{where}: CAS quantity {qty_raw!r} is not a number.") from exc
        out.append(Adjustment(group, reason, amount, qty))
    return out


def parse_835(content: str) -> Remittance:
    """Parse an 835 interchange. Raises RemittanceParseError for anything that is not a readable 835."""
    segments, comp = _split(content)
    isa = segments[0]
    if len(isa) < 17:
        raise RemittanceParseError("The ISA header is malformed: it needs 16 elements.")
    remittance = Remittance(
        interchange_control_number=_el(isa, 13), sender_id=_el(isa, 6), receiver_id=_el(isa, 8),
        group_control_number="",
    )
    payment: Payment | None = None
    claim: ClaimPayment | None = None
    line: ServicePayment | None = None
    in_transaction = False
    seen_ge = seen_iea = False
    st_count = 0
    segments_in_st = 0
    for position, seg in enumerate(segments[1:], start=2):
        tag = seg[0].strip().upper()
        where = f"segment {position} ({tag})"
        if in_transaction:
            segments_in_st += 1
        if tag == "GS":
            functional_id, version = _el(seg, 1), _el(seg, 8)
            if functional_id != "HP" or not version.startswith("005010X221"):
                kind = _TRANSACTION_NAMES.get("837") if functional_id == "HC" else None
                what = kind or f"functional group {functional_id or '?'} version {version or '?'}"
                raise RemittanceParseError(
                    f"This file is {what}, not an 835 remittance (expected GS01 HP and GS08 005010X221A1)."
                )
            remittance.group_control_number = _el(seg, 6)
        elif tag == "ST":
            if _el(seg, 1) != "835":
                name = _TRANSACTION_NAMES.get(_el(seg, 1), f"transaction set {_el(seg, 1) or '?'}")
                raise RemittanceParseError(f"This file is {name}, not an 835 remittance.")
            in_transaction = True
            segments_in_st = 1
            st_count += 1
            payment = None
            claim = line = None
            st02 = _el(seg, 2)
            payment = Payment(st02, "", Decimal("0"), "", "", None, "", "")
        elif not in_transaction and tag not in ("GE", "IEA"):
            raise RemittanceParseError(f"{where}: segment outside a transaction set (ST..SE).")
        elif tag == "BPR":
            payment.handling_code = _el(seg, 1)
            payment.total_paid = _money(seg, 2, where=where)
            payment.credit_debit = _el(seg, 3)
            payment.payment_method = _el(seg, 4)
            payment.payment_date = _date(_el(seg, 16), where=where)
            if payment.credit_debit == "D":
                payment.total_paid = -payment.total_paid
        elif tag == "TRN":
            payment.trace_number = _el(seg, 2)
            payment.trace_originator = _el(seg, 3)
        elif tag == "DTM" and claim is None:
            if _el(seg, 1) == "405":
                payment.production_date = _date(_el(seg, 2), where=where)
        elif tag == "N1" and claim is None:
            if _el(seg, 1) == "PR":
                payment.payer_name = _el(seg, 2)
                if _el(seg, 4):
                    payment.payer_identifier = _el(seg, 4)
            elif _el(seg, 1) == "PE":
                payment.payee_name = _el(seg, 2)
                payment.payee_identifier = _el(seg, 4)
        elif tag == "REF" and claim is None and _el(seg, 1) == "2U":
            payment.payer_identifier = _el(seg, 2)
        elif tag == "LX":
            claim = line = None
        elif tag == "CLP":
            pcn = _el(seg, 1)
            if not pcn:
                raise RemittanceParseError(f"{where}: CLP01 patient control number is missing.")
            if _el(seg, 2) not in CLAIM_STATUS:
                raise RemittanceParseError(f"{where}: CLP02 claim status {_el(seg, 2)!r} is not a known code.")
            claim = ClaimPayment(
                patient_control_number=pcn,
                status_code=_el(seg, 2),
                charge=_money(seg, 3, where=where),
                paid=_money(seg, 4, where=where),
                patient_responsibility=_money(seg, 5, where=where, required=False),
                claim_filing_indicator=_el(seg, 6),
                payer_claim_number=_el(seg, 7),
                facility_code=_el(seg, 8),
                frequency_code=_el(seg, 9),
            )
            line = None
            payment.claims.append(claim)
        elif tag == "CAS":
            if claim is None:
                raise RemittanceParseError(f"{where}: CAS adjustment outside a claim (CLP).")
            target = line.adjustments if line is not None else claim.adjustments
            target.extend(_cas(seg, where=where))
        elif tag == "NM1" and claim is not None and _el(seg, 1) == "QC":
            claim.patient_last_name, claim.patient_first_name = _el(seg, 3), _el(seg, 4)
            claim.patient_identifier = _el(seg, 9)
        elif tag in ("MOA", "MIA") and claim is not None:
            # MOA03..07 and MIA05, MIA20..24 are remark codes (RARC).
            indexes = range(3, 8) if tag == "MOA" else (5, 20, 21, 22, 23, 24)
            claim.remark_codes.extend(_el(seg, i) for i in indexes if _el(seg, i))
        elif tag == "DTM" and claim is not None:
            qualifier, value = _el(seg, 1), _date(_el(seg, 2), where=where)
            if line is not None and qualifier in ("472", "150"):
                line.service_date = value
            elif qualifier == "232":
                claim.statement_from = value
            elif qualifier == "233":
                claim.statement_to = value
        elif tag == "SVC":
            if claim is None:
                raise RemittanceParseError(f"{where}: SVC service line outside a claim (CLP).")
            parts = _el(seg, 1).split(comp)
            if len(parts) < 2:
                raise RemittanceParseError(f"{where}: SVC01 needs a qualifier and a procedure code.")
            units_raw = _el(seg, 5)
            line = ServicePayment(
                procedure_qualifier=parts[0], procedure_code=parts[1],
                modifiers=tuple(p for p in parts[2:6] if p),
                charge=_money(seg, 2, where=where), paid=_money(seg, 3, where=where),
                revenue_code=_el(seg, 4),
                units=Decimal(units_raw) if units_raw.replace(".", "", 1).isdigit() else None,
            )
            claim.service_lines.append(line)
        elif tag == "REF" and line is not None and _el(seg, 1) == "6R":
            line.line_control_number = _el(seg, 2)
        elif tag == "AMT" and line is not None and _el(seg, 1) == "B6":
            line.allowed = _money(seg, 2, where=where)
        elif tag == "LQ" and line is not None and _el(seg, 1) == "HE":
            line.remark_codes.append(_el(seg, 2))
        elif tag == "PLB":
            provider, period = _el(seg, 1), _date(_el(seg, 2), where=where)
            for start in range(3, 15, 2):
                pair = _el(seg, start)
                if not pair:
                    continue
                reason, _, reference = pair.partition(comp)
                payment.provider_adjustments.append(
                    ProviderAdjustment(provider, period, reason, reference,
                                       _money(seg, start + 1, where=f"{where} {reason}"))
                )
            claim = line = None
        elif tag == "SE":
            declared = _el(seg, 1)
            if declared != str(segments_in_st):
                raise RemittanceParseError(
                    f"{where}: SE01 says {declared} segments but the transaction has {segments_in_st}."
                )
            if _el(seg, 2) != payment.transaction_control_number:
                raise RemittanceParseError(f"{where}: SE02 does not match ST02.")
            if not payment.trace_number:
                raise RemittanceParseError(f"{where}: the transaction has no TRN trace number.")
            remittance.payments.append(payment)
            in_transaction = False
            payment = claim = line = None
        elif tag == "GE":
            seen_ge = True
            if _el(seg, 1) != str(st_count):
                raise RemittanceParseError(f"{where}: GE01 says {_el(seg, 1)} transactions but there are {st_count}.")
        elif tag == "IEA":
            seen_iea = True
            if _el(seg, 2) != remittance.interchange_control_number:
                raise RemittanceParseError(f"{where}: IEA02 does not match the ISA13 control number.")
    if in_transaction:
        raise RemittanceParseError("The file ends inside a transaction: the SE trailer is missing.")
    if not remittance.group_control_number:
        raise RemittanceParseError("The file has no GS functional group header.")
    if not (seen_ge and seen_iea):
        raise RemittanceParseError("The file is truncated: the GE/IEA trailers are missing.")
    if not remittance.payments:
        raise RemittanceParseError("The file has no 835 transaction.")
    return remittance
