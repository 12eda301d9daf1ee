"""Charge capture from attendance and notes, and a biller's hold / release / correction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from trellis.accounts.models import User
from trellis.attendance.models import Attendance
from trellis.audit.models import AuditAction
from trellis.audit.services import AuditEntry, record, record_many
from trellis.billing import catalog
from trellis.billing.models import (
    PER_DIEM_SERVICE,
    BillingMode,
    Charge,
    ChargeStatus,
    Documentation,
)
from trellis.billing.selectors import correction_plan, day_minutes, documentation_status, worst_documentation
from trellis.billing.services.claims import rebuild_after_correction
from trellis.billing.services.common import CHUNK, CoverageLookup, ProfileIndex, chunked
from trellis.careplans.billable import billability
from trellis.documentation.rules import ATTENDED_STATUSES


class ChargeError(ValueError):
    pass


@dataclass
class CaptureResult:
    created: list[Charge] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # reasons with opaque ids only (no PHI)
    released: int = 0  # charges held by the billable-service check that now pass it


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


# Careplans' billable-service selector (trellis.careplans.billable, issue 11 part 10) decides whether a service may
# be billed: signed (co-signed) note, signed plan in force, current certification, author's licence on the date.
# Its note rules are applied by capture itself (a per-service charge waits for the signed note) and by the
# scrubber (a per-diem day is held until every note of the day is signed); any other failure holds the charge with
# its reasons, and the charge is released when a later capture (or a biller's release) finds the check passing.
DOCUMENTATION_RULES = frozenset({"signed_note", "cosigned_note"})
CHECK_HOLD_REASON = "Not billable yet: the billable-service check failed"


def billable_failures(attendances: list[Attendance]) -> dict[int, list[str]]:
    """Per attendance id, the reasons (with sources) the service is not billable, note rules aside. The check
    runs once per chunk of services (a fixed number of queries per chunk), never once per service."""
    out: dict[int, list[str]] = {}
    for start in range(0, len(attendances), CHUNK):
        for att_id, result in billability(attendances[start:start + CHUNK]).items():
            out[att_id] = [str(f) for f in result.failures if f.rule not in DOCUMENTATION_RULES]
    return out


def current_failures(charges: list[Charge]) -> dict[int, list[str]]:
    """Per charge id, the billable-service check now: the service of a per-service charge, every attended
    service of a per-diem day. At most one query besides the check's own."""
    days = {(c.episode_id, c.service_date) for c in charges if c.per_diem}
    by_day: dict[tuple[int, date], list[int]] = defaultdict(list)
    if days:
        for pk, episode_id, day in Attendance.objects.filter(
            episode_id__in={e for e, _ in days}, session__local_date__in={d for _, d in days},
            status__in=ATTENDED_STATUSES,
        ).values_list("pk", "episode_id", "session__local_date"):
            if (episode_id, day) in days:
                by_day[(episode_id, day)].append(pk)
    ids = sorted({c.attendance_id for c in charges if c.attendance_id} | {a for v in by_day.values() for a in v})
    checks = billable_failures([Attendance(pk=pk) for pk in ids])
    out: dict[int, list[str]] = {}
    for c in charges:
        if c.attendance_id:
            out[c.pk] = checks.get(c.attendance_id, [])
        else:
            out[c.pk] = list(dict.fromkeys(f for a in by_day.get((c.episode_id, c.service_date), [])
                                           for f in checks.get(a, [])))
    return out


def recheck_held(*, organization: Any, through: date, since: date | None = None,
                 episodes: Iterable[Any] | None = None, actor: User | None = None) -> int:
    """Charges held by the billable-service check are checked again: released when it passes, their reasons
    updated otherwise. Returns how many were released. A fixed number of queries per chunk of charges."""
    held = Charge.objects.filter(status=ChargeStatus.HELD, episode__program__organization=organization,
                                 service_date__lte=through).exclude(not_billable=[])
    if since is not None:
        held = held.filter(service_date__gte=since)
    if episodes is not None:
        held = held.filter(episode__in=list(episodes))
    released_total = 0
    for ids in chunked(list(held.order_by("pk").values_list("pk", flat=True))):
        charges = list(Charge.objects.select_for_update(of=("self",)).select_related("episode__patient")
                       .filter(pk__in=ids, status=ChargeStatus.HELD))
        failures = current_failures(charges)
        now = timezone.now()
        released, changed = [], []
        for charge in charges:
            found = failures[charge.pk]
            if not found:
                charge.status, charge.hold_reason, charge.not_billable = ChargeStatus.OPEN, "", []
                released.append(charge)
            elif found != charge.not_billable:
                charge.not_billable = found
                changed.append(charge)
            charge.updated_at = now
        Charge.objects.bulk_update(released + changed, ["status", "hold_reason", "not_billable", "updated_at"])
        record_many([AuditEntry(action=AuditAction.UPDATE, obj=c, patient=c.episode.patient,
                                detail={"change": "release", "by": "billable-service check"}) for c in released],
                    actor=actor)
        released_total += len(released)
    return released_total


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
    episodes = list(episodes) if episodes is not None else None
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
    checks = billable_failures(rows)
    per_diem_days: dict[tuple[int, date], list[Attendance]] = defaultdict(list)
    profiles_by_key: dict[tuple[int, date], Any] = {}
    with transaction.atomic():
        # Charges held earlier by the billable-service check first (not those created below: just checked).
        result.released = recheck_held(organization=organization, through=through, since=since,
                                       episodes=episodes, actor=actor)
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
            failures = checks.get(att.pk, [])
            result.created.append(Charge(
                episode=att.episode, attendance=att, profile=profile, service_date=day, code=code,
                modifiers=modifier, revenue_code=fee.revenue_code, place_of_service=pos, units=Decimal("1"),
                minutes=att.minutes, amount=fee.rate, documentation=docs[att.pk], rendering_provider=facilitator,
                supervising_provider=supervisor, created_by=actor, **_held(failures),
            ))
        if per_diem_days:
            _capture_per_diem(per_diem_days, profiles_by_key, index, docs, checks, result, actor)
        result.created = Charge.objects.bulk_create(result.created, batch_size=500)
        if result.created:
            record(action=AuditAction.CREATE, object_type="billing.charge", object_id="capture", actor=actor,
                   detail={"charges": len(result.created), "through": through.isoformat()})
    return result


def _held(failures: list[str]) -> dict[str, Any]:
    if not failures:
        return {}
    return {"status": ChargeStatus.HELD, "hold_reason": CHECK_HOLD_REASON, "not_billable": failures}


def _capture_per_diem(days: dict, profiles: dict, index: ProfileIndex, docs: dict, checks: dict,
                      result: CaptureResult, actor: User) -> None:
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
            **_held(list(dict.fromkeys(f for a in atts for f in checks.get(a.pk, [])))),
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
    charge = Charge.objects.select_for_update().select_related("episode__patient").get(pk=charge.pk)
    if charge.status != ChargeStatus.HELD:
        raise ChargeError("Only a held charge can be released.")
    if charge.not_billable:
        # Held by the billable-service check: released only when the check passes now (trellis.careplans.billable).
        failures = current_failures([charge]).get(charge.pk, [])
        if failures:
            if failures != charge.not_billable:
                Charge.objects.filter(pk=charge.pk).update(not_billable=failures)
            raise ChargeError("The service is still not billable: " + " ".join(failures))
    charge.status, charge.hold_reason, charge.not_billable = ChargeStatus.OPEN, "", []
    charge.save(update_fields=["status", "hold_reason", "not_billable", "updated_at"])
    _audit(charge, actor, "release")
    return charge


# ---------------------------------------------------------------------------------------------------------
# Correction
# ---------------------------------------------------------------------------------------------------------
MAX_AMOUNT = Decimal("100000")
MAX_UNITS = Decimal("999")
MAX_MODIFIERS = 4  # 837P SV101-3..6 / 837I SV202-3..6: up to four procedure modifiers


def normalise_modifiers(value: str) -> str:
    """'95, gt' -> '95,GT'. Each modifier is two letters or digits (HCPCS/CPT modifiers), at most four."""
    parts = [m.strip().upper() for m in value.replace(" ", ",").split(",") if m.strip()]
    bad = [m for m in parts if len(m) != 2 or not m.isalnum()]
    if bad:
        raise ChargeError(f"{', '.join(bad)}: a modifier is two letters or digits (e.g. 95, GT, HO).")
    if len(parts) > MAX_MODIFIERS:
        raise ChargeError("At most four modifiers fit on a claim line.")
    if len(set(parts)) != len(parts):
        raise ChargeError("A modifier is listed twice.")
    return ",".join(parts)


def _check_correction(charge: Charge, code: str | None, units: Decimal | None, amount: Decimal | None) -> None:
    if code is not None:
        found = catalog.lookup(code)
        if found is None or found.kind not in ("cpt", "hcpcs"):
            raise ChargeError(f"{code or 'The code'} is not a procedure code in the billing catalogue.")
        # A per-diem day is billed with a HCPCS per-diem code; a service with a CPT code (catalog.py).
        if charge.per_diem and found.kind != "hcpcs":
            raise ChargeError(f"{code} is a CPT service code: a per-diem day is billed with its HCPCS per-diem code "
                              "(S9480, H0015, H0035 or S0201).")
        if not charge.per_diem and found.kind != "cpt":
            raise ChargeError(f"{code} is a per-diem HCPCS code: a single service is billed with a CPT code.")
    if amount is not None and (amount <= 0 or amount > MAX_AMOUNT or amount != amount.quantize(Decimal("0.01"))):
        raise ChargeError(f"Give the amount in dollars and cents, greater than zero and at most ${MAX_AMOUNT:,}.")
    if units is not None and (units <= 0 or units > MAX_UNITS or units != units.quantize(Decimal("0.01"))):
        raise ChargeError("Units must be greater than zero and at most 999 (two decimals at most).")


@transaction.atomic
def correct_charge(
    *, charge: Charge, actor: User, code: str | None = None, units: Decimal | None = None,
    amount: Decimal | None = None, modifiers: str | None = None, reason: str,
) -> Charge:
    """Correct a charge. Before claiming: in place. After claiming: the old charge is voided, a corrected one
    replaces it, and the claim is rebuilt (unsent) or gets a replacement claim (frequency 7 with the payer's
    claim number in REF*F8, 005010X222A1/X223A2 loop 2300 CLM05-3 and REF*F8) once the payer adjudicated it.
    The charge and its claim are locked first, so two corrections of one charge cannot both apply."""
    charge = (Charge.objects.select_for_update(of=("self",)).select_related("episode__patient", "profile")
              .get(pk=charge.pk))
    reason = (reason or "").strip()
    if not reason:
        raise ChargeError("Say what the correction is for (e.g. wrong code for 55 minutes).")
    if len(reason) > 200:
        raise ChargeError("Keep the reason under 200 characters.")
    if code is not None:
        code = code.strip().upper()
    if modifiers is not None:
        modifiers = normalise_modifiers(modifiers)
    _check_correction(charge, code, units, amount)
    changes = {k: v for k, v in {"code": code, "units": units, "amount": amount, "modifiers": modifiers}.items()
               if v is not None and v != getattr(charge, k)}
    if not changes:
        raise ChargeError("Nothing to correct: the code, modifiers, units and amount are as they were.")
    plan = correction_plan(charge, lock=True)
    if not plan.allowed:
        raise ChargeError(plan.message)
    detail = {"change": "correct" if plan.claim is None else "correct-after-claim", "reason": reason,
              "was": {k: str(getattr(charge, k)) for k in changes}, "now": {k: str(v) for k, v in changes.items()}}
    if plan.claim is None:
        for key, value in changes.items():
            setattr(charge, key, value)
        charge.save(update_fields=[*changes, "updated_at"])
        record(action=AuditAction.UPDATE, obj=charge, patient=charge.episode.patient, actor=actor, detail=detail)
        return charge
    charge.status = ChargeStatus.VOID
    charge.save(update_fields=["status", "updated_at"])
    fields = {f.name: getattr(charge, f.name) for f in Charge._meta.concrete_fields
              if f.name not in ("id", "public_id", "created_at", "updated_at", "created_by", "status", "replaces")}
    fields.update(changes)
    corrected = Charge.objects.create(**fields, status=ChargeStatus.OPEN, replaces=charge, created_by=actor)
    record(action=AuditAction.UPDATE, obj=charge, patient=charge.episode.patient, actor=actor,
           detail={**detail, "corrected_by": str(corrected.public_id)})
    record(action=AuditAction.CREATE, obj=corrected, patient=charge.episode.patient, actor=actor,
           detail={**detail, "replaces": str(charge.public_id)})
    result = rebuild_after_correction(claim=plan.claim, old=charge, new=corrected, actor=actor)
    corrected.refresh_from_db()
    corrected.claim_after = result
    return corrected
