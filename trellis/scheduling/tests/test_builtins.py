"""Which service types count toward hours: `seed_builtins()` creates exactly the rows data migration 0005 wrote
from its frozen copy, leaves an organization's choices alone and is idempotent."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from trellis.programs.models import ServiceType
from trellis.scheduling.models import ServiceTypeHours
from trellis.scheduling.services import seed_builtins

pytestmark = pytest.mark.django_db


def _rows() -> list[tuple[str, bool, str]]:
    return sorted(ServiceTypeHours.objects.values_list("service_type", "counts_toward_hours", "source"))


def test_seed_builtins_writes_what_the_data_migration_wrote() -> None:
    migration = MigrationLoader(connection).get_migration("scheduling", "0005_seed_service_type_hours")
    ServiceTypeHours.objects.all().delete()
    migration.operations[0].code(apps, None)  # the migration's frozen copy
    from_migration = _rows()
    ServiceTypeHours.objects.all().delete()
    assert seed_builtins() == len(from_migration) > 0
    assert _rows() == from_migration


def test_seed_builtins_keeps_an_organizations_choice_and_is_idempotent() -> None:
    seed_builtins()
    ServiceTypeHours.objects.filter(service_type=ServiceType.MEAL).update(counts_toward_hours=True)
    ServiceTypeHours.objects.filter(service_type=ServiceType.INTAKE).delete()
    assert seed_builtins() == 1
    assert ServiceTypeHours.objects.get(service_type=ServiceType.MEAL).counts_toward_hours is True
    assert seed_builtins() == 0
