"""Compliance writes: requirement sets, their rules and payer assignments. Keyword-only, atomic, audited."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q

from trellis.accounts.models import User
from trellis.audit.services import AuditAction, record
from trellis.compliance.builtins import SETS
from trellis.compliance.models import (
    PartialWeekHandling,
    PayerRequirementAssignment,
    RequirementRule,
    RequirementSet,
)
from trellis.core.errors import DomainError
from trellis.programs.models import LevelOfCare, Population


def _check_rule_numbers(*, weekly_min_hours: Decimal, weekly_max_hours: Decimal | None, min_days_per_week: int,
                        per_diem_min_minutes: int, min_services_per_day: int, partial_week: str) -> None:
    if weekly_min_hours is None or weekly_min_hours < 0:
        raise DomainError("Weekly minimum hours cannot be negative.", field="weekly_min_hours")
    if weekly_max_hours is not None and weekly_max_hours < 0:
        raise DomainError("Weekly maximum hours cannot be negative.", field="weekly_max_hours")
    if weekly_max_hours is not None and weekly_min_hours > weekly_max_hours:
        raise DomainError(
            f"The weekly minimum ({weekly_min_hours} h) is above the maximum ({weekly_max_hours} h); "
            "lower the minimum or raise the maximum.", field="weekly_min_hours")
    if weekly_min_hours > 168 or (weekly_max_hours is not None and weekly_max_hours > 168):
        raise DomainError("A week has 168 hours; enter weekly hours of at most 168.", field="weekly_min_hours")
    if not 0 <= min_days_per_week <= 7:
        raise DomainError("Minimum days per week must be between 0 and 7.", field="min_days_per_week")
    if per_diem_min_minutes < 0 or per_diem_min_minutes > 1440:
        raise DomainError("Minimum counted minutes for a billable day must be between 0 and 1440.",
                          field="per_diem_min_minutes")
    if min_services_per_day < 0:
        raise DomainError("Minimum services per day cannot be negative.", field="min_services_per_day")
    if partial_week not in PartialWeekHandling.values:
        raise DomainError("Choose how partial weeks are handled.", field="partial_week")


def create_requirement_set(*, user: User, organization: Any, name: str, source: str, description: str = "",
                           payer_type: str = "", is_default: bool = False) -> RequirementSet:
    name = name.strip()
    if not name:
        raise DomainError("Give the requirement set a name.", field="name")
    if not source.strip():
        raise DomainError("Cite the source of these rules (regulation, manual or payer contract).", field="source")
    with transaction.atomic():
        if RequirementSet.objects.filter(organization=organization, name__iexact=name).exists():
            raise DomainError("A requirement set with that name already exists.", field="name")
        if is_default:
            RequirementSet.objects.filter(organization=organization, is_default=True).update(is_default=False)
        rs = RequirementSet.objects.create(organization=organization, name=name, source=source.strip(),
                                           description=description, payer_type=payer_type, is_default=is_default,
                                           created_by=user)
        record(action=AuditAction.CREATE, obj=rs, actor=user)
    return rs


def save_rule(
    *,
    user: User,
    requirement_set: RequirementSet,
    level_of_care: str,
    population: str,
    weekly_min_hours: Decimal,
    source: str,
    weekly_max_hours: Decimal | None = None,
    min_days_per_week: int = 0,
    per_diem_min_minutes: int = 0,
    min_services_per_day: int = 0,
    partial_week: str = PartialWeekHandling.PRORATE,
) -> RequirementRule:
    """Create or replace the rule of ``requirement_set`` for a level of care and population."""
    if requirement_set.organization_id is None:
        raise DomainError("Built-in requirement sets cannot be changed; create your own set instead.")
    if level_of_care not in LevelOfCare.values:
        raise DomainError("Choose a level of care.", field="level_of_care")
    if population not in Population.values:
        raise DomainError("Choose a population.", field="population")
    if not source.strip():
        raise DomainError("Cite the source of this rule.", field="source")
    _check_rule_numbers(weekly_min_hours=weekly_min_hours, weekly_max_hours=weekly_max_hours,
                        min_days_per_week=min_days_per_week, per_diem_min_minutes=per_diem_min_minutes,
                        min_services_per_day=min_services_per_day, partial_week=partial_week)
    values = {
        "weekly_min_hours": weekly_min_hours, "weekly_max_hours": weekly_max_hours,
        "min_days_per_week": min_days_per_week, "per_diem_min_minutes": per_diem_min_minutes,
        "min_services_per_day": min_services_per_day, "partial_week": partial_week, "source": source.strip(),
    }
    with transaction.atomic():
        rule, created = RequirementRule.objects.select_for_update().update_or_create(
            requirement_set=requirement_set, level_of_care=level_of_care, population=population, defaults=values,
        )
        RequirementSet.objects.filter(pk=requirement_set.pk).update(version=requirement_set.version + 1)
        record(action=AuditAction.CREATE if created else AuditAction.UPDATE, obj=rule, actor=user,
               detail={"requirement_set": str(requirement_set.public_id)})
    return rule


def assign_to_payer(*, user: User, payer: Any, requirement_set: RequirementSet, starts_on: date,
                    ends_on: date | None = None) -> PayerRequirementAssignment:
    """Apply a requirement set to a payer's patients from ``starts_on``. Overlapping assignments are refused."""
    if ends_on is not None and ends_on < starts_on:
        raise DomainError("The assignment must end on or after it starts.", field="ends_on")
    if requirement_set.organization_id not in (None, payer.organization_id):
        raise DomainError("That requirement set belongs to another organization.", field="requirement_set")
    with transaction.atomic():
        # Lock the payer's assignments so two concurrent assignments cannot both pass the overlap check.
        existing = PayerRequirementAssignment.objects.select_for_update().filter(payer=payer)
        overlap = existing.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))
        if ends_on is not None:
            overlap = overlap.filter(starts_on__lte=ends_on)
        clash = overlap.select_related("requirement_set").first()
        if clash is not None:
            until = f"to {clash.ends_on:%Y-%m-%d}" if clash.ends_on else "with no end date"
            raise DomainError(
                f"{payer.name} already uses “{clash.requirement_set.name}” from {clash.starts_on:%Y-%m-%d} {until}; "
                "end that assignment first or choose dates that do not overlap.", field="starts_on")
        assignment = PayerRequirementAssignment.objects.create(
            payer=payer, requirement_set=requirement_set, starts_on=starts_on, ends_on=ends_on, created_by=user)
        record(action=AuditAction.CREATE, obj=assignment, actor=user,
               detail={"payer": str(payer.public_id), "requirement_set": str(requirement_set.public_id)})
    return assignment


def end_assignment(*, user: User, assignment: PayerRequirementAssignment, ends_on: date) -> PayerRequirementAssignment:
    if ends_on < assignment.starts_on:
        raise DomainError("The assignment must end on or after it starts.", field="ends_on")
    with transaction.atomic():
        PayerRequirementAssignment.objects.filter(pk=assignment.pk).update(ends_on=ends_on)
        assignment.ends_on = ends_on
        record(action=AuditAction.UPDATE, obj=assignment, actor=user, detail={"fields": ["ends_on"]})
    return assignment


def seed_builtins() -> int:
    """Create the built-in sets and rules (trellis/compliance/builtins.py) that are missing; rows that exist are
    left as they are, so running it again changes nothing. Reference data without patient information or an
    actor: not audited, as the data migration that first wrote it was not. Returns how many rows were created."""
    created = 0
    with transaction.atomic():
        for spec in SETS:
            rs, made = RequirementSet.objects.get_or_create(
                organization=None, name=spec["name"],
                defaults={k: spec[k] for k in ("description", "payer_type", "is_default", "source")},
            )
            created += made
            for level, pop, lo, hi, days, per_diem, services, partial, source in spec["rules"]:
                _, made = RequirementRule.objects.get_or_create(
                    requirement_set=rs, level_of_care=level, population=pop,
                    defaults={
                        "weekly_min_hours": Decimal(lo), "weekly_max_hours": Decimal(hi) if hi else None,
                        "min_days_per_week": days, "per_diem_min_minutes": per_diem,
                        "min_services_per_day": services, "partial_week": partial, "source": source,
                    },
                )
                created += made
    return created
