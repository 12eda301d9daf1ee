"""Demo billing: payers of each type (commercial, Blue plan, Medicaid, Medicare) with billing profiles and fee
schedules, charges from the demo attendance, claims in every state, batches validated by pyx12, and 835s that
pay some claims, deny some (CARC 197 authorization absent, 50 medical necessity), adjust some, reverse and
re-pay one, recover an overpayment (PLB) and leave one unknown claim in suspense.

Coverages and authorizations come from the coverage app's demo (real Coverage and Authorization rows, payer ids
matching the profiles below) through `trellis.billing.coverage_source`. Rates are illustrative (marked
unconfirmed); codes come from trellis.billing.catalog with their sources.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from trellis.billing import services
from trellis.billing.boundary import PayerInfo
from trellis.billing.coverage_source import source_for
from trellis.billing.models import (
    BillingMode,
    BillingProfile,
    ChargeStatus,
    Claim,
    ClaimStatus,
    ClaimType,
    FeeScheduleEntry,
)
from trellis.billing.submission import FileDropSubmitter
from trellis.billing.x12.common import Envelope
from trellis.billing.x12.remittance import (
    Adjustment,
    ClaimPayment,
    Payment,
    ProviderAdjustment,
    ServicePayment,
)
from trellis.billing.x12.remittance_writer import write_835
from trellis.consents.models import ConsentKind
from trellis.consents.services import create_consent, sign_consent
from trellis.core.demo import DemoContext
from trellis.episodes.models import Episode
from trellis.programs.models import LevelOfCare

RATE_SOURCE = "Illustrative demo rate - replace with the payer contract's (to confirm)"
ACME = PayerInfo("ACME1", "Acme Health Plan", "CI", timely_filing_days=180)
BLUE = PayerInfo("NWBLUE", "Northway Blue", "BL", timely_filing_days=180)
MEDICAID = PayerInfo("NYMCD", "State Medicaid", "MC", timely_filing_days=90)
MEDICARE = PayerInfo("MCRA", "Medicare Part A", "MA", timely_filing_days=365, requires_authorization=False)
EPISODE_LIMIT = 48
WEEKS = 4

PROFILES = [
    # payer, program name or None, level, mode, claim type, TOB, condition codes, min minutes, auth, source, fees
    (ACME, None, LevelOfCare.IOP, BillingMode.PER_SERVICE, ClaimType.PROFESSIONAL, "", "", None, True,
     "Demo commercial contract: per-service CPT on 837P; telehealth 95/93 with POS 10/02",
     [("group_psychotherapy", "90853", "", "95"), ("individual_therapy", "90832", "", "85"),
      ("individual_therapy", "90834", "", "120"), ("individual_therapy", "90837", "", "160"),
      ("intake", "90791", "", "220"), ("intake", "90792", "", "250"), ("family_therapy", "90846", "", "130"),
      ("family_therapy", "90847", "", "140"), ("medication_management", "99213", "", "95"),
      ("medication_management", "99214", "", "140")]),
    (BLUE, "Adult Partial Hospitalization", LevelOfCare.PHP, BillingMode.PER_DIEM, ClaimType.INSTITUTIONAL, "13",
     "", 240, True, "Demo Blue plan PHP per diem S0201, revenue 0913, TOB 13x; 4-hour day minimum (to confirm)",
     [("per_diem", "S0201", "0913", "650")]),
    (MEDICAID, "Adult Intensive Outpatient", LevelOfCare.IOP, BillingMode.PER_DIEM, ClaimType.INSTITUTIONAL, "76",
     "", 180, True, "Demo state Medicaid SUD IOP per diem H0015 (3+ hours/day per the HCPCS descriptor), revenue "
     "0906, TOB 76x CMHC", [("per_diem", "H0015", "0906", "210")]),
    (MEDICARE, None, LevelOfCare.PHP, BillingMode.PER_SERVICE, ClaimType.INSTITUTIONAL, "13", "41", None, False,
     "Medicare PHP on 837I TOB 13x with condition code 41 and per-service HCPCS/CPT lines (Medicare Claims "
     "Processing Manual ch. 4 §260); revenue codes 0914/0915/0916",
     [("group_psychotherapy", "90853", "0915", "110"), ("individual_therapy", "90832", "0914", "90"),
      ("individual_therapy", "90834", "0914", "125"), ("individual_therapy", "90837", "0914", "170"),
      ("family_therapy", "90847", "0916", "150"), ("intake", "90791", "0914", "230"),
      ("intake", "90792", "0914", "260"), ("medication_management", "99213", "0914", "100"),
      ("medication_management", "99214", "0914", "150")]),
]


def seed(ctx: DemoContext) -> None:
    org = ctx.org
    programs = {p.name: p for p in ctx.extra.get("programs", [])}
    for payer, program_name, level, mode, claim_type, tob, conditions, minimum, auth, source, fees in PROFILES:
        profile = BillingProfile.objects.create(
            organization=org, payer_identifier=payer.identifier, payer_name=payer.name,
            claim_filing_indicator=payer.claim_filing_indicator, program=programs.get(program_name or ""),
            level_of_care=level, billing_mode=mode, claim_type=claim_type, type_of_bill=tob,
            condition_codes=conditions, place_of_service="11" if claim_type == ClaimType.PROFESSIONAL else "",
            video_modifier="95", audio_modifier="93", per_diem_min_minutes=minimum,
            timely_filing_days=payer.timely_filing_days, requires_authorization=auth, source=source, confirmed=False,
        )
        FeeScheduleEntry.objects.bulk_create([
            FeeScheduleEntry(profile=profile, service_type=service_type, code=code, revenue_code=rev, rate=Decimal(rate),
                             effective_from=ctx.today - timedelta(days=365), source=RATE_SOURCE, confirmed=False)
            for service_type, code, rev, rate in fees
        ])
    episodes = list(Episode.objects.filter(program__organization=org, admitted_on__lt=ctx.today)
                    .select_related("patient", "program").order_by("pk")[:EPISODE_LIMIT])
    if not episodes:
        return
    # Payers, coverages and authorizations are the coverage app's demo rows (seeded before billing), read through
    # the same source the build_claims command uses, preloaded for these episodes.
    source = source_for(episodes)
    coverage_for, authorization_for = source.coverage_for, source.authorization_for
    _part2_consents(episodes, coverage_for, ctx.today)

    through = ctx.today - timedelta(days=1)
    captured = services.capture_charges(organization=org, through=through, since=ctx.today - timedelta(weeks=WEEKS),
                                        coverage_for=coverage_for, episodes=episodes)
    open_charges = [c for c in captured.created if c.status == ChargeStatus.OPEN]
    if open_charges:
        services.hold_charge(charge=open_charges[-1], reason="Waiting for the authorization number", actor=None)
    claims, _ = services.create_claims(organization=org, coverage_for=coverage_for,
                                       authorization_for=authorization_for, through=through)
    services.scrub_claims(claims=claims, today=ctx.today)
    ready = sorted(Claim.objects.filter(pk__in=[c.pk for c in claims], status=ClaimStatus.SCRUBBED),
                   key=lambda c: (c.statement_from, c.pk))
    older = [c for c in ready if c.statement_to < ctx.today - timedelta(days=7)]
    batches = services.build_batches(organization=org, claims=older) if older else []
    outbox = FileDropSubmitter(settings.TRELLIS_CLAIMS_DROP_DIR)
    for batch in batches[:-1] if len(batches) > 1 else batches:
        services.submit_batch(batch=batch, submitter=outbox)
    _remit(ctx, org)
    drafts = list(Claim.objects.filter(episode__program__organization=org, status=ClaimStatus.DRAFT)[:1])
    for claim in drafts:
        services.void_claim(claim=claim, actor=None)
    # The voided claim's charges are open again: claim them anew (a draft waiting to be scrubbed).
    services.create_claims(organization=org, coverage_for=coverage_for, authorization_for=authorization_for,
                           through=through)
    counts = Counter(Claim.objects.filter(episode__program__organization=org).values_list("status", flat=True))
    ctx.say("Billing: " + ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in sorted(counts.items()))
            + f" claims; {len(batches)} X12 batches.")


def _part2_consents(episodes: list[Any], coverage_for: Any, today: date) -> None:
    """Half the 42 CFR Part 2 patients consented to disclosure to their payer; the others' claims are held."""
    for n, episode in enumerate(episodes):
        if not episode.program.is_part2:
            continue
        coverage = coverage_for(episode, min(today, episode.discharged_on or today))
        if coverage is not None and n % 2 == 0:
            _payer_consent(episode, coverage.payer)


def _payer_consent(episode: Any, payer: PayerInfo) -> None:
    """A 42 CFR Part 2 consent naming the payer (42 CFR 2.31), created and signed through the consents app."""
    patient, site = episode.patient, episode.program.site
    consent = create_consent(
        patient=patient, site=site, kind=ConsentKind.PART2, created_by=None, recipient_name=payer.name,
        information="Dates of service, procedure and diagnosis codes, attendance minutes",
        purpose="Payment: claims to the patient's health plan", expires_on=timezone.localdate() + timedelta(days=365),
    )
    signed_at = datetime.combine(episode.admitted_on, datetime.min.time(), tzinfo=UTC) + timedelta(hours=15)
    sign_consent(consent=consent, signer_name=f"{patient.legal_first_name} {patient.legal_last_name}",
                 collected_by=None, ip_address=None, signed_at=signed_at)


def _line_payment(line: Any, paid: Decimal, adjustments: list[Adjustment], allowed: Decimal | None) -> ServicePayment:
    return ServicePayment("HC", line.code, tuple(m for m in line.modifiers.split(",") if m), line.amount, paid,
                          revenue_code=line.revenue_code, units=line.units, service_date=line.service_date,
                          line_control_number=line.line_control_number, allowed=allowed, adjustments=adjustments)


OUTCOMES = ["paid", "denied_197", "paid", "partial", "paid", "denied_50", "paid"]


def _pay(claim: Claim, n: int) -> ClaimPayment:
    """Cycle of outcomes: paid at 80% of charges with a $20 copay on the first line, denied (CARC 197
    authorization absent, or 50 medical necessity), partially paid (CARC 151 on the last line)."""
    outcome = OUTCOMES[n % len(OUTCOMES)]
    lines = list(claim.lines.all())
    cp = ClaimPayment(claim.patient_control_number, "1", claim.total_charge, Decimal("0"), Decimal("0"),
                      "MC" if claim.claim_filing_indicator == "MC" else "12", f"PCN{claim.pk:08d}",
                      "13" if claim.claim_type == ClaimType.INSTITUTIONAL else "11", "1",
                      claim.episode.patient.legal_last_name, claim.episode.patient.legal_first_name, claim.member_id)
    if outcome.startswith("denied"):
        cp.status_code = "4"
        cp.adjustments.append(Adjustment("CO", outcome.split("_")[1], claim.total_charge))
        return cp
    for index, line in enumerate(lines):
        allowed = (line.amount * Decimal("0.80")).quantize(Decimal("0.01"))
        copay = min(Decimal("20"), allowed) if index == 0 else Decimal("0")
        adj = [Adjustment("CO", "45", line.amount - allowed)]
        if copay:
            adj.append(Adjustment("PR", "3", copay))
        paid = allowed - copay
        if outcome == "partial" and index == len(lines) - 1:
            cut = paid if len(lines) > 1 else (paid / 2).quantize(Decimal("0.01"))
            adj.append(Adjustment("CO", "151", cut))
            paid -= cut
        sp = _line_payment(line, paid, adj, allowed)
        if outcome == "partial" and index == len(lines) - 1:
            sp.remark_codes.append("N362")
        cp.patient_responsibility += copay
        cp.paid += sp.paid
        cp.service_lines.append(sp)
    return cp


def _remit(ctx: DemoContext, org: Any) -> None:
    submitted = list(Claim.objects.filter(episode__program__organization=org, status=ClaimStatus.SUBMITTED)
                     .select_related("episode__patient", "episode__program__site").prefetch_related("lines")
                     .order_by("statement_from", "pk"))
    if not submitted:
        return
    to_pay = submitted[: max(1, len(submitted) * 3 // 4)]
    rest = submitted[len(to_pay):]
    for claim in rest[: len(rest) // 2]:
        services.set_claim_status(claim=claim, status=ClaimStatus.ACCEPTED)
    by_payer: dict[tuple[str, str], list[Claim]] = {}
    for claim in to_pay:
        by_payer.setdefault((claim.payer_identifier, claim.episode.program.site.npi), []).append(claim)
    payments = []
    counter = 0
    site_names = {c.episode.program.site.npi: c.episode.program.site for c in to_pay}
    for number, ((payer_id, npi), claims) in enumerate(sorted(by_payer.items()), start=1):
        first = claims[0]
        payment = Payment(f"{number:04d}", "I", Decimal("0"), "C", "ACH", ctx.today - timedelta(days=2),
                          f"EFT{ctx.today:%y%m%d}{number:03d}", "1512345678", payer_name=first.payer_name,
                          payer_identifier=payer_id, payee_name=org.name, payee_identifier=npi)
        payment.claims = [_pay(claim, counter + n) for n, claim in enumerate(claims)]
        counter += len(claims)
        if number == 1:
            payment.provider_adjustments.append(ProviderAdjustment(npi, date(ctx.today.year, 12, 31), "WO",
                                                                   "PRIOR-OVERPAY-1", Decimal("25.00")))
            payment.claims.append(ClaimPayment("TR000000000000", "1", Decimal("45"), Decimal("45"), Decimal("0"),
                                               "12", "UNKNOWN1", "11", "1", "UNKNOWN", "PATIENT"))
        payment.total_paid = sum((c.paid for c in payment.claims), Decimal("0")) - sum(
            (p.amount for p in payment.provider_adjustments), Decimal("0"))
        payments.append(payment)
    _post(ctx, org, payments, 1)
    # A second remittance reverses one paid claim and pays it again at a corrected amount (CLP02 22 then 1).
    paid = Claim.objects.filter(pk__in=[c.pk for c in to_pay], status=ClaimStatus.PAID).order_by("pk").first()
    if paid is not None:
        original = next(c for p in payments for c in p.claims if c.patient_control_number == paid.patient_control_number)
        reversal = ClaimPayment(original.patient_control_number, "22", -original.charge, -original.paid,
                                -original.patient_responsibility, original.claim_filing_indicator,
                                original.payer_claim_number, original.facility_code, "1", original.patient_last_name,
                                original.patient_first_name, original.patient_identifier,
                                adjustments=[Adjustment(a.group_code, a.reason_code, -a.amount)
                                             for a in original.all_adjustments()])
        repaid_amount = original.paid + Decimal("5.00")
        corrected = ClaimPayment(original.patient_control_number, "1", original.charge, repaid_amount,
                                 original.patient_responsibility, original.claim_filing_indicator,
                                 original.payer_claim_number, original.facility_code, "1",
                                 original.patient_last_name, original.patient_first_name, original.patient_identifier,
                                 adjustments=[Adjustment("CO", "45", original.charge - repaid_amount
                                                         - original.patient_responsibility)]
                                 + ([Adjustment("PR", "3", original.patient_responsibility)]
                                    if original.patient_responsibility else []))
        site = site_names[paid.episode.program.site.npi]
        payment = Payment("0001", "I", corrected.paid + reversal.paid, "C", "ACH", ctx.today - timedelta(days=1),
                          f"EFT{ctx.today:%y%m%d}900", "1512345678", payer_name=paid.payer_name,
                          payer_identifier=paid.payer_identifier, payee_name=org.name, payee_identifier=site.npi,
                          claims=[reversal, corrected])
        _post(ctx, org, [payment], 2)
    denied = Claim.objects.filter(pk__in=[c.pk for c in to_pay], status=ClaimStatus.DENIED).order_by("pk").first()
    if denied is not None:
        services.appeal_claim(claim=denied, actor=None)


def _post(ctx: DemoContext, org: Any, payments: list[Payment], number: int) -> None:
    created = datetime.combine(ctx.today, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    env = Envelope("DEMOPAYERS", "TRELLIS", 500 + number, 500 + number, timezone.localtime(created), usage="T")
    content = write_835(env, payments)
    services.import_remittance(content=content, organization=org)
    target = settings.DATA_DIR / f"demo-remittance-{number}.835"
    target.write_text(content, encoding="ascii")
