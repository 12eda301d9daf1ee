"""Patient writes: registration with MRN assignment and duplicate detection, edits, site links, flags."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F
from stdnum import luhn

from trellis.accounts.models import Organization
from trellis.audit.services import AuditAction, record
from trellis.core.clock import today_in
from trellis.core.errors import ConflictError, DomainError
from trellis.patients.models import Patient, PatientFlag, PatientSite
from trellis.patients.selectors import possible_duplicates

if TYPE_CHECKING:
    from trellis.accounts.models import User

MRN_START = 100000

EDITABLE_FIELDS = (
    "legal_first_name", "legal_last_name", "preferred_name", "date_of_birth", "sex_at_birth", "gender_identity",
    "pronouns", "phone", "email", "address_line1", "address_line2", "city", "state", "postal_code",
    "emergency_contact_name", "emergency_contact_relationship", "emergency_contact_phone", "preferred_language",
    "primary_site",
)


class DuplicatePatientWarning(DomainError):
    def __init__(self, matches: list[Patient]) -> None:
        super().__init__(
            "A patient with the same name and date of birth is already registered. "
            "Open the existing chart, or confirm that this is a different person.",
            code="possible_duplicate",
        )
        self.matches = matches


def _next_mrn(organization: Organization) -> str:
    """Sequential per organization with a Luhn check digit so a mistyped MRN is caught at the desk."""
    Organization.objects.filter(pk=organization.pk).update(mrn_counter=F("mrn_counter") + 1)
    counter = Organization.objects.select_for_update().values_list("mrn_counter", flat=True).get(pk=organization.pk)
    base = str(MRN_START + counter)
    return base + luhn.calc_check_digit(base)


def _check_dob(dob: date, today: date) -> None:
    if dob > today:
        raise DomainError("The date of birth is in the future.", field="date_of_birth")
    if today.year - dob.year > 120:
        raise DomainError("The date of birth is more than 120 years ago — check the year.", field="date_of_birth")


def create_patient(
    *, organization: Organization, created_by: User, confirm_not_duplicate: bool = False, **data: Any
) -> Patient:
    site = data["primary_site"]
    if site.organization_id != organization.pk:
        raise DomainError("The primary site belongs to another organization.", field="primary_site")
    _check_dob(data["date_of_birth"], today_in(site.zone))
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown patient fields: {sorted(unknown)}")
    with transaction.atomic():
        if not confirm_not_duplicate:
            matches = possible_duplicates(
                organization=organization,
                first_name=data["legal_first_name"],
                last_name=data["legal_last_name"],
                date_of_birth=data["date_of_birth"],
            )
            if matches:
                raise DuplicatePatientWarning(matches)
        patient = Patient(organization=organization, mrn=_next_mrn(organization), created_by=created_by, **data)
        patient.full_clean()
        patient.save()
        PatientSite.objects.create(patient=patient, site=site)
        record(action=AuditAction.CREATE, obj=patient, detail={"duplicate_confirmed": confirm_not_duplicate})
    return patient


def update_patient(*, patient: Patient, expected_version: int, changed_by: User, **data: Any) -> Patient:
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown patient fields: {sorted(unknown)}")
    if "date_of_birth" in data:
        _check_dob(data["date_of_birth"], today_in(patient.primary_site.zone))
    with transaction.atomic():
        current = Patient.objects.select_for_update().get(pk=patient.pk)
        if current.version != expected_version:
            raise ConflictError("Someone else saved this patient's details while you were editing. Reload to see them.")
        changed = [name for name, value in data.items() if getattr(current, name) != value]
        for name, value in data.items():
            setattr(current, name, value)
        current.version += 1
        current.full_clean()
        current.save()
        if "primary_site" in data:
            PatientSite.objects.get_or_create(patient=current, site=data["primary_site"])
        record(action=AuditAction.UPDATE, obj=current, detail={"fields": sorted(changed)})
    return current


def link_patient_to_site(*, patient: Patient, site: Any) -> None:
    if site.organization_id != patient.organization_id:
        raise DomainError("That site belongs to another organization.")
    PatientSite.objects.get_or_create(patient=patient, site=site)


def set_flag(*, patient: Patient, kind: str, label: str, active: bool = True) -> PatientFlag:
    with transaction.atomic():
        flag, created = PatientFlag.objects.update_or_create(
            patient=patient, kind=kind, defaults={"label": label, "active": active}
        )
        record(
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            obj=flag,
            patient=patient,
            detail={"kind": kind, "active": active},
        )
    return flag


def clear_flag(*, patient: Patient, flag_public_id: Any) -> PatientFlag:
    """Deactivate a chart flag (flags are never deleted). The Part 2 flag follows the patient's program."""
    from trellis.patients.models import FlagKind

    flag = patient.flags.filter(public_id=flag_public_id, active=True).first()
    if flag is None:
        raise DomainError("That flag is no longer active.")
    if flag.kind == FlagKind.PART2:
        raise DomainError("The 42 CFR Part 2 flag follows the patient's program and cannot be cleared here.")
    return set_flag(patient=patient, kind=flag.kind, label=flag.label, active=False)
