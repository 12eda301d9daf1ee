"""Claims from charges, scrubbing, status changes, replacement and void claims."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from trellis.accounts.models import User
from trellis.attendance.models import Attendance
from trellis.audit.models import AuditAction
from trellis.audit.services import AuditEntry, record, record_many
from trellis.billing import lifecycle, scrub
from trellis.billing.boundary import AuthorizationInfo, CoverageInfo, PayerInfo, SubscriberInfo
from trellis.billing.models import (
    Charge,
    ChargeStatus,
    Claim,
    ClaimLine,
    ClaimStatus,
    ClaimType,
    Documentation,
)
from trellis.billing.selectors import day_minutes, documentation_status, worst_documentation
from trellis.billing.services.common import AuthorizationLookup, CoverageLookup, chunked
from trellis.consents.selectors import find_releases
from trellis.documentation.rules import ATTENDED_STATUSES

MAX_DIAGNOSES = 12
MAX_POINTERS = 4


class ClaimError(ValueError):
    pass


def _pcn() -> str:
    # Patient control number (CLM01, echoed as CLP01): opaque, no PHI, 14 characters.
    return "TR" + uuid.uuid4().hex[:12].upper()


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _diagnoses(episode: Any) -> list[str]:
    rows = [d for d in episode.diagnoses.all() if not d.entered_in_error and d.resolved_on is None]
    rows.sort(key=lambda d: (d.rank != "primary", d.pk))
    seen: list[str] = []
    for d in rows:
        if d.code not in seen:
            seen.append(d.code)
    return seen[:MAX_DIAGNOSES]


def _audit(claim: Claim, actor: User, action: str, **detail: Any) -> None:
    record(action=action, obj=claim, patient=claim.episode.patient, actor=actor, detail=detail or None)


def set_claim_status(*, claim: Claim, status: str, actor: User | None = None, save: bool = True) -> Claim:
    lifecycle.check_transition(claim.status, status)
    claim.status = status
    claim.status_changed_at = timezone.now()
    if save:
        claim.save(update_fields=["status", "status_changed_at", "updated_at"])
        _audit(claim, actor, AuditAction.UPDATE, status=status)
    return claim


def create_claims(
    *, organization: Any, coverage_for: CoverageLookup, authorization_for: AuthorizationLookup | None = None,
    through: date | None = None, actor: User | None = None,
) -> tuple[list[Claim], list[str]]:
    """One draft claim per episode, billing profile, ISO week and (837P) rendering/supervising clinician from the
    open charges - one rendering provider per claim, so the claim-level NM1*82 is right for every line.
    Returns the claims and why any charge was left open (no coverage on the date)."""
    charges = (Charge.objects.filter(status=ChargeStatus.OPEN, episode__program__organization=organization)
               .select_related("profile", "episode__patient", "episode__program")
               .prefetch_related("episode__diagnoses").order_by("service_date", "pk"))
    if through is not None:
        charges = charges.filter(service_date__lte=through)
    groups: dict[tuple, list[Charge]] = defaultdict(list)
    for charge in charges:
        providers = (() if charge.profile.claim_type == ClaimType.INSTITUTIONAL
                     else (charge.rendering_provider_id, charge.supervising_provider_id))
        groups[(charge.episode_id, charge.profile_id, _monday(charge.service_date), *providers)].append(charge)
    created: list[Claim] = []
    left: list[str] = []
    with transaction.atomic():
        for (_, _, monday, *_providers), group in groups.items():
            first = group[0]
            coverage = coverage_for(first.episode, first.service_date)
            if coverage is None:
                left.append(f"episode {first.episode.public_id} week of {monday:%Y-%m-%d}: no coverage")
                continue
            auth = authorization_for(first.episode, first.service_date) if authorization_for else None
            created.append(_claim_from(group, coverage, auth, actor, monday))
    return created, left


def _claim_from(charges: list[Charge], coverage: CoverageInfo, auth: AuthorizationInfo | None, actor: User,
                monday: date, *, frequency: str = "1", replaces: Claim | None = None) -> Claim:
    first = charges[0]
    profile, episode = first.profile, first.episode
    dx = _diagnoses(episode)
    institutional = profile.claim_type == ClaimType.INSTITUTIONAL
    claim = Claim.objects.create(
        episode=episode, profile=profile, claim_type=profile.claim_type, patient_control_number=_pcn(),
        frequency_code=frequency, replaces=replaces,
        payer_claim_number=replaces.payer_claim_number if replaces else "",
        # a replacement or void of a secondary claim stays a secondary claim with the primary's adjudication
        payer_sequence=replaces.payer_sequence if replaces else "P",
        primary_claim=replaces.primary_claim if replaces else None,
        other_payer=replaces.other_payer if replaces else {},
        payer_identifier=coverage.payer.identifier, payer_name=coverage.payer.name,
        claim_filing_indicator=coverage.payer.claim_filing_indicator, member_id=coverage.member_id,
        group_number=coverage.group_number, relationship=coverage.relationship,
        subscriber=_json(asdict(coverage.subscriber)) if coverage.subscriber else {},
        coverage_from=coverage.active_from, coverage_to=coverage.active_to,
        authorization=_json(asdict(auth)) if auth else {},
        diagnosis_codes=dx, place_of_service=profile.place_of_service,
        type_of_bill=profile.type_of_bill if institutional else "",
        condition_codes=profile.condition_codes if institutional else "",
        statement_from=monday if institutional else min(c.service_date for c in charges),
        statement_to=monday + timedelta(days=6) if institutional else max(c.service_date for c in charges),
        total_charge=sum((c.amount for c in charges), Decimal("0")),
        rendering_provider=first.rendering_provider if not institutional else None,
        supervising_provider=first.supervising_provider if not institutional else None,
        attending_provider=(episode.prescriber or episode.primary_clinician) if institutional else None,
        created_by=actor,
    )
    pointers = list(range(1, min(len(dx), MAX_POINTERS) + 1)) or [1]
    ClaimLine.objects.bulk_create([
        ClaimLine(claim=claim, charge=c, number=n, code=c.code, modifiers=c.modifiers, revenue_code=c.revenue_code,
                  place_of_service=c.place_of_service, units=c.units, amount=c.amount, service_date=c.service_date,
                  diagnosis_pointers=pointers, line_control_number=f"{claim.patient_control_number}-{n}")
        for n, c in enumerate(charges, start=1)
    ])
    Charge.objects.filter(pk__in=[c.pk for c in charges]).update(status=ChargeStatus.CLAIMED)
    _audit(claim, actor, AuditAction.CREATE, lines=len(charges), frequency=frequency)
    return claim


def _json(data: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else sorted(v) if isinstance(v, frozenset) else v)
            for k, v in data.items()}


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def snapshot_coverage(claim: Claim) -> CoverageInfo:
    subscriber = None
    if claim.subscriber:
        data = dict(claim.subscriber)
        data["birth_date"] = _date(data["birth_date"])
        subscriber = SubscriberInfo(**data)
    return CoverageInfo(
        payer=PayerInfo(claim.payer_identifier, claim.payer_name, claim.claim_filing_indicator,
                        timely_filing_days=claim.profile.timely_filing_days,
                        requires_authorization=claim.profile.requires_authorization),
        member_id=claim.member_id, group_number=claim.group_number, active_from=claim.coverage_from,
        active_to=claim.coverage_to, relationship=claim.relationship, subscriber=subscriber,
    )


def snapshot_authorization(claim: Claim) -> AuthorizationInfo | None:
    if not claim.authorization:
        return None
    data = dict(claim.authorization)
    return AuthorizationInfo(number=data["number"], start=_date(data["start"]), end=_date(data["end"]),
                             units_authorized=data["units_authorized"], units_used=data.get("units_used", 0),
                             codes=frozenset(data.get("codes") or ()))


def _npi(user: User) -> str:
    profile = getattr(user, "profile", None) if user is not None else None
    return (profile.npi if profile else "") or ""


def scrub_claims(
    *, claims: Iterable[Claim], today: date, actor: User | None = None, coverage_for: CoverageLookup | None = None,
    authorization_for: AuthorizationLookup | None = None,
) -> dict[int, list[scrub.Problem]]:
    """Run every scrubber rule on draft/scrubbed claims; ready claims become `scrubbed`, failing ones stay
    `draft` with their problems recorded. Live coverage/authorization lookups win over the claim's snapshot."""
    results: dict[int, list[scrub.Problem]] = {}
    for ids in chunked(sorted(c.pk for c in claims)):  # a fixed number of queries per 200 claims
        results.update(_scrub_chunk(ids, today, actor, coverage_for, authorization_for))
    return results


def _scrub_chunk(ids: list[int], today: date, actor: User, coverage_for: CoverageLookup | None,
                 authorization_for: AuthorizationLookup | None) -> dict[int, list[scrub.Problem]]:
    claim_list = list(
        Claim.objects.filter(pk__in=ids, status__in=[ClaimStatus.DRAFT, ClaimStatus.SCRUBBED])
        .select_related("profile", "episode__patient", "episode__program__site", "rendering_provider__profile",
                        "attending_provider__profile", "supervising_provider__profile")
        .prefetch_related("lines__charge")
    )
    if not claim_list:
        return {}
    episodes = {c.episode_id: c.episode for c in claim_list}
    lines = [line for c in claim_list for line in c.lines.all()]
    start = min(line.service_date for line in lines) if lines else today
    end = max(line.service_date for line in lines) if lines else today
    minutes = day_minutes(list(episodes.values()), start, end) if lines else {}
    # Documentation status now (notes may have been signed since the charge was captured).
    day_attendance: dict[tuple[int, date], list[int]] = defaultdict(list)
    for att_id, ep_id, day in Attendance.objects.filter(
        episode_id__in=list(episodes), status__in=ATTENDED_STATUSES, session__local_date__gte=start,
        session__local_date__lte=end,
    ).values_list("pk", "episode_id", "session__local_date"):
        day_attendance[(ep_id, day)].append(att_id)
    docs = documentation_status([a for att_ids in day_attendance.values() for a in att_ids])
    # Part 2 programs: a consent naming the payer (42 CFR 2.31/2.33), looked up for the whole chunk at once.
    consents = find_releases([(c.episode.patient, c.payer_name, c.statement_to) for c in claim_list
                              if c.episode.program.is_part2], part2=True)
    results: dict[int, list[scrub.Problem]] = {}
    now = timezone.now()
    with transaction.atomic():
        for claim in claim_list:
            facts = _facts(claim, today, minutes, day_attendance, docs, coverage_for, authorization_for, consents)
            problems = scrub.scrub(facts)
            results[claim.pk] = problems
            claim.scrub_problems = [{"rule": p.rule, "where": p.where, "message": p.message} for p in problems]
            claim.scrubbed_at = now
            target = ClaimStatus.DRAFT if problems else ClaimStatus.SCRUBBED
            if claim.status != target:
                set_claim_status(claim=claim, status=target, save=False)
            claim.updated_at = now
        # One UPDATE and one audit INSERT for the chunk, whatever the number of claims.
        Claim.objects.bulk_update(claim_list, ["scrub_problems", "scrubbed_at", "status", "status_changed_at",
                                               "updated_at"])
        record_many([AuditEntry(action=AuditAction.UPDATE, obj=c, patient=c.episode.patient,
                                site=c.episode.program.site, detail={"scrubbed": len(results[c.pk])})
                     for c in claim_list], actor=actor)
    return results


def _line_documentation(line: ClaimLine, claim: Claim, day_attendance: dict, docs: dict) -> str:
    charge = line.charge
    if charge.attendance_id:
        return docs.get(charge.attendance_id, charge.documentation)
    ids = day_attendance.get((claim.episode_id, line.service_date), [])
    return worst_documentation(docs[i] for i in ids) if ids else Documentation.MISSING


def _facts(claim: Claim, today: date, minutes: dict, day_attendance: dict, docs: dict,
           coverage_for: CoverageLookup | None, authorization_for: AuthorizationLookup | None,
           consents: dict) -> scrub.ClaimFacts:
    episode = claim.episode
    # A secondary (COB) claim is checked against the secondary coverage recorded on it; the live lookups give the
    # primary coverage. Authorizations on file belong to the primary coverage (coverage app): a secondary payer's
    # own precertification is not recorded in Trellis, so it is not checked here (to confirm per payer).
    secondary = claim.payer_sequence != "P"
    live = coverage_for is not None and not secondary
    coverage = coverage_for(episode, claim.statement_from) if live else snapshot_coverage(claim)
    auth = authorization_for(episode, claim.statement_from) if authorization_for else snapshot_authorization(claim)
    profile = claim.profile
    lines = tuple(
        scrub.LineFacts(
            number=line.number, code=line.code, service_date=line.service_date, charge=line.amount,
            units=line.units, diagnosis_pointers=tuple(line.diagnosis_pointers), per_diem=line.charge.per_diem,
            documentation=_line_documentation(line, claim, day_attendance, docs),
            day_minutes=minutes.get((claim.episode_id, line.service_date), 0) if line.charge.per_diem else None,
            day_minimum=profile.per_diem_min_minutes if line.charge.per_diem else None,
        )
        for line in claim.lines.all()
    )
    part2 = episode.program.is_part2
    consent = part2 and consents.get((episode.patient.pk, claim.payer_name, claim.statement_to)) is not None
    return scrub.ClaimFacts(
        reference=claim.patient_control_number, claim_type=claim.claim_type, total_charge=claim.total_charge,
        lines=lines, diagnosis_codes=tuple(claim.diagnosis_codes), billing_npi=episode.program.site.npi,
        payer_identifier=claim.payer_identifier, payer_name=claim.payer_name, coverage=coverage, today=today,
        timely_filing_days=coverage.payer.timely_filing_days if live and coverage else profile.timely_filing_days,
        rendering_npi=_npi(claim.rendering_provider), attending_npi=_npi(claim.attending_provider),
        rendering_named=claim.rendering_provider_id is not None,
        supervising_named=claim.supervising_provider_id is not None,
        billing_postal_code=episode.program.site.postal_code, billing_tax_id=episode.program.site.tax_id,
        supervising_npi=_npi(claim.supervising_provider), authorization=auth,
        authorization_required=profile.requires_authorization and not secondary,
        credentialed_npis=coverage.payer.credentialed_npis if coverage else None,
        part2=part2, part2_consent_to_payer=bool(consent), frequency_code=claim.frequency_code,
        payer_claim_number=claim.payer_claim_number,
    )


@transaction.atomic
def appeal_claim(*, claim: Claim, actor: User) -> Claim:
    """Record that a denied (or partly denied) claim was appealed; its denials leave the worklist."""
    set_claim_status(claim=claim, status=ClaimStatus.APPEALED, actor=actor)
    claim.remittances.filter(denied=True, worked_at__isnull=True).update(worked_at=timezone.now())
    return claim


@transaction.atomic
def replace_claim(*, claim: Claim, actor: User, charges: list[Charge] | None = None) -> Claim:
    """A replacement claim (frequency 7) for an adjudicated claim, with REF*F8 = the payer's claim number."""
    return _follow_up(claim=claim, actor=actor, frequency="7", charges=charges)


@transaction.atomic
def void_claim(*, claim: Claim, actor: User) -> Claim:
    """Void: unsent claims become void; sent ones get a void claim (frequency 8) naming the payer claim."""
    if claim.status in (ClaimStatus.DRAFT, ClaimStatus.SCRUBBED):
        set_claim_status(claim=claim, status=ClaimStatus.VOID, actor=actor)
        Charge.objects.filter(claim_lines__claim=claim).update(status=ChargeStatus.OPEN)
        return claim
    return _follow_up(claim=claim, actor=actor, frequency="8", charges=None)


def _follow_up(*, claim: Claim, actor: User, frequency: str, charges: list[Charge] | None) -> Claim:
    if not claim.payer_claim_number:
        raise ClaimError("The payer's claim number is not known yet (it comes with the remittance): a replacement "
                         "or void can only follow a claim the payer has adjudicated.")
    if claim.status in (ClaimStatus.DRAFT, ClaimStatus.SCRUBBED, ClaimStatus.BATCHED, ClaimStatus.VOID):
        raise ClaimError("Only a submitted claim can be replaced or voided by a new claim.")
    used = charges if charges is not None else [line.charge for line in claim.lines.select_related(
        "charge__profile", "charge__episode__patient", "charge__episode__program", "charge__rendering_provider",
        "charge__supervising_provider").prefetch_related("charge__episode__diagnoses")]
    new = _claim_from(used, snapshot_coverage(claim), snapshot_authorization(claim), actor,
                      _monday(claim.statement_from), frequency=frequency, replaces=claim)
    set_claim_status(claim=claim, status=ClaimStatus.VOID, actor=actor)
    return new


def rebuild_after_correction(*, claim: Claim, old: Charge, new: Charge, actor: User) -> Claim:
    """After a claimed charge is corrected: an unsent claim is rebuilt in place (back to draft); a sent one
    gets a replacement claim (frequency 7) carrying the corrected charge."""
    if claim.status in (ClaimStatus.DRAFT, ClaimStatus.SCRUBBED):
        line = claim.lines.get(charge=old)
        line.charge, line.code, line.units, line.amount, line.modifiers = new, new.code, new.units, new.amount, new.modifiers
        line.save()
        claim.total_charge = sum((ln.amount for ln in claim.lines.all()), Decimal("0"))
        if claim.status == ClaimStatus.SCRUBBED:
            set_claim_status(claim=claim, status=ClaimStatus.DRAFT, save=False)
        claim.save()
        Charge.objects.filter(pk=new.pk).update(status=ChargeStatus.CLAIMED)
        _audit(claim, actor, AuditAction.UPDATE, rebuilt=True)
        return claim
    charges = [new if line.charge_id == old.pk else line.charge for line in claim.lines.select_related("charge")]
    for charge in charges:  # the replacement bills the same episode; reuse the loaded relations
        charge.episode = claim.episode
    return _follow_up(claim=claim, actor=actor, frequency="7", charges=charges)
