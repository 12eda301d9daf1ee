"""Referral, intake, diagnosis, risk-screen and level-of-care writes. Every function is
keyword-only, atomic and audited; rule violations raise DomainError with a message that
says what to fix."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import has_capability
from trellis.audit.services import AuditAction, record
from trellis.core.clock import now, today_in
from trellis.core.errors import ConflictError, DomainError
from trellis.patients.models import FlagKind
from trellis.patients.services import create_patient, link_patient_to_site, set_flag
from trellis.programs.models import LevelOfCare
from trellis.referrals import criteria as criteria_mod
from trellis.referrals import cssrs, hrsn
from trellis.referrals.models import (
    LOSS_STATUSES,
    OPEN_STATUSES,
    IntakeAssessment,
    IntakeStatus,
    LevelOfCareDetermination,
    LossReason,
    ProgramAdmissionCriteria,
    Referral,
    ReferralContact,
    ReferralEvent,
    ReferralSource,
    ReferralStatus,
    SafetyPlan,
    SuicideRiskScreen,
)

if TYPE_CHECKING:
    from trellis.accounts.models import User

SOURCE_FIELDS = ("name", "kind", "phone", "fax", "email", "address", "notes", "active")
REFERRAL_FIELDS = (
    "program", "source", "contact", "first_name", "last_name", "date_of_birth", "phone", "email", "reason",
    "requested_level", "owner", "next_step", "next_step_due", "intake_at",
)
INTAKE_FIELDS = (
    "assessed_on", "presenting_problem", "psychiatric_history", "substance_use_history", "medications",
    "allergies", "strengths", "patient_goals",
)

# Pipeline: received -> screening -> intake scheduled -> assessed -> admitted, or
# closed as declined / not reached / referred elsewhere. Admission happens only through the admission
# service (it needs consents and a level-of-care determination).
_TIMESTAMP_FOR = {
    ReferralStatus.SCREENING: "screening_at",
    ReferralStatus.INTAKE_SCHEDULED: "intake_scheduled_at",
    ReferralStatus.ASSESSED: "assessed_at",
}


# ---------------------------------------------------------------- sources
def create_referral_source(*, organization: Any, created_by: User, **data: Any) -> ReferralSource:
    _only(data, SOURCE_FIELDS)
    if not (data.get("name") or "").strip():
        raise DomainError("Enter the referral source's name.", field="name")
    with transaction.atomic():
        if ReferralSource.objects.filter(organization=organization, name__iexact=data["name"].strip()).exists():
            raise DomainError("A referral source with this name already exists.", field="name")
        source = ReferralSource.objects.create(organization=organization, created_by=created_by, **data)
        record(action=AuditAction.CREATE, obj=source, object_type="referralsource")
    return source


def update_referral_source(*, source: ReferralSource, changed_by: User, **data: Any) -> ReferralSource:
    _only(data, SOURCE_FIELDS)
    with transaction.atomic():
        current = ReferralSource.objects.select_for_update().get(pk=source.pk)
        if "name" in data and (
            ReferralSource.objects.filter(organization=current.organization, name__iexact=data["name"].strip())
            .exclude(pk=current.pk)
            .exists()
        ):
            raise DomainError("A referral source with this name already exists.", field="name")
        for key, value in data.items():
            setattr(current, key, value)
        current.save()
        record(action=AuditAction.UPDATE, obj=current, detail={"fields": sorted(data)})
    return current


def add_contact(*, source: ReferralSource, created_by: User, name: str, title: str = "", phone: str = "",
                email: str = "") -> ReferralContact:
    if not name.strip():
        raise DomainError("Enter the contact's name.", field="name")
    with transaction.atomic():
        contact = ReferralContact.objects.create(
            source=source, name=name.strip(), title=title, phone=phone, email=email, created_by=created_by
        )
        record(action=AuditAction.CREATE, obj=contact)
    return contact


def create_loss_reason(*, organization: Any, label: str, applies_to: str = "any", order: int = 0) -> LossReason:
    if not label.strip():
        raise DomainError("Enter the reason.", field="label")
    with transaction.atomic():
        if LossReason.objects.filter(organization=organization, label__iexact=label.strip()).exists():
            raise DomainError("This reason already exists.", field="label")
        reason = LossReason.objects.create(
            organization=organization, label=label.strip(), applies_to=applies_to, order=order
        )
        record(action=AuditAction.CREATE, obj=reason)
    return reason


# ---------------------------------------------------------------- referrals
def create_referral(*, site: Any, created_by: User, received_at: dt.datetime | None = None, **data: Any) -> Referral:
    _only(data, REFERRAL_FIELDS)
    _check_referral_data(site, data)
    with transaction.atomic():
        referral = Referral.objects.create(
            organization=site.organization,
            site=site,
            received_at=received_at or now(),
            created_by=created_by,
            **data,
        )
        ReferralEvent.objects.create(
            referral=referral, from_status="", to_status=ReferralStatus.RECEIVED, at=referral.received_at, by=created_by
        )
        record(action=AuditAction.CREATE, obj=referral, site=site)
    return referral


def update_referral(*, referral: Referral, expected_version: int, changed_by: User, **data: Any) -> Referral:
    _only(data, REFERRAL_FIELDS)
    with transaction.atomic():
        current = Referral.objects.select_for_update().get(pk=referral.pk)
        if current.version != expected_version:
            raise ConflictError("Someone else changed this referral while you were editing. Reload to see it.")
        _check_referral_data(current.site, data)
        for key, value in data.items():
            setattr(current, key, value)
        current.version += 1
        current.save()
        record(action=AuditAction.UPDATE, obj=current, patient=current.patient, site=current.site,
               detail={"fields": sorted(data)})
    return current


def _check_referral_data(site: Any, data: dict[str, Any]) -> None:
    for key in ("first_name", "last_name"):
        if key in data and not (data[key] or "").strip():
            raise DomainError("Enter the person's first and last name.", field=key)
    program = data.get("program")
    if program is not None and program.site_id != site.pk:
        raise DomainError("That program is at another site.", field="program")
    source = data.get("source")
    if source is not None and source.organization_id != site.organization_id:
        raise DomainError("Unknown referral source.", field="source")
    contact = data.get("contact")
    if contact is not None and (source is None or contact.source_id != source.pk):
        raise DomainError("That contact does not belong to the chosen referral source.", field="contact")
    dob = data.get("date_of_birth")
    if dob is not None and dob > today_in(site.zone):
        raise DomainError("The date of birth is in the future.", field="date_of_birth")


def move_referral(
    *,
    referral: Referral,
    to_status: str,
    changed_by: User,
    loss_reason: LossReason | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Referral:
    """Move a referral on the pipeline board. Closing (declined / not reached / referred elsewhere)
    needs a loss reason; admitting happens only through the admission service."""
    if to_status not in ReferralStatus.values:
        raise DomainError("Unknown pipeline state.", field="status")
    if to_status == ReferralStatus.ADMITTED:
        raise DomainError("Admit the patient from the admission page (consents and level of care are checked there).",
                          field="status")
    with transaction.atomic():
        current = Referral.objects.select_for_update().get(pk=referral.pk)
        if expected_version is not None and current.version != expected_version:
            raise ConflictError("Someone else moved this referral first. Reload the board.")
        if current.status == ReferralStatus.ADMITTED:
            raise DomainError("This referral is already admitted; it cannot move.", field="status")
        if current.status == to_status:
            return current
        _apply_status(current, to_status, changed_by=changed_by, loss_reason=loss_reason, note=note)
    return current


def _apply_status(current: Referral, to_status: str, *, changed_by: User, loss_reason: LossReason | None = None,
                  note: str = "") -> None:
    stamp = now()
    if to_status in LOSS_STATUSES:
        if loss_reason is None:
            raise DomainError("Choose a reason for closing this referral.", field="loss_reason")
        if loss_reason.organization_id != current.organization_id or not loss_reason.active:
            raise DomainError("Choose one of the listed reasons.", field="loss_reason")
        if loss_reason.applies_to not in ("any", to_status):
            raise DomainError("That reason does not apply to this outcome.", field="loss_reason")
        current.loss_reason = loss_reason
        current.loss_note = note[:300]
        current.closed_at = stamp
    elif to_status in OPEN_STATUSES:
        current.loss_reason = None
        current.loss_note = ""
        current.closed_at = None
        attr = _TIMESTAMP_FOR.get(ReferralStatus(to_status))
        if attr and getattr(current, attr) is None:
            setattr(current, attr, stamp)
    elif to_status == ReferralStatus.ADMITTED:
        current.closed_at = stamp
    from_status = current.status
    current.status = to_status
    current.version += 1
    current.save()
    ReferralEvent.objects.create(referral=current, from_status=from_status, to_status=to_status, at=stamp,
                                 by=changed_by, note=note[:300])
    record(action=AuditAction.UPDATE, obj=current, patient=current.patient, site=current.site,
           detail={"from": from_status, "to": to_status})


def mark_referral_admitted(*, referral: Referral, episode: Any, changed_by: User) -> Referral:
    """Called by the admission service inside its transaction."""
    current = Referral.objects.select_for_update().get(pk=referral.pk)
    if current.status in LOSS_STATUSES:
        raise DomainError("This referral was closed; reopen it before admitting.")
    current.episode = episode
    if current.status != ReferralStatus.ADMITTED:
        _apply_status(current, ReferralStatus.ADMITTED, changed_by=changed_by)
    else:
        current.save(update_fields=["episode", "updated_at"])
    return current


def convert_referral_to_patient(
    *,
    referral: Referral,
    created_by: User,
    sex_at_birth: str,
    confirm_not_duplicate: bool = False,
    existing_patient: Any = None,
    **extra: Any,
) -> Any:
    """Create (or link) the patient chart from the referral without re-typing. Duplicate detection
    is the patients app's (DuplicatePatientWarning lists the matches)."""

    with transaction.atomic():
        current = Referral.objects.select_for_update().get(pk=referral.pk)
        if current.patient_id is not None:
            raise DomainError("This referral already has a patient chart.")
        if existing_patient is not None:
            if existing_patient.organization_id != current.organization_id:
                raise DomainError("Unknown patient.")
            patient = existing_patient
            link_patient_to_site(patient=patient, site=current.site)
        else:
            if current.date_of_birth is None:
                raise DomainError("Enter the date of birth on the referral first.", field="date_of_birth")
            patient = create_patient(
                organization=current.organization,
                created_by=created_by,
                confirm_not_duplicate=confirm_not_duplicate,
                legal_first_name=current.first_name,
                legal_last_name=current.last_name,
                date_of_birth=current.date_of_birth,
                sex_at_birth=sex_at_birth,
                phone=current.phone,
                email=current.email,
                primary_site=current.site,
                **extra,
            )
        current.patient = patient
        current.version += 1
        current.save()
        record(action=AuditAction.UPDATE, obj=current, patient=patient, site=current.site,
               detail={"converted": True, "linked_existing": existing_patient is not None})
    return patient


# ---------------------------------------------------------------- intake
def start_intake(*, patient: Any, site: Any, clinician: User, referral: Referral | None = None,
                 assessed_on: dt.date | None = None, presenting_problem: str = "") -> IntakeAssessment:
    if referral is not None and referral.patient_id not in (None, patient.pk):
        raise DomainError("That referral belongs to another person.")
    with transaction.atomic():
        intake = IntakeAssessment.objects.create(
            patient=patient, site=site, clinician=clinician, referral=referral,
            assessed_on=assessed_on or today_in(site.zone), presenting_problem=presenting_problem,
            created_by=clinician,
        )
        record(action=AuditAction.CREATE, obj=intake, patient=patient, site=site)
    return intake


def save_intake(*, intake: IntakeAssessment, changed_by: User, hrsn_answers: dict[str, Any] | None = None,
                **data: Any) -> IntakeAssessment:
    _only(data, INTAKE_FIELDS)
    with transaction.atomic():
        current = IntakeAssessment.objects.select_for_update().get(pk=intake.pk)
        if current.status == IntakeStatus.COMPLETED:
            raise DomainError("This intake is completed and can no longer be edited.")
        if "assessed_on" in data and data["assessed_on"] > today_in(current.site.zone):
            raise DomainError("The assessment date is in the future.", field="assessed_on")
        for key, value in data.items():
            setattr(current, key, value)
        if hrsn_answers is not None:
            try:
                result = hrsn.score(hrsn_answers)
            except hrsn.HrsnError as exc:
                raise DomainError(exc.message, field=exc.field) from exc
            current.hrsn_answers = hrsn_answers
            current.hrsn_positive = list(result.positive_domains)
            current.hrsn_safety_score = result.safety_score
        current.save()
        record(action=AuditAction.UPDATE, obj=current, patient=current.patient, site=current.site,
               detail={"fields": sorted(data) + (["hrsn"] if hrsn_answers is not None else [])})
    return current


def complete_intake(*, intake: IntakeAssessment, completed_by: User) -> IntakeAssessment:
    with transaction.atomic():
        current = IntakeAssessment.objects.select_for_update().get(pk=intake.pk)
        if current.status == IntakeStatus.COMPLETED:
            return current
        missing = []
        if not current.presenting_problem.strip():
            missing.append("presenting problem")
        if not current.diagnoses.filter(rank="primary", entered_in_error=False).exists():  # episodes.Diagnosis
            missing.append("a primary diagnosis")
        if not current.risk_screens.exists():
            missing.append("the C-SSRS risk screen")
        if missing:
            raise DomainError("Before completing the intake, add: " + ", ".join(missing) + ".")
        current.status = IntakeStatus.COMPLETED
        current.completed_at = now()
        current.save()
        if current.referral_id:
            ref = current.referral
            if ref.status in (ReferralStatus.RECEIVED, ReferralStatus.SCREENING, ReferralStatus.INTAKE_SCHEDULED):
                locked = Referral.objects.select_for_update().get(pk=ref.pk)
                _apply_status(locked, ReferralStatus.ASSESSED, changed_by=completed_by)
        record(action=AuditAction.SIGN, obj=current, patient=current.patient, site=current.site)
    return current


# ---------------------------------------------------------------- C-SSRS + safety plan
def record_risk_screen(
    *,
    patient: Any,
    site: Any,
    administered_by: Any,
    answers: dict[str, bool | None],
    intake: IntakeAssessment | None = None,
    episode: Any = None,
    violence_risk_notes: str = "",
    administered_at: dt.datetime | None = None,
) -> SuicideRiskScreen:
    try:
        result = cssrs.score(answers)
    except cssrs.ScreenError as exc:
        raise DomainError(exc.message, field=exc.field) from exc
    with transaction.atomic():
        screen = SuicideRiskScreen.objects.create(
            patient=patient, site=site, intake=intake, episode=episode,
            administered_at=administered_at or now(), administered_by=administered_by,
            instrument_version=cssrs.INSTRUMENT_VERSION, risk=result.risk.value,
            requires_safety_plan=result.requires_safety_plan, violence_risk_notes=violence_risk_notes,
            created_by=administered_by, **result.answers,
        )
        if result.risk in (cssrs.RiskLevel.HIGH, cssrs.RiskLevel.MODERATE):
            set_flag(patient=patient, kind=FlagKind.SUICIDE_RISK, label=f"C-SSRS {result.risk.label.lower()}")
        record(action=AuditAction.CREATE, obj=screen, patient=patient, site=site, detail={"risk": result.risk.value})
    return screen


def save_safety_plan(*, screen: SuicideRiskScreen, changed_by: User, complete: bool = False,
                     **sections: str) -> SafetyPlan:
    allowed = {key for key, _ in cssrs.SAFETY_PLAN_SECTIONS}
    _only(sections, tuple(allowed))
    with transaction.atomic():
        plan = SafetyPlan.objects.select_for_update().filter(screen=screen).order_by("-id").first()
        if plan is not None and plan.completed_at is not None:
            raise DomainError("This safety plan is complete; start a new screen to revise it.")
        if plan is None:
            plan = SafetyPlan(patient=screen.patient, screen=screen, created_by=changed_by)
        for key, value in sections.items():
            setattr(plan, key, (value or "").strip())
        if complete:
            missing = cssrs.missing_safety_plan_sections({k: getattr(plan, k) for k in allowed})
            if missing:
                raise DomainError("Complete every section of the safety plan: " + "; ".join(missing) + ".")
            plan.completed_at = now()
            plan.completed_by = changed_by
        plan.save()
        record(action=AuditAction.SIGN if complete else AuditAction.UPDATE, obj=plan, patient=screen.patient,
               site=screen.site)
    return plan


# ---------------------------------------------------------------- admission criteria / LOC
def set_program_criteria(*, program: Any, data: dict[str, Any], template: str = "", changed_by: User) -> Any:
    try:
        criteria_mod.CriteriaSet.from_data(data)
    except criteria_mod.CriteriaError as exc:
        raise DomainError(exc.message, field="criteria") from exc
    with transaction.atomic():
        obj, created = ProgramAdmissionCriteria.objects.update_or_create(
            program=program, defaults={"data": data, "template": template}
        )
        record(action=AuditAction.CREATE if created else AuditAction.UPDATE, obj=obj, site=program.site)
    return obj


def record_loc_determination(
    *,
    patient: Any,
    program: Any,
    findings: dict[str, str],
    rationale: str,
    recommended_level: str,
    determined_by: Any,
    intake: IntakeAssessment | None = None,
) -> LevelOfCareDetermination:
    from trellis.referrals.selectors import criteria_for_program

    if not rationale.strip():
        raise DomainError("Write the rationale for the level-of-care determination.", field="rationale")
    if recommended_level not in LevelOfCare.values:
        raise DomainError("Choose the recommended level of care.", field="recommended_level")
    criteria = criteria_for_program(program)
    try:
        evaluation = criteria_mod.evaluate(criteria, findings)
    except criteria_mod.CriteriaError as exc:
        raise DomainError(exc.message, field=exc.field) from exc
    with transaction.atomic():
        det = LevelOfCareDetermination.objects.create(
            patient=patient, program=program, intake=intake, criteria=criteria.to_data(), findings=findings,
            rationale=rationale.strip(), criteria_met=evaluation.met, unmet=list(evaluation.unmet),
            recommended_level=recommended_level, determined_by=determined_by, determined_at=now(),
            created_by=determined_by,
        )
        record(action=AuditAction.CREATE, obj=det, patient=patient, site=program.site,
               detail={"criteria_met": evaluation.met})
    return det


def override_loc_determination(*, determination: LevelOfCareDetermination, reason: str,
                               overridden_by: Any) -> LevelOfCareDetermination:
    """Admission despite unmet criteria: a program director's explicit override with a reason."""

    if not has_capability(overridden_by, Cap.EPISODE_OVERRIDE, determination.program.site):
        raise DomainError("Only a program director at this site can override the admission criteria.")
    if not reason.strip():
        raise DomainError("Write the reason for the override.", field="override_reason")
    with transaction.atomic():
        current = LevelOfCareDetermination.objects.select_for_update().get(pk=determination.pk)
        if current.criteria_met:
            raise DomainError("The criteria are met; no override is needed.")
        if current.overridden_at is not None:
            raise DomainError("This determination is already overridden.")
        current.override_reason = reason.strip()
        current.overridden_by = overridden_by
        current.overridden_at = now()
        current.save()
        record(action=AuditAction.SIGN, obj=current, patient=current.patient, site=current.program.site,
               detail={"override": True})
    return current


def _only(data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise TypeError(f"Unknown fields: {sorted(unknown)}")
