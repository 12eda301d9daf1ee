"""Demo coverage: six payers (Medicare, a Medicaid plan, two commercial plans, an EAP and self-pay), a coverage
for every patient, and for the episodes in care authorizations in every state with concurrent reviews of every
outcome. Deterministic (derived from each episode's position, not from the shared random stream) and built
with bulk_create: a fixed number of queries at any --patients.

The payer ids match the billing demo's profiles (billing seeds after coverage and now reads these coverages
through its registered coverage source), so the demo's claims come from real Coverage rows.

Authorization states seeded for episodes in care whose payer requires authorization (by position, cycle of 10):
  0-3 active (14 to 34 days left)           4 expiring within 7 days
  5   nearly used up (few days authorized; "nearly used" once compliance computes usage)
  6   an expired authorization renewed by an active one       7 expired, not renewed (in care without one)
  8   none at all while services are given                    9 active with a denied review (ends soon)
Reviews: approved N more days, denied, peer-to-peer requested (with its follow-up), pending (due, overdue).
"""

from __future__ import annotations

from datetime import date, timedelta

from trellis.core.demo import DemoContext
from trellis.coverage.models import (
    Authorization,
    ClaimFilingIndicator,
    ClaimForm,
    ConcurrentReview,
    Coverage,
    CoverageOrder,
    EligibilityStatus,
    Payer,
    PayerType,
    Relationship,
    ReviewOutcome,
    UnitKind,
)
from trellis.episodes.models import Episode, EpisodeStatus
from trellis.programs.models import LevelOfCare, Population

PAYERS = [
    # key, name, payer id, type, form, SBR09, timely filing days, source, requires authorization, UR phone
    ("medicare", "Medicare Part A", "MCRA", PayerType.MEDICARE, ClaimForm.INSTITUTIONAL, ClaimFilingIndicator.MEDICARE_A,
     365, "42 CFR 424.44(a): 12 months after the date of service", False, ""),
    ("medicaid", "State Medicaid", "NYMCD", PayerType.MEDICAID, ClaimForm.INSTITUTIONAL, ClaimFilingIndicator.MEDICAID,
     90, "State Medicaid provider manual: 90 days from the date of service (demo, to confirm)", True, "5555550101"),
    ("acme", "Acme Health Plan", "ACME1", PayerType.COMMERCIAL, ClaimForm.PROFESSIONAL, ClaimFilingIndicator.COMMERCIAL,
     180, "Acme provider agreement §7.2 (demo contract)", True, "5555550102"),
    ("blue", "Northway Blue", "NWBLUE", PayerType.COMMERCIAL, ClaimForm.INSTITUTIONAL, ClaimFilingIndicator.BLUE,
     180, "Northway Blue facility agreement, claims submission (demo contract)", True, "5555550103"),
    ("eap", "WellPath EAP", "WPEAP", PayerType.EAP, ClaimForm.PROFESSIONAL, ClaimFilingIndicator.OTHER_NON_FEDERAL,
     90, "WellPath EAP affiliate agreement (demo)", True, "5555550104"),
    ("self", "Self-pay", "SELFPAY", PayerType.SELF_PAY, ClaimForm.PROFESSIONAL, ClaimFilingIndicator.SELF_PAY,
     365, "Organization policy", False, ""),
]
PARENTS = ["Morgan", "Jordan", "Casey", "Taylor"]


def _payer_key(episode: Episode | None, n: int) -> str:
    """The same mapping the billing demo's profiles expect: PHP -> Medicare or Northway Blue, 42 CFR Part 2
    programs -> Medicaid, other programs -> Acme; patients never admitted pay themselves."""
    if episode is None:
        return "self"
    program = episode.program
    if program.level_of_care == LevelOfCare.PHP:
        return "medicare" if n % 2 == 0 else "blue"
    if program.is_part2:
        return "medicaid"
    return "acme"


def seed(ctx: DemoContext) -> None:
    org, today = ctx.org, ctx.today
    payers = {key: Payer(organization=org, name=name, payer_identifier=pid, payer_type=kind, claim_form=form,
                         claim_filing_indicator=sbr09, timely_filing_days=days, timely_filing_source=source,
                         requires_authorization=auth, phone=phone)
              for key, name, pid, kind, form, sbr09, days, source, auth, phone in PAYERS}
    Payer.objects.bulk_create(payers.values())
    episodes = list(Episode.objects.filter(program__organization=org).select_related("program", "patient")
                    .order_by("patient_id", "admitted_on", "pk"))
    first_episode: dict[int, Episode] = {}
    for e in episodes:
        first_episode.setdefault(e.patient_id, e)
    coverages: dict[int, Coverage] = {}
    secondary: list[Coverage] = []
    patients = sorted(ctx.patients, key=lambda p: p.pk)
    for n, patient in enumerate(patients):
        episode = first_episode.get(patient.pk)
        payer = payers[_payer_key(episode, n)]
        start = (episode.admitted_on if episode else today) - timedelta(days=200 + n % 150)
        adolescent = episode is not None and episode.program.population == Population.ADOLESCENT
        cov = Coverage(
            patient=patient, payer=payer, order=CoverageOrder.PRIMARY,
            member_id="" if payer.payer_type == PayerType.SELF_PAY else f"{payer.payer_identifier[:3]}{100000 + patient.pk}",
            group_number="" if payer.payer_type in (PayerType.SELF_PAY, PayerType.MEDICARE) else f"GRP{100 + n % 7}",
            relationship=Relationship.CHILD if adolescent else Relationship.SELF,
            effective_from=start,
            eligibility_status=EligibilityStatus.ACTIVE if n % 5 else EligibilityStatus.NOT_CHECKED,
            eligibility_checked_on=(start + timedelta(days=200) if n % 5 else None),
        )
        if cov.eligibility_checked_on and cov.eligibility_checked_on > today:
            cov.eligibility_checked_on = today
        if adolescent:  # the parent is the subscriber (837 2010BA; PAT01 19 child)
            cov.subscriber_first_name, cov.subscriber_last_name = PARENTS[n % len(PARENTS)], patient.legal_last_name
            cov.subscriber_birth_date = date(1976 + n % 12, 1 + n % 12, 1 + n % 28)
            cov.subscriber_sex = "F" if n % 2 else "M"
            cov.subscriber_address_line1, cov.subscriber_city = patient.address_line1, patient.city
            cov.subscriber_state, cov.subscriber_postal_code = patient.state, patient.postal_code
        coverages[patient.pk] = cov
        if payer.payer_type == PayerType.COMMERCIAL and n % 6 == 1:
            # An employer EAP as secondary: it pays its sessions once the plan has processed the claim.
            secondary.append(Coverage(patient=patient, payer=payers["eap"], order=CoverageOrder.SECONDARY,
                                      member_id=f"EAP{200000 + patient.pk}", effective_from=start,
                                      effective_to=start + timedelta(days=365),
                                      eligibility_status=EligibilityStatus.NOT_CHECKED))
    Coverage.objects.bulk_create([*coverages.values(), *secondary], batch_size=2000)
    auths, reviews = _authorizations(today, episodes, coverages)
    ctx.say(f"Coverage: {len(payers)} payers, {len(coverages) + len(secondary)} coverages, {len(auths)} "
            f"authorizations, {len(reviews)} concurrent reviews.")


def _authorizations(today: date, episodes: list[Episode], coverages: dict[int, Coverage]) -> tuple[list, list]:
    in_care = [e for e in episodes if e.status == EpisodeStatus.ACTIVE and e.admitted_on <= today
               and coverages.get(e.patient_id) is not None and coverages[e.patient_id].payer.requires_authorization]
    in_care.sort(key=lambda e: e.pk)
    plans: list[tuple[Authorization, list[ConcurrentReview]]] = []
    for n, episode in enumerate(in_care):
        cov = coverages[episode.patient_id]
        per_service = cov.payer.claim_form == ClaimForm.PROFESSIONAL
        plans.extend(_plan(n % 10, episode, cov, today, per_service, n))
    for episode in episodes:
        cov = coverages.get(episode.patient_id)
        if episode.status != EpisodeStatus.DISCHARGED or cov is None or not cov.payer.requires_authorization:
            continue
        # A past stay: authorized from admission to discharge, extended once at its first review.
        end = episode.discharged_on or episode.admitted_on
        review_on = min(episode.admitted_on + timedelta(days=7), end)
        plans.append((_auth(episode, cov, f"PA{700000 + episode.pk}", episode.admitted_on, end,
                            per_service=cov.payer.claim_form == ClaimForm.PROFESSIONAL),
                      [_review(review_on, ReviewOutcome.APPROVED, reviewed=review_on, days=7,
                               reviewer="R. Alvarez, RN", notes="Continued stay approved.")]))
    Authorization.objects.bulk_create([a for a, _ in plans], batch_size=2000)
    reviews = []
    for auth, items in plans:
        for r in items:
            r.authorization = auth
            reviews.append(r)
    ConcurrentReview.objects.bulk_create(reviews, batch_size=2000)
    return [a for a, _ in plans], reviews


def _auth(episode: Episode, cov: Coverage, number: str, start: date, end: date, *, per_service: bool,
          units: int | None = None, frequency: int | None = 7) -> Authorization:
    days = (end - start).days + 1
    return Authorization(
        coverage=cov, episode=episode, number=number, level_of_care=episode.program.level_of_care,
        # Per-service (837P) plans authorize visits/units of the CPT codes; per-diem plans authorize days.
        unit_kind=UnitKind.UNITS if per_service else UnitKind.DAYS,
        # Programs run about five days a week: days authorized ~ weekdays in range; visits ~ three a day.
        units_authorized=units if units is not None else max(1, days * 5 // 7) * (3 if per_service else 1),
        service_codes="" if per_service else ("S0201" if episode.program.level_of_care == LevelOfCare.PHP else "H0015"),
        start_on=start, end_on=end, review_frequency_days=frequency,
    )


def _review(due: date, outcome: str = ReviewOutcome.PENDING, *, reviewed: date | None = None, days: int | None = None,
            reviewer: str = "", notes: str = "") -> ConcurrentReview:
    return ConcurrentReview(due_on=due, outcome=outcome, reviewed_on=reviewed, approved_days=days, reviewer=reviewer,
                            notes=notes)


def _plan(kind: int, episode: Episode, cov: Coverage, today: date, per_service: bool,
          n: int) -> list[tuple[Authorization, list[ConcurrentReview]]]:
    start = episode.admitted_on
    number = f"PA{700000 + episode.pk}"
    reviewer = ["R. Alvarez, RN", "J. Chen, LCSW", "Dr. K. Osei"][n % 3]
    if kind == 8:
        return []  # none while services are given
    if kind in (6, 7):
        old_end = max(start, today - timedelta(days=2 + n % 4))
        old = _auth(episode, cov, number, start, old_end, per_service=per_service)
        items = [_review(min(start + timedelta(days=7), old_end), ReviewOutcome.APPROVED,
                         reviewed=min(start + timedelta(days=7), old_end), days=7, reviewer=reviewer,
                         notes="Attendance and engagement reviewed; continued stay criteria met.")]
        out = [(old, items)]
        if kind == 6:
            new = _auth(episode, cov, f"{number}R", old_end + timedelta(days=1), today + timedelta(days=21),
                        per_service=per_service)
            out.append((new, [_review(today + timedelta(days=3))]))
        return out
    if kind == 4:
        end = today + timedelta(days=2 + n % 4)
        return [(_auth(episode, cov, number, start, end, per_service=per_service),
                 [_review(max(start, today - timedelta(days=1 + n % 2)))])]  # due or overdue
    if kind == 5:
        end = today + timedelta(days=12)
        days_so_far = (today - start).days + 1
        units = max(1, days_so_far * 5 // 7 + 2)  # weekdays attended so far plus two: nearly used up
        return [(_auth(episode, cov, number, start, end, per_service=per_service, units=units),
                 [_review(today + timedelta(days=1))])]
    if kind == 9:
        end = today + timedelta(days=4)
        reviewed = max(start, today - timedelta(days=1))
        return [(_auth(episode, cov, number, start, end, per_service=per_service),
                 [_review(reviewed, ReviewOutcome.DENIED, reviewed=reviewed, reviewer=reviewer,
                          notes="Payer: step down to a lower level; the authorization ends as issued.")])]
    # Active: approved every week since admission (each approval extended it by 7 days), then the review in
    # progress varies by position: peer-to-peer requested, due today, or due later this week.
    end = today + timedelta(days=14 + n % 21)
    items = []
    due = start + timedelta(days=7)
    while due < today - timedelta(days=1):
        items.append(_review(due, ReviewOutcome.APPROVED, reviewed=due, days=7, reviewer=reviewer,
                             notes="Continued stay approved for 7 days; next review in a week."))
        due += timedelta(days=7)
    if kind == 1:
        items.append(_review(today, ReviewOutcome.PEER_TO_PEER, reviewed=today, reviewer=reviewer,
                             notes="Reviewer asked for a peer-to-peer with the attending psychiatrist."))
        items.append(_review(today + timedelta(days=1)))
    elif kind == 2:
        items.append(_review(today))  # due today
    else:
        items.append(_review(min(max(due, today + timedelta(days=1 + n % 5)), end)))
    return [(_auth(episode, cov, number, start, end, per_service=per_service), items)]
