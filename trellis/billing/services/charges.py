"""Charge capture from attendance and notes, and a biller's hold / release / correction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction

from trellis.accounts.models import User
from trellis.attendance.models import Attendance
from trellis.audit.models import AuditAction
from trellis.audit.services import record
from trellis.billing import catalog
from trellis.billing.models import (
    PER_DIEM_SERVICE,
    BillingMode,
    Charge,
    ChargeStatus,
    Claim,
    ClaimStatus,
    Documentation,
)
from trellis.billing.selectors import day_minutes, documentation_status, worst_documentation
from trellis.billing.services.claims import rebuild_after_correction
from trellis.billing.services.common import CoverageLookup, ProfileIndex
from trellis.documentation.rules import ATTENDED_STATUSES


class ChargeError(ValueError):
    pass


@dataclass
class CaptureResult:
    created: list[Charge] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # reasons with opaque ids only (no PHI)


def _modifiers_and_pos(profile: Any, modality: str) -> tuple[str, str]:
    # Telehealth: POS 10 when the patient is at home (CMS POS code set); Trellis records the modality but not
    # the patient's location, so video/audio-only visits are taken as from home - to confirm per program.
    if modality == "video":
        return profile.video_modifier, catalog.telehealth_place_of_service(patient_at_home=True)
    if modality == "audio_only":
        return profile.audio_modifier, catalog.telehealth_place_of_service(patient_at_home=True)
    return "", profile.place_of_service


def _npi_of(user: User) -> str:
    profile = getattr(user, "profile", None) if user is not None else None
    return (profile.npi if profile else "") or ""


def _rendering(session: Any) -> Any:
    """The rendering clinician: the facilitator, or the co-facilitator when only they hold an NPI (a
    facilitator without an NPI - e.g. a peer specialist - cannot render a billed service)."""
    if not _npi_of(session.facilitator) and _npi_of(session.co_facilitator):
        return session.co_facilitator
    return session.facilitator


def capture_charges(
    *, organization: Any, through: date, coverage_for: CoverageLookup, since: date | None = None,
    episodes: Iterable[Any] | None = None, actor: User | None = None,
) -> CaptureResult:
    """Create charges for attended services up to `through` that have none yet (idempotent).

    Per-service profiles: one charge per attended service with a signed (and, when required, co-signed) note,
    coded by service type and minutes (CPT time rule, trellis.billing.catalog); unsigned services wait for a
    later run. Per-diem profiles: one charge per attended day, recording the worst documentation status of
    the day's services so the scrubber holds the day until every note is signed.
    """
    result = CaptureResult()
    index = ProfileIndex(organization)
    attended = (
        Attendance.objects.filter(status__in=ATTENDED_STATUSES, minutes__gt=0, session__local_date__lte=through,
                                  episode__program__organization=organization)
        .exclude(pk__in=Charge.objects.filter(attendance__isnull=False).exclude(status=ChargeStatus.VOID)
                 .values("attendance_id"))
        .select_related("session", "session__facilitator__profile", "session__co_facilitator__profile",
                        "episode__program", "episode__patient")
        .order_by("session__local_date", "pk")
    )
    if since is not None:
        attended = attended.filter(session__local_date__gte=since)
    if episodes is not None:
        attended = attended.filter(episode__in=list(episodes))
    rows = list(attended)
    docs = documentation_status(a.pk for a in rows)
    per_diem_days: dict[tuple[int, date], list[Attendance]] = defaultdict(list)
    profiles_by_key: dict[tuple[int, date], Any] = {}
    with transaction.atomic():
        for att in rows:
            day = att.session.local_date
            ref = f"attendance {att.public_id}"
            coverage = coverage_for(att.episode, day)
            if coverage is None:
                result.skipped.append(f"{ref}: no coverage on {day:%Y-%m-%d}")
                continue
            profile = index.profile_for(coverage.payer.identifier, att.episode.program)
            if profile is None:
                result.skipped.append(f"{ref}: no billing profile for payer {coverage.payer.identifier} and "
                                      f"this program")
                continue
            if profile.billing_mode == BillingMode.PER_DIEM:
                per_diem_days[(att.episode_id, day)].append(att)
                profiles_by_key[(att.episode_id, day)] = profile
                continue
            facilitator = _rendering(att.session)
            staff = getattr(facilitator, "profile", None)
            try:
                code = catalog.per_service_code(att.session.service_type, att.minutes,
                                                physician=bool(staff and staff.is_physician))
            except catalog.NotBillable as exc:
                result.skipped.append(f"{ref}: {exc}")
                continue
            fee = index.fee(profile, day=day, code=code)
            if fee is None:
                result.skipped.append(f"{ref}: the {profile.payer_name} fee schedule has no rate for {code}")
                continue
            if not _npi_of(facilitator):
                result.skipped.append(f"{ref}: the rendering clinician has no NPI (record it on the staff profile; "
                                      "a service by staff without an NPI is not billable)")
                continue
            if docs[att.pk] != Documentation.COMPLETE:
                # Charges come from signed notes: the service is captured on a later run once it is signed
                # (documentation's "not billable" worklist shows it meanwhile).
                result.skipped.append(f"{ref}: note not signed yet ({docs[att.pk].replace('_', ' ')})")
                continue
            modifier, pos = _modifiers_and_pos(profile, att.modality)
            supervisor = staff.supervisor if staff and staff.requires_cosign else None
            result.created.append(Charge(
                episode=att.episode, attendance=att, profile=profile, service_date=day, code=code,
                modifiers=modifier, revenue_code=fee.revenue_code, place_of_service=pos, units=Decimal("1"),
                minutes=att.minutes, amount=fee.rate, documentation=docs[att.pk], rendering_provider=facilitator,
                supervising_provider=supervisor, created_by=actor,
            ))
        if per_diem_days:
            _capture_per_diem(per_diem_days, profiles_by_key, index, docs, result, actor)
        result.created = Charge.objects.bulk_create(result.created, batch_size=500)
        if result.created:
            record(action=AuditAction.CREATE, object_type="billing.charge", object_id="capture", actor=actor,
                   detail={"charges": len(result.created), "through": through.isoformat()})
    return result


def _capture_per_diem(days: dict, profiles: dict, index: ProfileIndex, docs: dict, result: CaptureResult,
                      actor: User) -> None:
    episodes = {atts[0].episode_id: atts[0].episode for atts in days.values()}
    all_days = [d for (_, d) in days]
    minutes = day_minutes(list(episodes.values()), min(all_days), max(all_days))
    taken = set(
        Charge.objects.filter(per_diem=True, episode_id__in=list(episodes)).exclude(status=ChargeStatus.VOID)
        .values_list("episode_id", "service_date")
    )
    for (episode_id, day), atts in sorted(days.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if (episode_id, day) in taken:
            continue
        episode = episodes[episode_id]
        profile = profiles[(episode_id, day)]
        fee = index.fee(profile, day=day, service_type=PER_DIEM_SERVICE)
        if fee is None:
            result.skipped.append(f"episode {episode.public_id} {day:%Y-%m-%d}: the {profile.payer_name} fee "
                                  "schedule has no per-diem rate")
            continue
        result.created.append(Charge(
            episode=episode, profile=profile, service_date=day, per_diem=True, code=fee.code,
            revenue_code=fee.revenue_code, place_of_service="", units=Decimal("1"),
            minutes=minutes.get((episode_id, day), sum(a.minutes for a in atts)), amount=fee.rate,
            documentation=worst_documentation(docs[a.pk] for a in atts),
            rendering_provider=episode.prescriber or episode.primary_clinician, created_by=actor,
        ))


def _audit(charge: Charge, actor: User, what: str) -> None:
    record(action=AuditAction.UPDATE, obj=charge, patient=charge.episode.patient, actor=actor,
           detail={"change": what})


@transaction.atomic
def hold_charge(*, charge: Charge, reason: str, actor: User) -> Charge:
    reason = (reason or "").strip()
    if not reason:
        raise ChargeError("Say why the charge is held (e.g. waiting for the authorization).")
    if charge.status != ChargeStatus.OPEN:
        raise ChargeError("Only a charge that is ready to claim can be held.")
    charge.status, charge.hold_reason = ChargeStatus.HELD, reason[:200]
    charge.save(update_fields=["status", "hold_reason", "updated_at"])
    _audit(charge, actor, "hold")
    return charge


@transaction.atomic
def release_charge(*, charge: Charge, actor: User) -> Charge:
    if charge.status != ChargeStatus.HELD:
        raise ChargeError("Only a held charge can be released.")
    charge.status, charge.hold_reason = ChargeStatus.OPEN, ""
    charge.save(update_fields=["status", "hold_reason", "updated_at"])
    _audit(charge, actor, "release")
    return charge


@transaction.atomic
def correct_charge(
    *, charge: Charge, actor: User, code: str | None = None, units: Decimal | None = None,
    amount: Decimal | None = None, modifiers: str | None = None, reason: str,
) -> Charge:
    """Correct a charge. Before claiming: in place. After claiming: the old charge is voided, a corrected one
    replaces it, and the claim is rebuilt (unsent) or gets a replacement claim (frequency 7, sent)."""
    from_claim = Claim.objects.filter(lines__charge=charge).exclude(status=ClaimStatus.VOID).first()
    if not (reason or "").strip():
        raise ChargeError("Say what the correction is for.")
    if code is not None and not catalog.is_known_procedure(code):
        raise ChargeError(f"{code} is not a code in the billing catalogue.")
    if amount is not None and amount <= 0:
        raise ChargeError("The amount must be greater than zero.")
    if units is not None and units <= 0:
        raise ChargeError("Units must be greater than zero.")
    changes = {k: v for k, v in {"code": code, "units": units, "amount": amount, "modifiers": modifiers}.items()
               if v is not None}
    if charge.status in (ChargeStatus.OPEN, ChargeStatus.HELD):
        for key, value in changes.items():
            setattr(charge, key, value)
        charge.save()
        _audit(charge, actor, "correct")
        return charge
    if charge.status != ChargeStatus.CLAIMED or from_claim is None:
        raise ChargeError("A void charge cannot be corrected.")
    charge.status = ChargeStatus.VOID
    charge.save(update_fields=["status", "updated_at"])
    fields = {f.name: getattr(charge, f.name) for f in Charge._meta.concrete_fields
              if f.name not in ("id", "public_id", "created_at", "updated_at", "status", "replaces")}
    fields.update(changes)
    corrected = Charge.objects.create(**fields, status=ChargeStatus.OPEN, replaces=charge)
    _audit(corrected, actor, "correct-after-claim")
    rebuild_after_correction(claim=from_claim, old=charge, new=corrected, actor=actor)
    corrected.refresh_from_db()
    return corrected
