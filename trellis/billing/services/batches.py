"""Claim batches: scrubbed claims -> one X12 interchange per site and claim type, validated by pyx12 before
anything is stored (an invalid file is refused, nothing changes); file-drop submission, idempotent."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from trellis.accounts.models import User
from trellis.attendance.models import Attendance
from trellis.attendance.services import lock_attendance
from trellis.audit.models import AuditAction
from trellis.audit.services import record
from trellis.billing.models import (
    BatchStatus,
    Claim,
    ClaimBatch,
    ClaimStatus,
    ClaimType,
    ControlNumberCounter,
)
from trellis.billing.services.claims import set_claim_status
from trellis.billing.services.common import CHUNK, chunked
from trellis.billing.submission import Submitter
from trellis.billing.x12 import claims as x12
from trellis.billing.x12.common import Envelope, X12BuildError
from trellis.billing.x12.validate import validate_x12
from trellis.billing.x12.writer import Interchange, Transaction, write_837i, write_837p
from trellis.core.part2 import part2_abbreviated_notice

MAX_CLAIMS_PER_TRANSACTION = 5000  # 837 IG 1.4.x recommends at most 5000 CLM per ST-SE


class BatchRefused(RuntimeError):
    """The batch could not be built or failed validation; nothing was stored."""

    def __init__(self, message: str, errors: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)


def _next_control_number(organization: Any) -> int:
    counter, _ = ControlNumberCounter.objects.get_or_create(organization=organization)
    counter = ControlNumberCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last_value = counter.last_value % 999_999_999 + 1
    counter.save(update_fields=["last_value"])
    return counter.last_value


def _address(line1: str, city: str, state: str, postal: str, line2: str = "") -> x12.Address:
    return x12.Address(line1=line1, city=city, state=state, postal_code=postal, line2=line2)


def _provider(user: User) -> x12.Provider | None:
    if user is None:
        return None
    profile = getattr(user, "profile", None)
    names = (user.full_name or "").rsplit(" ", 1)
    first, last = (names[0], names[1]) if len(names) == 2 else ("", names[0])
    return x12.Provider(last_name=last, first_name=first, npi=(profile.npi if profile else "") or "")


def to_x12_claim(claim: Claim) -> x12.Claim:
    patient = claim.episode.patient
    person = x12.Person(
        last_name=patient.legal_last_name, first_name=patient.legal_first_name, birth_date=patient.date_of_birth,
        sex=patient.sex_at_birth if patient.sex_at_birth in ("F", "M") else "U",
        address=_address(patient.address_line1, patient.city, patient.state, patient.postal_code,
                         patient.address_line2),
    )
    if claim.subscriber:
        s = claim.subscriber
        subscriber_person = x12.Person(
            last_name=s["last_name"], first_name=s["first_name"],
            birth_date=datetime.fromisoformat(s["birth_date"]).date(), sex=s["sex"],
            address=_address(s["address_line1"], s["city"], s["state"], s["postal_code"]),
        )
        dependent = person
    else:
        subscriber_person, dependent = person, None
    institutional = claim.claim_type == ClaimType.INSTITUTIONAL
    lines = tuple(
        x12.ServiceLine(
            procedure_code=line.code, charge=line.amount, units=line.units, service_date=line.service_date,
            diagnosis_pointers=tuple(line.diagnosis_pointers), modifiers=tuple(m for m in line.modifiers.split(",") if m),
            revenue_code=line.revenue_code,
            place_of_service=line.place_of_service if not institutional else "",
            line_control_number=line.line_control_number,
        )
        for line in claim.lines.all()
    )
    auth = claim.authorization.get("number", "") if claim.authorization else ""
    return x12.Claim(
        patient_control_number=claim.patient_control_number,
        subscriber=x12.Subscriber(subscriber_person, claim.member_id, claim.group_number),
        payer=x12.Payer(claim.payer_name, claim.payer_identifier, claim.claim_filing_indicator),
        diagnosis_codes=tuple(claim.diagnosis_codes), lines=lines, frequency_code=claim.frequency_code,
        payer_claim_number=claim.payer_claim_number, prior_authorization=auth, patient=dependent,
        patient_relationship=claim.relationship if dependent else "18",
        rendering_provider=_provider(claim.rendering_provider), supervising_provider=_provider(claim.supervising_provider),
        attending_provider=_provider(claim.attending_provider),
        place_of_service=_claim_pos(claim, lines) if not institutional else "11",
        type_of_bill=claim.type_of_bill,
        condition_codes=tuple(c.strip() for c in claim.condition_codes.split(",") if c.strip()),
        statement_from=claim.statement_from if institutional else None,
        statement_to=claim.statement_to if institutional else None,
        # 42 CFR 2.32(a): a disclosure made with the patient's consent (2.31, 2.33) is accompanied by the notice;
        # a claim carries the abbreviated Statement 2, the only form that fits the claim's 80-character note.
        billing_note=part2_abbreviated_notice() if claim.episode.program.is_part2 else "",
    )


def _claim_pos(claim: Claim, lines: tuple[x12.ServiceLine, ...]) -> str:
    # CLM05-1 is the place of service of most lines; lines that differ carry their own SV105.
    counts: dict[str, int] = defaultdict(int)
    for line in lines:
        counts[line.place_of_service or claim.place_of_service] += 1
    return max(counts, key=lambda pos: (counts[pos], pos == claim.place_of_service)) if counts else claim.place_of_service


def build_batches(
    *, organization: Any, claims: Iterable[Claim], actor: User | None = None, created: datetime | None = None,
    validate: bool = True,
) -> list[ClaimBatch]:
    """Scrubbed claims -> batches (one per site and claim type). All or nothing: if any file fails pyx12
    validation or cannot be written, BatchRefused is raised and no batch, control number or status changes."""
    created = created or timezone.now()
    selected: list[Claim] = []
    for ids in chunked(sorted(c.pk for c in claims)):  # a fixed number of queries per 200 claims
        selected += list(
            Claim.objects.filter(pk__in=ids, status=ClaimStatus.SCRUBBED, episode__program__organization=organization)
            .select_related("episode__patient", "episode__program__site", "rendering_provider__profile",
                            "attending_provider__profile", "supervising_provider__profile")
            .prefetch_related("lines__charge")
            .order_by("pk")
        )
    groups: dict[tuple[int, str], list[Claim]] = defaultdict(list)
    for claim in selected:
        groups[(claim.episode.program.site_id, claim.claim_type)].append(claim)
    batches: list[ClaimBatch] = []
    with transaction.atomic():
        for (_, claim_type), group in groups.items():
            site = group[0].episode.program.site
            control = _next_control_number(organization)
            env = Envelope(
                sender_id=settings.TRELLIS_X12_SENDER_ID, receiver_id=settings.TRELLIS_X12_RECEIVER_ID,
                interchange_control_number=control, group_control_number=control,
                created=timezone.localtime(created), usage=settings.TRELLIS_X12_USAGE,
            )
            billing = x12.BillingProvider(
                name=organization.name, npi=site.npi, tax_id=site.tax_id,
                address=_address(site.address_line1, site.city, site.state, site.postal_code, site.address_line2),
            )
            try:
                x12_claims = [to_x12_claim(c) for c in group]
                transactions = [
                    Transaction(n + 1, billing, x12_claims[i:i + MAX_CLAIMS_PER_TRANSACTION])
                    for n, i in enumerate(range(0, len(x12_claims), MAX_CLAIMS_PER_TRANSACTION))
                ]
                interchange = Interchange(
                    env, x12.Submitter(organization.name, settings.TRELLIS_X12_SENDER_ID, "BILLING OFFICE",
                                       site.phone),
                    x12.Receiver(settings.TRELLIS_X12_RECEIVER_NAME, settings.TRELLIS_X12_RECEIVER_ID),
                    transactions,
                )
                writer = write_837p if claim_type == ClaimType.PROFESSIONAL else write_837i
                content = writer(interchange)
            except X12BuildError as exc:
                raise BatchRefused(f"Batch for {site.code} could not be written: {exc}") from exc
            if validate:
                result = validate_x12(content)
                if not result.valid:
                    first = "; ".join(result.errors[:3])
                    raise BatchRefused(f"Batch for {site.code} failed X12 validation (pyx12): {first}. Nothing was "
                                       "stored.", result.errors)
            batch = ClaimBatch.objects.create(
                organization=organization, site=site, claim_type=claim_type, interchange_control_number=control,
                group_control_number=control, content=content,
                content_sha256=hashlib.sha256(content.encode("ascii")).hexdigest(), claim_count=len(group),
                total_charge=sum((c.total_charge for c in group), Decimal("0")), created_by=actor,
            )
            for claim in group:  # every transition checked; one UPDATE for the group
                set_claim_status(claim=claim, status=ClaimStatus.BATCHED, save=False)
                claim.batch = batch
            for ids in chunked([c.pk for c in group]):
                Claim.objects.filter(pk__in=ids).update(
                    status=ClaimStatus.BATCHED, status_changed_at=timezone.now(), batch=batch,
                    updated_at=timezone.now())
            _lock_billed_attendance(group, actor, batch.filename)
            record(action=AuditAction.EXPORT, obj=batch, actor=actor, site=site,
                   detail={"claims": len(group), "claim_type": claim_type})
            batches.append(batch)
    return batches


def _lock_billed_attendance(claims: list[Claim], actor: User, reference: str) -> None:
    """Attendance that went on a claim is locked (attendance app): corrections then need a biller's audited
    unlock, and a corrected charge produces a replacement claim."""
    for start in range(0, len(claims), CHUNK):
        _lock_chunk(claims[start:start + CHUNK], actor, reference)


def _lock_chunk(claims: list[Claim], actor: User, reference: str) -> None:
    ids, days = set(), set()
    for claim in claims:
        for line in claim.lines.all():
            if line.charge.attendance_id:
                ids.add(line.charge.attendance_id)
            elif line.charge.per_diem:
                days.add((claim.episode_id, line.service_date))
    if days:
        episode_ids = {e for e, _ in days}
        dates = {d for _, d in days}
        for pk, episode_id, day in Attendance.objects.filter(
            episode_id__in=episode_ids, session__local_date__in=dates
        ).values_list("pk", "episode_id", "session__local_date"):
            if (episode_id, day) in days:
                ids.add(pk)
    for chunk in chunked(sorted(ids)):
        lock_attendance(attendances=Attendance.objects.filter(pk__in=chunk), user=actor, reference=reference)


@transaction.atomic
def submit_batch(*, batch: ClaimBatch, submitter: Submitter, actor: User | None = None) -> ClaimBatch:
    """Deliver the batch; submitting the same batch again creates nothing new and returns it unchanged."""
    batch = ClaimBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status == BatchStatus.SUBMITTED:
        return batch
    reference = submitter.submit(filename=batch.filename, content=batch.content)
    batch.status, batch.submitted_at, batch.submission_reference = BatchStatus.SUBMITTED, timezone.now(), reference
    batch.save(update_fields=["status", "submitted_at", "submission_reference", "updated_at"])
    claims = list(batch.claims.all())
    for claim in claims:  # every transition checked; one UPDATE
        set_claim_status(claim=claim, status=ClaimStatus.SUBMITTED, save=False)
    for ids in chunked([c.pk for c in claims]):
        Claim.objects.filter(pk__in=ids).update(
            status=ClaimStatus.SUBMITTED, status_changed_at=timezone.now(), updated_at=timezone.now())
    record(action=AuditAction.DISCLOSE, obj=batch, actor=actor, site=batch.site,
           detail={"claims": len(claims), "submission": "file-drop"})
    return batch
