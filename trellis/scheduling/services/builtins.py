"""Reference data scheduling ships with: whether each service type counts toward weekly treatment hours."""

from __future__ import annotations

from django.db import transaction

from trellis.programs.models import COUNTED_HOURS_SOURCE, COUNTS_TOWARD_HOURS_DEFAULT
from trellis.scheduling.models import ServiceTypeHours


def seed_builtins() -> int:
    """A `ServiceTypeHours` row for every service type that has none, from the defaults in programs.models
    (42 CFR 410.43, cited there); rows that exist (an organization's choices) are left as they are, so running it
    again changes nothing. Reference data without patient information or an actor: not audited, as the data
    migration that first wrote it was not. Returns how many rows were created."""
    with transaction.atomic():
        existing = set(ServiceTypeHours.objects.values_list("service_type", flat=True))
        missing = [ServiceTypeHours(service_type=str(service_type), counts_toward_hours=counts,
                                    source=COUNTED_HOURS_SOURCE)
                   for service_type, counts in COUNTS_TOWARD_HOURS_DEFAULT.items() if service_type not in existing]
        ServiceTypeHours.objects.bulk_create(missing)
    return len(missing)
