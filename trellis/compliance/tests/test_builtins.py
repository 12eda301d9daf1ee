"""The built-in requirement sets: `seed_builtins()` (used by tests and anyone restoring reference data) creates
exactly the rows that data migration 0002 wrote from its frozen copy, and is idempotent."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from trellis.compliance.models import RequirementRule, RequirementSet
from trellis.compliance.services import seed_builtins

pytestmark = pytest.mark.django_db

SET_FIELDS = ("name", "description", "payer_type", "is_default", "source", "active")
RULE_FIELDS = ("requirement_set__name", "level_of_care", "population", "weekly_min_hours", "weekly_max_hours",
               "min_days_per_week", "per_diem_min_minutes", "min_services_per_day", "partial_week", "source")


def _builtins() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    sets = RequirementSet.objects.filter(organization=None)
    rules = RequirementRule.objects.filter(requirement_set__organization=None)
    return (sorted(sets.values_list(*SET_FIELDS)), sorted(rules.values_list(*RULE_FIELDS)))


def _clear() -> None:
    RequirementRule.objects.filter(requirement_set__organization=None).delete()
    RequirementSet.objects.filter(organization=None).delete()


def test_seed_builtins_writes_what_the_data_migration_wrote() -> None:
    migration = MigrationLoader(connection).get_migration("compliance", "0002_seed_default_requirement_sets")
    _clear()
    migration.operations[0].code(apps, None)  # the migration's frozen copy
    from_migration = _builtins()
    _clear()
    assert seed_builtins() == len(from_migration[0]) + len(from_migration[1])
    assert _builtins() == from_migration
    assert {name for name, *_ in from_migration[0]} == {"ASAM default", "Medicare PHP/IOP"}


def test_seed_builtins_is_idempotent_and_fills_only_what_is_missing() -> None:
    seed_builtins()
    before = _builtins()
    assert seed_builtins() == 0
    RequirementRule.objects.filter(requirement_set__name="ASAM default", level_of_care="op").delete()
    assert seed_builtins() == 2  # the two outpatient rules (adult, adolescent) come back
    assert _builtins() == before
