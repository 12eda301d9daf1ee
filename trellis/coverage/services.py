"""Every write of the coverage app: payers, coverages, eligibility, authorizations and concurrent reviews.

Each function is atomic and writes its audit event (field names and ids only, never values). Rules that need
other rows - overlapping authorizations, two coverages in the same order at once, coverage outside the episode,
units already used - are checked here and refused with a message that says what to fix.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction

from trellis.audit.services import AuditAction, record
from trellis.core import formats
from trellis.core.clock import today_in
from trellis.core.errors import ConflictError, DomainError
from trellis.coverage import rules
from trellis.coverage.models import (
    Authorization,
    ClaimFilingIndicator,
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
from trellis.coverage.usage import units_used_for
from trellis.episodes.models import Episode, EpisodeStatus, LevelChangeField
from trellis.episodes.services import change_level
from trellis.programs.models import LevelOfCare

if TYPE_CHECKING:
    from trellis.accounts.models import User

# Payer ids: the clearinghouse payer id printed in 837 NM109 (2010BB); X12 element is AN 2-80. Letters, digits
# and a few separators in practice.
PAYER_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .\-]{1,79}$")
# HCPCS Level II (letter + 4 digits) or CPT (4 digits + digit/letter, e.g. 90853, 0362T).
SERVICE_CODE_RE = re.compile(r"^(?:[A-Z]\d{4}|\d{4}[0-9A-Z])$")
MEDICARE_TIMELY_FILING_DAYS = 365  # 12 months from the date of service, 42 CFR 424.44(a)(1)

PAYER_FIELDS = ("name", "payer_identifier", "payer_type", "claim_form", "claim_filing_indicator",
                "timely_filing_days", "timely_filing_source", "requires_authorization", "phone", "active")
COVERAGE_FIELDS = ("payer", "order", "member_id", "group_number", "group_name", "relationship",
                   "subscriber_first_name", "subscriber_last_name", "subscriber_birth_date", "subscriber_sex",
                   "subscriber_address_line1", "subscriber_city", "subscriber_state", "subscriber_postal_code",
                   "effective_from", "effective_to", "eligibility_status", "eligibility_checked_on")
SUBSCRIBER_FIELDS = tuple(f for f in COVERAGE_FIELDS if f.startswith("subscriber_"))
AUTHORIZATION_FIELDS = ("number", "level_of_care", "service_codes", "unit_kind", "units_authorized", "start_on",
                        "end_on", "review_frequency_days", "notes")


def _fmt(day: date | None) -> str:
    return formats.date(day) if day else "open-ended"


# ---------------------------------------------------------------------------------------------------------
# Payers
# ---------------------------------------------------------------------------------------------------------
def _validate_payer(organization: Any, data: dict[str, Any], *, exclude_pk: int | None = None) -> None:
    if not (data.get("name") or "").strip():
        raise DomainError("Enter the payer's name.", field="name")
    pid = (data.get("payer_identifier") or "").strip()
    if not PAYER_ID_RE.match(pid):
        raise DomainError("Enter the payer id from the clearinghouse's payer list (2-80 letters or digits).",
                          field="payer_identifier")
    if Payer.objects.filter(organization=organization, payer_identifier__iexact=pid).exclude(pk=exclude_pk).exists():
        raise DomainError("Another payer already uses this payer id.", field="payer_identifier")
    if data.get("payer_type") not in PayerType.values:
        raise DomainError("Choose the payer type.", field="payer_type")
    indicator = data.get("claim_filing_indicator")
    if indicator not in ClaimFilingIndicator.values:
        raise DomainError("Choose the claim filing indicator (837 SBR09).", field="claim_filing_indicator")
    kind = data["payer_type"]
    # SBR09 must agree with the type of plan (X12 005010X222A1 2000B SBR09 code list).
    expected = {PayerType.SELF_PAY: {"09"}, PayerType.MEDICARE: {"MA", "MB"}, PayerType.MEDICAID: {"MC"}}
    if kind in expected and indicator not in expected[kind]:
        codes = " or ".join(sorted(expected[kind]))
        raise DomainError(f"A {PayerType(kind).label} payer is billed with claim filing indicator {codes}.",
                          field="claim_filing_indicator")
    days = data.get("timely_filing_days")
    if not isinstance(days, int) or days < 1:
        raise DomainError("Enter the timely-filing limit in days (from the payer contract).",
                          field="timely_filing_days")
    if kind == PayerType.MEDICARE and days > MEDICARE_TIMELY_FILING_DAYS:
        raise DomainError("Medicare's limit is 12 months from the date of service (42 CFR 424.44): at most 365 days.",
                          field="timely_filing_days")
    if kind == PayerType.SELF_PAY and data.get("requires_authorization"):
        raise DomainError("Self-pay needs no authorization: untick 'requires authorization'.",
                          field="requires_authorization")


@transaction.atomic
def create_payer(*, organization: Any, actor: User, name: str, payer_identifier: str, payer_type: str,
                 claim_form: str, claim_filing_indicator: str, timely_filing_days: int,
                 timely_filing_source: str = "", requires_authorization: bool = True, phone: str = "",
                 active: bool = True) -> Payer:
    data = {"name": name.strip(), "payer_identifier": payer_identifier.strip(), "payer_type": payer_type,
            "claim_form": claim_form, "claim_filing_indicator": claim_filing_indicator,
            "timely_filing_days": timely_filing_days, "timely_filing_source": timely_filing_source.strip(),
            "requires_authorization": requires_authorization, "phone": phone.strip(), "active": active}
    _validate_payer(organization, data)
    payer = Payer.objects.create(organization=organization, created_by=actor, **data)
    record(action=AuditAction.CREATE, obj=payer, actor=actor, detail={"payer_type": payer_type})
    return payer


@transaction.atomic
def update_payer(*, payer: Payer, actor: User, **changes: Any) -> Payer:
    unknown = set(changes) - set(PAYER_FIELDS)
    if unknown:
        raise DomainError(f"Unknown payer fields: {', '.join(sorted(unknown))}.")
    data = {f: getattr(payer, f) for f in PAYER_FIELDS} | changes
    _validate_payer(payer.organization, data, exclude_pk=payer.pk)
    changed = [f for f in PAYER_FIELDS if getattr(payer, f) != data[f]]
    for f in changed:
        setattr(payer, f, data[f])
    payer.save()
    record(action=AuditAction.UPDATE, obj=payer, actor=actor, detail={"fields": changed})
    return payer


# ---------------------------------------------------------------------------------------------------------
# Coverages
# ---------------------------------------------------------------------------------------------------------
def _site_today(patient: Any) -> date:
    return today_in(patient.primary_site.zone)


def _validate_coverage(patient: Any, data: dict[str, Any], *, exclude_pk: int | None,
                       episode: Episode | None) -> None:
    payer: Payer | None = data.get("payer")
    if payer is None or payer.organization_id != patient.organization_id:
        raise DomainError("Choose the payer.", field="payer")
    if not payer.active and exclude_pk is None:
        raise DomainError(f"{payer.name} is inactive: reactivate it under Payers or choose another payer.",
                          field="payer")
    if data.get("order") not in CoverageOrder.values:
        raise DomainError("Choose primary, secondary or tertiary.", field="order")
    if payer.payer_type != PayerType.SELF_PAY and not (data.get("member_id") or "").strip():
        raise DomainError("Enter the member id from the insurance card.", field="member_id")
    start, end = data.get("effective_from"), data.get("effective_to")
    if start is None:
        raise DomainError("Enter the date the coverage starts.", field="effective_from")
    if end is not None and end < start:
        raise DomainError("The coverage ends before it starts: the end date must be on or after the start.",
                          field="effective_to")
    relationship = data.get("relationship")
    if relationship not in Relationship.values:
        raise DomainError("Choose the patient's relationship to the subscriber.", field="relationship")
    if relationship != Relationship.SELF:
        # 837 loop 2010BA: the subscriber's name, birth date and gender when the patient is a dependent.
        for field, what in (("subscriber_first_name", "first name"), ("subscriber_last_name", "last name"),
                            ("subscriber_birth_date", "date of birth"), ("subscriber_sex", "sex")):
            if not data.get(field):
                raise DomainError(f"The patient is not the subscriber: enter the subscriber's {what}.", field=field)
        if data["subscriber_birth_date"] > _site_today(patient):
            raise DomainError("The subscriber's date of birth is in the future.", field="subscriber_birth_date")
    status, checked = data.get("eligibility_status"), data.get("eligibility_checked_on")
    if status not in EligibilityStatus.values:
        raise DomainError("Choose the eligibility status.", field="eligibility_status")
    if status != EligibilityStatus.NOT_CHECKED and checked is None:
        raise DomainError("Enter the date eligibility was checked.", field="eligibility_checked_on")
    if checked is not None and checked > _site_today(patient):
        raise DomainError("The eligibility check date is in the future.", field="eligibility_checked_on")
    # Coordination of benefits: one payer per order at any time (SBR01 P/S/T).
    clash = (Coverage.objects.filter(patient=patient, order=data["order"]).exclude(pk=exclude_pk)
             .select_related("payer"))
    for other in clash:
        if rules.ranges_overlap(start, end, other.effective_from, other.effective_to):
            label = CoverageOrder(data["order"]).label.lower()
            raise DomainError(
                f"{other.payer.name} is already the {label} coverage from {_fmt(other.effective_from)} to "
                f"{_fmt(other.effective_to)}: end that coverage first, or choose another order "
                "(primary, secondary, tertiary).", field="order")
    if episode is not None and not rules.ranges_overlap(start, end, episode.admitted_on, episode.discharged_on):
        raise DomainError(
            f"These dates do not overlap the episode ({_fmt(episode.admitted_on)} to "
            f"{_fmt(episode.discharged_on)}): check the coverage's start and end.", field="effective_from")


def _coverage_data(**fields: Any) -> dict[str, Any]:
    data = {f: fields.get(f) for f in COVERAGE_FIELDS}
    data["order"] = data.get("order") or CoverageOrder.PRIMARY
    data["relationship"] = data.get("relationship") or Relationship.SELF
    for f in ("member_id", "group_number", "group_name", *SUBSCRIBER_FIELDS):
        if f != "subscriber_birth_date":
            data[f] = (data.get(f) or "").strip()
    data["member_id"] = data["member_id"].upper()
    data["subscriber_state"] = data["subscriber_state"].upper()
    if data.get("relationship") == Relationship.SELF:
        # The patient is the subscriber: 837 2010BA comes from the patient's own record; keep no stale copy.
        for f in SUBSCRIBER_FIELDS:
            data[f] = None if f == "subscriber_birth_date" else ""
    data["eligibility_status"] = data.get("eligibility_status") or EligibilityStatus.NOT_CHECKED
    return data


@transaction.atomic
def add_coverage(*, patient: Any, actor: User, episode: Episode | None = None, **fields: Any) -> Coverage:
    """Add a coverage. With `episode` (the admission or episode page), its dates must overlap that episode."""
    unknown = set(fields) - set(COVERAGE_FIELDS)
    if unknown:
        raise DomainError(f"Unknown coverage fields: {', '.join(sorted(unknown))}.")
    data = _coverage_data(**fields)
    _validate_coverage(patient, data, exclude_pk=None, episode=episode)
    coverage = Coverage.objects.create(patient=patient, created_by=actor, **data)
    record(action=AuditAction.CREATE, obj=coverage, patient=patient, actor=actor,
           detail={"payer": str(data["payer"].public_id), "order": data["order"]})
    return coverage


@transaction.atomic
def update_coverage(*, coverage: Coverage, actor: User, version: int, **fields: Any) -> Coverage:
    unknown = set(fields) - set(COVERAGE_FIELDS)
    if unknown:
        raise DomainError(f"Unknown coverage fields: {', '.join(sorted(unknown))}.")
    current = Coverage.objects.select_for_update().select_related("patient__primary_site").get(pk=coverage.pk)
    if current.version != version:
        raise ConflictError("Someone else changed this coverage while you were editing: reload and try again.")
    data = _coverage_data(**({f: getattr(current, f) for f in COVERAGE_FIELDS} | fields))
    _validate_coverage(current.patient, data, exclude_pk=current.pk, episode=None)
    for auth in current.authorizations.all():
        if not rules.within(auth.start_on, auth.end_on, data["effective_from"], data["effective_to"]):
            raise DomainError(
                f"Authorization {auth.number} runs {_fmt(auth.start_on)} to {_fmt(auth.end_on)}, outside these "
                "dates: keep the coverage in force for its authorizations, or change the authorization first.",
                field="effective_to" if data["effective_to"] else "effective_from")
    changed = [f for f in COVERAGE_FIELDS if getattr(current, f) != data[f]]
    for f in changed:
        setattr(current, f, data[f])
    current.version += 1
    current.save()
    record(action=AuditAction.UPDATE, obj=current, patient=current.patient, actor=actor, detail={"fields": changed})
    return current


@transaction.atomic
def record_eligibility(*, coverage: Coverage, actor: User, status: str, checked_on: date) -> Coverage:
    """The result of an eligibility check (a 270/271 or a call to the payer)."""
    if status not in EligibilityStatus.values or status == EligibilityStatus.NOT_CHECKED:
        raise DomainError("Choose what the payer said: active, inactive or pending.", field="eligibility_status")
    if checked_on > _site_today(coverage.patient):
        raise DomainError("The eligibility check date is in the future.", field="eligibility_checked_on")
    Coverage.objects.filter(pk=coverage.pk).update(eligibility_status=status, eligibility_checked_on=checked_on,
                                                   version=coverage.version + 1)
    coverage.refresh_from_db()
    record(action=AuditAction.UPDATE, obj=coverage, patient=coverage.patient, actor=actor,
           detail={"fields": ["eligibility_status", "eligibility_checked_on"]})
    return coverage


# ---------------------------------------------------------------------------------------------------------
# Authorizations
# ---------------------------------------------------------------------------------------------------------
def parse_service_codes(raw: str) -> str:
    codes = [c.strip().upper() for c in re.split(r"[,\s]+", raw or "") if c.strip()]
    bad = [c for c in codes if not SERVICE_CODE_RE.match(c)]
    if bad:
        raise DomainError(f"Not a HCPCS or CPT code: {', '.join(bad)}. Enter codes like S9480, H0015 or 90853, "
                          "separated by commas.", field="service_codes")
    return ",".join(dict.fromkeys(codes))


def _validate_authorization(coverage: Coverage, episode: Episode, data: dict[str, Any], *,
                            exclude_pk: int | None) -> None:
    if episode.patient_id != coverage.patient_id:
        raise DomainError("The episode and the coverage belong to different patients.", field="episode")
    if coverage.payer.payer_type == PayerType.SELF_PAY:
        raise DomainError("Self-pay coverage takes no authorization.", field="coverage")
    if not (data.get("number") or "").strip():
        raise DomainError("Enter the authorization number the payer gave.", field="number")
    if data.get("level_of_care") not in LevelOfCare.values:
        raise DomainError("Choose the authorized level of care.", field="level_of_care")
    if data.get("unit_kind") not in UnitKind.values:
        raise DomainError("Choose whether days or units were authorized.", field="unit_kind")
    start, end = data.get("start_on"), data.get("end_on")
    if start is None:
        raise DomainError("Enter the first authorized day.", field="start_on")
    if end is None:
        raise DomainError("Enter the last authorized day.", field="end_on")
    if end < start:
        raise DomainError("The authorization ends before it starts: the end date must be on or after the start.",
                          field="end_on")
    units = data.get("units_authorized")
    if not isinstance(units, int) or units < 1:
        raise DomainError("Enter how many days or units were authorized (at least 1).", field="units_authorized")
    length = (end - start).days + 1
    if data["unit_kind"] == UnitKind.DAYS and units > length:
        raise DomainError(f"{units} days authorized, but {_fmt(start)} to {_fmt(end)} has only {length} days: "
                          "check the dates or the number of days.", field="units_authorized")
    freq = data.get("review_frequency_days")
    if freq is not None and freq < 1:
        raise DomainError("Reviews must be at least one day apart (or leave blank for none).",
                          field="review_frequency_days")
    if not rules.ranges_overlap(coverage.effective_from, coverage.effective_to, episode.admitted_on,
                                episode.discharged_on):
        raise DomainError(
            f"{coverage.payer.name} coverage ({_fmt(coverage.effective_from)} to {_fmt(coverage.effective_to)}) does "
            f"not overlap the episode ({_fmt(episode.admitted_on)} to {_fmt(episode.discharged_on)}): correct the "
            "coverage dates or choose the coverage in force during the episode.", field="coverage")
    if not rules.within(start, end, coverage.effective_from, coverage.effective_to):
        raise DomainError(
            f"The coverage runs {_fmt(coverage.effective_from)} to {_fmt(coverage.effective_to)}: the authorization "
            "must fall inside it.", field="start_on" if start < coverage.effective_from else "end_on")
    if not rules.ranges_overlap(start, end, episode.admitted_on, episode.discharged_on):
        raise DomainError(
            f"The authorization does not overlap the episode ({_fmt(episode.admitted_on)} to "
            f"{_fmt(episode.discharged_on)}): check its dates.", field="start_on")
    others = (Authorization.objects.filter(coverage=coverage, level_of_care=data["level_of_care"])
              .exclude(pk=exclude_pk).order_by("start_on"))
    for other in others:
        if rules.ranges_overlap(start, end, other.start_on, other.end_on):
            raise DomainError(
                f"Authorization {other.number} already covers {LevelOfCare(other.level_of_care).label} "
                f"{_fmt(other.start_on)} to {_fmt(other.end_on)} on this coverage: start this one after "
                f"{_fmt(other.end_on)}, or extend that authorization with a concurrent review.", field="start_on")
    if Authorization.objects.filter(coverage=coverage, number__iexact=data["number"].strip()).exclude(
            pk=exclude_pk).exists():
        raise DomainError("This coverage already has an authorization with that number.", field="number")


def _units_used(authorization: Authorization) -> int | None:
    used = units_used_for([authorization])
    return None if used is None else used.get(authorization.pk, 0)


def check_units(authorization: Authorization, units_authorized: int) -> None:
    """Refuse authorizing fewer units than the compliance app says are used already."""
    used = _units_used(authorization)
    if used is not None and used > units_authorized:
        kind = authorization.get_unit_kind_display().lower()
        raise DomainError(f"{used} {kind} are already used under this authorization: authorize at least {used}, "
                          "or record the days beyond the authorization as not covered.", field="units_authorized")


def _follow_level(authorization: Authorization, actor: User) -> None:
    """The episode's authorized level follows the authorization in force (issue 12 item 5)."""
    episode = authorization.episode
    today = today_in(episode.program.site.zone)
    if (episode.status != EpisodeStatus.ACTIVE or not authorization.covers(today)
            or episode.authorized_level == authorization.level_of_care):
        return
    change_level(episode=episode, field=LevelChangeField.AUTHORIZED, to_level=authorization.level_of_care,
                 changed_on=max(authorization.start_on, episode.admitted_on),
                 # Shown on the episode page to clinicians: no payer or authorization number (minimum necessary).
                 reason=f"Authorized by the payer {_fmt(authorization.start_on)} to {_fmt(authorization.end_on)}",
                 changed_by=actor)


@transaction.atomic
def add_authorization(*, coverage: Coverage, episode: Episode, actor: User, number: str, level_of_care: str,
                      units_authorized: int, start_on: date, end_on: date, unit_kind: str = UnitKind.DAYS,
                      service_codes: str = "", review_frequency_days: int | None = None,
                      notes: str = "") -> Authorization:
    data = {"number": number.strip().upper(), "level_of_care": level_of_care, "unit_kind": unit_kind,
            "units_authorized": units_authorized, "start_on": start_on, "end_on": end_on,
            "service_codes": parse_service_codes(service_codes), "review_frequency_days": review_frequency_days,
            "notes": notes.strip()}
    # Lock the coverage so two people adding overlapping authorizations at once cannot both pass the check.
    coverage = Coverage.objects.select_for_update().select_related("payer").get(pk=coverage.pk)
    _validate_authorization(coverage, episode, data, exclude_pk=None)
    auth = Authorization.objects.create(coverage=coverage, episode=episode, created_by=actor, **data)
    due = rules.first_review_due(start_on, end_on, review_frequency_days)
    if due is not None:
        ConcurrentReview.objects.create(authorization=auth, due_on=due, created_by=actor)
    record(action=AuditAction.CREATE, obj=auth, patient=episode.patient, actor=actor, site=episode.program.site,
           detail={"coverage": str(coverage.public_id), "level_of_care": level_of_care})
    _follow_level(auth, actor)
    return auth


@transaction.atomic
def update_authorization(*, authorization: Authorization, actor: User, version: int, **fields: Any) -> Authorization:
    unknown = set(fields) - set(AUTHORIZATION_FIELDS)
    if unknown:
        raise DomainError(f"Unknown authorization fields: {', '.join(sorted(unknown))}.")
    Coverage.objects.select_for_update().filter(pk=authorization.coverage_id).first()
    current = (Authorization.objects.select_for_update()
               .select_related("coverage__payer", "episode__program__site", "episode__patient")
               .get(pk=authorization.pk))
    if current.version != version:
        raise ConflictError("Someone else changed this authorization while you were editing: reload and try again.")
    data = {f: getattr(current, f) for f in AUTHORIZATION_FIELDS} | fields
    data["number"] = (data["number"] or "").strip().upper()
    data["service_codes"] = parse_service_codes(data["service_codes"])
    _validate_authorization(current.coverage, current.episode, data, exclude_pk=current.pk)
    check_units(current, data["units_authorized"])
    changed = [f for f in AUTHORIZATION_FIELDS if getattr(current, f) != data[f]]
    for f in changed:
        setattr(current, f, data[f])
    current.version += 1
    current.save()
    record(action=AuditAction.UPDATE, obj=current, patient=current.episode.patient, actor=actor,
           site=current.episode.program.site, detail={"fields": changed})
    return current


# ---------------------------------------------------------------------------------------------------------
# Concurrent reviews
# ---------------------------------------------------------------------------------------------------------
@transaction.atomic
def schedule_review(*, authorization: Authorization, actor: User, due_on: date) -> ConcurrentReview:
    """Schedule a review by hand (the payer asked for one on a given day). One pending review at a time."""
    if authorization.reviews.filter(outcome=ReviewOutcome.PENDING).exists():
        raise DomainError("A review is already pending for this authorization: record its outcome first.",
                          field="due_on")
    if due_on < authorization.start_on:
        raise DomainError("The review is due before the authorization starts.", field="due_on")
    review = ConcurrentReview.objects.create(authorization=authorization, due_on=due_on, created_by=actor)
    record(action=AuditAction.CREATE, obj=review, patient=authorization.episode.patient, actor=actor,
           site=authorization.episode.program.site)
    return review


@transaction.atomic
def record_review(*, review: ConcurrentReview, actor: User, outcome: str, reviewed_on: date | None,
                  reviewer: str = "", notes: str = "", approved_days: int | None = None) -> ConcurrentReview:
    """Record what the payer decided. Approving N more days extends the authorization by N days past its
    current end (and by N days authorized when it counts days) and schedules the next review; a peer-to-peer
    request schedules a follow-up the next day; a denial ends the review cycle."""
    current = (ConcurrentReview.objects.select_for_update()
               .select_related("authorization__episode__program__site", "authorization__episode__patient")
               .get(pk=review.pk))
    if current.outcome != ReviewOutcome.PENDING:
        raise ConflictError("This review's outcome is already recorded: schedule a new review instead.")
    if outcome not in ReviewOutcome.values:
        raise DomainError("Choose the outcome.", field="outcome")
    if outcome == ReviewOutcome.APPROVED and not approved_days:
        raise DomainError("The review was approved: enter how many more days the payer approved.",
                          field="approved_days")
    if approved_days is not None and approved_days < 1:
        raise DomainError("Enter a number of days of at least 1.", field="approved_days")
    if outcome != ReviewOutcome.APPROVED and approved_days:
        raise DomainError("Days approved go only with an approval: clear the days or choose 'Approved'.",
                          field="approved_days")
    auth = Authorization.objects.select_for_update().select_related("coverage__payer").get(
        pk=current.authorization_id)
    episode = current.authorization.episode
    today = today_in(episode.program.site.zone)
    if outcome != ReviewOutcome.PENDING:
        if reviewed_on is None:
            raise DomainError("Enter the date of the review.", field="reviewed_on")
        if reviewed_on > today:
            raise DomainError("The review date is in the future.", field="reviewed_on")
        if reviewed_on < auth.start_on:
            raise DomainError("The review date is before the authorization starts.", field="reviewed_on")
    else:
        reviewed_on = None
    current.outcome = outcome
    current.reviewed_on = reviewed_on
    current.reviewer = reviewer.strip()
    current.notes = notes.strip()
    current.approved_days = approved_days if outcome == ReviewOutcome.APPROVED else None
    current.recorded_by = actor
    if outcome == ReviewOutcome.APPROVED:
        new_end = rules.extended_end(auth.end_on, approved_days or 0)
        later = (Authorization.objects.filter(coverage=auth.coverage, level_of_care=auth.level_of_care,
                                              start_on__gt=auth.end_on, start_on__lte=new_end)
                 .exclude(pk=auth.pk).first())
        if later is not None:
            raise DomainError(f"Extending to {_fmt(new_end)} would overlap authorization {later.number} (from "
                              f"{_fmt(later.start_on)}): record fewer days or update that authorization.",
                              field="approved_days")
        coverage = auth.coverage
        if coverage.effective_to is not None and new_end > coverage.effective_to:
            raise DomainError(f"The coverage ends {_fmt(coverage.effective_to)}: extend the coverage first, or "
                              "record fewer days.", field="approved_days")
        auth.end_on = new_end
        if auth.unit_kind == UnitKind.DAYS:
            auth.units_authorized += approved_days or 0
        auth.version += 1
        auth.save(update_fields=["end_on", "units_authorized", "version", "updated_at"])
    try:
        current.save()
    except IntegrityError as exc:  # pragma: no cover - the checks above mirror the constraints
        raise DomainError("The review could not be saved: check the outcome, date and days.") from exc
    follow_up = None
    if outcome == ReviewOutcome.APPROVED and reviewed_on is not None:
        follow_up = rules.next_review_due(reviewed_on, auth.end_on, auth.review_frequency_days)
    elif outcome == ReviewOutcome.PEER_TO_PEER and reviewed_on is not None:
        follow_up = rules.extended_end(reviewed_on, rules.PEER_TO_PEER_FOLLOW_UP_DAYS)
    if follow_up is not None:
        ConcurrentReview.objects.create(authorization=auth, due_on=follow_up, created_by=actor)
    record(action=AuditAction.UPDATE, obj=current, patient=episode.patient, actor=actor, site=episode.program.site,
           detail={"outcome": outcome, "approved_days": current.approved_days,
                   "next_review": follow_up.isoformat() if follow_up else None})
    return current
