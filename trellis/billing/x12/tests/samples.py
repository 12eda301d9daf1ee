"""Plain-data sample claims and 835 builders shared by the X12 tests (no Django)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from trellis.billing.x12.claims import (
    Address,
    BillingProvider,
    Claim,
    Payer,
    Person,
    Provider,
    Receiver,
    ServiceLine,
    Submitter,
    Subscriber,
)
from trellis.billing.x12.common import Envelope
from trellis.billing.x12.writer import Interchange, Transaction

MONDAY = date(2026, 1, 5)
ENVELOPE = Envelope(
    sender_id="TRELLIS01", receiver_id="CLEARHOUSE1", interchange_control_number=42, group_control_number=42,
    created=datetime(2026, 1, 12, 9, 30, tzinfo=UTC), usage="T",
)
SUBMITTER = Submitter("CEDAR RIDGE BEHAVIORAL HEALTH", "TRELLIS01", "BILLING OFFICE", "503-555-1234")
RECEIVER = Receiver("DEMO CLEARINGHOUSE", "CLEARHOUSE1")
BILLING = BillingProvider(
    "CEDAR RIDGE BEHAVIORAL HEALTH", "1234567893", "93-1234567",
    Address("100 MAIN ST", "PORTLAND", "OR", "97201-1234"), taxonomy="261QM0801X",
)
THERAPIST = Provider("NATARAJAN", "PRIYA", "1245319599", "101YM0800X")
PSYCHIATRIST = Provider("REYES", "SAMUEL", "1003000126", "2084P0800X")
COMMERCIAL = Payer("ACME HEALTH PLAN", "ACME1", "CI")
MEDICARE = Payer("MEDICARE PART A", "MCRA1", "MA")
JANE = Person("DOE", "JANE", date(1985, 4, 2), "F", Address("12 ELM ST", "PORTLAND", "OR", "97202"))
SAM = Person("DOE", "SAM", date(2009, 8, 30), "M", Address("12 ELM ST", "PORTLAND", "OR", "97202"))
JANE_SUB = Subscriber(JANE, "ACM123456789", "GRP500")


def per_service_week() -> Claim:
    """An IOP patient's week billed per service on the 837P: group 90853 x3 (one by video), one 90837."""
    lines = []
    for offset in (0, 2, 4):
        telehealth = offset == 4
        lines.append(
            ServiceLine("90853", Decimal("120.00"), Decimal("1"), MONDAY + timedelta(days=offset), (1, 2),
                        ("95",) if telehealth else (), place_of_service="10" if telehealth else "",
                        line_control_number=f"PS1-{offset}")
        )
    lines.append(ServiceLine("90837", Decimal("210.00"), Decimal("1"), MONDAY + timedelta(days=1), (1,),
                             line_control_number="PS1-IND"))
    return Claim(
        patient_control_number="TR0000000101", subscriber=JANE_SUB, payer=COMMERCIAL,
        diagnosis_codes=("F33.1", "F41.1"), lines=tuple(lines), place_of_service="11",
        rendering_provider=THERAPIST, prior_authorization="AUTH7781",
    )


def per_diem_iop_week() -> Claim:
    """A Medicare IOP week on the 837I: S9480 per diem with revenue code 0905, TOB 13x, condition code 92."""
    lines = tuple(
        ServiceLine("S9480", Decimal("350.00"), Decimal("1"), MONDAY + timedelta(days=offset),
                    revenue_code="0905", line_control_number=f"PD1-{offset}")
        for offset in (0, 1, 3)
    )
    return Claim(
        patient_control_number="TR0000000201", subscriber=JANE_SUB, payer=MEDICARE,
        diagnosis_codes=("F33.2",), lines=lines, type_of_bill="13", condition_codes=("92",),
        attending_provider=PSYCHIATRIST, statement_from=MONDAY, statement_to=MONDAY + timedelta(days=6),
    )


def interchange(*claims: Claim, control: int = 42) -> Interchange:
    env = Envelope(**{**ENVELOPE.__dict__, "interchange_control_number": control, "group_control_number": control})
    return Interchange(env, SUBMITTER, RECEIVER, [Transaction(1, BILLING, list(claims))])


def build_835(body: list[str], *, bpr_total: str, trace: str = "EFT20260120", control: str = "000000101",
              st01: str = "835", gs01: str = "HP", version: str = "005010X221A1") -> str:
    """Wrap 835 claim/PLB segments in a full interchange with correct counts (a payer's file, for tests)."""
    header = [
        f"ST*{st01}*0001",
        f"BPR*I*{bpr_total}*C*CHK************20260120",
        f"TRN*1*{trace}*1512345678",
        "DTM*405*20260119",
        "N1*PR*ACME HEALTH PLAN",
        "N3*1 PAYER WAY",
        "N4*HARTFORD*CT*06101",
        "PER*BL*PROVIDER SERVICES*TE*8005551234",
        "N1*PE*CEDAR RIDGE BEHAVIORAL HEALTH*XX*1234567893",
        "N3*100 MAIN ST",
        "N4*PORTLAND*OR*97201",
        "REF*TJ*931234567",
    ]
    tx = header + body
    tx.append(f"SE*{len(tx) + 1}*0001")
    segs = [
        f"ISA*00*          *00*          *ZZ*ACME1          *ZZ*TRELLIS01      *260120*1200*^*00501*{control}*0*T*:",
        f"GS*{gs01}*ACME1*TRELLIS01*20260120*1200*101*X*{version}",
        *tx,
        "GE*1*101",
        f"IEA*1*{control}",
    ]
    return "~\n".join(segs) + "~\n"


PAID_IN_FULL = [
    "LX*1",
    "CLP*TR0000000103*1*150*150**12*PAY0003*11*1",
    "NM1*QC*1*DOE*JANE****MI*ACM123456789",
    "SVC*HC:90853*150*150**1",
    "DTM*472*20260105",
    "REF*6R*PS3-0",
]
PARTIALLY_PAID = [
    # Two group sessions paid at the allowed amount less the copay; the third denied (frequency not supported).
    "CLP*TR0000000101*1*450*200*40*12*PAY0001*11*1",
    "NM1*QC*1*DOE*JANE****MI*ACM123456789",
    *[
        seg
        for n in range(2)
        for seg in (
            "SVC*HC:90853*150*100**1",
            f"DTM*472*2026010{5 + n}",
            "CAS*CO*45*30",
            "CAS*PR*3*20",
            f"REF*6R*PS1-{n}",
            "AMT*B6*120",
        )
    ],
    "SVC*HC:90853*150*0**1",
    "DTM*472*20260107",
    "CAS*CO*151*150",
    "REF*6R*PS1-2",
    "LQ*HE*N362",
]
DENIED = [
    "CLP*TR0000000102*4*150*0**12*PAY0002*11*1",
    "CAS*CO*197*150",
    "NM1*QC*1*DOE*JANE****MI*ACM123456789",
]
REVERSAL = [
    "CLP*TR0000000104*22*-150*-120**12*PAY0004*11*1",
    "CAS*CO*45*-30",
    "NM1*QC*1*DOE*JANE****MI*ACM123456789",
]
PLB = ["PLB*1234567893*20261231*WO:PAY0009*30*L6*-5"]


def full_835() -> str:
    # Claims paid 150 + 200 + 0 - 120 = 230; PLB 30 - 5 = 25; BPR02 = 230 - 25 = 205.
    return build_835(PAID_IN_FULL + PARTIALLY_PAID + DENIED + REVERSAL + PLB, bpr_total="205")
